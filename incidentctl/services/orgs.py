"""Organisations: add, change (incl. the operator's quota override), list, show."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any, NamedTuple

from incidentctl import timeutil
from incidentctl.domain import (
    COUNT_HINT,
    LARGEST_COUNT,
    Actor,
    Organisation,
    parse_employees,
    parse_name,
    parse_org_id,
    require_operator,
    shown_org,
)
from incidentctl.errors import InvalidInput
from incidentctl.services.lookups import require_org
from incidentctl.services.quota import QuotaStatus, load_policy, status_of
from incidentctl.store import Store, audit
from incidentctl.store import contacts as contact_store
from incidentctl.store import orgs as org_store


def _sector(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return parse_name(text, "sector").strip()


def _fields(org: Organisation) -> dict[str, Any]:
    return {key: value for key, value in org._asdict().items() if key != "id"}


def add(
    store: Store,
    actor: Actor,
    now: datetime,
    *,
    org_id: str,
    name: str,
    employees: int,
    sector: str | None,
) -> tuple[Organisation, bool]:
    """``org add``: (the organisation, whether it was created). Adding the same again is a
    no-op; an existing id with other values is refused (use ``org set``)."""
    require_operator(actor, "org add")
    org = Organisation(
        id=parse_org_id(org_id),
        name=parse_name(name),
        employees=parse_employees(employees),
        sector=_sector(sector),
        quota_override=None,
        quota_override_reason=None,
    )
    with store.write() as conn:
        existing = org_store.get(conn, org.id)
        if existing is not None:
            if (existing.name, existing.employees, existing.sector) == (
                org.name,
                org.employees,
                org.sector,
            ):
                return existing, False
            raise InvalidInput(
                f"organisation {org.id} already exists with other values",
                hint=f"change it with: incidentctl org set {org.id} …",
            )
        create(conn, actor, now, org)
    return org, True


def create(conn: sqlite3.Connection, actor: Actor, now: datetime, org: Organisation) -> None:
    """Insert a new organisation and its audit event, inside the caller's transaction."""
    at = timeutil.to_iso(now)
    org_store.insert(conn, org, at)
    audit.append(conn, at=at, actor=actor.name, action="org.add", org=org.id, after=_fields(org))


def update(
    store: Store,
    actor: Actor,
    now: datetime,
    org_id: str,
    *,
    name: str | None = None,
    employees: int | None = None,
    sector: str | None = None,
    quota: int | None = None,
    reason: str | None = None,
    clear_quota: bool = False,
) -> tuple[Organisation, Organisation]:
    """``org set``: (before, after). ``sector=""`` clears the sector; ``quota`` with a
    ``reason`` sets the operator's override of the maximum, ``clear_quota`` removes it."""
    require_operator(actor, "org set")
    if quota is not None and clear_quota:
        raise InvalidInput("--quota and --clear-quota exclude each other")
    if quota is not None:
        if quota < 0:
            raise InvalidInput(f"the quota cannot be negative: {quota}")
        if quota > LARGEST_COUNT:
            raise InvalidInput(f"the quota is too large: {quota}", hint=COUNT_HINT)
        if reason is None or not reason.strip():
            raise InvalidInput(
                "an override of the maximum needs a reason",
                hint='add --reason "…" (it is kept in the audit log and shown by quota explain)',
            )
    elif reason is not None and not clear_quota:
        raise InvalidInput("--reason goes with --quota or --clear-quota")
    with store.write() as conn:
        before = require_org(conn, org_id)
        after = before
        if name is not None:
            after = after._replace(name=parse_name(name))
        if employees is not None:
            after = after._replace(employees=parse_employees(employees))
        if sector is not None:
            after = after._replace(sector=_sector(sector))
        if quota is not None:
            after = after._replace(quota_override=quota, quota_override_reason=reason)
        if clear_quota:
            after = after._replace(quota_override=None, quota_override_reason=None)
        if after != before:
            old, new = _fields(before), _fields(after)
            changed = [key for key in old if old[key] != new[key]]
            org_store.update(conn, after)
            audit.append(
                conn,
                at=timeutil.to_iso(now),
                actor=actor.name,
                action="org.set",
                org=before.id,
                before={key: old[key] for key in changed},
                after={key: new[key] for key in changed},
                reason=reason,
            )
    return before, after


class OrgOverview(NamedTuple):
    """An organisation with its contact counts and quota, for ``org list`` and ``org show``.
    ``admins`` (e-mail, name) are its active portal admins, named for ``org show`` only."""

    org: Organisation
    contacts: int
    active_contacts: int
    portal_admins: int
    quota: QuotaStatus
    admins: list[tuple[str, str]] | None = None


def overviews(
    store: Store, actor: Actor, now: datetime, only: str | None = None
) -> list[OrgOverview]:
    """``org list`` (every organisation the actor may see) or ``org show`` (``only``). A
    portal user sees the override's reason only as "set by the vendor"."""
    if only is None and actor.contact is not None:
        only = actor.contact.org_id
    tz = store.settings.timezone
    with store.read() as conn:
        if only is not None:
            require_org(conn, only, actor)
        policy = load_policy(conn)
        result = []
        for org in org_store.iter_all(conn, only):
            contacts, active, admins = org_store.contact_counts(conn, org.id)
            result.append(
                OrgOverview(
                    shown_org(actor, org),
                    contacts,
                    active,
                    admins,
                    status_of(conn, org, policy, now, tz),
                    contact_store.portal_admins(conn, org.id) if only is not None else None,
                )
            )
        return result
