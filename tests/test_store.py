"""The store file (docs/concepts.md, "The store"): created 0600 in WAL mode, migrated on open,
and refused (exit 6, left untouched) when it is not an incidentctl store we can use."""

from __future__ import annotations

import random
import sqlite3
import stat
from pathlib import Path

import pytest
from conftest import Cli, Snapshot

from incidentctl import migrations
from incidentctl.errors import STORE_UNAVAILABLE, StoreUnavailable
from incidentctl.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_a_private_store_in_wal_mode(cli: Cli, db_path: Path) -> None:
    assert not db_path.exists()
    run = cli.ok("init")
    assert str(db_path) in run.stdout
    assert mode(db_path) == 0o600
    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = [name for (name,) in conn.execute("SELECT name FROM _sqlite_migrations")]
    finally:
        conn.close()
    assert applied == [name for name, _ in migrations.STEPS]


def test_init_creates_missing_folders(cli: Cli, tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "store.db"
    cli.ok("--db", str(nested), "init")
    assert mode(nested) == 0o600
    cli.ok("--db", str(nested), "contacts", "list")


def test_store_opened_by_the_library_uses_foreign_keys(cli: Cli, db_path: Path) -> None:
    cli.ok("init")
    store = Store.open(db_path)
    try:
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError), store.write() as conn:
            conn.execute(
                "INSERT INTO contacts (email, org_id, name, created_at) "
                "VALUES ('x@y.nl', 'no-such-org', 'X', '2024-01-01T00:00:00+00:00')"
            )
    finally:
        store.close()


def test_init_is_idempotent(cli: Cli, snapshot: Snapshot) -> None:
    first = cli.json("init")
    assert first["created"] is True
    cli.ok("org", "add", "1001", "--name", "Acme", "--employees", "30")
    before = snapshot()
    again = cli.json("init")
    assert again["created"] is False
    assert again["demo_added"] is False
    assert snapshot() == before


def test_init_demo_twice_adds_the_demo_once(cli: Cli, snapshot: Snapshot) -> None:
    assert cli.json("init", "--demo")["demo_added"] is True
    before = snapshot()
    run = cli.ok("init", "--demo")
    assert "already" in run.stdout
    assert snapshot() == before


def test_init_demo_refuses_a_store_with_organisations(cli: Cli, snapshot: Snapshot) -> None:
    cli.ok("init")
    cli.ok("org", "add", "1001", "--name", "Acme", "--employees", "30")
    before = snapshot()
    cli.fails(2, "init", "--demo")
    assert snapshot() == before


@pytest.mark.parametrize(
    "command",
    [
        ("contacts", "list"),
        ("org", "list"),
        ("org", "add", "1001", "--name", "Acme", "--employees", "3"),
        ("log",),
        ("settings", "show"),
        ("backup", "copy.db"),
        ("recount", "--quiet"),
    ],
)
def test_a_missing_store_named_by_the_environment_is_a_path_to_check(
    cli: Cli, db_path: Path, command: tuple[str, ...]
) -> None:
    """INCIDENTCTL_DB (as a crontab would set it) names a store that is not there: the hint
    is to check the path, never to run init, which would make the typo an empty store."""
    run = cli.fails(STORE_UNAVAILABLE, *command)
    assert str(db_path) in run.stderr
    hint = run.stderr.splitlines()[1]
    assert "check the path" in hint
    assert "init" not in hint
    assert not db_path.exists(), "only init creates a store"


def test_a_missing_store_named_by_db_is_a_path_to_check(cli: Cli, tmp_path: Path) -> None:
    typo = tmp_path / "incidnetctl.db"
    run = cli.fails(STORE_UNAVAILABLE, "--db", str(typo), "recount", "--quiet")
    assert str(typo) in run.error_lines[0]
    assert "check the path" in run.stderr
    assert "init" not in run.stderr
    assert not typo.exists()


def test_the_missing_default_store_suggests_init(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from incidentctl.paths import default_store_path

    monkeypatch.delenv("INCIDENTCTL_DB")
    run = cli.fails(STORE_UNAVAILABLE, "contacts", "list")
    assert str(default_store_path()) in run.error_lines[0]
    assert run.stderr.splitlines()[1] == "Hint: create one with: incidentctl init"
    assert not default_store_path().exists()


def test_an_empty_file_is_not_a_store_until_init(cli: Cli, db_path: Path) -> None:
    db_path.touch(mode=0o600)
    run = cli.fails(STORE_UNAVAILABLE, "contacts", "list")
    assert "empty" in run.error_lines[0]
    assert "check the path" in run.stderr
    assert db_path.read_bytes() == b""
    cli.ok("init")
    cli.ok("contacts", "list")


def _newer_store(cli: Cli, db_path: Path) -> bytes:
    """A store whose migrations table records a step this version does not know."""
    cli.ok("init")
    cli.ok("org", "add", "1001", "--name", "Acme", "--employees", "30")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES (?, '9999_from_the_future', '2030-01-01T00:00:00')",
            (migrations.MIGRATION_SET,),
        )
    conn.close()  # the last connection: the WAL is checkpointed into the file
    assert not Path(f"{db_path}-wal").exists()
    return db_path.read_bytes()


