"""Who may submit and view incidents at a given moment (docs/concepts.md, rules 1 and 6):
the state of a role in time, derived from its changes, and the portal session that must
start after a grant took effect. Pure functions: everything, ``at`` included, is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from incidentctl import timeutil
from incidentctl.domain import Contact, Role, RoleChange

Status = Literal["allowed", "pending", "relogin", "denied"]

RELOGIN_ADVICE = "log in to the portal again and clear cookies and temporary internet files"


class RoleState(NamedTuple):
    """A role of one contact at one moment."""

    holds: bool  # in effect at that moment
    since: datetime | None  # when the change in effect took effect
    pending: RoleChange | None  # the next change already made but not yet in effect


def role_state(changes: Sequence[RoleChange], at: datetime) -> RoleState:
    """The state at ``at`` from the role's changes in the order they were made. Changes of
    one contact and role take effect in that order, so the last one in effect decides."""
    holds, since, pending = False, None, None
    for change in changes:
        if change.requested_at > at:
            break  # not made yet at that moment
        if change.effective_at <= at:
            holds, since, pending = change.action == "grant", change.effective_at, None
        elif pending is None:
            pending = change
    return RoleState(holds, since, pending)


class Permission(NamedTuple):
    """Whether a contact may do one thing at one moment, and why in plain words."""

    status: Status
    effective_at: datetime | None
    reason: str

    @property
    def allowed(self) -> bool:
        return self.status == "allowed"


def _in(at: datetime, moment: datetime) -> str:
    minutes = max(int((moment - at).total_seconds() + 59) // 60, 0)
    return f"in {minutes} minute{'s' if minutes != 1 else ''}"


def _role_permission(
    role: Role,
    state: RoleState,
    last_login: datetime | None,
    at: datetime,
    tz: ZoneInfo,
    without_role: str,
) -> Permission:
    def show(moment: datetime) -> str:
        return timeutil.format_local(moment, tz)

    if state.holds:
        assert state.since is not None
        if last_login is None or last_login < state.since:
            session = "no log-in since then" if last_login is not None else "no log-in yet"
            return Permission(
                "relogin",
                state.since,
                f"the {role.label} role is in effect since {show(state.since)}, but the portal "
                f"session started before that ({session}): {RELOGIN_ADVICE}",
            )
        reason = f"the {role.label} role is in effect since {show(state.since)}"
        if state.pending is not None and state.pending.action == "revoke":
            reason += f"; it is revoked from {show(state.pending.effective_at)}"
        return Permission("allowed", state.since, reason)
    if state.pending is not None and state.pending.action == "grant":
        moment = state.pending.effective_at
        return Permission(
            "pending",
            moment,
            f"the {role.label} role was granted at {show(state.pending.requested_at)} and takes "
            f"effect at {show(moment)}, {_in(at, moment)}; then log in again",
        )
    if state.since is not None:
        return Permission(
            "denied", state.since, f"the {role.label} role was revoked, from {show(state.since)}"
        )
    return Permission("denied", None, without_role)


def submit_permission(
    contact: Contact,
    submitter: RoleState,
    last_login: datetime | None,
    at: datetime,
    enforcement: datetime,
    tz: ZoneInfo,
) -> Permission:
    """May the contact contact Support and submit incidents at ``at``?"""
    if not contact.active:
        return Permission("denied", None, "the contact is inactive")
    if at < enforcement:
        return Permission(
            "allowed",
            None,
            f"before the enforcement date ({timeutil.format_local(enforcement, tz)}) every "
            "active contact may submit incidents",
        )
    without = f"no {Role.SUBMITTER.label} role"
    if contact.portal_admin:
        without = f"portal admins need the {Role.SUBMITTER.label} role too to submit incidents"
    return _role_permission(Role.SUBMITTER, submitter, last_login, at, tz, without)


def view_all_permission(
    contact: Contact, manager: RoleState, last_login: datetime | None, at: datetime, tz: ZoneInfo
) -> Permission:
    """May the contact view all of its organisation's incidents at ``at``?"""
    if not contact.active:
        return Permission("denied", None, "the contact is inactive")
    if contact.portal_admin:
        return Permission("allowed", None, "portal admins may view all incidents")
    return _role_permission(
        Role.MANAGER,
        manager,
        last_login,
        at,
        tz,
        f"no {Role.MANAGER.label} role and not a portal admin",
    )
