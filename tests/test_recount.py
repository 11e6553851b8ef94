"""The nightly recount (docs/cron.md; docs/concepts.md, rules 4 and 5).

The system clock is moved with freezegun, as cron would see it night after night; a few tests
pin it with the global ``--now`` instead. The store's timezone is Europe/Amsterdam (CET/CEST)
unless a test sets another, so the business date of a run is its date in Amsterdam.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Snapshot, events
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

# A spring Wednesday (CEST, UTC+2): the day the store's figures are first published.
DAY_ONE = "2024-05-01"
REPORT_KEYS = {
    "business_date",
    "status",
    "organisations",
    "over_quota",
    "lapsed_experts",
    "without_admin",
    "nobody_can_submit",
    "pending_changes",
}
HEADINGS = {
    "over_quota": "Over quota (",
    "lapsed_experts": "Experts whose certification lapsed",
    "without_admin": "Without an active portal admin",
    "nobody_can_submit": "Nobody can submit",
    "pending_changes": "Role changes still propagating",
}


@pytest.fixture
def clock() -> Iterator[FrozenDateTimeFactory]:
    """The system clock, frozen at 10:00 local on DAY_ONE; move it with :func:`at`."""
    with freeze_time(f"{DAY_ONE}T08:00:00Z") as frozen:
        yield frozen


def at(clock: FrozenDateTimeFactory, moment: str) -> None:
    """Move the system clock to ``moment`` (ISO 8601 with an offset)."""
    clock.move_to(datetime.fromisoformat(moment).astimezone(UTC))


def recount(cli: Cli, *args: str, now: str | None = None) -> dict[str, Any]:
    """``[--now NOW] recount ARGS --json``: the report document."""
    pinned = ("--now", now) if now else ()
    document = cli.json(*pinned, "recount", *args)
    assert isinstance(document, dict)
    return document


def published(cli: Cli, org: str, *global_args: str) -> dict[str, Any] | None:
    document = cli.json(*global_args, "quota", org)
    assert isinstance(document, dict)
    result = document["published"]
    assert result is None or isinstance(result, dict)
    return result


def runs(path: Path) -> list[dict[str, Any]]:
    """Every row of recount_runs, oldest first."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM recount_runs ORDER BY id")]
    finally:
        conn.close()


def add_expert(cli: Cli, email: str, until: str) -> None:
    """A contact of Acme (1001) certified as an expert until ``until`` (inclusive)."""
    name = email.split("@")[0].capitalize()
    cli.ok("contacts", "add", email, "--org", "1001", "--name", name, "--expert-until", until)


def recount_events(path: Path) -> list[dict[str, Any]]:
    return [event for event in events(path) if event["action"] == "recount"]


@pytest.fixture
def healthy(store: Cli, clock: FrozenDateTimeFactory) -> Cli:
    """Nothing to report: each organisation has an active portal admin who holds submitter
    in effect (granted at 10:00, in effect at 10:10), within quota, nothing pending; the
    clock stands at 11:00 local on DAY_ONE."""
    store.ok("grant", "submitter", "admin@acme.nl", "gina@globex.nl")
    at(clock, f"{DAY_ONE}T11:00+02:00")
    return store


# --- publication ------------------------------------------------------------------------------


def test_quota_shows_no_publication_before_the_first_recount(store: Cli) -> None:
    assert published(store, "1001") is None
    assert "not yet" in store.ok("quota", "1001").stdout
    assert "not yet" in store.ok("org", "show", "1001").stdout


def test_published_figures_stay_until_the_next_business_dates_run(
    healthy: Cli, clock: FrozenDateTimeFactory
) -> None:
    cli = healthy
    assert recount(cli)["status"] == "done"
    figure = {"business_date": DAY_ONE, "maximum": 3, "used": 1}
    assert published(cli, "1001") == figure

    at(clock, f"{DAY_ONE}T14:00+02:00")
    cli.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    cli.ok("revoke", "submitter", "gina@globex.nl")

    live = cli.json("quota", "1001")
    assert live["used"] == 3  # the live figure moves at once ...
    assert live["published"] == figure  # ... the published one does not
    assert published(cli, "2002") == {"business_date": DAY_ONE, "maximum": 2, "used": 1}
    assert f"1 of 3 on {DAY_ONE}" in cli.ok("quota", "1001").stdout
    assert f"1 of 3 on {DAY_ONE}" in cli.ok("org", "show", "1001").stdout
    assert cli.json("org", "show", "1001")["quota"]["published"] == figure

    at(clock, f"{DAY_ONE}T23:59+02:00")  # still the same business date: nothing changes
    assert recount(cli)["status"] == "skipped"
    assert published(cli, "1001") == figure

    at(clock, "2024-05-02T04:15+02:00")  # the next night's run publishes the new figures
    assert recount(cli)["status"] == "done"
    assert published(cli, "1001") == {"business_date": "2024-05-02", "maximum": 3, "used": 3}
    assert published(cli, "2002") == {"business_date": "2024-05-02", "maximum": 2, "used": 0}
    assert "3 of 3 on 2024-05-02" in cli.ok("quota", "1001").stdout


