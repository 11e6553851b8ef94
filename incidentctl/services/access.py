"""Where a contact stands: check, log-ins, incidents, pending changes, readiness (SPEC §2
rules 1 and 6). ``check`` and ``incidents submit`` share :func:`permissions`, so they agree
in every case."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import NamedTuple

from incidentctl import timeutil
from incidentctl.access import (
    Permission,
    role_state,
    submit_permission,
    view_all_permission,
)
from incidentctl.domain import (
    Actor,
    Contact,
    Role,
    check_text,
    parse_email,
    require_portal_admin,
    require_same_org,
)
from incidentctl.errors import InvalidInput, NotAuthorized
from incidentctl.services.lookups import require_contact, require_org
from incidentctl.store import Store, audit
from incidentctl.store import orgs as org_store
from incidentctl.store import roles as role_store
from incidentctl.store import sessions as session_store


class Access(NamedTuple):
    """What one contact may do at one moment."""

    contact: Contact
    at: datetime
    submit: Permission
    view_all: Permission


def permissions(conn: sqlite3.Connection, store: Store, contact: Contact, at: datetime) -> Access:
    """The contact's permissions at ``at``, from its role history and log-ins."""
    settings = store.settings
    history = role_store.history(conn, contact.id)
    login = session_store.last_login(conn, contact.id, timeutil.to_iso(at))
    last_login = timeutil.from_iso(login) if login else None
    states = {role: role_state([c for c in history if c.role is role], at) for role in Role}
    tz = settings.timezone
    return Access(
        contact=contact,
        at=at,
        submit=submit_permission(
            contact, states[Role.SUBMITTER], last_login, at, settings.enforcement_date, tz
        ),
        view_all=view_all_permission(contact, states[Role.MANAGER], last_login, at, tz),
    )


def check(store: Store, actor: Actor, email: str, at: datetime) -> Access:
    """``check EMAIL [--at TIME]``."""
    with store.read() as conn:
        contact = require_contact(conn, parse_email(email))
        require_same_org(actor, contact.org_id)
        return permissions(conn, store, contact, at)


def login(store: Store, actor: Actor, now: datetime, email: str) -> Contact:
    """``login EMAIL``: record a portal log-in (a new session) for an active contact."""
    with store.write() as conn:
        contact = require_contact(conn, parse_email(email))
        if actor.contact is not None and actor.contact.id != contact.id:
            raise NotAuthorized(f"{actor.name} can only log in as itself, not as {contact.email}")
        if not contact.active:
            raise NotAuthorized(f"{contact.email} is inactive and cannot log in")
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
        contact = require_contact(conn, user.email)
        access = permissions(conn, store, contact, now)
        if not access.submit.allowed:
            raise NotAuthorized(
                f"{contact.email} may not submit incidents now ({access.submit.status}): "
                f"{access.submit.reason}",
                hint=_advice(contact, access.submit),
            )
        at = timeutil.to_iso(now)
        incident = session_store.add_incident(conn, contact.org_id, contact.id, subject, body, at)
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


def _advice(contact: Contact, permission: Permission) -> str:
    """The seed's advice for someone who gets "not authorized"."""
    if permission.status == "pending":
        return "a role change takes about 10 minutes; then log in again and clear cookies"
    if permission.status == "relogin":
        return "the portal picks up a role change only in a new session"
    if contact.portal_admin:
        return f"as a portal admin you can grant it: incidentctl grant submitter {contact.email}"
    return "ask a portal admin (klantportalbeheerder) to grant the Incidentenbeheer role"


class IncidentList(NamedTuple):
    scope: str  # "organisation", "own" or "all"
    rows: list[session_store.IncidentRow]


def list_incidents(
    store: Store, actor: Actor, now: datetime, org_id: str | None = None
) -> IncidentList:
    """``incidents list``: the organisation's incidents for a manager or portal admin, own
    incidents for a submitter, exit 4 for anyone else; the operator sees all."""
    with store.read() as conn:
        if actor.contact is None:
            if org_id is not None:
                require_org(conn, org_id)
            return IncidentList("all", list(session_store.incidents(conn, org_id=org_id)))
        contact = require_contact(conn, actor.contact.email)
        if org_id is not None:
            require_same_org(actor, org_id)
        access = permissions(conn, store, contact, now)
        if access.view_all.allowed:
            rows = session_store.incidents(conn, org_id=contact.org_id)
            return IncidentList("organisation", list(rows))
        if access.submit.allowed:
            return IncidentList("own", list(session_store.incidents(conn, contact_id=contact.id)))
        raise NotAuthorized(
            f"{contact.email} may neither submit nor view incidents now: {access.submit.reason}",
            hint=_advice(contact, access.submit),
        )


def pending(
    store: Store, actor: Actor, now: datetime, org_id: str | None = None
) -> Iterator[tuple[str, str, str, str, str, str]]:
    """``pending``: role changes not yet in effect, soonest first. The organisation is
    checked here, before any output; the rows stream afterwards."""
    if org_id is not None:
        require_same_org(actor, org_id)
    elif actor.contact is not None:
        org_id = actor.contact.org_id
    if org_id is not None:
        with store.read() as conn:
            require_org(conn, org_id)
    return _pending_rows(store, timeutil.to_iso(now), org_id)


def _pending_rows(
    store: Store, now: str, org_id: str | None
) -> Iterator[tuple[str, str, str, str, str, str]]:
    with store.read() as conn:
        yield from role_store.pending(conn, now, org_id)


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
    only = None
    if actor.contact is not None:
        require_portal_admin(actor, actor.contact.org_id, "see the readiness report")
        only = actor.contact.org_id
    since = timeutil.to_iso(now - timedelta(days=days))
    until = timeutil.to_iso(now)
    enforcement = store.settings.enforcement_date
    with store.read() as conn:
        with_submitter = role_store.orgs_with_submitter(conn, until, in_effect=False)
        return Readiness(
            enforcement_date=enforcement,
            before_enforcement=now < enforcement,
            days=days,
            organisations_without_submitter=[
                (org.id, org.name)
                for org in org_store.iter_all(conn, only)
                if org.id not in with_submitter
            ],
            contacts_without_role=session_store.recent_submitters_without_role(
                conn, since, until, only
            ),
        )
