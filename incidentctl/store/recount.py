"""Queries of the nightly recount and its publications (SPEC §5)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from incidentctl.domain import Role
from incidentctl.store.roles import latest_action_sql


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


def run_for_date(conn: sqlite3.Connection, business_date: str) -> tuple[int, str] | None:
    """(id, report JSON) of the latest run for a business date, if there was one."""
    row = conn.execute(
        "SELECT id, report FROM recount_runs WHERE business_date = ? ORDER BY id DESC LIMIT 1",
        (business_date,),
    ).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def last_run_date(conn: sqlite3.Connection, before: str) -> str | None:
    """The business date of the last run before ``before``."""
    row = conn.execute(
        "SELECT max(business_date) FROM recount_runs WHERE business_date < ?", (before,)
    ).fetchone()
    return None if row[0] is None else str(row[0])


def lapsed_experts(
    conn: sqlite3.Connection, lapsed_from: str, today: str
) -> list[tuple[str, str, str, bool]]:
    """(e-mail, org, expert_until, holds submitter) of active contacts whose certification
    ended in [lapsed_from, today): experts then, not any more today ("" = ever)."""
    rows = conn.execute(
        "SELECT c.email, c.org_id, c.expert_until, "
        f"coalesce({latest_action_sql('c', Role.SUBMITTER)} = 'grant', 0) "
        "FROM contacts c WHERE c.expert_until >= ? AND c.expert_until < ? AND c.active = 1 "
        "ORDER BY c.org_id, c.email",
        (lapsed_from, today),
    )
    return [(str(e), str(o), str(u), bool(s)) for e, o, u, s in rows]


def orgs_with_admin(conn: sqlite3.Connection) -> set[str]:
    """Organisations with at least one active portal admin (a small partial index)."""
    rows = conn.execute(
        "SELECT DISTINCT org_id FROM contacts WHERE portal_admin = 1 AND active = 1"
    )
    return {org_id for (org_id,) in rows}


def publish(
    conn: sqlite3.Connection,
    *,
    business_date: str,
    started_at: str,
    finished_at: str,
    forced: bool,
    report: str,
    figures: list[tuple[str, int, int, int]],
) -> int:
    """Record a run and its figures (org, maximum, used, experts); returns the run id."""
    cursor = conn.execute(
        "INSERT INTO recount_runs (business_date, started_at, finished_at, forced, "
        "organisations, report) VALUES (?, ?, ?, ?, ?, ?)",
        (business_date, started_at, finished_at, int(forced), len(figures), report),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    conn.executemany(
        "INSERT INTO published_counts (run_id, org_id, maximum, used, experts) "
        "VALUES (?, ?, ?, ?, ?)",
        ((run_id, org, maximum, used, experts) for org, maximum, used, experts in figures),
    )
    return run_id
