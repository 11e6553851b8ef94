"""The quota policy as SQL, so maxima can be computed set-based (the recount, batches).

:func:`maximum_sql` must agree with :func:`incidentctl.policy.derive` for every policy and
organisation; tests/test_quota_sql.py checks that property.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from incidentctl.policy import DEFAULT_POLICY, Band, Policy

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

    Sector names match as :meth:`Policy.bands_for` decides (any case, Unicode-aware), so
    the store's distinct sector values are mapped here, in Python: there are few of them.
    """
    params: dict[str, Any] = {}
    sector_cases = []
    stored = [s for (s,) in conn.execute("SELECT DISTINCT sector FROM organisations")]
    for number, (name, bands) in enumerate(policy.sectors.items()):
        matching = [s for s in stored if s is not None and policy.bands_for(s)[0] == name]
        if not matching:
            continue
        names = []
        for index, sector in enumerate(matching):
            params[f"s{number}_{index}"] = sector
            names.append(f":s{number}_{index}")
        case = _bands_case(bands, f"s{number}b", params)
        sector_cases.append(f"WHEN o.sector IN ({', '.join(names)}) THEN {case}")
    general = _bands_case(policy.bands, "b", params)
    by_policy = f"CASE {' '.join(sector_cases)} ELSE {general} END" if sector_cases else general
    return f"coalesce(o.quota_override, {by_policy})", params


def _bands_case(bands: Sequence[Band], prefix: str, params: dict[str, Any]) -> str:
    """The maximum of the largest band whose start the organisation's size reaches."""
    whens = []
    for index in range(len(bands) - 1, 0, -1):
        params[f"{prefix}{index}f"] = bands[index].from_employees
        params[f"{prefix}{index}m"] = bands[index].maximum
        whens.append(f"WHEN o.employees >= :{prefix}{index}f THEN :{prefix}{index}m")
    params[f"{prefix}0m"] = bands[0].maximum
    if not whens:
        return f":{prefix}0m"
    return f"CASE {' '.join(whens)} ELSE :{prefix}0m END"
