"""API key rows with scopes, allowlists, limits and sealed signing keys; request nonces.

The plaintext key and the signing key are made by the caller (the account store); rows
hold only ``HMAC(pepper, secret)`` and the sealed signing key. Creations and revocations are
audited in their own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts import profile_read_rows
from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.account_tables import api_keys, request_nonces
from parcelsms.domain.api_keys import ADMIN_SCOPE, OPERATOR_SCOPES
from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor, KeyGrant, KeyRecord, KeySpec

MAX_ACTIVE_KEYS = 50


@dataclass(frozen=True, slots=True)
class KeyRow:
    """What authentication needs from a key's row."""

    grant: KeyGrant
    secret_hash: str
    sealed_signing_key: str | None
    revoked: bool


def _tuple(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _record(row: Any) -> KeyRecord:
    return KeyRecord(
        id=row.id,
        account_id=row.account_id,
        label=row.label,
        scopes=tuple(row.scopes or ()),
        allowed_networks=_tuple(row.allowed_networks),
        require_signature=bool(row.require_signature),
        rate_per_second=row.rate_per_second,
        rate_burst=row.rate_burst,
        can_sign=row.signing_key is not None,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        query_key_allowed=bool(row.query_key_allowed),
    )


def key_snapshot(record: KeyRecord) -> dict[str, Any]:
    """The audit log's view of a key (no secret, no hash)."""
    return {
        "label": record.label,
        "scopes": list(record.scopes),
        "allowed_networks": None
        if record.allowed_networks is None
        else list(record.allowed_networks),
        "require_signature": record.require_signature,
        "rate_per_second": record.rate_per_second,
        "rate_burst": record.rate_burst,
        "query_key_allowed": record.query_key_allowed,
        "revoked_at": None if record.revoked_at is None else record.revoked_at.isoformat(),
    }


def read_key_row(connection: Connection, key_id: str) -> KeyRow | None:
    row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    if row is None:
        return None
    grant = KeyGrant(
        key_id=row.id,
        account_id=row.account_id,
        scopes=tuple(row.scopes or ()),
        allowed_networks=_tuple(row.allowed_networks),
        require_signature=bool(row.require_signature),
        rate_per_second=row.rate_per_second,
        rate_burst=row.rate_burst,
        query_key_allowed=bool(row.query_key_allowed),
    )
    return KeyRow(
        grant=grant,
        secret_hash=row.secret_hash,
        sealed_signing_key=row.signing_key,
        revoked=row.revoked_at is not None,
    )


def read_key_record(connection: Connection, key_id: str) -> KeyRecord | None:
    row = connection.execute(select(api_keys).where(api_keys.c.id == key_id)).first()
    return None if row is None else _record(row)


def read_key_records(connection: Connection, account_id: str | None) -> list[KeyRecord]:
    query = select(api_keys).order_by(api_keys.c.id)
    if account_id is not None:
        query = query.where(api_keys.c.account_id == account_id)
    return [_record(row) for row in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class NewKey:
    key_id: str
    account_id: str
    spec: KeySpec
    secret_hash: str
    sealed_signing_key: str
    actor: Actor


@dataclass(frozen=True, slots=True)
class Revocation:
    key_id: str
    account_id: str | None
    actor: Actor


@dataclass(frozen=True, slots=True)
class Nonce:
    key_id: str
    nonce: str
    expires_at: datetime


class KeyOperations:
    """Bulk functions for key writes (one item at a time inside the writer's group)."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def create(
        self, connection: Connection, items: list[NewKey]
    ) -> Sequence[KeyRecord | CatalogueError]:
        results: list[KeyRecord | CatalogueError] = []
        for item in items:
            problem = self._refusal(connection, item)
            if problem is not None:
                results.append(problem)
                continue
            spec = item.spec
            now = self._context.clock()
            connection.execute(
                api_keys.insert().values(
                    id=item.key_id,
                    account_id=item.account_id,
                    secret_hash=item.secret_hash,
                    label=spec.label,
                    created_at=now,
                    revoked_at=None,
                    last_used_at=None,
                    scopes=list(spec.scopes),
                    allowed_networks=None
                    if spec.allowed_networks is None
                    else list(spec.allowed_networks),
                    require_signature=spec.require_signature,
                    rate_per_second=spec.rate_per_second,
                    rate_burst=spec.rate_burst,
                    signing_key=item.sealed_signing_key,
                    query_key_allowed=spec.query_key_allowed,
                )
            )
            record = read_key_record(connection, item.key_id)
            if record is None:  # pragma: no cover - inserted just above
                raise RuntimeError("the new key row vanished")
            write_audit(
                connection,
                item.actor,
                "key.create",
                at=now,
                target_type="api_key",
                target_id=item.key_id,
                account_id=item.account_id,
                before=None,
                after=key_snapshot(record),
            )
            results.append(record)
        return results

    def _refusal(self, connection: Connection, item: NewKey) -> CatalogueError | None:
        profile = profile_read_rows.read_profile(connection, item.account_id)
        if profile is None:
            return error("not_found", "No such account.", field="account_id")
        scopes = set(item.spec.scopes)
        if profile.kind == "operator" and not scopes <= set(OPERATOR_SCOPES):
            return error(
                "invalid_request", "Operator keys hold only the admin scope.", field="scopes"
            )
        if profile.kind != "operator" and ADMIN_SCOPE in scopes:
            return error(
                "invalid_request", "The admin scope is only for operator keys.", field="scopes"
            )
        active = connection.execute(
            select(func.count())
            .select_from(api_keys)
            .where(api_keys.c.account_id == item.account_id, api_keys.c.revoked_at.is_(None))
        ).scalar_one()
        if active >= MAX_ACTIVE_KEYS:
            return error(
                "resource_limit",
                f"The account has {MAX_ACTIVE_KEYS} active API keys, the limit; revoke one first.",
            )
        return None

    def revoke(self, connection: Connection, items: list[Revocation]) -> Sequence[KeyRecord | None]:
        results: list[KeyRecord | None] = []
        for item in items:
            before = read_key_record(connection, item.key_id)
            if before is None or (
                item.account_id is not None and before.account_id != item.account_id
            ):
                results.append(None)
                continue
            if before.revoked_at is not None:
                results.append(before)
                continue
            now = self._context.clock()
            connection.execute(
                api_keys.update().where(api_keys.c.id == item.key_id).values(revoked_at=now)
            )
            after = read_key_record(connection, item.key_id)
            write_audit(
                connection,
                item.actor,
                "key.revoke",
                at=now,
                target_type="api_key",
                target_id=item.key_id,
                account_id=before.account_id,
                before=key_snapshot(before),
                after=None if after is None else key_snapshot(after),
            )
            results.append(after)
        return results

    def remember_nonces(self, connection: Connection, items: list[Nonce]) -> Sequence[bool]:
        """``True`` for a nonce not seen (unexpired) before, which is recorded; ``False`` else."""
        now = self._context.clock()
        seen: set[tuple[str, str]] = set()
        results: list[bool] = []
        for item in items:
            pair = (item.key_id, item.nonce)
            if pair in seen:
                results.append(False)
                continue
            seen.add(pair)
            row = connection.execute(
                select(request_nonces.c.expires_at).where(
                    request_nonces.c.key_id == item.key_id, request_nonces.c.nonce == item.nonce
                )
            ).first()
            if row is not None and row.expires_at > now:
                results.append(False)
                continue
            if row is not None:
                connection.execute(
                    delete(request_nonces).where(
                        request_nonces.c.key_id == item.key_id,
                        request_nonces.c.nonce == item.nonce,
                    )
                )
            connection.execute(
                request_nonces.insert().values(
                    key_id=item.key_id, nonce=item.nonce, expires_at=item.expires_at
                )
            )
            results.append(True)
        return results

    def purge_nonces(self, connection: Connection, items: list[datetime]) -> Sequence[int]:
        """Delete nonces that expired before the given time."""
        cutoff = min(items)
        deleted = connection.execute(
            delete(request_nonces).where(request_nonces.c.expires_at < cutoff)
        )
        return [deleted.rowcount] * len(items)
