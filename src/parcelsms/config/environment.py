"""Environment overrides of the configuration: ``PARCELSMS_<TABLE>__<KEY>=value``.

A double underscore separates each level of nesting, list indexes are numbers; the value
is read as TOML when that gives the type the setting expects, else as the plain string.
The settings' shape comes from the msgspec schema of the ``Settings`` type passed in, so
an override naming no setting is an error naming its variable.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from typing import Any, Final

import msgspec.inspect as schema

from parcelsms.errors import ConfigError

ENV_PREFIX: Final = "PARCELSMS_"


@cache
def _schema_of(settings_type: type) -> schema.Type:
    return schema.type_info(settings_type)


def apply_environment(
    data: dict[str, Any], environ: Mapping[str, str], settings_type: type
) -> dict[str, str]:
    """Write ``PARCELSMS_A__B=value`` variables into ``data`` (the file's TOML, shaped like
    ``settings_type``); return setting key -> variable name."""
    sources: dict[str, str] = {}
    variables = [name for name in environ if name.startswith(ENV_PREFIX) and "__" in name]
    # List indexes in numeric order, so that CHANNELS__2 is appended before CHANNELS__10.
    for variable in sorted(variables, key=_natural_order):
        parts = variable.removeprefix(ENV_PREFIX).split("__")
        key = _override(data, _schema_of(settings_type), parts, environ[variable], variable)
        sources[key] = variable
    return sources


def _natural_order(variable: str) -> list[tuple[int, int, str]]:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in variable.split("__")]


def _override(
    data: dict[str, Any], info: schema.Type, parts: list[str], raw: str, variable: str
) -> str:
    """Set one override; ``info`` is the schema of ``data``; return the setting's key
    (``channels[0].port``)."""
    container: Any = data
    key = ""
    for depth, part in enumerate(parts):
        info = _without_none(info)
        slot: str | int
        if isinstance(info, schema.StructType):
            name = part.lower()
            fields = {field.name: field for field in info.fields}
            if name not in fields:
                known = ", ".join(sorted(fields))
                raise ConfigError(
                    f"{variable} names no setting: {name!r} is not one of {known}",
                    key=f"{key}.{name}" if key else name,
                )
            _expect_shape(container, dict, variable, key)
            slot, info, key = name, fields[name].type, f"{key}.{name}" if key else name
        elif isinstance(info, schema.DictType):
            _expect_shape(container, dict, variable, key)
            slot, info, key = part, info.value_type, f"{key}.{part}"
        elif isinstance(info, schema.ListType | schema.VarTupleType):
            _expect_shape(container, list, variable, key)
            if not part.isdigit() or int(part) > len(container):
                raise ConfigError(
                    f"{variable}: {part!r} must be an index from 0 to {len(container)}", key=key
                )
            slot, info, key = int(part), info.item_type, f"{key}[{part}]"
            if slot == len(container):
                container.append({})
        else:
            raise ConfigError(f"{variable}: this setting is a single value, not a table", key=key)
        if depth == len(parts) - 1:
            container[slot] = _environment_value(raw, info)
            break
        if isinstance(slot, str) and slot not in container:
            child_info = _without_none(info)
            is_list = isinstance(child_info, schema.ListType | schema.VarTupleType)
            container[slot] = [] if is_list else {}
        container = container[slot]
    return key


def _expect_shape(container: object, shape: type, variable: str, key: str) -> None:
    if not isinstance(container, shape):
        what = "an array" if shape is list else "a table"
        raise ConfigError(f"{variable}: the configuration file's {key} is not {what}", key=key)


def _without_none(info: schema.Type) -> schema.Type:
    if isinstance(info, schema.UnionType):
        members = [member for member in info.types if not isinstance(member, schema.NoneType)]
        if len(members) == 1:
            return members[0]
    return info


def _environment_value(raw: str, info: schema.Type) -> Any:
    """``raw`` parsed as TOML when the result fits ``info``, else ``raw`` itself."""
    try:
        parsed = tomllib.loads(f"value = {raw}")["value"]
    except tomllib.TOMLDecodeError:
        return raw
    return parsed if _accepts(info, parsed) else raw


def _accepts(info: schema.Type, value: Any) -> bool:
    if isinstance(info, schema.UnionType):
        return any(_accepts(member, value) for member in info.types)
    if isinstance(info, schema.BoolType):
        return isinstance(value, bool)
    if isinstance(info, schema.IntType):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(info, schema.FloatType):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(info, schema.StrType):
        return isinstance(value, str)
    if isinstance(info, schema.LiteralType):
        return value in info.values
    if isinstance(info, schema.ListType | schema.VarTupleType):
        return isinstance(value, list)
    if isinstance(info, schema.DictType | schema.StructType):
        return isinstance(value, dict)
    if isinstance(info, schema.CustomType):
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    return not isinstance(info, schema.NoneType)
