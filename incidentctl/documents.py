"""Every document of docs/json.md, built in one place: the ``--json`` documents and, beside
each listing's, the columns of its ``--csv`` form.

A command hands its service's values to the function of its document here and prints what
it gets (:mod:`incidentctl.output`). Where SQLite builds a document for speed (``contacts
list``, the results of ``grant``/``revoke``), the keys are still defined here and the store
builds its JSON from them; the store function that does so is named beside the keys.

Keys may be added, never renamed or removed (docs/json.md, "Stable keys"), and each
document's keys are in the order docs/json.md lists them; ``tests/test_json_contract.py``
and ``tests/test_csv_contract.py`` pin every one. Times are UTC ISO 8601 text
(:func:`incidentctl.timeutil.to_iso`), dates ``YYYY-MM-DD``, and no value is an empty
string. Pure functions, imported by the command that prints the document (and by the store,
for keys): nothing heavy at module level. A shared module (docs/architecture.md, "Layers"):
the services' values it reads are named for the type checker only, never imported when it
runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from incidentctl import timeutil

if TYPE_CHECKING:
    from incidentctl.domain import Contact, Organisation
    from incidentctl.permissions import Permission
    from incidentctl.policy import Derivation, Policy
    from incidentctl.roles import Role
    from incidentctl.services.apply import Change, Plan
    from incidentctl.services.audit_log import Event
    from incidentctl.services.contacts import ContactDetail, Moved
    from incidentctl.services.contacts import ImportResult as ContactImport
    from incidentctl.services.orgs import ImportResult as OrgImport
    from incidentctl.services.orgs import OrgOverview
    from incidentctl.services.portal import Access, Readiness, Submitted
    from incidentctl.services.quota import MaximaChange, QuotaStatus
    from incidentctl.services.recount import Report
    from incidentctl.services.roles import BatchOutcome
    from incidentctl.services.settings import SettingView
    from incidentctl.services.store_file import Backup, Check, StoreLocation

Document = dict[str, Any]


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else timeutil.to_iso(moment)


def stored_json(text: str | None) -> Any:
    """A value the store keeps as JSON text (an event's before and after), decoded."""
    if text is None:
        return None
    import json

    return json.loads(text)


def _revoked(revoked: Iterable[tuple[Role, datetime]]) -> list[Document]:
    return [{"role": role.name, "effective_at": _time(at)} for role, at in revoked]


# --- contacts --------------------------------------------------------------------------------

CONTACT_KEYS = ("email", "org", "name", "active", "portal_admin", "expert_until")
"""The keys of a contact in every document that shows one."""

CONTACT_LISTING_KEYS = (*CONTACT_KEYS, "roles")
"""``contacts list --json`` (one object per contact) and the columns of ``contacts list
--csv``, in order. SQLite builds both forms, from these keys:
:func:`incidentctl.store.contacts.listing`."""


def contact(contact: Contact) -> Document:
    """A contact: the keys of :data:`CONTACT_KEYS`."""
    return {
        "email": contact.email,
        "org": contact.org_id,
        "name": contact.name,
        "active": contact.active,
        "portal_admin": contact.portal_admin,
        "expert_until": contact.expert_until.isoformat() if contact.expert_until else None,
    }


def contact_added(added: Contact, created: bool) -> Document:
    """``contacts add --json``."""
    return {**contact(added), "created": created}


def contact_changed(
    before: Contact, after: Contact, revoked: Iterable[tuple[Role, datetime]]
) -> Document:
    """``contacts set --json``: the contact after the change."""
    return {**contact(after), "changed": before != after, "revoked": _revoked(revoked)}


def contact_moved(moved: Moved) -> Document:
    """``contacts move --json``."""
    return {
        **contact(moved.after),
        "from_org": moved.before.org_id,
        "moved": moved.before != moved.after,
        "revoked": _revoked(moved.revoked),
    }


def contact_shown(detail: ContactDetail) -> Document:
    """``contacts show --json``; a restricted view leaves out what the viewer may not see."""
    shown = contact(detail.contact)
    if detail.restricted:
        shown.update(active=None, expert_until=None)
    changes = detail.latest_changes
    return {
        **shown,
        "expert": detail.expert_today,
        "roles": None
        if changes is None
        else [role.name for role, change in changes.items() if change.action == "grant"],
        "role_changes": None
        if changes is None
        else [
            {
                "role": role.name,
                "action": change.action,
                "requested_at": _time(change.requested_at),
                "effective_at": _time(change.effective_at),
                "actor": change.actor,
                "reason": change.reason,
            }
            for role, change in changes.items()
        ],
        "restricted": detail.restricted,
    }


def contacts_imported(result: ContactImport, dry_run: bool) -> Document:
    """``contacts import --json``."""
    return {
        "added": result.added,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "revoked": result.revoked,
        "dry_run": dry_run,
    }


# --- organisations and quota ----------------------------------------------------------------


def quota(status: QuotaStatus) -> Document:
    """``quota ID --json``."""
    published = status.published
    return {
        "org": status.org,
        "maximum": status.maximum,
        "used": status.used,
        "remaining": status.remaining,
        "experts": status.experts,
        "over_quota": status.over_quota,
        "published": None
        if published is None
        else {
            "business_date": published.business_date,
            "maximum": published.maximum,
            "used": published.used,
        },
    }


QUOTA_CSV_COLUMNS = (
    "org",
    "maximum",
    "used",
    "remaining",
    "experts",
    "over_quota",
    "published_business_date",
    "published_maximum",
    "published_used",
)
"""The columns of ``quota --csv``: the keys of ``quota --json`` with ``published`` flattened."""


def quota_csv_row(status: QuotaStatus) -> list[object]:
    """One row of ``quota --csv``, from the same document as ``--json``."""
    document = quota(status)
    published = document["published"] or {}
    return [
        *(document[key] for key in QUOTA_CSV_COLUMNS[:6]),
        published.get("business_date"),
        published.get("maximum"),
        published.get("used"),
    ]


def organisation(view: OrgOverview) -> Document:
    """``org show --json`` (with ``admins``) and an item of ``org list --json``."""
    org = view.org
    document: Document = {
        "id": org.id,
        "name": org.name,
        "employees": org.employees,
        "sector": org.sector,
        "quota_override": org.quota_override,
        "quota_override_reason": org.quota_override_reason,
        "domains": list(org.domains),
        "contacts": view.contacts,
        "active_contacts": view.active_contacts,
        "portal_admins": view.portal_admins,
        "quota": quota(view.quota),
    }
    if view.admins is not None:  # org show: who to ask for a role
        document["admins"] = [{"email": email, "name": name} for email, name in view.admins]
    return document


ORG_CSV_COLUMNS = (
    "id",
    "name",
    "employees",
    "sector",
    "quota_override",
    "quota_override_reason",
    "contacts",
    "active_contacts",
    "portal_admins",
    *QUOTA_CSV_COLUMNS[1:],
    "domains",
)
"""The columns of ``org list --csv``: the keys of ``org list --json`` with its ``quota``
object flattened; ``domains`` came later, so it is the last column (joined with ``;``)."""


def organisation_csv_row(view: OrgOverview) -> list[object]:
    """One row of ``org list --csv``, from the same document as ``--json``."""
    document = organisation(view)
    return [
        *(document[key] for key in ORG_CSV_COLUMNS[:9]),
        *quota_csv_row(view.quota)[1:],
        ";".join(document["domains"]),
    ]


def org_added(org: Organisation, created: bool) -> Document:
    """``org add --json``."""
    return {
        "id": org.id,
        "name": org.name,
        "employees": org.employees,
        "sector": org.sector,
        "created": created,
    }


def org_changed(before: Organisation, after: Organisation) -> Document:
    """``org set --json``: the organisation after the change."""
    return {
        "id": after.id,
        "changed": before != after,
        "name": after.name,
        "employees": after.employees,
        "sector": after.sector,
        "quota_override": after.quota_override,
        "quota_override_reason": after.quota_override_reason,
        "domains": list(after.domains),
    }


def orgs_imported(result: OrgImport, dry_run: bool) -> Document:
    """``org import --json``."""
    return {
        "added": result.added,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "dry_run": dry_run,
    }


def quota_explained(org: Organisation, derivation: Derivation) -> Document:
    """``quota explain ID --json``."""
    band = derivation.band
    return {
        "org": org.id,
        "employees": org.employees,
        "sector": org.sector,
        "maximum": derivation.maximum,
        "source": derivation.source,
        "policy_sector": derivation.sector,
        "policy_maximum": derivation.policy_maximum,
        "band": {
            "from_employees": band.from_employees,
            "until_employees": derivation.band_until,
            "maximum": band.maximum,
        },
        "override": None
        if derivation.override is None
        else {"maximum": derivation.override, "reason": derivation.override_reason},
    }


def policy_shown(policy: Policy, is_default: bool) -> Document:
    """``policy show --json``; the policy is :func:`incidentctl.policy.to_document`'s."""
    from incidentctl.policy import to_document

    return {"default": is_default, "policy": to_document(policy)}


def policy_loaded(source: str, dry_run: bool, policy: Policy, maxima: MaximaChange) -> Document:
    """``policy load --json``."""
    from incidentctl.policy import to_document

    return {
        "loaded": source,
        "dry_run": dry_run,
        "policy": to_document(policy),
        "maxima": {
            "lower": maxima.lower,
            "higher": maxima.higher,
            "over_quota": maxima.over_quota,
        },
    }


# --- grant and revoke ---------------------------------------------------------------------------

RESULT_KEYS = ("email", "role", "status", "effective_at", "reason")
"""An item of the ``results`` of ``grant``/``revoke --json``. SQLite builds them, from these
keys: :func:`incidentctl.store.roles.iter_plan_json`."""

SUMMARY_KEYS = ("granted", "revoked", "unchanged", "refused")
"""The ``summary`` of ``grant``/``revoke --json``: how many rows of each status."""


class Streamed(NamedTuple):
    """A document with one array too long to hold in memory: the keys before it, the
    array's key and its items (JSON text, streamed), and the keys after it."""

    head: Document
    key: str
    items: Iterator[str]
    tail: Document


def batch(outcome: BatchOutcome) -> Streamed:
    """``grant``/``revoke --json``: a million results stream from the store."""
    return Streamed(
        head={
            "applied": outcome.applied,
            "dry_run": outcome.dry_run,
            "action": outcome.action,
            "role": outcome.role.name,
        },
        key="results",
        items=outcome.results.documents(),
        tail={"summary": {key: outcome.summary[key] for key in SUMMARY_KEYS}},
    )


def _change_item(change: Change) -> Document:
    return {"email": change.email, "role": change.role.name, "org": change.org}


def apply_plan(plan: Plan) -> Document:
    """``apply --json``."""
    return {
        "applied": plan.applied,
        "dry_run": plan.dry_run,
        "prune": plan.prune,
        "grant": [_change_item(c) for c in plan.grant],
        "revoke": [_change_item(c) for c in plan.revoke],
        "unchanged": plan.unchanged,
        "not_in_file": [_change_item(c) for c in plan.not_in_file],
    }


# --- where a contact stands -------------------------------------------------------------------


def _permission(permission: Permission) -> Document:
    return {
        "status": permission.status,
        "allowed": permission.allowed,
        "effective_at": _time(permission.effective_at),
        "reason": permission.reason,
    }


def check(access: Access) -> Document:
    """``check EMAIL --json``: one object per portal permission, under its key
    (:data:`incidentctl.roles.PERMISSIONS`: ``submit``, ``view_all``)."""
    return {
        "email": access.contact.email,
        "at": _time(access.at),
        **{kind.key: _permission(decided) for kind, decided in access.permissions.items()},
        "advice": access.advice,
    }


PENDING_KEYS = ("email", "org", "role", "action", "requested_at", "effective_at")
"""An item of ``pending --json``, and the columns of ``pending --csv``: the store's rows
(:func:`incidentctl.store.roles.pending`) in this order."""


def pending(rows: Iterable[Sequence[object]]) -> Iterator[Document]:
    """The items of ``pending --json``, as the rows stream."""
    return (dict(zip(PENDING_KEYS, row, strict=True)) for row in rows)


def login(contact: Contact, at: datetime) -> Document:
    """``login --json``."""
    return {"email": contact.email, "at": _time(at)}


def incident_submitted(submitted: Submitted) -> Document:
    """``incidents submit --json``."""
    return {
        "id": submitted.id,
        "email": submitted.contact.email,
        "org": submitted.contact.org_id,
        "submitted_at": _time(submitted.at),
    }


INCIDENT_KEYS = ("id", "submitted_at", "org", "email", "subject", "body")
"""An item of ``incidents list --json``, and the columns of ``incidents list --csv``."""


def incidents(rows: Iterable[Sequence[object]]) -> list[Document]:
    """``incidents list --json``: no value is "", so a missing body is null."""
    return [{**dict(zip(INCIDENT_KEYS, row, strict=True)), "body": row[5] or None} for row in rows]


READINESS_COLUMNS = ("finding", "org", "name", "email", "last_submitted")
"""The columns of ``readiness --csv``: one row per finding."""


def readiness(report: Readiness) -> Document:
    """``readiness --json``."""
    return {
        "enforcement_date": _time(report.enforcement_date),
        "before_enforcement": report.before_enforcement,
        "days": report.days,
        "organisations_without_submitter": [
            {"org": org_id, "name": name} for org_id, name in report.organisations_without_submitter
        ],
        "contacts_without_role": [
            {"email": email, "org": org_id, "last_submitted": last}
            for email, org_id, last in report.contacts_without_role
        ],
    }


def readiness_csv_rows(report: Readiness) -> list[tuple[object, ...]]:
    """The rows of ``readiness --csv``: ``no_submitter`` per organisation, ``no_role`` per
    contact, each with the cells of its finding."""
    return [
        *(
            ("no_submitter", org_id, name, None, None)
            for org_id, name in report.organisations_without_submitter
        ),
        *(
            ("no_role", org_id, None, email, last)
            for email, org_id, last in report.contacts_without_role
        ),
    ]


# --- the nightly recount ------------------------------------------------------------------------


def recount(report: Report) -> Document:
    """``recount --json``; the store keeps the same document as the run's report (read back
    by :meth:`incidentctl.services.recount.Report.from_document`)."""
    return {
        "business_date": report.business_date,
        "status": report.status,
        "forced": report.forced,
        "organisations": report.organisations,
        "over_quota": [
            {"org": o.org, "used": o.used, "maximum": o.maximum} for o in report.over_quota
        ],
        "lapsed_experts": [
            {
                "email": e.email,
                "org": e.org,
                "expert_until": e.expert_until,
                "submitter": e.submitter,
            }
            for e in report.lapsed_experts
        ],
        "lapsed_since": report.lapsed_since,
        "without_admin": report.without_admin,
        "nobody_can_submit": report.nobody_can_submit,
        "pending_changes": report.pending_changes,
    }


# --- the store and its settings ---------------------------------------------------------------


def init(path: Path, created: bool, demo_added: bool) -> Document:
    """``init --json``."""
    return {"path": str(path), "created": created, "demo_added": demo_added}


LOG_CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "org",
    "contact",
    "role",
    "reason",
    "before",
    "after",
)
"""The columns of ``log --csv``; ``before`` and ``after`` are JSON text there."""


