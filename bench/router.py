"""Router benchmark: plans per second over a 1,000-route table.

The table is what a busy operator might keep: per-account routes (a few big senders with
their own routes per country), per-prefix routes (mobile ranges of the larger countries),
carrier routes (numbers allocated to one carrier), sender-ID routes, every strategy
(priority, weighted, least_cost with a delivery floor), and a catch-all last. The
conditions hold a few channels down, delivery rates and costs. Messages go to numbers of
30 countries from 20 accounts with and without a sender ID, as the accept step asks:
``route(facts, table, conditions)`` — the pure function, no I/O.

Printed: the table's size, the plans per second (median of ``--repeat`` runs of
``--messages`` plans each) and the microseconds per plan, and how many routes a message's
filters were checked against on average (only the routes that can match its country are).

    python bench/router.py [--routes 1000] [--messages 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import phonenumbers

from parcelsms.domain.route_plans import ChannelConditions, route
from parcelsms.domain.routing import MessageFacts, Route, RouteTable, Strategy

COUNTRIES = (
    "ES", "MX", "BR", "AR", "CO", "CL", "PE", "US", "CA", "GB", "DE", "FR", "IT", "PT", "NL",
    "BE", "PL", "SE", "NO", "DK", "IN", "ID", "PH", "VN", "TH", "MY", "JP", "KR", "AU", "ZA",
)  # fmt: skip
CHANNELS = tuple(f"carrier-{n}" for n in range(12))
CARRIERS = ("Vivo", "Claro", "TIM", "Movistar", "Vodafone", "Orange", "O2", "Telcel")
SENDERS = ("Parcels", "Shop", "Track", "Forward")
STRATEGIES: tuple[Strategy, ...] = ("priority", "weighted", "least_cost")


def example_numbers(country: str, count: int, rng: random.Random) -> list[str]:
    """``count`` valid mobile numbers of ``country`` (from libphonenumber's example)."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None, country
    base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    found: list[str] = []
    while len(found) < count:
        candidate = base[:-4] + f"{rng.randrange(10_000):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            found.append(candidate)
    return found


def build_table(size: int, numbers: dict[str, list[str]], rng: random.Random) -> RouteTable:
    accounts = [f"acc_{n:03d}" for n in range(40)]
    routes: list[Route] = []
    while len(routes) < size - 1:
        country = rng.choice(COUNTRIES)
        channels = tuple(rng.sample(CHANNELS, rng.randint(1, 4)))
        strategy = rng.choice(STRATEGIES)
        kind = rng.random()
        filters: dict[str, object] = {}
        if kind < 0.4:
            filters["accounts"] = frozenset(rng.sample(accounts, rng.randint(1, 3)))
        elif kind < 0.7:
            number = rng.choice(numbers[country])
            filters["prefixes"] = (number[: rng.randint(4, 6)],)
        elif kind < 0.8:
            filters["carriers"] = (rng.choice(CARRIERS),)
        elif kind < 0.9:
            filters["sender_ids"] = frozenset({rng.choice(SENDERS)})
        routes.append(
            Route(
                countries=frozenset({country}),
                channels=channels,
                strategy=strategy,
                weights=tuple(rng.randint(0, 5) + 1 for _ in channels)
                if strategy == "weighted"
                else (),
                delivery_floor=0.8 if strategy == "least_cost" else 0.0,
                name=f"route-{len(routes)}",
                **filters,  # type: ignore[arg-type]
            )
        )
    routes.append(Route("*", CHANNELS[:3], name="catch-all"))
    return RouteTable(routes, CHANNELS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routes", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    rng = random.Random(15)
    numbers = {country: example_numbers(country, 200, rng) for country in COUNTRIES}
    table = build_table(options.routes, numbers, rng)
    conditions = ChannelConditions(
        down=frozenset(CHANNELS[-2:]),
        delivery_rates={(c, k): rng.random() for c in CHANNELS for k in COUNTRIES},
        costs={(c, "*"): rng.randrange(5_000, 50_000) for c in CHANNELS},
    )
    facts = []
    for _ in range(5_000):
        country = rng.choice(COUNTRIES)
        number = rng.choice(numbers[country])
        facts.append(
            MessageFacts(
                country=country,
                e164=number,
                account_id=f"acc_{rng.randrange(20):03d}",
                sender_id=rng.choice((None, *SENDERS)),
                key=number,
            )
        )
    looked_at = statistics.mean(
        table.candidates(item.country).index(matched) + 1
        for item in facts
        if (matched := table.match(item)) is not None
    )
    for item in facts:  # warm the carrier lookups, as a running process would have them
        route(item, table, conditions)
    rates = []
    for _ in range(options.repeat):
        started = time.perf_counter()
        for index in range(options.messages):
            route(facts[index % len(facts)], table, conditions)
        rates.append(options.messages / (time.perf_counter() - started))
    rate = statistics.median(rates)
    print(f"routes in the table: {len(table)}")
    print(f"plans per second: {rate:,.0f} (median of {options.repeat}; {1e6 / rate:.1f} µs each)")
    print(f"routes looked at per message: {looked_at:.1f} (of {len(table)})")


if __name__ == "__main__":
    main()