def test_every_organisation_is_published_with_its_maximum(
    healthy: Cli, clock: FrozenDateTimeFactory, db_path: Path
) -> None:
    healthy.ok("org", "add", "3003", "--name", "Initech", "--employees", "300")
    document = recount(healthy)
    assert document["organisations"] == 3
    assert published(healthy, "3003") == {"business_date": DAY_ONE, "maximum": 8, "used": 0}
    (run,) = runs(db_path)
    assert run["business_date"] == DAY_ONE
    assert run["organisations"] == 3
    assert run["forced"] == 0

    healthy.ok("org", "add", "4004", "--name", "Umbrella", "--employees", "60")
    assert published(healthy, "4004") is None  # not published until the next night
    at(clock, "2024-05-02T04:15+02:00")
    assert recount(healthy)["organisations"] == 4
    assert published(healthy, "4004") == {"business_date": "2024-05-02", "maximum": 5, "used": 0}


# --- once per business date, unless --force ---------------------------------------------------


def test_a_second_run_on_the_same_business_date_changes_nothing(
    healthy: Cli, clock: FrozenDateTimeFactory, db_path: Path, snapshot: Snapshot
) -> None:
    first = recount(healthy)
    assert first["status"] == "done"
    assert len(recount_events(db_path)) == 1
    before = snapshot()

    at(clock, f"{DAY_ONE}T22:00+02:00")
    healthy_now = healthy.ok("recount")
    again = recount(healthy)

    assert snapshot() == before  # no recount_runs row, no published_counts, no audit event
    assert "already published" in healthy_now.stdout
    assert again["status"] == "skipped"
    assert again["business_date"] == DAY_ONE
    assert {key: value for key, value in again.items() if key != "status"} == {
        key: value for key, value in first.items() if key != "status"
    }
    assert len(runs(db_path)) == 1
    assert len(recount_events(db_path)) == 1


def test_force_recomputes_the_business_date(
    healthy: Cli, clock: FrozenDateTimeFactory, db_path: Path
) -> None:
    assert recount(healthy)["status"] == "done"
    healthy.ok("grant", "submitter", "jan@acme.nl")
    at(clock, f"{DAY_ONE}T12:00+02:00")

    forced = recount(healthy, "--force")

    assert forced["status"] == "done"
    assert forced["business_date"] == DAY_ONE
    assert forced["forced"] is True
    assert published(healthy, "1001") == {"business_date": DAY_ONE, "maximum": 3, "used": 2}
    assert [(r["business_date"], r["forced"]) for r in runs(db_path)] == [
        (DAY_ONE, 0),
        (DAY_ONE, 1),
    ]
    audited = recount_events(db_path)
    assert len(audited) == 2
    assert '"forced":true' in audited[1]["after"].replace(" ", "")
    # A plain run after the forced one is still a no-op for the date.
    assert recount(healthy)["status"] == "skipped"
    assert len(runs(db_path)) == 2


