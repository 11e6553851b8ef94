"""Portal log-ins: a log-in starts the session that picks up the roles in effect."""

from __future__ import annotations

import sqlite3


def add_login(conn: sqlite3.Connection, contact_id: int, at: str) -> None:
    conn.execute("INSERT INTO logins (contact_id, at) VALUES (?, ?)", (contact_id, at))


def last_login(conn: sqlite3.Connection, contact_id: int, until: str) -> str | None:
    """The latest log-in of the contact at or before ``until``."""
    row = conn.execute(
        "SELECT max(at) FROM logins WHERE contact_id = ? AND at <= ?", (contact_id, until)
    ).fetchone()
    return None if row[0] is None else str(row[0])
