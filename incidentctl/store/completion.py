"""Values for shell completion, by prefix from an index: the answer costs the same with a
million contacts as with ten (README, "Shell completion")."""

from __future__ import annotations

import sqlite3

# Above every character an id or address can hold: ``prefix <= value < prefix + _ABOVE``
# is "starts with prefix", a range the index answers (NOCASE for addresses, as their
# column compares them).
_ABOVE = "\U0010ffff"


def contacts(
    conn: sqlite3.Connection,
    prefix: str,
    limit: int,
    *,
    org_id: str | None = None,
    contact_id: int | None = None,
) -> list[tuple[str, str]]:
    """(address, name) of the first ``limit`` contacts whose address starts with
    ``prefix`` in any case, in address order; with ``org_id``, of that organisation only
    (the (org_id, email) index), and with ``contact_id`` too, only that contact and the
    organisation's active portal admins."""
    where = "email >= ? AND email < ?"
    params: list[str | int] = [prefix, prefix + _ABOVE]
    if org_id is not None:
        where = f"org_id = ? AND {where}"
        params.insert(0, org_id)
    if contact_id is not None:
        where += " AND (id = ? OR (portal_admin = 1 AND active = 1))"
        params.append(contact_id)
    rows = conn.execute(
        f"SELECT email, name FROM contacts WHERE {where} ORDER BY email LIMIT ?",
        (*params, limit),
    )
    return [(str(email), str(name)) for email, name in rows]


def organisations(
    conn: sqlite3.Connection, prefix: str, limit: int, *, org_id: str | None = None
) -> list[tuple[str, str]]:
    """(id, name) of the first ``limit`` organisations whose id starts with ``prefix``
    (with ``org_id``, that organisation only, if its id does)."""
    where, params = "id >= ? AND id < ?", [prefix, prefix + _ABOVE]
    if org_id is not None:
        where += " AND id = ?"
        params.append(org_id)
    rows = conn.execute(
        f"SELECT id, name FROM organisations WHERE {where} ORDER BY id LIMIT ?",
        (*params, limit),
    )
    return [(str(found), str(name)) for found, name in rows]


def portal_user(conn: sqlite3.Connection, email: str) -> tuple[int, str, bool] | None:
    """(id, organisation, whether a portal admin) of the ACTIVE contact with this address
    (any case); None for an unknown or inactive one."""
    row = conn.execute(
        "SELECT id, org_id, portal_admin FROM contacts WHERE email = ? AND active = 1", (email,)
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]), bool(row[2]))
