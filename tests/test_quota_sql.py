"""The recount and batches compute maxima in SQL (incidentctl.store.quota); quota explain
and the services derive them in Python (incidentctl.policy.derive). They must agree."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from incidentctl.domain import Organisation
from incidentctl.policy import MAX_BANDS, MAX_SECTORS, Band, Policy, derive
from incidentctl.store import Store
from incidentctl.store import orgs as org_store
from incidentctl.store.quota import maximum_sql


@st.composite
def bands(draw: st.DrawFn) -> tuple[Band, ...]:
    starts = draw(st.lists(st.integers(1, 20_000), max_size=6, unique=True))
    maxima = draw(st.lists(st.integers(0, 50), min_size=len(starts) + 1, max_size=len(starts) + 1))
    return tuple(
        Band(start, maximum) for start, maximum in zip([0, *sorted(starts)], maxima, strict=True)
    )


SECTORS = [
    "zorg",
    "Zorg",
    "ZORG",
    "onderwijs",
    "Straße",
    "STRASSE",
    "ict",
    "évènement",
    "Évènement",
]

policies = st.builds(
    Policy,
    bands=bands(),
    sectors=st.dictionaries(
        st.sampled_from(["zorg", "onderwijs", "straße", "évènement"]), bands(), max_size=3
    ),
)

organisations = st.lists(
    st.tuples(
        st.integers(0, 30_000),
        st.one_of(st.none(), st.sampled_from(SECTORS)),
        st.one_of(st.none(), st.integers(0, 40)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(policy=policies, orgs=organisations)
def test_sql_maximum_equals_derive(
    policy: Policy, orgs: list[tuple[int, str | None, int | None]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "store.db", create=True)
        try:
            with store.write() as conn:
                expected = {}
                for number, (employees, sector, override) in enumerate(orgs):
                    org = Organisation(
                        str(number),
                        "Org",
                        employees,
                        sector,
                        override,
                        "r" if override is not None else None,
                    )
                    org_store.insert(conn, org, "2024-01-01T00:00:00+00:00")
                    expected[org.id] = derive(policy, org).maximum
                expression, params = maximum_sql(conn, policy)
                actual = dict(
                    conn.execute(f"SELECT o.id, {expression} FROM organisations o", params)
                )
            assert actual == expected
        finally:
            store.close()


def test_a_policy_of_any_size_binds_no_variable_per_band(tmp_path: Path) -> None:
    """SQLite allows a few thousand bound variables: the largest policy ``policy load``
    accepts (every list at MAX_BANDS, MAX_SECTORS sectors) must bind none per band."""
    bands = tuple(Band(step * 10, step) for step in range(MAX_BANDS))
    sectors = {f"sector {n}": (*bands[:-1], Band(10**6, n)) for n in range(MAX_SECTORS)}
    policy = Policy(bands=bands, sectors=sectors)
    store = Store.open(tmp_path / "store.db", create=True)
    try:
        with store.write() as conn:
            orgs = [
                Organisation("a", "A", 5, None, None, None),
                Organisation("b", "B", 995, "SECTOR 7", None, None),
                Organisation("c", "C", 2 * 10**6, "sector 499", None, None),
                Organisation("d", "D", 2 * 10**6, "elsewhere", 3, "r"),
            ]
            for org in orgs:
                org_store.insert(conn, org, "2024-01-01T00:00:00+00:00")
            expression, params = maximum_sql(conn, policy)
            assert params == {}
            actual = dict(conn.execute(f"SELECT o.id, {expression} FROM organisations o"))
        assert actual == {org.id: derive(policy, org).maximum for org in orgs}
        assert actual == {"a": 0, "b": 98, "c": 499, "d": 3}
    finally:
        store.close()
