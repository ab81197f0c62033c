"""The operator's billing commands on a real SQLite file: prices, channel costs, packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from parcelsms.cli.main import main


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "cli.toml"
    path.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "parcelsms.db"}"\n'
        '[security]\npepper = "billing-cli-pepper-0123"\n'
        '[prices]\ndefault = "0.05"\n[prices.countries]\nES = "0.04"\n'
    )
    return path


def run(config: Path, *args: str, ok: bool = True) -> Result:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_prices_are_seeded_from_the_configuration_then_edited(config: Path) -> None:
    seeded = run(config, "prices", "list")
    run(config, "prices", "set", "fr", "0.031")
    run(config, "prices", "set-default", "0.06")
    run(config, "prices", "unset", "ES")
    edited = run(config, "prices", "list")
    missing = run(config, "prices", "unset", "DE", ok=False)
    audit = run(config, "audit")

    assert seeded.output.split() == ["default", "0.05", "ES", "0.04"]
    assert edited.output.split() == ["default", "0.06", "FR", "0.031"]
    assert missing.exit_code != 0
    assert "DE has no price of its own" in missing.output
    assert audit.output.count("price.set") == 2
    assert "price.remove" in audit.output


def test_a_bad_country_is_refused_before_anything_changes(config: Path) -> None:
    refused = run(config, "prices", "set", "XX", "0.01", ok=False)

    assert refused.exit_code == 2
    assert "ISO 3166" in refused.output


def test_packages_are_granted_and_listed_by_account_name(config: Path) -> None:
    run(config, "accounts", "create", "shop", "--verified")

    granted = run(
        config,
        "packages",
        "grant",
        "shop",
        "--segments",
        "500",
        "--region",
        "countries",
        "--countries",
        "es,fr",
        "--days",
        "30",
    )
    domestic = run(
        config,
        "packages",
        "grant",
        "shop",
        "--segments",
        "5",
        "--region",
        "domestic",
        "--days",
        "1",
        ok=False,
    )
    listed = run(config, "packages", "list", "shop")

    assert "countries ES,FR, 500/500 segments" in granted.output
    assert domestic.exit_code != 0
    assert "no home country" in domestic.output
    assert "(active)" in listed.output


def test_channel_costs_are_set_per_country_or_as_a_default(config: Path) -> None:
    run(config, "channel-costs", "set", "eu-carrier", "0.012")
    run(config, "channel-costs", "set", "eu-carrier", "0.02", "--country", "gb")

    listed = run(config, "channel-costs", "list")

    assert listed.output.splitlines() == ["eu-carrier default 0.012", "eu-carrier GB 0.02"]
