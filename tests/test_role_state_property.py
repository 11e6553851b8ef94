"""The current state kept beside the role history always equals what the history implies.

A hypothesis state machine drives the services with random grants and revokes (in batches),
deactivations and reactivations, moves between organisations, certifications set, removed and
lapsing, changes of the propagation delay, and a clock it steps forward and, now and then,
back (a simulated clock set in the past). After every step it reads the history with plain
SQL and recomputes, the naive way, in Python:

(a) the state table: for every contact and role the latest change (id, action, requested_at,
    effective_at) and the contact's organisation; and ``doctor``'s check agrees;
(b) the counts: used and experts of each organisation (``quota ID``, ``quota``, ``org list``,
    the batch's per-organisation count), the contact counts of ``org list``, and what the
    recount publishes and reports (used, experts, nobody can submit, pending changes);
(c) the reads that answer from the state: holders (``contacts list --role``), contacts with
    a change not yet in effect (``--pending``), organisations without a submitter
    (``readiness``).
"""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from incidentctl import timeutil
from incidentctl.domain import Actor
from incidentctl.permissions import role_state
from incidentctl.roles import SUBMITTER, Role, defined
from incidentctl.services import contacts as contact_service
from incidentctl.services import orgs as org_service
from incidentctl.services import portal as portal_service
from incidentctl.services import quota as quota_service
from incidentctl.services import recount as recount_service
from incidentctl.services import roles as role_service
from incidentctl.services import settings as settings_service
from incidentctl.services.contacts import ContactPatch
from incidentctl.services.store_file import doctor
from incidentctl.store import Store
from incidentctl.store import roles as role_store

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACTOR = Actor(name="operator")
START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)

ORGS = {"A": 30, "B": 5, "C": 60}  # id: employees (the default policy: maxima 3, 2, 5)
EMAILS = [f"{o.lower()}{n}@example.nl" for o in ORGS for n in range(3)]

batches = st.lists(st.sampled_from(EMAILS), min_size=1, max_size=5)
roles = st.sampled_from(list(defined()))


