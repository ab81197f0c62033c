"""Flat ``name=value`` pairs (an HTML form body or a query string) as a request's JSON value.

For systems that can only send a form or a GET. Each pair names a member of the body type;
a map member takes ``name[key]=value`` (``params[tracking]=1Z999``). Values are text and are
read as :func:`parcelsms.api.xml_mapping.value_from_text` reads XML text, so ``true`` and
``12`` become a boolean and a number where the type wants one. A name given twice is
``invalid_request``; an unknown name is passed on, so decoding refuses it by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

import msgspec.inspect as mi

from parcelsms.api.xml_mapping import core_type, struct_fields, value_from_text
from parcelsms.domain.error_catalogue import error

_KEYED = re.compile(r"(?P<name>[^\[\]]+)\[(?P<key>[^\[\]]*)\]")
FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """The pairs of a URL-encoded form body; ``invalid_request`` unless it is UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise error(
            "invalid_request", f"The form body is not valid UTF-8 (byte {problem.start})."
        ) from None
    try:
        return parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise error("invalid_request", "A form value is not valid percent-encoded UTF-8.") from None


def pairs_value(pairs: Iterable[tuple[str, str]], body_type: type) -> dict[str, object]:
    """The JSON object of a ``body_type`` request given as ``pairs``."""
    fields = struct_fields(body_type)
    value: dict[str, object] = {}
    for name, text in pairs:
        keyed = _KEYED.fullmatch(name)
        if keyed is not None:
            member, key = keyed.group("name"), keyed.group("key")
            entries = value.setdefault(member, {})
            if not isinstance(entries, dict) or key in entries:
                raise error("invalid_request", f"{name!r} is given more than once.", field=member)
            core, _ = core_type(fields.get(member, mi.AnyType()))
            value_type = core.value_type if isinstance(core, mi.DictType) else mi.AnyType()
            entries[key] = value_from_text(text, core_type(value_type)[0])
            continue
        if name in value:
            raise error("invalid_request", f"{name!r} is given more than once.", field=name)
        core, _ = core_type(fields.get(name, mi.StrType()))
        value[name] = value_from_text(text, core)
    return value
