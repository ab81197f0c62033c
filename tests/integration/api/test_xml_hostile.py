"""Hostile XML bodies are refused with ``400 invalid_xml``: nothing expanded, read or fetched.

The corpus: billion laughs, quadratic blowup, external entities naming a local file (with a
marker the answer must not contain, and an audit hook that records any opening of it) and
a URL (a local HTTP server that counts hits), an external DTD, any DTD at all, 10,000 nested
elements and bytes that are not UTF-8. A pytest timeout guards against an expansion taking
its time instead of being refused.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from parcelsms.api.content_negotiation import speaks_xml

XML = {"Content-Type": "application/xml"}
MARKER = "h14-secret-marker-7f3a"
_opened: list[str] = []
_watched: set[str] = set()


def _record_opens(event: str, arguments: tuple[Any, ...]) -> None:
    if event == "open" and arguments and str(arguments[0]) in _watched:
        _opened.append(str(arguments[0]))


sys.addaudithook(_record_opens)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<MessageCreate><to>&lol9;</to><template>shipped</template></MessageCreate>"""
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "'
    + b"x" * 50_000
    + b'">]><MessageCreate><to>'
    + b"&a;" * 20_000
    + b"</to></MessageCreate>"
)


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(MARKER)
    _watched.add(str(path))
    return path


@pytest.fixture
async def hits() -> AsyncIterator[tuple[str, list[bytes]]]:
    """A local HTTP server's address and the request lines it received."""
    received: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readline())
        writer.write(b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n<!ENTITY x "pwned">')
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", received


def _corpus(secret: Path, base_url: str) -> dict[str, bytes]:
    return {
        "billion laughs": BILLION_LAUGHS,
        "quadratic blowup": QUADRATIC_BLOWUP,
        "external entity, file": (
            f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file://{secret}">]>'
            "<MessageCreate><to>+447400123456</to><template>shipped</template>"
            "<client_ref>&x;</client_ref></MessageCreate>"
        ).encode(),
        "external entity, url": (
            f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "{base_url}/entity">]>'
            "<MessageCreate><to>&x;</to></MessageCreate>"
        ).encode(),
        "parameter entity, url": (
            f'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY % p SYSTEM "{base_url}/p.dtd"> %p;]>'
            "<MessageCreate><to>&x;</to></MessageCreate>"
        ).encode(),
        "external dtd": (
            f'<?xml version="1.0"?><!DOCTYPE MessageCreate SYSTEM "{base_url}/evil.dtd">'
            "<MessageCreate><to>+447400123456</to></MessageCreate>"
        ).encode(),
        "any dtd": b"<!DOCTYPE MessageCreate><MessageCreate><to>+447400123456</to></MessageCreate>",
        "10k nesting": b"<a>" * 10_000 + b"</a>" * 10_000,
        "invalid utf-8": b"<MessageCreate><to>\xff\xfe+44</to></MessageCreate>",
        "not xml": b"to=+447400123456&template=shipped",
        "no element": b'<?xml version="1.0"?>',
    }


@pytest.mark.timeout(20)
async def test_every_hostile_document_is_refused_without_reading_or_fetching(
    api: Any, secret_file: Path, hits: tuple[str, list[bytes]]
) -> None:
    base_url, received = hits
    for name, document in _corpus(secret_file, base_url).items():
        response = await api.alpha.client.post("/v1/messages", content=document, headers=XML)

        assert response.status_code == 400, name
        error = response.json()["error"]
        assert error["code"] == "invalid_xml", name
        assert MARKER not in response.text, name
        assert "pwned" not in response.text, name
    assert received == []
    assert _opened == []
    listed = await api.alpha.client.get("/v1/messages")
    assert listed.json()["data"] == []


async def test_the_refusals_say_what_was_wrong(api: Any) -> None:
    async def message_for(document: bytes) -> str:
        response = await api.alpha.client.post("/v1/messages", content=document, headers=XML)
        assert response.status_code == 400
        message: str = response.json()["error"]["message"]
        return message

    assert "<!DOCTYPE" in await message_for(BILLION_LAUGHS)
    assert "32 deep" in await message_for(b"<a>" * 100 + b"</a>" * 100)
    assert "UTF-8 (byte 19)" in await message_for(b"<MessageCreate><to>\xff</to></MessageCreate>")
    assert "line 1, column" in await message_for(b"<MessageCreate><to></MessageCreate>")


async def test_every_operation_with_a_body_refuses_a_dtd(api: Any) -> None:
    for route in api.app.state.route_table:
        if not speaks_xml(route) or route.request is None:
            continue
        path = route.path.replace("{id}", "none_00000000000000000000000000")
        response = await api.alpha.client.request(
            route.method, path, content=BILLION_LAUGHS, headers=XML
        )
        assert response.status_code == 400, f"{route.method} {route.path}"
        assert response.json()["error"]["code"] == "invalid_xml"


async def test_an_xml_body_over_the_size_limit_is_refused_like_json(api: Any) -> None:
    document = b"<MessageCreate><client_ref>" + b"x" * 2_000_000 + b"</client_ref></MessageCreate>"

    response = await api.alpha.client.post("/v1/messages", content=document, headers=XML)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_declared_encoding_other_than_utf8_is_read(api: Any) -> None:
    document = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><MessageCreate><to>+447400123456</to>'
        "<template>shipped</template><params><entry key='tracking'>Müller</entry></params>"
        "</MessageCreate>"
    ).encode("latin-1")

    sent = await api.alpha.client.post("/v1/messages", content=document, headers=XML)

    assert sent.status_code == 202, sent.text
    detail = await api.alpha.client.get(f"/v1/messages/{sent.json()['id']}")
    assert "Müller" in detail.json()["body"]
