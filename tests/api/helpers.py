"""Clients with tokens for the API tests."""

from __future__ import annotations

from datetime import date

from portal.features.api.operations import issue_client

FAR = date(2023, 8, 14)  # the test date is 2022-08-15


def token(
    make,
    *,
    scopes=("tax-list", "standing"),
    agencies=(),
    expires_on=FAR,
    name="税务局",
    can_write=False,
):
    admin = make.user(staff_role="admin")
    client, plain = issue_client(
        name=name,
        scopes=list(scopes),
        agency_ids=[agency.id for agency in agencies],
        can_write=can_write,
        expires_on=expires_on,
        actor=admin,
    )
    make.commit()
    return client, {"Authorization": f"Bearer {plain}"}
