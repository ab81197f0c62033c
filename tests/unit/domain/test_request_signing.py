"""Signed requests: the documented canonical text, the timestamp window, header shapes."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from signing_client import signed_headers

from parcelsms.domain.api_keys import derive_signing_key
from parcelsms.domain.request_signing import (
    MAX_SKEW_SECONDS,
    check_signature_headers,
    sign_request,
    signature_matches,
)
from parcelsms.errors import CatalogueError

KEY = "psk_01J8ZQ0000000000000000000A.c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I"
NOW = 1_767_614_400


def test_the_server_signature_equals_the_documented_client_signature() -> None:
    body = b'{"to":"+447911123456"}'
    client = signed_headers(KEY, "post", "/v1/messages?x=1", body, timestamp=NOW, nonce="n" * 20)

    server = sign_request(
        derive_signing_key(KEY), "POST", "/v1/messages?x=1", str(NOW), "n" * 20, body
    )

    assert server == client["X-Parcelsms-Signature"]
    assert client["X-Parcelsms-Key-Id"] == "key_01J8ZQ0000000000000000000A"


def test_the_signing_key_is_an_hmac_of_the_api_key() -> None:
    expected = hmac.new(KEY.encode(), b"parcelsms-request-signing-v1", hashlib.sha256).digest()

    assert derive_signing_key(KEY) == expected


@pytest.mark.parametrize("change", ["method", "target", "timestamp", "nonce", "body"])
def test_every_signed_part_changes_the_signature(change: str) -> None:
    parts = {"method": "POST", "target": "/v1/x", "timestamp": "1", "nonce": "n" * 16, "body": b""}
    original = sign_request(b"k", *parts.values())  # type: ignore[arg-type]
    parts[change] = {
        "method": "PUT",
        "target": "/v1/y",
        "timestamp": "2",
        "nonce": "m" * 16,
        "body": b"{}",
    }[change]

    assert sign_request(b"k", *parts.values()) != original  # type: ignore[arg-type]


@pytest.mark.parametrize("offset", [0, MAX_SKEW_SECONDS, -MAX_SKEW_SECONDS])
def test_timestamps_within_the_window_pass(offset: int) -> None:
    assert check_signature_headers(str(NOW + offset), "n" * 16, "a" * 64, NOW) == NOW + offset


@pytest.mark.parametrize("offset", [MAX_SKEW_SECONDS + 1, -MAX_SKEW_SECONDS - 1])
def test_timestamps_outside_the_window_are_expired(offset: int) -> None:
    with pytest.raises(CatalogueError) as caught:
        check_signature_headers(str(NOW + offset), "n" * 16, "a" * 64, NOW)

    assert caught.value.code == "signature_expired"


@pytest.mark.parametrize(
    ("timestamp", "nonce", "signature"),
    [
        ("1.5", "n" * 16, "a" * 64),
        (str(NOW), "n" * 15, "a" * 64),
        (str(NOW), "n" * 65, "a" * 64),
        (str(NOW), "n" * 15 + "!", "a" * 64),
        (str(NOW), "n" * 16, "A" * 64),
        (str(NOW), "n" * 16, "a" * 63),
    ],
)
def test_malformed_headers_are_unauthorized(timestamp: str, nonce: str, signature: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        check_signature_headers(timestamp, nonce, signature, NOW)

    assert caught.value.code == "unauthorized"


def test_signatures_compare_exactly() -> None:
    assert signature_matches("ab" * 32, "ab" * 32)
    assert not signature_matches("ab" * 32, "ab" * 31 + "ac")
