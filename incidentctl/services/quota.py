"""Quota: an organisation's maximum (policy, override), live use, and the published figure."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

from incidentctl import policy as quota_policy
from incidentctl import timeutil
from incidentctl.domain import Actor, Organisation, require_operator, shown_org
from incidentctl.errors import Declined, StoreChanged
from incidentctl.services.lookups import require_org
from incidentctl.services.progress import Confirm
from incidentctl.store import Store
from incidentctl.store import orgs as org_store
from incidentctl.store import quota as quota_store
from incidentctl.store import recount as recount_store
from incidentctl.store import roles as role_store
from incidentctl.store.recount import Publication


class QuotaStatus(NamedTuple):
    """Maximum, live use and the last published figure of one organisation."""

    org: str
    maximum: int
    used: int
    experts: int
    published: Publication | None

    @property
    def remaining(self) -> int:
        """Seats left for non-expert submitters; 0 when over quota."""
        return max(self.maximum - self.used, 0)

    @property
    def over_quota(self) -> bool:
        return self.used > self.maximum


def load_policy(conn: sqlite3.Connection) -> quota_policy.Policy:
    """The policy in the store, or the documented default when none was loaded."""
    return quota_store.read_policy(conn)[0]


def status_of(
    conn: sqlite3.Connection,
    org: Organisation,
    policy: quota_policy.Policy,
    now: datetime,
    tz: ZoneInfo,
) -> QuotaStatus:
    """The quota of ``org`` at ``now``, read inside the caller's transaction."""
    used, experts = role_store.submitter_counts(conn, org.id, timeutil.local_date(now, tz))
    return QuotaStatus(
        org=org.id,
        maximum=quota_policy.derive(policy, org).maximum,
        used=used,
        experts=experts,
        published=recount_store.latest_publication(conn, org.id),
    )


def status(store: Store, actor: Actor, now: datetime, org_id: str) -> QuotaStatus:
    """``quota ID``."""
    with store.read() as conn:
        org = require_org(conn, org_id, actor)
        return status_of(conn, org, load_policy(conn), now, store.settings.timezone)


def statuses(store: Store, actor: Actor, now: datetime) -> list[QuotaStatus]:
    """``quota`` without an id: every organisation the actor may see (a portal user its own)."""
    return _statuses(per_organisation(store, actor, now, quota_store.every_quota))


def shown(
    store: Store, actor: Actor, now: datetime, words: tuple[str, str, str]
) -> list[quota_store.ShownQuota]:
    """The ``quota`` table, each row ready to show (:func:`incidentctl.store.quota.shown_quota`;
    ``words`` are yes, no and none as the output writes them)."""
    return per_organisation(store, actor, now, partial(quota_store.shown_quota, words=words))


T = TypeVar("T")

EveryOrganisation = Callable[
    [sqlite3.Connection, tuple[str, dict[str, Any]], str, str, str | None], T
]
"""A read of every organisation in one statement: (connection, the maximum as
:func:`incidentctl.store.quota.maximum_sql` gives it, today and now as ISO text, and the one
organisation to read or None for all)."""


def per_organisation(store: Store, actor: Actor, now: datetime, read: EveryOrganisation[T]) -> T:
    """``read`` over every organisation the actor may see (a portal user: its own), with the
    policy's maximum in SQL and the date and time it counts at (docs/performance.md)."""
    only = None if actor.contact is None else actor.contact.org_id
    with store.read() as conn:
        return read(
            conn,
            quota_store.maximum_sql(conn, load_policy(conn)),
            timeutil.local_date(now, store.settings.timezone).isoformat(),
            timeutil.to_iso(now),
            only,
        )


def every_status(
    conn: sqlite3.Connection, policy: quota_policy.Policy, now: datetime, tz: ZoneInfo
) -> dict[str, QuotaStatus]:
    """The quota of every organisation by id (in id order), read inside the caller's
    transaction in one set-based statement: the maxima are the policy in SQL, the counts one
    pass over the current holders (docs/performance.md)."""
    rows = quota_store.every_quota(
        conn,
        quota_store.maximum_sql(conn, policy),
        timeutil.local_date(now, tz).isoformat(),
        timeutil.to_iso(now),
    )
    return {status.org: status for status in _statuses(rows)}