def test_recount_is_operator_only(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(4, "--as", "admin@acme.nl", "recount")
    store.fails(4, "--as", "admin@acme.nl", "recount", "--force", "--json")
    store.fails(4, "recount", env={"INCIDENTCTL_AS": "gina@globex.nl"})
    assert snapshot() == before


# --- the report -------------------------------------------------------------------------------


def test_the_json_document_has_the_contract_keys(healthy: Cli) -> None:
    done = recount(healthy)
    skipped = recount(healthy)
    for document, status in ((done, "done"), (skipped, "skipped")):
        assert set(document) >= REPORT_KEYS
        assert document["status"] == status
        assert document["business_date"] == DAY_ONE
        assert document["organisations"] == 2
        for key in ("over_quota", "lapsed_experts", "without_admin", "nobody_can_submit"):
            assert document[key] == []
        assert document["pending_changes"] == 0


def test_over_quota_is_reported_with_used_and_maximum(
    healthy: Cli, clock: FrozenDateTimeFactory
) -> None:
    healthy.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    healthy.ok("org", "set", "1001", "--quota", "1", "--reason", "the contract was reduced")
    at(clock, f"{DAY_ONE}T12:00+02:00")

    document = recount(healthy)

    assert document["over_quota"] == [{"org": "1001", "used": 3, "maximum": 1}]
    # Never revoked automatically (rule 4): the figures are published as they are.
    assert published(healthy, "1001") == {"business_date": DAY_ONE, "maximum": 1, "used": 3}
    assert healthy.json("quota", "1001")["used"] == 3
    text = healthy.ok("recount", "--force").stdout
    assert "Over quota (1):" in text
    assert "1001: 3 submitters, maximum 1 (over by 2)" in text


def test_a_lapsed_expert_holding_submitter_puts_the_organisation_over_quota(
    healthy: Cli, clock: FrozenDateTimeFactory
) -> None:
    add_expert(healthy, "eva@acme.nl", "2024-05-10")
    healthy.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "eva@acme.nl")
    at(clock, "2024-05-10T04:15+02:00")
    on_last_day = recount(healthy)
    assert on_last_day["over_quota"] == []
    assert on_last_day["lapsed_experts"] == []

    at(clock, "2024-05-11T04:15+02:00")
    lapsed = recount(healthy)

    assert lapsed["over_quota"] == [{"org": "1001", "used": 4, "maximum": 3}]
    (expert,) = lapsed["lapsed_experts"]
    assert {k: expert[k] for k in ("email", "org", "expert_until")} == {
        "email": "eva@acme.nl",
        "org": "1001",
        "expert_until": "2024-05-10",
    }
    assert healthy.json("contacts", "show", "eva@acme.nl")["active"] is True  # nothing revoked


def test_each_lapsed_certification_is_reported_once_in_the_run_after_it_lapsed(
    healthy: Cli, clock: FrozenDateTimeFactory
) -> None:
    add_expert(healthy, "old@acme.nl", "2023-12-31")  # lapsed long before the first run
    add_expert(healthy, "eva@acme.nl", "2024-05-10")
    add_expert(healthy, "fred@acme.nl", "2024-05-12")  # lapses on a night without a run
    add_expert(healthy, "gus@acme.nl", "2030-01-01")  # never lapses here

    def lapsed_on(moment: str) -> tuple[list[str], str | None]:
        at(clock, moment)
        document = recount(healthy)
        assert document["status"] == "done"
        return [e["email"] for e in document["lapsed_experts"]], document["lapsed_since"]

    # The first run ever reports every certification that has lapsed.
    assert lapsed_on("2024-05-05T04:15+02:00") == (["old@acme.nl"], None)
    assert lapsed_on("2024-05-10T04:15+02:00") == ([], "2024-05-05")  # last day: still valid
    assert lapsed_on("2024-05-11T04:15+02:00") == (["eva@acme.nl"], "2024-05-10")
    assert lapsed_on("2024-05-12T04:15+02:00") == ([], "2024-05-11")
    # No run on the 13th and 14th: fred lapsed in between, reported by the next run.
    assert lapsed_on("2024-05-15T04:15+02:00") == (["fred@acme.nl"], "2024-05-12")
    assert lapsed_on("2024-05-16T04:15+02:00") == ([], "2024-05-15")

    healthy.ok("recount", "--force")  # the human report of the 16th: nothing lapsed
    at(clock, "2030-01-02T04:15+01:00")
    text = healthy.ok("recount").stdout
    assert "Experts whose certification lapsed since 2024-05-16 (1):" in text
    assert "gus@acme.nl (1001), until 2030-01-01" in text


