"""The zone dates are shown in: the number's own zone, else the country's main zone."""

from __future__ import annotations

import pytest

from parcelsms.pipeline.compose import packaged_country_rules, recipient_time_zone


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+14155552671", "America/Los_Angeles"),  # San Francisco area code
        ("+12125551234", "America/New_York"),  # Manhattan area code
        ("+447400123456", "Europe/London"),  # UK mobiles span London and the islands
        ("+61412345678", "Australia/Sydney"),  # Australian mobiles span every zone
        ("+5511961234567", "America/Sao_Paulo"),
        ("+819012345678", "Asia/Tokyo"),
    ],
)
def test_the_recipients_zone_comes_from_the_number_then_the_country(number: str, zone: str) -> None:
    rules = packaged_country_rules()
    country = {"+1": "US", "+44": "GB", "+61": "AU", "+55": "BR", "+81": "JP"}
    code = next(value for prefix, value in country.items() if number.startswith(prefix))
    assert recipient_time_zone(number, rules.rule_for(code).time_zone) == zone


def test_without_any_known_zone_times_are_utc() -> None:
    # +882 numbers (international networks) have no time zone in libphonenumber.
    assert recipient_time_zone("+88216123456", None) == "UTC"