def _statuses(rows: list[quota_store.QuotaRow]) -> list[QuotaStatus]:
    return [
        QuotaStatus(*row[:4], None if row[4] is None else Publication._make(row[4:]))
        for row in rows
    ]


def explain(
    store: Store, actor: Actor, org_id: str
) -> tuple[Organisation, quota_policy.Derivation]:
    """``quota explain ID``: the organisation and how its maximum was derived."""
    with store.read() as conn:
        org = shown_org(actor, require_org(conn, org_id, actor))
        return org, quota_policy.derive(load_policy(conn), org)


def show_policy(store: Store, actor: Actor) -> tuple[quota_policy.Policy, bool]:
    """``policy show``: the policy and whether it is the built-in default."""
    require_operator(actor, "policy show")
    with store.read() as conn:
        return quota_store.read_policy(conn)


class MaximaChange(NamedTuple):
    """What loading a policy does to the maxima: how many organisations get a lower and a
    higher one, and how many would then be over quota (an override keeps its maximum)."""

    lower: int
    higher: int
    over_quota: int

    @property
    def changes(self) -> bool:
        return bool(self.lower or self.higher)


class LoadedPolicy(NamedTuple):
    """``policy load``: the policy (now in force, or on a dry run checked) and its effect."""

    policy: quota_policy.Policy
    maxima: MaximaChange


def maxima_change(
    conn: sqlite3.Connection,
    old: quota_policy.Policy,
    new: quota_policy.Policy,
    now: datetime,
    tz: ZoneInfo,
) -> MaximaChange:
    """What replacing ``old`` by ``new`` does to every organisation's maximum, read inside
    the caller's transaction."""
    used = role_store.submitter_counts_by_org(
        conn, timeutil.local_date(now, tz), timeutil.to_iso(now)
    )
    lower = higher = over = 0
    for org in org_store.iter_all(conn):
        before = quota_policy.derive(old, org).maximum
        after = quota_policy.derive(new, org).maximum
        lower += after < before
        higher += after > before
        counts = used.get(org.id)
        over += counts is not None and counts.used > after
    return MaximaChange(lower, higher, over)


def load_policy_file(
    store: Store,
    actor: Actor,
    now: datetime,
    data: bytes,
    source: str,
    *,
    dry_run: bool = False,
    confirm: Confirm | None = None,
) -> LoadedPolicy:
    """``policy load FILE``: validate the whole file, then store it (audited); with
    ``dry_run`` only validate it and say what it would change.

    With ``confirm``, a policy that changes any organisation's maximum is put to ``confirm``
    first (no lock held); the write refuses it (:class:`StoreChanged`) when its effect on
    the maxima is no longer what was confirmed, and a "no" raises :class:`Declined`."""
    require_operator(actor, "policy load")
    new = quota_policy.parse_toml(data, source)
    tz = store.settings.timezone
    if dry_run or confirm is not None:
        with store.read() as conn:
            planned = maxima_change(conn, load_policy(conn), new, now, tz)
        if dry_run:
            return LoadedPolicy(new, planned)
        if not planned.changes:
            confirm = None
        elif confirm is not None and not confirm(
            f"Load {source}: {_organisations(planned.lower)} "
            f"{'gets' if planned.lower == 1 else 'get'} a lower maximum, "
            f"{planned.higher:,} a higher one; {planned.over_quota:,} would be over quota?"
        ):
            raise Declined("Nothing changed.")
    from incidentctl.store import audit

    with store.write() as conn:
        old = load_policy(conn)
        maxima = maxima_change(conn, old, new, now, tz)
        if confirm is not None and maxima != planned:
            raise StoreChanged(
                "the store changed while you were deciding: the policy would now give "
                f"{_organisations(maxima.lower)} a lower maximum and {maxima.higher:,} a "
                f"higher one, with {maxima.over_quota:,} over quota; nothing was written",
                hint="run it again",
            )
        quota_store.write_policy(conn, new)
        audit.append(
            conn,
            at=timeutil.to_iso(now),
            actor=actor.name,
            action="policy.load",
            before=quota_policy.to_document(old),
            after=quota_policy.to_document(new),
            reason=f"loaded from {source}",
        )
    return LoadedPolicy(new, maxima)


def _organisations(count: int) -> str:
    return f"{count:,} organisation{'s' if count != 1 else ''}"