@pytest.mark.parametrize(
    "command",
    [("contacts", "list"), ("init",), ("org", "add", "2002", "--name", "G", "--employees", "1")],
)
def test_a_store_from_a_newer_version_is_refused_and_untouched(
    cli: Cli, db_path: Path, command: tuple[str, ...]
) -> None:
    original = _newer_store(cli, db_path)
    run = cli.fails(STORE_UNAVAILABLE, *command)
    assert "newer" in run.error_lines[0]
    assert "9999_from_the_future" in run.error_lines[0]
    assert db_path.read_bytes() == original


def test_doctor_reports_a_newer_store_without_changing_it(cli: Cli, db_path: Path) -> None:
    original = _newer_store(cli, db_path)
    run = cli("doctor")
    assert run.exit_code == STORE_UNAVAILABLE
    assert "FAIL" in run.stdout
    assert "newer" in run.stdout
    assert db_path.read_bytes() == original


@pytest.mark.parametrize(
    "content",
    [
        random.Random(2).randbytes(8192),
        b"this is a text file, not a database\n" * 20,
        b"SQLite format 3\x00" + b"\xff" * 200,  # the magic, then garbage
    ],
    ids=["random-bytes", "text", "damaged-header"],
)
@pytest.mark.parametrize("command", [("contacts", "list"), ("init",), ("doctor",)])
def test_a_file_that_is_not_a_database_exits_6_untouched(
    cli: Cli, db_path: Path, content: bytes, command: tuple[str, ...]
) -> None:
    db_path.write_bytes(content)
    run = cli(*command)
    assert run.exit_code == STORE_UNAVAILABLE
    assert "Traceback" not in run.stdout + run.stderr
    if command != ("doctor",):
        error = run.failed(STORE_UNAVAILABLE)
        assert str(db_path) in error
    assert db_path.read_bytes() == content


def _other_app_database(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('keep me')")
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    "command",
    [("contacts", "list"), ("init",), ("init", "--demo"), ("log",)],
)
def test_a_database_of_another_application_is_refused_and_untouched(
    cli: Cli, db_path: Path, command: tuple[str, ...]
) -> None:
    original = _other_app_database(db_path)
    error = cli.fails(STORE_UNAVAILABLE, *command).error_lines[0]
    assert "not an incidentctl store" in error
    assert db_path.read_bytes() == original
    conn = sqlite3.connect(db_path)
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert tables == {"notes"}


def test_another_sqlite_utils_application_is_refused(cli: Cli, db_path: Path) -> None:
    """An application that also uses sqlite-utils migrations, under another name."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "CREATE TABLE _sqlite_migrations (id INTEGER PRIMARY KEY, migration_set TEXT, "
            "name TEXT, applied_at TEXT)"
        )
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('someone-else', '0001_initial', '2024-01-01')"
        )
    conn.close()
    original = db_path.read_bytes()
    cli.fails(STORE_UNAVAILABLE, "init")
    assert db_path.read_bytes() == original


def test_a_directory_is_not_a_store(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "folder.db"
    folder.mkdir()
    cli.fails(STORE_UNAVAILABLE, "--db", str(folder), "contacts", "list")
    cli.fails(STORE_UNAVAILABLE, "--db", str(folder), "init")


def test_store_open_raises_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable) as missing:
        Store.open(tmp_path / "missing.db")
    assert missing.value.exit_code == STORE_UNAVAILABLE
    assert not (tmp_path / "missing.db").exists()


def test_env_var_and_db_option_choose_the_store(
    cli: Cli, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_store = tmp_path / "env.db"
    option_store = tmp_path / "option.db"
    monkeypatch.setenv("INCIDENTCTL_DB", str(env_store))
    cli.ok("init")
    cli.ok("org", "add", "1", "--name", "From env", "--employees", "1")
    cli.ok("--db", str(option_store), "init")
    cli.ok(
        "--db", str(option_store), "org", "add", "2", "--name", "From option", "--employees", "1"
    )

    assert [o["id"] for o in cli.json("org", "list")] == ["1"]
    assert [o["id"] for o in cli.json("--db", str(option_store), "org", "list")] == ["2"]
    assert not db_path.exists()


def test_without_db_the_store_lives_in_the_user_data_folder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentctl.paths import default_store_path

    monkeypatch.delenv("INCIDENTCTL_DB")
    expected = default_store_path()
    assert tmp_path in expected.parents, "the autouse fixture keeps the data folder in tmp_path"
    assert expected.name == "incidentctl.db"
    assert expected.parent.name == "incidentctl"
    cli.ok("init")
    assert expected.exists()
    assert mode(expected) == 0o600


def test_db_path_with_tilde_is_expanded(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    cli.ok("--db", "~/stores/s.db", "init")
    assert (tmp_path / "home" / "stores" / "s.db").exists()
