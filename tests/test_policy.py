"""The quota policy (docs/roles-and-quota.md, "Where the maximum comes from"): ``policy show``
prints TOML that ``policy load`` reads back, ``policy load`` validates the whole file and is
audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Run, Snapshot
from hypothesis import given
from hypothesis import strategies as st

from incidentctl import policy as quota_policy
from incidentctl.domain import check_text
from incidentctl.errors import InvalidInput
from incidentctl.policy import Band, Policy

SECTOR_POLICY = """\
bands = [
  { from_employees = 0, maximum = 1 },
  { from_employees = 20, maximum = 4 },
]

[sectors.zorg]
bands = [{ from_employees = 0, maximum = 3 }]

[sectors."Openbaar bestuur"]
bands = [{ from_employees = 0, maximum = 2 }, { from_employees = 500, maximum = 15 }]
"""


def load(cli: Cli, tmp_path: Path, text: str | bytes, *args: str) -> Run:
    path = tmp_path / "policy.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return cli(*args, "policy", "load", str(path))


def test_the_default_policy_is_shown_as_loadable_toml(store: Cli, tmp_path: Path) -> None:
    shown = store.ok("policy", "show").stdout
    assert "default" in shown.splitlines()[0]
    document = store.json("policy", "show")
    assert document["default"] is True
    assert document["policy"] == quota_policy.to_document(quota_policy.DEFAULT_POLICY)

    path = tmp_path / "shown.toml"
    path.write_text(shown)
    store.ok("policy", "load", str(path))

    again = store.json("policy", "show")
    assert again == {"default": False, "policy": document["policy"]}
    # The same text, without the line that said it was the default.
    assert store.ok("policy", "show").stdout.splitlines() == shown.splitlines()[1:]


def test_a_policy_with_sectors_round_trips(store: Cli, tmp_path: Path) -> None:
    store.ok("policy", "load", "-", input=SECTOR_POLICY)
    loaded = store.json("policy", "show")
    assert loaded["policy"]["sectors"]["Openbaar bestuur"]["bands"][1] == {
        "from_employees": 500,
        "maximum": 15,
    }
    shown = store.ok("policy", "show").stdout

    store.ok("policy", "load", "-", input=shown)

    assert store.json("policy", "show") == loaded
    assert store.ok("policy", "show").stdout == shown


def test_sector_names_beyond_plain_ascii_round_trip(store: Cli) -> None:
    text = r"""
