"""Single-value rules: language tags, template references, Idempotency-Key."""

from __future__ import annotations

import pytest

from parcelsms.api.field_rules import (
    canonical_language,
    idempotency_key,
    template_name,
    template_reference,
)
from parcelsms.errors import CatalogueError


@pytest.mark.parametrize(
    ("tag", "canonical"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("pt-br", "pt-BR"),
        ("zh-hans", "zh-Hans"),
        ("ZH-HANS-cn", "zh-Hans-CN"),
        ("es-419", "es-419"),
        ("yue", "yue"),
        ("de-CH-1996", "de-CH-1996"),
    ],
)
def test_language_tags_take_their_canonical_letter_case(tag: str, canonical: str) -> None:
    assert canonical_language(tag) == canonical


@pytest.mark.parametrize(
    "tag", ["", "e", "english", "en-", "en_GB", "-en", "en--GB", "en\n", "1en", "en-toolongsubtag"]
)
def test_malformed_language_tags_are_invalid_request(tag: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        canonical_language(tag, field="messages[1].language")

    assert caught.value.code == "invalid_request"
    assert caught.value.field == "messages[1].language"


@pytest.mark.parametrize("reference", ["shipped", "in_customs_2", "tpl_01J3K4Z6Y8X0V2T4R6P8N0M2K0"])
def test_names_and_template_ids_are_references(reference: str) -> None:
    assert template_reference(reference) == reference


@pytest.mark.parametrize(
    "reference", ["Shipped", "tpl_01J-bad", "msg_01J3K4Z6Y8X0V2T4R6P8N0M2K0", "a b"]
)
def test_anything_else_is_an_unknown_template_without_asking_storage(reference: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        template_reference(reference)

    assert caught.value.code == "unknown_template"
    assert caught.value.field == "template"


def test_template_names_refuse_a_trailing_newline() -> None:
    with pytest.raises(CatalogueError):
        template_name("shipped\n")


@pytest.mark.parametrize("key", ["a", "order-1234/shipped", "~" * 255])
def test_printable_ascii_idempotency_keys_up_to_255_are_accepted(key: str) -> None:
    assert idempotency_key(key) == key


def test_no_idempotency_header_means_no_key() -> None:
    assert idempotency_key(None) is None


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "clé"])
def test_other_idempotency_keys_are_invalid_request(key: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        idempotency_key(key)

    assert caught.value.code == "invalid_request"
    assert caught.value.field == "Idempotency-Key"
