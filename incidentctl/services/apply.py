"""``apply FILE``: make the role holders of the organisations in FILE match it (docs/apply.md),
like ``terraform plan/apply``: compute the plan, check it, apply all of it or nothing.

The contacts the file lists are checked by the plan of ``grant`` (one per organisation and
role), so an unknown contact, one of another organisation and an inactive one are refused in
the words and with the exit codes of ``grant``; the error names the file's line and key path.
"""

from __future__ import annotations

import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, NoReturn

from incidentctl import applyfile
from incidentctl.applyfile import OrgSection, Problem
from incidentctl.domain import Action, Actor
from incidentctl.errors import (
    INVALID_INPUT,
    QUOTA_EXCEEDED,
    Declined,
    NotFound,
    Refused,
    StoreChanged,
)
from incidentctl.roles import Role, defined
from incidentctl.services import roles as role_service
from incidentctl.services.lookups import activate_hint, require_org, require_portal_admin
from incidentctl.services.progress import NO_PROGRESS, Confirm, Progress
from incidentctl.store import Store
from incidentctl.store import contacts as contact_store
from incidentctl.store import roles as role_store


class Change(NamedTuple):
    """One role of one contact in the plan."""

    email: str
    role: Role
    org: str


@dataclass
class Plan:
    """What ``apply`` does (or would do, or did)."""

    source: str
    prune: bool
    dry_run: bool
    grant: list[Change] = field(default_factory=list)
    revoke: list[Change] = field(default_factory=list)
    not_in_file: list[Change] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False

    @property
    def changes(self) -> int:
        return len(self.grant) + len(self.revoke)


def apply(
    store: Store,
    actor: Actor,
    now: datetime,
    data: bytes,
    source: str,
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Progress = NO_PROGRESS,
    confirm: Confirm | None = None,
) -> Plan:
    """Plan the file against the store and apply it in one transaction (none on dry run).

    With ``confirm`` (and ``--prune``), a plan that revokes roles of more than one contact is
    first tried in a transaction that is rolled back, and put to ``confirm`` with no lock
    held; the real run must then make the same plan, or nothing is written
    (:class:`StoreChanged`). A "no" raises :class:`Declined`.
    """
    sections, problems = applyfile.parse(data, source)
    confirmed: tuple[list[Change], list[Change]] | None = None
    if confirm is not None and prune and not dry_run:
        trial = _run(store, actor, now, sections, problems, source, prune, True, progress)
        contacts = {change.email for change in trial.revoke}
        if len(contacts) > 1:
            if not confirm(_question(trial, source, len(contacts))):
                raise Declined("Nothing changed.")
            confirmed = (trial.grant, trial.revoke)
    return _run(store, actor, now, sections, problems, source, prune, dry_run, progress, confirmed)


def _question(plan: Plan, source: str, contacts: int) -> str:
    organisations = len({change.org for change in plan.revoke})
    where = f"{organisations:,} organisation{'s' if organisations != 1 else ''}"
    whom = f"{contacts:,} contact{'s' if contacts != 1 else ''}"
    revoke = (
        f"revoke {whom}"
        if len(plan.revoke) == contacts
        else f"revoke {len(plan.revoke):,} roles of {whom}"
    )
    return f"Apply {source}: grant {len(plan.grant):,}, {revoke} in {where}?"


