"""Rules that exist in Python and in SQL, held together (docs/architecture.md, "Where each
rule lives").

The batches, the quota counts and the recount apply two rules of the domain to many rows at
once in SQL (incidentctl.store.rules); the domain states them in Python. Like
tests/test_quota_sql.py for the policy, these properties check on random data that the two
give the same answer:

- when a change takes effect: ``domain.effective_at`` against the plan of a batch;
- whether a contact is a certified expert on a date: ``Contact.is_expert`` against the one
  SQL expression the plan, the live counts and the recount use;
- the seats left and whether an organisation is over quota: ``QuotaStatus`` against the
  expressions of the ``quota`` table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from incidentctl import domain, timeutil
from incidentctl.domain import Actor, Contact, Organisation
from incidentctl.roles import Role, defined
from incidentctl.services import roles as role_service
from incidentctl.services.quota import QuotaStatus
from incidentctl.store import Store
from incidentctl.store import contacts as contact_store
from incidentctl.store import orgs as org_store
from incidentctl.store import roles as role_store
from incidentctl.store.rules import expert_sql, over_quota_sql, remaining_sql

OPERATOR = Actor(name="operator:test")
START = datetime(2024, 3, 30, 23, 0, tzinfo=UTC)  # the night daylight saving time starts
CREATED = "2024-01-01T00:00:00+00:00"


@contextmanager
def new_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "store.db", create=True)
        try:
            with store.write() as conn:
                # An override far above any example: the quota never refuses here.
                org = Organisation("1001", "Acme", 30, None, 1000, "test")
                org_store.insert(conn, org, CREATED)
            yield store
        finally:
            store.close()


def add_contact(store: Store, email: str, expert_until: date | None = None) -> Contact:
    with store.write() as conn:
        contact = Contact(0, email, "1001", "Name", True, False, expert_until)
        return contact_store.insert(conn, contact, CREATED)


# --- when a change takes effect ----------------------------------------------------------------

changes = st.lists(
    st.tuples(
        st.sampled_from(list(defined())),
        # time since the change before (a shortened delay can then end before the previous)
        st.integers(0, 3 * 3600),
        st.integers(0, 999_999),  # microseconds: stored times are whole seconds
        st.integers(0, 180),  # the propagation delay in minutes when the change is made
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(steps=changes)
def test_sql_effective_at_equals_domain_effective_at(
    steps: list[tuple[Role, int, int, int]],
) -> None:
    with new_store() as store:
        contact = add_contact(store, "jan@acme.nl")
        now = START
        held: dict[Role, bool] = {}
        for role, seconds, microseconds, minutes in steps:
            now += timedelta(seconds=seconds, microseconds=microseconds)
            delay = timedelta(minutes=minutes)
            action = "revoke" if held.get(role) else "grant"
            with store.write() as conn:
                previous = role_store.latest(conn, contact.id, role)
                outcome = role_service.apply_emails(
                    conn,
                    OPERATOR,
                    now,
                    store.settings._replace(propagation_delay=delay),
                    action=action,
                    role=role,
                    emails=[contact.email],
                    reason=None,
                )
                made = role_store.latest(conn, contact.id, role)
            assert outcome.applied
            assert made is not None
            assert made.action == action
            held[role] = action == "grant"
            expected = domain.effective_at(now, delay, previous)
            assert timeutil.to_iso(made.effective_at) == timeutil.to_iso(expected)
            (row,) = outcome.results.rows()
            assert row.effective_at == timeutil.to_iso(expected)


# --- whether a contact is an expert on a date ---------------------------------------------------


@st.composite
def certificates(draw: st.DrawFn) -> tuple[date, list[date | None]]:
    today = draw(st.dates(date(1901, 1, 1), date(8998, 12, 31)))
    near = st.integers(-2, 2).map(lambda days: today + timedelta(days=days))
    anywhere = st.dates(date(1900, 1, 1), date(8999, 12, 31))
    until = st.one_of(st.none(), near, anywhere)
    return today, draw(st.lists(until, min_size=1, max_size=10))


@settings(max_examples=150, deadline=None)
@given(drawn=certificates())
def test_sql_expert_equals_contact_is_expert(drawn: tuple[date, list[date | None]]) -> None:
    today, certified_until = drawn
    with new_store() as store:
        contacts = [
            add_contact(store, f"c{number}@acme.nl", until)
            for number, until in enumerate(certified_until)
        ]
        expected = {contact.id: contact.is_expert(today) for contact in contacts}
        experts = sum(expected.values())
        with store.write() as conn:
            actual = dict(
                conn.execute(
                    f"SELECT c.id, {expert_sql('c')} FROM contacts c",
                    {"today": today.isoformat()},
                )
            )
            assert {key: bool(value) for key, value in actual.items()} == expected
            # The counts of the quota use the same expression: every contact a submitter.
            role_service.apply_emails(
                conn,
                OPERATOR,
                datetime.combine(today, datetime.min.time(), UTC),
                store.settings,
                action="grant",
                role=defined().quota_role,
                emails=[contact.email for contact in contacts],
                reason=None,
            )
            used = len(contacts) - experts
            assert role_store.submitter_counts(conn, "1001", today) == (used, experts)
            by_org = role_store.submitter_counts_by_org(conn, today, CREATED)
            assert (by_org["1001"].used, by_org["1001"].experts) == (used, experts)


# --- the seats left, and over quota -------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(maximum=st.integers(0, 2**62), used=st.integers(0, 2**62))
def test_sql_remaining_and_over_quota_equal_quota_status(maximum: int, used: int) -> None:
    status = QuotaStatus("1001", maximum, used, 0, None)
    with new_store() as store, store.read() as conn:
        remaining, over = conn.execute(
            f"SELECT {remaining_sql(':maximum', ':used')}, {over_quota_sql(':maximum', ':used')}",
            {"maximum": maximum, "used": used},
        ).fetchone()
    assert remaining == status.remaining
    assert bool(over) == status.over_quota
