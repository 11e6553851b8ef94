"""Queries on contacts."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any, Literal

from incidentctl.csvcells import neutralise_sql
from incidentctl.documents import CONTACT_LISTING_KEYS
from incidentctl.domain import Contact
from incidentctl.roles import Role, Roles, defined
from incidentctl.store.roles import move_state

_COLUMNS = "id, email, org_id, name, active, portal_admin, expert_until"

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


ListingForm = Literal["rows", "table", "csv", "json"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Listing:
    """The SELECT of each listing form, and the role names of each value of the roles
    column, for one definition of the roles (:mod:`incidentctl.roles`)."""

    def __init__(self, roles: Roles) -> None:
        # Which roles a contact holds, as last granted or revoked, as one number: the sum of
        # 2**i for each role i held (0 none; for submitter and manager 1, 2, or 3 for both).
        # The contact's rows of the state table are one range of its primary key.
        bits = " ".join(f"WHEN {_literal(role.name)} THEN {1 << i}" for i, role in enumerate(roles))
        mask = (
            f"coalesce((SELECT sum(CASE s.role {bits} END) FROM role_state s "
            "WHERE s.contact_id = c.id AND s.action = 'grant'), 0)"
        )
        combinations: dict[int, list[Role]] = {
            number: [role for i, role in enumerate(roles) if number & (1 << i)]
            for number in range(1, 1 << len(roles))
        }
        self.names = {n: [role.name for role in of] for n, of in combinations.items()}

        def case(text: dict[int, str], none: str) -> str:
            whens = " ".join(f"WHEN {n} THEN {_literal(t)}" for n, t in text.items())
            return f"CASE {mask} {whens} ELSE {_literal(none)} END"

        labels = {n: ", ".join(role.label for role in of) for n, of in combinations.items()}
        cells = {n: ";".join(names) for n, names in self.names.items()}
        arrays = {
            n: "[" + ",".join(f'"{m}"' for m in names) + "]" for n, names in self.names.items()
        }
        json_values = (
            "c.email",
            "c.org_id",
            "c.name",
            "json(iif(c.active, 'true', 'false'))",
            "json(iif(c.portal_admin, 'true', 'false'))",
            "c.expert_until",
            f"json({case(arrays, '[]')})",
        )
        pairs = zip(CONTACT_LISTING_KEYS, json_values, strict=True)
        self.select: dict[str, str] = {
            "rows": f"c.email, c.org_id, c.name, c.active, c.portal_admin, c.expert_until, {mask}",
            # The table, CSV and JSON forms are made by SQLite itself, so a million rows
            # stream out at the speed of the query (docs/performance.md). The table's cells
            # are the text people see (yes/no, '-' for none, both names of each role);
            # printable() is still applied.
            "table": "c.email, c.org_id, c.name, iif(c.active, 'yes', 'no'), "
            "iif(c.portal_admin, 'yes', 'no'), coalesce(c.expert_until, '-'), "
            f"{case(labels, '-')}",
            # Text a person typed may start like a spreadsheet formula: neutralised
            # (docs/json.md).
            "csv": f"{neutralise_sql('c.email')}, {neutralise_sql('c.org_id')}, "
            f"{neutralise_sql('c.name')}, iif(c.active, 'true', 'false'), "
            "iif(c.portal_admin, 'true', 'false'), c.expert_until, "
            f"{case(cells, '')}",
            "json": "json_object("
            + ", ".join(f"{_literal(key)}, {value}" for key, value in pairs)
            + ")",
        }


@functools.cache
def _listing(roles: Roles) -> _Listing:
    return _Listing(roles)


def listing(
    conn: sqlite3.Connection,
    form: ListingForm,
    *,
    org_id: str | None = None,
    role: Role | None = None,
    pending_at: str | None = None,
    contact_id: int | None = None,
) -> Iterator[Any]:
    """Contacts with their roles as last granted or revoked, by organisation and e-mail:
    ``rows`` as :data:`ListingRow` tuples, ``table`` as tuples of the text a table shows,
    ``csv`` as tuples of CSV cells, ``json`` as one JSON object (text) per contact, with the
    keys of :data:`incidentctl.documents.CONTACT_LISTING_KEYS`.

    Streams from the (org_id, email) index: rows are produced as they are read, never
    gathered, so listing a million contacts holds one row at a time.
    """
    where: list[str] = []
    params: list[object] = []
    if org_id is not None:
        where.append("c.org_id = ?")
        params.append(org_id)
    if contact_id is not None:
        where.append("c.id = ?")
        params.append(contact_id)
    if role is not None:
        where.append(
            "EXISTS (SELECT 1 FROM role_state s WHERE s.contact_id = c.id AND s.role = ? "
            "AND s.action = 'grant')"
        )
        params.append(role.name)
    if pending_at is not None:
        # A change not yet in effect: the latest of each role takes effect last (changes of a
        # role take effect in the order they were made), so the state table answers, unless
        # that change was made after the moment asked about (a clock set back): then the
        # role's history does.
        where.append(
            "EXISTS (SELECT 1 FROM role_state s WHERE s.contact_id = c.id "
            "AND s.effective_at > ? AND (s.requested_at <= ? OR EXISTS ("
            "SELECT 1 FROM role_changes p WHERE p.contact_id = s.contact_id "
            "AND p.role = s.role AND p.effective_at > ? AND p.requested_at <= ?)))"
        )
        params += [pending_at] * 4
    forms = _listing(defined())
    sql = (
        f"SELECT {forms.select[form]} FROM contacts c"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY c.org_id, c.email"
    )
    rows = conn.execute(sql, params)
    if form == "json":
        return (text for (text,) in rows)
    if form in ("csv", "table"):
        # A generator, not the cursor: closing a half-read listing (| head) must not close
        # a cursor whose connection may already be gone.
        return (row for row in rows)
    names = forms.names
    return (
        (email, org, name, bool(active), bool(admin), expert, names.get(roles, []))
        for email, org, name, active, admin, expert, roles in rows
    )


def portal_admins(conn: sqlite3.Connection, org_id: str) -> list[tuple[str, str]]:
    """(e-mail, name) of the organisation's active portal admins, by name (a small index)."""
    rows = conn.execute(
        "SELECT email, name FROM contacts WHERE org_id = ? AND portal_admin = 1 AND active = 1 "
        "ORDER BY name, email",
        (org_id,),
    )
    return [(str(email), str(name)) for email, name in rows]


def move(conn: sqlite3.Connection, contact_id: int, org_id: str) -> None:
    """Put a contact in another organisation (inside the caller's transaction), with its
    rows of the state table, which hold the organisation too."""
    conn.execute("UPDATE contacts SET org_id = ? WHERE id = ?", (org_id, contact_id))
    move_state(conn, contact_id, org_id)
