#!/usr/bin/env python3
"""Fill the generated parts of ``docs/smpp.md`` from the SMPP tables.

Usage::

    python scripts/generate_smpp_tables_doc.py            # rewrite the generated parts
    python scripts/generate_smpp_tables_doc.py --check    # exit 1 when they are stale

The tables in ``parcelsms.protocol.smpp.tables`` (PDU layouts, TLVs) and
``parcelsms.protocol.smpp.outcome`` (command_status classes) are the source of truth. Only
the text between ``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED: name -->``
is replaced; the prose around it is written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from parcelsms.protocol.smpp.constants import CommandStatus, command_name
from parcelsms.protocol.smpp.outcome import STATUS_CLASSES
from parcelsms.protocol.smpp.tables import LAYOUTS, TLV_BY_TAG, Field, FieldKind, TlvKind

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "smpp.md"
_SECTION = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z]+) -->\n)"
    r"(?P<body>.*?)"
    r"(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)


def _field_type(field: Field) -> str:
    if field.kind is FieldKind.CSTRING:
        return f"C-octet string, at most {field.size - 1} characters + NUL"
    if field.kind is FieldKind.OCTETS:
        return f"octets, length in `{field.length_field}`, at most {field.size}"
    return f"integer, {field.kind.value} octet" + ("s" if field.kind.value > 1 else "")


def render_pdus() -> str:
    lines = [
        "| command | command_id | mandatory fields | TLVs | empty body on error |",
        "|---|---|---|---|---|",
    ]
    for command_id in sorted(LAYOUTS, key=lambda value: (value & 0x7FFFFFFF, value)):
        layout = LAYOUTS[command_id]
        fields = ", ".join(f"`{field.name}`" for field in layout.fields) or "(none)"
        lines.append(
            f"| `{command_name(command_id)}` | `0x{command_id:08X}` | {fields} "
            f"| {'yes' if layout.has_tlvs else 'no'} "
            f"| {'yes' if layout.body_optional else 'no'} |"
        )
    lines.append("")
    lines.append("Field types, per command (sizes as SMPP 3.4 section 4 states them):")
    lines.append("")
    seen: dict[tuple[Field, ...], str] = {}
    for command_id in sorted(LAYOUTS, key=lambda value: (value & 0x7FFFFFFF, value)):
        layout = LAYOUTS[command_id]
        if not layout.fields:
            continue
        name = command_name(command_id)
        if layout.fields in seen:
            lines.append(f"- `{name}`: as `{seen[layout.fields]}`.")
            continue
        seen[layout.fields] = name
        described = "; ".join(f"`{field.name}` {_field_type(field)}" for field in layout.fields)
        lines.append(f"- `{name}`: {described}.")
    return "\n".join(lines) + "\n"


def _tlv_type(kind: TlvKind, min_length: int, max_length: int) -> tuple[str, str]:
    if kind in (TlvKind.INT1, TlvKind.INT2, TlvKind.INT4):
        return "integer", str(kind.value)
    if kind is TlvKind.EMPTY:
        return "flag (no value)", "0"
    kind_name = "C-octet string" if kind is TlvKind.CSTRING else "octets"
    if min_length == max_length:
        return kind_name, str(max_length)
    if max_length == 65535:
        return kind_name, f"{min_length}-65535"
    return kind_name, f"{min_length}-{max_length}"


def render_tlvs() -> str:
    lines = ["| tag | name | type | value length (octets) |", "|---|---|---|---|"]
    for tag in sorted(TLV_BY_TAG):
        spec = TLV_BY_TAG[tag]
        kind, length = _tlv_type(spec.kind, spec.min_length, spec.max_length)
        lines.append(f"| `0x{tag:04X}` | `{spec.name}` | {kind} | {length} |")
    return "\n".join(lines) + "\n"


def render_statuses() -> str:
    lines = ["| command_status | value | class |", "|---|---|---|"]
    for status in sorted(STATUS_CLASSES):
        name = CommandStatus(status).name
        lines.append(f"| `{name}` | `0x{status:08X}` | {STATUS_CLASSES[status].name} |")
    lines.append("| any other value (reserved or vendor-specific) | | TEMPORARY |")
    return "\n".join(lines) + "\n"


RENDERERS = {"pdus": render_pdus, "tlvs": render_tlvs, "statuses": render_statuses}


def update(text: str) -> str:
    """``text`` with every generated section rendered afresh."""
    found: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        found.add(name)
        return match.group(1) + RENDERERS[name]() + match.group(4)

    updated = _SECTION.sub(replace, text)
    missing = set(RENDERERS) - found
    if missing:
        raise ValueError(f"generated sections missing from the document: {sorted(missing)}")
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    parser.add_argument("--path", type=Path, default=DOCS_PATH)
    arguments = parser.parse_args(argv)
    current = arguments.path.read_text(encoding="utf-8")
    fresh = update(current)
    if arguments.check:
        if fresh != current:
            print(f"{arguments.path} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    arguments.path.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
