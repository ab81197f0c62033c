"""The operator's account actions in the console go through the audited account port."""

from __future__ import annotations

from pathlib import Path

from console_users import add_console_user, console_client
from secured_platform import running_platform

from parcelsms.pipeline.account_security_ports import AuditFilter


async def test_the_operator_tops_up_and_suspends_an_account_and_the_audit_log_names_them(
    tmp_path: Path,
) -> None:
    async with running_platform(tmp_path) as running:
        shop = await running.sender("shop", balance_micros=1_000_000)
        await add_console_user(
            running.storage, "op@platform.test", account_id=None, role="operator"
        )
        client, csrf = await console_client(running, "op@platform.test")
        base = f"/console/operator/accounts/{shop.account_id}"

        topped = await client.post(f"{base}/top-up", data={"csrf_token": csrf, "amount": "12.50"})
        no_reason = await client.post(
            f"{base}/state", data={"csrf_token": csrf, "action": "suspend"}
        )
        suspended = await client.post(
            f"{base}/state", data={"csrf_token": csrf, "action": "suspend", "reason": "chargebacks"}
        )
        shown = await client.get(base)

        assert topped.status_code == 303
        assert no_reason.status_code == 422
        assert suspended.status_code == 303
        assert 'id="account-state">suspended<' in shown.text
        account = await running.storage.accounts.get_account(shop.account_id)
        assert account.balance_micros == 13_500_000
        assert account.status == "suspended"
        audit = await running.storage.accounts.list_audit(AuditFilter(account_id=shop.account_id))
        assert {entry.actor for entry in audit.items} >= {"console:op@platform.test"}
