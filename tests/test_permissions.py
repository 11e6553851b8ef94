"""The rules of incidentctl.permissions (docs/concepts.md, rules 1 and 6), as pure functions.

Every moment (``at``, the time a change was made, the log-in) is a parameter, so these tests
build Contact and RoleChange values directly and need no time mocking and no store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentctl import domain
from incidentctl.domain import Action, Contact, RoleChange
from incidentctl.permissions import (
    RELOGIN_ADVICE,
    RoleState,
    role_state,
    submit_permission,
    view_all_permission,
)
from incidentctl.roles import MANAGER, SUBMITTER, Role

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ENFORCEMENT = datetime(2023, 12, 31, 23, 0, tzinfo=UTC)  # 2024-01-01 00:00 Amsterdam
T = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)  # 10:00 CEST
MINUTE = timedelta(minutes=1)
DELAY = timedelta(minutes=10)


def contact(*, active: bool = True, portal_admin: bool = False, expert: bool = False) -> Contact:
    return Contact(
        id=1,
        email="jan@acme.nl",
        org_id="1001",
        name="Jan Jansen",
        active=active,
        portal_admin=portal_admin,
        expert_until=date(2030, 1, 1) if expert else None,
    )


def made(
    action: Action,
    at: datetime,
    *,
    delay: timedelta = DELAY,
    after: RoleChange | None = None,
    role: Role = SUBMITTER,
) -> RoleChange:
    """A change made at ``at`` with ``delay``, ordered after ``after`` like the store does."""
    return RoleChange(
        id=None,
        contact_id=1,
        role=role,
        action=action,
        requested_at=at,
        effective_at=domain.effective_at(at, delay, after),
        actor="operator:test",
        reason=None,
    )


def history(*steps: tuple[Action, datetime, timedelta]) -> list[RoleChange]:
    """Changes made one after the other, each with its own delay setting."""
    changes: list[RoleChange] = []
    for action, at, delay in steps:
        changes.append(made(action, at, delay=delay, after=changes[-1] if changes else None))
    return changes


def submit(
    changes: Sequence[RoleChange],
    at: datetime,
    login: datetime | None = None,
    who: Contact | None = None,
    enforcement: datetime = ENFORCEMENT,
) -> tuple[str, datetime | None, str]:
    permission = submit_permission(
        who or contact(), {SUBMITTER: role_state(changes, at)}, login, at, enforcement, AMSTERDAM
    )
    assert permission.allowed == (permission.status == "allowed")
    return permission.status, permission.effective_at, permission.reason


# --- role_state -------------------------------------------------------------------------------


def test_no_changes_means_no_role() -> None:
    assert role_state([], T) == RoleState(holds=False, since=None, pending=None)


def test_a_grant_is_pending_until_exactly_its_effective_time() -> None:
    grant = made("grant", T)
    assert grant.effective_at == T + DELAY

    assert role_state([grant], T) == RoleState(False, None, grant)
    assert role_state([grant], T + DELAY - timedelta(seconds=1)) == RoleState(False, None, grant)
    assert role_state([grant], T + DELAY) == RoleState(True, T + DELAY, None)
    assert role_state([grant], T + 3 * DELAY) == RoleState(True, T + DELAY, None)


def test_a_change_requested_after_at_is_ignored() -> None:
    grant = made("grant", T)
    # Asking about a moment before the change was made: as if it did not exist yet.
    assert role_state([grant], T - MINUTE) == RoleState(False, None, None)
    revoke = made("revoke", T + 30 * MINUTE, after=grant)
    assert role_state([grant, revoke], T + 20 * MINUTE) == RoleState(True, T + DELAY, None)


def test_a_pending_revoke_keeps_the_role_until_it_takes_effect() -> None:
    grant = made("grant", T)
    revoke = made("revoke", T + 60 * MINUTE, after=grant)
    state = role_state([grant, revoke], T + 65 * MINUTE)
    assert state == RoleState(True, T + DELAY, revoke)
    assert role_state([grant, revoke], T + 70 * MINUTE) == RoleState(False, T + 70 * MINUTE, None)


def test_a_grant_revoked_before_it_took_effect_never_holds() -> None:
    grant = made("grant", T)
    revoke = made("revoke", T + 2 * MINUTE, after=grant)
    changes = [grant, revoke]
    assert role_state(changes, T + MINUTE) == RoleState(False, None, grant)
    # Both made; the first not yet in effect: it is the next thing that will happen.
    assert role_state(changes, T + 5 * MINUTE) == RoleState(False, None, grant)
    assert role_state(changes, T + 10 * MINUTE) == RoleState(True, T + 10 * MINUTE, revoke)
    assert role_state(changes, T + 12 * MINUTE).holds is False


def test_order_is_kept_when_the_delay_was_shortened_between_two_changes() -> None:
    # Granted with a 60-minute delay; the delay is then set to 10 minutes and the grant is
    # revoked 5 minutes later. The revoke may not overtake the grant: both take effect at
    # 11:00 UTC and the revoke, made last, decides.
    grant, revoke = history(("grant", T, 60 * MINUTE), ("revoke", T + 5 * MINUTE, DELAY))
    assert grant.effective_at == T + 60 * MINUTE
    assert revoke.effective_at == T + 60 * MINUTE  # not T + 15 minutes
    assert role_state([grant, revoke], T + 20 * MINUTE) == RoleState(False, None, grant)
    assert role_state([grant, revoke], T + 60 * MINUTE) == RoleState(False, T + 60 * MINUTE, None)
    assert submit([grant, revoke], T + 61 * MINUTE, login=T + 61 * MINUTE)[0] == "denied"


def test_order_is_kept_when_the_delay_was_lengthened_between_two_changes() -> None:
    grant, revoke = history(("grant", T, DELAY), ("revoke", T + 5 * MINUTE, 60 * MINUTE))
    assert revoke.effective_at == T + 65 * MINUTE
    assert role_state([grant, revoke], T + 30 * MINUTE) == RoleState(True, T + DELAY, revoke)
    assert role_state([grant, revoke], T + 65 * MINUTE).holds is False


def test_effective_at_never_comes_before_the_previous_change() -> None:
    previous = made("grant", T, delay=60 * MINUTE)
    assert domain.effective_at(T + MINUTE, DELAY, previous) == previous.effective_at
    assert domain.effective_at(T + 2 * 60 * MINUTE, DELAY, previous) == T + 130 * MINUTE
    assert domain.effective_at(T, DELAY, None) == T + DELAY


@pytest.mark.parametrize(
    ("local_request", "local_effect"),
    [
        # Spring forward: 02:00 CET becomes 03:00 CEST.
        (datetime(2024, 3, 31, 1, 55, tzinfo=AMSTERDAM), "2024-03-31 03:05:00 CEST"),
        # Fall back, the first 02:55 (summer time): 03:00 CEST becomes 02:00 CET.
        (datetime(2024, 10, 27, 2, 55, fold=0, tzinfo=AMSTERDAM), "2024-10-27 02:05:00 CET"),
    ],
)
def test_daylight_saving_days_take_exactly_ten_real_minutes(
    local_request: datetime, local_effect: str
) -> None:
    at = local_request.astimezone(UTC)
    grant = made("grant", at)
    assert grant.effective_at - at == DELAY
    assert grant.effective_at.utcoffset() == timedelta(0)
    status, effective_at, reason = submit([grant], at)
    assert (status, effective_at) == ("pending", at + DELAY)
    assert f"takes effect at {local_effect}, in 10 minutes" in reason


# --- sessions: the log-in must come after the grant took effect ------------------------------


def test_in_effect_without_any_log_in_needs_a_log_in() -> None:
    grant = made("grant", T)
    status, effective_at, reason = submit([grant], T + DELAY)
    assert (status, effective_at) == ("relogin", T + DELAY)
    assert "no log-in yet" in reason
    assert RELOGIN_ADVICE in reason
    assert "clear cookies" in reason


def test_a_log_in_exactly_at_effective_at_counts() -> None:
    grant = made("grant", T)
    assert submit([grant], T + DELAY, login=T + DELAY)[:2] == ("allowed", T + DELAY)


def test_a_log_in_one_second_before_effective_at_does_not_count() -> None:
    grant = made("grant", T)
    status, _, reason = submit([grant], T + 20 * MINUTE, login=T + DELAY - timedelta(seconds=1))
    assert status == "relogin"
    assert "no log-in since then" in reason


@pytest.mark.parametrize(
    ("login_minute", "expected"),
    [(-5, "relogin"), (0, "relogin"), (9, "relogin"), (10, "allowed"), (11, "allowed")],
)
def test_log_in_before_and_after_the_grant_takes_effect(login_minute: int, expected: str) -> None:
    grant = made("grant", T)
    assert submit([grant], T + 12 * MINUTE, login=T + login_minute * MINUTE)[0] == expected


def test_a_new_grant_after_a_revoke_needs_a_new_log_in() -> None:
    changes = history(
        ("grant", T, DELAY), ("revoke", T + 60 * MINUTE, DELAY), ("grant", T + 120 * MINUTE, DELAY)
    )
    # Logged in while the first grant was in effect: not a session for the second grant.
    at = T + 140 * MINUTE
    assert submit(changes, at, login=T + 30 * MINUTE)[:2] == ("relogin", T + 130 * MINUTE)
    assert submit(changes, at, login=T + 131 * MINUTE)[0] == "allowed"


def test_a_pending_revoke_keeps_submit_allowed_and_says_when_it_ends() -> None:
    grant = made("grant", T)
    revoke = made("revoke", T + 60 * MINUTE, after=grant)
    status, effective_at, reason = submit([grant, revoke], T + 65 * MINUTE, login=T + DELAY)
    assert (status, effective_at) == ("allowed", T + DELAY)
    assert "revoked from 2024-05-01 11:10:00 CEST" in reason


def test_a_revoke_in_effect_ends_every_session() -> None:
    grant = made("grant", T)
    revoke = made("revoke", T + 60 * MINUTE, after=grant)
    ends = T + 70 * MINUTE
    # A session from before the revoke, one started while it was pending, one after it.
    for login in (T + DELAY, T + 65 * MINUTE, ends, ends + MINUTE):
        status, effective_at, reason = submit([grant, revoke], ends + MINUTE, login=login)
        assert (status, effective_at) == ("denied", ends)
        assert "was revoked, from 2024-05-01 11:10:00 CEST" in reason


@pytest.mark.parametrize(
    ("seconds_left", "words"),
    [(600, "in 10 minutes"), (540, "in 9 minutes"), (61, "in 2 minutes"), (60, "in 1 minute")],
)
def test_pending_says_how_many_minutes_are_left_rounded_up(seconds_left: int, words: str) -> None:
    grant = made("grant", T)
    at = grant.effective_at - timedelta(seconds=seconds_left)
    assert submit([grant], at)[2].endswith(f"{words}; then log in again")


def test_one_second_left_is_still_one_minute() -> None:
    grant = made("grant", T)
    assert "in 1 minute;" in submit([grant], grant.effective_at - timedelta(seconds=1))[2]


# --- deny by default and the enforcement date -------------------------------------------------


def test_without_a_role_submitting_is_denied_after_the_enforcement_date() -> None:
    status, effective_at, reason = submit([], T)
    assert (status, effective_at) == ("denied", None)
    assert reason.startswith("no submitter (Incidentenbeheer) role")


def test_before_the_enforcement_date_every_active_contact_may_submit() -> None:
    one_second_before = ENFORCEMENT - timedelta(seconds=1)
    status, _, reason = submit([], one_second_before)
    assert status == "allowed"
    assert "2024-01-01 00:00:00 CET" in reason
    # Even a contact whose grant is still pending, and one without a log-in.
    assert submit([made("grant", one_second_before)], one_second_before)[0] == "allowed"
    # At the enforcement date itself the new rule applies.
    assert submit([], ENFORCEMENT)[0] == "denied"


def test_the_enforcement_date_is_a_parameter() -> None:
    later = datetime(2024, 6, 1, tzinfo=UTC)
    assert submit([], T, enforcement=later)[0] == "allowed"
    assert submit([], later, enforcement=later)[0] == "denied"


def test_an_inactive_contact_is_denied_even_with_a_role_and_before_the_enforcement_date() -> None:
    grant = made("grant", T)
    inactive = contact(active=False)
    assert submit([grant], T + DELAY, login=T + DELAY, who=inactive)[::2] == (
        "denied",
        "the contact is inactive",
    )
    assert submit([], ENFORCEMENT - MINUTE, who=inactive)[0] == "denied"
    view = view_all_permission(
        contact(active=False, portal_admin=True), {}, T, T, ENFORCEMENT, AMSTERDAM
    )
    assert (view.status, view.reason) == ("denied", "the contact is inactive")


def test_a_portal_admin_without_the_role_may_view_all_but_not_submit() -> None:
    admin = contact(portal_admin=True)
    status, _, reason = submit([], T, login=T, who=admin)
    assert status == "denied"
    assert (
        reason == "portal admins need the submitter (Incidentenbeheer) role too to submit incidents"
    )
    view = view_all_permission(admin, {MANAGER: role_state([], T)}, None, T, ENFORCEMENT, AMSTERDAM)
    assert view.allowed
    assert view.reason == "portal admins may view all incidents"


def test_an_expert_needs_the_role_like_anyone_else() -> None:
    expert = contact(expert=True)
    assert submit([], T, login=T, who=expert)[0] == "denied"
    grant = made("grant", T)
    assert submit([grant], T + DELAY, login=T + DELAY, who=expert)[0] == "allowed"


# --- viewing all incidents: manager, with the same sessions rule ------------------------------


def test_a_manager_may_view_all_after_a_fresh_log_in_but_not_submit() -> None:
    grant = made("grant", T, role=MANAGER)
    manager = {MANAGER: role_state([grant], T + 20 * MINUTE)}

    def view(login: datetime | None) -> str:
        at = T + 20 * MINUTE
        return view_all_permission(contact(), manager, login, at, ENFORCEMENT, AMSTERDAM).status

    assert view(None) == "relogin"
    assert view(T + 5 * MINUTE) == "relogin"
    assert view(T + 15 * MINUTE) == "allowed"
    pending = view_all_permission(
        contact(), {MANAGER: role_state([grant], T)}, None, T, ENFORCEMENT, AMSTERDAM
    )
    assert (pending.status, pending.effective_at) == ("pending", T + DELAY)
    assert "manager (Incidentmanagement)" in pending.reason
    # The manager role says nothing about submitting.
    assert submit([], T + 20 * MINUTE, login=T + 15 * MINUTE)[0] == "denied"


def test_without_manager_role_and_not_portal_admin_viewing_all_is_denied() -> None:
    view = view_all_permission(contact(), {}, T, T, ENFORCEMENT, AMSTERDAM)
    assert (view.status, view.allowed, view.effective_at) == ("denied", False, None)
    assert view.reason == "no manager (Incidentmanagement) role and not a portal admin"


# --- a model of the rule, checked on random histories -----------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(["grant", "revoke"]),
        st.integers(min_value=0, max_value=30),  # minutes after the previous change
        st.sampled_from([0, 1, 10, 60]),  # the delay setting when it was made, minutes
    ),
    max_size=8,
)


@given(steps=steps, minute=st.integers(min_value=-5, max_value=400))
def test_role_state_matches_the_last_change_in_effect(
    steps: list[tuple[Action, int, int]], minute: int
) -> None:
    at = T + minute * MINUTE
    changes: list[RoleChange] = []
    moment = T
    for action, gap, delay in steps:
        moment += gap * MINUTE
        changes.append(
            made(action, moment, delay=delay * MINUTE, after=changes[-1] if changes else None)
        )
    state = role_state(changes, at)

    made_by_then = [c for c in changes if c.requested_at <= at]
    in_effect = [c for c in made_by_then if c.effective_at <= at]
    not_yet = [c for c in made_by_then if c.effective_at > at]
    # Effective times never go back, so the changes in effect are a prefix of those made.
    assert made_by_then[: len(in_effect)] == in_effect
    assert state.holds == (bool(in_effect) and in_effect[-1].action == "grant")
    assert state.since == (in_effect[-1].effective_at if in_effect else None)
    assert state.pending == (not_yet[0] if not_yet else None)
