"""What --db may name, and how private the store is (docs/concepts.md, "The store").

- ``--db`` naming something that is not a regular file, nor a place where one can be
  created, is exit 6 before SQLite opens it: nothing (no ``-journal``, ``-wal``, ``-shm``) is
  left beside it, and a FIFO does not make the command hang. An empty ``--db`` or
  ``INCIDENTCTL_DB`` is exit 2.
- A store made through a dangling symbolic link, its ``-wal`` and ``-shm`` files and every
  folder ``init`` makes are their owner's only, whatever the umask. An existing store that
  group or others may read or write is made private, with one notice line on stderr, or
  refused (exit 6, with a hint) when that cannot be done.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from reliability_support import FIGURES, require_installed

from incidentctl.errors import INVALID_INPUT, STORE_UNAVAILABLE

COMPANIONS = ("-journal", "-wal", "-shm")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in COMPANIONS]


# --- what --db may name -------------------------------------------------------------------


@pytest.fixture
def socket_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # AF_UNIX paths are short (108 bytes): pytest's tmp_path may be longer.
    monkeypatch.chdir(tmp_path)
    server = socket.socket(socket.AF_UNIX)
    server.bind("s.sock")
    try:
        yield tmp_path / "s.sock"
    finally:
        server.close()


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.db"
    os.mkfifo(path)
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.db"
    path.mkdir()
    return path


def _under_a_file(tmp_path: Path) -> Path:
    (tmp_path / "plain").write_text("a file, not a folder\n")
    return tmp_path / "plain" / "store.db"


NOT_A_STORE_FILE: dict[str, Callable[[Path], Path]] = {
    "/dev/null": lambda _: Path(os.devnull),
    "fifo": _fifo,
    "folder": _folder,
    "under-a-file": _under_a_file,
}


@pytest.mark.parametrize("kind", NOT_A_STORE_FILE)
@pytest.mark.parametrize(
    "command",
    [("init",), ("contacts", "list"), ("grant", "submitter", "jan@acme.nl"), ("recount",)],
)
def test_db_naming_something_else_than_a_file_is_exit_6_and_leaves_nothing(
    kind: str, command: tuple[str, ...], tmp_path: Path
) -> None:
    """Through the installed incidentctl, with a timeout: SQLite on a FIFO would block."""
    exe = require_installed()
    target = NOT_A_STORE_FILE[kind](tmp_path)
    folder = target.parent
    before = sorted(folder.iterdir()) if folder.is_dir() and kind != "/dev/null" else None
    done = subprocess.run(
        [str(exe), "--db", str(target), *command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "INCIDENTCTL_DB": ""},
    )
    assert done.returncode == STORE_UNAVAILABLE, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 2, done.stderr
    assert lines[0].startswith(f"Error: {target}")
    assert lines[1].startswith("Hint: ")
    assert done.stdout == ""
    for leftover in companions(target):
        assert not leftover.exists(), f"{leftover} was left behind"
    if before is not None:
        assert sorted(folder.iterdir()) == before
    FIGURES["store file: --db paths refused before SQLite opened them"] += 1


def test_a_socket_is_not_a_store(cli: Cli, socket_path: Path) -> None:
    error = cli.fails(STORE_UNAVAILABLE, "--db", str(socket_path), "init").error_lines[0]
    assert "socket" in error
    assert not any(path.exists() for path in companions(socket_path))


@pytest.mark.parametrize(
    ("kind", "word"),
    [("/dev/null", "character device"), ("fifo", "FIFO"), ("folder", "folder")],
)
def test_the_error_says_what_is_there_instead(
    cli: Cli, tmp_path: Path, kind: str, word: str
) -> None:
    target = NOT_A_STORE_FILE[kind](tmp_path)
    error = cli.fails(STORE_UNAVAILABLE, "--db", str(target), "contacts", "list").error_lines[0]
    assert f"{target} is " in error
    assert word in error


def test_doctor_reports_a_path_that_is_not_a_file(cli: Cli, tmp_path: Path) -> None:
    target = _fifo(tmp_path)
    run = cli("--db", str(target), "doctor", "--json")
    assert run.exit_code == STORE_UNAVAILABLE
    checks = {check["name"]: check for check in run.json()["checks"]}  # type: ignore[index]
    assert checks["store file"]["ok"] is False
    assert "FIFO" in checks["store file"]["detail"]


@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_db_option_is_exit_2(cli: Cli, value: str, isolated: Path) -> None:
    from incidentctl.paths import default_store_path

    run = cli.fails(INVALID_INPUT, "--db", value, "init")
    assert "--db" in run.error_lines[0]
    assert not default_store_path().exists(), "never the default store instead"
    assert not isolated.exists()


def test_an_empty_environment_variable_is_exit_2(cli: Cli) -> None:
    from incidentctl.paths import default_store_path

    cli.fails(INVALID_INPUT, "init", env={"INCIDENTCTL_DB": ""})
    cli.fails(INVALID_INPUT, "where", env={"INCIDENTCTL_DB": ""})
    assert not default_store_path().exists()


def test_db_wins_over_an_empty_environment_variable(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "given.db"
    cli.ok("--db", str(store), "init", env={"INCIDENTCTL_DB": ""})
    assert store.exists()


# --- private, whatever the umask ----------------------------------------------------------


@pytest.fixture
def umask() -> Iterator[Callable[[int], object]]:
    """Sets the process's umask for the test, and puts the old one back."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.mark.parametrize("value", [0o000, 0o022, 0o277])
