"""docs/smpp.md: its generated tables follow the PDU, TLV and status tables."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from parcelsms.protocol.smpp.constants import command_name
from parcelsms.protocol.smpp.outcome import STATUS_CLASSES
from parcelsms.protocol.smpp.tables import LAYOUTS, TLV_BY_NAME

REPOSITORY = Path(__file__).resolve().parents[3]
DOCUMENT = REPOSITORY / "docs" / "smpp.md"


def load_generator() -> ModuleType:
    path = REPOSITORY / "scripts" / "generate_smpp_tables_doc.py"
    spec = importlib.util.spec_from_file_location("generate_smpp_tables_doc", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_document_is_up_to_date_with_the_tables() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8")
    assert load_generator().update(committed) == committed, (
        "docs/smpp.md is stale: run python scripts/generate_smpp_tables_doc.py"
    )


def test_the_document_names_every_pdu_tlv_and_classified_status() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    for command_id in LAYOUTS:
        assert f"| `{command_name(command_id)}` | `0x{command_id:08X}` |" in text
    for name, spec in TLV_BY_NAME.items():
        assert f"| `0x{spec.tag:04X}` | `{name}` |" in text
    for status, status_class in STATUS_CLASSES.items():
        assert f"`0x{status:08X}` | {status_class.name} |" in text


def test_check_mode_detects_a_stale_document(tmp_path: Path) -> None:
    generator = load_generator()
    stale = DOCUMENT.read_text(encoding="utf-8").replace("| `enquire_link` |", "| `gone` |")
    target = tmp_path / "smpp-protocol.md"
    target.write_text(stale, encoding="utf-8")
    assert generator.main(["--check", "--path", str(target)]) == 1
    assert generator.main(["--path", str(target)]) == 0
    assert generator.main(["--check", "--path", str(target)]) == 0


def test_a_document_without_the_generated_sections_is_refused() -> None:
    with pytest.raises(ValueError, match="missing"):
        load_generator().update("# no markers here\n")
