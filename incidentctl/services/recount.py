"""The nightly recount (docs/concepts.md, rules 4 and 5; docs/cron.md): publish every
organisation's maximum and used count for the business date, and report what needs
attention.

The figures are computed set-based inside a read snapshot, which blocks nobody (WAL); only
the publication itself takes the write lock, briefly, in one transaction, so a grant made
meanwhile waits milliseconds and a crash leaves the previous publication as it was.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from incidentctl import documents, timeutil
from incidentctl.domain import Actor, require_operator
from incidentctl.services.progress import NO_PROGRESS, Progress
from incidentctl.services.quota import load_policy
from incidentctl.store import Store, audit
from incidentctl.store import recount as recount_store
from incidentctl.store import roles as role_store
from incidentctl.store.quota import maximum_sql


class OverQuota(NamedTuple):
    org: str
    used: int
    maximum: int


class LapsedExpert(NamedTuple):
    email: str
    org: str
    expert_until: str
    submitter: bool


class Report(NamedTuple):
    """What a recount found (the ``recount --json`` document of docs/json.md)."""

    business_date: str
    status: str  # "done" or "skipped"
    organisations: int
    over_quota: list[OverQuota]
    lapsed_experts: list[LapsedExpert]
    lapsed_since: str | None
    without_admin: list[str]
    nobody_can_submit: list[str]
    pending_changes: int
    forced: bool

    @property
    def needs_attention(self) -> bool:
        """Whether there is anything to report (``--quiet`` prints only then)."""
        return bool(
            self.status == "done"
            and (
                self.over_quota
                or self.lapsed_experts
                or self.without_admin
                or self.nobody_can_submit
                or self.pending_changes
            )
        )

    @classmethod
    def from_document(cls, document: dict[str, Any], status: str) -> Report:
        """The report of an earlier run from the document the store kept, which
        :func:`incidentctl.documents.recount` made; keys added since then take a default."""
        return cls(
            business_date=document["business_date"],
            status=status,
            forced=document.get("forced", False),
            organisations=document["organisations"],
            over_quota=[OverQuota(**o) for o in document["over_quota"]],
            lapsed_experts=[LapsedExpert(**e) for e in document["lapsed_experts"]],
            lapsed_since=document.get("lapsed_since"),
            without_admin=list(document["without_admin"]),
            nobody_can_submit=list(document["nobody_can_submit"]),
            pending_changes=document["pending_changes"],
        )


def business_date(store: Store, now: datetime) -> date:
    """Today in the store's timezone: a daylight-saving day is still one date."""
    return timeutil.local_date(now, store.settings.timezone)


def recount(
    store: Store,
    actor: Actor,
    now: datetime,
    *,
    force: bool = False,
    progress: Progress = NO_PROGRESS,
) -> Report:
    """``recount``: compute and publish for today's business date, once unless forced;
    ``progress`` is told of each query of the count, then of the publication."""
    import json

    require_operator(actor, "recount")
    today = business_date(store, now)
    day = today.isoformat()
    with store.read() as conn:
        previous = recount_store.run_for_date(conn, day)
    if previous is not None and not force:
        return Report.from_document(json.loads(previous[1]), "skipped")
    started = time.monotonic()
    report = _compute(store, now, today, force, progress)
    progress.step("publishing")
    with store.write() as conn:
        previous = recount_store.run_for_date(conn, day)
        if previous is not None and not force:  # another recount published meanwhile
            return Report.from_document(json.loads(previous[1]), "skipped")
        # Both ends on the command's clock, so a simulated run takes its real duration.
        finished = now + timedelta(seconds=time.monotonic() - started)
        recount_store.publish(
            conn,
            business_date=day,
            started_at=timeutil.to_iso(now),
            finished_at=timeutil.to_iso(finished),
            forced=force,
            report=json.dumps(documents.recount(report), ensure_ascii=False),
        )
        audit.append(
            conn,
            at=timeutil.to_iso(now),
            actor=actor.name,
            action="recount",
            after={
                "business_date": day,
                "forced": force,
                "organisations": report.organisations,
                "over_quota": len(report.over_quota),
                "lapsed_experts": len(report.lapsed_experts),
                "without_admin": len(report.without_admin),
                "nobody_can_submit": len(report.nobody_can_submit),
                "pending_changes": report.pending_changes,
            },
        )
    return report


_COUNTING_STEPS = 7


def _compute(store: Store, now: datetime, today: date, force: bool, progress: Progress) -> Report:
    """Every figure (into a temporary table) and report item, from one snapshot."""
    day = today.isoformat()
    moment = timeutil.to_iso(now)
    progress.step("counting", _COUNTING_STEPS, unit="steps")
    with store.read() as conn:
        recount_store.compute_figures(conn, maximum_sql(conn, load_policy(conn)), day, moment)
        progress.advance(1)
        held_through_pending = role_store.orgs_held_through_pending(conn, moment)
        progress.advance(1)
        last = recount_store.last_run_date(conn, day)
        organisations = recount_store.figure_count(conn)
        over_quota = [OverQuota(*row) for row in recount_store.over_quota(conn)]
        progress.advance(1)
        # The first run reports every certification that has lapsed.
        lapsed = [LapsedExpert(*row) for row in recount_store.lapsed_experts(conn, last or "", day)]
        progress.advance(1)
        without_admin = recount_store.without_admin(conn)
        progress.advance(1)
        nobody_can_submit = [
            org_id
            for org_id in recount_store.without_submitter_in_effect(conn)
            if org_id not in held_through_pending
        ]
        progress.advance(1)
        pending_changes = role_store.pending_count(conn, moment)
        progress.advance(1)
    return Report(
        business_date=day,
        status="done",
        forced=force,
        organisations=organisations,
        over_quota=over_quota,
        lapsed_experts=lapsed,
        lapsed_since=last,
        without_admin=without_admin,
        nobody_can_submit=nobody_can_submit,
        pending_changes=pending_changes,
    )
