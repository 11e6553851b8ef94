"""The current state of the roles, kept beside the history (docs/concepts.md, "The store"):
written with every change (in chunks a progress bar counts), following a contact that moves,
and read by the common reads, which still answer from the history where the latest change
alone cannot say (a clock set back before changes already made)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Cli, build_store
from test_files_contacts_import import RecordedProgress

from incidentctl import timeutil
from incidentctl.domain import Actor
from incidentctl.roles import SUBMITTER
from incidentctl.services import roles as role_service
from incidentctl.store import Store, health
from incidentctl.store import roles as role_store

OPERATOR = Actor("operator")
CONTACTS = 2_500


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,500 contacts in organisation 1001 (quota raised), none holding a role."""
    folder = tmp_path_factory.mktemp("many")
    csv = folder / "contacts.csv"
    csv.write_text(
        "email,org,name\n" + "".join(f"u{n}@acme.nl,1001,User {n}\n" for n in range(CONTACTS))
    )
    return build_store(
        folder / "store.db",
        (
            ("init",),
            ("org", "add", "1001", "--name", "Acme", "--employees", "30"),
            ("org", "set", "1001", "--quota", "100000", "--reason", "test"),
            ("contacts", "import", str(csv)),
        ),
    )


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_a_large_batch_is_written_in_chunks_that_progress_counts(
    many: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write of a batch counts its changes chunk by chunk (a bar shows done / total,
    rate and time left), and the chunks write what one statement would: change rows and
    events in input order, and the state of every role they changed."""
    path = tmp_path / "chunked.db"
    path.write_bytes(many.read_bytes())
    monkeypatch.setattr(role_store, "WRITE_CHUNK", 1_000)
    order = [f"u{n}@acme.nl" for n in reversed(range(CONTACTS))]  # not in contact order
    order.insert(7, "nobody@acme.nl")  # refused rows and repeats are not changes
    told = RecordedProgress()
    store = Store.open(path)
    try:
        role_service.change(
            store,
            OPERATOR,
            timeutil.from_iso("2026-11-27T10:00:00+00:00"),
            action="grant",
            role=SUBMITTER,
            rows=role_service.batch_rows(order[:7] + order[8:] + order[:3]),
            progress=told,
        )
        with store.read() as conn:
            assert health.role_state_disagreements(conn) == (0, CONTACTS)
    finally:
        store.close()
    assert told.steps[("writing", CONTACTS, False)] == [1_000, 1_000, 500]
    emails = [e for e in order if e != "nobody@acme.nl"]
    changed = _rows(
        path,
        "SELECT c.email FROM role_changes r JOIN contacts c ON c.id = r.contact_id ORDER BY r.id",
    )
    assert [email for (email,) in changed] == emails
    audited = _rows(path, "SELECT contact FROM events WHERE action = 'grant' ORDER BY id")
    assert [email for (email,) in audited] == emails
    ids = _rows(path, "SELECT min(id), max(id), count(*) FROM role_changes")
    assert ids == [(1, CONTACTS, CONTACTS)]


def test_a_move_takes_the_state_along(store: Cli, db_path: Path) -> None:
    store.ok("grant", "manager", "jan@acme.nl")
    store.ok("revoke", "manager", "jan@acme.nl")
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    store.ok("contacts", "move", "jan@acme.nl", "--org", "2002", "--reason", "new job")
    states = _rows(
        db_path,
        "SELECT s.role, s.org_id, s.action FROM role_state s "
        "JOIN contacts c ON c.id = s.contact_id WHERE c.email = 'jan@acme.nl' ORDER BY s.role",
    )
    assert states == [("manager", "2002", "revoke"), ("submitter", "2002", "revoke")]
    assert store.json("quota", "1001")["used"] == 1  # piet
    assert store.json("quota", "2002")["used"] == 0
    store.ok("grant", "submitter", "jan@acme.nl")
    assert store.json("quota", "2002")["used"] == 1
    assert store.json("doctor")["healthy"] is True


def test_a_clock_set_back_answers_from_the_history(store: Cli, db_path: Path) -> None:
    """A change made at 10:00 takes effect at 10:10. With the clock set back to 10:05 after a
    revoke made at 10:07, the grant is still pending then, although the latest change (the
    state table's) was made after that moment: --pending and readiness read the history."""
    store.ok("--now", "2026-11-27T10:00Z", "grant", "submitter", "jan@acme.nl")
    store.ok("--now", "2026-11-27T10:07Z", "revoke", "submitter", "jan@acme.nl")
    at = ("--now", "2026-11-27T10:05Z")
    listed = store.json(*at, "contacts", "list", "--pending")
    assert [row["email"] for row in listed] == ["jan@acme.nl"]
    readiness = store.json(*at, "readiness")
    assert "1001" not in [org["org"] for org in readiness["organisations_without_submitter"]]
    # At 10:08 the revoke was made: nobody holds the role as last granted or revoked.
    later = store.json("--now", "2026-11-27T10:08Z", "readiness")
    assert "1001" in [org["org"] for org in later["organisations_without_submitter"]]
    assert [r["email"] for r in store.json(*at, "contacts", "list", "--role", "submitter")] == []


def test_the_batch_planner_reads_the_state(store: Cli, db_path: Path) -> None:
    """A grant after several changes plans from the latest one: held, then not held."""
    for action in ("grant", "revoke", "grant"):
        store.ok(action, "manager", "jan@acme.nl")
    result = store.json("grant", "manager", "jan@acme.nl")
    assert result["summary"]["unchanged"] == 1
    store.ok("revoke", "manager", "jan@acme.nl")
    assert store.json("grant", "manager", "jan@acme.nl")["summary"]["granted"] == 1
