"""grant and revoke through the CLI (docs/roles-and-quota.md, "grant and revoke"): idempotence,
the quota of a batch as a whole, all or nothing, Dutch aliases, dry runs, the audit trail,
deactivation and the time a change takes effect."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from grant_support import (
    NOW_ARGS,
    add_contact,
    holders,
    operator_name,
    role_changes,
    role_events,
    statuses,
    used,
)

# --- idempotence ----------------------------------------------------------------------------


def test_grant_twice_changes_nothing_the_second_time(
    store: Cli, snapshot: Snapshot, db_path: Path
) -> None:
    first = store.json("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    assert first["applied"] is True
    assert statuses(first) == {"jan@acme.nl": "granted", "piet@acme.nl": "granted"}
    assert first["summary"] == {"granted": 2, "revoked": 0, "unchanged": 0, "refused": 0}
    changes, events, before = len(role_changes(db_path)), len(role_events(store)), snapshot()

    second = store.json("grant", "submitter", "jan@acme.nl", "piet@acme.nl")

    assert second["applied"] is True
    assert statuses(second) == {"jan@acme.nl": "unchanged", "piet@acme.nl": "unchanged"}
    assert {row["reason"] for row in second["results"]} == {"already holds the role"}
    assert {row["effective_at"] for row in second["results"]} == {None}
    assert second["summary"] == {"granted": 0, "revoked": 0, "unchanged": 2, "refused": 0}
    assert len(role_changes(db_path)) == changes == 2
    assert len(role_events(store)) == events == 2
    assert snapshot() == before


def test_revoke_twice_changes_nothing_the_second_time(
    store: Cli, snapshot: Snapshot, db_path: Path
) -> None:
    store.ok("grant", "manager", "jan@acme.nl")
    first = store.json("revoke", "manager", "jan@acme.nl")
    assert statuses(first) == {"jan@acme.nl": "revoked"}
    before = snapshot()

    second = store.ok("revoke", "manager", "jan@acme.nl")
    never_held = store.json("revoke", "manager", "piet@acme.nl")

    assert second.stdout.startswith("unchanged")
    assert "does not hold the role" in second.stdout
    assert statuses(never_held) == {"piet@acme.nl": "unchanged"}
    assert never_held["results"][0]["reason"] == "does not hold the role"
    assert snapshot() == before
    assert [c["action"] for c in role_changes(db_path)] == ["grant", "revoke"]


def test_human_output_names_the_role_both_ways_and_when_it_takes_effect(store: Cli) -> None:
    run = store.ok(*NOW_ARGS, "grant", "submitter", "jan@acme.nl")
    assert "granted" in run.stdout
    assert "submitter (Incidentenbeheer)" in run.stdout
    # 10:00 in Amsterdam plus the default delay of 10 minutes, shown in the store's timezone
    assert "2024-05-01 10:10:00 CEST" in run.stdout
    assert run.stdout.rstrip().endswith("1 granted, 0 revoked, 0 unchanged, 0 refused; done")


# --- the quota of a batch ---------------------------------------------------------------------


def test_batch_one_seat_over_the_quota_writes_nothing_and_exits_5(
    store: Cli, snapshot: Snapshot, db_path: Path
) -> None:
    add_contact(store, "kees@acme.nl")
    store.ok("grant", "submitter", "jan@acme.nl")  # Acme: 30 employees, maximum 3; 1 used
    before = snapshot()

    run = store("grant", "submitter", "piet@acme.nl", "admin@acme.nl", "kees@acme.nl", "--json")

    assert run.exit_code == 5
    assert snapshot() == before
    document = run.json()
    assert document["applied"] is False
    assert statuses(document) == dict.fromkeys(
        ["piet@acme.nl", "admin@acme.nl", "kees@acme.nl"], "refused"
    )
    assert document["summary"] == {"granted": 0, "revoked": 0, "unchanged": 0, "refused": 3}
    for row in document["results"]:
        assert row["effective_at"] is None
        assert "quota exceeded" in row["reason"]
        assert "uses 1 of its 3" in row["reason"]
    error = run.failed(5)
    assert re.search(r"uses 1 of its 3 submitter seats and this batch adds 3", error)
    assert run.stderr.splitlines()[1].startswith("Hint: ")
    assert "nothing was written" in run.stderr
    assert [c["email"] for c in role_changes(db_path)] == ["jan@acme.nl"]


def test_batch_that_fills_the_quota_exactly_is_granted(store: Cli) -> None:
    document = store.json("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "admin@acme.nl")
    assert document["summary"]["granted"] == 3
    quota = store.json("quota", "1001")
    assert (quota["maximum"], quota["used"], quota["remaining"]) == (3, 3, 0)
    assert quota["over_quota"] is False


def test_quota_refusal_in_human_output(store: Cli, snapshot: Snapshot) -> None:
    store.ok("grant", "submitter", "gina@globex.nl")  # Globex: 5 employees, maximum 2
    add_contact(store, "hank@globex.nl", "2002")
    add_contact(store, "ivo@globex.nl", "2002")
    before = snapshot()

    run = store.fails(5, "grant", "submitter", "hank@globex.nl", "ivo@globex.nl")

    assert "uses 1 of its 2 submitter seats" in run.stderr
    assert "refused" in run.stdout
    assert "nothing was written" in run.stdout
    assert snapshot() == before


def test_manager_has_no_quota(store: Cli) -> None:
    add_contact(store, "kees@acme.nl")
    add_contact(store, "klaas@acme.nl")
    emails = ["admin@acme.nl", "jan@acme.nl", "piet@acme.nl", "kees@acme.nl", "klaas@acme.nl"]
    document = store.json("grant", "manager", *emails)
    assert document["summary"]["granted"] == 5
    assert used(store, "1001") == 0


def test_a_revoke_frees_the_seat_at_once(store: Cli) -> None:
    add_contact(store, "kees@acme.nl")
    store.ok(*NOW_ARGS, "grant", "submitter", "jan@acme.nl", "piet@acme.nl", "admin@acme.nl")
    assert store(*NOW_ARGS, "grant", "submitter", "kees@acme.nl", "--json").exit_code == 5

    # Same moment: the revoke is still propagating, but its seat is free already.
    store.ok(*NOW_ARGS, "revoke", "submitter", "jan@acme.nl")
    assert used(store, "1001", *NOW_ARGS) == 2
    document = store.json(*NOW_ARGS, "grant", "submitter", "kees@acme.nl")

    assert statuses(document) == {"kees@acme.nl": "granted"}
    assert sorted(holders(store)) == ["admin@acme.nl", "kees@acme.nl", "piet@acme.nl"]


# --- roles and their Dutch names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "role"),
    [
        ("Incidentenbeheer", "submitter"),
        ("incidentbeheer", "submitter"),
        ("INCIDENTMANAGEMENT", "manager"),
        ("Incidentenmanagement", "manager"),
        ("incidentmanagement", "manager"),
        ("INCIDENTENBEHEER", "submitter"),
        ("Submitter", "submitter"),
        ("MANAGER", "manager"),
    ],
)
def test_dutch_aliases_work_for_grant_and_revoke(
    store: Cli, db_path: Path, alias: str, role: str
) -> None:
    granted = store.json("grant", alias, "jan@acme.nl")
    assert granted["role"] == role
    assert granted["results"][0]["role"] == role
    assert holders(store, role) == ["jan@acme.nl"]
    assert holders(store, alias) == ["jan@acme.nl"]

    revoked = store.json("revoke", alias, "jan@acme.nl")

    assert statuses(revoked) == {"jan@acme.nl": "revoked"}
    assert holders(store, role) == []
    assert [(c["role"], c["action"]) for c in role_changes(db_path)] == [
        (role, "grant"),
        (role, "revoke"),
    ]


@pytest.mark.parametrize("command", ["grant", "revoke"])
@pytest.mark.parametrize("name", ["beheerder", "Incident", "", "submitters", "incidenten beheer"])
def test_an_unknown_role_exits_2(store: Cli, snapshot: Snapshot, command: str, name: str) -> None:
    before = snapshot()
    run = store.fails(2, command, name, "jan@acme.nl")
    assert "unknown role" in run.stderr
    assert "Incidentenbeheer" in run.stderr  # the hint lists the names that work
    assert snapshot() == before


def test_human_output_shows_the_dutch_name_of_manager(store: Cli) -> None:
    run = store.ok("grant", "incidentenmanagement", "jan@acme.nl")
    assert "manager (Incidentmanagement)" in run.stdout


# --- dry run ----------------------------------------------------------------------------------


def test_dry_run_reports_the_plan_and_writes_nothing(store: Cli, snapshot: Snapshot) -> None:
    store.ok("grant", "submitter", "jan@acme.nl")
    before = snapshot()

    document = store.json("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "--dry-run")
    human = store.ok(*NOW_ARGS, "grant", "submitter", "piet@acme.nl", "--dry-run")
    revoke = store.json("revoke", "submitter", "jan@acme.nl", "--dry-run")

    assert snapshot() == before
    assert document["applied"] is False
    assert document["dry_run"] is True
    assert statuses(document) == {"jan@acme.nl": "unchanged", "piet@acme.nl": "granted"}
    assert document["results"][1]["effective_at"] is not None
    assert document["summary"] == {"granted": 1, "revoked": 0, "unchanged": 1, "refused": 0}
    assert "would grant" in human.stdout
    assert "2024-05-01 10:10:00 CEST" in human.stdout
    assert "dry run: nothing was written" in human.stdout
    assert statuses(revoke) == {"jan@acme.nl": "revoked"}
    assert holders(store) == ["jan@acme.nl"]


def test_dry_run_of_a_refused_batch_exits_with_the_refusal_code(
    store: Cli, snapshot: Snapshot
) -> None:
    add_contact(store, "kees@acme.nl")
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    before = snapshot()

    quota = store("grant", "submitter", "admin@acme.nl", "kees@acme.nl", "--dry-run", "--json")
    unknown = store("grant", "submitter", "nobody@acme.nl", "--dry-run", "--json")
    human = store("grant", "submitter", "admin@acme.nl", "kees@acme.nl", "--dry-run")

    assert snapshot() == before
    assert quota.exit_code == 5
    assert quota.json()["dry_run"] is True
    assert quota.json()["applied"] is False
    assert statuses(quota.json()) == {"admin@acme.nl": "refused", "kees@acme.nl": "refused"}
    assert unknown.exit_code == 3
    human.failed(5)
    assert "dry run: nothing was written" in human.stdout


# --- the audit trail --------------------------------------------------------------------------


def test_one_audit_event_per_change_with_actor_and_reason(store: Cli, db_path: Path) -> None:
    add_contact(store, "kees@acme.nl")
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "--reason", "ticket 1")
    store.ok("grant", "submitter", "jan@acme.nl", "kees@acme.nl", "--reason", "ticket 2")
    store.ok("--as", "admin@acme.nl", "grant", "manager", "jan@acme.nl", "--reason", "lead")
    store.ok("revoke", "submitter", "piet@acme.nl", "jan@acme.nl", "--reason", "left")
    store.ok("revoke", "submitter", "piet@acme.nl", "--reason", "again")  # unchanged
    store.fails(3, "grant", "submitter", "piet@acme.nl", "nobody@acme.nl")  # refused
    store.ok("--as", "admin@acme.nl", "revoke", "Incidentmanagement", "jan@acme.nl")
    store.ok("grant", "submitter", "jan@acme.nl", "--dry-run")

    changes = role_changes(db_path)
    events = role_events(store)

    # Exactly one event per row of the role history, in the same order, saying the same.
    assert [(e["contact"], e["role"], e["action"]) for e in events] == [
        (c["email"], c["role"], c["action"]) for c in changes
    ]
    assert [(e["actor"], e["reason"]) for e in events] == [
        (c["actor"], c["reason"]) for c in changes
    ]
    pairs = {(c["email"], c["role"]) for c in changes}
    for email, role in pairs:
        wanted = [c for c in changes if (c["email"], c["role"]) == (email, role)]
        logged = [e for e in events if (e["contact"], e["role"]) == (email, role)]
        assert len(logged) == len(wanted)
    operator = operator_name()
    assert [(e["contact"], e["action"], e["actor"], e["reason"]) for e in events] == [
        ("jan@acme.nl", "grant", operator, "ticket 1"),
        ("piet@acme.nl", "grant", operator, "ticket 1"),
        ("kees@acme.nl", "grant", operator, "ticket 2"),
        ("jan@acme.nl", "grant", "admin@acme.nl", "lead"),
        ("piet@acme.nl", "revoke", operator, "left"),
        ("jan@acme.nl", "revoke", operator, "left"),
        ("jan@acme.nl", "revoke", "admin@acme.nl", None),
    ]
    assert all(e["org"] == "1001" for e in events)


def test_audit_events_of_a_grant_carry_before_and_after(store: Cli) -> None:
    store.ok(*NOW_ARGS, "grant", "submitter", "jan@acme.nl")
    (event,) = role_events(store)
    assert event["before"] == {"holds": False}
    assert event["after"] == {"holds": True, "effective_at": "2024-05-01T08:10:00+00:00"}
    assert event["at"] == "2024-05-01T08:00:00+00:00"


def test_log_filters_by_contact_and_action(store: Cli) -> None:
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    store.ok("revoke", "submitter", "jan@acme.nl")
    jan = store.json("log", "--contact", "JAN@acme.nl")
    assert [e["action"] for e in jan] == ["contact.add", "grant", "revoke"]
    grants = store.json("log", "--action", "grant")
    assert [e["contact"] for e in grants] == ["jan@acme.nl", "piet@acme.nl"]


# --- inactive contacts and deactivation -------------------------------------------------------


@pytest.mark.parametrize("role", ["submitter", "manager"])
def test_granting_to_an_inactive_contact_is_refused_with_exit_2(
    store: Cli, snapshot: Snapshot, role: str
) -> None:
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    before = snapshot()

    run = store("grant", role, "jan@acme.nl", "piet@acme.nl", "--json")

    assert run.exit_code == 2
    assert snapshot() == before
    document = run.json()
    assert document["applied"] is False
    assert statuses(document) == {"jan@acme.nl": "refused", "piet@acme.nl": "granted"}
    assert document["results"][0]["reason"] == "the contact is inactive (argument 1)"
    store.fails(2, "grant", role, "jan@acme.nl")


def test_deactivating_a_contact_revokes_each_role_it_holds_once(store: Cli, db_path: Path) -> None:
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    store.ok("grant", "manager", "jan@acme.nl")
    assert used(store, "1001") == 2

    document = store.json("contacts", "set", "jan@acme.nl", "--inactive")

    assert sorted(r["role"] for r in document["revoked"]) == ["manager", "submitter"]
    revokes = [e for e in role_events(store) if e["action"] == "revoke"]
    assert sorted((e["contact"], e["role"], e["reason"]) for e in revokes) == [
        ("jan@acme.nl", "manager", "contact deactivated"),
        ("jan@acme.nl", "submitter", "contact deactivated"),
    ]
    assert all(e["actor"] == operator_name() for e in revokes)
    assert holders(store, "submitter") == ["piet@acme.nl"]
    assert holders(store, "manager") == []
    assert used(store, "1001") == 1
    # The audit log still matches the role history one to one.
    assert len(role_events(store)) == len(role_changes(db_path)) == 5

    # Deactivating again, or a contact without roles, revokes nothing more.
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    store.ok("contacts", "set", "admin@acme.nl", "--inactive")
    assert len(role_events(store)) == len(role_changes(db_path)) == 5


def test_deactivating_by_import_revokes_roles_too(store: Cli, db_path: Path) -> None:
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    store.ok("grant", "manager", "piet@acme.nl")
    csv = "email,org,name,active\njan@acme.nl,1001,Jan Jansen,false\npiet@acme.nl,1001,Piet,no\n"

    document = store.json("contacts", "import", "-", input=csv)

    assert document["revoked"] == 3
    revokes = [e for e in role_events(store) if e["action"] == "revoke"]
    assert sorted((e["contact"], e["role"]) for e in revokes) == [
        ("jan@acme.nl", "submitter"),
        ("piet@acme.nl", "manager"),
        ("piet@acme.nl", "submitter"),
    ]
    assert {e["reason"] for e in revokes} == {"contact deactivated"}
    assert holders(store) == holders(store, "manager") == []
    assert len(role_events(store)) == len(role_changes(db_path)) == 6


def test_reactivating_a_contact_does_not_give_its_roles_back(store: Cli) -> None:
    store.ok("grant", "submitter", "jan@acme.nl")
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    store.ok("contacts", "set", "jan@acme.nl", "--active")
    assert holders(store) == []
    assert used(store, "1001") == 0
    assert statuses(store.json("grant", "submitter", "jan@acme.nl")) == {"jan@acme.nl": "granted"}


def test_revoking_from_an_inactive_contact_is_unchanged(store: Cli) -> None:
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    document = store.json("revoke", "submitter", "jan@acme.nl")
    assert statuses(document) == {"jan@acme.nl": "unchanged"}


# --- when a change takes effect ---------------------------------------------------------------


def test_effective_at_is_the_request_time_plus_the_propagation_delay(store: Cli) -> None:
    document = store.json("--now", "2024-05-01T10:00", "grant", "submitter", "jan@acme.nl")
    assert document["results"][0]["effective_at"] == "2024-05-01T08:10:00+00:00"


def test_changes_of_one_contact_and_role_keep_their_order_after_the_delay_shrinks(
    store: Cli, db_path: Path
) -> None:
    grant = store.json("--now", "2024-05-01T10:00", "grant", "submitter", "jan@acme.nl")
    assert grant["results"][0]["effective_at"] == "2024-05-01T08:10:00+00:00"
    store.ok("settings", "set", "propagation_delay", "1m")

    revoke = store.json("--now", "2024-05-01T10:01", "revoke", "submitter", "jan@acme.nl")
    regrant = store.json("--now", "2024-05-01T10:02", "grant", "submitter", "jan@acme.nl")
    other = store.json("--now", "2024-05-01T10:02", "grant", "submitter", "piet@acme.nl")
    later = store.json("--now", "2024-05-01T10:30", "revoke", "submitter", "jan@acme.nl")

    # 10:01 + 1 minute would be 08:02 UTC, before the grant it follows takes effect.
    assert revoke["results"][0]["effective_at"] == "2024-05-01T08:10:00+00:00"
    assert regrant["results"][0]["effective_at"] == "2024-05-01T08:10:00+00:00"
    # Another contact is not held back, and later changes use the new delay.
    assert other["results"][0]["effective_at"] == "2024-05-01T08:03:00+00:00"
    assert later["results"][0]["effective_at"] == "2024-05-01T08:31:00+00:00"
    jan = [c["effective_at"] for c in role_changes(db_path) if c["email"] == "jan@acme.nl"]
    assert jan == sorted(jan)


def test_deactivation_revokes_take_effect_after_a_pending_grant(store: Cli) -> None:
    store.ok("--now", "2024-05-01T10:00", "grant", "submitter", "jan@acme.nl")
    store.ok("settings", "set", "propagation_delay", "1m")
    document = store.json(
        "--now", "2024-05-01T10:01", "contacts", "set", "jan@acme.nl", "--inactive"
    )
    assert document["revoked"] == [
        {"role": "submitter", "effective_at": "2024-05-01T08:10:00+00:00"}
    ]


# --- the outcome of a batch -------------------------------------------------------------------


def test_the_rows_of_an_outcome_are_its_own_batchs_or_none(store: Cli, db_path: Path) -> None:
    """An outcome reads its rows from the store when they are used (a million cost no
    memory); once a later batch has replaced them, reading them is an error, never the
    later batch's rows."""
    from incidentctl import timeutil
    from incidentctl.domain import Actor
    from incidentctl.roles import MANAGER, SUBMITTER
    from incidentctl.services import roles as role_service
    from incidentctl.store import Store

    opened = Store.open(db_path)
    try:
        with opened.write() as conn:
            grant = partial(
                role_service.apply_emails,
                conn,
                Actor("operator:test"),
                timeutil.system_now(),
                opened.settings,
                action="grant",
                reason=None,
            )
            first = grant(role=SUBMITTER, emails=["jan@acme.nl", "nobody@acme.nl"])
            refused = [row.email for row in first.results.rows(refused_only=True)]
            assert refused == ["nobody@acme.nl"]
            assert first.exit_code == 3
            second = grant(role=MANAGER, emails=["piet@acme.nl"])
        assert [row.email for row in second.results.rows()] == ["piet@acme.nl"]
        assert '"role":"manager"' in next(second.results.documents())
        for read in (first.results.rows, first.results.documents):
            with pytest.raises(RuntimeError, match="replaced by a later batch"):
                read()
    finally:
        opened.close()
