"""docs/countries.md is generated from the registry and kept up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from parcelsms.domain.country_rules_loading import load_country_rules

REPOSITORY = Path(__file__).resolve().parents[3]
REGISTRY = REPOSITORY / "src" / "parcelsms" / "data" / "country_rules.toml"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    path = REPOSITORY / "scripts" / "generate_country_docs.py"
    spec = importlib.util.spec_from_file_location("generate_country_docs", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_countries_md_is_up_to_date_with_the_registry(generator: ModuleType) -> None:
    committed = (REPOSITORY / "docs" / "countries.md").read_text(encoding="utf-8")
    assert committed == generator.render_markdown(load_country_rules()), (
        "docs/countries.md is stale: run python scripts/generate_country_docs.py"
    )


def test_docs_show_every_country_with_its_rules_and_sources(generator: ModuleType) -> None:
    rules = load_country_rules()
    text = generator.render_markdown(rules)
    for rule in rules:
        assert f"| [{rule.code}](#{rule.code.lower()}) | {rule.name} |" in text
        assert f"### {rule.code}\n" in text
        for source in rule.sources:
            assert source.url in text
    assert rules.version in text
    assert "## For operators: editing the registry" in text
    assert "registration_required" in text


def test_check_mode_detects_a_stale_file(generator: ModuleType, tmp_path: Path) -> None:
    target = tmp_path / "countries.md"
    target.write_text("stale\n", encoding="utf-8")
    assert generator.main(["--check", "--output", str(target)]) == 1
    assert generator.main(["--output", str(target)]) == 0
    assert generator.main(["--check", "--output", str(target)]) == 0


def test_an_operator_copy_is_validated_and_rendered(
    generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "country_rules.toml"
    text = REGISTRY.read_text(encoding="utf-8")
    copy.write_text(text.replace('version = "2026-11-28"', 'version = "2027-01-05"'), "utf-8")
    output = tmp_path / "countries.md"
    assert generator.main(["--rules", str(copy), "--output", str(output)]) == 0
    assert "**2027-01-05**" in output.read_text(encoding="utf-8")

    copy.write_text(text.replace('code = "GB"', 'code = "UK"'), "utf-8")
    assert generator.main(["--rules", str(copy), "--output", str(output)]) == 2
    assert ".code" in capsys.readouterr().err
