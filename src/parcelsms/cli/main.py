"""The ``parcelsms`` command: a click group; each subcommand lives in its own module."""

from __future__ import annotations

import click

from parcelsms.cli.operator_commands import accounts, keys, templates
from parcelsms.cli.serve import serve
from parcelsms.cli.simulate_carrier import simulate_carrier


@click.group()
@click.version_option(package_name="parcelsms")
def main() -> None:
    """parcelsms: international notification SMS for cross-border logistics."""


main.add_command(serve)
main.add_command(accounts)
main.add_command(keys)
main.add_command(templates)
main.add_command(simulate_carrier)

if __name__ == "__main__":
    main()
