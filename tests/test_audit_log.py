"""The audit log (docs/concepts.md, rule 8; ``log --json`` in docs/json.md): one event per
change, with who made it; ``log`` and its filters; and a store that refuses to edit or delete
its history."""

from __future__ import annotations

import getpass
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Cli, Snapshot, build_store, events

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, NOT_FOUND

OPERATOR = f"operator:{getpass.getuser()}"
LOG_KEYS = {"at", "actor", "action", "org", "contact", "role", "reason"}


HISTORY: tuple[tuple[str, ...], ...] = (
    ("init",),
    ("--now", "2024-05-01T09:00", "org", "add", "1001", "--name", "Acme", "--employees", "30"),
    ("--now", "2024-05-01T09:05", "org", "add", "2002", "--name", "Globex", "--employees", "5"),
    (
        "--now",
        "2024-05-01T10:00",
        "contacts",
        "add",
        "Ada@Acme.nl",
        "--org",
        "1001",
        "--name",
        "Ada",
        "--portal-admin",
    ),
    (
        "--now",
        "2024-05-01T10:01",
        "contacts",
        "add",
        "jan@acme.nl",
        "--org",
        "1001",
        "--name",
        "Jan",
    ),
    (
        "--now",
        "2024-05-01T10:02",
        "contacts",
        "add",
        "gina@globex.nl",
        "--org",
        "2002",
        "--name",
        "Gina",
    ),
    ("--now", "2024-05-02T08:00", "contacts", "set", "jan@acme.nl", "--name", "Jan Jansen"),
    ("--now", "2024-05-02T09:00", "org", "set", "1001", "--quota", "4", "--reason", "contract 17"),
    ("--now", "2024-05-03T12:00", "contacts", "set", "ADA@ACME.NL", "--expert-until", "2025-01-01"),
)
"""Changes at known times (Europe/Amsterdam: CEST, UTC+2, in May)."""


@pytest.fixture(scope="module")
def history_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("history") / "history.db", HISTORY)


@pytest.fixture
def history(cli: Cli, db_path: Path, history_template: Path) -> Cli:
    """A store with the changes of :data:`HISTORY`."""
    shutil.copy2(history_template, db_path)
    return cli


def log(cli: Cli, *args: str) -> list[dict[str, object]]:
    rows = cli.json("log", *args)
    assert isinstance(rows, list)
    return rows


def test_every_change_is_one_event_in_order(history: Cli) -> None:
    rows = log(history)
    assert [(r["action"], r["org"], r["contact"]) for r in rows] == [
        ("org.add", "1001", None),
        ("org.add", "2002", None),
        ("contact.add", "1001", "Ada@Acme.nl"),
        ("contact.add", "1001", "jan@acme.nl"),
        ("contact.add", "2002", "gina@globex.nl"),
        ("contact.set", "1001", "jan@acme.nl"),
        ("org.set", "1001", None),
        ("contact.set", "1001", "Ada@Acme.nl"),
    ]
    assert {r["actor"] for r in rows} == {OPERATOR}
    assert rows[6]["reason"] == "contract 17"


def test_log_json_document(history: Cli) -> None:
    rows = log(history)
    for row in rows:
        assert set(row) >= LOG_KEYS
        offset = datetime.fromisoformat(str(row["at"])).utcoffset()
        assert offset is not None
        assert offset.total_seconds() == 0, "times in JSON are UTC"
    assert rows[0]["at"] == "2024-05-01T07:00:00+00:00"
    assert [r["at"] for r in rows] == sorted(str(r["at"]) for r in rows)


def test_log_of_an_empty_store(cli: Cli) -> None:
    cli.ok("init")
    assert log(cli) == []
    assert cli.ok("log").exit_code == 0


def test_log_table(history: Cli) -> None:
    out = history.ok("log").stdout
    assert "contact.set" in out
    assert "contract 17" in out
    assert "2024-05-01 09:00:00 CEST" in out, "times are shown in the store's timezone"


