"""Reading and decoding JSON request bodies into Structs, with catalogued errors.

* Only ``application/json`` is accepted (``unsupported_media_type``).
* The size limit is enforced while the body streams in: a declared ``Content-Length`` over
  the limit is refused before reading a byte, and a chunked body is refused as soon as it
  crosses the limit, so a client cannot make the server buffer more than the limit.
* A refused body is read and discarded up to :data:`MAX_DISCARD_BYTES` (or until it ends)
  before the 413 is sent: a server that closes the connection while the client is still
  uploading makes the kernel answer with a reset, and the client then sees a connection
  error instead of the 413. A client that sent ``Expect: 100-continue`` has not sent its body
  and is answered at once.
* Arrays and objects nested more than :data:`MAX_JSON_DEPTH` deep are ``invalid_json``,
  checked before decoding: msgspec's decoder recurses once per level and has no depth
  limit of its own, so a 400 KB document of 50,000 ``[`` would end in ``RecursionError``.
* Syntax errors are ``invalid_json`` with msgspec's byte position; a body that is JSON but
  does not fit the Struct is ``invalid_request`` whose ``field`` is the JSON path of the
  offending value (``messages[3].to``, ``params``, or the unknown field's own path).
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import TypeVar

import msgspec
from starlette.requests import Request

from parcelsms.domain.error_catalogue import error
from parcelsms.errors import CatalogueError

T = TypeVar("T")

MAX_DISCARD_BYTES = 4 * 1024 * 1024
"""How much of a body over the limit is read and thrown away so the client sees the 413."""
MAX_JSON_DEPTH = 32
"""How deep arrays and objects may nest in a request body (a batch, the deepest, needs 4)."""

# A JSON string with its escapes: brackets inside strings do not nest anything.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Every byte except the four brackets, for bytes.translate(None, delete=...).
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<name>[^`]*)`")
_MISSING_FIELD = re.compile(r"^Object missing required field `(?P<name>[^`]*)`")


class RequestBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request body Structs: an unknown field is an ``invalid_request`` naming it,
    never silently ignored."""


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json"


async def read_json_body(request: Request, max_bytes: int) -> bytes:
    """The request body, refusing a non-JSON content type and bodies over ``max_bytes``.

    Raises ``unsupported_media_type`` (415), ``payload_too_large`` (413), or ``invalid_json``
    when the client disconnects before the body is complete.
    """
    if not _is_json(request.headers.get("content-type")):
        raise error(
            "unsupported_media_type",
            "Send the body as JSON with the header `Content-Type: application/json`.",
        )
    return await read_body_within(request, max_bytes)


async def read_body_within(request: Request, max_bytes: int) -> bytes:
    """The raw request body, refusing bodies over ``max_bytes`` while they stream in.

    Raises ``payload_too_large`` (413), or ``invalid_json`` when the client disconnects
    before the body is complete.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdecimal() and int(declared) > max_bytes:
        if int(declared) <= MAX_DISCARD_BYTES:
            await _discard_rest(request, 0)
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    total = 0
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise error("invalid_json", "The connection closed before the whole body arrived.")
        chunk: bytes = message.get("body", b"")
        total += len(chunk)
        more = message.get("more_body", False)
        if total > max_bytes:
            if more:
                await _discard_rest(request, total)
            raise _too_large(max_bytes)
        if chunk:
            chunks.append(chunk)
        if not more:
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _discard_rest(request: Request, already_read: int) -> None:
    """Read and drop the rest of the body, up to :data:`MAX_DISCARD_BYTES` in all."""
    if "100-continue" in request.headers.get("expect", "").lower():
        return
    total = already_read
    while total <= MAX_DISCARD_BYTES:
        message = await request.receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return
        total += len(message.get("body", b""))


def _too_large(max_bytes: int) -> CatalogueError:
    return error(
        "payload_too_large",
        f"The request body is larger than {max_bytes} bytes.",
    )


def check_nesting(body: bytes) -> None:
    """Raise ``invalid_json`` when arrays/objects in ``body`` nest deeper than the limit.

    Hand-written because neither msgspec nor the standard library's decoder can bound the
    depth. Linear and cheap: a body with at most :data:`MAX_JSON_DEPTH` opening brackets
    (nearly every request) is passed after two ``bytes.count`` calls; otherwise strings are
    cut out with one regular expression and the running depth is summed over the brackets
    alone, all in C loops. On a document that is not JSON anyway the result may be either
    ``invalid_json``.
    """
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if max(accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH:
        raise error(
            "invalid_json",
            f"The request body nests arrays and objects more than {MAX_JSON_DEPTH} deep.",
        )


def decode_body(
    decoder: msgspec.json.Decoder[T], body: bytes | msgspec.Raw, *, field_prefix: str = ""
) -> T:
    """Decode ``body`` with ``decoder``; raise ``invalid_json`` or ``invalid_request``.

    ``field_prefix`` (e.g. ``messages[3]``) is put in front of the reported field path when
    ``body`` is one element (a ``msgspec.Raw``) of a larger document; its nesting was
    checked with that document's.
    """
    if isinstance(body, bytes):
        check_nesting(body)
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as problem:
        raise invalid_request(str(problem), field_prefix) from None
    except msgspec.DecodeError as problem:
        raise error("invalid_json", f"The request body is not valid JSON: {problem}.") from None
    except UnicodeDecodeError as problem:
        raise error(
            "invalid_json",
            f"The request body is not valid UTF-8 (byte {problem.start}).",
        ) from None


def check_utf8(body: bytes) -> None:
    """Raise ``invalid_json`` unless ``body`` is valid UTF-8.

    Needed before decoding into ``msgspec.Raw``: raw elements are not checked by the first
    decode, and a bad byte inside one item is a broken document, not a bad item.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as problem:
        raise error(
            "invalid_json",
            f"The request body is not valid UTF-8 (byte {problem.start}).",
        ) from None


def invalid_request(validation_message: str, field_prefix: str = "") -> CatalogueError:
    """Translate a msgspec validation message into ``invalid_request`` with a JSON path."""
    message = validation_message
    path = ""
    match = _PATH.search(message)
    if match is not None:
        path = match.group("path")
        message = message[: match.start()]
    field = _join(field_prefix, _readable_path(path))
    unknown = _UNKNOWN_FIELD.match(message)
    if unknown is not None:
        field = _join(field, unknown.group("name"))
        return error(
            "invalid_request",
            f"Unknown field {unknown.group('name')!r}; see the schema in /openapi.json.",
            field=field,
        )
    missing = _MISSING_FIELD.match(message)
    if missing is not None:
        field = _join(field, missing.group("name"))
        return error(
            "invalid_request",
            f"The field {missing.group('name')!r} is required.",
            field=field,
        )
    return error("invalid_request", f"{message}.", field=field or None)


def _readable_path(path: str) -> str:
    """``.messages[0].to`` → ``messages[0].to``; a dict value (``[...]``) names its dict."""
    return path.replace("[...]", "").lstrip(".")


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    if not name:
        return prefix
    return f"{prefix}.{name}"


async def optional_json_body(
    request: Request, decoder: msgspec.json.Decoder[T], default: T, max_bytes: int
) -> T:
    """The decoded body, or ``default`` when the request has no body at all."""
    length = request.headers.get("content-length")
    has_body = "transfer-encoding" in request.headers or (length not in (None, "0"))
    if not has_body:
        return default
    return decode_body(decoder, await read_json_body(request, max_bytes))
