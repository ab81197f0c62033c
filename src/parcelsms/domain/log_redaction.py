"""Redacting log text: phone numbers masked, secrets removed.

A safety net under the rule that code never logs a full number or a secret: whatever slips
through (a library's message, an exception text quoting a request) is rewritten by
:func:`redact` before a log line is written.

* Phone numbers: ``+`` followed by 7 to 15 digits (spaces, dots, dashes and brackets between
  digits allowed), ``%2B`` followed by digits (a ``+`` encoded in a URL), and bare runs of 11
  to 15 digits (E.164 without the ``+``, as SMPP addresses are written) are masked with
  :func:`~parcelsms.domain.numbers.mask_number`: ``+447911123456`` → ``+44791****456``.
  Ten digits or fewer without a ``+`` are left alone: they are far more often counts, times
  or carrier message ids than phone numbers.
* Secrets: API keys (``psk_…``), webhook signing secrets (``whsec_…``), the value of an
  ``Authorization``/``Bearer`` credential and of ``password=``/``secret=``/``token=``
  assignments become ``[redacted]``.
"""

from __future__ import annotations

import re
from typing import Final

from parcelsms.domain.numbers import mask_number

_SECRETS: Final = re.compile(
    r"psk_[A-Za-z0-9]+\.[A-Za-z0-9_-]+"
    r"|whsec_[A-Za-z0-9+/=_-]+"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+"
    r"|(?i:\b(?:password|passwd|secret|token|pepper|api_key)\b)(\s*[=:]\s*|\"\s*:\s*\")[^\s,\"'&}]+"
)
_PLUS_NUMBER: Final = re.compile(r"(?<![\w+])\+\d(?:[ .()\-]{0,2}\d){6,17}(?!\d)")
_BARE_NUMBER: Final = re.compile(r"(?<![\w.+])\d{11,15}(?![\w.])")
# A + percent-encoded in a URL (query strings, paths): %2B followed by the digits.
_ENCODED_NUMBER: Final = re.compile(r"%2[Bb](\d{7,15})(?!\d)")
_SEPARATORS: Final = str.maketrans("", "", " .()-")


def _secret(match: re.Match[str]) -> str:
    assignment = match.group(1)
    if assignment is None:
        return "[redacted]"
    name = match.group(0)[: match.start(1) - match.start(0)]
    return f"{name}{assignment}[redacted]"


def _number(match: re.Match[str]) -> str:
    return mask_number(match.group(0).translate(_SEPARATORS))


def _encoded_number(match: re.Match[str]) -> str:
    return "%2B" + mask_number(match.group(1))


def redact(text: str) -> str:
    """``text`` with phone numbers masked and secrets replaced (see the module doc)."""
    text = _SECRETS.sub(_secret, text)
    text = _PLUS_NUMBER.sub(_number, text)
    text = _ENCODED_NUMBER.sub(_encoded_number, text)
    return _BARE_NUMBER.sub(_number, text)
