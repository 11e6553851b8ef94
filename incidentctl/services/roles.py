"""Granting and revoking the incident roles (SPEC §2 rules 2, 4, 6, 7; §4).

Every change, from one e-mail on the command line to a million in a file, goes through one
batch: the rows are loaded into a temporary table, classified in one query, checked against
the quota per organisation, and written with their audit events, all inside one
``BEGIN IMMEDIATE`` transaction, so concurrent processes can never exceed a quota and a
refused batch writes nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice
from typing import NamedTuple

from incidentctl import timeutil
from incidentctl.domain import (
    Action,
    Actor,
    Contact,
    Role,
    Settings,
    check_text,
    is_valid_email,
)
from incidentctl.errors import INVALID_INPUT, QUOTA_EXCEEDED
from incidentctl.output import Progress
from incidentctl.services.lookups import require_portal_admin
from incidentctl.services.quota import load_policy
from incidentctl.store import Store
from incidentctl.store import roles as role_store
from incidentctl.store.quota import maximum_sql
from incidentctl.store.roles import ORIGIN_ARGUMENT, BatchRow

_CHUNK = 10_000
_PER_ORG_COUNT_LIMIT = 50  # up to this many organisations, count each from its index


class ResultRow(NamedTuple):
    """What happened (or would happen) to one row of a batch (a tuple: a million are cheap)."""

    email: str
    org: str | None
    status: str
    effective_at: str | None
    reason: str | None
    where: str  # "argument N" or "line N"


class BatchOutcome(NamedTuple):
    """The summary of a batch; its rows are read with :func:`results` afterwards."""

    action: Action
    role: Role
    applied: bool
    dry_run: bool
    summary: dict[str, int]
    exit_code: int  # 0, or the exit code of the first cause of refusal
    refusal: str | None


def change(
    store: Store,
    actor: Actor,
    now: datetime,
    *,
    action: Action,
    role: Role,
    rows: Iterable[BatchRow],
    dry_run: bool = False,
    reason: str | None = None,
    progress: Progress | None = None,
) -> BatchOutcome:
    """``grant``/``revoke``: plan the whole batch, then apply all of it or nothing."""
    if reason is not None:
        check_text(reason, "reason")
    settings = store.settings
    # A dry run only reads: a snapshot is enough and it blocks nobody.
    transaction = store.read() if dry_run else store.write()
    with transaction as conn:
        require_portal_admin(conn, actor, f"{action} roles")
        role_store.start_batch(conn)
        iterator = iter(rows)
        while chunk := list(islice(iterator, _CHUNK)):
            role_store.add_to_batch(conn, chunk)
            if progress is not None:
                progress.advance(len(chunk))
        return plan_and_apply(
            conn, actor, now, settings, action=action, role=role, write=not dry_run, reason=reason
        )


def plan_and_apply(
    conn: sqlite3.Connection,
    actor: Actor,
    now: datetime,
    settings: Settings,
    *,
    action: Action,
    role: Role,
    write: bool,
    reason: str | None,
) -> BatchOutcome:
    """Classify the loaded batch, check the quota, and (if nothing is refused) write it:
    changes take effect after the propagation delay; experts are those certified today."""
    delay_end = now + settings.propagation_delay
    today = timeutil.local_date(now, settings.timezone)
    role_store.plan_batch(
        conn,
        action=action,
        role=role,
        today=today,
        effective_at=timeutil.to_iso(delay_end),
        actor_org=actor.contact.org_id if actor.contact is not None else None,
    )
    malformed = [
        pos for pos, given in role_store.unknown_in_plan(conn) if not is_valid_email(given)
    ]
    if malformed:
        role_store.refuse_in_plan(conn, malformed, INVALID_INPUT, "not a valid e-mail address")
    if action == "grant" and role is Role.SUBMITTER:
        _check_quota(conn, today, timeutil.to_iso(now))
    summary, cause, refusal = role_store.plan_summary(conn)
    applied = cause is None and write
    if applied and (summary["granted"] or summary["revoked"]):
        role_store.apply_plan(
            conn,
            role=role,
            action=action,
            now=timeutil.to_iso(now),
            actor=actor.name,
            reason=reason,
        )
    return BatchOutcome(
        action=action,
        role=role,
        applied=applied,
        dry_run=not write,
        summary=summary,
        exit_code=cause or 0,
        refusal=refusal,
    )


def _check_quota(conn: sqlite3.Connection, today: date, now: str) -> None:
    """Refuse the new non-expert grants of every organisation the batch would take over
    its maximum; experts never count, and an over-quota organisation keeps its holders."""
    new_by_org = role_store.new_submitters_by_org(conn, maximum_sql(conn, load_policy(conn)))
    if not new_by_org:
        return
    if len(new_by_org) <= _PER_ORG_COUNT_LIMIT:
        used_by_org = {
            org_id: role_store.submitter_counts(conn, org_id, today)[0]
            for org_id, _, _ in new_by_org
        }
    else:
        counts = role_store.submitter_counts_by_org(conn, today, now)
        used_by_org = {org_id: org_counts.used for org_id, org_counts in counts.items()}
    for org_id, new, maximum in new_by_org:
        used = used_by_org.get(org_id, 0)
        if used + new > maximum:
            role_store.refuse_org_in_plan(
                conn,
                org_id,
                f"quota exceeded: organisation {org_id} uses {used} of its {maximum} "
                f"submitter seats and this batch adds {new}",
                QUOTA_EXCEEDED,
            )


def results(conn: sqlite3.Connection) -> Iterator[ResultRow]:
    """The rows of the last batch on this connection, in input order."""
    return map(ResultRow._make, role_store.iter_plan(conn))


def result_documents(conn: sqlite3.Connection, role: Role) -> Iterator[str]:
    """The same rows as the JSON objects of ``grant/revoke --json`` (SPEC §3a)."""
    return role_store.iter_plan_json(conn, role)


def apply_emails(
    conn: sqlite3.Connection,
    actor: Actor,
    now: datetime,
    settings: Settings,
    *,
    action: Action,
    role: Role,
    emails: Iterable[str],
    reason: str | None,
) -> BatchOutcome:
    """A batch inside the caller's write transaction (deactivation, the demo data)."""
    role_store.start_batch(conn)
    role_store.add_to_batch(
        conn, [(ORIGIN_ARGUMENT, n, email) for n, email in enumerate(emails, start=1)]
    )
    return plan_and_apply(
        conn, actor, now, settings, action=action, role=role, write=True, reason=reason
    )


def revoke_all(
    conn: sqlite3.Connection,
    contact: Contact,
    actor: Actor,
    now: datetime,
    settings: Settings,
    reason: str,
) -> list[tuple[Role, datetime]]:
    """Revoke every incident role the contact holds (deactivation): (role, takes effect)."""
    revoked = []
    for role in Role:
        outcome = apply_emails(
            conn,
            actor,
            now,
            settings,
            action="revoke",
            role=role,
            emails=[contact.email],
            reason=reason,
        )
        if outcome.summary["revoked"]:
            (row,) = results(conn)
            revoked.append((role, timeutil.from_iso(row.effective_at or "")))
    return revoked
