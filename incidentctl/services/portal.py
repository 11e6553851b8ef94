"""Where a contact stands: check, log-ins, incidents, pending changes, readiness
(docs/concepts.md, rules 1 and 6). ``check`` and ``incidents submit`` share
:func:`permissions`, so they agree in every case."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from incidentctl import timeutil
from incidentctl.domain import Actor, Contact, check_text, parse_email
from incidentctl.errors import InvalidInput, NotAuthorized
from incidentctl.permissions import Permission, permissions_at, role_state
from incidentctl.roles import SUBMIT, VIEW_ALL, PortalPermission, Role, defined
from incidentctl.services.lookups import (
    activate_hint,
    ask_portal_admin,
    listing_scope,
    require_contact,
    require_org,
    require_portal_admin,
)
from incidentctl.store import Store, audit
from incidentctl.store import incidents as incident_store
from incidentctl.store import orgs as org_store
from incidentctl.store import roles as role_store
from incidentctl.store import sessions as session_store


class Access(NamedTuple):
    """What one contact may do at one moment, and what to do about a refusal."""

    contact: Contact
    at: datetime
    permissions: dict[PortalPermission, Permission]  # every one, in the order check shows them
    advice: str | None  # for submitting: None when allowed

    @property
    def submit(self) -> Permission:
        return self.permissions[SUBMIT]

    @property
    def view_all(self) -> Permission:
        return self.permissions[VIEW_ALL]

    @property
    def listing(self) -> tuple[Role, Permission]:
        """The permission that decides what ``incidents list`` shows, and the role to ask
        for: viewing all when that is allowed or waiting for a log-in or the delay, else
        submitting."""
        if self.view_all.allowed or (
            self.view_all.status in ("relogin", "pending") and not self.submit.allowed
        ):
            return defined().giving(VIEW_ALL)[0], self.view_all
        return defined().giving(SUBMIT)[0], self.submit


def permissions(conn: sqlite3.Connection, store: Store, contact: Contact, at: datetime) -> Access:
    """The contact's permissions at ``at``, from its role history and log-ins."""
    settings = store.settings
    history = role_store.history(conn, contact.id)
    login = session_store.last_login(conn, contact.id, timeutil.to_iso(at))
    last_login = timeutil.from_iso(login) if login else None
    states = {role: role_state([c for c in history if c.role == role], at) for role in defined()}
    permissions = permissions_at(
        contact, states, last_login, at, settings.enforcement_date, settings.timezone
    )
    submit = permissions[SUBMIT]
    return Access(
        contact=contact,
        at=at,
        permissions=permissions,
        advice=None
        if submit.allowed
        else advice(conn, contact, defined().giving(SUBMIT)[0], submit),
    )


def check(store: Store, actor: Actor, email: str, at: datetime) -> Access:
    """``check EMAIL [--at TIME]``: a portal admin may check its organisation's contacts,
    any other portal user only itself."""
    with store.read() as conn:
        contact = require_contact(conn, parse_email(email), actor)
        if not actor.sees_details_of(contact):
            raise NotAuthorized(
                f"{actor.name} may check only itself, not {email.strip()}",
                hint=ask_portal_admin(conn, contact.org_id, "to check another contact"),
            )
        return permissions(conn, store, contact, at)


def login(store: Store, actor: Actor, now: datetime, email: str) -> Contact:
    """``login EMAIL``: record a portal log-in (a new session) for an active contact."""
    with store.write() as conn:
        contact = require_contact(conn, parse_email(email), actor)
        if actor.contact is not None and actor.contact.id != contact.id:
            raise NotAuthorized(f"{actor.name} can only log in as itself, not as {email.strip()}")
        if not contact.active:
            raise NotAuthorized(
                f"{contact.email} is inactive and cannot log in",
                hint=activate_hint(conn, contact, actor),
            )
        at = timeutil.to_iso(now)
        session_store.add_login(conn, contact.id, at)
        audit.append(
            conn, at=at, actor=actor.name, action="login", org=contact.org_id, contact=contact.email
        )
    return contact


def _portal_user(actor: Actor, command: str) -> Contact:
    if actor.contact is None:
        raise InvalidInput(
            f"'{command}' acts as a portal user: give --as EMAIL",
            hint=f"incidentctl --as jan@example.nl {command} …",
        )
    return actor.contact


class Submitted(NamedTuple):
    id: int
    contact: Contact
    at: datetime


