"""The request Structs: documented and decoded shapes agree."""

from __future__ import annotations

import msgspec

from parcelsms.api.resources.messages import schemas
from parcelsms.api.resources.messages.endpoints import request_hash


def test_the_documented_batch_and_the_decoded_batch_have_the_same_fields() -> None:
    documented = msgspec.structs.fields(schemas.BatchCreate)
    decoded = msgspec.structs.fields(schemas.BatchEnvelope)

    assert [(field.name, field.required) for field in documented] == [
        (field.name, field.required) for field in decoded
    ]


def test_request_hash_ignores_key_order_and_spelt_out_defaults() -> None:
    decoder = msgspec.json.Decoder(schemas.MessageCreate)
    short = decoder.decode(b'{"to": "+1", "template": "t", "params": {"a": 1, "b": "x"}}')
    long = decoder.decode(
        b'{"params": {"b": "x", "a": 1}, "language": null, "template": "t", "to": "+1"}'
    )
    other = decoder.decode(b'{"to": "+1", "template": "t", "params": {"a": 2, "b": "x"}}')

    assert request_hash(short) == request_hash(long)
    assert request_hash(short) != request_hash(other)
