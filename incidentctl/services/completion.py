"""Shell completion from the store (README, "Shell completion").

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


def contacts(path: Path | None, prefix: str) -> list[tuple[str, str]]:
    """(address, name) of contacts whose address starts with ``prefix``, in any case."""
    from incidentctl.store import completion

    return _search(path, completion.contacts, prefix)


def organisations(path: Path | None, prefix: str) -> list[tuple[str, str]]:
    """(id, name) of organisations whose id starts with ``prefix``."""
    from incidentctl.store import completion

    return _search(path, completion.organisations, prefix)


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
