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
from incidentctl.domain import Action, Actor, Contact, Settings, check_text, is_valid_email
from incidentctl.errors import INVALID_INPUT, QUOTA_EXCEEDED, Declined, Refused, StoreChanged
from incidentctl.roles import Role, defined
from incidentctl.services.lookups import require_portal_admin
from incidentctl.services.progress import NO_PROGRESS, Confirm, Progress
from incidentctl.services.quota import load_policy
from incidentctl.store import Store
from incidentctl.store import roles as role_store
from incidentctl.store.quota import maximum_sql

_CHUNK = 10_000
_PER_ORG_COUNT_LIMIT = 50  # up to this many organisations, count each from its index

ARGUMENT = "argument"
LINE = "line"

BatchRow = tuple[str, int, str]
"""One row of a batch, a plain tuple (a million are cheap): where it came from
(:data:`ARGUMENT` or :data:`LINE` of a file), its number there, and the e-mail as given."""


class ResultRow(NamedTuple):
    """What happened (or would happen) to one row of a batch (a tuple: a million are cheap)."""

    email: str  # as stored; as given when no contact has it
    org: str | None
    status: str  # granted, revoked, unchanged or refused
    effective_at: str | None
    reason: str | None
    where: str  # "argument N" or "line N"
    cause: int | None  # a refusal's exit code


class BatchResults:
    """The rows of one batch, read from the store as they are iterated, so a million cost
    no memory. They can be read (any number of times) until the next batch on the same
    store starts; after that, reading them raises RuntimeError instead of giving another
    batch's rows."""

    __slots__ = ("_batch", "_conn", "_role")

    def __init__(self, conn: sqlite3.Connection, batch: int, role: Role) -> None:
        self._conn, self._batch, self._role = conn, batch, role

    def rows(self, *, refused_only: bool = False) -> Iterator[ResultRow]:
        """Every row in input order (only the refused ones, with ``refused_only``)."""
        found = role_store.iter_plan(self._conn, self._batch, refused_only=refused_only)
        return map(ResultRow._make, found)

    def documents(self) -> Iterator[str]:
        """The same rows as the JSON objects of the ``results`` of ``grant/revoke --json``,
        made by SQLite (:func:`incidentctl.documents.batch`)."""
        return role_store.iter_plan_json(self._conn, self._batch, self._role)


class BatchOutcome(NamedTuple):
    """What a batch did (or would do): its summary, its first refusal, and its rows."""

    action: Action
    role: Role
    applied: bool
    dry_run: bool
    summary: dict[str, int]
    first_refused: ResultRow | None  # the row whose refusal decides the exit code
    results: BatchResults

    @property
    def exit_code(self) -> int:
        """0, or the exit code of the first cause of refusal."""
        first = self.first_refused
        return 0 if first is None else first.cause or INVALID_INPUT

    @property
    def refusal(self) -> Refused | None:
        """The error a refused batch ends with, after its rows or document are shown: the
        exit code is the first cause's, and the message names that row's argument or line;
        None for a batch that was not refused."""
        first = self.first_refused
        if first is None:
            return None
        refused = self.summary["refused"]
        # The quota is about an organisation (named in the reason), not about one row.
        where = f" ({first.where})" if self.exit_code != QUOTA_EXCEEDED else ""
        return Refused(
            f"{self.action} refused for {refused:,} row{'s' if refused != 1 else ''}: "
            f"{first.reason}{where}",
            hint=_refusal_hint(self.exit_code, first),
            exit_code=self.exit_code,
        )


def _refusal_hint(exit_code: int, first: ResultRow) -> str:
    if exit_code == QUOTA_EXCEEDED:
        hint = (
            "revoke a submitter first, or ask the operator to raise the maximum "
            "('incidentctl org set ID --quota N --reason ...'); certified experts don't count"
        )
    elif first.reason == role_store.REASONS["inactive"]:
        hint = f"activate the contact first: incidentctl contacts set {first.email} --active"
    elif exit_code == INVALID_INPUT:
        hint = "correct the refused rows"
    else:
        hint = "check the addresses with 'incidentctl contacts list'"
    return f"{hint}; nothing was written"


def batch_rows(emails: list[str], lines: Iterable[tuple[int, str]] = ()) -> Iterator[BatchRow]:
    """The rows of a batch: the e-mail arguments (by position), then the (line, e-mail) of a
    ``--file``, each remembered by where it came from."""
    for position, email in enumerate(emails, start=1):
        yield (ARGUMENT, position, email.strip())
    for line, email in lines:
        yield (LINE, line, email)


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
    batch = role_store.start_batch(store.conn)
    iterator = iter(rows)
    while chunk := list(islice(iterator, _CHUNK)):
        role_store.add_to_batch(store.conn, chunk)
        progress.advance(len(chunk))
    progress.step("checking")
    plan = partial(
        plan_and_apply, batch=batch, actor=actor, now=now, settings=settings, action=action
    )
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
        return plan(
            conn,
            role=role,
            write=not dry_run,
            reason=reason,
            confirmed=confirmed,
            progress=progress,
        )


