"""Company details: trimmed, normalised, and refused with the field named."""

from __future__ import annotations

import msgspec
import pytest

from parcelsms.domain.company_details import CompanyDetails, checked_company_details
from parcelsms.errors import CatalogueError

GOOD = CompanyDetails(
    legal_name="  Acme   Parcels Ltd ",
    registration_number="09876543",
    country="gb",
    contact_name="Jo Bloggs",
    contact_email="ops@acme.example",
    contact_phone="0044 20 7946 0000",
)


def test_details_are_normalised() -> None:
    checked = checked_company_details(GOOD)

    assert checked.legal_name == "Acme Parcels Ltd"
    assert checked.country == "GB"
    assert checked.contact_phone == "+442079460000"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", ""),
        ("legal_name", "x" * 201),
        ("registration_number", "a\x00b"),
        ("country", "UK"),
        ("contact_email", "ops@localhost"),
        ("contact_email", "two@@at.example"),
        ("contact_phone", "020 7946 0000"),
    ],
)
def test_unusable_values_name_their_field(field: str, value: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        checked_company_details(msgspec.structs.replace(GOOD, **{field: value}))

    assert caught.value.code == "invalid_request"
    assert caught.value.field == field


@pytest.mark.parametrize("number", ["+44 12", "+1 000 000 0000", "+99999999999999999999"])
def test_a_well_formed_contact_phone_that_does_not_exist_is_an_invalid_number(
    number: str,
) -> None:
    with pytest.raises(CatalogueError) as caught:
        checked_company_details(msgspec.structs.replace(GOOD, contact_phone=number))

    assert caught.value.code == "invalid_number"
    assert caught.value.field == "contact_phone"
