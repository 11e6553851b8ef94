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


def integrity(conn: sqlite3.Connection) -> list[str]:
    """SQLite's ``integrity_check``: ``["ok"]`` or the problems found."""
    return [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]


def foreign_key_problems(conn: sqlite3.Connection) -> int:
    """Rows whose foreign key points at a missing row."""
    return len(conn.execute("PRAGMA foreign_key_check").fetchall())


def journal_mode(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
