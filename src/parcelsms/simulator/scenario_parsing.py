"""Reading carrier-simulator scenarios: TOML or a mapping in, a validated :class:`Scenario` out.

A scenario is read from TOML (:func:`load_scenario`) or built from a mapping
(:func:`parse_scenario`); both validate everything at load and raise
:class:`~parcelsms.errors.ScenarioError` naming the offending key as a dotted path
(``rules[2].outcomes.DELIVRD``). The format::

    name = "mixed"                 # optional; shown in logs and stats
    seed = 42                      # makes every random choice reproducible
    max_held_deliveries = 100000   # receipts/MO kept while no receiver is bound
    message_id_style = "hex_padded"  # how ids are numbered and written (message_ids.py)

    [[accounts]]                   # absent: any system_id/password may bind
    system_id = "parcelsms"
    password = "secret"
    max_binds = 4                  # optional

    [defaults]                     # any rule setting; applies where a rule says nothing
    receipt_delay = 0.05

    [[rules]]
    prefix = "34"                  # longest matching destination prefix wins; "" = default
    outcomes = { DELIVRD = 0.9, UNDELIV = 0.1 }

Rule settings (all optional; see :class:`~parcelsms.simulator.scenario.Rule` for their meaning
and defaults):
``outcomes``, ``error_codes``, ``receipt_delay``, ``submit_error_rate``,
``submit_error_status``, ``throttle_tps``, ``drop_connection_every``, ``no_response_rate``,
``duplicate_receipt_rate``, ``receipt_before_response_rate``, ``mo_replies``,
``malformed_rate``.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from parcelsms.errors import ScenarioError
from parcelsms.protocol.smpp.constants import CommandStatus
from parcelsms.simulator.message_ids import MessageIdStyle
from parcelsms.simulator.scenario import (
    DEFAULT_ERROR_CODES,
    FINAL_STATES,
    MAX_MO_REPLIES,
    Account,
    ErrorCode,
    MoReply,
    Rule,
    Scenario,
)

__all__ = ["load_scenario", "parse_message_id_style", "parse_scenario"]


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a TOML scenario file; the name defaults to the file's stem."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ScenarioError(f"cannot read scenario file {file}: {error.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{file} is not valid TOML: {error}") from None
    return parse_scenario(data, default_name=file.stem)


_TOP_KEYS = frozenset(
    {"name", "seed", "accounts", "defaults", "rules", "max_held_deliveries", "message_id_style"}
)
_RULE_KEYS = frozenset(
    {
        "outcomes",
        "error_codes",
        "receipt_delay",
        "submit_error_rate",
        "submit_error_status",
        "throttle_tps",
        "drop_connection_every",
        "no_response_rate",
        "duplicate_receipt_rate",
        "receipt_before_response_rate",
        "mo_replies",
        "malformed_rate",
    }
)
_ACCOUNT_KEYS = frozenset({"system_id", "password", "max_binds"})
_MO_KEYS = frozenset({"text", "rate", "after", "concatenation"})
_MO_CONCATENATION = frozenset({"payload", "udh8", "udh16", "sar"})


def parse_scenario(data: Mapping[str, Any], *, default_name: str = "scenario") -> Scenario:
    """Validate a scenario given as a mapping (the shape of the TOML file)."""
    _reject_unknown(data, _TOP_KEYS, "")
    name = data.get("name", default_name)
    if not isinstance(name, str) or not name:
        raise ScenarioError("must be a non-empty string", key="name")
    seed = _integer(data.get("seed", 0), "seed", minimum=0, maximum=2**64 - 1)
    max_held = _integer(data.get("max_held_deliveries", 100_000), "max_held_deliveries", minimum=0)
    id_style = parse_message_id_style(data.get("message_id_style", MessageIdStyle.HEX_PADDED.value))
    accounts = _accounts(data.get("accounts", []))
    defaults_raw = data.get("defaults", {})
    if not isinstance(defaults_raw, Mapping):
        raise ScenarioError("must be a table", key="defaults")
    _reject_unknown(defaults_raw, _RULE_KEYS, "defaults")
    default_settings = _rule_settings(defaults_raw, "defaults")
    defaults = Rule(**default_settings)
    rules_raw = data.get("rules", [])
    if not isinstance(rules_raw, list):
        raise ScenarioError("must be an array of tables ([[rules]])", key="rules")
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(rules_raw):
        where = f"rules[{index}]"
        if not isinstance(raw, Mapping):
            raise ScenarioError("must be a table", key=where)
        _reject_unknown(raw, _RULE_KEYS | {"prefix"}, where)
        if "prefix" not in raw:
            raise ScenarioError('is required ("" for every destination)', key=f"{where}.prefix")
        prefix = raw["prefix"]
        if not isinstance(prefix, str) or not _is_digits_or_empty(prefix):
            raise ScenarioError("must be a string of digits, or empty", key=f"{where}.prefix")
        if prefix in seen:
            raise ScenarioError(
                f"duplicate prefix {prefix!r} (also rules[{seen[prefix]}])", key=f"{where}.prefix"
            )
        seen[prefix] = index
        settings = {**default_settings, **_rule_settings(raw, where), "prefix": prefix}
        rules.append(Rule(**settings))
    return Scenario(
        name=name,
        seed=seed,
        accounts=accounts,
        defaults=defaults,
        rules=tuple(rules),
        max_held_deliveries=max_held,
        message_id_style=id_style,
    )


def parse_message_id_style(value: Any, key: str = "message_id_style") -> MessageIdStyle:
    """A validated ``message_id_style`` (a scenario's, or the simulator constructor's)."""
    try:
        return MessageIdStyle(value)
    except ValueError:
        allowed = ", ".join(style.value for style in MessageIdStyle)
        raise ScenarioError(f"must be one of {allowed}", key=key) from None


def _is_digits_or_empty(text: str) -> bool:
    return not text or (text.isascii() and text.isdigit())


def _reject_unknown(table: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            path = f"{where}.{key}" if where else str(key)
            if key == "receipt_message_id_format":
                raise ScenarioError(
                    "is now the scenario's message_id_style (top level), e.g. "
                    'message_id_style = "hex_padded_decimal_receipt"',
                    key=path,
                )
            raise ScenarioError(f"unknown key (allowed: {', '.join(sorted(allowed))})", key=path)


def _accounts(raw: Any) -> tuple[Account, ...]:
    if not isinstance(raw, list):
        raise ScenarioError("must be an array of tables ([[accounts]])", key="accounts")
    accounts: list[Account] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        where = f"accounts[{index}]"
        if not isinstance(entry, Mapping):
            raise ScenarioError("must be a table", key=where)
        _reject_unknown(entry, _ACCOUNT_KEYS, where)
        system_id = _bounded_string(entry.get("system_id"), f"{where}.system_id", 15)
        if not system_id:
            raise ScenarioError("must not be empty", key=f"{where}.system_id")
        if system_id in seen:
            raise ScenarioError(f"duplicate account {system_id!r}", key=f"{where}.system_id")
        seen.add(system_id)
        password = _bounded_string(entry.get("password"), f"{where}.password", 8)
        max_binds = entry.get("max_binds")
        if max_binds is not None:
            max_binds = _integer(max_binds, f"{where}.max_binds", minimum=1)
        accounts.append(Account(system_id, password, max_binds))
    return tuple(accounts)


def _bounded_string(value: Any, key: str, limit: int) -> str:
    """An SMPP C-string field: ASCII, at most ``limit`` characters (the NUL excluded)."""
    if not isinstance(value, str):
        raise ScenarioError("is required and must be a string", key=key)
    if not value.isascii() or len(value) > limit:
        raise ScenarioError(f"must be at most {limit} ASCII characters", key=key)
    return value


def _rule_settings(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """Validated values of the rule settings present in ``raw``, by Rule field name."""
    settings: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{where}.{key}"
        if key == "prefix":
            continue
        if key == "outcomes":
            settings[key] = _outcomes(value, path)
        elif key == "error_codes":
            settings[key] = _error_codes(value, path)
        elif key == "receipt_delay":
            settings[key] = _delay(value, path)
        elif key == "submit_error_status":
            settings[key] = _status(value, path)
        elif key == "throttle_tps":
            settings[key] = _positive(value, path)
        elif key == "drop_connection_every":
            settings[key] = _integer(value, path, minimum=1)
        elif key == "mo_replies":
            settings[key] = _mo_replies(value, path)
        else:  # every other setting is a rate
            settings[key] = _rate(value, path)
    return settings


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ScenarioError("must be a number", key=key)
    number = float(value)
    if not math.isfinite(number):
        raise ScenarioError("must be a finite number", key=key)
    return number


def _rate(value: Any, key: str) -> float:
    number = _number(value, key)
    if not 0.0 <= number <= 1.0:
        raise ScenarioError("must be between 0 and 1", key=key)
    return number


def _positive(value: Any, key: str) -> float:
    number = _number(value, key)
    if number <= 0:
        raise ScenarioError("must be greater than 0", key=key)
    return number


def _integer(value: Any, key: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError("must be an integer", key=key)
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise ScenarioError(f"must be {bound}", key=key)
    return value


def _delay(value: Any, key: str) -> tuple[float, float]:
    if isinstance(value, list):
        if len(value) != 2:
            raise ScenarioError("must be a number or a [low, high] pair of seconds", key=key)
        low = _number(value[0], f"{key}[0]")
        high = _number(value[1], f"{key}[1]")
        if low < 0 or high < low:
            raise ScenarioError("must satisfy 0 <= low <= high", key=key)
        return (low, high)
    seconds = _number(value, key)
    if seconds < 0:
        raise ScenarioError("must not be negative", key=key)
    return (seconds, seconds)


def _status(value: Any, key: str) -> int:
    """A command_status: a specification name (``"ESME_RSYSERR"``) or a number."""
    if isinstance(value, str):
        try:
            return int(CommandStatus[value.upper()])
        except KeyError:
            pass
        try:
            number = int(value, 0)
        except ValueError:
            raise ScenarioError(
                "must be a command_status name such as ESME_RSYSERR, or a number", key=key
            ) from None
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise ScenarioError("must be a command_status name or a number", key=key)
    if not 0 < number <= 0xFFFFFFFF:
        raise ScenarioError("must be a non-zero 32-bit command_status", key=key)
    return number


def _outcomes(value: Any, key: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(value, Mapping) or not value:
        raise ScenarioError(
            f"must be a non-empty table of weights by state ({', '.join(FINAL_STATES)})",
            key=key,
        )
    weights: list[tuple[str, float]] = []
    for state, weight in value.items():
        path = f"{key}.{state}"
        if state not in FINAL_STATES:
            raise ScenarioError(f"unknown state (use {', '.join(FINAL_STATES)})", key=path)
        number = _number(weight, path)
        if number < 0:
            raise ScenarioError("must not be negative", key=path)
        weights.append((state, number))
    total = sum(weight for _, weight in weights)
    if total <= 0:
        raise ScenarioError("weights must not all be zero", key=key)
    cumulative: list[tuple[str, float]] = []
    running = 0.0
    for state, weight in weights:
        if weight == 0:
            continue
        running += weight
        cumulative.append((state, running / total))
    last_state, _ = cumulative[-1]
    cumulative[-1] = (last_state, 1.0)  # no float rounding gap at the top
    return tuple(cumulative)


def _error_codes(value: Any, key: str) -> dict[str, tuple[ErrorCode, ...]]:
    if not isinstance(value, Mapping):
        raise ScenarioError("must be a table of error-code lists by state", key=key)
    codes = dict(DEFAULT_ERROR_CODES)
    for state, entries in value.items():
        path = f"{key}.{state}"
        if state not in FINAL_STATES:
            raise ScenarioError(f"unknown state (use {', '.join(FINAL_STATES)})", key=path)
        if isinstance(entries, str | int) and not isinstance(entries, bool):
            entries = [entries]
        if not isinstance(entries, list) or not entries:
            raise ScenarioError("must be a non-empty list of codes", key=path)
        codes[state] = tuple(_error_code(entry, f"{path}[{i}]") for i, entry in enumerate(entries))
    return codes


def _error_code(value: Any, key: str) -> ErrorCode:
    """``"001"`` is decimal, ``"0x0A"`` hex; the receipt prints the text as written."""
    if isinstance(value, int) and not isinstance(value, bool):
        number, text = value, f"{value:03d}" if value >= 0 else ""
    elif isinstance(value, str) and value.isascii():
        text = value
        try:
            number = int(value, 16) if value.lower().startswith("0x") else int(value, 10)
        except ValueError:
            raise ScenarioError('must be decimal digits ("001") or hex ("0x0A")', key=key) from None
    else:
        raise ScenarioError('must be a code such as "001" or "0x0A"', key=key)
    if not 0 <= number <= 0xFFFF or not text:
        raise ScenarioError("must be between 0 and 65535", key=key)
    return ErrorCode(text, number)


def _mo_replies(value: Any, key: str) -> tuple[MoReply, ...]:
    if not isinstance(value, list):
        raise ScenarioError("must be a list of { text, rate, after } tables", key=key)
    if len(value) > MAX_MO_REPLIES:
        raise ScenarioError(f"at most {MAX_MO_REPLIES} replies per rule", key=key)
    replies: list[MoReply] = []
    for index, entry in enumerate(value):
        path = f"{key}[{index}]"
        if not isinstance(entry, Mapping):
            raise ScenarioError("must be a { text, rate, after } table", key=path)
        _reject_unknown(entry, _MO_KEYS, path)
        text = entry.get("text")
        if not isinstance(text, str) or not text:
            raise ScenarioError("is required and must be a non-empty string", key=f"{path}.text")
        if "rate" not in entry:
            raise ScenarioError("is required", key=f"{path}.rate")
        rate = _rate(entry["rate"], f"{path}.rate")
        after = _number(entry.get("after", 1.0), f"{path}.after")
        if after < 0:
            raise ScenarioError("must not be negative", key=f"{path}.after")
        concatenation = entry.get("concatenation", "payload")
        if concatenation not in _MO_CONCATENATION:
            raise ScenarioError(
                f"must be one of {', '.join(sorted(_MO_CONCATENATION))}",
                key=f"{path}.concatenation",
            )
        replies.append(MoReply(text, rate, after, concatenation))
    return tuple(replies)
