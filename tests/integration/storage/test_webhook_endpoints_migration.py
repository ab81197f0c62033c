"""Upgrading a database from before several webhook endpoints (revision 0005 → head)."""

from __future__ import annotations

from alembic import command
from database_peek import json_value, peek

from parcelsms.adapters.storage.engine.backends import migration_engine
from parcelsms.adapters.storage.engine.migrate import alembic_config

AT = "2030-01-01 00:00:00"


def test_the_one_endpoint_becomes_the_default_and_its_deliveries_follow_it(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    engine = migration_engine(url)
    config = alembic_config(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0005")
        with peek(url) as raw:
            raw.execute(
                "INSERT INTO accounts (id, name, status, currency, balance_micros,"
                " reserved_micros, created_at) VALUES ('acc_1', 'a', 'active', 'EUR', 0, 0, ?)",
                (AT,),
            )
            raw.execute(
                "INSERT INTO messages (id, account_id, to_e164, country, body, encoding,"
                " segments, price_micros, currency, billing, status, route_plan, route_index,"
                " next_attempt_at, valid_until, flags, created_at, updated_at) VALUES"
                " ('msg_1', 'acc_1', '+447911123456', 'GB', 'x', 'GSM7', 1, 0, 'EUR',"
                " 'settled', 'delivered', '[]', 0, ?, ?, '[]', ?, ?)",
                (AT, AT, AT, AT),
            )
            raw.execute(
                "INSERT INTO webhook_endpoints VALUES ('acc_1', 'https://all.example/h',"
                " 'whsec_old', ?)",
                (AT,),
            )
            for row_id, message_id, target, payload, status in [
                ("evt_1", "msg_1", "https://all.example/h", "{}", "failed"),
                ("evt_2", "msg_1", "https://own.example/cb", "{}", "pending"),
                (
                    "evt_3",
                    None,
                    "https://all.example/h",
                    '{"type":"account.threshold_warning"}',
                    "delivered",
                ),
                ("evt_4", None, "https://all.example/h", '{"type":"balance.low"}', "pending"),
            ]:
                raw.execute(
                    "INSERT INTO webhook_outbox (id, account_id, message_id, url, payload,"
                    " status, attempts, next_attempt_at, created_at) VALUES"
                    " (?, 'acc_1', ?, ?, ?, ?, 1, ?, ?)",
                    (row_id, message_id, target, payload, status, AT, AT),
                )
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()

    with peek(url) as raw:
        ((endpoint_id, account_id, endpoint_url, types, is_default, enabled, secret),) = (
            raw.execute(
                "SELECT id, account_id, url, event_types, is_default, enabled, secret"
                " FROM webhook_endpoints"
            ).fetchall()
        )
        rows = raw.execute(
            "SELECT id, event_id, endpoint_id, event_type, status FROM webhook_outbox ORDER BY id"
        ).fetchall()

    assert endpoint_id.startswith("whe_")
    assert len(endpoint_id) == len("whe_") + 26
    assert (account_id, endpoint_url, is_default, enabled, secret) == (
        "acc_1",
        "https://all.example/h",
        1,
        1,
        "whsec_old",
    )
    assert json_value(types) == [
        "message.status",
        "message.inbound",
        "balance.low",
        "limit.warning",
    ]
    assert rows == [
        ("evt_1", "evt_1", endpoint_id, "message.status", "dead"),
        ("evt_2", "evt_2", None, "message.status", "pending"),
        ("evt_3", "evt_3", endpoint_id, "limit.warning", "delivered"),
        ("evt_4", "evt_4", endpoint_id, "balance.low", "pending"),
    ]
