"""The audit log (docs/concepts.md, rule 8): append-only, enforced by triggers in the schema."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any, NamedTuple


class Event(NamedTuple):
    """One change, as the audit log records it."""

    id: int
    at: str
    actor: str
    action: str
    org: str | None
    contact: str | None
    role: str | None
    before: str | None
    after: str | None
    reason: str | None


def encode(value: dict[str, Any] | None) -> str | None:
    """The stored text of an event's before/after values."""
    if value is None:
        return None
    import json

    # Compact and sorted: the same text SQLite's json_object() writes for batch events.
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def changed(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The before and after of an event that changes ``old`` into ``new``: only the values
    that differ."""
    keys = [key for key in old if old[key] != new[key]]
    return {key: old[key] for key in keys}, {key: new[key] for key in keys}


def append(
    conn: sqlite3.Connection,
    *,
    at: str,
    actor: str,
    action: str,
    org: str | None = None,
    contact: str | None = None,
    role: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Append one event; call inside the transaction that makes the change."""
    conn.execute(
        "INSERT INTO events (at, actor, action, org_id, contact, role, before, after, reason) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, actor, action, org, contact, role, encode(before), encode(after), reason),
    )


def iter_events(
    conn: sqlite3.Connection,
    *,
    org: str | None = None,
    contact: str | None = None,
    since: str | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> Iterator[Event]:
    """Matching events in the order they were written; with ``limit``, the last ones."""
    where: list[str] = []
    params: list[object] = []
    if org is not None:
        where.append("org_id = ?")
        params.append(org)
    if contact is not None:
        where.append("contact = ? COLLATE NOCASE")
        params.append(contact)
    if since is not None:
        where.append("at >= ?")
        params.append(since)
    if action is not None:
        where.append("action = ?")
        params.append(action)
    sql = (
        "SELECT id, at, actor, action, org_id, contact, role, before, after, reason FROM events"
        + (" WHERE " + " AND ".join(where) if where else "")
    )
    if limit is not None:
        # The most recent `limit` events, still shown oldest first.
        sql = f"SELECT * FROM ({sql} ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id"
        params.append(limit)
    else:
        # Chronological: with a simulated or pinned clock, write order can differ.
        sql += " ORDER BY at, id"
    return (Event(*row) for row in conn.execute(sql, params))
