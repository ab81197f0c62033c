"""Magic numbers: recipients whose fate the embedded carrier simulator fixes in advance.

They live in the range NANPA reserves for fiction, ``+1 202 555 0100`` to ``0199`` (valid
North American numbers for ``phonenumbers``, never assigned to a subscriber). Unverified
accounts may send to them; the simulator answers each block with one outcome:

=========================  ================  ==============================================
numbers                    outcome           what the simulated carrier does
=========================  ================  ==============================================
+1 202 555 0100 – 0109     ``delivered``     accepts; ``DELIVRD`` receipt after 50 ms
+1 202 555 0110 – 0119     ``undelivered``   accepts; ``UNDELIV`` receipt (err 001)
+1 202 555 0120 – 0129     ``expired``       accepts; ``EXPIRED`` receipt
+1 202 555 0130 – 0139     ``rejected``      accepts; ``REJECTD`` receipt (err 002)
+1 202 555 0140 – 0149     ``throttled``     answers half the submits ``ESME_RTHROTTLED``;
                                             parcelsms retries, then ``DELIVRD``
+1 202 555 0150 – 0159     ``slow_receipt``  accepts; ``DELIVRD`` receipt after 8 seconds
+1 202 555 0160 – 0199     ``delivered``     as 0100 – 0109 (room for more outcomes)
=========================  ================  ==============================================

With a real carrier configured for +1, these numbers go to that carrier like any other (it
will normally refuse or drop them): the outcomes above are the simulator's.
"""

from __future__ import annotations

from typing import Final, Literal

MagicOutcome = Literal[
    "delivered", "undelivered", "expired", "rejected", "throttled", "slow_receipt"
]

MAGIC_PREFIX: Final = "+1202555"
"""Every magic number starts with this; the next four digits pick the outcome."""

MAGIC_BLOCKS: Final[dict[str, MagicOutcome]] = {
    "+12025550100": "delivered",
    "+12025550110": "undelivered",
    "+12025550120": "expired",
    "+12025550130": "rejected",
    "+12025550140": "throttled",
    "+12025550150": "slow_receipt",
}
"""The first number of each block of ten with its outcome (0160 – 0199: ``delivered``)."""


def magic_outcome(e164: str) -> MagicOutcome | None:
    """The outcome of magic number ``e164`` (E.164 form), or ``None`` for any other number."""
    if len(e164) != 12 or not e164.startswith(MAGIC_PREFIX) or not e164[1:].isdigit():
        return None
    line = int(e164[-4:])
    if not 100 <= line <= 199:
        return None
    block = f"{e164[:-2]}{e164[-2]}0"
    return MAGIC_BLOCKS.get(block, "delivered")


def simulator_prefixes() -> dict[str, MagicOutcome]:
    """Destination prefixes (digits, no ``+``) and outcomes, for the simulator's rules."""
    prefixes: dict[str, MagicOutcome] = {}
    for tens in range(10, 20):
        block = f"{MAGIC_PREFIX}0{tens}0"
        prefixes[block[1:-1]] = MAGIC_BLOCKS.get(block, "delivered")
    return prefixes
