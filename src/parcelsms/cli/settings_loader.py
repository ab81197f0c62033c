"""Loading the configuration for a command, with a clear error instead of a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import click

from parcelsms.config import Settings, load_config, resolve_config_path
from parcelsms.errors import ConfigError


def load_settings(config_path: str | None) -> Settings:
    """Settings from ``--config``, ``PARCELSMS_CONFIG``, ``./parcelsms.toml`` or defaults."""
    try:
        path = resolve_config_path(config_path, os.environ, Path.cwd())
        return load_config(path, os.environ)
    except ConfigError as problem:
        raise click.ClickException(f"configuration error: {problem}") from None


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="TOML configuration file (default: $PARCELSMS_CONFIG, else ./parcelsms.toml).",
)