def test_organisations_without_an_active_portal_admin(
    healthy: Cli, clock: FrozenDateTimeFactory
) -> None:
    assert recount(healthy)["without_admin"] == []

    healthy.ok("org", "add", "3003", "--name", "Initech", "--employees", "12")
    healthy.ok("contacts", "add", "bob@initech.nl", "--org", "3003", "--name", "Bob")
    healthy.ok("contacts", "set", "gina@globex.nl", "--no-portal-admin")
    healthy.ok("contacts", "add", "ann@acme.nl", "--org", "1001", "--name", "Ann", "--portal-admin")
    healthy.ok("contacts", "set", "admin@acme.nl", "--inactive")
    at(clock, "2024-05-02T04:15+02:00")
    assert recount(healthy)["without_admin"] == ["2002", "3003"]  # Acme still has Ann

    healthy.ok("contacts", "set", "ann@acme.nl", "--inactive")
    document = recount(healthy, "--force")
    assert document["without_admin"] == ["1001", "2002", "3003"]
    text = healthy.ok("recount", "--force").stdout
    assert "Without an active portal admin (3): 1001, 2002, 3003" in text


def test_nobody_can_submit_counts_only_submitter_roles_in_effect(
    store: Cli, clock: FrozenDateTimeFactory
) -> None:
    at(clock, f"{DAY_ONE}T10:00+02:00")
    store.ok("grant", "submitter", "admin@acme.nl")
    store.ok("grant", "manager", "gina@globex.nl")  # manager is not submitter

    at(clock, f"{DAY_ONE}T10:05+02:00")  # the grant is still propagating: it does not count
    document = recount(store)
    assert document["nobody_can_submit"] == ["1001", "2002"]
    assert document["pending_changes"] == 2

    at(clock, f"{DAY_ONE}T10:10+02:00")  # in effect now (log-ins are not considered)
    document = recount(store, "--force")
    assert document["nobody_can_submit"] == ["2002"]
    assert document["pending_changes"] == 0

    store.ok("revoke", "submitter", "admin@acme.nl")
    at(clock, f"{DAY_ONE}T10:15+02:00")  # a revoke still propagating: the role still holds
    document = recount(store, "--force")
    assert document["nobody_can_submit"] == ["2002"]
    assert document["pending_changes"] == 1

    at(clock, f"{DAY_ONE}T10:20+02:00")
    assert recount(store, "--force")["nobody_can_submit"] == ["1001", "2002"]
    assert "Nobody can submit (2): 1001, 2002" in store.ok("recount", "--force").stdout


def test_an_inactive_submitter_does_not_count(healthy: Cli, clock: FrozenDateTimeFactory) -> None:
    healthy.ok("contacts", "set", "gina@globex.nl", "--inactive")  # revokes her roles too
    at(clock, f"{DAY_ONE}T12:00+02:00")
    assert recount(healthy)["nobody_can_submit"] == ["2002"]


def test_role_changes_still_propagating_are_counted(
    healthy: Cli, clock: FrozenDateTimeFactory
) -> None:
    healthy.ok("grant", "submitter", "jan@acme.nl")
    healthy.ok("grant", "manager", "piet@acme.nl")
    healthy.ok("revoke", "submitter", "gina@globex.nl")
    at(clock, f"{DAY_ONE}T11:09+02:00")
    assert recount(healthy)["pending_changes"] == 3
    assert "Role changes still propagating: 3" in healthy.ok("recount", "--force").stdout
    at(clock, f"{DAY_ONE}T11:10+02:00")
    assert recount(healthy, "--force")["pending_changes"] == 0


def test_recount_exits_0_whether_or_not_there_is_something_to_report(healthy: Cli) -> None:
    nothing = healthy.ok("recount")
    assert "Nothing needs attention." in nothing.stdout
    healthy.ok("grant", "submitter", "jan@acme.nl")
    something = healthy.ok("recount", "--force")
    assert "Role changes still propagating: 1" in something.stdout
    assert "Nothing needs attention." not in something.stdout


# --- --quiet ----------------------------------------------------------------------------------


def test_quiet_prints_nothing_when_there_is_nothing_to_report(healthy: Cli, db_path: Path) -> None:
    run = healthy.ok("recount", "--quiet")
    assert (run.stdout, run.stderr) == ("", "")
    assert len(runs(db_path)) == 1  # it did publish
    rerun = healthy.ok("recount", "-q")  # skipped: silent as well
    assert (rerun.stdout, rerun.stderr) == ("", "")
    forced = healthy.ok("recount", "--quiet", "--force")
    assert (forced.stdout, forced.stderr) == ("", "")
    assert len(runs(db_path)) == 2


def test_quiet_is_silent_with_a_pinned_clock_too(store: Cli) -> None:
    """The note about a pinned clock goes to stderr only when there is a report."""
    store.ok("--now", f"{DAY_ONE}T10:00", "grant", "submitter", "admin@acme.nl", "gina@globex.nl")
    run = store.ok("--now", "2024-05-02T04:15", "recount", "--quiet")
    assert (run.stdout, run.stderr) == ("", "")
    assert published(store, "1001", "--now", "2024-05-02T04:15") is not None


