"""The route book on a real SQLite file: a route another process stores is seen at once after
it announces the change, and the plan reads the channels' stored health and costs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from parcelsms.adapters.process.shared_changes import SharedChangeFile
from parcelsms.adapters.storage.sql_storage import SqlStorage, open_storage
from parcelsms.cli.main import main
from parcelsms.domain.route_plans import route
from parcelsms.domain.routing import MessageFacts, Route
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.channel_health import ChannelHealthBoard, ChannelLiveState
from parcelsms.pipeline.route_book import RouteBook
from parcelsms.pipeline.route_ports import RouteDefinition
from parcelsms.pipeline.ttl_cache import share_changes
from parcelsms.pipeline.webhook_payload import build_webhook_payload
from parcelsms.pipeline.webhook_policy import StatusWebhookPolicy

OPERATOR = Actor(name="cli:test")
CHANNELS = ("carrier-a", "carrier-b")
FILE_ROUTES = (Route("*", ("carrier-a", "carrier-b"), name="routes[0]"),)
US = MessageFacts(country="US", e164="+12015550123", key="+12015550123")


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[SqlStorage]:
    opened = await open_storage(
        f"sqlite:///{tmp_path / 'routes.db'}",
        pepper=b"pepper",
        webhook_policy=StatusWebhookPolicy(build_webhook_payload),
    )
    yield opened
    await opened.close()


async def test_a_route_stored_elsewhere_applies_at_once_after_the_change_is_announced(
    tmp_path: Path, storage: SqlStorage
) -> None:
    database = tmp_path / "routes.db"
    share_changes(SharedChangeFile(database))  # what build_platform does in a role process
    try:
        # Cached for an hour: only the change signal can make it read the table again.
        book = RouteBook(FILE_ROUTES, CHANNELS, storage.routes, max_age=3600)
        before = route(US, *(await book.current()))
        # Another process (the CLI, another API worker) stores a route, then announces.
        await storage.routes.create_route(
            RouteDefinition(countries=["US"], channels=["carrier-b"]), None, OPERATOR
        )
        cached = route(US, *(await book.current()))
        other_process = SharedChangeFile(database)
        other_process.announce()
        other_process.close()
        after = route(US, *(await book.current()))
    finally:
        share_changes(None)

    assert before == ("carrier-a", "carrier-b")
    assert cached == before
    assert after == ("carrier-b",)


async def test_this_processs_own_change_applies_to_the_next_message(storage: SqlStorage) -> None:
    book = RouteBook(FILE_ROUTES, CHANNELS, storage.routes, max_age=3600)
    await book.current()
    await storage.routes.create_route(
        RouteDefinition(countries=["US"], channels=["carrier-b"]), 0, OPERATOR
    )
    book.invalidate()

    assert route(US, *(await book.current())) == ("carrier-b",)


async def test_a_stored_route_naming_a_channel_no_longer_configured_is_left_out(
    storage: SqlStorage,
) -> None:
    await storage.routes.create_route(
        RouteDefinition(countries=["US"], channels=["retired"]), None, OPERATOR
    )
    book = RouteBook(FILE_ROUTES, CHANNELS, storage.routes)

    table, _ = await book.current()

    assert [item.name for item in table.routes] == ["routes[0]"]


async def test_plans_read_the_stored_health_and_costs_and_ignore_stale_snapshots(
    storage: SqlStorage,
) -> None:
    board = ChannelHealthBoard(CHANNELS)
    for _ in range(12):  # enough receipts to tell: carrier-a delivers 0 % to the US
        board.record_receipt("carrier-a", "US", delivered=False, latency_seconds=1.0)
    live = ChannelLiveState(
        binds=1,
        bound=1,
        configured_tps=10.0,
        current_tps=10.0,
        reconnects=0,
        recycles=0,
        last_error="",
    )
    down = ChannelLiveState(
        binds=1,
        bound=0,
        configured_tps=10.0,
        current_tps=0.0,
        reconnects=3,
        recycles=0,
        last_error="refused",
    )
    now = datetime.now(UTC)
    await storage.channel_health.save_channel_health(
        board.snapshots(now, {"carrier-a": live, "carrier-b": live})
    )
    await storage.billing.set_channel_cost("carrier-a", "*", 1000, OPERATOR)
    await storage.billing.set_channel_cost("carrier-b", "US", 3000, OPERATOR)
    await storage.routes.create_route(
        RouteDefinition(
            countries=["US"],
            channels=["carrier-a", "carrier-b"],
            strategy="least_cost",
            delivery_floor=0.8,
        ),
        None,
        OPERATOR,
    )
    book = RouteBook(FILE_ROUTES, CHANNELS, storage.routes, storage.channel_health, storage.billing)
    poor_delivery = route(US, *(await book.current()))

    await storage.channel_health.save_channel_health(
        ChannelHealthBoard(CHANNELS).snapshots(now, {"carrier-a": live, "carrier-b": down})
    )
    book = RouteBook(FILE_ROUTES, CHANNELS, storage.routes, storage.channel_health, storage.billing)
    b_down = route(US, *(await book.current()))

    long_ago = now - timedelta(minutes=5)
    await storage.channel_health.save_channel_health(
        ChannelHealthBoard(CHANNELS).snapshots(long_ago, {"carrier-a": down, "carrier-b": live})
    )
    stale = RouteBook(
        FILE_ROUTES,
        CHANNELS,
        storage.routes,
        storage.channel_health,
        storage.billing,
        wall_clock=lambda: now,
    )
    ignored = route(US, *(await stale.current()))

    assert poor_delivery == ("carrier-b", "carrier-a")  # cheaper, but under the floor
    assert b_down == ("carrier-a", "carrier-b")  # cheapest and delivering, b is down anyway
    assert ignored == ("carrier-a", "carrier-b")  # a stale "down" says nothing now


def test_the_command_line_lists_the_routes_and_explains_a_number(tmp_path: Path) -> None:
    database = tmp_path / "cli.db"

    async def prepare() -> None:
        storage = await open_storage(
            f"sqlite:///{database}",
            pepper=b"pepper",
            webhook_policy=StatusWebhookPolicy(build_webhook_payload),
        )
        try:
            await storage.routes.create_route(
                RouteDefinition(
                    countries=["BR"], carriers=["Vivo"], channels=["carrier-b", "carrier-a"]
                ),
                None,
                OPERATOR,
            )
        finally:
            await storage.close()

    asyncio.run(prepare())
    config = tmp_path / "cli.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{database}"\n'
        + "".join(
            f'[[channels]]\nname = "{name}"\nhost = "127.0.0.1"\nport = 2775\n'
            'system_id = "parcelsms"\npassword = "secret"\n'
            for name in CHANNELS
        )
    )
    listed = CliRunner().invoke(main, ["routes", "list", "--config", str(config)])
    vivo = CliRunner().invoke(
        main, ["routes", "explain", "--to", "+5511971234567", "--config", str(config)]
    )
    claro = CliRunner().invoke(
        main, ["routes", "explain", "--to", "+5511991234567", "--config", str(config)]
    )
    bad = CliRunner().invoke(main, ["routes", "explain", "--to", "+55", "--config", str(config)])

    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("1. rte_")
    assert lines[0].endswith("countries=BR carriers=Vivo  ->  priority: carrier-b, carrier-a")
    assert lines[1] == "2. routes[0]  countries=*  ->  priority: carrier-a, carrier-b"
    assert vivo.exit_code == 0, vivo.output
    assert vivo.output.splitlines()[0] == "+5511971234567 (BR, carrier Vivo), account -, sender -"
    assert vivo.output.splitlines()[1].endswith("matched")
    assert vivo.output.splitlines()[-1] == "plan now (priority): carrier-b, carrier-a"
    assert "failed  carriers: the number's carrier is Claro" in claro.output
    assert claro.output.splitlines()[-1] == "plan now (priority): carrier-a, carrier-b"
    assert bad.exit_code != 0
