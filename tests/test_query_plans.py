"""``check`` and ``quota`` answer from indexes, also after a bulk grant of every contact
(docs/performance.md): every statement they run is traced and its query plan may not scan a table
that grows with the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import build_store

from incidentctl.domain import Actor
from incidentctl.services import portal as portal_service
from incidentctl.services import quota as quota_service
from incidentctl.store import Store

GROWING = ("contacts", "role_changes", "events", "logins", "incidents", "published_counts")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
OPERATOR = Actor(name="operator")


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 000 contacts in 30 organisations, every one of them granted submitter and manager
    by the bulk commands, logged in, with statistics (ANALYZE)."""
    folder = tmp_path_factory.mktemp("plans")
    orgs = folder / "orgs.csv"
    orgs.write_text(
        "id,name,employees\n" + "".join(f"{1000 + o},Org {o},{40 + o}\n" for o in range(30))
    )
    contacts = folder / "contacts.csv"
    contacts.write_text(
        "email,org,name\n"
        + "".join(f"c{n}@org{n % 30}.nl,{1000 + n % 30},C {n}\n" for n in range(1, 3001))
    )
    policy = folder / "policy.toml"
    policy.write_text("bands = [{ from_employees = 0, maximum = 1000 }]\n")
    at = ("--now", "2026-11-01T10:00Z")
    path = build_store(
        folder / "store.db",
        (
            ("init",),
            ("policy", "load", str(policy), "--yes"),
            ("org", "import", str(orgs)),
            ("contacts", "import", str(contacts)),
            (*at, "grant", "submitter", "--file", str(contacts)),
            (*at, "grant", "manager", "--file", str(contacts)),
        ),
    )
    conn = sqlite3.connect(path)
    with conn:
        # No command logs 3 000 contacts in at once, nor gathers statistics: a busy store has
        # both, and a plan is chosen by them.
        conn.execute(
            "INSERT INTO logins (contact_id, at) SELECT id, '2026-11-02T09:00:00+00:00' "
            "FROM contacts"
        )
        conn.execute("ANALYZE")
    conn.close()
    return path


def _statements(path: Path, run: Callable[[Store], object]) -> list[str]:
    store = Store.open(path)
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    try:
        run(store)
    finally:
        store.conn.set_trace_callback(None)
        store.close()
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def _full_scans(path: Path, statements: list[str]) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        scans = []
        for statement in statements:
            for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + statement):
                # SEARCH is bounded by an index; SCAN reads a whole table (or a whole index
                # of it, which grows just the same).
                words = detail.split()
                if words[:1] == ["SCAN"] and words[1] in GROWING:
                    scans.append((detail, statement))
        return scans
    finally:
        conn.close()


def test_check_reads_only_through_indexes(big_store: Path) -> None:
    statements = _statements(
        big_store, lambda store: portal_service.check(store, OPERATOR, "c1500@org0.nl", NOW)
    )
    assert any("role_changes" in s for s in statements), statements  # the trace works
    assert _full_scans(big_store, statements) == []


def test_quota_reads_only_through_indexes(big_store: Path) -> None:
    statements = _statements(
        big_store, lambda store: quota_service.status(store, OPERATOR, NOW, "1007")
    )
    assert any("contacts" in s for s in statements), statements
    assert _full_scans(big_store, statements) == []


def test_the_detector_sees_a_table_scan(big_store: Path) -> None:
    """The check above can fail: an unindexed filter is reported."""
    assert _full_scans(big_store, ["SELECT count(*) FROM contacts WHERE name = 'C 7'"])
