"""Granting and revoking the incident roles (docs/roles-and-quota.md, "grant and revoke").

Every change, from one e-mail on the command line to a million in a file, goes through one
batch: the rows are first loaded into a temporary table (private to the connection, outside
any lock, so a slow stdin holds nobody up), then classified in one query, checked against the
quota per organisation, and written with their audit events inside one ``BEGIN IMMEDIATE``
transaction, so concurrent processes can never exceed a quota and a refused batch writes
nothing. A revoke of more than one contact can be confirmed by a person first: it is planned
on a snapshot, asked about without any lock, and planned again under the write lock, which
refuses it when the store changed meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from functools import partial
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
from incidentctl.errors import (
    INVALID_INPUT,
    NOT_AUTHORIZED,
    NOT_FOUND,
    QUOTA_EXCEEDED,
    Declined,
    IncidentctlError,
    InvalidInput,
    NotAuthorized,
    NotFound,
    QuotaExceeded,
    StoreChanged,
)
from incidentctl.services.lookups import require_portal_admin
from incidentctl.services.progress import NO_PROGRESS, Confirm, Progress
from incidentctl.services.quota import load_policy
from incidentctl.store import Store
from incidentctl.store import roles as role_store
from incidentctl.store.quota import maximum_sql
from incidentctl.store.roles import ORIGIN_ARGUMENT, ORIGIN_FILE, BatchRow

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
    """The summary of a batch, and its rows (read from the batch's temporary table as they
    are used, so a million cost no memory)."""

    action: Action
    role: Role
    applied: bool
    dry_run: bool
    summary: dict[str, int]
    exit_code: int  # 0, or the exit code of the first cause of refusal
    refusal: str | None
    first_refused: ResultRow | None  # the first row refused for ``refusal``
    rows: Callable[..., Iterator[ResultRow]]  # rows(refused_only=False)
    documents: Callable[[], Iterator[str]]  # the rows as the JSON objects of --json


_REFUSALS: dict[int, type[IncidentctlError]] = {
    INVALID_INPUT: InvalidInput,
    NOT_FOUND: NotFound,
    NOT_AUTHORIZED: NotAuthorized,
    QUOTA_EXCEEDED: QuotaExceeded,
}


def refusal_error(outcome: BatchOutcome) -> IncidentctlError | None:
    """The error a refused batch ends with (its exit code is the first cause's), naming the
    first refused row's argument or line; None for a batch that was not refused."""
    if not outcome.exit_code:
        return None
    refused = outcome.summary["refused"]
    first = outcome.first_refused
    # The quota is about an organisation (named in the reason), not about one row.
    where = f" ({first.where})" if first is not None and outcome.exit_code != QUOTA_EXCEEDED else ""
    message = (
        f"{outcome.action} refused for {refused:,} row{'s' if refused != 1 else ''}: "
        f"{outcome.refusal}{where}"
    )
    return _REFUSALS.get(outcome.exit_code, InvalidInput)(message, _refusal_hint(outcome))


def _refusal_hint(outcome: BatchOutcome) -> str:
    first = outcome.first_refused
    if outcome.exit_code == QUOTA_EXCEEDED:
        hint = (
            "revoke a submitter first, or ask the operator to raise the maximum "
            "('incidentctl org set ID --quota N --reason ...'); certified experts don't count"
        )
    elif first is not None and first.reason == role_store.REASONS["inactive"]:
        hint = f"activate the contact first: incidentctl contacts set {first.email} --active"
    elif outcome.exit_code == INVALID_INPUT:
        hint = "correct the refused rows"
    else:
        hint = "check the addresses with 'incidentctl contacts list'"
    return f"{hint}; nothing was written"


def batch_rows(emails: list[str], lines: Iterable[tuple[int, str]] = ()) -> Iterator[BatchRow]:
    """The rows of a batch: the e-mail arguments (by position), then the (line, e-mail) of a
    ``--file``, each remembered by where it came from."""
    for position, email in enumerate(emails, start=1):
        yield (ORIGIN_ARGUMENT, position, email.strip())
    for line, email in lines:
        yield (ORIGIN_FILE, line, email)


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
    progress: Progress = NO_PROGRESS,
    confirm: Confirm | None = None,
) -> BatchOutcome:
    """``grant``/``revoke``: load the batch, plan it, and apply all of it or nothing.

    The rows are loaded before any transaction. A revoke of more than one contact is put to
    ``confirm`` (when given) between a plan on a snapshot and the write; a "no" raises
    :class:`Declined`, and a write-time plan that no longer matches what was confirmed
    raises :class:`StoreChanged`. Either way nothing is written.
    """
    if reason is not None:
        check_text(reason, "reason")
    settings = store.settings
    if actor.contact is not None:  # refused before a slow stdin is read
        with store.read() as conn:
            require_portal_admin(conn, actor, f"{action} roles")
    progress.step("reading", of_input=True)
    role_store.start_batch(store.conn)
    iterator = iter(rows)
    while chunk := list(islice(iterator, _CHUNK)):
        role_store.add_to_batch(store.conn, chunk)
        progress.advance(len(chunk))
    progress.step("checking")
    plan = partial(plan_and_apply, actor=actor, now=now, settings=settings, action=action)
    confirmed: Confirmed | None = None
    if confirm is not None and action == "revoke" and not dry_run:
        with store.read() as conn:
            planned = plan(conn, role=role, write=False, reason=reason)
            organisations = role_store.changed_org_count(conn)
        if not planned.exit_code and planned.summary["revoked"] > 1:
            confirmed = Confirmed(planned.summary, organisations)
            if not confirm(
                f"Revoke {role.label} from {planned.summary['revoked']:,} contacts in "
                f"{_organisations(organisations)}?"
            ):
                raise Declined("Nothing changed.")
    # A dry run only reads: a snapshot is enough and it blocks nobody.
    transaction = store.read() if dry_run else store.write()
    with transaction as conn:
        if not dry_run:
            progress.step("writing")
        return plan(conn, role=role, write=not dry_run, reason=reason, confirmed=confirmed)