def test_init_makes_every_folder_private(
    cli: Cli, tmp_path: Path, umask: Callable[[int], object], value: int
) -> None:
    store = tmp_path / "a" / "b" / "c" / "store.db"
    umask(value)
    cli.ok("--db", str(store), "init")
    assert mode(store) == 0o600
    for folder in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert mode(folder) == 0o700, folder
    assert mode(tmp_path) == stat.S_IMODE(tmp_path.stat().st_mode), "existing folders as they were"


@pytest.mark.parametrize("relative", [True, False])
def test_a_store_made_through_a_dangling_link_is_private(
    cli: Cli, tmp_path: Path, umask: Callable[[int], object], relative: bool
) -> None:
    link = tmp_path / "link.db"
    target = tmp_path / "real" / "store.db"
    link.symlink_to(Path("real") / "store.db" if relative else target)
    umask(0)
    cli.ok("--db", str(link), "init", "--demo")
    assert link.is_symlink()
    assert mode(target) == 0o600
    assert mode(target.parent) == 0o700
    reader = sqlite3.connect(link)  # keeps the -wal and -shm files while they are looked at
    try:
        reader.execute("SELECT count(*) FROM contacts").fetchone()
        cli.ok("--db", str(link), "grant", "submitter", "dirk@vandijk.nl")
        wal_files = [path for path in companions(target) if path.exists()]
        assert len(wal_files) == 2
        assert {path.name: mode(path) for path in wal_files} == {
            path.name: 0o600 for path in wal_files
        }
    finally:
        reader.close()
    assert cli.json("--db", str(link), "doctor")["healthy"] is True


@pytest.fixture
def open_store(store: Cli, db_path: Path) -> Path:
    """The test store, readable and writable by everyone, and its -wal and -shm too (a
    reader keeps them; SQLite gives them the store's mode)."""
    db_path.chmod(0o666)
    return db_path


def test_a_store_open_to_others_is_made_private_with_a_notice(
    cli: Cli, open_store: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    reader = sqlite3.connect(open_store)
    try:
        reader.execute("SELECT count(*) FROM contacts").fetchone()
        for path in companions(open_store)[1:]:
            path.chmod(0o644)
        run = cli.ok("org", "list", "--json")
        assert mode(open_store) == 0o600
        assert [mode(path) for path in companions(open_store)[1:]] == [0o600, 0o600]
    finally:
        reader.close()
    notice = run.stderr.splitlines()
    assert len(notice) == 1, run.stderr
    assert str(open_store) in notice[0]
    assert "0666" in notice[0]
    assert "0600" in notice[0]
    assert [org["id"] for org in run.json()] == ["1001", "2002"]  # type: ignore[union-attr]
    assert snapshot() == before, "permissions only"
    assert cli.ok("org", "list").stderr == "", "once fixed, no notice"


def test_only_group_and_others_lose_their_rights(cli: Cli, store: Cli, db_path: Path) -> None:
    db_path.chmod(0o640)
    cli.ok("contacts", "list")
    assert mode(db_path) == 0o600
    db_path.chmod(0o444)  # read-only for its owner too: kept so, only others lose
    cli.ok("contacts", "list")
    assert mode(db_path) == 0o400


def test_doctor_reports_a_store_open_to_others_without_changing_it(
    cli: Cli, open_store: Path
) -> None:
    run = cli("doctor", "--json")
    assert run.exit_code == STORE_UNAVAILABLE
    checks = {check["name"]: check for check in run.json()["checks"]}  # type: ignore[index]
    assert checks["permissions"]["ok"] is False
    assert "0666" in checks["permissions"]["detail"]
    assert mode(open_store) == 0o666, "doctor reports; the next command fixes"


def test_another_applications_database_keeps_its_mode(cli: Cli, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    db_path.chmod(0o644)
    cli.fails(STORE_UNAVAILABLE, "contacts", "list")
    assert mode(db_path) == 0o644, "not ours: never changed"


def _immutable(path: Path, on: bool) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    flag = "+i" if on else "-i"
    done = subprocess.run([chattr, flag, str(path)], capture_output=True, check=False)
    return done.returncode == 0


def test_a_store_that_cannot_be_made_private_is_refused(
    cli: Cli, open_store: Path, snapshot: Snapshot
) -> None:
    """chmod fails for anyone but the owner; an immutable file (chattr +i) makes it fail for
    root too, which is how this runs in CI."""
    if os.geteuid() != 0:
        pytest.skip("only root can make a file whose mode its owner cannot change (chattr +i)")
    before = snapshot()
    if not _immutable(open_store, True):
        pytest.skip("chattr +i is not available here")
    try:
        run = cli.fails(STORE_UNAVAILABLE, "grant", "submitter", "jan@acme.nl")
    finally:
        _immutable(open_store, False)
    assert "cannot be made private" in run.error_lines[0]
    assert f"chmod 600 {open_store}" in run.stderr.splitlines()[1]
    assert mode(open_store) == 0o666
    assert snapshot() == before
