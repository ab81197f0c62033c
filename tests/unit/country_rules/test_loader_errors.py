"""The loader refuses every kind of bad entry and names the key at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from parcelsms.domain.country_rules import QuietHours
from parcelsms.domain.country_rules_loading import load_country_rules, parse_country_rules
from parcelsms.errors import ConfigError

HEADER = """\
version = "2026-11-28"

[default]
alphanumeric_sender = "registration_required"
numeric_sender_fallback = "any_international"
receipts_reliable = false
"""

GOOD_ENTRY = """\
[[countries]]
code = "GB"
name = "United Kingdom"
alphanumeric_sender = "supported"
numeric_sender_fallback = "any_international"
receipts_reliable = true
time_zone = "Europe/London"
quiet_hours = "21:00-08:00"
notes = "Names are delivered."
sources = [{ title = "Example guideline", url = "https://example.org/gb" }]
"""


def entry(**changes: str | None) -> str:
    """GOOD_ENTRY with lines replaced (``key=None`` drops the line, new keys are appended)."""
    lines = GOOD_ENTRY.splitlines()
    result = []
    for line in lines:
        key = line.split(" = ", 1)[0]
        if key in changes:
            value = changes.pop(key)
            if value is not None:
                result.append(f"{key} = {value}")
        else:
            result.append(line)
    result.extend(f"{key} = {value}" for key, value in changes.items() if value is not None)
    return "\n".join(result) + "\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "country_rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_country_rules(write(tmp_path, text))
    return caught.value


def test_a_valid_minimal_file_loads(tmp_path: Path) -> None:
    rules = load_country_rules(write(tmp_path, HEADER + GOOD_ENTRY))
    rule = rules.get("GB")
    assert rule is not None
    assert rule.quiet_hours == QuietHours.parse("21:00-08:00")
    assert rules.version == "2026-11-28"


def test_quiet_hours_and_notes_are_optional(tmp_path: Path) -> None:
    rules = load_country_rules(write(tmp_path, HEADER + entry(quiet_hours=None, notes=None)))
    rule = rules.get("GB")
    assert rule is not None
    assert rule.quiet_hours is None
    assert rule.notes == ""


@pytest.mark.parametrize(
    ("changes", "key", "words"),
    [
        ({"alphanumeric_sender": '"yes"'}, "countries[1].alphanumeric_sender", "not one of"),
        ({"numeric_sender_fallback": '"local"'}, "countries[1].numeric_sender_fallback", "not one"),
        ({"receipts_reliable": '"true"'}, "countries[1].receipts_reliable", "true or false"),
        ({"code": '"UK"'}, "countries[1].code", "GB"),
        ({"code": '"fr"'}, "countries[1].code", "'FR'"),
        ({"code": '"XX"'}, "countries[1].code", "ISO 3166"),
        ({"time_zone": '"Europe/Atlantis"'}, "countries[1].time_zone", "IANA"),
        ({"time_zone": '"../etc/passwd"'}, "countries[1].time_zone", "IANA"),
        ({"quiet_hours": '"9pm-8am"'}, "countries[1].quiet_hours", "HH:MM-HH:MM"),
        ({"quiet_hours": '"24:00-08:00"'}, "countries[1].quiet_hours", "HH:MM-HH:MM"),
        ({"quiet_hours": '"08:00-08:00"'}, "countries[1].quiet_hours", "same minute"),
        ({"quiet_hours": "2100"}, "countries[1].quiet_hours", "string"),
        ({"sources": "[]"}, "countries[1].sources", "at least one source"),
        ({"sources": None}, "countries[1].sources", "missing required key"),
        ({"sources": '["https://example.org"]'}, "countries[1].sources[0]", "title"),
        (
            {"sources": '[{ title = "x", url = "http://example.org" }]'},
            "countries[1].sources[0].url",
            "https://",
        ),
        (
            {"sources": '[{ title = "x", url = "https://example.org", date = "2026" }]'},
            "countries[1].sources[0].date",
            "unknown key",
        ),
        ({"name": '""'}, "countries[1].name", "non-empty"),
        ({"name": None}, "countries[1].name", "missing required key"),
        ({"notes": "42"}, "countries[1].notes", "string"),
        ({"notes": '"' + "x" * 501 + '"'}, "countries[1].notes", "at most 500"),
        ({"sender_registry": "true"}, "countries[1].sender_registry", "unknown key"),
    ],
)
def test_bad_entry_is_refused_naming_its_key(
    tmp_path: Path, changes: dict[str, str | None], key: str, words: str
) -> None:
    # The bad entry is the second one, so the index in the key is checked too.
    other = entry(code='"DE"', name='"Germany"', time_zone='"Europe/Berlin"')
    failure = error_for(tmp_path, HEADER + other + "\n" + entry(**changes))
    assert failure.key == key
    assert words in str(failure)
    assert str(tmp_path) in str(failure)


def test_duplicate_code_is_refused_at_the_second_entry(tmp_path: Path) -> None:
    failure = error_for(tmp_path, HEADER + GOOD_ENTRY + "\n" + GOOD_ENTRY)
    assert failure.key == "countries[1].code"
    assert "countries[0]" in str(failure)


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        (HEADER.replace('"2026-11-28"', '"28/11/2026"') + GOOD_ENTRY, "version", "YYYY-MM-DD"),
        (HEADER.replace('"2026-11-28"', '"2026-1-8"') + GOOD_ENTRY, "version", "YYYY-MM-DD"),
        (HEADER.replace('version = "2026-11-28"\n', "") + GOOD_ENTRY, "version", "version"),
        ("owner = 'me'\n" + HEADER + GOOD_ENTRY, "owner", "unknown key"),
        (HEADER, "countries", "at least one"),
        (
            HEADER.replace("[default]", "[default]\nquiet_hours = '21:00-08:00'") + GOOD_ENTRY,
            "default.quiet_hours",
            "unknown key",
        ),
        (
            HEADER.replace('"any_international"', '"anything"') + GOOD_ENTRY,
            "default.numeric_sender_fallback",
            "not one of",
        ),
        (
            'version = "2026-11-28"\n' + GOOD_ENTRY,
            "default",
            "[default]",
        ),
    ],
)
def test_bad_file_level_value_is_refused_naming_its_key(
    tmp_path: Path, text: str, key: str, words: str
) -> None:
    failure = error_for(tmp_path, text)
    assert failure.key == key
    assert words in str(failure)


def test_invalid_toml_is_refused_with_the_file_name(tmp_path: Path) -> None:
    failure = error_for(tmp_path, HEADER + "[[countries]\ncode = 'GB'\n")
    assert failure.key is None
    assert "not valid TOML" in str(failure)
    assert str(tmp_path) in str(failure)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_country_rules(tmp_path / "nowhere.toml")


def test_parse_names_the_given_source_in_messages() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_country_rules(HEADER + entry(code='"UK"'), source="operator override")
    assert "operator override" in str(caught.value)
