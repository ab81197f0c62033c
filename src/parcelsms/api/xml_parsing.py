"""Parsing an XML request body without the dangers XML brings along.

The body (already read within the JSON size limit) is parsed by the standard library's
expat through ``defusedxml``, with every document type declaration refused: no DTD means
no entity can be declared, so billion-laughs and quadratic-blowup expansions, external
entities (XXE: a file or a URL) and external DTDs are all refused before anything is
expanded, read or fetched. Elements nested more than :data:`MAX_XML_DEPTH` deep are refused
while parsing (the mapping recurses once per level, as the JSON decoder does). Any refusal
is ``invalid_xml`` (400) with a message saying what was wrong and where.
"""

from __future__ import annotations

import io
import re
from xml.etree.ElementTree import Element

import defusedxml
import defusedxml.ElementTree as safe_xml

from parcelsms.domain.error_catalogue import error

MAX_XML_DEPTH = 32
"""How deep elements may nest in a request body (a batch, the deepest, needs 5)."""

_ENCODING_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*encoding=")


def parse_xml(body: bytes) -> Element:
    """The root element of ``body``; raises ``invalid_xml`` for anything unsafe or broken."""
    depth = 0
    root: Element | None = None
    try:
        for event, element in safe_xml.iterparse(
            io.BytesIO(body), events=("start", "end"), forbid_dtd=True
        ):
            if event == "start":
                depth += 1
                if depth > MAX_XML_DEPTH:
                    raise error(
                        "invalid_xml",
                        f"The request body nests elements more than {MAX_XML_DEPTH} deep.",
                    )
                if root is None:
                    root = element
            else:
                depth -= 1
    except defusedxml.DTDForbidden:
        raise error(
            "invalid_xml",
            "Document type declarations (<!DOCTYPE …>) are not accepted; send the document "
            "without one.",
        ) from None
    except (defusedxml.EntitiesForbidden, defusedxml.ExternalReferenceForbidden):
        raise error(
            "invalid_xml", "Entity declarations and external references are not accepted."
        ) from None
    except safe_xml.ParseError as problem:
        raise error("invalid_xml", _syntax_message(body, problem)) from None
    if root is None:
        raise error("invalid_xml", "The request body holds no XML element.")
    return root


def _syntax_message(body: bytes, problem: safe_xml.ParseError) -> str:
    if not _ENCODING_DECLARATION.match(body):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as bad:
            return (
                f"The request body is not valid UTF-8 (byte {bad.start}); send UTF-8 or "
                'declare the encoding (<?xml version="1.0" encoding="…"?>).'
            )
    return f"The request body is not well-formed XML: {problem}."
