"""What ``serve`` prints on stdout once the API listens: where, which channels, and the
next step for whoever started it (the demo key and a curl, or how to get an account or a
key). Log lines go to stderr; this is the one human-facing block."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum

from parcelsms.config import Settings
from parcelsms.pipeline.account_security_ports import AccountFilter, AccountsAndKeys
from parcelsms.pipeline.demo_seed import DEMO_ACCOUNT, DemoSeed


class Accounts(Enum):
    """Which sender accounts the database holds, as far as the next step depends on it."""

    NONE = "none"
    DEMO = "demo"
    OTHERS = "others"


async def existing_accounts(accounts: AccountsAndKeys) -> Accounts:
    """Whether the demo account exists, else whether any sender account does."""
    if await accounts.find_account_by_name(DEMO_ACCOUNT) is not None:
        return Accounts.DEMO
    page = await accounts.list_account_profiles(AccountFilter(), limit=1)
    return Accounts.OTHERS if page.items else Accounts.NONE


@dataclass(frozen=True, slots=True)
class Announcement:
    """The block printed once the API listens; :meth:`text` renders it."""

    settings: Settings
    port: int
    seed: DemoSeed | None
    accounts: Accounts
    config_path: str | None
    channels: dict[str, bool] = field(default_factory=dict)
    """Each channel and whether it is bound."""
    embedded_simulator: bool = False
    processes: str | None = None
    """How the platform runs (``1 pipeline + 2 API workers``); ``None``: one process."""

    def text(self) -> str:
        host = self.settings.server.host
        base = self.settings.server.public_url or f"http://{host}:{self.port}"
        lines = [f"parcelsms API listening on http://{host}:{self.port}"]
        lines.append(f"  docs: {base}/docs   openapi: {base}/openapi.json")
        if self.processes is not None:
            lines.append(f"  processes: {self.processes}")
        for name, bound in self.channels.items():
            state = "bound" if bound else "NOT bound (retrying)"
            lines.append(f"  channel {name}: {state}")
        if self.embedded_simulator:
            lines.append("  carrier: embedded simulator (no [[channels]] configured)")
        if self.seed is not None:
            lines += _demo_lines(self.seed, base)
        elif self.accounts is Accounts.DEMO:
            lines += [
                "",
                "Demo account: its key was shown when it was created. A new key for it:",
                f"  {self._command(f'keys create {DEMO_ACCOUNT}')}",
            ]
        elif self.accounts is Accounts.NONE:
            lines += [
                "",
                "No sender account yet. Create one and a key for it:",
                f"  {self._command('accounts create NAME --verified --balance 100')}",
                f"  {self._command('keys create NAME')}",
                "or start with --demo for a demo account, templates and a key (scripts/serve "
                "does).",
            ]
        return "\n".join(lines)

    def _command(self, arguments: str) -> str:
        config = f" --config {self.config_path}" if self.config_path else ""
        return f"parcelsms {arguments}{config}"


def _demo_lines(seed: DemoSeed, base: str) -> list[str]:
    body = json.dumps(
        {
            "to": "+44 7400 123456",
            "template": "shipped",
            "language": "en",
            "params": {
                "shop": "Acme",
                "tracking_number": "1Z999AA10123456784",
                "carrier": "DHL",
                "eta": "2 Dec",
            },
        }
    )
    return [
        "",
        f"Demo account created with {seed.templates} approved templates.",
        f"Demo API key (shown once): {seed.api_key}",
        "",
        "Send a message:",
        f"  curl -s {base}/v1/messages -H 'Authorization: Bearer {seed.api_key}' "
        f"-H 'Content-Type: application/json' -d '{body}'",
    ]