def _over_quota(cli: Cli, clock: FrozenDateTimeFactory) -> None:
    cli.ok("grant", "submitter", "jan@acme.nl")
    cli.ok("org", "set", "1001", "--quota", "1", "--reason", "test")
    at(clock, f"{DAY_ONE}T11:30+02:00")  # jan's grant in effect: nothing pending


def _lapsed_expert(cli: Cli, clock: FrozenDateTimeFactory) -> None:
    add_expert(cli, "eva@acme.nl", "2024-04-30")


def _without_admin(cli: Cli, clock: FrozenDateTimeFactory) -> None:
    cli.ok("contacts", "set", "gina@globex.nl", "--no-portal-admin")


def _nobody_can_submit(cli: Cli, clock: FrozenDateTimeFactory) -> None:
    cli.ok("revoke", "submitter", "gina@globex.nl")
    at(clock, f"{DAY_ONE}T11:30+02:00")


def _pending_change(cli: Cli, clock: FrozenDateTimeFactory) -> None:
    cli.ok("grant", "manager", "jan@acme.nl")


@pytest.mark.parametrize(
    ("item", "make"),
    [
        ("over_quota", _over_quota),
        ("lapsed_experts", _lapsed_expert),
        ("without_admin", _without_admin),
        ("nobody_can_submit", _nobody_can_submit),
        ("pending_changes", _pending_change),
    ],
)
def test_quiet_prints_the_report_when_there_is_one_item(
    healthy: Cli, clock: FrozenDateTimeFactory, item: str, make: Any
) -> None:
    make(healthy, clock)

    run = healthy.ok("recount", "--quiet")

    assert HEADINGS[item] in run.stdout
    for other, heading in HEADINGS.items():
        if other != item:
            assert heading not in run.stdout
    document = recount(healthy)  # skipped: the report of the run that published the date
    assert document["status"] == "skipped"
    assert [key for key in HEADINGS if document[key]] == [item]


# --- business dates and daylight saving -------------------------------------------------------


def _every_half_hour(first: str, last: str) -> list[datetime]:
    moment = datetime.fromisoformat(first)
    end = datetime.fromisoformat(last)
    moments = []
    while moment <= end:
        moments.append(moment)
        moment += timedelta(minutes=30)
    return moments


@pytest.mark.parametrize(
    ("day", "first", "last", "hours"),
    [
        # Spring: 00:00 CET is 23:00Z the day before, 23:59 CEST is 21:59Z; 23 hours.
        ("2024-03-31", "2024-03-30T23:00+00:00", "2024-03-31T21:30+00:00", 23),
        # Autumn: 00:00 CEST is 22:00Z the day before, 23:59 CET is 22:59Z; 25 hours, the
        # hour 02:00-03:00 twice.
        ("2024-10-27", "2024-10-26T22:00+00:00", "2024-10-27T22:30+00:00", 25),
    ],
    ids=["spring", "autumn"],
)
def test_a_daylight_saving_day_is_one_business_date_with_one_run(
    store: Cli,
    clock: FrozenDateTimeFactory,
    db_path: Path,
    day: str,
    first: str,
    last: str,
    hours: int,
) -> None:
    moments = _every_half_hour(first, last)
    assert len(moments) == 2 * hours  # every half hour of the local day, nothing more
    statuses = []
    for moment in moments:
        clock.move_to(moment)
        document = recount(store)
        assert document["business_date"] == day, moment
        statuses.append(document["status"])
    assert statuses == ["done"] + ["skipped"] * (len(moments) - 1)

    # The last minute of the day before and the first of the day after have their own run.
    clock.move_to(moments[0] - timedelta(minutes=1))
    before = recount(store)
    clock.move_to(moments[-1] + timedelta(minutes=30))
    after = recount(store)
    assert before["status"] == after["status"] == "done"
    the_day = date.fromisoformat(day)
    assert before["business_date"] == (the_day - timedelta(days=1)).isoformat()
    assert after["business_date"] == (the_day + timedelta(days=1)).isoformat()
    assert [r["business_date"] for r in runs(db_path)] == [
        day,
        before["business_date"],
        after["business_date"],
    ]


