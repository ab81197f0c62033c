"""``parcelsms simulate-carrier`` as a process: its first line, its stats, its exit."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

from parcelsms.pipeline.sandbox_numbers import CODE_TEXT
from parcelsms.protocol.smpp.client import SmppClient, SmppClientConfig
from parcelsms.testing import DeliveryCollector, submit_sm

LISTENING = re.compile(r"^parcelsms-simulator listening on 127\.0\.0\.1:(\d+)$")
COUNTERS = {
    "binds", "submits", "submit_errors_injected", "throttled", "dropped_connections",
    "unanswered", "receipts_sent", "receipts_acked", "mo_sent", "malformed_sent",
}  # fmt: skip


async def _start(*arguments: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "parcelsms.cli.main", "simulate-carrier", *arguments,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), 15)).decode().rstrip("\n")


async def test_the_process_announces_its_port_prints_stats_and_a_final_line_on_sigint() -> None:
    process = await _start("--host", "127.0.0.1", "--port", "0", "--stats")
    try:
        first = await _line(process)
        match = LISTENING.match(first)
        assert match, first
        collector = DeliveryCollector()
        client = SmppClient(
            SmppClientConfig("127.0.0.1", int(match[1]), "anyone", "anything"), collector
        )
        await client.start()
        try:
            assert await client.wait_bound(5)
            outcomes = [await client.submit(submit_sm(f"3460000000{n}")) for n in range(3)]
            await collector.wait_for_receipts(3)
            periodic = json.loads(await _line(process))  # one arrives every second
        finally:
            await client.close()
        process.send_signal(signal.SIGINT)
        lines = [json.loads(line) for line in (await process.communicate())[0].splitlines()]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert all(outcome.accepted for outcome in outcomes)
    assert set(periodic) >= COUNTERS
    assert "final" not in periodic
    final = lines[-1]
    assert final["final"] is True
    assert final["binds"] == 1
    assert final["submits"] == 3
    assert final["receipts_sent"] == final["receipts_acked"] == 3
    assert process.returncode == 0


async def test_the_submit_log_option_writes_every_submit_received_at_exit(
    tmp_path: Path,
) -> None:
    log = tmp_path / "submits.jsonl"
    process = await _start("--port", "0", "--behaviour", "reject_all", "--submit-log", str(log))
    try:
        match = LISTENING.match(await _line(process))
        assert match
        client = SmppClient(SmppClientConfig("127.0.0.1", int(match[1]), "shop-a", "x"))
        await client.start()
        try:
            assert await client.wait_bound(5)
            for number in ("34600000001", "34600000002", "34600000001"):
                await client.submit(submit_sm(number, f"parcel for {number}"))
        finally:
            await client.close()
        assert not log.exists()  # written when the process stops, off the submit path
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 15)

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(e["destination"], e["text"]) for e in entries] == [
        ("34600000001", "parcel for 34600000001"),
        ("34600000002", "parcel for 34600000002"),
        ("34600000001", "parcel for 34600000001"),
    ]
    assert {e["system_id"] for e in entries} == {"shop-a"}
    assert {e["message_id"] for e in entries} == {""}  # reject_all: none accepted
    assert all(e["command_status"] not in (None, 0) for e in entries)


async def test_a_bad_scenario_file_stops_the_process_naming_the_key(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text('[[rules]]\nprefix = "34"\nthrottle_tps = -3\n')

    process = await _start("--port", "0", "--scenario", str(scenario))
    stdout, stderr = await asyncio.wait_for(process.communicate(), 15)

    assert process.returncode == 1
    assert stdout == b""
    assert b"rules[0].throttle_tps" in stderr


async def test_a_scenario_and_a_behaviour_together_are_a_usage_error(tmp_path: Path) -> None:
    scenario = tmp_path / "ok.toml"
    scenario.write_text("seed = 1\n")

    process = await _start("--port", "0", "--scenario", str(scenario), "--behaviour", "happy")
    _, stderr = await asyncio.wait_for(process.communicate(), 15)

    assert process.returncode == 2
    assert b"not both" in stderr


async def test_a_named_behaviour_runs_from_the_command_line() -> None:
    process = await _start("--port", "0", "--behaviour", "reject_all")
    try:
        match = LISTENING.match(await _line(process))
        assert match
        client = SmppClient(SmppClientConfig("127.0.0.1", int(match[1]), "a", "b"))
        await client.start()
        try:
            assert await client.wait_bound(5)
            outcome = await client.submit(submit_sm("34600000001"))
        finally:
            await client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 15)

    assert not outcome.accepted
    assert outcome.reason == "ESME_RSUBMITFAIL"
    assert process.returncode == 0


async def test_the_id_style_option_and_sighup_restart_number_ids_from_1_again() -> None:
    process = await _start("--port", "0", "--message-id-style", "hex_sequential", "--stats")
    try:
        match = LISTENING.match(await _line(process))
        assert match
        client = SmppClient(
            SmppClientConfig("127.0.0.1", int(match[1]), "a", "b", reconnect_initial_delay=0.05)
        )
        await client.start()
        try:
            assert await client.wait_bound(5)
            before = [(await client.submit(submit_sm(f"346000000{n:02d}"))).message_id
                      for n in range(11)]  # fmt: skip
            process.send_signal(signal.SIGHUP)
            while json.loads(await _line(process))["restarts"] == 0:
                pass  # one stats line a second; the restart takes a few milliseconds
            assert await client.wait_bound(5)
            after = (await client.submit(submit_sm("34600000099"))).message_id
        finally:
            await client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 15)

    assert before[-2:] == ["a", "b"]
    assert after == "1"


async def test_a_verification_code_is_logged_masked_and_listed_in_the_stats() -> None:
    text = CODE_TEXT.format(code="482913", minutes=10)
    process = await _start("--port", "0", "--stats")
    try:
        match = LISTENING.match(await _line(process))
        assert match
        client = SmppClient(SmppClientConfig("127.0.0.1", int(match[1]), "a", "b"))
        await client.start()
        try:
            assert await client.wait_bound(5)
            assert (await client.submit(submit_sm("447911123456", text))).accepted
            assert (await client.submit(submit_sm("447911123457"))).accepted
            stats = json.loads(await _line(process))
        finally:
            await client.close()
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)

    assert [(c["to"], c["code"]) for c in stats["confirmation_codes"]] == [
        ("44791****456", "482913")
    ]
    logged = [json.loads(line) for line in stderr.decode().splitlines() if "482913" in line]
    assert [(line["event"], line["to"]) for line in logged] == [
        ("simulator received a verification code", "44791****456")
    ]
    assert b"447911123456" not in stderr
