"""Error bodies: documented extras are rendered, anything else an error carries stays inside."""

from __future__ import annotations

import json

from parcelsms.api.error_responses import error_info, error_response
from parcelsms.domain.error_catalogue import error, internal_error


def test_money_extras_are_decimal_strings() -> None:
    problem = error(
        "insufficient_balance", missing_micros=30_000, available_micros=10_000, price_micros=40_000
    )

    info = error_info(problem)

    assert (info.missing, info.available, info.price) == ("0.03", "0.01", "0.04")


def test_undocumented_extras_never_reach_the_body() -> None:
    problem = error("invalid_number", field="to", raw_input="+44 secret", missing_micros="x")

    body = json.loads(error_response(problem).body)

    assert body == {"error": {"code": "invalid_number", "message": problem.message, "field": "to"}}


def test_status_comes_from_the_catalogue() -> None:
    assert error_response(error("insufficient_balance")).status_code == 402
    assert error_response(error("idempotency_conflict")).status_code == 409


def test_unauthorized_asks_for_a_bearer_token() -> None:
    response = error_response(error("unauthorized"))

    assert response.headers["www-authenticate"] == "Bearer"


def test_internal_error_carries_the_request_id() -> None:
    body = json.loads(error_response(internal_error("req_1")).body)

    assert body["error"]["request_id"] == "req_1"
    assert body["error"]["code"] == "internal_error"
