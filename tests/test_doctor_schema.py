"""``doctor`` compares the store with the schema the migrations create (docs/concepts.md, "The
store"): every table, index and trigger with its definition, and the migration ledger. What it
expects is built by applying the migrations to an in-memory database, so a new migration step
needs no change here; a dropped, altered or added object is a FAIL that names it, and exit 6."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Snapshot, plant

from incidentctl import migrations
from incidentctl.errors import STORE_UNAVAILABLE


def doctor(cli: Cli) -> tuple[int, dict[str, dict[str, Any]]]:
    run = cli("doctor", "--json")
    assert "Traceback" not in run.stdout + run.stderr
    document = run.json()
    assert isinstance(document, dict)
    assert document["healthy"] is (run.exit_code == 0)
    return run.exit_code, {check["name"]: check for check in document["checks"]}


def failing(checks: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {name: check["detail"] for name, check in checks.items() if not check["ok"]}


def test_a_new_store_has_the_schema_of_its_migrations(demo: Cli, db_path: Path) -> None:
    code, checks = doctor(demo)
    assert code == 0
    conn = sqlite3.connect(db_path)
    try:
        counts = dict(
            conn.execute(
                "SELECT type, count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite%' "
                "AND tbl_name != '_sqlite_migrations' GROUP BY type"
            ).fetchall()
        )
    finally:
        conn.close()
    assert checks["tables"]["detail"] == f"{counts['table']} as the migrations create them"
    assert checks["indexes"]["detail"] == f"{counts['index']} as the migrations create them"
    assert checks["triggers"]["detail"].startswith(f"{counts['trigger']} as the migrations")
    assert "views" not in checks
    steps = len(migrations.STEPS)
    assert checks["migration ledger"]["detail"].startswith(f"{steps} of {steps} steps applied")


# Each change to a store, and what doctor must then say about it.
TAMPERING = {
    "dropped trigger": (
        ["DROP TRIGGER events_no_delete"],
        {"triggers": "missing trigger events_no_delete"},
    ),
    "altered trigger": (
        [
            "DROP TRIGGER role_changes_no_update",
            "CREATE TRIGGER role_changes_no_update BEFORE UPDATE ON role_changes "
            "WHEN 0 BEGIN SELECT RAISE(ABORT, 'role_changes is append-only'); END",
        ],
        {"triggers": "altered trigger role_changes_no_update"},
    ),
    "added trigger": (
        [
            "CREATE TRIGGER sneaky AFTER INSERT ON role_changes BEGIN "
            "DELETE FROM logins WHERE contact_id = NEW.contact_id; END"
        ],
        {"triggers": "unexpected trigger sneaky"},
    ),
    "dropped index": (
        ["DROP INDEX role_changes_contact_role"],
        {"indexes": "missing index role_changes_contact_role"},
    ),
    "altered index": (
        ["DROP INDEX events_org", "CREATE INDEX events_org ON events(org_id, at)"],
        {"indexes": "altered index events_org"},
    ),
    "added column": (
        ["ALTER TABLE contacts ADD COLUMN notes TEXT"],
        {"tables": "altered table contacts"},
    ),
    "dropped table": (
        ["DROP TABLE policy_bands"],
        {"tables": "missing table policy_bands"},
    ),
    "added view": (
        ["CREATE VIEW admins AS SELECT email FROM contacts WHERE portal_admin = 1"],
        {"views": "unexpected view admins"},
    ),
}


@pytest.mark.parametrize("change", TAMPERING)
def test_a_changed_schema_is_a_fail_that_names_the_object(
    demo: Cli, db_path: Path, change: str
) -> None:
    statements, expected = TAMPERING[change]
    plant(db_path, *statements)
    code, checks = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert failing(checks) == expected
    text = demo("doctor")
    assert text.exit_code == STORE_UNAVAILABLE
    (name, detail), *_ = expected.items()
    assert f"FAIL  {name}: {detail}" in text.stdout.splitlines()


def test_every_problem_is_named_at_once(demo: Cli, db_path: Path) -> None:
    plant(
        db_path,
        "DROP TRIGGER events_no_update",
        "DROP TRIGGER published_counts_no_delete",
        "CREATE INDEX extra ON events(actor)",
    )
    _, checks = doctor(demo)
    assert failing(checks) == {
        "triggers": "missing trigger events_no_update, published_counts_no_delete",
        "indexes": "unexpected index extra",
    }


def test_analyze_statistics_are_not_a_schema_change(demo: Cli, db_path: Path) -> None:
    plant(db_path, "ANALYZE")
    code, _ = doctor(demo)
    assert code == 0


# --- the migration ledger ----------------------------------------------------------------


def test_a_step_recorded_twice_is_a_fail(demo: Cli, db_path: Path) -> None:
    first = migrations.STEPS[0][0]
    plant(
        db_path,
        "DROP INDEX idx__sqlite_migrations_migration_set_name",
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        f"VALUES ('{migrations.MIGRATION_SET}', '{first}', '2030-01-01')",
    )
    code, checks = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert failing(checks) == {"migration ledger": f"step {first} recorded more than once"}


def test_an_unknown_step_is_a_fail_and_the_store_is_left_alone(
    demo: Cli, db_path: Path, snapshot: Snapshot
) -> None:
    plant(
        db_path,
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        f"VALUES ('{migrations.MIGRATION_SET}', '9999_from_the_future', '2030-01-01')",
    )
    before = snapshot()
    code, checks = doctor(demo)
    assert code == STORE_UNAVAILABLE
    detail = failing(checks)["migration ledger"]
    assert "unknown step 9999_from_the_future" in detail
    assert "newer" in detail
    assert "tables" not in checks, "a newer version's schema is not compared"
    assert snapshot() == before


def test_a_store_without_a_ledger_is_not_an_incidentctl_store(demo: Cli, db_path: Path) -> None:
    plant(db_path, "DROP TABLE _sqlite_migrations")
    code, checks = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert failing(checks) == {"migration ledger": "none: not an incidentctl store"}


def _a_second_step(monkeypatch: pytest.MonkeyPatch) -> str:
    """This version gains a step the store has not applied (as after an upgrade)."""

    def add_notes(db: Any) -> None:
        db.conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")

    name = "9000_test_notes"  # after every real step
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, (name, add_notes)))
    return name


def test_an_older_store_is_healthy_and_doctor_does_not_migrate_it(
    demo: Cli, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot()
    name = _a_second_step(monkeypatch)
    code, checks = doctor(demo)
    assert code == 0, failing(checks)
    assert checks["migration ledger"]["detail"].endswith(f"the next command applies {name}")
    assert snapshot() == before, "doctor reads the store as it is"
    demo.ok("contacts", "list")  # any other command migrates it
    code, checks = doctor(demo)
    assert code == 0
    steps = len(migrations.STEPS)
    assert f"{steps} of {steps} steps applied" in checks["migration ledger"]["detail"]
    assert checks["tables"]["ok"] is True


def test_a_step_missing_before_a_later_one_is_a_fail(
    demo: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _a_second_step(monkeypatch)
    demo.ok("contacts", "list")  # applies the second step
    first = migrations.STEPS[0][0]
    plant(db_path, f"DELETE FROM _sqlite_migrations WHERE name = '{first}'")
    code, checks = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert failing(checks)["migration ledger"] == f"missing step {first} before a later one"


def test_a_missing_store_given_by_path_is_a_path_to_check(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As for every command (docs/cron.md): a given path that holds no store is never a
    reason to suggest init; the default store's is."""
    _, checks = doctor(cli)
    assert checks["store file"]["detail"] == (
        "missing: check the path given with --db or INCIDENTCTL_DB ('incidentctl where' shows "
        "the store in use)"
    )
    monkeypatch.delenv("INCIDENTCTL_DB")
    _, checks = doctor(cli)
    assert checks["store file"]["detail"] == "missing: create one with: incidentctl init"


