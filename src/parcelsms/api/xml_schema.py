"""``/schema.xsd``: the XML Schema of every XML body, built from the route table's types.

The same msgspec types that give ``/openapi.json`` its schemas give this document its
definitions, following the rules of :mod:`parcelsms.api.xml_mapping`: one named complex type
per Struct (members in any order, ``xs:all``; a member that may be left out has
``minOccurs="0"``, one that may be ``null`` is ``nillable``), arrays as ``<item>`` sequences,
maps as ``<entry key="…">`` sequences, and one global element per request and response
body (and ``ErrorBody``). String formats and length limits stay in ``/openapi.json``; the
schema gives structure, scalar types and enumerations.
"""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

import msgspec.inspect as mi

from parcelsms.api.xml_mapping import ENTRY, ITEM, KEY, core_type, root_name, type_info

_SCALARS: dict[type[mi.Type], str] = {
    mi.StrType: "xs:string",
    mi.IntType: "xs:integer",
    mi.FloatType: "xs:double",
    mi.BoolType: "xs:boolean",
    mi.DateTimeType: "xs:dateTime",
    mi.DateType: "xs:date",
    mi.TimeType: "xs:time",
    mi.DecimalType: "xs:decimal",
    mi.BytesType: "xs:base64Binary",
}
_SEQUENCES = (mi.ListType, mi.SetType, mi.FrozenSetType, mi.VarTupleType)


class _SchemaWriter:
    """Collects the named complex types while element declarations are written."""

    def __init__(self) -> None:
        self.types: dict[str, str] = {}
        self._owners: dict[str, type] = {}

    def struct_type(self, cls: type) -> str:
        name = cls.__name__
        owner = self._owners.get(name)
        if owner is not None:
            if owner is not cls:
                raise ValueError(f"two body types are named {name}: {owner!r} and {cls!r}")
            return name
        self._owners[name] = cls
        info = type_info(cls)
        assert isinstance(info, mi.StructType)
        members = "".join(
            self.element(field.encode_name, field.type, optional=not field.required)
            for field in info.fields
        )
        group = f"<xs:all>{members}</xs:all>" if members else "<xs:sequence/>"
        self.types[name] = f'<xs:complexType name="{name}">{group}</xs:complexType>'
        return name

    def element(
        self,
        name: str,
        info: mi.Type,
        *,
        optional: bool = False,
        repeated: bool = False,
        keyed: bool = False,
    ) -> str:
        core, nullable = core_type(info)
        attributes = f'name="{name}"'
        if optional or repeated:
            attributes += ' minOccurs="0"'
        if repeated:
            attributes += ' maxOccurs="unbounded"'
        if nullable:
            attributes += ' nillable="true"'
        if keyed:
            return f"<xs:element {attributes}>{self._keyed_type(core)}</xs:element>"
        named = self._named_type(core)
        if named is not None:
            return f'<xs:element {attributes} type="{named}"/>'
        return f"<xs:element {attributes}>{self._anonymous_type(core)}</xs:element>"

    def _named_type(self, core: mi.Type) -> str | None:
        if isinstance(core, mi.StructType):
            return self.struct_type(core.cls)
        if isinstance(core, mi.AnyType):
            return "xs:anyType"
        if isinstance(core, (mi.LiteralType, mi.EnumType)):
            return None
        if isinstance(core, (mi.DictType, mi.TupleType, *_SEQUENCES)):
            return None
        return _SCALARS.get(type(core), "xs:string")

    def _anonymous_type(self, core: mi.Type) -> str:
        if isinstance(core, (mi.LiteralType, mi.EnumType)):
            return _enumeration(core)
        if isinstance(core, _SEQUENCES):
            item = self.element(ITEM, core.item_type, repeated=True)
            return f"<xs:complexType><xs:sequence>{item}</xs:sequence></xs:complexType>"
        if isinstance(core, mi.TupleType):
            items = "".join(self.element(ITEM, item) for item in core.item_types)
            return f"<xs:complexType><xs:sequence>{items}</xs:sequence></xs:complexType>"
        assert isinstance(core, mi.DictType)
        entry = self.element(ENTRY, core.value_type, repeated=True, keyed=True)
        return f"<xs:complexType><xs:sequence>{entry}</xs:sequence></xs:complexType>"

    def _keyed_type(self, core: mi.Type) -> str:
        """A map entry's type: its value's type plus the required ``key`` attribute."""
        key = f'<xs:attribute name="{KEY}" type="xs:string" use="required"/>'
        if isinstance(core, mi.AnyType):
            return (
                '<xs:complexType mixed="true"><xs:sequence><xs:any processContents="skip" '
                f'minOccurs="0" maxOccurs="unbounded"/></xs:sequence>{key}</xs:complexType>'
            )
        if isinstance(core, mi.StructType):
            base = self.struct_type(core.cls)
            return (
                f'<xs:complexType><xs:complexContent><xs:extension base="{base}">{key}'
                "</xs:extension></xs:complexContent></xs:complexType>"
            )
        named = self._named_type(core)
        if named is None:
            # An enumeration or a collection as a map's value: text, any shape.
            named = "xs:string"
        return (
            f'<xs:complexType><xs:simpleContent><xs:extension base="{named}">{key}'
            "</xs:extension></xs:simpleContent></xs:complexType>"
        )


def _enumeration(core: mi.LiteralType | mi.EnumType) -> str:
    values = (
        list(core.values)
        if isinstance(core, mi.LiteralType)
        else [member.value for member in core.cls]
    )
    base = "xs:integer" if all(isinstance(value, int) for value in values) else "xs:string"
    choices = "".join(f"<xs:enumeration value={quoteattr(str(value))}/>" for value in values)
    return (
        f'<xs:simpleType><xs:restriction base="{base}">{choices}</xs:restriction></xs:simpleType>'
    )


def xml_schema(body_types: Iterable[type]) -> bytes:
    """The XSD declaring a root element for each of ``body_types`` and every type they use."""
    writer = _SchemaWriter()
    roots: list[str] = []
    for body_type in dict.fromkeys(body_types):
        roots.append(
            f'<xs:element name="{root_name(body_type)}" type="{writer.struct_type(body_type)}"/>'
        )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        + "".join(roots)
        + "".join(writer.types[name] for name in sorted(writer.types))
        + "</xs:schema>\n"
    )
    return text.encode("utf-8")
