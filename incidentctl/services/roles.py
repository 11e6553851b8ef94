"""Granting and revoking the incident roles (SPEC §2 rules 2, 4, 6, 7; §4)."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

from incidentctl import timeutil
from incidentctl.domain import Action, Contact, Role, RoleChange, effective_at
from incidentctl.store import audit
from incidentctl.store import roles as role_store


def record_change(
    conn: sqlite3.Connection,
    contact: Contact,
    role: Role,
    action: Action,
    *,
    now: datetime,
    delay: timedelta,
    actor: str,
    reason: str | None,
) -> RoleChange | None:
    """Append one role change and its audit event; None when it would change nothing."""
    previous = role_store.latest(conn, contact.id, role)
    holds = previous is not None and previous.action == "grant"
    if holds == (action == "grant"):
        return None
    change = RoleChange(
        id=None,
        contact_id=contact.id,
        role=role,
        action=action,
        requested_at=now,
        effective_at=effective_at(now, delay, previous),
        actor=actor,
        reason=reason,
    )
    role_store.insert(conn, change)
    audit.append(
        conn,
        at=timeutil.to_iso(now),
        actor=actor,
        action=action,
        org=contact.org_id,
        contact=contact.email,
        role=role.value,
        before={"holds": holds},
        after={"holds": not holds, "effective_at": timeutil.to_iso(change.effective_at)},
        reason=reason,
    )
    return change


def revoke_all(
    conn: sqlite3.Connection,
    contact: Contact,
    *,
    now: datetime,
    delay: timedelta,
    actor: str,
    reason: str,
) -> list[RoleChange]:
    """Revoke every incident role the contact holds (deactivation), audited one by one."""
    changes = []
    for role in Role:
        change = record_change(
            conn, contact, role, "revoke", now=now, delay=delay, actor=actor, reason=reason
        )
        if change is not None:
            changes.append(change)
    return changes
