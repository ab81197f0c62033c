"""The one mapping between the API's JSON shapes and XML, driven by the msgspec types.

Every XML request and response of the API is the JSON document of the same operation, spelt
by these rules (and ``/schema.xsd``, built by :mod:`parcelsms.api.xml_schema` from the same
types, describes them):

* the document's root element is named after the body's type, as ``/openapi.json`` names its
  schema (``<MessageCreate>``, ``<AcceptedMessage>``, ``<ErrorBody>``); a request's root
  name is not checked;
* an object is an element with one child element per member, named as the JSON member; a
  member left out of the JSON is left out of the XML;
* an array is an element holding one ``<item>`` child per value, in order;
* a map (an object with free keys, such as ``params``) is an element holding one
  ``<entry key="…">`` child per key;
* ``null`` is an empty element with ``xsi:nil="true"``;
* strings, numbers and booleans are the element's text, as JSON writes them (``true``,
  ``false``, ``12``, ``0.5``; XML Schema's ``1``/``0`` are read as booleans too).

Reading (:func:`decode_element`) turns a parsed XML element into the JSON value the same
request would have carried, which the operation then decodes as JSON: type errors are the
same ``invalid_request`` with the same ``field`` path in both formats. Text that does not
read as the expected type is passed on as a string so that decoding names the field; a
free-form member (typed ``Any``) has no type to read its text as, so its scalars stay
strings.
Writing (:func:`encode_document`) turns the JSON an operation answered into XML. Characters
XML 1.0 cannot carry (most C0 controls) are written as U+FFFD.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any
from xml.etree.ElementTree import Element

import msgspec
import msgspec.inspect as mi

from parcelsms.domain.error_catalogue import error

XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
ITEM = "item"
ENTRY = "entry"
KEY = "key"
_NIL = f"{{{XSI_NAMESPACE}}}nil"
_ANY = mi.AnyType()
_SEQUENCES = (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}
# Characters XML 1.0 cannot hold, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


@functools.cache
def type_info(annotation: Any) -> mi.Type:
    """msgspec's description of ``annotation`` (cached: the types are the route table's)."""
    return mi.type_info(annotation)


def root_name(body_type: type) -> str:
    """The root element of a ``body_type`` document (its OpenAPI schema name)."""
    return body_type.__name__


def core_type(info: mi.Type) -> tuple[mi.Type, bool]:
    """``info`` without its metadata and ``None`` member, and whether ``None`` was a member.

    A union of several other types has no single shape: it is read and written as
    ``AnyType``.
    """
    while isinstance(info, mi.Metadata):
        info = info.type
    if not isinstance(info, mi.UnionType):
        return info, isinstance(info, mi.NoneType)
    members = [member for member in info.types if not isinstance(member, mi.NoneType)]
    nullable = len(members) < len(info.types)
    if len(members) == 1:
        inner, _ = core_type(members[0])
        return inner, nullable
    return _ANY, nullable


@functools.cache
def struct_fields(cls: type) -> dict[str, mi.Type]:
    """A Struct's members by their JSON name, each with its type."""
    info = type_info(cls)
    assert isinstance(info, mi.StructType)
    return {field.encode_name: field.type for field in info.fields}


# --- writing -----------------------------------------------------------------------------


def encode_document(value: object, body_type: type) -> bytes:
    """The XML document of ``value`` (the JSON value of a ``body_type`` body)."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    _write(
        parts, root_name(body_type), value, type_info(body_type), f' xmlns:xsi="{XSI_NAMESPACE}"'
    )
    return "".join(parts).encode("utf-8")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value).translate(_ESCAPES)


def _write(parts: list[str], name: str, value: object, info: mi.Type, attributes: str = "") -> None:
    if value is None:
        parts.append(f'<{name}{attributes} xsi:nil="true"/>')
        return
    core, _ = core_type(info)
    parts.append(f"<{name}{attributes}>")
    if isinstance(core, mi.StructType) and isinstance(value, dict):
        fields = struct_fields(core.cls)
        for member, member_value in value.items():
            _write(parts, member, member_value, fields.get(member, _ANY))
    elif isinstance(core, mi.DictType) and isinstance(value, dict):
        for key, entry in value.items():
            _write(parts, ENTRY, entry, core.value_type, f' {KEY}="{_text(str(key))}"')
    elif isinstance(core, (*_SEQUENCES, mi.TupleType)) and isinstance(value, list):
        for index, item in enumerate(value):
            _write(parts, ITEM, item, _item_type(core, index))
    elif isinstance(value, dict):
        for key, entry in value.items():
            _write(parts, ENTRY, entry, _ANY, f' {KEY}="{_text(str(key))}"')
    elif isinstance(value, list):
        for item in value:
            _write(parts, ITEM, item, _ANY)
    else:
        parts.append(_text(scalar_text(value)))
    parts.append(f"</{name}>")


def scalar_text(value: object) -> str:
    """A JSON scalar as JSON writes it (``true``, ``12``, ``0.5``, the string itself)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _item_type(core: mi.Type, index: int) -> mi.Type:
    if isinstance(core, mi.TupleType):
        return core.item_types[index] if index < len(core.item_types) else _ANY
    assert isinstance(core, _SEQUENCES)
    return core.item_type


