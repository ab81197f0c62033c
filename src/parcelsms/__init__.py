"""parcelsms: international notification SMS for cross-border logistics.

Layers, top to bottom (a module imports its own layer and those below, never above; checked
by ``tests/unit/architecture/test_layers.py``)::

    cli/  api/  simulator/  testing.py   entry points: commands, HTTP API, carrier simulator
    bootstrap.py                         the one composition root: config → adapters → services
    pipeline/                            use cases and workers; talk to ports (typing.Protocol)
    adapters/                            storage (SQLite, PostgreSQL), SMPP channels, webhooks
    domain/                              pure rules: numbers, templates, pricing, routing, status
    protocol/                            SMPP 3.4 (tables, codec, sans-IO session) and text encoding

``errors.py`` (the exception tree) and ``config/`` are shared leaves.
"""

from pathlib import Path as _Path

from parcelsms.compiled_modules import guard_stale_build as _guard_stale_build

__version__ = "0.1.0"

# Before any compiled module is imported: a build older than its sources is not used.
_guard_stale_build(_Path(__file__).resolve().parent.parent)
