"""The exception tree drawn in ``errors.py``'s docstring is the tree of its classes."""

from __future__ import annotations

import inspect
import re

import parcelsms.errors as errors

# "    │   └── ScenarioError        bad ..." → the class name and its depth (4 columns a level).
_BRANCH = re.compile(r"^(?P<indent>[ │]*)[├└]── (?P<name>[A-Za-z]+)")


def _drawn_parents() -> dict[str, str]:
    doc = errors.__doc__ or ""
    lines = doc.split("::", 1)[1].splitlines()
    root = next(line.strip() for line in lines if line.strip())
    parents: dict[str, str] = {}
    ancestry = [root]
    for line in lines:
        match = _BRANCH.match(line.removeprefix("    "))
        if match is None:
            continue
        depth = len(match["indent"]) // 4 + 1
        del ancestry[depth:]
        parents[match["name"]] = ancestry[-1]
        ancestry.append(match["name"])
    return parents


def _actual_parents() -> dict[str, str]:
    return {
        name: cls.__bases__[0].__name__
        for name, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.ParcelsmsError) and cls is not errors.ParcelsmsError
    }


def test_the_docstring_draws_every_error_class_under_its_base_class() -> None:
    assert _drawn_parents() == _actual_parents()