def test_filter_by_org(history: Cli) -> None:
    rows = log(history, "--org", "2002")
    assert [(r["action"], r["contact"]) for r in rows] == [
        ("org.add", None),
        ("contact.add", "gina@globex.nl"),
    ]
    assert log(history, "--org", "9999") == []


@pytest.mark.parametrize("address", ["ada@acme.nl", "ADA@ACME.NL", "Ada@Acme.nl"])
def test_filter_by_contact_in_any_case(history: Cli, address: str) -> None:
    rows = log(history, "--contact", address)
    assert [r["action"] for r in rows] == ["contact.add", "contact.set"]


def test_filter_since(history: Cli) -> None:
    rows = log(history, "--since", "2024-05-02T08:00")
    assert [r["action"] for r in rows] == ["contact.set", "org.set", "contact.set"]
    assert [r["action"] for r in log(history, "--since", "2024-05-02T06:00Z")] == [
        "contact.set",
        "org.set",
        "contact.set",
    ]
    assert log(history, "--since", "2024-06-01") == []


def test_filter_since_relative_to_the_pinned_clock(history: Cli) -> None:
    pinned = history.json("--now", "2024-05-03T12:30", "log", "--since", "-1d")
    assert [r["action"] for r in pinned] == ["contact.set"]
    pinned = history.json("--now", "2024-05-03T12:30", "log", "--since", "-2d")
    assert [r["action"] for r in pinned] == ["contact.set", "org.set", "contact.set"]


def test_filter_by_action(history: Cli) -> None:
    assert [r["contact"] for r in log(history, "--action", "contact.add")] == [
        "Ada@Acme.nl",
        "jan@acme.nl",
        "gina@globex.nl",
    ]
    assert log(history, "--action", "grant") == []


def test_limit_is_the_last_n_oldest_first(history: Cli) -> None:
    everything = log(history)
    assert log(history, "--limit", "3") == everything[-3:]
    assert log(history, "--limit", "1") == everything[-1:]
    assert log(history, "--limit", "100") == everything


def test_filters_combine(history: Cli) -> None:
    rows = log(history, "--org", "1001", "--action", "contact.set", "--limit", "1")
    assert [(r["contact"], r["at"]) for r in rows] == [("Ada@Acme.nl", "2024-05-03T10:00:00+00:00")]
    rows = log(history, "--contact", "JAN@acme.nl", "--since", "2024-05-02")
    assert [r["action"] for r in rows] == ["contact.set"]


@pytest.mark.parametrize(
    "args",
    [
        ("--limit", "0"),
        ("--limit", "-1"),
        ("--limit", "many"),
        ("--since", "yesterday"),
        ("--since", ""),
        ("--since", "10"),
        ("--since", "2024-03-31T02:30"),
    ],
)
def test_bad_log_options_are_exit_2(history: Cli, args: tuple[str, ...]) -> None:
    run = history.fails(INVALID_INPUT, "log", *args)
    assert run.stdout == ""


def test_failed_and_no_op_commands_add_no_event(history: Cli, db_path: Path) -> None:
    count = len(events(db_path))
    history.ok("org", "add", "1001", "--name", "Acme", "--employees", "30")
    history.ok("contacts", "set", "jan@acme.nl", "--name", "Jan Jansen")
    history.ok("contacts", "add", "JAN@ACME.NL", "--org", "1001", "--name", "Jan Jansen")
    history("org", "set", "1001", "--quota", "9")
    history("contacts", "add", "bad", "--org", "1001", "--name", "X")
    history("--as", "jan@acme.nl", "org", "set", "1001", "--name", "Mine")
    assert len(events(db_path)) == count


def test_the_actor_is_the_portal_user_given_by_as(history: Cli) -> None:
    history.ok("--as", "ada@acme.nl", "contacts", "set", "jan@acme.nl", "--name", "J. Jansen")
    last = log(history, "--limit", "1")[0]
    assert last["actor"] == "Ada@Acme.nl", "the contact's address as stored"
    assert last["action"] == "contact.set"


