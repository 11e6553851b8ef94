"""Organisations: add, change (incl. the operator's quota override), list, show."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple

from incidentctl import files, timeutil
from incidentctl.domain import (
    COUNT_HINT,
    LARGEST_COUNT,
    SECTOR_LENGTH,
    Actor,
    Organisation,
    check_text,
    parse_domains,
    parse_employees,
    parse_name,
    parse_org_id,
    require_operator,
    shown_org,
)
from incidentctl.errors import Declined, InvalidInput, StoreChanged
from incidentctl.services.imports import stage_rows
from incidentctl.services.lookups import require_org
from incidentctl.services.progress import NO_PROGRESS, Confirm, Progress
from incidentctl.services.quota import (
    QuotaStatus,
    every_status,
    load_policy,
    per_organisation,
    status_of,
)
from incidentctl.store import Store, audit
from incidentctl.store import contacts as contact_store
from incidentctl.store import imports as import_store
from incidentctl.store import orgs as org_store
from incidentctl.store import roles as role_store


def _sector(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return parse_name(text, "sector", longest=SECTOR_LENGTH).strip()


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
    domains: str | None = None,
    confirm: Confirm | None = None,
) -> tuple[Organisation, Organisation]:
    """``org set``: (before, after). ``sector=""`` clears the sector; ``quota`` with a
    ``reason`` sets the operator's override of the maximum, ``clear_quota`` removes it;
    ``domains`` (``a.nl,b.nl``) replaces the e-mail domains, ``""`` removes them.

    With ``confirm``, a maximum below the seats in use is put to ``confirm`` first (no lock
    held); the write refuses it (:class:`StoreChanged`) when the seats in use changed
    meanwhile, and a "no" raises :class:`Declined`."""
    require_operator(actor, "org set")
    if reason is not None:
        check_text(reason, "reason")
    new_domains = parse_domains(domains) if domains is not None else None
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
    today = timeutil.local_date(now, store.settings.timezone)
    confirmed_used: int | None = None
    if confirm is not None and quota is not None:
        with store.read() as conn:
            org = require_org(conn, org_id)
            used = role_store.submitter_counts(conn, org.id, today)[0]
        if quota < used and org.quota_override != quota:
            if not confirm(
                f"{org.id} uses {used:,} submitter seats; set its maximum to {quota:,} "
                f"(over quota by {used - quota:,})?"
            ):
                raise Declined("Nothing changed.")
            confirmed_used = used
    with store.write() as conn:
        before = require_org(conn, org_id)
        if confirmed_used is not None:
            used = role_store.submitter_counts(conn, before.id, today)[0]
            if used != confirmed_used:
                raise StoreChanged(
                    f"the store changed while you were deciding: {before.id} now uses "
                    f"{used:,} submitter seats, not {confirmed_used:,}; nothing was written",
                    hint="run it again",
                )
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
        if new_domains is not None:
            after = after._replace(domains=new_domains)
        if after != before:
            change(conn, actor, now, before, after, reason)
    return before, after


def change(
    conn: sqlite3.Connection,
    actor: Actor,
    now: datetime,
    before: Organisation,
    after: Organisation,
    reason: str | None,
) -> None:
    """Write a changed organisation and its ``org.set`` event (the changed fields only),
    inside the caller's transaction."""
    old, new = audit.changed(_fields(before), _fields(after))
    org_store.update(conn, after)
    audit.append(
        conn,
        at=timeutil.to_iso(now),
        actor=actor.name,
        action="org.set",
        org=before.id,
        before=old,
        after=new,
        reason=reason,
    )


# --- import -----------------------------------------------------------------------------

IMPORT_COLUMNS = ("id", "name", "employees", "sector", "domains")
_REQUIRED_COLUMNS = ("id", "name", "employees")
_HEADER_HINT = "the header is id,name,employees and optionally sector, domains"


class ImportResult(NamedTuple):
    added: int
    updated: int
    unchanged: int


_ADVANCE_EVERY = 1000


def _employees(text: str) -> int:
    if not text.strip().isascii() or not text.strip().isdigit():
        raise InvalidInput(f"employees must be a whole number from 0, got {text!r}")
    return parse_employees(int(text.strip()))


def _import_row(fields: dict[str, str], line: int, source: str) -> import_store.OrgRow:
    try:
        domains = parse_domains(fields["domains"]) if "domains" in fields else ()
        return (
            line,
            parse_org_id(fields["id"]),
            parse_name(fields["name"]),
            _employees(fields["employees"]),
            _sector(fields.get("sector")),
            int("sector" in fields),
            " ".join(domains) or None,
            int("domains" in fields),
        )
    except InvalidInput as exc:
        raise InvalidInput(files.at_line(source, line, exc.message), hint=exc.hint) from exc