def events(events: Iterable[Event]) -> Iterator[Document]:
    """The items of ``log --json``, as the events stream."""
    return (
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "org": e.org,
            "contact": e.contact,
            "role": e.role,
            "reason": e.reason,
            "before": stored_json(e.before),
            "after": stored_json(e.after),
        }
        for e in events
    )


def event_csv_rows(events: Iterable[Event]) -> Iterator[tuple[object, ...]]:
    """The rows of ``log --csv``, in :data:`LOG_CSV_COLUMNS`."""
    return (
        (e.id, e.at, e.actor, e.action, e.org, e.contact, e.role, e.reason, e.before, e.after)
        for e in events
    )


def settings(views: Iterable[SettingView], clock: str | None) -> Document:
    """``settings show --json``: one key per setting, and the simulated clock."""
    return {**{view.key: view.value for view in views}, "clock": clock}


def setting_changed(key: str, before: str, after: str) -> Document:
    """``settings set --json``."""
    return {"key": key.strip().lower(), "before": before, "after": after}


def clock(now: datetime, source: str, simulated: str | None) -> Document:
    """``clock show|set|advance|reset --json``."""
    return {"now": _time(now), "source": source, "simulated": simulated}


def doctor(checks: Sequence[Check]) -> Document:
    """``doctor --json``."""
    return {
        "healthy": all(check.ok for check in checks),
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
    }


def where(location: StoreLocation) -> Document:
    """``where --json``."""
    return {"path": str(location.path), "source": location.source, "exists": location.exists}


def backup(copy: Backup) -> Document:
    """``backup --json``."""
    return {"path": str(copy.path), "bytes": copy.bytes, "pages": copy.pages}
