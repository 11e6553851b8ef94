"""Incidents submitted through the portal, and who submitted them without a role."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from incidentctl.roles import defined
from incidentctl.store.roles import action_by_sql


def add_incident(
    conn: sqlite3.Connection, org_id: str, contact_id: int, subject: str, body: str, at: str
) -> int:
    cursor = conn.execute(
        "INSERT INTO incidents (org_id, contact_id, subject, body, submitted_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (org_id, contact_id, subject, body, at),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


IncidentRow = tuple[int, str, str, str, str, str]
"""(id, submitted_at, org, submitter e-mail, subject, body)."""


def incidents(
    conn: sqlite3.Connection, *, org_id: str | None = None, contact_id: int | None = None
) -> Iterator[IncidentRow]:
    """Incidents, oldest first, of one organisation or one contact (or all)."""
    where: list[str] = []
    params: list[Any] = []
    if org_id is not None:
        where.append("i.org_id = ?")
        params.append(org_id)
    if contact_id is not None:
        where.append("i.contact_id = ?")
        params.append(contact_id)
    sql = (
        "SELECT i.id, i.submitted_at, i.org_id, c.email, i.subject, i.body FROM incidents i "
        "JOIN contacts c ON c.id = i.contact_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY i.submitted_at, i.id"
    )
    return iter(conn.execute(sql, params))


def recent_submitters_without_role(
    conn: sqlite3.Connection, since: str, until: str, org_id: str | None
) -> list[tuple[str, str, str]]:
    """(e-mail, org, last submitted) of active contacts who submitted between ``since`` and
    ``until`` and hold no submitter role (as last granted or revoked by ``until``: with a
    clock set in the past, later submissions and changes do not exist yet)."""
    sql = (
        "SELECT c.email, c.org_id, max(i.submitted_at) FROM incidents i "
        "JOIN contacts c ON c.id = i.contact_id "
        "WHERE i.submitted_at >= ? AND i.submitted_at <= ? AND c.active = 1 "
        f"AND coalesce({action_by_sql('c', '?', '?')}, 'revoke') = 'revoke'"
    )
    params: list[Any] = [since, until, until, until, defined().quota_role.name]
    if org_id is not None:
        sql += " AND c.org_id = ?"
        params.append(org_id)
    sql += " GROUP BY c.id ORDER BY c.org_id, c.email"
    return [(str(a), str(b), str(c)) for a, b, c in conn.execute(sql, params)]
