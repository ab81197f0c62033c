"""The audit log's safety net for operator routes that do not write their own entries.

Operator actions of this package's account and key routes are audited by storage, in the
transaction of the change, with before/after snapshots (``ApiRoute.self_audited``). Any
other changing ``/admin/v1`` route (template and sender-ID review, and whatever is added
later) is wrapped here: after a successful answer, an entry records who (the caller), what
(``admin.<operation id>`` and the path's id), when, and the answer's JSON as ``after``.
``before`` is not known at this level; a route that can say more should audit itself.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from parcelsms.api.authentication import caller_of
from parcelsms.api.route_table import ApiRoute
from parcelsms.domain.api_keys import ADMIN_SCOPE
from parcelsms.pipeline.account_security_ports import AuditStore


def with_audit_fallback(table: Sequence[ApiRoute], store: AuditStore) -> list[ApiRoute]:
    """``table`` with every changing, not self-audited operator route audited."""
    return [
        _audited(route, store)
        if route.scope == ADMIN_SCOPE and route.method != "GET" and not route.self_audited
        else route
        for route in table
    ]


def _audited(route: ApiRoute, store: AuditStore) -> ApiRoute:
    handler = route.handler
    action = f"admin.{route.operation_id}"

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        response = await handler(request)
        caller = caller_of(request)
        if caller is not None and 200 <= response.status_code < 300:
            after = _json_object(bytes(response.body))
            account_id = after.get("account_id") if after is not None else None
            await store.record_audit(
                caller.actor,
                action,
                target_type=route.tag,
                target_id=request.path_params.get("id"),
                account_id=account_id if isinstance(account_id, str) else None,
                before=None,
                after=after,
            )
        return response

    return dataclasses.replace(route, handler=endpoint)


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, dict) else None
