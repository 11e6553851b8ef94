"""The timeline of a role change, end to end through the CLI (docs/concepts.md, rules 1 and 6).

freezegun moves the system clock (the CLI reads it through ``incidentctl.timeutil.system_now``)
minute by minute around the 10-minute propagation delay: a grant is ``pending`` until exactly
+10 minutes, then ``relogin`` until a log-in after that moment, then ``allowed``; a revoke
keeps the right until it takes effect and ends it for every session. The same walks are done
on both daylight-saving days of Europe/Amsterdam and across the enforcement date, and again
with ``--now``, ``INCIDENTCTL_NOW`` and the simulated clock to show their precedence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from check_support import check, iso, submit_status, utc
from conftest import Cli, Snapshot
from freezegun import freeze_time
from freezegun.api import FrozenDateTimeFactory

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
GRANT_AT = utc(2024, 5, 1, 8, 0)  # 10:00 CEST
EXPECTED_AFTER_GRANT = ["pending"] * 10 + ["relogin"] * 3  # minutes +0 … +12, no log-in


def walk(cli: Cli, frozen: FrozenDateTimeFactory, start: datetime, email: str) -> list[str]:
    """``check EMAIL`` at start +0 … +12 minutes: the submit status at each minute."""
    seen = []
    for minute in range(13):
        frozen.move_to(start + minute * MINUTE)
        document = check(cli, email)
        assert document["at"] == iso(start + minute * MINUTE)
        seen.append(document["submit"]["status"])
    return seen


def granted_at(cli: Cli, role: str, email: str, *global_args: str) -> str:
    """Grant through the CLI; the effective_at of the one row."""
    document = cli.json(*global_args, "grant", role, email)
    (row,) = document["results"]
    assert row["status"] == "granted"
    return str(row["effective_at"])


# --- a grant, minute by minute -----------------------------------------------------------------


def test_a_grant_is_pending_until_exactly_ten_minutes_then_needs_a_log_in(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        assert granted_at(store, "submitter", "jan@acme.nl") == iso(GRANT_AT + 10 * MINUTE)

        assert walk(store, frozen, GRANT_AT, "jan@acme.nl") == EXPECTED_AFTER_GRANT

        # The boundary to the second: pending one second before, in effect at it.
        frozen.move_to(GRANT_AT + 10 * MINUTE - SECOND)
        before = check(store, "jan@acme.nl")["submit"]
        assert before == {
            "status": "pending",
            "allowed": False,
            "effective_at": iso(GRANT_AT + 10 * MINUTE),
            "reason": "the submitter (Incidentenbeheer) role was granted at 2024-05-01 "
            "10:00:00 CEST and takes effect at 2024-05-01 10:10:00 CEST, in 1 minute; "
            "then log in again",
        }
        frozen.move_to(GRANT_AT + 10 * MINUTE)
        at = check(store, "jan@acme.nl")["submit"]
        assert (at["status"], at["effective_at"]) == ("relogin", iso(GRANT_AT + 10 * MINUTE))
        assert "no log-in yet" in at["reason"]
        assert "log in to the portal again and clear cookies" in at["reason"]

        frozen.move_to(GRANT_AT + 12 * MINUTE)
        store.ok("login", "jan@acme.nl")
        allowed = check(store, "jan@acme.nl")["submit"]
        assert allowed["status"] == "allowed"
        assert allowed["reason"] == (
            "the submitter (Incidentenbeheer) role is in effect since 2024-05-01 10:10:00 CEST"
        )


def test_pending_counts_down_the_minutes_left(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("grant", "submitter", "jan@acme.nl")
        left = []
        for minute in range(10):
            frozen.move_to(GRANT_AT + minute * MINUTE)
            reason = check(store, "jan@acme.nl")["submit"]["reason"]
            left.append(reason.split(", in ")[1].split(";")[0])
    assert left == [f"{n} minutes" for n in range(10, 1, -1)] + ["1 minute"]


def test_a_log_in_one_minute_before_the_grant_takes_effect_still_needs_another(
    store: Cli,
) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("grant", "submitter", "jan@acme.nl")
        frozen.move_to(GRANT_AT + 9 * MINUTE)
        store.ok("login", "jan@acme.nl")

        assert walk(store, frozen, GRANT_AT, "jan@acme.nl") == EXPECTED_AFTER_GRANT
        # The log-in is known, but it is from before the role took effect.
        assert "no log-in since then" in check(store, "jan@acme.nl")["submit"]["reason"]
        refused = store.fails(4, "--as", "jan@acme.nl", "incidents", "submit", "--subject", "x")
        assert "(relogin)" in refused.error_lines[0]
        assert "Hint: the portal picks up a role change only in a new session" in refused.stderr

        store.ok("login", "jan@acme.nl")  # at +12
        assert submit_status(store, "jan@acme.nl") == "allowed"
        store.ok("--as", "jan@acme.nl", "incidents", "submit", "--subject", "printer")


def test_a_log_in_one_minute_after_the_grant_takes_effect_is_enough(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("grant", "submitter", "jan@acme.nl")
        statuses = []
        for minute in range(13):
            frozen.move_to(GRANT_AT + minute * MINUTE)
            if minute == 11:
                store.ok("login", "jan@acme.nl")
            statuses.append(submit_status(store, "jan@acme.nl"))
        assert statuses == ["pending"] * 10 + ["relogin", "allowed", "allowed"]
        store.ok("--as", "jan@acme.nl", "incidents", "submit", "--subject", "printer")


def test_a_log_in_exactly_when_the_grant_takes_effect_counts(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("grant", "submitter", "jan@acme.nl")
        frozen.move_to(GRANT_AT + 10 * MINUTE)
        store.ok("login", "jan@acme.nl")
        assert submit_status(store, "jan@acme.nl") == "allowed"


def test_a_session_from_before_the_grant_needs_a_new_log_in(store: Cli) -> None:
    with freeze_time(GRANT_AT - 30 * MINUTE) as frozen:
        store.ok("login", "jan@acme.nl")
        frozen.move_to(GRANT_AT)
        store.ok("grant", "submitter", "jan@acme.nl")
        assert walk(store, frozen, GRANT_AT, "jan@acme.nl") == EXPECTED_AFTER_GRANT


def test_the_manager_role_follows_the_same_timeline_for_viewing_all(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("grant", "manager", "piet@acme.nl")
        seen = []
        for minute in (0, 9, 10, 11):
            frozen.move_to(GRANT_AT + minute * MINUTE)
            if minute == 11:
                store.ok("login", "piet@acme.nl")
            document = check(store, "piet@acme.nl")
            seen.append((document["view_all"]["status"], document["submit"]["status"]))
    assert seen == [
        ("pending", "denied"),
        ("pending", "denied"),
        ("relogin", "denied"),
        ("allowed", "denied"),
    ]


# --- a revoke, minute by minute ------------------------------------------------------------------

REVOKE_AT = GRANT_AT + timedelta(hours=1)


def submitter_in_effect(cli: Cli, frozen: FrozenDateTimeFactory) -> None:
    """jan holds submitter in effect and logged in after that; the clock is at REVOKE_AT."""
    frozen.move_to(GRANT_AT)
    cli.ok("grant", "submitter", "jan@acme.nl")
    frozen.move_to(GRANT_AT + 15 * MINUTE)
    cli.ok("login", "jan@acme.nl")
    frozen.move_to(REVOKE_AT)
    assert submit_status(cli, "jan@acme.nl") == "allowed"


def test_a_revoke_keeps_the_right_until_it_takes_effect_then_denies(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        submitter_in_effect(store, frozen)
        document = store.json("revoke", "submitter", "jan@acme.nl")
        assert document["results"][0]["effective_at"] == iso(REVOKE_AT + 10 * MINUTE)

        assert walk(store, frozen, REVOKE_AT, "jan@acme.nl") == ["allowed"] * 10 + ["denied"] * 3

        frozen.move_to(REVOKE_AT + 9 * MINUTE)
        pending_revoke = check(store, "jan@acme.nl")["submit"]
        assert pending_revoke["reason"].endswith("it is revoked from 2024-05-01 11:10:00 CEST")
        frozen.move_to(REVOKE_AT + 10 * MINUTE)
        revoked = check(store, "jan@acme.nl")["submit"]
        assert revoked == {
            "status": "denied",
            "allowed": False,
            "effective_at": iso(REVOKE_AT + 10 * MINUTE),
            "reason": "the submitter (Incidentenbeheer) role was revoked, from "
            "2024-05-01 11:10:00 CEST",
        }


def test_a_revoke_ends_the_right_for_every_session(store: Cli) -> None:
    submit = ("--as", "jan@acme.nl", "incidents", "submit", "--subject")
    with freeze_time(GRANT_AT) as frozen:
        submitter_in_effect(store, frozen)
        store.ok("revoke", "submitter", "jan@acme.nl")

        # A new session while the revoke is still propagating still has the role …
        frozen.move_to(REVOKE_AT + 5 * MINUTE)
        store.ok("login", "jan@acme.nl")
        frozen.move_to(REVOKE_AT + 9 * MINUTE)
        assert submit_status(store, "jan@acme.nl") == "allowed"
        store.ok(*submit, "last one")

        # … and loses it with every other session when the revoke takes effect.
        frozen.move_to(REVOKE_AT + 10 * MINUTE)
        assert submit_status(store, "jan@acme.nl") == "denied"
        refused = store.fails(4, *submit, "too late")
        assert "(denied)" in refused.error_lines[0]
        assert "was revoked" in refused.error_lines[0]

        # Logging in again does not bring it back.
        frozen.move_to(REVOKE_AT + 11 * MINUTE)
        store.ok("login", "jan@acme.nl")
        assert submit_status(store, "jan@acme.nl") == "denied"
        store.fails(4, *submit, "still too late")

    subjects = [row["subject"] for row in store.json("incidents", "list")]
    assert subjects == ["last one"]


def test_a_grant_revoked_while_pending_never_takes_effect(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("grant", "submitter", "jan@acme.nl")
        frozen.move_to(GRANT_AT + 3 * MINUTE)
        store.ok("revoke", "submitter", "jan@acme.nl")
        frozen.move_to(GRANT_AT + 9 * MINUTE)
        store.ok("login", "jan@acme.nl")
        seen = []
        for minute in (9, 10, 11, 12, 13, 14):
            frozen.move_to(GRANT_AT + minute * MINUTE)
            if minute == 11:
                store.ok("login", "jan@acme.nl")
            seen.append(submit_status(store, "jan@acme.nl"))
    # The grant is in effect from +10 until the revoke (made at +3) takes effect at +13.
    assert seen == ["pending", "relogin", "allowed", "allowed", "denied", "denied"]


def test_changes_keep_their_order_when_the_delay_setting_changes_between_them(
    store: Cli,
) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("settings", "set", "propagation_delay", "30m")
        assert granted_at(store, "submitter", "jan@acme.nl") == iso(GRANT_AT + 30 * MINUTE)
        store.ok("settings", "set", "propagation_delay", "1m")
        frozen.move_to(GRANT_AT + 5 * MINUTE)
        revoked = store.json("revoke", "submitter", "jan@acme.nl")
        # Not GRANT_AT + 6 minutes: a revoke never overtakes the grant before it.
        assert revoked["results"][0]["effective_at"] == iso(GRANT_AT + 30 * MINUTE)
        store.ok("login", "jan@acme.nl")
        seen = []
        for minute in (6, 29, 30, 31):
            frozen.move_to(GRANT_AT + minute * MINUTE)
            seen.append(submit_status(store, "jan@acme.nl"))
    assert seen == ["pending", "pending", "denied", "denied"]


# --- daylight-saving days in Europe/Amsterdam -------------------------------------------------


def test_spring_forward_a_grant_at_0155_takes_effect_at_0305_ten_real_minutes_later(
    store: Cli,
) -> None:
    start = utc(2024, 3, 31, 0, 55)  # 01:55 CET; at 02:00 CET the clocks jump to 03:00 CEST
    with freeze_time(start) as frozen:
        run = store.ok("grant", "submitter", "jan@acme.nl")
        assert "takes effect 2024-03-31 03:05:00 CEST" in run.stdout
        assert granted_at(store, "submitter", "piet@acme.nl") == "2024-03-31T01:05:00+00:00"
        (row,) = [r for r in store.json("pending") if r["email"] == "jan@acme.nl"]
        assert (row["requested_at"], row["effective_at"]) == (
            "2024-03-31T00:55:00+00:00",
            "2024-03-31T01:05:00+00:00",
        )

        reason = check(store, "jan@acme.nl")["submit"]["reason"]
        assert "granted at 2024-03-31 01:55:00 CET" in reason
        assert "takes effect at 2024-03-31 03:05:00 CEST, in 10 minutes" in reason
        assert walk(store, frozen, start, "jan@acme.nl") == EXPECTED_AFTER_GRANT
        frozen.move_to(start + 5 * MINUTE)  # 03:00 CEST, just after the jump
        assert "in 5 minutes" in check(store, "jan@acme.nl")["submit"]["reason"]

        frozen.move_to(start + 10 * MINUTE)
        store.ok("login", "jan@acme.nl")
        assert submit_status(store, "jan@acme.nl") == "allowed"
        # Wall-clock times for --at, read in Amsterdam time.
        assert check(store, "jan@acme.nl", at="2024-03-31T03:04")["submit"]["status"] == "pending"
        assert check(store, "jan@acme.nl", at="2024-03-31T03:05")["submit"]["status"] == "allowed"
        # 02:30 does not exist that night.
        gap = store.fails(2, "check", "jan@acme.nl", "--at", "2024-03-31T02:30")
        assert "does not exist in Europe/Amsterdam" in gap.error_lines[0]


def test_fall_back_a_grant_at_0255_summer_time_takes_effect_at_0205_winter_time(
    store: Cli,
) -> None:
    start = utc(2024, 10, 27, 0, 55)  # 02:55 CEST, the first pass; at 03:00 back to 02:00 CET
    with freeze_time(start) as frozen:
        assert granted_at(store, "submitter", "jan@acme.nl") == "2024-10-27T01:05:00+00:00"
        reason = check(store, "jan@acme.nl")["submit"]["reason"]
        assert "granted at 2024-10-27 02:55:00 CEST" in reason
        assert reason.endswith(", in 10 minutes; then log in again")
        assert walk(store, frozen, start, "jan@acme.nl") == EXPECTED_AFTER_GRANT
        frozen.move_to(start + 5 * MINUTE)  # 02:00 CET, just after the clocks went back
        assert "in 5 minutes" in check(store, "jan@acme.nl")["submit"]["reason"]

        frozen.move_to(start + 11 * MINUTE)
        store.ok("login", "jan@acme.nl")
        assert submit_status(store, "jan@acme.nl") == "allowed"
        # A wall-clock time in the repeated hour means the first pass (summer time): 02:05
        # CEST is before the grant was made. The second pass needs its offset.
        early = check(store, "jan@acme.nl", at="2024-10-27T02:05")
        assert (early["at"], early["submit"]["status"]) == ("2024-10-27T00:05:00+00:00", "denied")
        late = check(store, "jan@acme.nl", at="2024-10-27T02:05+01:00")
        assert (late["at"], late["submit"]["status"]) == ("2024-10-27T01:05:00+00:00", "relogin")

    # How people see it, checked without freezegun: its FakeDatetime.astimezone drops the
    # ``fold`` of the repeated hour, so under freeze_time 02:05 CET would print as 02:05 CEST
    # (spulec/freezegun#422, #596). The UTC values above do not depend on it.
    run = store.ok("--now", "2024-10-27T02:55", "grant", "submitter", "piet@acme.nl")
    assert "takes effect 2024-10-27 02:05:00 CET\n" in run.stdout
    human = store("--now", "2024-10-27T02:55", "check", "piet@acme.nl")
    assert human.exit_code == 4
    assert (
        "granted at 2024-10-27 02:55:00 CEST and takes effect at 2024-10-27 02:05:00 CET, "
        "in 10 minutes" in human.stdout
    )


@pytest.mark.parametrize(
    ("local", "effective_at"),
    [
        ("2024-03-31T01:55", "2024-03-31T01:05:00+00:00"),
        ("2024-10-27T02:55", "2024-10-27T01:05:00+00:00"),
        ("2024-10-27T02:55+01:00", "2024-10-27T02:05:00+00:00"),  # the second 02:55
    ],
)
def test_daylight_saving_days_with_now_pinned(store: Cli, local: str, effective_at: str) -> None:
    assert granted_at(store, "submitter", "jan@acme.nl", "--now", local) == effective_at
    effect = datetime.fromisoformat(effective_at)
    document = check(store, "jan@acme.nl", "--now", local)
    assert (document["submit"]["status"], document["submit"]["effective_at"]) == (
        "pending",
        effective_at,
    )
    assert datetime.fromisoformat(document["at"]) == effect - 10 * MINUTE
    assert submit_status(store, "jan@acme.nl", "--now", iso(effect - SECOND)) == "pending"
    assert submit_status(store, "jan@acme.nl", "--now", effective_at) == "relogin"


# --- the enforcement date ---------------------------------------------------------------------

ENFORCEMENT = utc(2023, 12, 31, 23, 0)  # 2024-01-01 00:00 Europe/Amsterdam


def test_one_second_before_the_enforcement_date_everyone_active_may_submit(store: Cli) -> None:
    with freeze_time(ENFORCEMENT - timedelta(hours=1)) as frozen:
        store.ok("grant", "submitter", "piet@acme.nl")  # in effect, never logged in since
        frozen.move_to(ENFORCEMENT - SECOND)
        for email in ("jan@acme.nl", "admin@acme.nl", "piet@acme.nl", "gina@globex.nl"):
            document = check(store, email)
            assert document["submit"]["status"] == "allowed", email
            assert document["submit"]["reason"] == (
                "before the enforcement date (2024-01-01 00:00:00 CET) every active contact "
                "may submit incidents"
            )
        store.ok("--as", "jan@acme.nl", "incidents", "submit", "--subject", "old rule")

        frozen.move_to(ENFORCEMENT)
        assert submit_status(store, "jan@acme.nl") == "denied"
        assert submit_status(store, "admin@acme.nl") == "denied"
        assert submit_status(store, "piet@acme.nl") == "relogin"
        refused = store.fails(4, "--as", "jan@acme.nl", "incidents", "submit", "--subject", "new")
        assert "no submitter (Incidentenbeheer) role" in refused.error_lines[0]


def test_an_inactive_contact_may_not_submit_even_before_the_enforcement_date(store: Cli) -> None:
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    with freeze_time(ENFORCEMENT - SECOND):
        document = check(store, "jan@acme.nl")
        assert document["submit"]["reason"] == "the contact is inactive"


@pytest.mark.parametrize(
    ("pin", "expected"),
    [
        ("2023-12-31T23:59:59", "allowed"),
        ("2024-01-01T00:00", "denied"),
        ("2023-12-31T22:59:59Z", "allowed"),
        ("2023-12-31T23:00:00+00:00", "denied"),
    ],
)
def test_the_enforcement_boundary_with_now_pinned(
    store: Cli, snapshot: Snapshot, pin: str, expected: str
) -> None:
    assert submit_status(store, "jan@acme.nl", "--now", pin) == expected
    # A portal user cannot pin the clock (it could submit before the enforcement date):
    # refused whatever the time, and nothing is written.
    before = snapshot()
    submit = ("--as", "jan@acme.nl", "incidents", "submit", "--subject", "x")
    run = store("--now", pin, *submit)
    assert run.failed(4) == (
        "Error: --now (or INCIDENTCTL_NOW) cannot be used with --as: portal users act at the "
        "installation's clock"
    )
    assert run.stderr.splitlines()[1] == (
        "Hint: the operator sets the simulated clock for everyone: incidentctl clock set TIME"
    )
    store.fails(4, *submit, env={"INCIDENTCTL_NOW": pin})
    assert snapshot() == before
    # At the installation's clock, set to that moment, submit agrees with check.
    store.ok("clock", "set", pin)
    run = store(*submit)
    assert run.exit_code == (0 if expected == "allowed" else 4), run.stderr
    assert len(store.json("incidents", "list")) == (1 if expected == "allowed" else 0)


def test_the_enforcement_boundary_with_the_simulated_clock(store: Cli) -> None:
    store.ok("clock", "set", "2023-12-31T23:59:59")
    assert submit_status(store, "jan@acme.nl") == "allowed"
    store.ok("clock", "advance", "1s")
    assert submit_status(store, "jan@acme.nl") == "denied"


def test_the_enforcement_date_is_a_setting(store: Cli) -> None:
    store.ok("settings", "set", "enforcement_date", "2024-06-01T00:00")
    with freeze_time(utc(2024, 5, 31, 21, 59, 59)) as frozen:  # 23:59:59 CEST
        assert submit_status(store, "jan@acme.nl") == "allowed"
        frozen.tick(SECOND)
        assert submit_status(store, "jan@acme.nl") == "denied"


# --- the same timeline with --now and with the simulated clock ---------------------------------


def test_the_grant_timeline_with_now_pinned(store: Cli) -> None:
    def at(minute: int) -> tuple[str, str]:
        return ("--now", iso(GRANT_AT + minute * MINUTE))

    store.ok(*at(0), "grant", "submitter", "jan@acme.nl")
    seen = [submit_status(store, "jan@acme.nl", *at(m)) for m in range(13)]
    assert seen == EXPECTED_AFTER_GRANT
    store.ok(*at(9), "login", "jan@acme.nl")
    assert submit_status(store, "jan@acme.nl", *at(10)) == "relogin"
    store.ok(*at(11), "login", "jan@acme.nl")
    assert submit_status(store, "jan@acme.nl", *at(11)) == "allowed"
    # What happened is kept: asking about an earlier moment gives the answer of then.
    assert submit_status(store, "jan@acme.nl", *at(10)) == "relogin"
    assert check(store, "jan@acme.nl", *at(12), at=iso(GRANT_AT))["submit"]["status"] == "pending"


def test_the_grant_timeline_with_the_simulated_clock(store: Cli) -> None:
    store.ok("clock", "set", "2024-05-01T10:00")
    store.ok("grant", "submitter", "jan@acme.nl")
    seen = []
    for _ in range(13):
        seen.append(submit_status(store, "jan@acme.nl"))
        store.ok("clock", "advance", "1m")
    assert seen == EXPECTED_AFTER_GRANT
    store.ok("login", "jan@acme.nl")  # at +13 minutes
    assert submit_status(store, "jan@acme.nl") == "allowed"
    store.ok("--as", "jan@acme.nl", "incidents", "submit", "--subject", "printer")
    (incident,) = store.json("incidents", "list")
    assert incident["submitted_at"] == iso(GRANT_AT + 13 * MINUTE)


def test_the_simulated_clock_stands_still_while_the_system_clock_moves(store: Cli) -> None:
    with freeze_time(GRANT_AT) as frozen:
        store.ok("clock", "set", "+1h")
        frozen.tick(timedelta(hours=5))
        assert check(store, "jan@acme.nl")["at"] == iso(GRANT_AT + timedelta(hours=1))
        store.ok("clock", "reset")
        assert check(store, "jan@acme.nl")["at"] == iso(GRANT_AT + timedelta(hours=5))


# --- precedence: --now > INCIDENTCTL_NOW > simulated clock > system clock -----------------------

SYSTEM = utc(2024, 5, 1, 8, 0)
SIMULATED = "2024-06-01T12:00"  # 10:00 UTC
ENVIRONMENT = "2024-07-01T12:00"  # 10:00 UTC
OPTION = "2024-08-01T12:00"  # 10:00 UTC


def clock_at(cli: Cli, *args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """(the time ``check`` ran at, the source ``clock show`` names) for these options."""
    run = cli(*args, "check", "admin@acme.nl", "--json", env=env)
    document = run.json()
    assert isinstance(document, dict)
    shown = cli.json(*args, "clock", "show", env=env)
    assert shown["now"] == document["at"]
    return str(document["at"]), str(shown["source"])


def test_clock_precedence(store: Cli) -> None:
    env = {"INCIDENTCTL_NOW": ENVIRONMENT}
    with freeze_time(SYSTEM):
        assert clock_at(store) == (iso(SYSTEM), "system")
        store.ok("clock", "set", SIMULATED)
        assert clock_at(store) == ("2024-06-01T10:00:00+00:00", "simulated")
        assert clock_at(store, env=env) == ("2024-07-01T10:00:00+00:00", "pinned")
        assert clock_at(store, "--now", OPTION, env=env) == ("2024-08-01T10:00:00+00:00", "pinned")
        assert clock_at(store, "--now", OPTION) == ("2024-08-01T10:00:00+00:00", "pinned")
        store.ok("clock", "reset")
        assert clock_at(store, env=env) == ("2024-07-01T10:00:00+00:00", "pinned")
        assert clock_at(store) == (iso(SYSTEM), "system")


def test_a_relative_now_counts_from_the_simulated_clock(store: Cli) -> None:
    with freeze_time(SYSTEM):
        assert clock_at(store, "--now", "+10m") == (iso(SYSTEM + 10 * MINUTE), "pinned")
        store.ok("clock", "set", SIMULATED)
        assert clock_at(store, "--now", "+10m") == ("2024-06-01T10:10:00+00:00", "pinned")
        assert clock_at(store, "--now", "-1d") == ("2024-05-31T10:00:00+00:00", "pinned")


def test_clock_show_names_the_simulated_clock_behind_a_pinned_one(store: Cli) -> None:
    store.ok("clock", "set", SIMULATED)
    shown = store.json("--now", OPTION, "clock", "show")
    assert shown == {
        "now": "2024-08-01T10:00:00+00:00",
        "source": "pinned",
        "simulated": "2024-06-01T10:00:00+00:00",
    }
    human = store.ok("--now", OPTION, "clock", "show").stdout
    assert "2024-08-01 12:00:00 CEST: pinned by --now or INCIDENTCTL_NOW" in human
    assert "The simulated clock stands at 2024-06-01 12:00:00 CEST" in human


@pytest.mark.parametrize(
    "command",
    [
        ("check", "jan@acme.nl"),
        ("pending",),
        ("login", "jan@acme.nl"),
        ("grant", "submitter", "piet@acme.nl"),
        ("readiness",),
        ("incidents", "list"),
    ],
)
def test_human_output_says_when_the_clock_is_simulated_or_pinned(
    store: Cli, command: tuple[str, ...]
) -> None:
    with freeze_time(SYSTEM):
        system = store(*command)
        assert "Note:" not in system.stdout + system.stderr

        pinned = store("--now", OPTION, *command)
        assert (
            "Note: clock pinned by --now or INCIDENTCTL_NOW: 2024-08-01 12:00:00 CEST"
            in pinned.stderr.splitlines()
        )
        from_environment = store(*command, env={"INCIDENTCTL_NOW": ENVIRONMENT})
        assert "Note: clock pinned by --now or INCIDENTCTL_NOW: 2024-07-01 12:00:00 CEST" in (
            from_environment.stderr.splitlines()
        )

        store.ok("clock", "set", SIMULATED)
        simulated = store(*command)
        assert "Note: simulated clock: 2024-06-01 12:00:00 CEST" in simulated.stderr.splitlines()
        for run in (pinned, from_environment, simulated):
            assert "Note:" not in run.stdout


def test_json_output_has_no_note_but_the_time_used(store: Cli) -> None:
    store.ok("clock", "set", SIMULATED)
    run = store("check", "jan@acme.nl", "--json")
    assert run.exit_code == 4
    assert run.stderr == ""
    assert run.json()["at"] == "2024-06-01T10:00:00+00:00"  # type: ignore[index]
