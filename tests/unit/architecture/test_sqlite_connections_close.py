"""``with sqlite3.connect(...)`` commits at the end of the block but leaves the file open.

The connection is closed only when the garbage collector finds it, and a test that peeks at
a database on every step (the billing state machine did, twice per step) holds hundreds of
descriptors until then: under a second test worker that ran the process out of them ("unable
to open database file"). Code that opens a connection in a ``with`` wraps it in
``contextlib.closing`` (or uses ``tests/support/database_peek.peek``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[3]
SOURCES = sorted(
    path
    for folder in ("src", "tests", "bench", "scripts")
    for path in (ROOT / folder).rglob("*.py")
    if "__pycache__" not in path.parts
)


def _unclosed_connects(source: str) -> list[int]:
    """Lines of ``with`` items whose context manager is a bare ``sqlite3.connect(...)``."""
    if "sqlite3.connect" not in source:
        return []  # most files: no need to parse them
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "connect"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id == "sqlite3"
                ):
                    lines.append(call.lineno)
    return lines


def test_no_with_block_leaves_a_sqlite_connection_open() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in SOURCES
        for line in _unclosed_connects(path.read_text(encoding="utf-8"))
    ]
    assert len(SOURCES) > 100  # the walk found the project's sources
    assert offenders == []


def test_the_rule_sees_a_bare_connect_and_passes_a_closed_one() -> None:
    bare = "import sqlite3\nwith sqlite3.connect('x.db') as db:\n    pass\n"
    closed = bare.replace("sqlite3.connect('x.db')", "contextlib.closing(sqlite3.connect('x.db'))")
    assert _unclosed_connects(bare) == [2]
    assert _unclosed_connects(closed) == []