def submit(store: Store, actor: Actor, now: datetime, subject: str, body: str) -> Submitted:
    """``incidents submit``: only when ``check`` would allow it, else NotAuthorized (4)."""
    user = _portal_user(actor, "incidents submit")
    if not subject.strip():
        raise InvalidInput("the subject may not be empty")
    check_text(subject, "subject")
    check_text(body, "body", multiline=True)
    with store.write() as conn:
        contact = require_contact(conn, user.email, actor)
        access = permissions(conn, store, contact, now)
        if not access.submit.allowed:
            raise NotAuthorized(
                f"{contact.email} may not submit incidents now ({access.submit.status}): "
                f"{access.submit.reason}",
                hint=access.advice,
            )
        at = timeutil.to_iso(now)
        incident = incident_store.add_incident(conn, contact.org_id, contact.id, subject, body, at)
        audit.append(
            conn,
            at=at,
            actor=actor.name,
            action="incident.submit",
            org=contact.org_id,
            contact=contact.email,
            after={"incident": incident, "subject": subject},
        )
    return Submitted(incident, contact, now)


def advice(conn: sqlite3.Connection, contact: Contact, role: Role, permission: Permission) -> str:
    """What to do about a refusal (the seed's advice for "niet geautoriseerd"), naming the
    portal admins to ask where one can help."""
    if permission.status == "pending":
        return "a role change takes about 10 minutes; then log in again and clear cookies"
    if permission.status == "relogin":
        return "the portal picks up a role change only in a new session"
    if not contact.active:
        return (
            f"the contact must be activated first ('incidentctl contacts set {contact.email} "
            f"--active'): " + ask_portal_admin(conn, contact.org_id, "to activate it")
        )
    if contact.portal_admin:
        return f"as a portal admin you can grant it: incidentctl grant {role.name} {contact.email}"
    return ask_portal_admin(conn, contact.org_id, f"to grant the {role.label} role")


class IncidentList(NamedTuple):
    scope: str  # "organisation", "own" or "all"
    rows: list[incident_store.IncidentRow]


def list_incidents(
    store: Store, actor: Actor, now: datetime, org_id: str | None = None
) -> IncidentList:
    """``incidents list``: the organisation's incidents for a manager or portal admin, own
    incidents for a submitter, exit 4 for anyone else; the operator sees all."""
    with store.read() as conn:
        if org_id is not None:
            require_org(conn, org_id, actor)
        if actor.contact is None:
            return IncidentList("all", list(incident_store.incidents(conn, org_id=org_id)))
        contact = require_contact(conn, actor.contact.email, actor)
        access = permissions(conn, store, contact, now)
        if access.view_all.allowed:
            rows = incident_store.incidents(conn, org_id=contact.org_id)
            return IncidentList("organisation", list(rows))
        if access.submit.allowed:
            own = incident_store.incidents(conn, org_id=contact.org_id, contact_id=contact.id)
            return IncidentList("own", list(own))
        # The same reason as check gives: a manager waiting for a log-in is told so.
        role, permission = access.listing
        raise NotAuthorized(
            f"{contact.email} may neither submit nor view incidents now: {permission.reason}",
            hint=advice(conn, contact, role, permission),
        )


def pending(
    store: Store, actor: Actor, now: datetime, org_id: str | None = None
) -> Iterator[tuple[str, str, str, str, str, str]]:
    """``pending``: role changes not yet in effect, soonest first; a portal user sees its own
    organisation's (a portal user who is not a portal admin only its own). The organisation is
    checked here, before any output; the rows stream afterwards."""
    org_id, contact_id = listing_scope(store, actor, org_id)
    at = timeutil.to_iso(now)
    return store.stream(lambda conn: role_store.pending(conn, at, org_id, contact_id))


class Readiness(NamedTuple):
    enforcement_date: datetime
    before_enforcement: bool
    days: int
    organisations_without_submitter: list[tuple[str, str]]
    contacts_without_role: list[tuple[str, str, str]]


def readiness(store: Store, actor: Actor, now: datetime, days: int) -> Readiness:
    """``readiness``: who will lose the ability to contact Support at the enforcement date."""
    if not 1 <= days <= 36_600:  # at most a century, like every other span of time
        raise InvalidInput(f"--days must be from 1 to 36600, got {days}")
    only = actor.org_id
    since = timeutil.to_iso(now - timedelta(days=days))
    until = timeutil.to_iso(now)
    enforcement = store.settings.enforcement_date
    with store.read() as conn:
        require_portal_admin(conn, actor, "see the readiness report")
        with_submitter = role_store.orgs_with_submitter(conn, until)
        return Readiness(
            enforcement_date=enforcement,
            before_enforcement=now < enforcement,
            days=days,
            organisations_without_submitter=[
                (org.id, org.name)
                for org in org_store.iter_all(conn, only)
                if org.id not in with_submitter
            ],
            contacts_without_role=incident_store.recent_submitters_without_role(
                conn, since, until, only
            ),
        )