bands = [{ from_employees = 0, maximum = 2 }]
[sectors."Zorg & welzijn \U0001F3E5"]
bands = [{ from_employees = 0, maximum = 6 }]
[sectors."caf\u00e9s \\ \"bars\" \t"]
bands = [{ from_employees = 0, maximum = 1 }]
"""
    store.ok("policy", "load", "-", input=text)
    loaded = store.json("policy", "show")
    assert set(loaded["policy"]["sectors"]) == {"Zorg & welzijn \U0001f3e5", 'cafés \\ "bars" \t'}

    store.ok("policy", "load", "-", input=store.ok("policy", "show").stdout)

    assert store.json("policy", "show") == loaded


def test_policy_load_is_audited(store: Cli, tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(SECTOR_POLICY)
    run = store.ok("policy", "load", str(path))
    assert "3 sectors" not in run.stdout
    assert "2 size bands, 2 sectors" in run.stdout
    (event,) = store.json("log", "--action", "policy.load")
    assert event["actor"].startswith("operator")
    assert event["reason"] == f"loaded from {path}"
    assert event["before"] == quota_policy.to_document(quota_policy.DEFAULT_POLICY)
    assert event["after"]["sectors"]["zorg"] == {"bands": [{"from_employees": 0, "maximum": 3}]}


def test_policy_load_json(store: Cli) -> None:
    document = store.json("policy", "load", "-", input="bands = [{from_employees=0, maximum=4}]")
    assert document == {
        "loaded": "<stdin>",
        "dry_run": False,
        "policy": {"bands": [{"from_employees": 0, "maximum": 4}]},
        # Acme (maximum 3) and Globex (2) both get 4 now; neither uses more.
        "maxima": {"lower": 0, "higher": 2, "over_quota": 0},
    }


def test_policy_applies_to_every_organisation_at_once(store: Cli) -> None:
    store.ok("policy", "load", "-", input=SECTOR_POLICY)
    maxima = {d["org"]: d["maximum"] for d in store.json("quota")}
    assert maxima == {"1001": 4, "2002": 3}  # Acme: 30 employees; Globex: sector zorg


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param("bands = [", "not valid TOML", id="bad-toml"),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }]\nmaxima = 3\n",
            "'maxima'",
            id="unknown-top-key",
        ),
        pytest.param(
            "bandz = [{ from_employees = 0, maximum = 2 }]\n", "'bandz'", id="misspelt-bands"
        ),
        pytest.param("", "'bands' is missing", id="empty"),
        pytest.param("bands = []\n", "bands", id="no-bands"),
        pytest.param("bands = 3\n", "bands", id="bands-not-a-list"),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2, note = 'x' }]\n",
            "bands[1]",
            id="unknown-band-key",
        ),
        pytest.param("bands = [{ from_employees = 0 }]\n", "bands[1]", id="band-without-maximum"),
        pytest.param(
            "bands = [{ from_employees = 5, maximum = 2 }]\n",
            "from_employees = 0",
            id="first-band-not-at-0",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }, { from_employees = 0, maximum = 3 }]\n",
            "bands[2]",
            id="equal-starts",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }, { from_employees = 50, maximum = 3 },"
            " { from_employees = 10, maximum = 4 }]\n",
            "bands[3]",
            id="decreasing-starts",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = -1 }]\n", "maximum", id="negative-maximum"
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2.5 }]\n", "maximum", id="fractional-maximum"
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2.0 }]\n", "maximum", id="float-maximum"
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = '2' }]\n", "maximum", id="string-maximum"
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = true }]\n", "maximum", id="boolean-maximum"
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 },\n"
            "  { from_employees = -10, maximum = 3 }]\n",
            "from_employees",
            id="negative-start",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }]\n[sectors.zorg]\n"
            "bands = [{ from_employees = 1, maximum = 2 }]\n",
            "sectors.zorg",
            id="sector-band-not-at-0",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }]\n[sectors.zorg]\n"
            "bands = [{ from_employees = 0, maximum = -2 }]\n",
            "sectors.zorg.bands[1]",
            id="sector-negative-maximum",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }]\n[sectors.zorg]\n"
            "bands = [{ from_employees = 0, maximum = 2 }]\nmaximum = 4\n",
            "sectors.zorg",
            id="sector-unknown-key",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }]\n[sectors.zorg]\n"
            "bands = [{ from_employees = 0, maximum = 2 }]\n[sectors.ZORG]\n"
            "bands = [{ from_employees = 0, maximum = 3 }]\n",
            "sectors.ZORG",
            id="sector-twice-in-other-case",
        ),
        pytest.param(
            "bands = [{ from_employees = 0, maximum = 2 }]\nsectors = 1\n",
            "sectors",
            id="sectors-not-a-table",
        ),
        pytest.param(b"# caf\xe9\nbands = []\n", "UTF-8", id="not-utf8"),
    ],
)
def test_policy_load_refuses_a_bad_file(
    store: Cli, tmp_path: Path, snapshot: Snapshot, text: str | bytes, named: str
) -> None:
    store.ok("policy", "load", "-", input=SECTOR_POLICY)
    before = snapshot()

    run = load(store, tmp_path, text)

    error = run.failed(2)
    assert named in error
    assert "policy.toml" in error
    assert snapshot() == before


def test_policy_load_of_a_missing_file_exits_2(store: Cli, tmp_path: Path) -> None:
    store.fails(2, "policy", "load", str(tmp_path / "nope.toml"))


# --- the policy module: TOML written by ``policy show`` is read back by ``policy load`` -------

_bands = st.lists(
    st.tuples(st.integers(1, 10**6), st.integers(0, 10**6)), max_size=5, unique_by=lambda t: t[0]
).map(lambda rest: (Band(0, 2), *(Band(start, maximum) for start, maximum in sorted(rest))))


def _acceptable(text: str) -> bool:
    """Whether a text passes the free-text rule (no control or direction characters)."""
    try:
        check_text(text, "sector")
    except InvalidInput:
        return False
    return True


_sector_names = st.text(min_size=1, max_size=12).filter(
    lambda name: name.strip() != "" and _acceptable(name)
)


@given(
    bands=_bands,
    sectors=st.dictionaries(_sector_names, _bands, max_size=3).filter(
        lambda d: len({k.casefold() for k in d}) == len(d)
    ),
)
def test_to_toml_round_trips_through_parse_toml(
    bands: tuple[Band, ...], sectors: dict[str, tuple[Band, ...]]
) -> None:
    policy = Policy(bands=bands, sectors=sectors)
    text = quota_policy.to_toml(policy)
    try:
        parsed = quota_policy.parse_toml(text.encode(), "shown.toml")
    except InvalidInput as exc:  # pragma: no cover - shown on failure
        raise AssertionError(f"{exc.message}\n{text}") from exc
    assert parsed == policy


def test_sector_names_match_in_any_case() -> None:
    policy = Policy(bands=(Band(0, 1),), sectors={"Zorg": (Band(0, 5),)})
    assert policy.bands_for("ZORG") == ("Zorg", (Band(0, 5),))
    assert policy.bands_for("zorg") == ("Zorg", (Band(0, 5),))
    assert policy.bands_for("onderwijs") == (None, (Band(0, 1),))
    assert policy.bands_for(None) == (None, (Band(0, 1),))
