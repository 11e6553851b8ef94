"""Queries on organisations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from incidentctl.domain import Organisation
from incidentctl.store.roles import submitter_counts_sql

_COLUMNS = "id, name, employees, sector, quota_override, quota_override_reason, domains"


def _organisation(row: tuple[Any, ...]) -> Organisation:
    return Organisation(
        id=row[0],
        name=row[1],
        employees=row[2],
        sector=row[3],
        quota_override=row[4],
        quota_override_reason=row[5],
        domains=tuple(row[6].split()) if row[6] else (),
    )


def _domains(org: Organisation) -> str | None:
    return " ".join(org.domains) or None


def get(conn: sqlite3.Connection, org_id: str) -> Organisation | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM organisations WHERE id = ?", (org_id,)).fetchone()
    return None if row is None else _organisation(row)


def iter_all(conn: sqlite3.Connection, only: str | None = None) -> Iterator[Organisation]:
    """Every organisation (or just ``only``), ordered by id."""
    if only is None:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM organisations ORDER BY id")
    else:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM organisations WHERE id = ?", (only,))
    return (_organisation(row) for row in rows)


def any_exist(conn: sqlite3.Connection) -> bool:
    """Whether the store holds any organisation."""
    return conn.execute("SELECT 1 FROM organisations LIMIT 1").fetchone() is not None


def insert(conn: sqlite3.Connection, org: Organisation, created_at: str) -> None:
    conn.execute(
        f"INSERT INTO organisations ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            org.id,
            org.name,
            org.employees,
            org.sector,
            org.quota_override,
            org.quota_override_reason,
            _domains(org),
            created_at,
        ),
    )


def update(conn: sqlite3.Connection, org: Organisation) -> None:
    conn.execute(
        "UPDATE organisations SET name = ?, employees = ?, sector = ?, quota_override = ?, "
        "quota_override_reason = ?, domains = ? WHERE id = ?",
        (
            org.name,
            org.employees,
            org.sector,
            org.quota_override,
            org.quota_override_reason,
            _domains(org),
            org.id,
        ),
    )


def contact_counts(conn: sqlite3.Connection, org_id: str) -> tuple[int, int, int]:
    """(contacts, active contacts, active portal admins) of one organisation."""
    row = conn.execute(
        "SELECT count(*), coalesce(sum(active), 0), coalesce(sum(active AND portal_admin), 0) "
        "FROM contacts WHERE org_id = ?",
        (org_id,),
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def contact_counts_by_org(conn: sqlite3.Connection) -> dict[str, tuple[int, int, int]]:
    """:func:`contact_counts` of every organisation with contacts, set-based: the contacts
    per organisation from the (org_id, email) index, the inactive ones and the active portal
    admins from their small partial indexes (no contact row is read)."""
    counts = {
        str(org_id): [int(number), int(number), 0]
        for org_id, number in conn.execute("SELECT org_id, count(*) FROM contacts GROUP BY org_id")
    }
    for org_id, number in conn.execute(
        "SELECT org_id, count(*) FROM contacts WHERE active = 0 GROUP BY org_id"
    ):
        counts[org_id][1] -= number
    for org_id, number in conn.execute(
        "SELECT org_id, count(*) FROM contacts WHERE portal_admin = 1 AND active = 1 "
        "GROUP BY org_id"
    ):
        counts[org_id][2] = number
    return {org_id: (total, active, admins) for org_id, (total, active, admins) in counts.items()}


ListingRow = tuple[str, str, int, str | None, int, int, int]
"""(id, name, employees, sector, active contacts, used seats, maximum): what ``org list``
shows of an organisation in its table."""


def listing_rows(
    conn: sqlite3.Connection,
    maximum: tuple[str, dict[str, Any]],
    today: str,
    now: str,
    only: str | None = None,
) -> list[ListingRow]:
    """The table of ``org list`` for every organisation (or just ``only``), in id order, in
    one statement that reads no more than the table shows: the active contacts counted from
    the (org_id, email) index less the small partial index of inactive contacts, the used
    seats from one pass over the current holders
    (:func:`incidentctl.store.roles.submitter_counts_sql`), the maximum from ``maximum``
    (:func:`incidentctl.store.quota.maximum_sql`). Its JSON and CSV hold more
    (:func:`contact_counts_by_org` and the quota of every organisation)."""
    expression, params = maximum
    where = "" if only is None else "WHERE o.id = :only "
    return conn.execute(
        "SELECT o.id, o.name, o.employees, o.sector, coalesce(t.n, 0) - coalesce(i.n, 0), "
        f"coalesce(h.used, 0), {expression} FROM organisations o "
        "LEFT JOIN (SELECT org_id, count(*) AS n FROM contacts GROUP BY org_id) t "
        "ON t.org_id = o.id "
        "LEFT JOIN (SELECT org_id, count(*) AS n FROM contacts WHERE active = 0 "
        "GROUP BY org_id) i ON i.org_id = o.id "
        f"LEFT JOIN ({submitter_counts_sql()}) h ON h.org_id = o.id {where}ORDER BY o.id",
        {**params, "today": today, "now": now, "only": only},
    ).fetchall()
