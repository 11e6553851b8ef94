"""Queries of the nightly recount and its publications (SPEC §5)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Publication:
    """The figures published for one organisation on one business date."""

    business_date: str
    maximum: int
    used: int
    experts: int


def latest_publication(conn: sqlite3.Connection, org_id: str) -> Publication | None:
    """The figure customers see now: the organisation's row of the latest run."""
    row = conn.execute(
        "SELECT r.business_date, p.maximum, p.used, p.experts FROM published_counts p "
        "JOIN recount_runs r ON r.id = p.run_id WHERE p.org_id = ? "
        "ORDER BY p.run_id DESC LIMIT 1",
        (org_id,),
    ).fetchone()
    return None if row is None else Publication(*row)
