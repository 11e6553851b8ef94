"""``check`` and ``quota`` answer from indexes, also after a bulk grant of every contact
(docs/performance.md): every statement they run is traced and its query plan may not scan a table
that grows with the store. The reads of many contacts (``org list``, ``quota`` of every
organisation, ``contacts list``, the batch planner, the recount) may read every contact, but
never the history: no scan of ``role_changes`` or ``events``, whose size grows with every
change ever made (the current state is read from ``role_state``)."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import build_store

from incidentctl.domain import Actor
from incidentctl.roles import MANAGER, SUBMITTER
from incidentctl.services import contacts as contact_service
from incidentctl.services import orgs as org_service
from incidentctl.services import portal as portal_service
from incidentctl.services import quota as quota_service
from incidentctl.services import recount as recount_service
from incidentctl.services import roles as role_service
from incidentctl.store import Store

GROWING = (
    "contacts",
    "role_changes",
    "events",
    "logins",
    "incidents",
    "published_counts",
    "role_state",
)
HISTORY = ("role_changes", "events")
"""The tables that grow with every change ever made, not with the contacts."""
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
    return _plans(path, run)[0]


def _plans(
    path: Path, run: Callable[[Store], object], growing: tuple[str, ...] = GROWING
) -> tuple[list[str], list[tuple[str, str]]]:
    """(every statement that reads a table, the scans of ``growing`` tables in their plans),
    explained on the connection that ran them, which still holds its temporary tables."""
    store = Store.open(path)
    seen: list[str] = []
    store.conn.set_trace_callback(seen.append)
    try:
        run(store)
    finally:
        store.conn.set_trace_callback(None)
    try:
        statements = [_query(s) for s in seen if _query(s)]
        return statements, _scans(store.conn, statements, growing)
    finally:
        store.close()


_CREATE_AS = re.compile(r"\s*CREATE\s+TEMP\s+TABLE\s+\S+\s+AS\s+", re.IGNORECASE)


def _query(statement: str) -> str:
    """The part of a statement that has a query plan: the statement itself for a SELECT,
    INSERT … SELECT or UPDATE; the query of a CREATE TEMP TABLE … AS; else nothing."""
    text = _CREATE_AS.sub("", statement, count=1).lstrip()
    if text.upper().startswith(("SELECT", "WITH", "INSERT", "UPDATE")):
        return text
    return ""


_NAMED = re.compile(
    r"\b(?:FROM|JOIN)\s+(?:\w+\.)?(\w+)(?:\s+(?:AS\s+)?(?!(?:WHERE|ON|JOIN|LEFT|INNER|CROSS|"
    r"ORDER|GROUP|LIMIT|USING|WINDOW|UNION|EXCEPT|INTERSECT|NATURAL)\b)(\w+))?",
    re.IGNORECASE,
)


def _tables(statement: str) -> dict[str, str]:
    """The table each name in a statement's FROM and JOIN clauses stands for: a query plan
    names a table by its alias (``SCAN r``)."""
    names = {}
    for table, alias in _NAMED.findall(statement):
        names[table] = table
        if alias:
            names[alias] = table
    return names


def _scans(
    conn: sqlite3.Connection, statements: list[str], growing: tuple[str, ...]
) -> list[tuple[str, str]]:
    scans = []
    for statement in statements:
        tables = _tables(statement)
        for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + statement):
            # SEARCH is bounded by an index; SCAN reads a whole table (or a whole index
            # of it, which grows just the same).
            words = detail.split()
            if words[:1] == ["SCAN"] and tables.get(words[1], words[1]) in growing:
                scans.append((detail, statement))
    return scans


def _full_scans(path: Path, statements: list[str]) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return _scans(conn, statements, GROWING)
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


def test_quota_of_an_organisation_counts_from_index_ranges(big_store: Path) -> None:
    """The counts of one organisation read its holders from the state table and its
    inactive contacts and experts from their small partial indexes: no contact row."""
    statements, scans = _plans(
        big_store, lambda store: quota_service.status(store, OPERATOR, NOW, "1007")
    )
    assert any("role_state" in s for s in statements), statements
    assert scans == []
    conn = sqlite3.connect(big_store)
    try:
        details = [
            detail
            for statement in statements
            for *_, detail in conn.execute("EXPLAIN QUERY PLAN " + statement)
        ]
    finally:
        conn.close()
    assert any("role_state_holders" in d for d in details), details
    assert any("contacts_org_inactive" in d for d in details), details
    assert any("contacts_org_expert" in d for d in details), details


def _listing(store: Store) -> None:
    for form in ("rows", "table", "csv", "json"):
        for text in contact_service.listing(store, OPERATOR, NOW, form):  # type: ignore[arg-type]
            assert text
    list(contact_service.listing(store, OPERATOR, NOW, "csv", role=SUBMITTER))
    list(contact_service.listing(store, OPERATOR, NOW, "rows", pending=True))
    list(contact_service.listing(store, OPERATOR, NOW, "json", org_id="1007"))


def _batch(store: Store) -> None:
    emails = [f"c{n}@org{n % 30}.nl" for n in range(1, 3001, 3)]
    for role in (SUBMITTER, MANAGER):
        for action in ("revoke", "grant"):
            outcome = role_service.change(
                store,
                OPERATOR,
                NOW,
                action=action,  # type: ignore[arg-type]
                role=role,
                rows=role_service.batch_rows(emails),
            )
            assert outcome.applied


READS: dict[str, Callable[[Store], object]] = {
    "check": lambda store: portal_service.check(store, OPERATOR, "c1500@org0.nl", NOW),
    "quota ID": lambda store: quota_service.status(store, OPERATOR, NOW, "1007"),
    "quota (every organisation)": lambda store: quota_service.statuses(store, OPERATOR, NOW),
    "quota (its table)": lambda store: quota_service.shown(store, OPERATOR, NOW, ("y", "n", "-")),
    "org list": lambda store: org_service.overviews(store, OPERATOR, NOW),
    "org list (its table)": lambda store: org_service.listing(store, OPERATOR, NOW),
    "contacts list": _listing,
    "grant and revoke (the batch planner and its writes)": _batch,
    "recount": lambda store: recount_service.recount(store, OPERATOR, NOW, force=True),
    "readiness": lambda store: portal_service.readiness(store, OPERATOR, NOW, 30),
}


@pytest.mark.parametrize("statistics", [True, False], ids=["analyzed", "no statistics"])
@pytest.mark.parametrize("read", READS)
def test_no_common_read_scans_the_history(
    big_store: Path, tmp_path: Path, read: str, statistics: bool
) -> None:
    """With statistics (ANALYZE) and without (no command gathers them), on a copy: the
    batches and the recount write."""
    path = tmp_path / "store.db"
    shutil.copyfile(big_store, path)
    if not statistics:
        conn = sqlite3.connect(path)
        with conn:
            conn.execute("DROP TABLE sqlite_stat1")
        conn.close()
    statements, scans = _plans(path, READS[read], HISTORY)
    assert any("role_state" in s for s in statements) or read == "check", statements
    assert scans == []


def test_the_detector_sees_a_table_scan(big_store: Path) -> None:
    """The check above can fail: an unindexed filter is reported."""
    assert _full_scans(big_store, ["SELECT count(*) FROM contacts WHERE name = 'C 7'"])
    conn = sqlite3.connect(big_store)
    try:
        # A plan names a table by its alias.
        aliased = "SELECT count(*) FROM role_changes AS r JOIN contacts c ON c.id = r.contact_id"
        assert _scans(conn, [f"{aliased} WHERE r.actor = 'x'"], HISTORY)
        assert _scans(conn, ["SELECT 1 FROM events e WHERE e.reason = 'x'"], HISTORY)
    finally:
        conn.close()
