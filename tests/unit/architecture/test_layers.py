"""The dependency rule of shared/DESIGN.md, checked on every module's imports.

Layers, top to bottom: entry points (cli, api, console, simulator, testing) →
bootstrap → pipeline → adapters → domain → protocol. A module may import its own layer and
the layers below it, never above. ``errors``, ``task_cancellation`` and ``config`` are
shared leaves (config may use domain; the other two use nothing of parcelsms).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import parcelsms

PACKAGE = Path(parcelsms.__file__).parent

# For each layer, the parcelsms layers it must NOT import.
FORBIDDEN = {
    "protocol": {
        "domain",
        "adapters",
        "pipeline",
        "api",
        "cli",
        "console",
        "simulator",
        "bootstrap",
        "config",
        "testing",
    },
    "domain": {
        "adapters",
        "pipeline",
        "api",
        "cli",
        "console",
        "simulator",
        "bootstrap",
        "config",
        "testing",
    },
    "pipeline": {"adapters", "api", "cli", "console", "simulator", "bootstrap", "testing"},
    "adapters": {"api", "cli", "console", "simulator", "bootstrap", "testing"},
    "api": {"adapters", "cli", "console", "simulator", "bootstrap"},
    "console": {"adapters", "api", "cli", "simulator", "bootstrap"},
    "simulator": {"adapters", "pipeline", "api", "cli", "console", "bootstrap", "domain"},
    "config": {"adapters", "pipeline", "api", "cli", "console", "simulator", "bootstrap"},
}
# A shared leaf below every layer: it imports nothing of parcelsms.
FORBIDDEN["task_cancellation"] = FORBIDDEN["protocol"] | {"protocol", "errors"}


def _layer(module: Path) -> str:
    relative = module.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def _imported_layers(module: Path) -> set[str]:
    tree = ast.parse(module.read_text("utf-8"))
    layers: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "parcelsms" and len(parts) > 1:
                layers.add(parts[1])
    return layers


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _layer(p) in FORBIDDEN)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_its_own_and_lower_layers(module: Path) -> None:
    layer = _layer(module)
    wrong = _imported_layers(module) & FORBIDDEN[layer]
    assert not wrong, f"{module.relative_to(PACKAGE)} ({layer}) imports {sorted(wrong)}"


def test_the_rule_sees_a_violation(tmp_path: Path) -> None:
    """The checker itself: an upward import is reported, a downward one is not."""
    module = tmp_path / "upward.py"
    module.write_text(
        "from parcelsms.pipeline.message_ports import MessageStore\nimport parcelsms.errors\n"
        "from parcelsms.protocol.smpp import pdu\n"
    )
    assert _imported_layers(module) & FORBIDDEN["protocol"] == {"pipeline"}
    assert len(MODULES) > 50
