"""Values for shell completion, by prefix from an index: the answer costs the same with a
million contacts as with ten (README, "Shell completion")."""

from __future__ import annotations

import sqlite3

# Above every character an id or address can hold: ``prefix <= value < prefix + _ABOVE``
# is "starts with prefix", a range the index answers (NOCASE for addresses, as their
# column compares them).
_ABOVE = "\U0010ffff"


def contacts(conn: sqlite3.Connection, prefix: str, limit: int) -> list[tuple[str, str]]:
    """(address, name) of the first ``limit`` contacts whose address starts with
    ``prefix`` in any case, in address order."""
    rows = conn.execute(
        "SELECT email, name FROM contacts WHERE email >= ? AND email < ? ORDER BY email LIMIT ?",
        (prefix, prefix + _ABOVE, limit),
    )
    return [(str(email), str(name)) for email, name in rows]


def organisations(conn: sqlite3.Connection, prefix: str, limit: int) -> list[tuple[str, str]]:
    """(id, name) of the first ``limit`` organisations whose id starts with ``prefix``."""
    rows = conn.execute(
        "SELECT id, name FROM organisations WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
        (prefix, prefix + _ABOVE, limit),
    )
    return [(str(org_id), str(name)) for org_id, name in rows]