class Confirmed(NamedTuple):
    """What a person said yes to: the counts of the plan, and the organisations changed."""

    summary: dict[str, int]
    organisations: int


def _organisations(count: int) -> str:
    return f"{count:,} organisation{'s' if count != 1 else ''}"


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
    confirmed: Confirmed | None = None,
) -> BatchOutcome:
    """Classify the loaded batch, check the quota, and (if nothing is refused) write it:
    changes take effect after the propagation delay; experts are those certified today.
    With ``confirmed``, the plan must still be what a person confirmed, or nothing is
    written (:class:`StoreChanged`)."""
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
    summary, first_refused = role_store.plan_summary(conn)
    if confirmed is not None:
        _require_confirmed(conn, action, summary, confirmed)
    cause = first_refused[0] if first_refused is not None else None
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
    refused_row = ResultRow._make(first_refused[1:]) if first_refused is not None else None
    return BatchOutcome(
        action=action,
        role=role,
        applied=applied,
        dry_run=not write,
        summary=summary,
        exit_code=cause or 0,
        refusal=refused_row.reason if refused_row is not None else None,
        first_refused=refused_row,
        rows=partial(results, conn),
        documents=partial(result_documents, conn, role),
    )


def _require_confirmed(
    conn: sqlite3.Connection, action: Action, summary: dict[str, int], confirmed: Confirmed
) -> None:
    organisations = role_store.changed_org_count(conn)
    if summary == confirmed.summary and organisations == confirmed.organisations:
        return
    verb = "revokes" if action == "revoke" else "grants"
    changed = summary["revoked"] + summary["granted"]
    then = confirmed.summary["revoked"] + confirmed.summary["granted"]
    refused = f" and refuses {summary['refused']:,} rows" if summary["refused"] else ""
    raise StoreChanged(
        f"the store changed while you were deciding: the batch now {verb} {changed:,} "
        f"contact{'s' if changed != 1 else ''} in {_organisations(organisations)}{refused}, "
        f"not {then:,} in "
        f"{_organisations(confirmed.organisations)}; nothing was written",
        hint="run it again",
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


def results(conn: sqlite3.Connection, *, refused_only: bool = False) -> Iterator[ResultRow]:
    """The rows of the last batch on this connection, in input order (only the refused
    ones, with ``refused_only``)."""
    return map(ResultRow._make, role_store.iter_plan(conn, refused_only=refused_only))


def result_documents(conn: sqlite3.Connection, role: Role) -> Iterator[str]:
    """The same rows as the JSON objects of ``grant/revoke --json`` (docs/json.md)."""
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
