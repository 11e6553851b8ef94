"""Shell completion from the store (README, "Shell completion"), as the actor may see it: a
portal user (``--as``) is offered only its own organisation's ids and contacts, exactly as
the commands would show them to it (docs/concepts.md, "Who may do what").

The store is read as it is, with a short wait at most: nothing is migrated, fixed or
created, and a store that is missing, busy or not an incidentctl store completes nothing,
silently, so a press of TAB never prints an error into the command line being typed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from incidentctl.errors import IncidentctlError

LIMIT = 100
"""At most this many answers: a shell shows no more usefully."""

_WAIT = 0.5  # seconds; a completion that waits longer than this is worse than none

Search = Callable[[sqlite3.Connection, str, int], list[tuple[str, str]]]


def contacts(path: Path | None, prefix: str, as_email: str | None = None) -> list[tuple[str, str]]:
    """(address, name) of contacts whose address starts with ``prefix``, in any case, that
    ``as_email`` may name (None: the operator, every contact)."""
    from incidentctl.store import completion

    def search(conn: sqlite3.Connection, prefix: str, limit: int) -> list[tuple[str, str]]:
        scope = _scope(conn, as_email)
        if scope is None:
            return []
        org_id, contact_id = scope
        return completion.contacts(conn, prefix, limit, org_id=org_id, contact_id=contact_id)

    return _search(path, search, prefix)


def organisations(
    path: Path | None, prefix: str, as_email: str | None = None
) -> list[tuple[str, str]]:
    """(id, name) of organisations whose id starts with ``prefix`` that ``as_email`` may
    name (None: the operator, every organisation)."""
    from incidentctl.store import completion

    def search(conn: sqlite3.Connection, prefix: str, limit: int) -> list[tuple[str, str]]:
        scope = _scope(conn, as_email)
        if scope is None:
            return []
        return completion.organisations(conn, prefix, limit, org_id=scope[0])

    return _search(path, search, prefix)


def _scope(conn: sqlite3.Connection, as_email: str | None) -> tuple[str | None, int | None] | None:
    """(organisation, contact) completion is limited to, as for the listings: the operator
    sees everything (None, None); a portal admin its organisation; any other portal user
    itself and its organisation's portal admins (the contact's id). None, to complete
    nothing, for a portal user who may do nothing: unknown, inactive, or given empty."""
    if as_email is None:
        return None, None
    from incidentctl.store import completion

    user = completion.portal_user(conn, as_email) if as_email else None
    if user is None:
        return None
    contact_id, org_id, portal_admin = user
    return org_id, None if portal_admin else contact_id


def _search(path: Path | None, search: Search, prefix: str) -> list[tuple[str, str]]:
    if path is None:
        return []
    from incidentctl.store import open_query_only

    try:
        conn = open_query_only(path, timeout=_WAIT)
    except (IncidentctlError, OSError):
        return []
    try:
        return search(conn, prefix, LIMIT)
    except sqlite3.Error:  # not an incidentctl store, damaged, busy: nothing to offer
        return []
    finally:
        conn.close()