def parse_orgs_csv(csv_file: files.CsvFile) -> Iterator[import_store.OrgRow]:
    """The rows of an organisations CSV, each validated as it is read (the header first)."""
    source = csv_file.source
    columns = files.csv_columns(csv_file, IMPORT_COLUMNS, _REQUIRED_COLUMNS, _HEADER_HINT)
    for line, record in csv_file:
        if len(record) != len(columns):
            raise InvalidInput(
                files.at_line(source, line, f"{len(record)} fields, the header has {len(columns)}")
            )
        yield _import_row(dict(zip(columns, record, strict=True)), line, source)


def import_csv(
    store: Store,
    actor: Actor,
    now: datetime,
    csv_file: files.CsvFile,
    *,
    dry_run: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportResult:
    """``org import``: add new organisations and update existing ones (only the columns the
    file has), audited as ``org.add``/``org.set``, all in one transaction or nothing.

    Like ``contacts import``, the file is read and staged first, without the write lock;
    ``dry_run`` applies the staged rows in a transaction that is rolled back.
    """
    require_operator(actor, "org import")
    source = csv_file.source
    import_store.start_orgs(store.conn)

    def repeated(row: import_store.OrgRow, first: int) -> InvalidInput:
        return InvalidInput(
            files.at_line(
                source, row[0], f"organisation {row[1]} is listed twice (first on line {first})"
            )
        )

    progress.step("reading", of_input=True)
    count = stage_rows(
        parse_orgs_csv(csv_file), partial(import_store.stage_orgs, store.conn), repeated, progress
    )
    added = updated = unchanged = 0
    progress.step("checking" if dry_run else "writing", count)
    transaction = store.trial() if dry_run else store.write()
    with transaction as conn:
        for number, staged in enumerate(import_store.staged_orgs(conn), start=1):
            if number % _ADVANCE_EVERY == 0:
                progress.advance(_ADVANCE_EVERY)
            _, org_id, name, employees, sector, sector_given, domains, domains_given = staged
            existing = org_store.get(conn, org_id)
            if existing is None:
                create(
                    conn,
                    actor,
                    now,
                    Organisation(
                        id=org_id,
                        name=name,
                        employees=employees,
                        sector=sector,
                        quota_override=None,
                        quota_override_reason=None,
                        domains=tuple(domains.split()) if domains else (),
                    ),
                )
                added += 1
                continue
            after = existing._replace(name=name, employees=employees)
            if sector_given:
                after = after._replace(sector=sector)
            if domains_given:
                after = after._replace(domains=tuple(domains.split()) if domains else ())
            if after == existing:
                unchanged += 1
            else:
                change(conn, actor, now, existing, after, None)
                updated += 1
    return ImportResult(added=added, updated=updated, unchanged=unchanged)


class OrgOverview(NamedTuple):
    """An organisation with its contact counts and quota, for ``org list`` and ``org show``.
    ``admins`` (e-mail, name) are its active portal admins, named for ``org show`` only."""

    org: Organisation
    contacts: int
    active_contacts: int
    portal_admins: int
    quota: QuotaStatus
    admins: list[tuple[str, str]] | None = None


def listing(store: Store, actor: Actor, now: datetime) -> list[org_store.ListingRow]:
    """The table of ``org list``: every organisation the actor may see (a portal user its
    own), with only what the table shows, in one statement (docs/performance.md)."""
    return per_organisation(store, actor, now, org_store.listing_rows)


def overviews(
    store: Store, actor: Actor, now: datetime, only: str | None = None
) -> list[OrgOverview]:
    """``org list`` (every organisation the actor may see) or ``org show`` (``only``). A
    portal user sees the override's reason only as "set by the vendor"."""
    if only is None and actor.contact is not None:
        only = actor.contact.org_id
    tz = store.settings.timezone
    with store.read() as conn:
        policy = load_policy(conn)
        if only is not None:
            org = require_org(conn, only, actor)
            contacts, active, admins = org_store.contact_counts(conn, org.id)
            return [
                OrgOverview(
                    shown_org(actor, org),
                    contacts,
                    active,
                    admins,
                    status_of(conn, org, policy, now, tz),
                    contact_store.portal_admins(conn, org.id),
                )
            ]
        # Every organisation: a few set-based queries, not a few per organisation.
        counts = org_store.contact_counts_by_org(conn)
        statuses = every_status(conn, policy, now, tz)
        return [
            OrgOverview(shown_org(actor, org), *counts.get(org.id, (0, 0, 0)), statuses[org.id])
            for org in org_store.iter_all(conn)
        ]
