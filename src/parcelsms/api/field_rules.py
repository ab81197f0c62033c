"""Checks on single request values that the JSON schema alone cannot express."""

from __future__ import annotations

import re

from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import is_valid_id

MAX_IDEMPOTENCY_KEY = 255
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_TEMPLATE_NAME = re.compile(r"[a-z0-9_]{1,64}")


def canonical_language(tag: str, *, field: str = "language") -> str:
    """The BCP 47 tag in canonical letter case: ``PT-br`` → ``pt-BR``, ``zh-hans`` → ``zh-Hans``.

    The language is lower case, a four-letter script title case, a two-letter or three-digit
    region upper case, anything else lower case; so ``EN`` and ``en`` name the same template
    language. Raises ``invalid_request`` (with ``field``) for a tag that is not shaped like one.
    """
    if len(tag) > 35 or not _LANGUAGE.fullmatch(tag):
        raise error(
            "invalid_request",
            "A language is a BCP 47 tag such as 'en', 'es', 'pt-BR' or 'zh-Hans'.",
            field=field,
        )
    first, *rest = tag.split("-")
    subtags = [first.lower()]
    for subtag in rest:
        if len(subtag) == 4 and subtag.isalpha():
            subtags.append(subtag.title())
        elif (len(subtag) == 2 and subtag.isalpha()) or (len(subtag) == 3 and subtag.isdigit()):
            subtags.append(subtag.upper())
        else:
            subtags.append(subtag.lower())
    return "-".join(subtags)


def template_name(name: str, *, field: str = "name") -> str:
    """``name`` when it is 1 to 64 of ``a-z 0-9 _``; else ``invalid_request``.

    The schema's pattern says the same, but Python's ``$`` also matches before a final
    newline, so the full match is checked here.
    """
    if _TEMPLATE_NAME.fullmatch(name):
        return name
    raise error(
        "invalid_request",
        "A template name is 1 to 64 lowercase letters, digits and underscores.",
        field=field,
    )


def template_reference(reference: str, *, field: str = "template") -> str:
    """``reference`` when it can name a template (an id or a name); else ``unknown_template``.

    Checked before storage is asked, so a reference no template can have costs no query.
    """
    if _TEMPLATE_NAME.fullmatch(reference) or is_valid_id(reference, "tpl"):
        return reference
    raise error(
        "unknown_template",
        "A template is named by its id ('tpl_…') or its name (lowercase letters, digits "
        "and underscores).",
        field=field,
    )


def idempotency_key(header: str | None) -> str | None:
    """The ``Idempotency-Key`` header's value, checked: 1 to 255 printable ASCII characters."""
    if header is None:
        return None
    if (
        not 1 <= len(header) <= MAX_IDEMPOTENCY_KEY
        or not header.isascii()
        or not header.isprintable()
    ):
        raise error(
            "invalid_request",
            f"An Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters.",
            field="Idempotency-Key",
        )
    return header
