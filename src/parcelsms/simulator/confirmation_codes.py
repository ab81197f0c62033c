"""Verification codes seen by the simulated carrier, so that a test number can be confirmed.

A test number is confirmed by echoing the code parcelsms sends it by SMS (``POST
/v1/test_numbers``). With the simulator as the carrier no phone receives that SMS, so the
simulator shows the code instead: it logs each one (``parcelsms.simulator`` logger, number
masked) and keeps the latest for ``simulate-carrier --stats``. It recognises the platform's
code text (``pipeline/sandbox_numbers.py``: "... verification code is 123456. ...").
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from parcelsms.simulator.submit_log import SubmitRecord

__all__ = ["ConfirmationCode", "ConfirmationCodes", "find_confirmation_code"]

_log = logging.getLogger("parcelsms.simulator")

_PHRASE: Final = "verification code is"
# Checked on the raw octets of every submit (the hot path) before any text is decoded:
# GSM 03.38 unpacked, ASCII and Latin-1 share these octets; UCS-2 is UTF-16BE.
_MARKERS: Final = (_PHRASE.encode("ascii"), _PHRASE.encode("utf-16-be"))
_CODE: Final = re.compile(re.escape(_PHRASE) + r" (\d{4,10})\b")


def find_confirmation_code(text: str) -> str | None:
    """The code in a verification message's text, or ``None`` for any other text."""
    found = _CODE.search(text)
    return found.group(1) if found else None


def _hidden(number: str) -> str:
    return "*" * len(number)


@dataclass(frozen=True, slots=True)
class ConfirmationCode:
    """A code as the simulator received it: ``to`` is the masked number, ``at`` Unix time."""

    to: str
    code: str
    at: float

    def as_dict(self) -> dict[str, object]:
        return {"to": self.to, "code": self.code, "at": round(self.at, 3)}


class ConfirmationCodes:
    """The latest ``keep`` codes received, each also logged once at INFO.

    ``mask`` hides a number for the log and the list (the composition root passes the
    platform's masking rule; by default every digit is hidden).
    """

    def __init__(self, mask: Callable[[str], str] = _hidden, keep: int = 20) -> None:
        self._mask = mask
        self.latest: deque[ConfirmationCode] = deque(maxlen=keep)

    def inspect(self, submit: SubmitRecord) -> None:
        """Record the code if ``submit`` carries one."""
        if not any(marker in submit.short_message for marker in _MARKERS):
            return
        code = find_confirmation_code(submit.text)
        if code is None:
            return
        seen = ConfirmationCode(self._mask(submit.destination), code, time.time())
        self.latest.append(seen)
        _log.info("simulator received a verification code", extra={"to": seen.to, "code": code})
