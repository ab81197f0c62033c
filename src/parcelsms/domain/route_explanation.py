"""Why a message takes the route it takes: each route's verdict and the plan now (pure).

For ``parcelsms routes explain`` and ``GET /admin/v1/routes/explain``: every route of the
table in the order it is tried, with its verdict — ``matched`` (the first whose filters
all pass: it decides), ``failed`` (with the first filter that failed and why), or
``shadowed`` (its filters pass, but an earlier route matched first) — then the plan the
matched route gives right now, each channel with what the strategy looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from parcelsms.domain.route_plans import ChannelConditions, plan
from parcelsms.domain.routing import MessageFacts, Route, RouteTable, carrier_of, failed_filter

Verdict = Literal["matched", "failed", "shadowed"]


@dataclass(frozen=True, slots=True)
class RouteVerdict:
    route: Route
    verdict: Verdict
    failed_filter: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelNote:
    """One channel of the plan, as the strategy saw it."""

    channel: str
    down: bool
    cost_micros: int | None
    delivery_rate: float | None


@dataclass(frozen=True, slots=True)
class RouteExplanation:
    facts: MessageFacts
    carrier: str
    verdicts: tuple[RouteVerdict, ...]
    matched: Route | None
    plan: tuple[ChannelNote, ...]


def explain(
    facts: MessageFacts, table: RouteTable, conditions: ChannelConditions
) -> RouteExplanation:
    """Every route's verdict for ``facts`` and the plan now (module docstring)."""
    verdicts: list[RouteVerdict] = []
    matched: Route | None = None
    for route in table.routes:
        failed = failed_filter(route, facts)
        if failed is not None:
            verdicts.append(RouteVerdict(route, "failed", failed[0], failed[1]))
        elif matched is None:
            matched = route
            verdicts.append(RouteVerdict(route, "matched"))
        else:
            verdicts.append(RouteVerdict(route, "shadowed", reason="an earlier route matched"))
    notes: tuple[ChannelNote, ...] = ()
    if matched is not None:
        notes = tuple(
            ChannelNote(
                channel=name,
                down=name in conditions.down,
                cost_micros=conditions.cost(name, facts.country),
                delivery_rate=conditions.delivery_rates.get((name, facts.country)),
            )
            for name in plan(matched, facts, conditions)
        )
    return RouteExplanation(
        facts=facts,
        carrier=carrier_of(facts.e164),
        verdicts=tuple(verdicts),
        matched=matched,
        plan=notes,
    )
