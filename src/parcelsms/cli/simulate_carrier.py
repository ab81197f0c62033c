"""``parcelsms simulate-carrier``: run the carrier simulator as a process.

Contract for scripts (the benchmark and tests rely on it): the first line on stdout is
``parcelsms-simulator listening on HOST:PORT``, printed and flushed once the port is open
(``--port 0`` picks a free one). With ``--stats``, one JSON object per line follows every
second, and a last one with ``"final": true`` when the process stops (SIGINT or SIGTERM:
bound ESMEs are asked to unbind, then connections close). SIGHUP restarts the simulated
SMSC on the same port, numbering message ids from the first one again
(:meth:`CarrierSimulator.restart`). The stats' ``confirmation_codes`` lists the latest
test-number verification codes received (``to`` masked, ``code``, ``at``); each is also
logged on stderr when it arrives, the only place a code sent to a simulated phone can be
read.
With ``--submit-log FILE``, every submit_sm kept in the simulator's submit log (the last
100,000) is written to FILE when the process stops, one JSON object per line (see
:func:`_write_submit_log`): the record of what the carrier was sent, for tests that count it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click

from parcelsms.cli.logging_setup import configure_logging
from parcelsms.domain.magic_numbers import simulator_prefixes
from parcelsms.domain.numbers import mask_number
from parcelsms.errors import ScenarioError
from parcelsms.simulator import (
    BEHAVIOURS,
    CarrierSimulator,
    MessageIdStyle,
    Scenario,
    behaviour,
    load_scenario,
)
from parcelsms.simulator.magic_numbers import with_magic_numbers

STATS_INTERVAL = 1.0


@click.command("simulate-carrier")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=2775,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="TCP port; 0 picks a free one (read it from the first line of output).",
)
@click.option(
    "--scenario",
    "scenario_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario file (TOML); see docs/smpp.md.",
)
@click.option(
    "--behaviour",
    "behaviour_name",
    type=click.Choice(sorted(BEHAVIOURS)),
    help="A named built-in scenario instead of a file.",
)
@click.option(
    "--message-id-style",
    "id_style",
    type=click.Choice([style.value for style in MessageIdStyle]),
    help="How message ids are numbered and written (overrides the scenario's "
    "message_id_style; default hex_padded).",
)
@click.option("--stats", is_flag=True, help="Print counters as one JSON line per second.")
@click.option(
    "--window",
    default=100,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Outstanding deliver_sm allowed per bind.",
)
@click.option(
    "--submit-log",
    "submit_log",
    type=click.Path(dir_okay=False, path_type=Path),
    help="At exit, write every submit_sm received (the last 100,000) to this file as JSON lines.",
)
@click.option(
    "--no-uvloop",
    is_flag=True,
    help="Use the standard asyncio loop even when uvloop is installed.",
)
def simulate_carrier(
    host: str,
    port: int,
    scenario_path: Path | None,
    behaviour_name: str | None,
    id_style: str | None,
    stats: bool,
    window: int,
    submit_log: Path | None,
    no_uvloop: bool,
) -> None:
    """Run a simulated carrier SMSC (SMPP 3.4) until interrupted.

    Without --scenario or --behaviour it accepts any system_id and password, answers every
    submit_sm with a fresh message id and sends a DELIVRD receipt after 50 ms.
    """
    if scenario_path is not None and behaviour_name is not None:
        raise click.UsageError("give --scenario or --behaviour, not both")
    try:
        if scenario_path is not None:
            scenario = load_scenario(scenario_path)
        elif behaviour_name is not None:
            scenario = behaviour(behaviour_name)
        else:
            scenario = Scenario()
        # The documented magic numbers behave the same here as in the embedded simulator.
        scenario = with_magic_numbers(scenario, simulator_prefixes())
        if id_style is not None:
            scenario = dataclasses.replace(scenario, message_id_style=MessageIdStyle(id_style))
    except ScenarioError as error:
        raise click.ClickException(f"invalid scenario: {error}") from None
    configure_logging("info", "json")
    _run(
        _serve(scenario, host, port, stats=stats, window=window, submit_log=submit_log),
        use_uvloop=not no_uvloop,
    )


def _run(main: Coroutine[Any, Any, None], *, use_uvloop: bool) -> None:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(main)
            return
    asyncio.run(main)


async def _serve(
    scenario: Scenario,
    host: str,
    port: int,
    *,
    stats: bool,
    window: int,
    submit_log: Path | None = None,
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    simulator = CarrierSimulator(scenario, window=window, number_mask=mask_number)
    try:
        bound_port = await simulator.start(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None
    restarts: set[asyncio.Task[None]] = set()

    def restart() -> None:
        task = loop.create_task(simulator.restart())
        restarts.add(task)
        task.add_done_callback(restarts.discard)

    loop.add_signal_handler(signal.SIGHUP, restart)
    _emit(f"parcelsms-simulator listening on {host}:{bound_port}")
    started = loop.time()
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), STATS_INTERVAL)
            except TimeoutError:
                if stats:
                    _emit(_stats_line(simulator, loop.time() - started))
    finally:
        await asyncio.gather(*restarts, return_exceptions=True)  # then close for good
        await simulator.close()
        if submit_log is not None:
            _write_submit_log(simulator, submit_log)
        if stats:
            _emit(_stats_line(simulator, loop.time() - started, final=True))


def _stats_line(simulator: CarrierSimulator, uptime: float, *, final: bool = False) -> str:
    line: dict[str, object] = {"uptime": round(uptime, 3), **simulator.stats.as_dict()}
    line["pending_deliveries"] = simulator.pending_deliveries
    line["confirmation_codes"] = [
        code.as_dict() for code in list(simulator.confirmation_codes.latest)[-5:]
    ]
    if final:
        line["final"] = True
    return json.dumps(line, separators=(",", ":"))


def _write_submit_log(simulator: CarrierSimulator, path: Path) -> None:
    """One JSON line per submit kept, oldest first: ``system_id``, ``source``,
    ``destination``, ``text``, ``message_id`` ("" when not accepted) and ``command_status``
    (``null``: never answered). Numbers are written in full: the file is the operator's own
    record of their test traffic, unlike the log."""
    with path.open("w", encoding="utf-8") as log:
        for record in simulator.submits:
            entry = {
                "system_id": record.system_id,
                "source": record.source,
                "destination": record.destination,
                "text": record.text,
                "message_id": record.message_id,
                "command_status": record.command_status,
            }
            log.write(json.dumps(entry, separators=(",", ":")) + "\n")


def _emit(line: str) -> None:
    try:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        pass  # whoever read our output has gone; keep serving until told to stop
