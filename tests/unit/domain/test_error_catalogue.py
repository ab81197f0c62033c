"""The error catalogue: entries, the error() helper and the generated docs/errors.md."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from parcelsms.domain.error_catalogue import CATALOGUE, error, internal_error
from parcelsms.errors import CatalogueError

REPOSITORY = Path(__file__).resolve().parents[3]

# The issue and the brief name these codes and statuses; clients depend on them.
REQUIRED = {
    "invalid_json": 400,
    "invalid_request": 422,
    "unauthorized": 401,
    "forbidden": 403,
    "account_suspended": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "idempotency_conflict": 409,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "invalid_number": 422,
    "not_mobile": 422,
    "unsupported_country": 422,
    "unknown_template": 422,
    "template_not_approved": 422,
    "template_language_unavailable": 422,
    "invalid_template": 422,
    "missing_param": 422,
    "unexpected_param": 422,
    "param_too_long": 422,
    "invalid_param": 422,
    "message_too_long": 422,
    "invalid_sender_id": 422,
    "invalid_webhook_url": 422,
    "invalid_callback_url": 422,
    "batch_too_large": 422,
    "amount_out_of_range": 422,
    "invalid_cursor": 400,
    "invalid_filter": 400,
    "insufficient_balance": 402,
    "rate_limited": 429,
    "service_unavailable": 503,
    "internal_error": 500,
}


@pytest.mark.parametrize(("code", "status"), sorted(REQUIRED.items()))
def test_required_code_is_catalogued_with_its_status(code: str, status: int) -> None:
    assert CATALOGUE[code].http_status == status


def test_every_entry_is_keyed_by_its_own_code_and_explains_itself() -> None:
    for code, kind in CATALOGUE.items():
        assert kind.code == code
        assert code.isascii()
        assert code == code.lower()
        assert " " not in code
        assert kind.title.endswith(".")
        assert len(kind.description) > 40
        assert 400 <= kind.http_status <= 599


def test_error_builds_a_catalogue_error_with_the_catalogue_status() -> None:
    built = error("missing_param", "needs tracking", field="params.tracking", hint="x")
    assert isinstance(built, CatalogueError)
    assert (built.code, built.status, built.message, built.field) == (
        "missing_param",
        422,
        "needs tracking",
        "params.tracking",
    )
    assert built.extra == {"hint": "x"}


@pytest.mark.parametrize("message", [None, ""])
def test_error_without_message_uses_the_title(message: str | None) -> None:
    built = error("rate_limited", message)
    assert built.message == CATALOGUE["rate_limited"].title
    assert built.field is None


def test_uncatalogued_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        error("no_such_code")


def test_internal_error_says_it_is_a_bug_and_gives_the_request_id() -> None:
    built = internal_error("req_123")
    assert built.status == 500
    assert "bug" in built.message
    assert "req_123" in built.message


def _load_generator() -> ModuleType:
    path = REPOSITORY / "scripts" / "generate_error_docs.py"
    spec = importlib.util.spec_from_file_location("generate_error_docs", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_errors_md_is_up_to_date_with_the_catalogue() -> None:
    generator = _load_generator()
    committed = (REPOSITORY / "docs" / "errors.md").read_text(encoding="utf-8")
    assert committed == generator.render_markdown(), (
        "docs/errors.md is stale: run python scripts/generate_error_docs.py"
    )


def test_docs_list_every_code_with_its_status_and_the_body_shape() -> None:
    text = _load_generator().render_markdown()
    for code, kind in CATALOGUE.items():
        assert f"| `{code}` | {kind.http_status} |" in text
    assert '"error": {' in text
    assert '"field"' in text


def test_generator_check_mode_detects_a_stale_file(tmp_path: Path) -> None:
    generator = _load_generator()
    target = tmp_path / "errors.md"
    target.write_text("stale\n", encoding="utf-8")
    assert generator.main(["--check", "--output", str(target)]) == 1
    assert generator.main(["--output", str(target)]) == 0
    assert generator.main(["--check", "--output", str(target)]) == 0