def test_a_portal_admin_reads_only_its_own_organisations_log(history: Cli) -> None:
    rows = history.json("--as", "ada@acme.nl", "log")
    assert rows
    assert {r["org"] for r in rows} == {"1001"}
    # Another organisation is answered as one that does not exist.
    other = history("--as", "ada@acme.nl", "log", "--org", "2002")
    assert other.failed(NOT_FOUND) == "Error: no organisation '2002'"
    unknown = history("--as", "ada@acme.nl", "log", "--org", "9999")
    assert other.stderr == unknown.stderr.replace("9999", "2002")
    refused = history("--as", "jan@acme.nl", "log")
    assert "jan@acme.nl is not a portal admin" in refused.failed(NOT_AUTHORIZED)
    assert refused.stderr.splitlines()[1] == "Hint: ask a portal admin: Ada <Ada@Acme.nl>"


def test_a_portal_admin_does_not_see_the_operators_login_or_internal_reasons(
    history: Cli,
) -> None:
    rows = history.json("--as", "ada@acme.nl", "log")
    assert {r["actor"] for r in rows} == {"operator"}
    override = [r for r in rows if r["action"] == "org.set"]
    assert len(override) == 1
    assert override[0]["reason"] == "set by the vendor"
    assert override[0]["before"] == {"quota_override": None, "quota_override_reason": None}
    assert override[0]["after"] == {
        "quota_override": 4,
        "quota_override_reason": "set by the vendor",
    }
    human = history.ok("--as", "ada@acme.nl", "log").stdout
    assert "contract 17" not in human
    assert OPERATOR not in human
    # The operator sees what was recorded.
    operator = log(history, "--action", "org.set")[0]
    assert (operator["actor"], operator["reason"]) == (OPERATOR, "contract 17")


def test_before_and_after_are_in_the_event(history: Cli) -> None:
    last = log(history, "--action", "org.set")[0]
    assert last["before"] == {"quota_override": None, "quota_override_reason": None}
    assert last["after"] == {"quota_override": 4, "quota_override_reason": "contract 17"}


# --- append-only, enforced by the store itself ----------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events SET actor = 'someone else'",
        "UPDATE events SET reason = NULL WHERE id = 1",
        "DELETE FROM events",
        "DELETE FROM events WHERE id = (SELECT max(id) FROM events)",
    ],
)
def test_events_cannot_be_edited_or_deleted_with_sqlite(
    demo: Cli, db_path: Path, snapshot: Snapshot, statement: str
) -> None:
    before = snapshot()
    conn = _connect(db_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only") as raised:
            conn.execute(statement)
        assert isinstance(raised.value, sqlite3.IntegrityError)
    finally:
        conn.close()
    assert snapshot() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE role_changes SET action = 'revoke'",
        "UPDATE role_changes SET effective_at = requested_at",
        "DELETE FROM role_changes",
    ],
)
def test_role_history_cannot_be_edited_or_deleted_with_sqlite(
    demo: Cli, db_path: Path, snapshot: Snapshot, statement: str
) -> None:
    conn = _connect(db_path)
    try:
        assert conn.execute("SELECT count(*) FROM role_changes").fetchone()[0] > 0
        before = snapshot()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    finally:
        conn.close()
    assert snapshot() == before


def test_appending_is_still_allowed(demo: Cli, db_path: Path) -> None:
    count = len(events(db_path))
    conn = _connect(db_path)
    try:
        conn.execute(
            "INSERT INTO events (at, actor, action) "
            "VALUES ('2024-01-01T00:00:00+00:00', 'test', 'note')"
        )
    finally:
        conn.close()
    assert len(events(db_path)) == count + 1


@pytest.mark.parametrize("table", ["events", "role_changes", "published_counts", "recount_runs"])
def test_the_published_history_is_guarded_by_triggers(demo: Cli, db_path: Path, table: str) -> None:
    conn = _connect(db_path)
    try:
        triggers = {
            sql
            for (sql,) in conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
        }
    finally:
        conn.close()
    assert any("BEFORE UPDATE" in sql and "RAISE(ABORT" in sql for sql in triggers)
    assert any("BEFORE DELETE" in sql and "RAISE(ABORT" in sql for sql in triggers)
