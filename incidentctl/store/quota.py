"""The quota policy as SQL, so maxima can be computed set-based (the recount, batches).

:func:`maximum_sql` must agree with :func:`incidentctl.policy.derive` for every policy and
organisation; tests/test_quota_sql.py checks that property.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from incidentctl.policy import DEFAULT_POLICY, Band, Policy
from incidentctl.store.roles import submitter_counts_sql
from incidentctl.store.rules import over_quota_sql, remaining_sql

_GENERAL = ""  # the sector value of the general bands in policy_bands


def read_policy(conn: sqlite3.Connection) -> tuple[Policy, bool]:
    """(the policy in force, whether it is the built-in default: none was loaded)."""
    general: list[Band] = []
    sectors: dict[str, list[Band]] = {}
    for sector, start, maximum in conn.execute(
        "SELECT sector, from_employees, maximum FROM policy_bands ORDER BY sector, from_employees"
    ):
        (general if sector == _GENERAL else sectors.setdefault(sector, [])).append(
            Band(start, maximum)
        )
    if not general:
        return DEFAULT_POLICY, True
    return Policy(tuple(general), {name: tuple(bands) for name, bands in sectors.items()}), False


def write_policy(conn: sqlite3.Connection, policy: Policy) -> None:
    """Replace the policy (inside the caller's transaction)."""
    conn.execute("DELETE FROM policy_bands")
    rows = [(_GENERAL, band.from_employees, band.maximum) for band in policy.bands]
    rows += [
        (sector, band.from_employees, band.maximum)
        for sector, bands in policy.sectors.items()
        for band in bands
    ]
    conn.executemany(
        "INSERT INTO policy_bands (sector, from_employees, maximum) VALUES (?, ?, ?)", rows
    )


def maximum_sql(conn: sqlite3.Connection, policy: Policy) -> tuple[str, dict[str, Any]]:
    """(SQL expression, parameters) for the maximum of the organisation row aliased ``o``:
    its override, else the band of its size among its sector's bands or the general ones.

    The policy is evaluated from two temporary tables, whatever its size, so no statement
    binds a variable per band (SQLite allows a few thousand): ``temp.quota_bands`` holds the
    general bands and those of the sectors organisations have, ``temp.quota_sectors`` maps
    each stored sector to the policy sector that applies. Sector names match as
    :meth:`Policy.bands_for` decides (any case, Unicode-aware), so that mapping is made here,
    in Python, once per distinct stored sector. Each organisation's maximum is then one probe
    of the bands' primary key.
    """
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS quota_bands (sector TEXT NOT NULL, "
        "from_employees INTEGER NOT NULL, maximum INTEGER NOT NULL, "
        "PRIMARY KEY (sector, from_employees)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS quota_sectors "
        "(stored TEXT PRIMARY KEY, sector TEXT NOT NULL) WITHOUT ROWID"
    )
    conn.execute("DELETE FROM temp.quota_bands")
    conn.execute("DELETE FROM temp.quota_sectors")
    by_folded: dict[str, str] = {}
    for name in policy.sectors:
        by_folded.setdefault(name.casefold(), name)
    mapping = []
    if by_folded:
        for (stored,) in conn.execute(
            "SELECT DISTINCT sector FROM organisations WHERE sector IS NOT NULL"
        ):
            sector = by_folded.get(stored.casefold())
            if sector is not None:
                mapping.append((stored, sector))
    conn.executemany("INSERT INTO temp.quota_sectors (stored, sector) VALUES (?, ?)", mapping)
    rows = [(_GENERAL, band.from_employees, band.maximum) for band in policy.bands]
    for name in sorted({name for _, name in mapping}):
        rows += [(name, band.from_employees, band.maximum) for band in policy.sectors[name]]
    conn.executemany(
        "INSERT INTO temp.quota_bands (sector, from_employees, maximum) VALUES (?, ?, ?)", rows
    )
    by_policy = (
        "(SELECT b.maximum FROM temp.quota_bands b WHERE b.sector = coalesce("
        "(SELECT s.sector FROM temp.quota_sectors s WHERE s.stored = o.sector), '') "
        "AND b.from_employees <= o.employees ORDER BY b.from_employees DESC LIMIT 1)"
    )
    return f"coalesce(o.quota_override, {by_policy})", {}


QuotaRow = tuple[str, int, int, int, str | None, int | None, int | None, int | None]
"""(organisation, maximum, used, experts, and the latest publication's business date,
maximum, used and experts, or four None)."""


def _every_quota_sql(maximum: str, only: str | None) -> str:
    """The statement of :func:`every_quota`, for every organisation or only ``:only``;
    ``maximum`` is the expression of :func:`maximum_sql`."""
    return (
        f"SELECT o.id AS org, {maximum} AS maximum, coalesce(h.used, 0) AS used, "
        "coalesce(h.experts, 0) AS experts, "
        # An organisation added since the latest run has no figure in it: four None.
        "CASE WHEN p.org_id IS NULL THEN NULL ELSE r.business_date END AS business_date, "
        "p.maximum AS published_maximum, p.used AS published_used, "
        "p.experts AS published_experts FROM organisations o "
        f"LEFT JOIN ({submitter_counts_sql()}) h ON h.org_id = o.id "
        "LEFT JOIN recount_runs r ON r.id = (SELECT max(id) FROM recount_runs) "
        "LEFT JOIN published_counts p ON p.run_id = r.id AND p.org_id = o.id "
        + ("" if only is None else "WHERE o.id = :only ")
        + "ORDER BY o.id"
    )


def every_quota(
    conn: sqlite3.Connection,
    maximum: tuple[str, dict[str, Any]],
    today: str,
    now: str,
    only: str | None = None,
) -> list[QuotaRow]:
    """The quota of every organisation (or just ``only``) in id order, in one statement: its
    maximum (``maximum`` is :func:`maximum_sql`), its used seats and experts from one pass over
    the current holders (:func:`incidentctl.store.roles.submitter_counts_sql`), and its figure
    of the latest publication (one probe each of its primary key)."""
    expression, params = maximum
    return conn.execute(
        _every_quota_sql(expression, only),
        {**params, "today": today, "now": now, "only": only},
    ).fetchall()


ShownQuota = tuple[str, int, int, int, int, str, str]
"""(organisation, maximum, used, remaining, experts, over quota, published): a row of the
``quota`` table, each cell as it is shown."""


def shown_quota(
    conn: sqlite3.Connection,
    maximum: tuple[str, dict[str, Any]],
    today: str,
    now: str,
    only: str | None = None,
    *,
    words: tuple[str, str, str],
) -> list[ShownQuota]:
    """The rows of the ``quota`` table (every organisation, or just ``only``), made by
    SQLite ready to show: :func:`every_quota` with the remaining seats and whether it is over
    quota as :mod:`incidentctl.store.rules` has them, ``words`` (yes, no, none) for the
    flag and a missing publication, and the publication as ``used/maximum (date)``. Python
    then only writes them: a tenth of the time of ``quota`` over ten thousand organisations
    (docs/performance.md)."""
    expression, params = maximum
    yes, no, none = words
    return conn.execute(
        f"SELECT org, maximum, used, {remaining_sql('maximum', 'used')}, experts, "
        f"iif({over_quota_sql('maximum', 'used')}, :yes, :no), "
        "iif(business_date IS NULL, :none, "
        "published_used || '/' || published_maximum || ' (' || business_date || ')') "
        f"FROM ({_every_quota_sql(expression, only)})",
        {**params, "today": today, "now": now, "only": only, "yes": yes, "no": no, "none": none},
    ).fetchall()