class StateBesideHistory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory(prefix="incidentctl-state-")
        self.path = Path(self.tmp.name) / "store.db"
        self.store = Store.open(self.path, create=True)
        self.now = START
        settings_service.set_setting(self.store, ACTOR, self.now, "timezone", "Europe/Amsterdam")
        for org, employees in ORGS.items():
            org_service.add(
                self.store, ACTOR, self.now, org_id=org, name=org, employees=employees, sector=None
            )
        for email in EMAILS:
            contact_service.add(
                self.store, ACTOR, self.now, email=email, org_id=email[0].upper(), name=email
            )

    def teardown(self) -> None:
        self.store.close()
        self.tmp.cleanup()

    @property
    def today(self) -> date:
        return self.now.astimezone(AMSTERDAM).date()

    # --- rules ------------------------------------------------------------------------------

    @rule(batch=batches, role=roles)
    def grant(self, batch: list[str], role: Role) -> None:
        outcome = self.change("grant", role, batch)
        event(f"grant exit {outcome.exit_code}")

    @rule(batch=batches)
    def grant_submitter(self, batch: list[str]) -> None:
        """The commonest operation, drawn more often so quotas fill up."""
        self.change("grant", SUBMITTER, batch)

    @rule(batch=batches, role=roles)
    def revoke(self, batch: list[str], role: Role) -> None:
        self.change("revoke", role, batch)

    def change(self, action: str, role: Role, batch: list[str]) -> role_service.BatchOutcome:
        return role_service.change(
            self.store,
            ACTOR,
            self.now,
            action="grant" if action == "grant" else "revoke",
            role=role,
            rows=role_service.batch_rows(batch),
        )

    @rule(email=st.sampled_from(EMAILS), active=st.booleans())
    def set_active(self, email: str, active: bool) -> None:
        contact_service.update(self.store, ACTOR, self.now, email, ContactPatch(active=active))

    @rule(email=st.sampled_from(EMAILS), org=st.sampled_from(list(ORGS)))
    def move(self, email: str, org: str) -> None:
        moved = contact_service.move(self.store, ACTOR, self.now, email, org, "reorganised")
        event("moved" if moved.before.org_id != org else "not moved")

    @rule(email=st.sampled_from(EMAILS), days=st.one_of(st.none(), st.integers(-2, 2)))
    def certify(self, email: str, days: int | None) -> None:
        until = None if days is None else self.today + timedelta(days=days)
        contact_service.update(
            self.store,
            ACTOR,
            self.now,
            email,
            ContactPatch(expert_until=until, set_expert_until=True),
        )

    @rule(
        step=st.sampled_from(
            [
                timedelta(minutes=3),
                timedelta(minutes=11),
                timedelta(hours=7),
                timedelta(days=1),
                # A clock set back: changes made "later" exist, and the latest change of a
                # role may be one of them while an earlier one is still propagating.
                -timedelta(minutes=2),
                -timedelta(minutes=30),
                -timedelta(days=1),
            ]
        )
    )
    def clock(self, step: timedelta) -> None:
        self.now += step
        event("clock back" if step < timedelta(0) else "clock forward")

    @rule(delay=st.sampled_from(["1m", "10m", "2h"]))
    def set_delay(self, delay: str) -> None:
        settings_service.set_setting(self.store, ACTOR, self.now, "propagation_delay", delay)

    # --- the history, read plainly ------------------------------------------------------------

    def history(self) -> tuple[dict[int, tuple[str, str, bool, str | None]], list[tuple]]:
        """(contact id: (email, org, active, expert_until)), every change in id order."""
        conn = sqlite3.connect(self.path)
        try:
            contacts = {
                cid: (email, org, bool(active), until)
                for cid, email, org, active, until in conn.execute(
                    "SELECT id, email, org_id, active, expert_until FROM contacts"
                )
            }
            changes = conn.execute(
                "SELECT id, contact_id, role, action, requested_at, effective_at "
                "FROM role_changes ORDER BY id"
            ).fetchall()
        finally:
            conn.close()
        return contacts, changes

    def holders(self) -> tuple[dict[int, tuple[str, str, bool, str | None]], set[int]]:
        """The contacts and the active ones whose latest submitter change is a grant."""
        contacts, changes = self.history()
        latest: dict[tuple[int, str], str] = {}
        for _, contact_id, role, action, _, _ in changes:
            latest[contact_id, role] = action
        return contacts, {
            cid
            for cid, (_, _, active, _) in contacts.items()
            if active and latest.get((cid, SUBMITTER.name)) == "grant"
        }

    # --- what must hold after every step --------------------------------------------------------

    @invariant()
    def the_state_table_is_the_latest_change_of_each_role(self) -> None:
        contacts, changes = self.history()
        expected = {}
        for change_id, contact_id, role, action, requested, effective in changes:
            org = contacts[contact_id][1]
            expected[contact_id, role] = (org, change_id, action, requested, effective)
        conn = sqlite3.connect(self.path)
        try:
            actual = {
                (cid, role): rest
                for cid, role, *rest in conn.execute(
                    "SELECT contact_id, role, org_id, change_id, action, requested_at, "
                    "effective_at FROM role_state"
                )
            }
        finally:
            conn.close()
        assert {k: tuple(v) for k, v in actual.items()} == expected
        checks = {check.name: check for check in doctor(self.path)}
        assert checks["role state"].ok, checks["role state"]

    @invariant()
    def the_counts_equal_the_history_counted_naively(self) -> None:
        today = self.today
        contacts, holders = self.holders()
        expected = {org: [0, 0] for org in ORGS}  # used, experts
        for cid in holders:
            _, org, _, until = contacts[cid]
            expert = until is not None and until >= today.isoformat()
            expected[org][1 if expert else 0] += 1
        for org in ORGS:
            status = quota_service.status(self.store, ACTOR, self.now, org)
            assert [status.used, status.experts] == expected[org]
        every = {
            s.org: [s.used, s.experts] for s in quota_service.statuses(self.store, ACTOR, self.now)
        }
        assert every == expected
        overviews = org_service.overviews(self.store, ACTOR, self.now)
        for view in overviews:
            members = [c for c in contacts.values() if c[1] == view.org.id]
            assert view.contacts == len(members)
            assert view.active_contacts == sum(1 for c in members if c[2])
            assert [view.quota.used, view.quota.experts] == expected[view.org.id]
        with self.store.read() as conn:
            by_org = role_store.submitter_counts_by_org(conn, today, timeutil.to_iso(self.now))
            assert {o: [c.used, c.experts] for o, c in by_org.items()} == {
                o: counts for o, counts in expected.items() if any(counts)
            }

    @invariant()
    def the_recount_equals_the_history_counted_naively(self) -> None:
        today = self.today
        contacts, changes = self.history()
        _, holders = self.holders()
        report = recount_service.recount(self.store, ACTOR, self.now, force=True)
        used = dict.fromkeys(ORGS, 0)
        for cid in holders:
            _, org, _, until = contacts[cid]
            if not (until is not None and until >= today.isoformat()):
                used[org] += 1
        with self.store.read() as conn:
            published = {
                org: figures
                for org, *figures in conn.execute(
                    "SELECT org_id, used, experts FROM published_counts "
                    "WHERE run_id = (SELECT max(id) FROM recount_runs)"
                )
            }
        assert {org: figures[0] for org, figures in published.items()} == used
        # Nobody can submit: no active contact holds the role in effect now (the history
        # decides, propagating changes included).
        by_contact: dict[int, list] = {}
        for change in role_store_changes(self.path, SUBMITTER):
            by_contact.setdefault(change.contact_id, []).append(change)
        submitting = {
            contacts[cid][1]
            for cid, own in by_contact.items()
            if contacts[cid][2] and role_state(own, self.now).holds
        }
        assert report.nobody_can_submit == sorted(set(ORGS) - submitting)
        now = timeutil.to_iso(self.now)
        assert report.pending_changes == sum(
            1 for *_, requested, effective in changes if requested <= now < effective
        )

    @invariant()
    def the_reads_from_the_state_equal_the_history(self) -> None:
        contacts, changes = self.history()
        now = timeutil.to_iso(self.now)
        latest: dict[tuple[int, str], str] = {}
        by_then: dict[tuple[int, str], str] = {}
        for _, cid, role, action, requested, _ in changes:
            latest[cid, role] = action
            if requested <= now:
                by_then[cid, role] = action
        for role in defined():
            listed = {
                row[0] for row in contact_service.listing(self.store, ACTOR, self.now, role=role)
            }
            assert listed == {
                contacts[c][0] for (c, r), a in latest.items() if r == role.name and a == "grant"
            }
        pending = {
            row[0] for row in contact_service.listing(self.store, ACTOR, self.now, pending=True)
        }
        assert pending == {
            contacts[cid][0]
            for _, cid, _, _, requested, effective in changes
            if requested <= now < effective
        }
        if any(requested > now for *_, requested, _ in changes):
            event("changes made after the clock's now")
            if pending:
                event("pending while later changes exist")
        readiness = portal_service.readiness(self.store, ACTOR, self.now, days=30)
        with_submitter = {
            contacts[cid][1]
            for (cid, role), action in by_then.items()
            if role == SUBMITTER.name and action == "grant" and contacts[cid][2]
        }
        assert [org for org, _ in readiness.organisations_without_submitter] == sorted(
            set(ORGS) - with_submitter
        )


def role_store_changes(path: Path, role: Role) -> list:
    """Every change of ``role`` as the domain's records, in the order they were made."""
    store = Store.open(path)
    try:
        with store.read() as conn:
            ids = [cid for (cid,) in conn.execute("SELECT id FROM contacts ORDER BY id")]
            return [
                change
                for cid in ids
                for change in role_store.history(conn, cid)
                if change.role == role
            ]
    finally:
        store.close()


StateBesideHistory.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_state_beside_history = StateBesideHistory.TestCase
