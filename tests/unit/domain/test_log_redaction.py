"""The log safety net: numbers masked, secrets removed, harmless digits left alone."""

from __future__ import annotations

import pytest

from parcelsms.domain.log_redaction import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("to +447911123456 ok", "to +44791****456 ok"),
        ("+44 7911 123456", "+44791****456"),
        ("destination_addr=447911123456", "destination_addr=44791****456"),
        ("GET /v1/messages?to=%2B447911123456", "GET /v1/messages?to=%2B44791****456"),
        ("(+1) 415-555-2671", "(+1415****671"),
    ],
)
def test_phone_numbers_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "sent 2684354560 parts",  # a carrier id in decimal: ten digits, no +
        "2026-01-05T12:00:03.250000+00:00",
        "127.0.0.1:45678",
        "msg_01JD3K4Z6Y8X0V2T4R6P8N0M2K",
        "batch of 1000 in 12.5 ms",
    ],
)
def test_ordinary_digits_are_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("key psk_01J8ZQ.AbC-_123xyz used", "AbC-_123xyz"),
        ("secret whsec_c2VjcmV0IHNlY3JldA== set", "c2VjcmV0IHNlY3JldA=="),
        ("Authorization: Bearer abc.DEF-123", "abc.DEF-123"),
        ("bind password=hunter2, system_id=x", "hunter2"),
        ('{"token": "t0k3n-value"}', "t0k3n-value"),
        ("pepper: 5f4dcc3b5aa765d61d8327deb882cf99", "5f4dcc3b5aa765d61d8327deb882cf99"),
    ],
)
def test_secrets_are_removed(text: str, secret: str) -> None:
    redacted = redact(text)

    assert secret not in redacted
    assert "[redacted]" in redacted
