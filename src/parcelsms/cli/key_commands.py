"""Operator commands for API keys and the audit log.

``parcelsms keys create ACCOUNT`` makes a sender key (every sender scope unless ``--scope``
says otherwise); ``parcelsms keys create --operator`` makes an operator key (scope ``admin``)
for the ``/admin/v1`` API. The plaintext key is the last line printed, shown once.
"""

from __future__ import annotations

import json

import click

from parcelsms.adapters.storage import SqlStorage
from parcelsms.cli.operator_commands import cli_actor, find_account, with_storage
from parcelsms.cli.settings_loader import config_option
from parcelsms.domain.api_keys import (
    DEFAULT_SENDER_SCOPES,
    OPERATOR_SCOPES,
    SENDER_SCOPES,
    canonical_scopes,
)
from parcelsms.domain.ip_allowlist import parse_allowlist
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import (
    AuditEntry,
    AuditFilter,
    CreatedKey,
    KeyRecord,
    KeySpec,
)


@click.group("keys")
def keys() -> None:
    """API keys (sender and operator keys)."""


@keys.command("create")
@click.argument("account", required=False)
@click.option("--operator", is_flag=True, help="An operator key (scope admin) instead.")
@click.option("--label", default="", help="A note to recognise the key by.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SENDER_SCOPES),
    help="A scope of a sender key (repeat); default: every sender scope but legacy_get.",
)
@click.option("--allow", "networks", multiple=True, help="An allowed CIDR network (repeat).")
@click.option("--require-signature", is_flag=True, help="Refuse the key as a Bearer token.")
@click.option(
    "--allow-query-key",
    is_flag=True,
    help="Accept the key as the api_key query parameter of GET /v1/messages/send (over "
    "HTTPS only; the URL may be logged by proxies: see docs/api.md).",
)
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), help="Requests per second.")
@click.option("--burst", type=click.IntRange(min=1), help="Burst size (with --rate).")
@config_option
def create_key(
    account: str | None,
    operator: bool,
    label: str,
    scopes: tuple[str, ...],
    networks: tuple[str, ...],
    require_signature: bool,
    allow_query_key: bool,
    rate: float | None,
    burst: int | None,
    config_path: str | None,
) -> None:
    """Create an API key for ACCOUNT (name or id), or an operator key with --operator."""
    if operator == (account is not None):
        raise click.UsageError("give ACCOUNT, or --operator for an operator key")
    if operator and scopes:
        raise click.UsageError("operator keys hold the admin scope only; drop --scope")
    if operator and allow_query_key:
        raise click.UsageError("--allow-query-key is for sender keys")
    if (rate is None) != (burst is None):
        raise click.UsageError("give --rate and --burst together")
    try:
        allowed = parse_allowlist(list(networks), "--allow") if networks else None
    except CatalogueError as problem:
        raise click.BadParameter(problem.message, param_hint="--allow") from None
    spec = KeySpec(
        scopes=OPERATOR_SCOPES if operator else canonical_scopes(scopes or DEFAULT_SENDER_SCOPES),
        label=label,
        allowed_networks=allowed,
        require_signature=require_signature,
        rate_per_second=rate,
        rate_burst=burst,
        query_key_allowed=allow_query_key,
    )

    async def work(storage: SqlStorage) -> CreatedKey:
        if operator:
            owner = await storage.accounts.operator_account()
        else:
            owner = await find_account(storage, account or "")
        return await storage.accounts.create_key(owner.id, spec, cli_actor())

    created = with_storage(config_path, work)
    kind = "operator key" if operator else "key"
    click.echo(
        f"{kind} {created.record.id} created (scopes: {' '.join(created.record.scopes)}); "
        "it is shown only now:"
    )
    click.echo(created.plaintext)


def _describe(record: KeyRecord) -> str:
    state = "revoked" if record.revoked_at is not None else "active"
    used = record.last_used_at.isoformat() if record.last_used_at else "never"
    extras = []
    if record.allowed_networks is not None:
        extras.append(f"from {','.join(record.allowed_networks)}")
    if record.require_signature:
        extras.append("signed only")
    if record.query_key_allowed:
        extras.append("key in query allowed")
    if record.rate_per_second is not None:
        extras.append(f"{record.rate_per_second:g}/s burst {record.rate_burst}")
    detail = f" [{'; '.join(extras)}]" if extras else ""
    label = f" {record.label!r}" if record.label else ""
    return f"{record.id} {state}{label} scopes={' '.join(record.scopes)} last used {used}{detail}"


@keys.command("list")
@click.argument("account", required=False)
@click.option("--operator", is_flag=True, help="The operator keys.")
@config_option
def list_keys(account: str | None, operator: bool, config_path: str | None) -> None:
    """List ACCOUNT's keys (name or id), the operator keys, or every key."""

    async def work(storage: SqlStorage) -> list[KeyRecord]:
        if operator:
            return await storage.accounts.list_keys((await storage.accounts.operator_account()).id)
        if account is not None:
            return await storage.accounts.list_keys((await find_account(storage, account)).id)
        return await storage.accounts.list_keys()

    for record in with_storage(config_path, work):
        click.echo(_describe(record))


@keys.command("revoke")
@click.argument("key_id")
@config_option
def revoke_key(key_id: str, config_path: str | None) -> None:
    """Revoke key KEY_ID (``key_…``); requests with it are refused from then on."""

    async def work(storage: SqlStorage) -> KeyRecord | None:
        return await storage.accounts.revoke_key(key_id, cli_actor())

    record = with_storage(config_path, work)
    if record is None:
        raise click.ClickException(f"no key {key_id!r}")
    click.echo(f"revoked: {_describe(record)}")


@click.command("audit")
@click.option("--account", help="Only this account's entries (name or id).")
@click.option("--action", help="Only this action, e.g. account.verify.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 500))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@config_option
def audit(
    account: str | None, action: str | None, limit: int, as_json: bool, config_path: str | None
) -> None:
    """Show the audit log, newest first."""

    async def work(storage: SqlStorage) -> tuple[AuditEntry, ...]:
        account_id = (await find_account(storage, account)).id if account else None
        page = await storage.accounts.list_audit(
            AuditFilter(account_id=account_id, action=action), None, limit
        )
        return page.items

    for entry in with_storage(config_path, work):
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "id": entry.id,
                        "at": entry.at.isoformat(),
                        "actor": entry.actor,
                        "action": entry.action,
                        "target": entry.target_id,
                        "account_id": entry.account_id,
                        "before": entry.before,
                        "after": entry.after,
                    }
                )
            )
        else:
            click.echo(
                f"{entry.at.isoformat()} {entry.actor} {entry.action} "
                f"{entry.target_type}:{entry.target_id}"
            )
