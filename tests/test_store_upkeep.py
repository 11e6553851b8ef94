"""Looking after the store: ``init``, ``doctor`` and ``backup DEST``."""

from __future__ import annotations

import getpass
import os
import stat
from pathlib import Path

from conftest import Cli, Snapshot, events, plant

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, STORE_UNAVAILABLE

OPERATOR = f"operator:{getpass.getuser()}"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- init -----------------------------------------------------------------------------------


def test_init_json_document(cli: Cli, db_path: Path) -> None:
    assert cli.json("init") == {"path": str(db_path), "created": True, "demo_added": False}
    assert cli.json("init", "--demo") == {
        "path": str(db_path),
        "created": False,
        "demo_added": True,
    }


def test_init_as_a_portal_user_is_refused_before_creating_anything(
    cli: Cli, db_path: Path, tmp_path: Path
) -> None:
    cli.fails(NOT_AUTHORIZED, "--as", "ada@acme.nl", "init")
    assert not db_path.exists()
    assert list(tmp_path.iterdir()) == [], "no store, no WAL files, no folders"


def test_init_as_a_portal_user_of_an_existing_store(demo: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    demo.fails(NOT_AUTHORIZED, "--as", "anouk@vandijk.nl", "init")
    demo.fails(NOT_AUTHORIZED, "--as", "anouk@vandijk.nl", "init", "--demo")
    assert snapshot() == before


def test_the_demo_data_is_audited(demo: Cli, db_path: Path) -> None:
    actions = {e["action"] for e in events(db_path)}
    assert {"org.add", "contact.add", "grant"} <= actions
    assert {e["actor"] for e in events(db_path)} == {OPERATOR}


# --- doctor ---------------------------------------------------------------------------------


def doctor(cli: Cli) -> tuple[int, dict[str, dict[str, object]], dict[str, object]]:
    run = cli("doctor", "--json")
    assert "Traceback" not in run.stdout + run.stderr
    document = run.json()
    assert isinstance(document, dict)
    return run.exit_code, {c["name"]: c for c in document["checks"]}, document


def test_doctor_on_a_healthy_store(demo: Cli) -> None:
    code, checks, document = doctor(demo)
    assert code == 0
    assert document["healthy"] is True
    for name in (
        "store path",
        "permissions",
        "migration ledger",
        "tables",
        "indexes",
        "triggers",
        "integrity_check",
        "foreign_key_check",
        "journal mode",
    ):
        assert checks[name]["ok"] is True, name
    assert all(check["ok"] for check in checks.values())
    assert checks["journal mode"]["detail"] == "wal"
    out = demo.ok("doctor").stdout
    assert "FAIL" not in out
    assert "integrity_check" in out


def test_doctor_fails_a_store_others_can_read(demo: Cli, db_path: Path) -> None:
    db_path.chmod(0o644)
    code, checks, document = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert document["healthy"] is False
    assert checks["permissions"]["ok"] is False
    assert "0644" in str(checks["permissions"]["detail"])
    run = demo("doctor")
    assert run.exit_code == STORE_UNAVAILABLE
    assert any(
        line.startswith("FAIL") and "permissions" in line for line in run.stdout.splitlines()
    )


def test_doctor_on_a_missing_store(cli: Cli) -> None:
    code, checks, document = doctor(cli)
    assert code == STORE_UNAVAILABLE
    assert document["healthy"] is False
    assert checks["store file"]["ok"] is False


def test_doctor_notices_missing_append_only_triggers(demo: Cli, db_path: Path) -> None:
    plant(db_path, "DROP TRIGGER events_no_delete")
    code, checks, _ = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert checks["triggers"]["ok"] is False
    assert "events_no_delete" in checks["triggers"]["detail"]


def test_doctor_notices_broken_foreign_keys(demo: Cli, db_path: Path) -> None:
    plant(
        db_path,
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO contacts (email, org_id, name, created_at) "
        "VALUES ('orphan@nowhere.nl', 'gone', 'Orphan', '2024-01-01T00:00:00+00:00')",
    )
    code, checks, _ = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert checks["foreign_key_check"]["ok"] is False


def test_doctor_notices_a_store_not_in_wal_mode(demo: Cli, db_path: Path) -> None:
    plant(db_path, "PRAGMA journal_mode = DELETE")
    code, checks, _ = doctor(demo)
    assert code == STORE_UNAVAILABLE
    assert checks["journal mode"]["ok"] is False


def test_doctor_does_not_change_the_store(demo: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    demo.ok("doctor")
    assert snapshot() == before


# --- backup ---------------------------------------------------------------------------------


def test_backup_makes_a_private_copy_that_opens(
    demo: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    dest = tmp_path / "backups" / "copy.db"
    dest.parent.mkdir()
    document = demo.json("backup", str(dest))
    assert document["path"] == str(dest)
    assert document["bytes"] == dest.stat().st_size > 0
    assert document["pages"] > 0
    assert mode(dest) == 0o600
    assert snapshot() == before, "the backup does not change the store"

    original = demo.json("contacts", "list")
    assert demo.json("--db", str(dest), "contacts", "list") == original
    copied = demo.ok("--db", str(dest), "contacts", "list").stdout
    assert "anouk@vandijk.nl" in copied
    assert demo.json("--db", str(dest), "log") == demo.json("log")
    assert demo("--db", str(dest), "doctor").exit_code == 0


def test_backup_is_private_whatever_the_umask(demo: Cli, tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        demo.ok("backup", str(tmp_path / "copy.db"))
    finally:
        os.umask(old)
    assert mode(tmp_path / "copy.db") == 0o600


def test_backup_refuses_an_existing_destination(demo: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "exists.db"
    dest.write_bytes(b"precious")
    run = demo.fails(INVALID_INPUT, "backup", str(dest))
    assert str(dest) in run.error_lines[0]
    assert dest.read_bytes() == b"precious"


def test_backup_onto_the_store_itself_is_refused(
    demo: Cli, db_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    demo.fails(INVALID_INPUT, "backup", str(db_path))
    assert snapshot() == before


def test_backup_into_a_missing_folder_is_exit_2(demo: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "no" / "such" / "folder" / "copy.db"
    demo.fails(INVALID_INPUT, "backup", str(dest))
    assert not dest.exists()


def test_backup_as_a_portal_user_is_refused(demo: Cli, tmp_path: Path) -> None:
    dest = tmp_path / "copy.db"
    demo.fails(NOT_AUTHORIZED, "--as", "anouk@vandijk.nl", "backup", str(dest))
    assert not dest.exists()
