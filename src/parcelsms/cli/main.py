"""The ``parcelsms`` command: a click group; each subcommand lives in its own module.

Subcommands are imported only when they run (``serve`` pulls in the whole platform), so
``parcelsms --help`` and small operator commands start quickly.
"""

from __future__ import annotations

import importlib

import click

# name -> "module:attribute" of the click command or group.
COMMANDS = {
    "serve": "parcelsms.cli.serve:serve",
    "accounts": "parcelsms.cli.operator_commands:accounts",
    "keys": "parcelsms.cli.key_commands:keys",
    "audit": "parcelsms.cli.key_commands:audit",
    "templates": "parcelsms.cli.review_commands:templates",
    "sender-ids": "parcelsms.cli.review_commands:sender_ids",
    "prices": "parcelsms.cli.billing_commands:prices",
    "channel-costs": "parcelsms.cli.billing_commands:channel_costs",
    "packages": "parcelsms.cli.billing_commands:packages",
    "receipts": "parcelsms.cli.receipt_commands:receipts",
    "channels": "parcelsms.cli.channel_commands:channels",
    "routes": "parcelsms.cli.route_commands:routes",
    "console-user": "parcelsms.cli.console_user_commands:console_user",
    "reports": "parcelsms.cli.report_commands:reports",
    "migrate": "parcelsms.cli.database_commands:migrate",
    "backup": "parcelsms.cli.database_commands:backup",
    "restore": "parcelsms.cli.database_commands:restore",
    "simulate-carrier": "parcelsms.cli.simulate_carrier:simulate_carrier",
    "compile": "parcelsms.cli.compile_command:compile_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self._lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="parcelsms")
def main() -> None:
    """parcelsms: international notification SMS for cross-border logistics."""


if __name__ == "__main__":
    main()