def _run(
    store: Store,
    actor: Actor,
    now: datetime,
    sections: list[OrgSection],
    problems: list[Problem],
    source: str,
    prune: bool,
    dry_run: bool,
    progress: Progress,
    confirmed: tuple[list[Change], list[Change]] | None = None,
) -> Plan:
    plan = Plan(source=source, prune=prune, dry_run=dry_run)
    transaction = store.trial() if dry_run else store.write()
    with transaction as conn:
        require_portal_admin(conn, actor, "apply role assignments")
        progress.step("checking", len(sections), unit="organisations")
        found = problems + _plan(conn, store, actor, now, sections, plan, progress)
        if found:
            _refuse(found, source)
        if confirmed is not None and (plan.grant, plan.revoke) != confirmed:
            raise StoreChanged(
                "the store changed while you were deciding: the file would now grant "
                f"{len(plan.grant):,} and revoke {len(plan.revoke):,}, not "
                f"{len(confirmed[0]):,} and {len(confirmed[1]):,}; nothing was written",
                hint="run it again",
            )
        progress.step("writing", plan.changes)
        for role in defined():
            revokes = [c.email for c in plan.revoke if c.role == role]
            grants = [c.email for c in plan.grant if c.role == role]
            steps: tuple[tuple[Action, list[str]], ...] = (("revoke", revokes), ("grant", grants))
            for action, emails in steps:
                if not emails:
                    continue
                outcome = role_service.apply_emails(
                    conn,
                    actor,
                    now,
                    store.settings,
                    action=action,
                    role=role,
                    emails=emails,
                    reason=f"apply {source}",
                    written=progress.advance,
                )
                if outcome.first_refused is not None:
                    _refuse_quota(outcome.first_refused, sections, source, prune)
        plan.applied = not dry_run
    return plan


def _plan(
    conn: sqlite3.Connection,
    store: Store,
    actor: Actor,
    now: datetime,
    sections: list[OrgSection],
    plan: Plan,
    progress: Progress,
) -> list[Problem]:
    problems: list[Problem] = []
    for section in sections:
        progress.advance(1)
        try:
            org = require_org(conn, section.org_id, actor)
        except NotFound as exc:  # another organisation reads, to a portal user, as unknown
            problems.append(Problem(section.line, section.path, exc.message, exc.exit_code))
            continue
        for role, entries in section.roles.items():
            checked = role_service.check_holders(
                conn,
                actor,
                now,
                store.settings,
                role=role,
                org_id=org.id,
                emails=[entry.email for entry in entries],
            )
            desired = set()
            for entry, row in zip(entries, checked, strict=True):
                if row.status == "refused":
                    message = f"{entry.email}: {row.reason}"
                    hint = None
                    if row.reason == role_store.REASONS["inactive"]:
                        contact = contact_store.get_by_email(conn, row.email)
                        hint = None if contact is None else activate_hint(conn, contact, actor)
                    problems.append(
                        Problem(entry.line, entry.path, message, row.cause or INVALID_INPUT, hint)
                    )
                    continue
                desired.add(row.email)
                if row.status == "unchanged":
                    plan.unchanged += 1
                else:
                    plan.grant.append(Change(row.email, role, org.id))
            for _, email in role_store.holders(conn, org.id, role):
                if email not in desired:
                    extra = Change(email, role, org.id)
                    (plan.revoke if plan.prune else plan.not_in_file).append(extra)
    return problems


def _refuse(problems: list[Problem], source: str) -> None:
    """Raise the most fundamental problem (lowest exit code, then the first in the file)."""
    order = {id(problem): number for number, problem in enumerate(problems)}
    first = min(
        problems,
        key=lambda p: (p.exit_code, p.line if p.line is not None else sys.maxsize, order[id(p)]),
    )
    others = len(problems) - 1
    raise Refused(
        first.describe(source),
        hint=(f"{first.hint}; " if first.hint else "")
        + (f"{others} more problem{'s' if others != 1 else ''} in the file; " if others else "")
        + "nothing was written",
        exit_code=first.exit_code,
    )


def _refuse_quota(
    refused: role_service.ResultRow, sections: list[OrgSection], source: str, prune: bool
) -> NoReturn:
    """Raise the quota refusal of a step, naming the table of the first refused organisation."""
    section = next((s for s in sections if s.org_id == refused.org), None)
    message = refused.reason or "quota exceeded"
    hint = (
        "list fewer submitters in the file, or ask the operator to raise the maximum"
        if prune
        else "to swap holders in a full quota, apply with --prune (it revokes the holders "
        "the file does not list), or ask the operator to raise the maximum"
    )
    where = (
        Problem(section.line, section.path, message, QUOTA_EXCEEDED).describe(source)
        if section is not None
        else f"{source}: {message}"
    )
    raise Refused(where, hint=f"{hint}; nothing was written", exit_code=QUOTA_EXCEEDED)
