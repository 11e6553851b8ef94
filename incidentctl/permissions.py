"""Who may submit and view incidents at a given moment (docs/concepts.md, rules 1 and 6):
the state of a role in time, derived from its changes, and the portal session that must start
after a grant took effect. Each portal permission is decided from the roles that give it
(:mod:`incidentctl.roles`) and its own rule: the enforcement date for submitting, portal
admins for viewing all. Pure functions: everything, ``at`` included, is a parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo

from incidentctl import timeutil
from incidentctl.domain import Contact, RoleChange
from incidentctl.roles import SUBMIT, VIEW_ALL, PortalPermission, Role, defined, either

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


NEVER_HELD = RoleState(holds=False, since=None, pending=None)
"""The state of a role that has no changes."""

RoleStates = Mapping[Role, RoleState]
"""The state of each role of one contact at one moment; a role missing was never held."""


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


# Which outcome of several roles that give one permission decides it: the best for the contact,
# and of two refusals the one that says more (a revoke) than "no role". Equal ones: the first.
_PREFERENCE = {"allowed": 0, "relogin": 1, "pending": 2, "denied": 3}


def _from_roles(
    permission: PortalPermission,
    states: RoleStates,
    last_login: datetime | None,
    at: datetime,
    tz: ZoneInfo,
    without_role: str,
) -> Permission:
    """A permission as the roles that give it decide it."""
    decided = [
        _role_permission(role, states.get(role, NEVER_HELD), last_login, at, tz, without_role)
        for role in defined().giving(permission)
    ]
    return min(
        decided,
        key=lambda p: (_PREFERENCE[p.status], p.effective_at is None),
        default=Permission("denied", None, without_role),
    )


def _labels(permission: PortalPermission) -> str:
    """``submitter (Incidentenbeheer)``: the roles that give a permission, for a sentence."""
    return either([role.label for role in defined().giving(permission)])


def submit_permission(
    contact: Contact,
    states: RoleStates,
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
    without = f"no {_labels(SUBMIT)} role"
    if contact.portal_admin:
        without = f"portal admins need the {_labels(SUBMIT)} role too to submit incidents"
    return _from_roles(SUBMIT, states, last_login, at, tz, without)


def view_all_permission(
    contact: Contact,
    states: RoleStates,
    last_login: datetime | None,
    at: datetime,
    enforcement: datetime,
    tz: ZoneInfo,
) -> Permission:
    """May the contact view all of its organisation's incidents at ``at``? (The enforcement
    date is about submitting only.)"""
    if not contact.active:
        return Permission("denied", None, "the contact is inactive")
    if contact.portal_admin:
        return Permission("allowed", None, "portal admins may view all incidents")
    return _from_roles(
        VIEW_ALL, states, last_login, at, tz, f"no {_labels(VIEW_ALL)} role and not a portal admin"
    )


Rule = Callable[[Contact, RoleStates, datetime | None, datetime, datetime, ZoneInfo], Permission]

RULES: dict[PortalPermission, Rule] = {SUBMIT: submit_permission, VIEW_ALL: view_all_permission}
"""The rule of each portal permission (:data:`incidentctl.roles.PERMISSIONS`)."""


def permissions_at(
    contact: Contact,
    states: RoleStates,
    last_login: datetime | None,
    at: datetime,
    enforcement: datetime,
    tz: ZoneInfo,
) -> dict[PortalPermission, Permission]:
    """Every portal permission of the contact at ``at``, in the order ``check`` shows them."""
    return {
        permission: rule(contact, states, last_login, at, enforcement, tz)
        for permission, rule in RULES.items()
    }
