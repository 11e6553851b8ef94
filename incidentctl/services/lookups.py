"""Finding the organisation or contact a command names, or saying it does not exist (3)."""

from __future__ import annotations

import sqlite3

from incidentctl.domain import Contact, Organisation
from incidentctl.errors import NotFound
from incidentctl.store import contacts as contact_store
from incidentctl.store import orgs as org_store


def require_org(conn: sqlite3.Connection, org_id: str) -> Organisation:
    """The organisation, or NotFound (exit 3)."""
    org = org_store.get(conn, org_id)
    if org is None:
        raise NotFound(
            f"no organisation {org_id!r}", hint="see the list with: incidentctl org list"
        )
    return org


def require_contact(conn: sqlite3.Connection, email: str) -> Contact:
    """The contact with this e-mail (any case), or NotFound (exit 3)."""
    contact = contact_store.get_by_email(conn, email)
    if contact is None:
        raise NotFound(
            f"no contact {email}",
            hint="see the contacts with: incidentctl contacts list",
        )
    return contact
