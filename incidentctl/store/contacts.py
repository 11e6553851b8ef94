"""Queries on contacts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

from incidentctl.domain import Contact, Role
from incidentctl.store.roles import latest_action_sql

_COLUMNS = "id, email, org_id, name, active, portal_admin, expert_until"

LISTING_COLUMNS = ("email", "org", "name", "active", "portal_admin", "expert_until", "roles")
"""The contract columns of ``contacts list`` (SPEC §3a), in order."""

ListingRow = tuple[str, str, str, bool, bool, str | None, list[str]]


def _contact(row: tuple[Any, ...]) -> Contact:
    return Contact(
        id=row[0],
        email=row[1],
        org_id=row[2],
        name=row[3],
        active=bool(row[4]),
        portal_admin=bool(row[5]),
        expert_until=date.fromisoformat(row[6]) if row[6] else None,
    )


def get_by_email(conn: sqlite3.Connection, email: str) -> Contact | None:
    """The contact with this e-mail address, compared case-insensitively."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM contacts WHERE email = ?", (email,)).fetchone()
    return None if row is None else _contact(row)


def get_by_id(conn: sqlite3.Connection, contact_id: int) -> Contact:
    row = conn.execute(f"SELECT {_COLUMNS} FROM contacts WHERE id = ?", (contact_id,)).fetchone()
    return _contact(row)


def insert(conn: sqlite3.Connection, contact: Contact, created_at: str) -> Contact:
    """Insert a contact (its ``id`` is ignored) and return it with the id it got."""
    cursor = conn.execute(
        "INSERT INTO contacts (email, org_id, name, active, portal_admin, expert_until, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            contact.email,
            contact.org_id,
            contact.name,
            int(contact.active),
            int(contact.portal_admin),
            contact.expert_until.isoformat() if contact.expert_until else None,
            created_at,
        ),
    )
    assert cursor.lastrowid is not None
    return get_by_id(conn, cursor.lastrowid)


def update(conn: sqlite3.Connection, contact: Contact) -> None:
    conn.execute(
        "UPDATE contacts SET name = ?, active = ?, portal_admin = ?, expert_until = ? WHERE id = ?",
        (
            contact.name,
            int(contact.active),
            int(contact.portal_admin),
            contact.expert_until.isoformat() if contact.expert_until else None,
            contact.id,
        ),
    )


def listing(
    conn: sqlite3.Connection,
    *,
    org_id: str | None = None,
    role: Role | None = None,
    pending_at: str | None = None,
) -> Iterator[ListingRow]:
    """Contacts with their roles as last granted or revoked, by organisation and e-mail.

    Streams from the (org_id, email) index: rows are produced as they are read, never
    gathered, so listing a million contacts holds one row at a time.
    """
    submitter = latest_action_sql("c", Role.SUBMITTER)
    manager = latest_action_sql("c", Role.MANAGER)
    where: list[str] = []
    params: list[object] = []
    if org_id is not None:
        where.append("c.org_id = ?")
        params.append(org_id)
    if role is not None:
        where.append(f"{latest_action_sql('c', role)} = 'grant'")
    if pending_at is not None:
        where.append(
            "EXISTS (SELECT 1 FROM role_changes p WHERE p.contact_id = c.id AND p.effective_at > ?)"
        )
        params.append(pending_at)
    sql = (
        "SELECT c.email, c.org_id, c.name, c.active, c.portal_admin, c.expert_until, "
        f"{submitter} = 'grant', {manager} = 'grant' FROM contacts c"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.org_id, c.email"
    )
    for email, org, name, active, admin, expert, is_submitter, is_manager in conn.execute(
        sql, params
    ):
        roles = []
        if is_submitter:
            roles.append("submitter")
        if is_manager:
            roles.append("manager")
        yield (email, org, name, bool(active), bool(admin), expert, roles)
