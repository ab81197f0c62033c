"""Packages: granting (a ``package_grant`` ledger row, audited) and listing.

A package row is inserted with no segments; the grant's ledger row adds them through
:func:`~.ledger.write_ledger`, like every later use and refund, so a package's
``remaining_segments`` always equals the sum of its ledger rows' ``segments_delta``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from parcelsms.adapters.storage.accounts.audit_rows import write_audit
from parcelsms.adapters.storage.context import StorageContext
from parcelsms.adapters.storage.engine.schema.account_tables import account_profiles, accounts
from parcelsms.adapters.storage.engine.schema.billing_tables import packages
from parcelsms.adapters.storage.messages import ledger_rows as ledger_moves
from parcelsms.domain.error_catalogue import error
from parcelsms.domain.ids import new_id
from parcelsms.domain.packages import region_countries
from parcelsms.errors import CatalogueError
from parcelsms.pipeline.account_security_ports import Actor
from parcelsms.pipeline.billing_ports import Package, PackageSpec

MAX_SEGMENTS = 100_000_000


@dataclass(frozen=True, slots=True)
class PackageGrant:
    account_id: str
    spec: PackageSpec
    actor: Actor


def package_from_row(row: Any) -> Package:
    return Package(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        region=row.region,
        countries=tuple(row.countries),
        segments=row.segments,
        remaining_segments=row.remaining_segments,
        expires_at=row.expires_at,
        created_at=row.created_at,
    )


def home_country(connection: Connection, account_id: str) -> tuple[str | None, str | None] | None:
    """``(country, source)`` of the account's home country; ``None`` for no such account.

    The account's own setting wins over the country of its company details.
    """
    row = connection.execute(
        select(accounts.c.home_country, account_profiles.c.country)
        .select_from(
            accounts.outerjoin(account_profiles, account_profiles.c.account_id == accounts.c.id)
        )
        .where(accounts.c.id == account_id)
    ).first()
    if row is None:
        return None
    if row.home_country is not None:
        return row.home_country, "setting"
    if row.country is not None:
        return row.country, "company"
    return None, None


class PackageOperations:
    """The bulk function behind ``grant_package``."""

    def __init__(self, context: StorageContext) -> None:
        self._context = context

    def grant(
        self, connection: Connection, items: list[PackageGrant]
    ) -> Sequence[Package | CatalogueError]:
        results: list[Package | CatalogueError] = []
        for item in items:
            try:
                results.append(self._grant(connection, item))
            except CatalogueError as problem:
                results.append(problem)
        return results

    def _grant(self, connection: Connection, item: PackageGrant) -> Package:
        spec = item.spec
        now = self._context.clock()
        home = home_country(connection, item.account_id)
        if home is None:
            raise error("not_found", "No such account.")
        if not 1 <= spec.segments <= MAX_SEGMENTS:
            raise error("invalid_request", f"segments is 1 to {MAX_SEGMENTS:,}.", field="segments")
        if spec.expires_at <= now:
            raise error("invalid_request", "expires_at must be in the future.", field="expires_at")
        name = " ".join(spec.name.split())
        if not name or len(name) > 200 or not name.isprintable():
            raise error("invalid_request", "A name of 1 to 200 printable characters.", field="name")
        countries = region_countries(spec.region, home[0], spec.countries or None)
        package_id = new_id("pkg")
        connection.execute(
            accounts.update()
            .where(
                accounts.c.id == item.account_id,
                or_(
                    accounts.c.packages_until.is_(None),
                    accounts.c.packages_until < spec.expires_at,
                ),
            )
            .values(packages_until=spec.expires_at)
        )
        connection.execute(
            packages.insert().values(
                id=package_id,
                account_id=item.account_id,
                name=name,
                region=spec.region,
                countries=list(countries),
                segments=spec.segments,
                remaining_segments=0,
                expires_at=spec.expires_at,
                created_at=now,
            )
        )
        ledger_moves.write_ledger(
            connection,
            [
                ledger_moves.LedgerMove(
                    item.account_id,
                    None,
                    "package_grant",
                    0,
                    0,
                    now,
                    note=name,
                    package_id=package_id,
                    segments_delta=spec.segments,
                )
            ],
        )
        package = read_package(connection, package_id)
        assert package is not None
        write_audit(
            connection,
            item.actor,
            "package.grant",
            at=now,
            target_type="package",
            target_id=package_id,
            account_id=item.account_id,
            before=None,
            after={
                "name": package.name,
                "region": package.region,
                "countries": list(package.countries),
                "segments": package.segments,
                "expires_at": package.expires_at.isoformat(),
            },
        )
        return package


def read_package(connection: Connection, package_id: str) -> Package | None:
    row = connection.execute(select(packages).where(packages.c.id == package_id)).first()
    return None if row is None else package_from_row(row)


def read_packages(connection: Connection, account_id: str) -> list[Package]:
    """The account's packages, soonest expiry first."""
    rows = connection.execute(
        select(packages)
        .where(packages.c.account_id == account_id)
        .order_by(packages.c.expires_at, packages.c.id)
    )
    return [package_from_row(row) for row in rows]
