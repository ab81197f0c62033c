"""The domain layer imports only the standard library and its few allowed packages."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import parcelsms.domain

DOMAIN = Path(parcelsms.domain.__file__).parent
# babel: CLDR locale data for dates and amounts, pure functions like phonenumbers.
ALLOWED_PACKAGES = {"phonenumbers", "msgspec", "babel"}
ALLOWED_PREFIXES = ("parcelsms.errors", "parcelsms.domain", "parcelsms.protocol")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_modules_import_nothing_from_the_layers_above() -> None:
    offending = {}
    for path in sorted(DOMAIN.glob("*.py")):
        for module in imported_modules(path):
            top = module.split(".")[0]
            allowed = (
                top in sys.stdlib_module_names
                or top in ALLOWED_PACKAGES
                or module == "parcelsms.errors"
                or module.startswith(ALLOWED_PREFIXES)
            )
            if not allowed:
                offending[path.name] = module
    assert offending == {}
    assert len(list(DOMAIN.glob("*.py"))) >= 8