class Confirmed(NamedTuple):
    """What a person said yes to: the counts of the plan, and the organisations changed."""

    summary: dict[str, int]
    organisations: int


def _organisations(count: int) -> str:
    return f"{count:,} organisation{'s' if count != 1 else ''}"


def plan_and_apply(
    conn: sqlite3.Connection,
    batch: int,
    actor: Actor,
    now: datetime,
    settings: Settings,
    *,
    action: Action,
    role: Role,
    write: bool,
    reason: str | None,
    confirmed: Confirmed | None = None,
    progress: Progress = NO_PROGRESS,
) -> BatchOutcome:
    """Classify the loaded batch, check the quota, and (if nothing is refused) write it:
    changes take effect after the propagation delay; experts are those certified today.
    With ``confirmed``, the plan must still be what a person confirmed, or nothing is
    written (:class:`StoreChanged`). ``progress`` is told the "writing" step with its number
    of changes, then each chunk written."""
    today = _plan(conn, actor, now, settings, action=action, role=role)
    malformed = [
        pos for pos, given in role_store.unknown_in_plan(conn) if not is_valid_email(given)
    ]
    if malformed:
        role_store.refuse_in_plan(conn, malformed, INVALID_INPUT, "not a valid e-mail address")
    if action == "grant" and role.quota:
        _check_quota(conn, today, timeutil.to_iso(now))
    summary, first_refused = role_store.plan_summary(conn)
    if confirmed is not None:
        _require_confirmed(conn, action, summary, confirmed)
    applied = first_refused is None and write
    if applied and (summary["granted"] or summary["revoked"]):
        progress.step("writing", role_store.planned_changes(conn))
        role_store.apply_plan(
            conn,
            role=role,
            action=action,
            now=timeutil.to_iso(now),
            actor=actor.name,
            reason=reason,
            written=progress.advance,
        )
    return BatchOutcome(
        action=action,
        role=role,
        applied=applied,
        dry_run=not write,
        summary=summary,
        first_refused=None if first_refused is None else ResultRow._make(first_refused),
        results=BatchResults(conn, batch, role),
    )


def _plan(
    conn: sqlite3.Connection,
    actor: Actor,
    now: datetime,
    settings: Settings,
    *,
    action: Action,
    role: Role,
    within_org: str | None = None,
) -> date:
    """Classify the loaded batch (changes take effect after the propagation delay, and
    never before the previous change of the same contact and role); the business date
    whose experts it counted."""
    today = timeutil.local_date(now, settings.timezone)
    role_store.plan_batch(
        conn,
        action=action,
        role=role,
        today=today,
        effective_at=timeutil.to_iso(now + settings.propagation_delay),
        actor_org=actor.org_id,
        within_org=within_org,
    )
    return today


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
    written: Callable[[int], None] | None = None,
) -> BatchOutcome:
    """A batch inside the caller's write transaction (deactivation, ``apply``, the demo
    data): written unless refused; the caller ends a refused one. ``written`` is told how
    many changes each chunk wrote (``apply`` counts them in its own "writing" step)."""
    batch = role_store.start_batch(conn)
    role_store.add_to_batch(conn, batch_rows(list(emails)))
    return plan_and_apply(
        conn,
        batch,
        actor,
        now,
        settings,
        action=action,
        role=role,
        write=True,
        reason=reason,
        progress=NO_PROGRESS if written is None else _Written(written),
    )


class _Written:
    """The progress of a batch that is one part of a larger step: only its chunks count."""

    def __init__(self, written: Callable[[int], None]) -> None:
        self._written = written

    def advance(self, done: int) -> None:
        self._written(done)

    def step(
        self, name: str, total: int | None = None, *, unit: str = "rows", of_input: bool = False
    ) -> None:
        pass


def check_holders(
    conn: sqlite3.Connection,
    actor: Actor,
    now: datetime,
    settings: Settings,
    *,
    role: Role,
    org_id: str,
    emails: list[str],
) -> list[ResultRow]:
    """Whether each of ``emails`` may hold ``role`` in organisation ``org_id``, classified
    by the same plan as a grant (without its quota check, and writing nothing): refused
    (unknown, of another organisation, inactive: the words and exit codes of ``grant``),
    unchanged (holds it already) or granted (would get it). ``apply`` checks its file so."""
    batch = role_store.start_batch(conn)
    role_store.add_to_batch(conn, batch_rows(emails))
    _plan(conn, actor, now, settings, action="grant", role=role, within_org=org_id)
    return list(BatchResults(conn, batch, role).rows())


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
    for role in defined():
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
            (row,) = outcome.results.rows()
            revoked.append((role, timeutil.from_iso(row.effective_at or "")))
    return revoked
