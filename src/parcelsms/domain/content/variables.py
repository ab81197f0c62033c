"""Declared template variables: a name, a type and a maximum length."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, Literal, TypeAlias, get_args

from parcelsms.domain.templates import MAX_PARAM_LENGTH

VariableType: TypeAlias = Literal["text", "tracking_number", "date", "date_time", "money", "link"]
VARIABLE_TYPES: Final[tuple[VariableType, ...]] = get_args(VariableType)

# The placeholder grammar of parcelsms.domain.templates, repeated here because a
# declared name must be one a placeholder can use.
_NAME: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")

TYPICAL_LENGTHS: Final = MappingProxyType(
    {
        "text": 15,
        "tracking_number": 16,
        "date": 11,
        "date_time": 17,
        "money": 10,
        "link": 40,
    }
)
"""Length a value of each type usually has, for the *typical* segment count.

Assumptions, not measurements: a shop or carrier name (15), a UPU S10 number is 13
characters and carrier numbers run 10 to 22 (16), ``15 Jun 2025`` (11),
``15 Jun 2025 14:30`` (17), ``€1,234.56`` (10), a tracking link on a short path (40).
A declared ``max_length`` below the typical length wins.
"""


@dataclass(frozen=True, slots=True)
class VariableSpec:
    """A declared template variable.

    ``name`` is a placeholder name (``[a-z][a-z0-9_]{0,39}``); ``type`` one of
    :data:`VARIABLE_TYPES`; ``max_length`` the longest value accepted, 1 to 80 characters.
    Construction raises ``ValueError`` for anything else: callers validate input first
    and build specs from valid data.
    """

    name: str
    type: VariableType = "text"
    max_length: int = MAX_PARAM_LENGTH

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise ValueError(f"invalid variable name {self.name!r}")
        if self.type not in VARIABLE_TYPES:
            raise ValueError(f"unknown variable type {self.type!r}")
        if isinstance(self.max_length, bool) or not 1 <= self.max_length <= MAX_PARAM_LENGTH:
            raise ValueError(f"max_length must be 1 to {MAX_PARAM_LENGTH}, got {self.max_length!r}")

    @property
    def typical_length(self) -> int:
        """The usual length of a value of this type, capped at ``max_length``."""
        return min(TYPICAL_LENGTHS[self.type], self.max_length)


def undeclared_variable(name: str) -> VariableSpec:
    """The spec assumed for a placeholder nobody declared: text of up to 80 characters."""
    return VariableSpec(name)
