"""Throughput across 4 carrier channels, each with its own configured TPS: achieved vs configured.

Four carrier simulators (``parcelsms.testing.started_simulator``, real SMPP over loopback),
the platform in this process (the test suite's ``running_platform``: real SQLite file, real
dispatcher and SMPP channels, the API over ASGI), and one route per destination country so
each channel gets its own share of the load. Every channel is given ``--seconds`` worth of
messages at its configured rate, all accepted up front; the achieved rate of a channel is
measured on its simulator's clock from the accepted submits, leaving out the first second
(the bind's rate ramps up from an empty token bucket).

    python bench/channels_tps.py [--tps 50,100,150,200] [--seconds 10]

Prints, per channel: configured TPS, messages, achieved submits/s (steady state) and the
ratio, and the throttled answers (there should be none: the simulators do not throttle).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))

from channel_chaos import send, statuses
from platform_process import mobile_numbers
from secured_platform import running_platform

from parcelsms.simulator.carrier import CarrierSimulator
from parcelsms.testing import started_simulator

COUNTRIES = ("GB", "DE", "ES", "NL")


def config(ports: list[int], rates: list[float]) -> str:
    tables = []
    for index, (port, tps) in enumerate(zip(ports, rates, strict=True)):
        name = f"carrier-{index + 1}"
        tables.append(
            f'[[channels]]\nname = "{name}"\nhost = "127.0.0.1"\nport = {port}\n'
            f'system_id = "bench"\npassword = "secret"\ntps = {tps}\nwindow = 100\n'
        )
    for index, country in enumerate(COUNTRIES[: len(ports)]):
        tables.append(
            f'[[routes]]\ncountries = ["{country}"]\nchannels = ["carrier-{index + 1}"]\n'
        )
    tables.append("[limits]\nrecipient_per_hour = 0\nrecipient_per_day = 0\n")
    tables.append('[dispatch]\nvalidity = "1h"\n')
    return "\n".join(tables)


def accepted_times(simulator: CarrierSimulator) -> list[float]:
    return sorted(r.received_at for r in simulator.submits if r.command_status == 0)


def steady_rate(times: list[float]) -> float:
    """Submits per second after the first second of the channel's sending."""
    steady = [at for at in times if at >= times[0] + 1.0]
    if len(steady) < 2:
        return float("nan")
    return (len(steady) - 1) / (steady[-1] - steady[0])


async def main(rates: list[float], seconds: float) -> int:
    with tempfile.TemporaryDirectory(prefix="channels-tps-") as directory:
        simulators = [started_simulator("happy") for _ in rates]
        started = [await simulator.__aenter__() for simulator in simulators]
        try:
            text = config([simulator.port for simulator in started], rates)
            security = "key_rate_limit = 100000.0\nkey_rate_burst = 1000000\n"
            async with running_platform(Path(directory), text, security=security) as platform:
                sender = await platform.sender("bench", balance_micros=10**12)
                await platform.wait_for(
                    lambda: all(c.is_available for c in platform.platform.channels.values()),
                    timeout=10,
                )
                numbers: list[str] = []
                for country, tps in zip(COUNTRIES, rates, strict=False):
                    numbers += mobile_numbers(country, int(tps * seconds))
                began = time.perf_counter()
                ids = await send(sender, numbers)
                accepted_in = time.perf_counter() - began
                total = len(ids)
                await platform.wait_for(
                    lambda: sum(s.stats.submits_accepted for s in started) >= total,
                    timeout=seconds * 4 + 30,
                )
                elapsed = time.perf_counter() - began
                found = await statuses(sender, ids[:50])
        finally:
            for simulator in reversed(simulators):
                await simulator.__aexit__(None, None, None)
    print(f"{total} messages accepted in {accepted_in:.1f}s; all submitted after {elapsed:.1f}s")
    print(f"sample statuses: {sorted({body['status'] for body in found.values()})}")
    print(
        f"{'channel':<10} {'configured':>10} {'messages':>9} {'achieved/s':>11} {'ratio':>6} "
        f"{'throttled':>9} {'sending from..to (s)':>21}"
    )
    all_times = [accepted_times(simulator) for simulator in started]
    origin = min(times[0] for times in all_times)
    worst = 1.0
    for index, (simulator, times, tps) in enumerate(zip(started, all_times, rates, strict=True)):
        rate = steady_rate(times)
        ratio = rate / tps
        worst = min(worst, ratio)
        span = f"{times[0] - origin:.1f}..{times[-1] - origin:.1f}"
        print(
            f"carrier-{index + 1:<2} {tps:>10.0f} {len(times):>9} {rate:>11.1f} {ratio:>6.2f} "
            f"{simulator.stats.throttled:>9} {span:>21}"
        )
    return 0 if worst > 0.8 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tps", default="50,100,150,200", help="comma-separated, one per channel")
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    tps = [float(value) for value in arguments.tps.split(",")]
    if not 1 <= len(tps) <= len(COUNTRIES):
        parser.error(f"give 1 to {len(COUNTRIES)} rates")
    sys.exit(asyncio.run(main(tps, arguments.seconds)))