# --- the state table against the role history ----------------------------------------------


def test_the_state_table_is_checked_against_the_history(demo: Cli, db_path: Path) -> None:
    """The current state kept beside the history (docs/concepts.md, "The store") holds the
    latest change of every contact's role; doctor counts the rows that do not."""
    code, checks = doctor(demo)
    assert code == 0
    conn = sqlite3.connect(db_path)
    try:
        (keys,) = conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT contact_id, role FROM role_changes)"
        ).fetchone()
    finally:
        conn.close()
    assert keys > 3
    assert checks["role state"] == {
        "name": "role state",
        "ok": True,
        "detail": f"{keys:,} rows, as the role history has them",
    }


FIRST = "(SELECT min(contact_id) FROM role_state)"
ONE_ROLE = (
    f"contact_id = {FIRST} AND role = (SELECT min(role) FROM role_state WHERE contact_id = {FIRST})"
)

# Each change to the state table, and how many of its rows then disagree (None: every row of
# the first contact in it).
STATE_TAMPERING = {
    "a row changed": (
        [
            "UPDATE role_state SET action = iif(action = 'grant', 'revoke', 'grant') "
            f"WHERE {ONE_ROLE}"
        ],
        1,
    ),
    "an organisation not followed": (
        [f"UPDATE role_state SET org_id = '2002' WHERE contact_id = {FIRST}"],
        None,
    ),
    "a row missing": ([f"DELETE FROM role_state WHERE {ONE_ROLE}"], 1),
    "a row too many": (
        [
            "INSERT INTO role_state VALUES (999, 'manager', '1001', 1, 'grant', "
            "'2024-01-01T00:00:00+00:00', '2024-01-01T00:00:00+00:00')"
        ],
        1,
    ),
    "an older change": (
        [f"UPDATE role_state SET change_id = change_id - 1 WHERE contact_id = {FIRST}"],
        None,
    ),
}


