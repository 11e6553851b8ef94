"""Queries of the nightly recount and its publications (docs/cron.md)."""

from __future__ import annotations

import sqlite3
from typing import Any, NamedTuple

from incidentctl.roles import defined
from incidentctl.store.roles import latest_action_sql, submitter_counts_sql


class Publication(NamedTuple):
    """The figures published for one organisation on one business date."""

    business_date: str
    maximum: int
    used: int
    experts: int


def latest_publication(conn: sqlite3.Connection, org_id: str) -> Publication | None:
    """The figure customers see now: the organisation's row of the latest run. Every run
    publishes every organisation, so one added since then has none yet."""
    row = conn.execute(
        "SELECT r.business_date, p.maximum, p.used, p.experts FROM recount_runs r "
        "JOIN published_counts p ON p.run_id = r.id AND p.org_id = ? "
        "WHERE r.id = (SELECT max(id) FROM recount_runs)",
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
        f"coalesce({latest_action_sql('c', defined().quota_role)} = 'grant', 0) "
        "FROM contacts c WHERE c.expert_until >= ? AND c.expert_until < ? AND c.active = 1 "
        "ORDER BY c.org_id, c.email",
        (lapsed_from, today),
    )
    return [(str(e), str(o), str(u), bool(s)) for e, o, u, s in rows]


def compute_figures(
    conn: sqlite3.Connection, maximum: tuple[str, dict[str, Any]], today: str, now: str
) -> None:
    """Every organisation's maximum, used, experts, submitters in effect and whether it has
    an active portal admin, set-based, into ``temp.recount_figures``: a temporary table, so
    a read snapshot suffices and the publication later copies it in one statement."""
    expression, params = maximum
    conn.execute("DROP TABLE IF EXISTS temp.recount_figures")
    conn.execute(
        "CREATE TEMP TABLE recount_figures AS "
        f"SELECT o.id AS org_id, {expression} AS maximum, coalesce(c.used, 0) AS used, "
        "coalesce(c.experts, 0) AS experts, coalesce(c.in_effect, 0) AS in_effect, "
        "EXISTS (SELECT 1 FROM contacts a WHERE a.org_id = o.id AND a.portal_admin = 1 "
        "AND a.active = 1) AS has_admin "
        f"FROM organisations o LEFT JOIN ({submitter_counts_sql()}) c ON c.org_id = o.id "
        "ORDER BY o.id",
        {**params, "today": today, "now": now},
    )


def figure_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM temp.recount_figures").fetchone()[0])


def over_quota(conn: sqlite3.Connection) -> list[tuple[str, int, int]]:
    """(org, used, maximum) of the organisations over their maximum."""
    return conn.execute(
        "SELECT org_id, used, maximum FROM temp.recount_figures WHERE used > maximum "
        "ORDER BY org_id"
    ).fetchall()


def without_admin(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT org_id FROM temp.recount_figures WHERE NOT has_admin ORDER BY org_id"
    )
    return [org_id for (org_id,) in rows]


def without_submitter_in_effect(conn: sqlite3.Connection) -> list[str]:
    """Organisations where no holder's latest grant is in effect (before the few decided by
    :func:`incidentctl.store.roles.orgs_held_through_pending`)."""
    rows = conn.execute(
        "SELECT org_id FROM temp.recount_figures WHERE in_effect = 0 ORDER BY org_id"
    )
    return [org_id for (org_id,) in rows]


def publish(
    conn: sqlite3.Connection,
    *,
    business_date: str,
    started_at: str,
    finished_at: str,
    forced: bool,
    report: str,
) -> int:
    """Record a run and publish ``temp.recount_figures`` as its figures; the run id."""
    cursor = conn.execute(
        "INSERT INTO recount_runs (business_date, started_at, finished_at, forced, "
        "organisations, report) "
        "VALUES (?, ?, ?, ?, (SELECT count(*) FROM temp.recount_figures), ?)",
        (business_date, started_at, finished_at, int(forced), report),
    )
    run_id = cursor.lastrowid
    assert run_id is not None
    conn.execute(
        "INSERT INTO published_counts (run_id, org_id, maximum, used, experts) "
        "SELECT ?, org_id, maximum, used, experts FROM temp.recount_figures",
        (run_id,),
    )
    return run_id
