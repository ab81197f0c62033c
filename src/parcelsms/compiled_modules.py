"""The hot paths compiled to C with mypyc, and the guard that never runs a stale build.

A message's life in the pipeline is Python work spread thin over many small functions: SMPP
encoding and decoding, receipt parsing, the storage rows of each status change. Profiles
find no single hot spot left (``bench/throughput.py --profile``), so the remaining lever is
the interpreter itself. mypyc compiles the modules listed in :data:`COMPILED_MODULES` — they
are already fully typed (``mypy --strict``) — into C extensions that run the same code with
far less interpreter overhead (``docs/deployment.md``, "Compiled hot paths", has the figures).

``parcelsms compile`` builds them next to their sources (in a checkout's ``src/`` or in
``site-packages``) and writes a stamp with a digest of exactly those sources.
``scripts/serve``, ``examples/Dockerfile`` and ``scripts/test`` run it; without a build (no C
compiler, or a ``pip install`` nobody compiled) parcelsms runs the same code as plain Python.

A compiled module is a ``.so`` beside its ``.py``, and Python prefers the ``.so``. An edit,
a ``git pull`` or an upgrade would then leave the old compiled code running while the source
says otherwise. So :func:`guard_stale_build`, run from ``parcelsms/__init__.py`` before any
listed module is imported, compares the stamp with the sources on disk: when they differ (or
``PARCELSMS_PURE_PYTHON=1`` asks for it), every listed module is imported from its ``.py``.
It is all or nothing: the modules of one build call each other directly in C, so a mix of
fresh sources and stale compiled neighbours would still run the old code.

A dataclass of a compiled module keeps the ``__init__`` that the ``dataclasses`` module
writes at import time, and that one is interpreted: 1.6–4 µs to make a receipt or a ledger
move on the 2-core test machine, against 0.1 µs for an ``__init__`` written in the class and
compiled with it. It is also where a compiled writer thread gives up the GIL to the event
loop while it holds the write lock. So the dataclasses made for every message
(``@dataclass(init=False, ...)``) write their ``__init__`` out, field by field; eq, hash,
repr and frozenness stay the dataclass's. ``tests/unit/test_written_out_inits.py`` checks
that each one sets every field, with the dataclass's defaults.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

COMPILED_MODULES: tuple[str, ...] = (
    "parcelsms.protocol.smpp.client",
    "parcelsms.protocol.smpp.codec",
    "parcelsms.protocol.smpp.connection",
    "parcelsms.protocol.smpp.constants",
    "parcelsms.protocol.smpp.message_id",
    "parcelsms.protocol.smpp.outcome",
    "parcelsms.protocol.smpp.pdu",
    "parcelsms.protocol.smpp.receipt",
    "parcelsms.protocol.smpp.server",
    "parcelsms.protocol.smpp.session",
    "parcelsms.protocol.smpp.session_events",
    "parcelsms.protocol.smpp.tables",
    "parcelsms.protocol.text.concatenation",
    "parcelsms.protocol.text.graphemes",
    "parcelsms.protocol.text.gsm7",
    "parcelsms.protocol.text.reassembly",
    "parcelsms.protocol.text.segments",
    "parcelsms.protocol.text.ucs2",
    "parcelsms.adapters.channels.smpp_channel",
    "parcelsms.pipeline.channel_port",
    "parcelsms.pipeline.receipts",
    "parcelsms.pipeline.dispatch",
    "parcelsms.pipeline.webhook_payload",
    "parcelsms.pipeline.webhook_policy",
    "parcelsms.adapters.storage.messages.accept_billing_rows",
    "parcelsms.adapters.storage.messages.accept_rows",
    "parcelsms.adapters.storage.messages.daily_usage_rows",
    "parcelsms.adapters.storage.messages.dispatch_rows",
    "parcelsms.adapters.storage.messages.ledger_rows",
    "parcelsms.adapters.storage.messages.message_query_rows",
    "parcelsms.adapters.storage.messages.message_state_rows",
    "parcelsms.adapters.storage.messages.pending_receipt_rows",
    "parcelsms.adapters.storage.messages.receipt_failover_rows",
    "parcelsms.adapters.storage.messages.held_receipt_rows",
    "parcelsms.adapters.storage.messages.receipt_rows",
    "parcelsms.adapters.storage.messages.recent_send_rows",
    "parcelsms.adapters.storage.messages.message_stores",
    "parcelsms.adapters.storage.messages.transition_rows",
    "parcelsms.adapters.storage.engine.bulk_statements",
    "parcelsms.adapters.storage.engine.deferred_writes",
    "parcelsms.adapters.storage.engine.driver_queries",
    "parcelsms.adapters.storage.engine.keyed_updates",
    "parcelsms.adapters.storage.engine.conditions",
    "parcelsms.adapters.storage.reports.rollup_rows",
    "parcelsms.domain.ids",
    "parcelsms.domain.events",
    "parcelsms.domain.status",
    "parcelsms.domain.receipt_correlation",
    "parcelsms.domain.circuit_breaker",
    "parcelsms.domain.number_plans",
)
"""Modules compiled by :func:`build`. Left out on purpose: generic classes (mypyc does not
compile ``Generic`` dataclasses: the batching writer, the claim loop), classes that msgspec
decodes (it reads their fields the way only interpreted classes have them: channel health
snapshots), and modules whose tests replace a global (the send-rate limiter's clock).

Compiled code checks at run time the types the annotations promise. SQLAlchemy's ``Row``,
typed as a ``tuple`` but not one, is the known trap
(:mod:`parcelsms.adapters.storage.engine.query_results`).

Tried and left out, measured (2026-12-06, 3 interleaved pairs each, no difference beyond the
noise): the API's composing, the number checks through ``phonenumbers``' public functions
(those of :mod:`~parcelsms.domain.number_plans`, written since, are compiled: 15 → 10 µs per
number), templates, routing and authentication
(``bench/api_requests.py``: event-loop CPU per request 248–295 µs either way), and the
batching writer, claim loop, write lock and webhook delivery path (``bench/throughput.py
--mode batch``: pipeline 0.25 and webhooks 0.095 ms/msg either way). Their time is in the
libraries they call (Starlette, phonenumbers, SQLAlchemy, sqlite3, asyncio), which this
does not compile. Left out for other reasons: ``checkpointer`` (mypyc names the C field of
its attribute ``_thread`` ``__thread``, a GCC keyword, and the C does not compile), and
``pricing`` and ``routing``, whose tests hand values of the wrong type on purpose (``True``
as a segment count, a list of channels): compiled code turns those away, or converts them,
before the checks under test run."""

STAMP_NAME = ".compiled-build.json"
"""The stamp, in the package directory: what the build compiled, from which sources, and the
files it wrote (so that a rebuild or ``clean`` removes exactly those)."""

PURE_PYTHON_VARIABLE = "PARCELSMS_PURE_PYTHON"


def package_root() -> Path:
    """The directory holding the ``parcelsms`` package (a checkout's ``src``, or
    ``site-packages``)."""
    return Path(__file__).resolve().parent.parent


def source_path(root: Path, module: str) -> Path:
    """The ``.py`` file of ``module`` under ``root``."""
    return root.joinpath(*module.split(".")).with_suffix(".py")


def source_digest(root: Path, modules: Iterable[str]) -> str:
    """A digest of the listed sources and of the interpreter they are compiled for."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(sys.implementation.cache_tag.encode())
    for module in modules:
        digest.update(module.encode() + b"\0")
        digest.update(source_path(root, module).read_bytes())
    return digest.hexdigest()


def _read_stamp(root: Path, package: str) -> dict[str, object] | None:
    try:
        stamp = json.loads((root / package / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def build_is_current(root: Path, modules: Sequence[str], package: str = "parcelsms") -> bool:
    """Whether the build stamped under ``root`` compiled exactly the sources there now."""
    stamp = _read_stamp(root, package)
    if stamp is None:
        return False
    try:  # the digest covers the modules' names as well as their sources
        return stamp.get("digest") == source_digest(root, modules)
    except OSError:
        return False


class _SourceFirst(importlib.abc.MetaPathFinder):
    """Imports the listed modules from their ``.py``, passing over a compiled ``.so``."""

    def __init__(self, modules: Iterable[str]) -> None:
        self.modules = frozenset(modules)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.modules or not path:
            return None
        leaf = fullname.rpartition(".")[2]
        for directory in path:
            candidate = Path(directory) / f"{leaf}.py"
            if candidate.is_file():
                return importlib.util.spec_from_file_location(fullname, candidate)
        return None


def pure_python_requested() -> bool:
    """Whether ``PARCELSMS_PURE_PYTHON`` asks for plain Python (``1``, ``true`` or ``yes``)."""
    return os.environ.get(PURE_PYTHON_VARIABLE, "").lower() in ("1", "true", "yes")


def guard_stale_build(
    root: Path, modules: Sequence[str] = COMPILED_MODULES, package: str = "parcelsms"
) -> bool:
    """Import ``modules`` from source unless the build under ``root`` is current and wanted
    (see the module); ``True`` when the compiled modules are to be used."""
    if not pure_python_requested() and build_is_current(root, modules, package):
        return True
    wanted_set = frozenset(modules)
    if not any(
        isinstance(finder, _SourceFirst) and finder.modules == wanted_set
        for finder in sys.meta_path
    ):
        sys.meta_path.insert(0, _SourceFirst(modules))
    return False


def running_compiled() -> bool:
    """Whether this process runs the compiled build (benchmarks print it)."""
    from parcelsms.protocol.smpp import pdu  # one of COMPILED_MODULES

    return not str(pdu.__file__).endswith(".py")


def clean(root: Path, package: str = "parcelsms") -> list[Path]:
    """Remove the files of the build stamped under ``root``, and the stamp; the removed."""
    stamp = _read_stamp(root, package)
    removed: list[Path] = []
    files = stamp.get("files", []) if stamp is not None else []
    for name in files if isinstance(files, list) else []:
        path = root / str(name)
        # Only files the build wrote: extension modules under root, never a directory.
        if path.suffix == ".so" and path.is_file() and root in path.resolve().parents:
            path.unlink()
            removed.append(path)
    (root / package / STAMP_NAME).unlink(missing_ok=True)
    return removed


def build(
    root: Path, modules: Sequence[str] = COMPILED_MODULES, package: str = "parcelsms"
) -> None:
    """Compile ``modules`` next to their sources under ``root`` and stamp the build.

    Needs mypyc (``pip install 'parcelsms[compile]'``), setuptools and a C compiler with
    Python's headers; raises :class:`BuildUnavailable` without them. mypyc compiles a copy
    of the package's sources in a temporary directory, not ``root`` itself: in
    ``site-packages`` it would read every other installed module as a source of this build
    (and stop at ``mypy_extensions.py``, which shadows mypy's own stubs). Only the extension
    modules are copied back under ``root``.
    """
    problem = build_unavailable()
    if problem is not None:
        raise BuildUnavailable(problem)
    from mypyc.build import mypycify

    # Imported by name: setuptools ships type hints in some versions only.
    distribution_class: Any = importlib.import_module("setuptools").Distribution

    clean(root, package)
    paths = [str(source_path(root, module).relative_to(root)) for module in modules]
    digest = source_digest(root, modules)
    previous = Path.cwd()
    cache_variable = os.environ.get("MYPY_CACHE_DIR")
    with tempfile.TemporaryDirectory(prefix="parcelsms-compile-") as temp:
        sources = Path(temp) / "src"
        shutil.copytree(
            root / package,
            sources / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyc", STAMP_NAME),
        )
        os.environ["MYPY_CACHE_DIR"] = str(Path(temp) / "mypy-cache")
        os.chdir(sources)  # mypyc names the modules, and places the extensions, from here
        try:
            extensions = mypycify(paths, opt_level="3", target_dir=str(Path(temp) / "c"))
            distribution = distribution_class(
                {"name": f"{package}-compiled", "ext_modules": extensions}
            )
            command = distribution.get_command_obj("build_ext")
            command.inplace = True
            command.build_temp = str(Path(temp) / "objects")
            command.build_lib = str(Path(temp) / "lib")
            distribution.run_command("build_ext")
            written = sorted(
                _relative(Path(command.get_ext_fullpath(extension.name)), sources)
                for extension in extensions
            )
        finally:
            os.chdir(previous)
            if cache_variable is None:
                os.environ.pop("MYPY_CACHE_DIR", None)
            else:
                os.environ["MYPY_CACHE_DIR"] = cache_variable
        for name in written:
            # A new file, not an overwrite: a running process may have the old one mapped.
            target = root / name
            partial = target.with_name(f"{target.name}.partial")
            shutil.copy2(sources / name, partial)
            os.replace(partial, target)
    stamp = {"modules": list(modules), "digest": digest, "files": written}
    (root / package / STAMP_NAME).write_text(json.dumps(stamp, indent=1), encoding="utf-8")


def _relative(path: Path, root: Path) -> str:
    """``path`` (absolute, or relative to ``root``) as written in the stamp."""
    if not path.is_absolute():
        return str(path)
    return str(path.resolve().relative_to(root.resolve()))


class BuildUnavailable(RuntimeError):
    """mypyc, setuptools or a C compiler is missing."""


def build_unavailable() -> str | None:
    """Why this machine cannot compile, or ``None`` when it can."""
    for module, extra in (("mypyc", "mypy"), ("setuptools", "setuptools")):
        if importlib.util.find_spec(module) is None:
            return f"{extra} is not installed (pip install 'parcelsms[compile]')"
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not include.is_file():
        return f"Python's C headers are missing ({include}; Debian: apt-get install python3-dev)"
    compiler = os.environ.get("CC", "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler}; Debian: apt-get install gcc)"
    return None
