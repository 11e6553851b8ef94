"""Queries on the role history: role changes are appended, state is derived from them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date
from typing import Any

from incidentctl import timeutil
from incidentctl.domain import Role, RoleChange


def latest_action_sql(contact: str, role: Role | str) -> str:
    """SQL for the latest action ('grant'/'revoke'/NULL) of ``role`` for the contact row
    aliased ``contact``: the last entry of the (contact_id, role) index."""
    role_name = Role(role).value  # only the two known names ever reach the SQL text
    return (
        f"(SELECT r.action FROM role_changes r WHERE r.contact_id = {contact}.id "
        f"AND r.role = '{role_name}' ORDER BY r.id DESC LIMIT 1)"
    )


def _change(row: tuple[Any, ...]) -> RoleChange:
    return RoleChange(
        id=row[0],
        contact_id=row[1],
        role=Role(row[2]),
        action=row[3],
        requested_at=timeutil.from_iso(row[4]),
        effective_at=timeutil.from_iso(row[5]),
        actor=row[6],
        reason=row[7],
    )


_CHANGE_COLUMNS = "id, contact_id, role, action, requested_at, effective_at, actor, reason"


def history(conn: sqlite3.Connection, contact_id: int) -> list[RoleChange]:
    """Every role change of one contact, in the order they were made."""
    rows = conn.execute(
        f"SELECT {_CHANGE_COLUMNS} FROM role_changes WHERE contact_id = ? ORDER BY id",
        (contact_id,),
    )
    return [_change(row) for row in rows]


def latest(conn: sqlite3.Connection, contact_id: int, role: Role) -> RoleChange | None:
    """The latest change of one contact's role."""
    row = conn.execute(
        f"SELECT {_CHANGE_COLUMNS} FROM role_changes WHERE contact_id = ? AND role = ? "
        "ORDER BY id DESC LIMIT 1",
        (contact_id, role.value),
    ).fetchone()
    return None if row is None else _change(row)


def insert(conn: sqlite3.Connection, change: RoleChange) -> None:
    conn.execute(
        "INSERT INTO role_changes (contact_id, role, action, requested_at, effective_at, actor, "
        "reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            change.contact_id,
            change.role.value,
            change.action,
            timeutil.to_iso(change.requested_at),
            timeutil.to_iso(change.effective_at),
            change.actor,
            change.reason,
        ),
    )


def submitter_counts(conn: sqlite3.Connection, org_id: str, today: date) -> tuple[int, int]:
    """(used, experts) of one organisation, live: active contacts whose latest submitter
    change is a grant (in effect or still propagating), split by certification today."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE c.expert_until IS NULL OR c.expert_until < :today), "
        "count(*) FILTER (WHERE c.expert_until >= :today) "
        "FROM contacts c WHERE c.org_id = :org AND c.active = 1 "
        f"AND {latest_action_sql('c', Role.SUBMITTER)} = 'grant'",
        {"org": org_id, "today": today.isoformat()},
    ).fetchone()
    return int(row[0]), int(row[1])


def pending(
    conn: sqlite3.Connection, now: str, org_id: str | None = None
) -> Iterator[tuple[str, str, str, str, str, str]]:
    """Changes not yet in effect at ``now``, soonest first:
    (email, org, role, action, requested_at, effective_at)."""
    sql = (
        "SELECT c.email, c.org_id, r.role, r.action, r.requested_at, r.effective_at "
        "FROM role_changes r JOIN contacts c ON c.id = r.contact_id WHERE r.effective_at > ?"
    )
    params: list[object] = [now]
    if org_id is not None:
        sql += " AND c.org_id = ?"
        params.append(org_id)
    sql += " ORDER BY r.effective_at, r.id"
    return iter(conn.execute(sql, params))