@pytest.mark.parametrize("change", STATE_TAMPERING)
def test_a_state_that_disagrees_with_the_history_is_a_fail_that_counts_it(
    demo: Cli, db_path: Path, change: str
) -> None:
    statements, expected = STATE_TAMPERING[change]
    conn = sqlite3.connect(db_path)
    try:
        (contact_rows,) = conn.execute(
            f"SELECT count(*) FROM role_state WHERE contact_id = {FIRST}"
        ).fetchone()
    finally:
        conn.close()
    plant(db_path, *statements)
    code, checks = doctor(demo)
    assert code == STORE_UNAVAILABLE
    count = expected if expected is not None else contact_rows
    verb = "disagrees" if count == 1 else "disagree"
    row = "row" if count == 1 else "rows"
    assert failing(checks) == {
        "role state": f"{count:,} {row} of role_state {verb} with the role history "
        "(changed outside incidentctl: restore the store from a backup)"
    }


def test_an_older_store_gets_its_state_table_from_its_history(
    cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made before 0004 is healthy (doctor compares no state it does not have yet);
    the next command builds the state table from the history, and doctor finds it equal."""
    before_0004 = tuple(step for step in migrations.STEPS if step[0] < "0004")
    with monkeypatch.context() as older:
        older.setattr(migrations, "STEPS", before_0004)
        cli.ok("init")
    plant(
        db_path,
        "INSERT INTO organisations (id, name, employees, created_at) "
        "VALUES ('1001', 'Acme', 30, '2024-01-01T00:00:00+00:00')",
        "INSERT INTO contacts (id, email, org_id, name, created_at) "
        "VALUES (1, 'jan@acme.nl', '1001', 'Jan', '2024-01-01T00:00:00+00:00')",
        *(
            "INSERT INTO role_changes (contact_id, role, action, requested_at, effective_at, "
            f"actor) VALUES (1, 'submitter', '{action}', '2024-02-0{day}T09:00:00+00:00', "
            f"'2024-02-0{day}T09:10:00+00:00', 'operator')"
            for day, action in enumerate(("grant", "revoke", "grant"), start=1)
        ),
    )
    with monkeypatch.context() as older:
        older.setattr(migrations, "STEPS", before_0004)
        code, checks = doctor(cli)
    assert code == 0, failing(checks)
    assert "role state" not in checks
    code, checks = doctor(cli)
    assert code == 0, failing(checks)
    assert "the next command applies 0004_role_state" in checks["migration ledger"]["detail"]
    assert "role state" not in checks, "not there yet"
    assert cli.json("contacts", "show", "jan@acme.nl")["roles"] == ["submitter"]  # migrates
    code, checks = doctor(cli)
    assert code == 0, failing(checks)
    assert checks["role state"]["detail"] == "1 row, as the role history has them"
