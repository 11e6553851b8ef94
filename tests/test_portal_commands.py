"""``pending``, ``login``, ``clock show|set|advance|reset`` and ``readiness`` (docs/concepts.md
and docs/json.md): what each lists, who may run it, and that bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from check_support import iso, utc
from conftest import Cli, Snapshot
from freezegun import freeze_time
from grant_support import operator_name

T = utc(2024, 5, 1, 8, 0)  # 10:00 CEST


def at(minutes: int) -> tuple[str, str]:
    """``--now`` for T + ``minutes``."""
    return ("--now", iso(T + timedelta(minutes=minutes)))


def moment(minutes: int) -> str:
    return iso(T + timedelta(minutes=minutes))


# --- pending ------------------------------------------------------------------------------------

PENDING_KEYS = ["email", "org", "role", "action", "requested_at", "effective_at"]


@pytest.fixture
def changes(store: Cli) -> Cli:
    """Role changes around T, made in this order (the delay setting changes in between)."""
    store.ok(*at(-15), "grant", "manager", "piet@acme.nl")  # in effect at T-5
    store.ok(*at(-6), "grant", "submitter", "piet@acme.nl")  # T+4
    store.ok(*at(-2), "grant", "submitter", "jan@acme.nl")  # T+8
    store.ok(*at(-1), "settings", "set", "propagation_delay", "30m")
    store.ok(*at(-1), "grant", "manager", "jan@acme.nl")  # T+29
    store.ok(*at(-1), "settings", "set", "propagation_delay", "1m")
    store.ok(*at(0), "revoke", "manager", "jan@acme.nl")  # T+1, but not before its grant: T+29
    store.ok(*at(0), "grant", "submitter", "gina@globex.nl")  # T+1
    store.ok(*at(3), "grant", "submitter", "admin@acme.nl")  # made after T: T+4
    return store


def test_pending_lists_changes_not_yet_in_effect_soonest_first(changes: Cli) -> None:
    rows = changes.json(*at(0), "pending")
    assert all(list(row) == PENDING_KEYS for row in rows)
    assert [(r["email"], r["role"], r["action"], r["effective_at"]) for r in rows] == [
        ("gina@globex.nl", "submitter", "grant", moment(1)),
        ("piet@acme.nl", "submitter", "grant", moment(4)),
        ("jan@acme.nl", "submitter", "grant", moment(8)),
        ("jan@acme.nl", "manager", "grant", moment(29)),
        ("jan@acme.nl", "manager", "revoke", moment(29)),
    ]
    assert rows[0] == {
        "email": "gina@globex.nl",
        "org": "2002",
        "role": "submitter",
        "action": "grant",
        "requested_at": moment(0),
        "effective_at": moment(1),
    }


def test_pending_shows_only_changes_made_by_now_and_not_yet_in_effect(changes: Cli) -> None:
    def emails(minutes: int) -> list[str]:
        return [f"{r['email']} {r['role']}" for r in changes.json(*at(minutes), "pending")]

    # Made at -15 and -6, taking effect at -5 and +4; nothing else was made yet.
    assert emails(-6) == ["piet@acme.nl manager", "piet@acme.nl submitter"]
    assert emails(-5) == ["piet@acme.nl submitter"]
    assert "admin@acme.nl submitter" not in emails(0)  # made at +3
    assert emails(3) == [
        "piet@acme.nl submitter",
        "admin@acme.nl submitter",
        "jan@acme.nl submitter",
        "jan@acme.nl manager",
        "jan@acme.nl manager",
    ]
    assert emails(4) == ["jan@acme.nl submitter", "jan@acme.nl manager", "jan@acme.nl manager"]
    assert emails(29) == []
    assert changes.ok(*at(29), "pending", "--json").stdout == "[]\n"


def test_pending_human_output_shows_the_time_left(changes: Cli) -> None:
    run = changes.ok(*at(0), "pending")
    rows = [line.split("\t") for line in run.stdout.splitlines()]
    assert rows[0] == ["E-mail", "Org", "Role", "Action", "Requested", "Takes effect", "Left"]
    gina = next(row for row in rows if row[0] == "gina@globex.nl")
    assert gina[2] == "submitter (Incidentenbeheer)", "both names of the role"
    assert gina[4:] == ["2024-05-01 10:00:00 CEST", "2024-05-01 10:01:00 CEST", "1m"]
    manager = next(row for row in rows if row[2] == "manager (Incidentmanagement)")
    assert manager[-1] == "29m"


def test_pending_org_filter(changes: Cli) -> None:
    assert {r["org"] for r in changes.json(*at(0), "pending", "--org", "1001")} == {"1001"}
    assert [r["email"] for r in changes.json(*at(0), "pending", "--org", "2002")] == [
        "gina@globex.nl"
    ]
    missing = changes(*at(0), "pending", "--org", "9999")
    assert "no organisation '9999'" in missing.failed(3)
    assert missing.stdout == ""


def test_pending_as_a_portal_user_is_limited_to_its_own_organisation(changes: Cli) -> None:
    # Portal users act at the installation's clock: the operator sets it.
    changes.ok("clock", "set", moment(0))
    admin = changes.json("--as", "admin@acme.nl", "pending")
    assert {r["org"] for r in admin} == {"1001"}
    assert len(admin) == 4
    # A portal user who is not a portal admin sees only its own changes.
    own = changes.json("--as", "jan@acme.nl", "pending")
    assert [(r["email"], r["role"], r["action"]) for r in own] == [
        ("jan@acme.nl", "submitter", "grant"),
        ("jan@acme.nl", "manager", "grant"),
        ("jan@acme.nl", "manager", "revoke"),
    ]
    assert [r["email"] for r in changes.json("--as", "gina@globex.nl", "pending")] == [
        "gina@globex.nl"
    ]
    for args in (("pending", "--org", "2002"), ("pending", "--org", "2002", "--json")):
        # Another organisation is answered as an unknown one, before any output: no clock
        # note, no half-written table or JSON.
        run = changes("--as", "jan@acme.nl", *args)
        assert run.failed(3) == "Error: no organisation '2002'"
        assert run.stdout == ""
        unknown = changes("--as", "jan@acme.nl", "pending", "--org", "9999")
        assert unknown.failed(3) == "Error: no organisation '9999'"
        assert run.stderr == unknown.stderr.replace("9999", "2002")


# --- login ---------------------------------------------------------------------------------------


def test_login_records_a_session_and_audits_it(store: Cli) -> None:
    assert store.json(*at(0), "login", "JAN@acme.nl") == {"email": "jan@acme.nl", "at": moment(0)}
    # A portal user logs in at the installation's clock.
    store.ok("clock", "set", moment(1))
    human = store.ok("--as", "jan@acme.nl", "login", "jan@acme.nl")
    assert human.stdout == "jan@acme.nl logged in at 2024-05-01 10:01:00 CEST\n"
    logins = [e for e in store.json("log") if e["action"] == "login"]
    assert [(e["at"], e["actor"], e["org"], e["contact"]) for e in logins] == [
        (moment(0), operator_name(), "1001", "jan@acme.nl"),
        (moment(1), "jan@acme.nl", "1001", "jan@acme.nl"),
    ]


def test_a_portal_user_can_only_log_in_as_itself(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store("--as", "jan@acme.nl", "login", "piet@acme.nl")
    assert run.failed(4) == "Error: jan@acme.nl can only log in as itself, not as piet@acme.nl"
    store.fails(4, "--as", "admin@acme.nl", "login", "jan@acme.nl")
    # A contact of another organisation is, to a portal user, one that does not exist.
    other = store("--as", "jan@acme.nl", "login", "gina@globex.nl")
    assert other.failed(3) == "Error: no contact gina@globex.nl in your organisation"
    unknown = store("--as", "jan@acme.nl", "login", "nobody@globex.nl")
    assert unknown.failed(3) == "Error: no contact nobody@globex.nl in your organisation"
    assert other.stderr == unknown.stderr.replace("nobody@", "gina@")
    assert snapshot() == before


def test_an_inactive_contact_cannot_log_in(store: Cli, snapshot: Snapshot) -> None:
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    before = snapshot()
    run = store(*at(0), "login", "jan@acme.nl")
    assert run.failed(4) == "Error: jan@acme.nl is inactive and cannot log in"
    store.fails(4, "--as", "jan@acme.nl", "login", "jan@acme.nl")
    assert snapshot() == before


def test_login_of_an_unknown_or_malformed_address(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(3, "login", "nobody@acme.nl")
    store.fails(2, "login", "not-an-address")
    store.fails(4, "--as", "nobody@acme.nl", "login", "nobody@acme.nl")
    assert snapshot() == before


# --- clock ---------------------------------------------------------------------------------------

SYSTEM = utc(2024, 5, 1, 8, 0)


def test_clock_show_set_advance_reset(store: Cli) -> None:
    with freeze_time(SYSTEM):
        assert store.json("clock", "show") == {
            "now": iso(SYSTEM),
            "source": "system",
            "simulated": None,
        }
        assert store.ok("clock", "show").stdout == ("2024-05-01 10:00:00 CEST: the system clock\n")

        shown = store.json("clock", "set", "2024-03-31T01:55")
        assert shown == {
            "now": "2024-03-31T00:55:00+00:00",
            "source": "simulated",
            "simulated": "2024-03-31T00:55:00+00:00",
        }
        advanced = store.ok("clock", "advance", "10m")
        assert advanced.stdout == (
            "2024-03-31 03:05:00 CEST: the simulated clock (reset with 'incidentctl clock reset')\n"
        )
        assert store.json("clock", "set", "+1h")["now"] == "2024-03-31T02:05:00+00:00"
        assert store.json("clock", "show")["source"] == "simulated"

        reset = store.json("clock", "reset")
        assert reset == {"now": iso(SYSTEM), "source": "system", "simulated": None}


def test_clock_advance_counts_real_minutes_over_a_daylight_saving_change(store: Cli) -> None:
    store.ok("clock", "set", "2024-10-27T02:55")  # summer time, the first 02:55
    run = store.ok("clock", "advance", "10m")
    assert run.stdout.startswith("2024-10-27 02:05:00 CET: the simulated clock")
    assert store.json("clock", "show")["now"] == "2024-10-27T01:05:00+00:00"


def test_clock_advance_without_a_simulated_clock_starts_from_the_system_clock(store: Cli) -> None:
    with freeze_time(SYSTEM):
        assert store.json("clock", "advance", "1d")["now"] == iso(SYSTEM + timedelta(days=1))


def test_clock_changes_are_audited(store: Cli) -> None:
    with freeze_time(SYSTEM):
        store.ok("clock", "set", "2024-06-01T12:00")
        store.ok("clock", "set", "2024-06-01T12:00")  # no change: no event
        store.ok("clock", "advance", "30m")
        store.ok("clock", "reset")
        store.ok("clock", "reset")  # no change: no event
    events = [e for e in store.json("log") if e["action"] == "clock.set"]
    assert [(e["actor"], e["before"], e["after"]) for e in events] == [
        (operator_name(), {"clock": None}, {"clock": "2024-06-01T10:00:00+00:00"}),
        (
            operator_name(),
            {"clock": "2024-06-01T10:00:00+00:00"},
            {"clock": "2024-06-01T10:30:00+00:00"},
        ),
        (operator_name(), {"clock": "2024-06-01T10:30:00+00:00"}, {"clock": None}),
    ]
    # Each event carries the time of the clock in use when it was changed.
    assert [e["at"] for e in events] == [
        iso(SYSTEM),
        "2024-06-01T10:00:00+00:00",
        "2024-06-01T10:30:00+00:00",
    ]


def test_every_command_uses_the_simulated_clock(store: Cli) -> None:
    store.ok("clock", "set", "2024-05-01T10:00")
    store.ok("grant", "submitter", "jan@acme.nl")
    store.ok("clock", "advance", "15m")
    store.ok("login", "jan@acme.nl")
    store.ok("--as", "jan@acme.nl", "incidents", "submit", "--subject", "printer")
    events = {e["action"]: e["at"] for e in store.json("log")}
    assert events["grant"] == moment(0)
    assert events["login"] == moment(15)
    assert events["incident.submit"] == moment(15)


@pytest.mark.parametrize(
    "command",
    [
        ("clock", "show"),
        ("clock", "set", "2024-05-01T10:00"),
        ("clock", "advance", "10m"),
        ("clock", "reset"),
    ],
)
def test_the_clock_is_for_the_operator_only(
    store: Cli, snapshot: Snapshot, command: tuple[str, ...]
) -> None:
    store.ok("clock", "set", "2024-04-01T10:00")
    before = snapshot()
    run = store("--as", "admin@acme.nl", *command)
    assert "'clock' is for the operator only" in run.failed(4)
    store.fails(4, *command, env={"INCIDENTCTL_AS": "jan@acme.nl"})
    assert snapshot() == before


@pytest.mark.parametrize(
    "command",
    [
        ("clock", "set", ""),
        ("clock", "set", "10"),
        ("clock", "set", "tomorrow"),
        ("clock", "set", "+10"),
        ("clock", "set", "2024-13-01T10:00"),
        ("clock", "set", "2024-03-31T02:30"),  # skipped by daylight saving time
        ("clock", "advance", ""),
        ("clock", "advance", "10"),
        ("clock", "advance", "-5m"),
        ("clock", "advance", "+10m"),
        ("clock", "advance", "1w"),
        ("clock", "advance", "1.5h"),
    ],
)
def test_a_bad_time_or_duration_is_exit_2_and_changes_nothing(
    store: Cli, snapshot: Snapshot, command: tuple[str, ...]
) -> None:
    store.ok("clock", "set", "2024-04-01T10:00")
    before = snapshot()
    store.fails(2, *command)
    assert snapshot() == before
    assert store.json("clock", "show")["simulated"] == "2024-04-01T08:00:00+00:00"


def test_the_clock_belongs_to_one_store(store: Cli, tmp_path: object) -> None:
    from pathlib import Path

    other = str(Path(str(tmp_path)) / "training.db")
    store.ok("--db", other, "init")
    store.ok("--db", other, "clock", "set", "2024-05-01T10:00")
    assert store.json("--db", other, "clock", "show")["source"] == "simulated"
    assert store.json("clock", "show")["source"] == "system"


# --- readiness -----------------------------------------------------------------------------------

OLD_RULE = utc(2023, 11, 20, 9, 0)
BEFORE = ("--now", "2023-12-01T10:00")
AFTER = ("--now", "2024-02-01T10:00")


@pytest.fixture
def submissions(store: Cli) -> Cli:
    """Under the old rule jan, piet, gina and (later inactive) kees submitted incidents;
    then piet became a submitter."""
    store.ok("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "Kees")
    # Portal users submit at the installation's clock, which the operator sets.
    store.ok("clock", "set", iso(OLD_RULE))
    for email in ("jan@acme.nl", "piet@acme.nl", "gina@globex.nl", "kees@acme.nl"):
        store.ok("--as", email, "incidents", "submit", "--subject", "x")
    store.ok("clock", "reset")
    store.ok("contacts", "set", "kees@acme.nl", "--inactive")
    store.ok(*BEFORE, "grant", "submitter", "piet@acme.nl")
    return store


def test_readiness_before_the_enforcement_date(submissions: Cli) -> None:
    report = submissions.json(*BEFORE, "readiness")
    assert report == {
        "enforcement_date": "2023-12-31T23:00:00+00:00",
        "before_enforcement": True,
        "days": 90,
        "organisations_without_submitter": [{"org": "2002", "name": "Globex"}],
        "contacts_without_role": [
            {"email": "jan@acme.nl", "org": "1001", "last_submitted": iso(OLD_RULE)},
            {"email": "gina@globex.nl", "org": "2002", "last_submitted": iso(OLD_RULE)},
        ],
    }
    human = submissions.ok(*BEFORE, "readiness").stdout
    assert human.startswith(
        "From 2024-01-01 00:00:00 CET only contacts with the submitter (Incidentenbeheer) role "
        "may submit incidents."
    )
    assert "Organisations where nobody holds the submitter (Incidentenbeheer) role" in human
    assert "Contacts who submitted in the last 90 days without the role" in human
    assert "2023-11-20 10:00:00 CET" in human
    assert "kees" not in human  # inactive contacts are not counted


def test_readiness_after_the_enforcement_date(submissions: Cli) -> None:
    report = submissions.json(*AFTER, "readiness")
    assert report["before_enforcement"] is False
    assert [c["email"] for c in report["contacts_without_role"]] == [
        "jan@acme.nl",
        "gina@globex.nl",
    ]
    human = submissions.ok(*AFTER, "readiness").stdout
    assert human.startswith(
        "The enforcement date (2024-01-01 00:00:00 CET) has passed: this is who cannot submit now."
    )


def test_readiness_days_counts_back_from_now(submissions: Cli) -> None:
    assert submissions.json(*BEFORE, "readiness", "--days", "11")["contacts_without_role"]
    recent = submissions.json(*BEFORE, "readiness", "--days", "10")
    assert (recent["days"], recent["contacts_without_role"]) == (10, [])
    human = submissions.ok(*BEFORE, "readiness", "--days", "10").stdout
    assert "Nobody without the role submitted in the last 10 days." in human
    submissions.fails(2, *BEFORE, "readiness", "--days", "0")


def test_readiness_follows_grants_and_revokes(submissions: Cli) -> None:
    submissions.ok(*BEFORE, "grant", "submitter", "gina@globex.nl", "jan@acme.nl")
    report = submissions.json(*BEFORE, "readiness")
    assert (report["organisations_without_submitter"], report["contacts_without_role"]) == ([], [])
    human = submissions.ok(*BEFORE, "readiness").stdout
    assert "Every organisation has at least one submitter." in human

    submissions.ok(*BEFORE, "revoke", "submitter", "gina@globex.nl")
    report = submissions.json(*BEFORE, "readiness")
    assert report["organisations_without_submitter"] == [{"org": "2002", "name": "Globex"}]
    assert [c["email"] for c in report["contacts_without_role"]] == ["gina@globex.nl"]


def test_readiness_as_a_portal_user(submissions: Cli) -> None:
    submissions.ok("clock", "set", BEFORE[1])
    own = submissions.json("--as", "gina@globex.nl", "readiness")
    assert own["organisations_without_submitter"] == [{"org": "2002", "name": "Globex"}]
    assert [c["email"] for c in own["contacts_without_role"]] == ["gina@globex.nl"]
    admin = submissions.json("--as", "admin@acme.nl", "readiness")
    assert admin["organisations_without_submitter"] == []
    assert [c["email"] for c in admin["contacts_without_role"]] == ["jan@acme.nl"]
    run = submissions("--as", "jan@acme.nl", "readiness")
    assert "is not a portal admin" in run.failed(4)
    # The refusal names whom to ask.
    assert run.stderr.splitlines()[1] == "Hint: ask a portal admin: Ada Admin <admin@acme.nl>"
    assert run.stdout == ""


def test_readiness_with_a_clock_in_the_past_ignores_what_came_later(submissions: Cli) -> None:
    submissions.ok("--now", "2023-12-10T10:00", "grant", "submitter", "jan@acme.nl")
    submissions.ok("clock", "set", "2023-12-15T10:00")
    submissions.ok("--as", "admin@acme.nl", "incidents", "submit", "--subject", "later")
    submissions.ok("clock", "reset")

    def without_role(now: str) -> list[str]:
        report = submissions.json("--now", now, "readiness")
        return [c["email"] for c in report["contacts_without_role"]]

    # On 1 December jan has no role yet and admin has not submitted yet.
    assert without_role("2023-12-01T10:00") == ["jan@acme.nl", "gina@globex.nl"]
    assert without_role("2023-12-20T10:00") == ["admin@acme.nl", "gina@globex.nl"]
