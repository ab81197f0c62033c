"""A started ``parcelsms serve`` with the demo account, called over HTTP as a user would.

The demo account is what ``scripts/serve`` gives a new user: verified, €100, the approved demo
templates of ``parcelsms/data/demo_templates.toml`` and one API key (read from the start-up
announcement). :func:`demo_platform` is the one place that asks ``serve`` for it. The
operator authenticates with the bootstrap token :data:`OPERATOR_TOKEN`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from platform_process import ServeProcess, serve_in_background

OPERATOR_TOKEN = "operator-token-of-the-demo-test-platform-0123456789"


@dataclass(frozen=True, slots=True)
class DemoPlatform:
    """Where the platform answers, the demo account's API key and the operator token."""

    base_url: str
    api_key: str
    operator_token: str
    serve: ServeProcess


@contextlib.contextmanager
def demo_platform(directory: Path, *, extra_config: str = "") -> Iterator[DemoPlatform]:
    """Start ``parcelsms serve`` on an empty SQLite database in ``directory``, seeded with the
    demo account. ``extra_config`` is appended to the TOML file right after the ``[security]``
    table's ``admin_token``, so it may add settings of that table before opening others."""
    config = directory / "parcelsms.toml"
    config.write_text(
        '[server]\nhost = "127.0.0.1"\nport = 0\n'
        f'[database]\nurl = "sqlite+aiosqlite:///{directory / "parcelsms.db"}"\n'
        f'[security]\nadmin_token = "{OPERATOR_TOKEN}"\n' + extra_config
    )
    # --demo seeds the empty database with the demo account, as scripts/serve does.
    with serve_in_background(config, demo=True) as serve:
        assert serve.api_key is not None, "serve printed no demo API key"
        yield DemoPlatform(serve.base_url, serve.api_key, OPERATOR_TOKEN, serve)
