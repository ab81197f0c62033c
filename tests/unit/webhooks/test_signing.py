"""Standard Webhooks signatures: verified by the package and recomputed by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from parcelsms.adapters.webhooks.signing import new_signing_secret, sign

BODY = json.dumps({"type": "message.delivered", "data": {"id": "msg_01HX", "to": "+65…"}}).encode()


def test_signature_verifies_with_the_standardwebhooks_package() -> None:
    secret = new_signing_secret()
    headers = sign(secret, "evt_01HXYZ", datetime.now(UTC), BODY)

    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_signature_matches_an_independent_hmac_of_the_spec() -> None:
    secret = "whsec_" + base64.b64encode(bytes(range(32))).decode()
    moment = datetime(2024, 1, 1, 4, 0, 0, tzinfo=UTC)
    headers = sign(secret, "evt_1", moment, BODY)

    key = bytes(range(32))
    signed_content = b"evt_1.1704081600." + BODY
    expected = base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode()
    assert headers == {
        "webhook-id": "evt_1",
        "webhook-timestamp": "1704081600",
        "webhook-signature": f"v1,{expected}",
    }


def test_documented_test_vector_is_reproduced() -> None:
    # docs/webhooks-signing.md publishes this vector; its signature was computed with
    # Node's crypto module, independently of this package.
    body = b'{"type":"message.delivered","data":{"id":"msg_01HX7Q4W3Z5K8M2N6P9R0S1T2V"}}'
    headers = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw6z6jYl+3K0Q=",
        "evt_01HX7Q4W3Z5K8M2N6P9R0S1T2V",
        datetime.fromtimestamp(1714471200, UTC),
        body,
    )
    assert headers["webhook-timestamp"] == "1714471200"
    assert headers["webhook-signature"] == "v1,+WGvH0yFWSB7SZdy3aWkkeJt0YirUdbUeQyQELaRhZ8="


def test_timestamp_in_another_zone_is_sent_as_utc_epoch_seconds() -> None:
    # 12:00 at UTC+8 is 04:00 UTC, 1704081600 seconds after the epoch.
    moment = datetime(2024, 1, 1, 12, 0, 0, 999_999, tzinfo=timezone(timedelta(hours=8)))
    headers = sign(new_signing_secret(), "evt_1", moment, BODY)
    assert headers["webhook-timestamp"] == "1704081600"


def test_signature_of_a_non_utc_timestamp_covers_the_utc_seconds_sent() -> None:
    # The package's own sign() would re-label a +08:00 time as UTC, signing a moment
    # eight hours off from the header; a receiver recomputing from the header must agree.
    key = bytes(range(32, 64))
    secret = "whsec_" + base64.b64encode(key).decode()
    moment = datetime(2024, 1, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    headers = sign(secret, "evt_1", moment, BODY)

    signed_content = b"evt_1.1704081600." + BODY
    expected = base64.b64encode(hmac.new(key, signed_content, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"


def test_tampered_body_fails_verification() -> None:
    secret = new_signing_secret()
    headers = sign(secret, "evt_1", datetime.now(UTC), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"delivered", b"failed"), headers)


def test_other_secret_fails_verification() -> None:
    headers = sign(new_signing_secret(), "evt_1", datetime.now(UTC), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_signing_secret()).verify(BODY, headers)


def test_new_secrets_are_prefixed_random_32_byte_keys() -> None:
    first, second = new_signing_secret(), new_signing_secret()
    assert first.startswith("whsec_")
    assert len(base64.b64decode(first.removeprefix("whsec_"), validate=True)) == 32
    assert first != second


@pytest.mark.parametrize(
    "secret",
    [
        base64.b64encode(bytes(32)).decode(),
        "whsec_not*base64!",
        "whsec_" + base64.b64encode(bytes(16)).decode(),
        "whsec_" + base64.b64encode(bytes(65)).decode(),
        "whsec_",
    ],
    ids=["no-prefix", "not-base64", "too-short", "too-long", "empty"],
)
def test_malformed_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="secret"):
        sign(secret, "evt_1", datetime.now(UTC), BODY)


def test_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign(new_signing_secret(), "evt_1", datetime(2024, 1, 1), BODY)


@pytest.mark.parametrize("event_id", ["", "evt 1", "evt\r\nx-injected: 1", "évt"])
def test_event_ids_that_cannot_travel_in_a_header_are_refused(event_id: str) -> None:
    with pytest.raises(ValueError, match="webhook id"):
        sign(new_signing_secret(), event_id, datetime.now(UTC), BODY)


def test_body_that_is_not_utf_8_is_refused() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - UnicodeDecodeError has no stable message
        sign(new_signing_secret(), "evt_1", datetime.now(UTC), b"\xff\xfe")