def test_spring_forward_runs_before_and_after_the_gap_count_once(store: Cli, db_path: Path) -> None:
    assert recount(store, now="2024-03-30T23:30")["business_date"] == "2024-03-30"
    early = recount(store, now="2024-03-31T00:30")  # CET
    late = recount(store, now="2024-03-31T04:00")  # CEST, after the clocks skipped 02:00-03:00
    assert (early["business_date"], early["status"]) == ("2024-03-31", "done")
    assert (late["business_date"], late["status"]) == ("2024-03-31", "skipped")
    assert recount(store, now="2024-04-01T00:30")["status"] == "done"
    # 02:30 does not exist that night: a pinned time in the gap is refused, nothing run.
    store.fails(2, "--now", "2024-03-31T02:30", "recount")
    assert [r["business_date"] for r in runs(db_path)] == ["2024-03-30", "2024-03-31", "2024-04-01"]


def test_fall_back_runs_in_both_passes_of_the_repeated_hour_count_once(
    store: Cli, db_path: Path
) -> None:
    assert recount(store, now="2024-10-26T23:59")["business_date"] == "2024-10-26"
    first_pass = recount(store, now="2024-10-27T02:30+02:00")  # 00:30Z, CEST
    second_pass = recount(store, now="2024-10-27T02:30+01:00")  # 01:30Z, CET
    assert (first_pass["business_date"], first_pass["status"]) == ("2024-10-27", "done")
    assert (second_pass["business_date"], second_pass["status"]) == ("2024-10-27", "skipped")
    # Without an offset 02:30 is read as the first pass (summer time): the same date again.
    assert recount(store, now="2024-10-27T02:30")["status"] == "skipped"
    assert recount(store, now="2024-10-28T00:00")["status"] == "done"
    assert [r["business_date"] for r in runs(db_path)] == ["2024-10-26", "2024-10-27", "2024-10-28"]


def test_the_business_date_follows_the_timezone_setting(
    store: Cli, clock: FrozenDateTimeFactory, db_path: Path
) -> None:
    at(clock, "2024-06-10T23:30+00:00")  # 01:30 on the 11th in Amsterdam
    assert recount(store)["business_date"] == "2024-06-11"

    store.ok("settings", "set", "timezone", "UTC")
    in_utc = recount(store)  # the same moment is 23:30 on the 10th in UTC: another date

    assert (in_utc["business_date"], in_utc["status"]) == ("2024-06-10", "done")
    at(clock, "2024-06-11T00:30+00:00")  # the 11th in UTC too: already published
    assert (recount(store)["business_date"], recount(store)["status"]) == ("2024-06-11", "skipped")
    assert [r["business_date"] for r in runs(db_path)] == ["2024-06-11", "2024-06-10"]


def test_counts_people_read_have_thousands_separators(cli: Cli, tmp_path: Path) -> None:
    """A report of 1,200 organisations without a portal admin, each over its quota with an
    override of 0 and 1,001 submitters in one of them, as a person (and cron's mail) reads
    it: 1,200, not 1200. ``--json`` keeps plain numbers."""
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "id,name,employees\n" + "".join(f"{n},Org {n},5\n" for n in range(1, 1201)),
        encoding="utf-8",
    )
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "email,org,name\n" + "".join(f"u{n}@big.nl,1,U {n}\n" for n in range(1001)),
        encoding="utf-8",
    )
    holders = tmp_path / "holders.txt"
    holders.write_text("".join(f"u{n}@big.nl\n" for n in range(1001)), encoding="utf-8")
    cli.ok("init")
    cli.ok("org", "import", str(orgs))
    cli.ok("contacts", "import", str(contacts))
    cli.ok("org", "set", "1", "--quota", "2000", "--reason", "room")
    cli.ok("grant", "submitter", "--file", str(holders))
    cli.ok("org", "set", "1", "--quota", "0", "--reason", "shrunk", "--yes")
    report = cli.ok("recount").stdout
    assert "Recount for " in report
    assert "published 1,200 organisations." in report
    assert "  1: 1,001 submitters, maximum 0 (over by 1,001)" in report
    assert "Without an active portal admin (1,200): 1, 10, 100, 1000, " in report
    assert " and 1,180 more" in report
    assert "Nobody can submit (1,200): " in report  # the grants still propagate
    assert "Role changes still propagating: 1,001" in report
    again = cli.ok("recount").stdout
    assert "already published (1,200 organisations)" in again
    assert recount(cli, "--force")["organisations"] == 1200
