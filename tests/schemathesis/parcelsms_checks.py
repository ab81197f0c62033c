"""schemathesis hooks for parcelsms: the document's named formats, and a stricter check.

Formats: ``printable`` (Python's ``str.isprintable`` with a non-space character) and
``ip-network`` (a CIDR network with its host bits zero) are rules JSON Schema patterns
cannot state; these strategies generate values that keep them.

Check ``valid_data_is_not_malformed``: ``positive_data_acceptance`` lets a schema-valid
request be answered with a documented business refusal (``422 invalid_number`` for a
well-formed number that does not exist); this check adds that such a request never gets a
code saying it does not match the schema. :data:`SEMANTIC_RULES` lists the few refusals of
schema-valid values the schema language cannot express, each with its reason.
"""

from __future__ import annotations

import ipaddress
import re

from hypothesis import strategies as st
from schemathesis.core.failures import Failure

import schemathesis

MALFORMED_CODES = frozenset(
    {"invalid_json", "invalid_request", "invalid_filter", "unsupported_media_type", "invalid_xml"}
)
# XML and form bodies carry no JSON types (every value is text), so a type-wrong value
# generated as negative data is indistinguishable from valid text there, and schemathesis's
# XML writer spells arrays and nulls its own way. Their mapping is tested against every
# operation by tests/integration/api/test_xml_round_trip.py and test_legacy_sends.py; here
# the bodies are JSON.
JSON_ONLY = "application/json"
# (code, field, message) regular expressions of refusals the schema cannot state.
SEMANTIC_RULES = (
    # Relations between two parameters.
    ("invalid_filter", "until|to", "(until|to) must be after (since|from)"),
    ("invalid_filter", "until|to", "covers at most"),
    # A report's bound has two names: one of them is required, and both agree.
    ("invalid_filter", "from|to", "is required \\(or its other name"),
    ("invalid_filter", "since|until", "are the same parameter"),
    # The time zone database, and a date at its edge moved by a zone.
    ("invalid_filter", "tz", "IANA time zone"),
    ("invalid_filter", "since|until|from|to", "out of the range of dates"),
    # Whether a well-formed number exists is libphonenumber's data, not a pattern.
    ("invalid_filter", "to", "not a valid mobile number"),
    ("invalid_filter", "from", "not a valid mobile number"),
    # Relative to the server's clock.
    ("invalid_request", "expires_at", "must be in the future"),
    # JSON Schema's "integer" includes 5.0; parcelsms wants an integer literal.
    ("invalid_request", ".*", r"Expected `int( \| null)?`, got `float`"),
)

_text = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")),
    min_size=1,
    max_size=40,
).filter(lambda value: value.isprintable() and bool(value.strip()))
schemathesis.openapi.format("printable", _text)


def _network(address: ipaddress.IPv4Address | ipaddress.IPv6Address, prefix: int) -> str:
    return str(ipaddress.ip_network(f"{address}/{min(prefix, address.max_prefixlen)}", False))


schemathesis.openapi.format(
    "ip-network", st.builds(_network, st.ip_addresses(), st.integers(min_value=0, max_value=128))
)


class MalformedValidData(Failure):
    """A schema-valid request was refused with a schema-level error code."""

    code = "PARCELSMS1"
    checks = ("valid_data_is_not_malformed",)
    kind_title = "Schema-valid request refused as malformed"


def _semantic(error: dict[str, object]) -> bool:
    return any(
        error.get("code") == code
        and re.fullmatch(field, str(error.get("field")))
        and re.search(message, str(error.get("message")))
        for code, field, message in SEMANTIC_RULES
    )


@schemathesis.check
def valid_data_is_not_malformed(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code < 400 or "json" not in response.headers.get("content-type", [""])[0]:
        return None
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") in MALFORMED_CODES and not _semantic(error):
        raise MalformedValidData(
            operation=case.operation.label,
            title="Schema-valid request refused as malformed",
            message=f"{response.status_code} {error.get('code')}: {response.text[:500]}",
        )
    return None


def _json_or_bodiless(case: schemathesis.Case) -> bool:
    return case.media_type is None or case.media_type == JSON_ONLY


@schemathesis.hook
def filter_case(context: schemathesis.HookContext, case: schemathesis.Case) -> bool:
    """Only JSON bodies (see :data:`JSON_ONLY`) in the generated phases."""
    return _json_or_bodiless(case)


@schemathesis.hook
def before_add_examples(
    context: schemathesis.HookContext, examples: list[schemathesis.Case]
) -> None:
    """Only JSON bodies (see :data:`JSON_ONLY`) among the schema's examples too."""
    examples[:] = [case for case in examples if _json_or_bodiless(case)]