# --- reading -----------------------------------------------------------------------------


def local_name(tag: str) -> str:
    """An element or attribute name without its namespace (``{ns}to`` → ``to``)."""
    return tag.rpartition("}")[2]


def decode_element(element: Element, body_type: type) -> object:
    """The JSON value a ``body_type`` request carries as the XML ``element``.

    Raises ``invalid_request`` (with the member's path) for what the JSON form could not say
    either: a member given twice, an entry without its key, an unknown attribute.
    """
    return _read(element, type_info(body_type), "")


def _read(element: Element, info: mi.Type, path: str) -> object:
    _check_attributes(element, path)
    if element.get(_NIL) in ("true", "1"):
        return None
    core, _ = core_type(info)
    children = list(element)
    text = element.text or ""
    if not children and text.strip() and not _is_scalar(core):
        # Text where an object or array belongs: passed on, so decoding names the mismatch.
        return text
    if isinstance(core, mi.StructType):
        fields = struct_fields(core.cls)
        return _read_members(children, lambda name: fields.get(name, _ANY), path)
    if isinstance(core, mi.DictType):
        return _read_entries(children, core.value_type, path)
    if isinstance(core, (*_SEQUENCES, mi.TupleType)):
        return [
            _read(child, _item_type(core, index), f"{path}[{index}]")
            for index, child in enumerate(children)
        ]
    if isinstance(core, mi.AnyType):
        return _read_any(element, children, path)
    if children:
        # Elements where a value belongs: an object, which decoding refuses with the path.
        return {local_name(child.tag): "" for child in children}
    return value_from_text(text, core)


def _read_members(children: list[Element], member_type: Any, path: str) -> dict[str, object]:
    members: dict[str, object] = {}
    for child in children:
        name = local_name(child.tag)
        field = _join(path, name)
        if name in members:
            raise error(
                "invalid_request", f"The element <{name}> is given more than once.", field=field
            )
        members[name] = _read(child, member_type(name), field)
    return members


def _read_entries(children: list[Element], value_type: mi.Type, path: str) -> dict[str, object]:
    entries: dict[str, object] = {}
    for child in children:
        key = child.get(KEY)
        if local_name(child.tag) != ENTRY or key is None:
            raise error(
                "invalid_request",
                f"Each member of <{path.rpartition('.')[2] or 'the map'}> is an "
                '<entry key="…"> element.',
                field=path or None,
            )
        if key in entries:
            raise error("invalid_request", f"The key {key!r} is given more than once.", field=path)
        entries[key] = _read(child, value_type, path)
    return entries


def _read_any(element: Element, children: list[Element], path: str) -> object:
    if not children:
        return element.text or ""
    names = {local_name(child.tag) for child in children}
    if names == {ITEM}:
        return [_read(child, _ANY, f"{path}[{index}]") for index, child in enumerate(children)]
    if names == {ENTRY}:
        return _read_entries(children, _ANY, path)
    return _read_members(children, lambda _: _ANY, path)


def _check_attributes(element: Element, path: str) -> None:
    for attribute in element.attrib:
        if attribute.startswith(f"{{{XSI_NAMESPACE}}}") or attribute == KEY:
            continue
        raise error(
            "invalid_request",
            f"Unknown attribute {local_name(attribute)!r}; members are elements (see /schema.xsd).",
            field=path or None,
        )


def _is_scalar(core: mi.Type) -> bool:
    return not isinstance(core, (mi.StructType, mi.DictType, mi.TupleType, mi.AnyType, *_SEQUENCES))


def value_from_text(text: str, core: mi.Type) -> object:
    """The JSON value ``text`` stands for where a ``core`` value belongs.

    Numbers and booleans are converted when they read as such; anything else stays a string,
    so that decoding refuses it naming the field (``Expected `int`, got `str```).
    """
    if isinstance(core, mi.BoolType):
        return _BOOLEANS.get(text.strip(), text)
    if isinstance(core, mi.IntType) or _int_choices(core):
        stripped = text.strip()
        return int(stripped) if _INTEGER.fullmatch(stripped) else text
    if isinstance(core, mi.FloatType):
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    return text


def _int_choices(core: mi.Type) -> bool:
    if isinstance(core, mi.LiteralType):
        return all(isinstance(value, int) for value in core.values)
    if isinstance(core, mi.EnumType):
        return all(isinstance(member.value, int) for member in core.cls)
    return False


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def json_value(body: bytes) -> object:
    """The JSON value of an operation's answer (to be written as XML)."""
    return msgspec.json.decode(body)
