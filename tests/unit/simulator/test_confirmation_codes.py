"""The simulator recognises the platform's verification-code text and nothing else."""

from __future__ import annotations

from parcelsms.pipeline.sandbox_numbers import CODE_TEXT
from parcelsms.simulator.confirmation_codes import find_confirmation_code


def test_the_platforms_code_text_yields_its_code() -> None:
    assert find_confirmation_code(CODE_TEXT.format(code="004217", minutes=10)) == "004217"


def test_other_texts_yield_no_code() -> None:
    assert find_confirmation_code("Your parcel 123456 is on its way") is None
    assert find_confirmation_code("Your verification code is ready") is None
