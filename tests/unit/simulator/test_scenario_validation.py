"""Scenario files are validated at load, and every error names the offending key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from parcelsms.errors import ScenarioError
from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.simulator import (
    BEHAVIOURS,
    Account,
    ErrorCode,
    MessageIdStyle,
    MoReply,
    Scenario,
    behaviour,
    load_scenario,
    parse_scenario,
    resolve_scenario,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "scenarios"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"colour": "blue"}, "colour"),
        ({"name": ""}, "name"),
        ({"seed": -1}, "seed"),
        ({"seed": "42"}, "seed"),
        ({"max_held_deliveries": -5}, "max_held_deliveries"),
        ({"accounts": {"system_id": "a"}}, "accounts"),
        ({"accounts": [{"password": "x"}]}, "accounts[0].system_id"),
        ({"accounts": [{"system_id": "a"}]}, "accounts[0].password"),
        ({"accounts": [{"system_id": "a" * 16, "password": "x"}]}, "accounts[0].system_id"),
        ({"accounts": [{"system_id": "a", "password": "123456789"}]}, "accounts[0].password"),
        ({"accounts": [{"system_id": "a", "password": "x", "max_binds": 0}]},
         "accounts[0].max_binds"),
        ({"accounts": [{"system_id": "a", "password": "x", "colour": 1}]}, "accounts[0].colour"),
        ({"accounts": [{"system_id": "a", "password": "x"}, {"system_id": "a", "password": "y"}]},
         "accounts[1].system_id"),
        ({"defaults": []}, "defaults"),
        ({"defaults": {"prefix": "34"}}, "defaults.prefix"),
        ({"defaults": {"outcomes": {}}}, "defaults.outcomes"),
        ({"defaults": {"outcomes": {"DELIVERED": 1}}}, "defaults.outcomes.DELIVERED"),
        ({"defaults": {"outcomes": {"DELIVRD": -1}}}, "defaults.outcomes.DELIVRD"),
        ({"defaults": {"outcomes": {"DELIVRD": 0, "UNDELIV": 0}}}, "defaults.outcomes"),
        ({"defaults": {"outcomes": {"DELIVRD": "most"}}}, "defaults.outcomes.DELIVRD"),
        ({"defaults": {"error_codes": {"UNDELIV": []}}}, "defaults.error_codes.UNDELIV"),
        ({"defaults": {"error_codes": {"UNDELIV": ["zz"]}}}, "defaults.error_codes.UNDELIV[0]"),
        ({"defaults": {"error_codes": {"UNDELIV": ["0x10000"]}}},
         "defaults.error_codes.UNDELIV[0]"),
        ({"defaults": {"error_codes": {"LOST": ["001"]}}}, "defaults.error_codes.LOST"),
        ({"defaults": {"receipt_delay": -0.1}}, "defaults.receipt_delay"),
        ({"defaults": {"receipt_delay": [2.0, 1.0]}}, "defaults.receipt_delay"),
        ({"defaults": {"receipt_delay": [1.0]}}, "defaults.receipt_delay"),
        ({"defaults": {"receipt_delay": [1.0, "x"]}}, "defaults.receipt_delay[1]"),
        ({"defaults": {"submit_error_rate": 1.5}}, "defaults.submit_error_rate"),
        ({"defaults": {"submit_error_rate": True}}, "defaults.submit_error_rate"),
        ({"defaults": {"submit_error_status": "ESME_RNOPE"}}, "defaults.submit_error_status"),
        ({"defaults": {"submit_error_status": 0}}, "defaults.submit_error_status"),
        ({"defaults": {"throttle_tps": 0}}, "defaults.throttle_tps"),
        ({"defaults": {"drop_connection_every": 0}}, "defaults.drop_connection_every"),
        ({"defaults": {"drop_connection_every": 2.5}}, "defaults.drop_connection_every"),
        ({"defaults": {"no_response_rate": -0.1}}, "defaults.no_response_rate"),
        ({"defaults": {"duplicate_receipt_rate": 2}}, "defaults.duplicate_receipt_rate"),
        ({"defaults": {"receipt_before_response_rate": "often"}},
         "defaults.receipt_before_response_rate"),
        ({"message_id_style": "octal"}, "message_id_style"),
        ({"message_id_style": 1}, "message_id_style"),
        ({"defaults": {"receipt_message_id_format": "decimal"}},
         "defaults.receipt_message_id_format"),
        ({"defaults": {"malformed_rate": float("nan")}}, "defaults.malformed_rate"),
        ({"defaults": {"mo_replies": {"text": "STOP"}}}, "defaults.mo_replies"),
        ({"defaults": {"mo_replies": [{"rate": 0.1}]}}, "defaults.mo_replies[0].text"),
        ({"defaults": {"mo_replies": [{"text": "STOP"}]}}, "defaults.mo_replies[0].rate"),
        ({"defaults": {"mo_replies": [{"text": "STOP", "rate": 0.1, "after": -1}]}},
         "defaults.mo_replies[0].after"),
        ({"defaults": {"mo_replies": [{"text": "STOP", "rate": 0.1, "when": 1}]}},
         "defaults.mo_replies[0].when"),
        ({"defaults": {"mo_replies": [{"text": "STOP", "rate": 0.1, "concatenation": "udh7"}]}},
         "defaults.mo_replies[0].concatenation"),
        ({"defaults": {"mo_replies": [{"text": "x", "rate": 0.1}] * 9}}, "defaults.mo_replies"),
        ({"rules": {"prefix": "34"}}, "rules"),
        ({"rules": [{"outcomes": {"DELIVRD": 1}}]}, "rules[0].prefix"),
        ({"rules": [{"prefix": 34}]}, "rules[0].prefix"),
        ({"rules": [{"prefix": "+34"}]}, "rules[0].prefix"),
        ({"rules": [{"prefix": "34"}, {"prefix": "34"}]}, "rules[1].prefix"),
        ({"rules": [{"prefix": "34"}, {"prefix": "44", "receipt_delay": "soon"}]},
         "rules[1].receipt_delay"),
        ({"rules": [{"prefix": "34", "throtle_tps": 5}]}, "rules[0].throtle_tps"),
    ],
)  # fmt: skip
def test_every_validation_error_names_its_key(data: dict[str, Any], key: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(data)

    assert raised.value.key == key
    assert str(raised.value).startswith(f"{key}: ")


def test_the_old_per_rule_receipt_id_format_says_where_the_setting_went() -> None:
    with pytest.raises(ScenarioError, match="message_id_style") as raised:
        parse_scenario({"rules": [{"prefix": "34", "receipt_message_id_format": "decimal"}]})

    assert raised.value.key == "rules[0].receipt_message_id_format"


@pytest.mark.parametrize("style", list(MessageIdStyle))
def test_the_message_id_style_is_a_top_level_setting(style: MessageIdStyle) -> None:
    assert parse_scenario({"message_id_style": style.value}).message_id_style is style
    assert parse_scenario({}).message_id_style is MessageIdStyle.HEX_PADDED


def test_an_empty_scenario_accepts_everything_and_delivers_after_50_ms() -> None:
    scenario = parse_scenario({})

    rule = scenario.rule_for("34600000001")
    assert scenario.accounts == ()
    assert rule.outcomes == (("DELIVRD", 1.0),)
    assert rule.receipt_delay == (0.05, 0.05)
    assert rule.submit_error_rate == rule.no_response_rate == 0.0
    assert rule.throttle_tps is None
    assert rule.drop_connection_every is None
    assert scenario == Scenario(name="scenario")


def test_longest_matching_prefix_wins_and_defaults_fill_the_rest() -> None:
    scenario = parse_scenario(
        {
            "defaults": {"receipt_delay": 0.5, "throttle_tps": 10},
            "rules": [
                {"prefix": "3", "receipt_delay": 1.0},
                {"prefix": "34", "receipt_delay": 2.0},
                {"prefix": "346", "throttle_tps": 99},
            ],
        }
    )

    assert scenario.rule_for("34612345678").prefix == "346"
    assert scenario.rule_for("34612345678").receipt_delay == (0.5, 0.5)  # from defaults
    assert scenario.rule_for("34612345678").throttle_tps == 99
    assert scenario.rule_for("+34912345678").receipt_delay == (2.0, 2.0)
    assert scenario.rule_for("33123456789").receipt_delay == (1.0, 1.0)
    assert scenario.rule_for("4412345678").prefix == ""  # no rule: the defaults
    assert scenario.rule_for("4412345678").throttle_tps == 10


def test_an_empty_prefix_rule_replaces_the_defaults_for_unmatched_destinations() -> None:
    scenario = parse_scenario(
        {"rules": [{"prefix": "", "outcomes": {"UNDELIV": 1}}, {"prefix": "34"}]}
    )

    assert scenario.rule_for("4412345678").outcomes == (("UNDELIV", 1.0),)
    assert scenario.rule_for("34612345678").outcomes == (("DELIVRD", 1.0),)


def test_weights_become_cumulative_shares_and_zero_weights_drop_out() -> None:
    rule = parse_scenario(
        {"defaults": {"outcomes": {"DELIVRD": 6, "UNDELIV": 0, "EXPIRED": 3, "REJECTD": 1}}}
    ).defaults

    assert [state for state, _ in rule.outcomes] == ["DELIVRD", "EXPIRED", "REJECTD"]
    assert [round(share, 9) for _, share in rule.outcomes] == [0.6, 0.9, 1.0]


def test_error_codes_keep_their_text_and_read_hex_and_decimal_values() -> None:
    rule = parse_scenario({"defaults": {"error_codes": {"UNDELIV": ["001", "0x0A", 27]}}}).defaults

    assert rule.error_codes["UNDELIV"] == (
        ErrorCode("001", 1),
        ErrorCode("0x0A", 10),
        ErrorCode("027", 27),
    )
    assert rule.error_codes["REJECTD"]  # states not mentioned keep a default code


@pytest.mark.parametrize(
    ("value", "expected"),
    [("ESME_RTHROTTLED", CommandStatus.ESME_RTHROTTLED), ("esme_rsyserr", 8), (0x45, 0x45),
     ("0x400", 0x400), ("1100", 1100)],
)  # fmt: skip
def test_submit_error_status_takes_a_name_or_a_number(value: object, expected: int) -> None:
    rule = parse_scenario({"defaults": {"submit_error_status": value}}).defaults

    assert rule.submit_error_status == expected


def test_the_mixed_example_file_loads_with_its_accounts_rules_and_replies() -> None:
    scenario = load_scenario(EXAMPLES / "mixed.toml")

    assert scenario.name == "mixed"
    assert scenario.seed == 20261128
    assert scenario.accounts[0] == Account("parcelsms", "s3cret", 4)
    assert scenario.message_id_style is MessageIdStyle.HEX_PADDED_DECIMAL_RECEIPT
    spain = scenario.rule_for("34612345678")
    assert MoReply("¿Dónde está mi paquete?", 0.05, 3.0) in spain.mo_replies
    assert spain.duplicate_receipt_rate == 0.01  # inherited from [defaults]
    assert scenario.rule_for("8613800000000").throttle_tps == 100
    assert scenario.rule_for("5511912345678").no_response_rate == 0.005


@pytest.mark.parametrize("name", sorted(BEHAVIOURS))
def test_each_named_behaviour_equals_its_example_file(name: str) -> None:
    assert load_scenario(EXAMPLES / f"{name}.toml") == behaviour(name)


def test_every_named_behaviour_has_an_example_file() -> None:
    files = {path.stem for path in EXAMPLES.glob("*.toml")}

    assert set(BEHAVIOURS) <= files


def test_an_unknown_behaviour_is_an_error_naming_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="happy") as raised:
        behaviour("sunny")

    assert raised.value.key == "behaviour"


def test_a_file_that_is_not_toml_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[defaults\nreceipt_delay = 1\n")

    with pytest.raises(ScenarioError, match=r"broken\.toml"):
        load_scenario(path)


def test_a_file_error_names_the_key_and_the_name_defaults_to_the_stem(tmp_path: Path) -> None:
    path = tmp_path / "spain.toml"
    path.write_text('[[rules]]\nprefix = "34"\nno_response_rate = 3\n')

    with pytest.raises(ScenarioError) as raised:
        load_scenario(path)
    assert raised.value.key == "rules[0].no_response_rate"

    path.write_text('[[rules]]\nprefix = "34"\n')
    assert load_scenario(path).name == "spain"


def test_resolve_scenario_accepts_none_a_scenario_a_name_or_a_path(tmp_path: Path) -> None:
    path = tmp_path / "custom.toml"
    path.write_text("seed = 7\n")
    scenario = parse_scenario({"seed": 3})

    assert resolve_scenario(None) == Scenario()
    assert resolve_scenario(scenario) is scenario
    assert resolve_scenario("throttled") == behaviour("throttled")
    assert resolve_scenario(path).seed == 7
    assert resolve_scenario(str(path)).seed == 7
    with pytest.raises(ScenarioError) as raised:
        resolve_scenario("sunny")
    assert raised.value.key == "scenario"


def test_the_commented_example_in_the_documentation_is_a_valid_scenario() -> None:
    document = (EXAMPLES.parents[1] / "docs" / "smpp.md").read_text()
    blocks = [block.split("```", 1)[0] for block in document.split("```toml\n")[1:]]
    [example] = [block for block in blocks if "[defaults]" in block]

    scenario = parse_scenario(tomllib.loads(example))

    assert scenario.name == "mixed"
    assert scenario.rule_for("8613800000000").throttle_tps == 100
    assert scenario.message_id_style is MessageIdStyle.HEX_PADDED_DECIMAL_RECEIPT
