"""IP allowlists: CIDR parsing with named errors, and membership for v4, v6 and mapped v4."""

from __future__ import annotations

import pytest

from parcelsms.domain.ip_allowlist import MAX_NETWORKS, address_allowed, parse_allowlist
from parcelsms.errors import CatalogueError


def test_networks_are_canonical_and_deduplicated() -> None:
    parsed = parse_allowlist(["203.0.113.0/24", " 2001:DB8::/32", "192.0.2.7", "203.0.113.0/24"])

    assert parsed == ("203.0.113.0/24", "2001:db8::/32", "192.0.2.7/32")


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "300.1.1.1", "example.com", "", "10.0.0.0/33"])
def test_a_bad_entry_is_named_by_its_index(entry: str) -> None:
    with pytest.raises(CatalogueError) as caught:
        parse_allowlist(["10.0.0.0/8", entry])

    assert caught.value.field == "allowed_networks[1]"


def test_too_many_networks_are_refused() -> None:
    with pytest.raises(CatalogueError):
        parse_allowlist([f"10.0.{i}.0/24" for i in range(MAX_NETWORKS + 1)])


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("203.0.113.1", True),
        ("203.0.114.1", False),
        ("2001:db8::1", True),
        ("2001:db9::1", False),
        ("::ffff:203.0.113.200", True),
        ("not an address", False),
        (None, False),
    ],
)
def test_membership(address: str | None, allowed: bool) -> None:
    assert address_allowed(address, ("203.0.113.0/24", "2001:db8::/32")) is allowed
