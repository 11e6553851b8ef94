"""Staging tables for CSV imports (``contacts import``, ``org import``).

An import reads its file as a stream and stages each validated row in a temporary table,
private to the connection and kept on disk by SQLite, so memory stays bounded whatever the
file's size, and the write lock is taken only afterwards, for the one transaction that applies
the staged rows: a slow stdin never holds other processes up. A row listed twice is found by
the staging table's index, not by a set in memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

ContactRow = tuple[int, str, str, str, int | None, int | None, str | None, int]
"""(line, email, org, name, portal_admin, active, expert_until, expert_until given):
``portal_admin`` and ``active`` are None when their column is absent."""

OrgRow = tuple[int, str, str, int, str | None, int, str | None, int]
"""(line, id, name, employees, sector, sector given, domains, domains given): ``domains`` is
the domains joined by one blank, None for none."""


def start_contacts(conn: sqlite3.Connection) -> None:
    """An empty staging table for ``contacts import``."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS contact_import (line INTEGER PRIMARY KEY, "
        "email TEXT NOT NULL COLLATE NOCASE, org_id TEXT NOT NULL, name TEXT NOT NULL, "
        "portal_admin INTEGER, active INTEGER, expert_until TEXT, "
        "expert_given INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS temp.contact_import_email ON contact_import(email)")
    conn.execute("DELETE FROM temp.contact_import")


def stage_contacts(conn: sqlite3.Connection, rows: Sequence[ContactRow]) -> tuple[int, int] | None:
    """Stage rows (in line order, after those staged before); (line, first line) of the first
    of them whose e-mail address was staged before (in any case), or None."""
    conn.executemany("INSERT INTO temp.contact_import VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return _first_repeat(conn, "contact_import", "email", rows[0][0] if rows else None)


def staged_contacts(conn: sqlite3.Connection) -> Iterator[ContactRow]:
    """The staged rows in line order, read as they are used."""
    return (row for row in conn.execute("SELECT * FROM temp.contact_import ORDER BY line"))


def start_orgs(conn: sqlite3.Connection) -> None:
    """An empty staging table for ``org import``."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS org_import (line INTEGER PRIMARY KEY, "
        "id TEXT NOT NULL, name TEXT NOT NULL, employees INTEGER NOT NULL, sector TEXT, "
        "sector_given INTEGER NOT NULL, domains TEXT, domains_given INTEGER NOT NULL)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS temp.org_import_id ON org_import(id)")
    conn.execute("DELETE FROM temp.org_import")


def stage_orgs(conn: sqlite3.Connection, rows: Sequence[OrgRow]) -> tuple[int, int] | None:
    """Stage rows; (line, first line) of the first whose id was staged before, or None."""
    conn.executemany("INSERT INTO temp.org_import VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return _first_repeat(conn, "org_import", "id", rows[0][0] if rows else None)


def staged_orgs(conn: sqlite3.Connection) -> Iterator[OrgRow]:
    """The staged rows in line order, read as they are used."""
    return (row for row in conn.execute("SELECT * FROM temp.org_import ORDER BY line"))


def _first_repeat(
    conn: sqlite3.Connection, table: str, key: str, from_line: int | None
) -> tuple[int, int] | None:
    if from_line is None:
        return None
    row: Any = conn.execute(
        f"SELECT s.line, (SELECT min(f.line) FROM temp.{table} f WHERE f.{key} = s.{key}) "
        f"AS first FROM temp.{table} s WHERE s.line >= ? AND first < s.line "
        "ORDER BY s.line LIMIT 1",
        (from_line,),
    ).fetchone()
    return None if row is None else (int(row[0]), int(row[1]))


def add_staged_contacts(
    conn: sqlite3.Connection, first_line: int, last_line: int, *, at: str, actor: str
) -> None:
    """Insert the staged rows from ``first_line`` to ``last_line`` (new contacts, checked by
    the caller) with their ``contact.add`` events, in line order: what one
    :func:`incidentctl.services.contacts.create` per row would write, in two statements."""
    conn.execute(
        "INSERT INTO contacts (email, org_id, name, active, portal_admin, expert_until, "
        "created_at) SELECT email, org_id, name, coalesce(active, 1), coalesce(portal_admin, 0), "
        "expert_until, ? FROM temp.contact_import WHERE line BETWEEN ? AND ? ORDER BY line",
        (at, first_line, last_line),
    )
    # The same JSON as audit.append writes (sorted keys, compact separators).
    conn.execute(
        "INSERT INTO events (at, actor, action, org_id, contact, after) "
        "SELECT ?, ?, 'contact.add', org_id, email, json_object("
        "'active', json(iif(coalesce(active, 1), 'true', 'false')), "
        "'expert_until', expert_until, 'name', name, 'org', org_id, "
        "'portal_admin', json(iif(coalesce(portal_admin, 0), 'true', 'false'))) "
        "FROM temp.contact_import WHERE line BETWEEN ? AND ? ORDER BY line",
        (at, actor, first_line, last_line),
    )


def staged_deactivations(conn: sqlite3.Connection) -> int:
    """How many staged rows deactivate an active contact (``active`` false): an upper bound
    of what the import deactivates (a row of another organisation is refused instead)."""
    row = conn.execute(
        "SELECT count(*) FROM temp.contact_import i JOIN contacts c ON c.email = i.email "
        "WHERE i.active = 0 AND c.active = 1"
    ).fetchone()
    return int(row[0])
