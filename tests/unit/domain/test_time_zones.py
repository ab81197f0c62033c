"""Time zone names are IANA names or a catalogued error."""

from __future__ import annotations

import pytest

from parcelsms.domain.time_zones import check_time_zone
from parcelsms.errors import CatalogueError


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "Asia/Shanghai", "America/New_York"])
def test_an_iana_name_is_accepted_as_given(name: str) -> None:
    assert check_time_zone(name) == name


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "../etc/passwd", "Europe/"])
def test_anything_else_is_an_invalid_time_zone_naming_the_field(name: str) -> None:
    with pytest.raises(CatalogueError) as raised:
        check_time_zone(name, field="account_time_zone")
    assert raised.value.code == "invalid_time_zone"
    assert raised.value.field == "account_time_zone"
