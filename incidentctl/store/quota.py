"""The quota policy as SQL, so maxima can be computed set-based (the recount, batches).

:func:`maximum_sql` must agree with :func:`incidentctl.policy.derive` for every policy and
organisation; tests/test_quota_sql.py checks that property.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from incidentctl.policy import DEFAULT_POLICY, Band, Policy
from incidentctl.store.roles import submitter_counts_sql

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


def every_quota(
    conn: sqlite3.Connection, maximum: tuple[str, dict[str, Any]], today: str, now: str
) -> list[QuotaRow]:
    """The quota of every organisation in id order, in one statement: its maximum
    (``maximum`` is :func:`maximum_sql`), its used seats and experts from one pass over the
    current holders (:func:`incidentctl.store.roles.submitter_counts_sql`), and its figure of
    the latest publication (one probe each of its primary key)."""
    expression, params = maximum
    return conn.execute(
        f"SELECT o.id, {expression}, coalesce(h.used, 0), coalesce(h.experts, 0), "
        # An organisation added since the latest run has no figure in it: four None.
        "CASE WHEN p.org_id IS NULL THEN NULL ELSE r.business_date END, "
        "p.maximum, p.used, p.experts FROM organisations o "
        f"LEFT JOIN ({submitter_counts_sql()}) h ON h.org_id = o.id "
        "LEFT JOIN recount_runs r ON r.id = (SELECT max(id) FROM recount_runs) "
        "LEFT JOIN published_counts p ON p.run_id = r.id AND p.org_id = o.id ORDER BY o.id",
        {**params, "today": today, "now": now},
    ).fetchall()
