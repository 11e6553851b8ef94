"""What ``doctor`` reads: the schema the store has, the schema the migrations create, the
migration ledger, and SQLite's own checks (docs/concepts.md, "The store")."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import NamedTuple

from incidentctl import migrations


class SchemaObject(NamedTuple):
    type: str  # table, index, trigger or view
    name: str
    table: str
    sql: str  # whitespace folded: a definition, not its layout


def schema(conn: sqlite3.Connection) -> dict[tuple[str, str], SchemaObject]:
    """Every table, index, trigger and view by (type, name), as ``sqlite_master`` has them,
    without SQLite's own (``sqlite_autoindex_…``, ``sqlite_stat1`` of ANALYZE)."""
    rows = conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type, name"
    )
    return {
        (kind, name): SchemaObject(kind, name, table, " ".join((sql or "").split()))
        for kind, name, table, sql in rows
    }


def expected_schema(steps: Iterable[str]) -> dict[tuple[str, str], SchemaObject]:
    """The schema the named migration steps create, built in an in-memory database by the
    same code that migrates a store."""
    import sqlite_utils

    wanted = set(steps)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        steps_to_apply = sqlite_utils.Migrations(migrations.MIGRATION_SET)
        for name, step in migrations.STEPS:
            if name in wanted:
                steps_to_apply(name=name)(step)
        conn.execute("BEGIN IMMEDIATE")
        steps_to_apply.apply(sqlite_utils.Database(conn, execute_plugins=False))
        conn.execute("COMMIT")
        return schema(conn)
    finally:
        conn.close()


def ledger(conn: sqlite3.Connection) -> list[str] | None:
    """The steps the store records as applied, oldest first, repeats included; None when
    it has no ledger at all."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
        (migrations.MIGRATIONS_TABLE,),
    ).fetchone()
    if exists is None:
        return None
    return migrations.applied_names(conn)


def has_tables(conn: sqlite3.Connection) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone()
    return found is not None


# Every key of either side whose row differs from the other's or is missing there: the latest
# change of each contact's role, as the history says, against the state table.
_ROLE_STATE_DISAGREEMENTS = f"""
WITH expected AS ({migrations.ROLE_STATE_FROM_HISTORY.strip()})
SELECT
    (SELECT count(*) FROM expected e
        LEFT JOIN role_state s ON s.contact_id = e.contact_id AND s.role = e.role
        WHERE s.contact_id IS NULL OR s.org_id IS NOT e.org_id OR s.change_id IS NOT e.id
        OR s.action IS NOT e.action OR s.requested_at IS NOT e.requested_at
        OR s.effective_at IS NOT e.effective_at)
    + (SELECT count(*) FROM role_state s WHERE NOT EXISTS (
        SELECT 1 FROM role_changes r WHERE r.contact_id = s.contact_id AND r.role = s.role)),
    (SELECT count(*) FROM role_state)
"""


def role_state_disagreements(conn: sqlite3.Connection) -> tuple[int, int]:
    """(rows of the state table that disagree with the role history, rows it holds): a row
    that differs from the latest change of its contact and role, a latest change without
    its row, and a row without any change each count once. One set-based query."""
    disagreeing, rows = conn.execute(_ROLE_STATE_DISAGREEMENTS).fetchone()
    return int(disagreeing), int(rows)


def integrity(conn: sqlite3.Connection) -> list[str]:
    """SQLite's ``integrity_check``: ``["ok"]`` or the problems found."""
    return [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]


def foreign_key_problems(conn: sqlite3.Connection) -> int:
    """Rows whose foreign key points at a missing row."""
    return len(conn.execute("PRAGMA foreign_key_check").fetchall())


def journal_mode(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
