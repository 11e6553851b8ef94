"""Random sequences of role and quota operations through the service layer.

A hypothesis state machine grants and revokes (in batches, sometimes as dry runs), sets,
removes and lets lapse expert certifications, deactivates and reactivates contacts, lowers
and raises maxima (operator override, policy, organisation size) and shortens or lengthens
the propagation delay, with a clock it moves forward itself. After every step it checks:

(a) used <= maximum for every organisation, unless a step that may legitimately take an
    organisation over its quota (a lower maximum, a lapsed or removed certification, a
    reactivation) happened since it was last within it; a grant never raises used above
    the maximum;
(b) the audit log's grant and revoke events match the role_changes table one to one (same
    contact, role, action, actor, reason, time, in the same order);
(c) the live state (used, experts, maximum, holders) equals a simple model kept here.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from incidentctl.domain import Actor
from incidentctl.roles import SUBMITTER, Role, defined
from incidentctl.services import contacts as contact_service
from incidentctl.services import orgs as org_service
from incidentctl.services import quota as quota_service
from incidentctl.services import roles as role_service
from incidentctl.services import settings as settings_service
from incidentctl.services.contacts import ContactPatch
from incidentctl.store import Store

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ACTOR = Actor(name="operator")
START = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)

ORGS = {"A": (30, None), "B": (5, "zorg")}  # id: (employees, sector)
CONTACTS = {f"{o.lower()}{n}@{o.lower()}.nl": o for o in ORGS for n in range(4)}
EMAILS = sorted(CONTACTS)
DEFAULT_BANDS = ((0, 2), (10, 3), (50, 5), (250, 8), (1000, 12), (5000, 20))

Bands = tuple[tuple[int, int], ...]

emails = st.lists(st.sampled_from(EMAILS), min_size=1, max_size=4)
roles = st.sampled_from(list(defined()))
bands = st.lists(
    st.tuples(st.integers(1, 60), st.integers(0, 5)), max_size=3, unique_by=lambda b: b[0]
).flatmap(lambda rest: st.integers(0, 5).map(lambda first: ((0, first), *sorted(rest))))


def band_maximum(policy_bands: Bands, employees: int) -> int:
    return [maximum for start, maximum in policy_bands if start <= employees][-1]


def toml(general: Bands, sectors: dict[str, Bands]) -> bytes:
    def band_list(items: Bands) -> str:
        return ", ".join(f"{{ from_employees = {s}, maximum = {m} }}" for s, m in items)

    text = f"bands = [{band_list(general)}]\n"
    for name, items in sectors.items():
        text += f'[sectors."{name}"]\nbands = [{band_list(items)}]\n'
    return text.encode()


@dataclass
class Model:
    """What the store should say, kept the simplest way."""

    employees: dict[str, int] = field(default_factory=lambda: {o: e for o, (e, _) in ORGS.items()})
    override: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(ORGS))
    general: Bands = DEFAULT_BANDS
    sectors: dict[str, Bands] = field(default_factory=dict)
    active: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(EMAILS, True))
    expert_until: dict[str, date | None] = field(default_factory=lambda: dict.fromkeys(EMAILS))
    holders: dict[Role, set[str]] = field(default_factory=lambda: {r: set() for r in defined()})

    def maximum(self, org: str) -> int:
        override = self.override[org]
        if override is not None:
            return override
        sector = ORGS[org][1]
        policy_bands = self.general
        for name, items in self.sectors.items():
            if sector is not None and name.casefold() == sector.casefold():
                policy_bands = items
        return band_maximum(policy_bands, self.employees[org])

    def is_expert(self, email: str, today: date) -> bool:
        until = self.expert_until[email]
        return until is not None and today <= until

    def used(self, org: str, today: date) -> int:
        return sum(
            1
            for email in self.holders[SUBMITTER]
            if CONTACTS[email] == org and self.active[email] and not self.is_expert(email, today)
        )

    def experts(self, org: str, today: date) -> int:
        return sum(
            1
            for email in self.holders[SUBMITTER]
            if CONTACTS[email] == org and self.active[email] and self.is_expert(email, today)
        )


class RolesAndQuota(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory(prefix="incidentctl-property-")
        self.path = Path(self.tmp.name) / "store.db"
        self.store = Store.open(self.path, create=True)
        self.now = START
        self.model = Model()
        for org, (employees, sector) in ORGS.items():
            org_service.add(
                self.store,
                ACTOR,
                self.now,
                org_id=org,
                name=org,
                employees=employees,
                sector=sector,
            )
        for email, org in CONTACTS.items():
            contact_service.add(self.store, ACTOR, self.now, email=email, org_id=org, name=email)
        # Organisations allowed to be over quota: something other than a grant took them there.
        self.excused: set[str] = set()
        self.may_raise = False  # the last step may legitimately take an organisation over
        self.used_before = dict.fromkeys(ORGS, 0)
        self.last_grant = False

    def teardown(self) -> None:
        self.store.close()
        self.tmp.cleanup()

    @property
    def today(self) -> date:
        return self.now.astimezone(AMSTERDAM).date()

    def step(self, *, may_raise: bool, grant: bool = False) -> None:
        self.used_before = {org: self.model.used(org, self.today) for org in ORGS}
        self.may_raise = may_raise
        self.last_grant = grant

    # --- rules ------------------------------------------------------------------------------

    @rule(batch=emails, role=roles, dry_run=st.booleans())
    def grant(self, batch: list[str], role: Role, dry_run: bool) -> None:
        self.step(may_raise=False, grant=True)
        model, today = self.model, self.today
        seen: set[str] = set()
        predicted: list[str] = []
        causes: list[int] = []
        for email in batch:
            if email in seen:
                predicted.append("unchanged")
            elif not model.active[email]:
                predicted.append("refused")
                causes.append(2)
            elif email in model.holders[role]:
                predicted.append("unchanged")
            else:
                predicted.append("granted")
            seen.add(email)
        if role == SUBMITTER:
            new = Counter(
                CONTACTS[email]
                for email, status in zip(batch, predicted, strict=True)
                if status == "granted" and not model.is_expert(email, today)
            )
            for org, count in new.items():
                if model.used(org, today) + count > model.maximum(org):
                    causes.append(5)
                    predicted = [
                        "refused"
                        if status == "granted"
                        and CONTACTS[email] == org
                        and not model.is_expert(email, today)
                        else status
                        for email, status in zip(batch, predicted, strict=True)
                    ]
        outcome = self.change("grant", role, batch, dry_run, predicted)
        assert outcome.exit_code == (min(causes) if causes else 0)
        event(f"grant exit {outcome.exit_code}")
        if outcome.applied:
            model.holders[role].update(
                e for e, s in zip(batch, predicted, strict=True) if s != "refused"
            )

    @rule(batch=emails)
    def grant_submitter(self, batch: list[str]) -> None:
        """The commonest operation, drawn more often so quotas fill up."""
        self.grant(batch, SUBMITTER, False)

    @rule(batch=emails, role=roles, dry_run=st.booleans())
    def revoke(self, batch: list[str], role: Role, dry_run: bool) -> None:
        self.step(may_raise=False)
        seen: set[str] = set()
        predicted = []
        for email in batch:
            held = email in self.model.holders[role] and email not in seen
            predicted.append("revoked" if held else "unchanged")
            seen.add(email)
        outcome = self.change("revoke", role, batch, dry_run, predicted)
        assert outcome.exit_code == 0
        assert outcome.applied is not dry_run
        if outcome.applied:
            self.model.holders[role].difference_update(batch)

    def change(
        self, action: str, role: Role, batch: list[str], dry_run: bool, predicted: list[str]
    ) -> role_service.BatchOutcome:
        before = self.counts()
        outcome = role_service.change(
            self.store,
            ACTOR,
            self.now,
            action="grant" if action == "grant" else "revoke",
            role=role,
            rows=role_service.batch_rows(batch),
            dry_run=dry_run,
            reason=f"{action} {len(batch)}",
        )
        results = list(outcome.results.rows())
        assert [r.email for r in results] == batch
        assert [r.status for r in results] == predicted, (results, predicted)
        assert outcome.summary == {
            key: predicted.count(key) for key in ("granted", "revoked", "unchanged", "refused")
        }
        assert outcome.applied == ("refused" not in predicted and not dry_run)
        if not outcome.applied or not (outcome.summary["granted"] or outcome.summary["revoked"]):
            assert self.counts() == before, "a batch that was not applied wrote something"
        return outcome

    @rule(
        email=st.sampled_from(EMAILS),
        days=st.one_of(st.none(), st.integers(-3, 3)),
    )
    def certify(self, email: str, days: int | None) -> None:
        """Set a certification (from a few days ago to a few days ahead) or remove it."""
        self.step(may_raise=True)
        until = None if days is None else self.today + timedelta(days=days)
        contact_service.update(
            self.store,
            ACTOR,
            self.now,
            email,
            ContactPatch(expert_until=until, set_expert_until=True),
        )
        self.model.expert_until[email] = until

    @rule(email=st.sampled_from(EMAILS), active=st.sampled_from([True, True, False]))
    def set_active(self, email: str, active: bool) -> None:
        self.step(may_raise=active)
        _, _, revoked = contact_service.update(
            self.store, ACTOR, self.now, email, ContactPatch(active=active)
        )
        was_active = self.model.active[email]
        self.model.active[email] = active
        if was_active and not active:
            held = {role for role in defined() if email in self.model.holders[role]}
            assert {role for role, _ in revoked} == held
            for role in held:
                self.model.holders[role].discard(email)
        else:
            assert revoked == []

    @rule(delta=st.sampled_from([timedelta(minutes=1), timedelta(hours=5), timedelta(days=1)]))
    def advance(self, delta: timedelta) -> None:
        """Time passes: certifications lapse at the end of their last day."""
        self.step(may_raise=True)
        self.now += delta

    @rule(org=st.sampled_from(list(ORGS)), maximum=st.one_of(st.none(), st.integers(0, 4)))
    def override(self, org: str, maximum: int | None) -> None:
        self.step(may_raise=True)
        if maximum is None:
            org_service.update(self.store, ACTOR, self.now, org, clear_quota=True)
        else:
            org_service.update(
                self.store, ACTOR, self.now, org, quota=maximum, reason="property test"
            )
        self.model.override[org] = maximum

    @rule(org=st.sampled_from(list(ORGS)), employees=st.sampled_from([0, 5, 10, 30, 49, 50, 70]))
    def resize(self, org: str, employees: int) -> None:
        self.step(may_raise=True)
        org_service.update(self.store, ACTOR, self.now, org, employees=employees)
        self.model.employees[org] = employees

    @rule(
        general=bands,
        sector=st.one_of(st.none(), bands),
        name=st.sampled_from(["zorg", "ZORG", "Zorg", "onderwijs"]),
    )
    def load_policy(self, general: Bands, sector: Bands | None, name: str) -> None:
        self.step(may_raise=True)
        sectors = {} if sector is None else {name: sector}
        quota_service.load_policy_file(
            self.store, ACTOR, self.now, toml(general, sectors), "policy.toml"
        )
        self.model.general, self.model.sectors = general, sectors

    @rule(delay=st.sampled_from(["1m", "10m", "2h"]))
    def set_delay(self, delay: str) -> None:
        self.step(may_raise=False)
        settings_service.set_setting(self.store, ACTOR, self.now, "propagation_delay", delay)

    # --- what must hold after every step ------------------------------------------------------

    @invariant()
    def quota_holds_unless_excused(self) -> None:
        today = self.today
        for org in ORGS:
            status = quota_service.status(self.store, ACTOR, self.now, org)
            if status.used > status.maximum:
                if self.may_raise:
                    self.excused.add(org)
                event("an organisation over quota")
                assert org in self.excused, (
                    f"{org} went over its quota ({status.used} > {status.maximum}) "
                    "without a lower maximum, a lapsed certification or a reactivation"
                )
            else:
                self.excused.discard(org)
            if self.last_grant:
                # A grant never takes an organisation (further) over its maximum.
                assert status.used <= max(status.maximum, self.used_before[org])
            assert status.over_quota == (status.used > status.maximum)
            assert status.remaining == max(status.maximum - status.used, 0)
            # (c) the live figures equal the model's
            assert status.used == self.model.used(org, today)
            assert status.experts == self.model.experts(org, today)
            assert status.maximum == self.model.maximum(org)

    @invariant()
    def holders_match_the_model(self) -> None:
        for role in defined():
            listed = {
                row[0] for row in contact_service.listing(self.store, ACTOR, self.now, role=role)
            }
            assert listed == self.model.holders[role]

    @invariant()
    def audit_log_matches_the_role_history(self) -> None:
        conn = sqlite3.connect(self.path)
        try:
            changes = conn.execute(
                "SELECT c.email, r.role, r.action, r.actor, r.reason, r.requested_at, "
                "r.effective_at FROM role_changes r JOIN contacts c ON c.id = r.contact_id "
                "ORDER BY r.id"
            ).fetchall()
            events = conn.execute(
                "SELECT contact, role, action, actor, reason, at, "
                "json_extract(after, '$.effective_at') FROM events "
                "WHERE action IN ('grant', 'revoke') ORDER BY id"
            ).fetchall()
        finally:
            conn.close()
        assert events == changes
        # Changes of one contact and role take effect in the order they were made.
        last: dict[tuple[str, str], str] = {}
        for email, role, _, _, _, requested_at, effective_at in changes:
            assert effective_at >= requested_at
            assert effective_at >= last.get((email, role), "")
            last[email, role] = effective_at

    def counts(self) -> tuple[int, int]:
        row = self.store.conn.execute(
            "SELECT (SELECT count(*) FROM role_changes), (SELECT count(*) FROM events)"
        ).fetchone()
        return int(row[0]), int(row[1])


RolesAndQuota.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_roles_and_quota = RolesAndQuota.TestCase
