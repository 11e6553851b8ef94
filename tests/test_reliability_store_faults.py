"""A store that cannot be used as usual (docs/exit-codes.md, exit 6; docs/reliability.md).

A read-only store file and folder, a full disk, a store locked by another process for longer
than the busy timeout, and a truncated file: each command that meets one exits 6 with one
clear line saying what is wrong, and the file is not damaged.

Most commands run in-process (CliRunner) on a real store file; a full disk needs a process of
its own (the installed ``incidentctl`` with a file size limit), and the lock is held by
another process. These tests run as root in CI, and root ignores file permissions: read-only
is made with ``chattr +i`` (immutable, which binds root too) where available, and with chmod
for other users.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ENV_VARS, Cli, Run, dump
from reliability_support import (
    FIGURES,
    installed_env,
    integrity,
    one_error,
    require_installed,
)

WRITE = ("grant", "submitter", "dirk@vandijk.nl")  # the demo's free seat in 1001
READ = ("quota", "1001", "--json")


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "demo.db"
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    Cli().ok("init", "--demo", env=env)
    return path


@pytest.fixture
def store(demo_template: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "stores"
    folder.mkdir()
    path = folder / "store.db"
    shutil.copy2(demo_template, path)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(result: subprocess.CompletedProcess[str] | Run, *words: str) -> str:
    """Exit 6, one clear error line (with each of ``words``), nothing on stdout."""
    code = (
        result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    )
    assert code == 6, f"exit {code}\n{result.stdout}\n{result.stderr}"
    error = one_error(result.stderr)
    for word in words:
        assert word in error, error
    assert result.stdout == ""
    FIGURES["store faults: commands refused with exit 6"] += 1
    return error


def invoke(store: Path, *args: str, busy_timeout: str | None = None) -> Run:
    env = {"INCIDENTCTL_BUSY_TIMEOUT": busy_timeout} if busy_timeout else None
    return Cli()("--db", str(store), *args, env=env)


# --- read-only ------------------------------------------------------------------------------------


def _chattr(flag: str, *paths: Path) -> bool:
    chattr = shutil.which("chattr")
    if chattr is None:
        return False
    done = subprocess.run([chattr, flag, *map(str, paths)], capture_output=True, check=False)
    return done.returncode == 0


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """``paths`` cannot be written, not even by root, until the block ends."""
    if os.geteuid() == 0:
        if not _chattr("+i", *paths):
            pytest.skip("running as root without chattr +i: root can write a chmod 444 file")
        try:
            yield
        finally:
            _chattr("-i", *paths)
        return
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, old in modes.items():
            path.chmod(old)


def test_a_read_only_store_file_is_read_but_never_written(store: Path) -> None:
    before = digest(store)
    with read_only(store):
        reading = invoke(store, *READ)
        writing = invoke(store, *WRITE)
        recount = invoke(store, "recount")
    assert reading.exit_code == 0, reading.stderr  # reading needs no write access
    refused(writing, "read-only")
    refused(recount, "read-only")
    assert digest(store) == before
    assert integrity(store) == ["ok"]
    FIGURES["store faults: injected"] += 1


def test_a_store_in_a_read_only_folder_is_refused_untouched(store: Path) -> None:
    before = digest(store)
    with read_only(store.parent):
        results = [invoke(store, *args) for args in (READ, WRITE, ("doctor",))]
    for result in results[:2]:
        refused(result, str(store))
        assert "write to its folder" in result.stderr, result.stderr  # WAL needs -wal and -shm
    assert results[2].exit_code == 6
    assert "FAIL" in results[2].stdout
    assert digest(store) == before
    assert integrity(store) == ["ok"]
    FIGURES["store faults: injected"] += 1


# --- a full disk ----------------------------------------------------------------------------------


def _limit_file_size(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def test_python_ignores_sigxfsz_so_a_size_limit_is_an_error_not_a_kill() -> None:
    """Writing past RLIMIT_FSIZE sends SIGXFSZ, which kills by default; the interpreter the
    installed incidentctl runs on ignores it, so the write fails with EFBIG instead."""
    probe = "import signal; print(signal.getsignal(signal.SIGXFSZ) == signal.SIG_IGN)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize("limit_kib", [8, 64, 1024])
@pytest.mark.e2e
@pytest.mark.slow
def test_a_full_disk_is_reported_and_changes_nothing(
    store: Path, tmp_path: Path, limit_kib: int
) -> None:
    """The files the command writes (the WAL, its index, the store) may not grow past the
    limit: as on a full disk, the write fails half-way."""
    rows = "".join(f"new{n}@vandijk.nl,1001,New contact {n}\n" for n in range(5000))
    csv_file = tmp_path / "many.csv"
    csv_file.write_text("email,org,name\n" + rows, encoding="utf-8")
    before = dump(store)
    done = subprocess.run(
        [str(require_installed()), "contacts", "import", str(csv_file)],
        env=installed_env(store),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: _limit_file_size(limit_kib * 1024),
    )
    assert done.returncode != -signal.SIGXFSZ, "killed by SIGXFSZ instead of reporting it"
    error = refused(done, "full")
    assert "not a readable" not in error, error  # not "restore it from a backup"
    assert "backup" not in done.stderr, done.stderr
    assert dump(store) == before
    assert integrity(store) == ["ok"]
    assert invoke(store, "doctor").exit_code == 0
    FIGURES["store faults: injected"] += 1


@pytest.fixture
def tiny_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (root only): a disk that really fills up (ENOSPC)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_really_full_disk_is_reported_and_changes_nothing(
    tiny_filesystem: Path, demo_template: Path, tmp_path: Path
) -> None:
    store = tiny_filesystem / "store.db"
    shutil.copy2(demo_template, store)
    rows = "".join(f"new{n}@vandijk.nl,1001,New contact {n}\n" for n in range(3000))
    csv_file = tmp_path / "many.csv"
    csv_file.write_text("email,org,name\n" + rows, encoding="utf-8")
    before = dump(store)
    refused(invoke(store, "contacts", "import", str(csv_file)), "full")
    assert dump(store) == before
    assert integrity(store) == ["ok"]
    FIGURES["store faults: injected"] += 1


# --- locked by another process --------------------------------------------------------------------

HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
conn.execute("BEGIN EXCLUSIVE" if sys.argv[2] == "exclusive" else "BEGIN IMMEDIATE")
conn.execute("INSERT INTO settings (key, value) VALUES ('held', 'by another process')")
print("holding", flush=True)
sys.stdin.read()  # until the test closes stdin; then the transaction is rolled back
"""


@contextmanager
def held(store: Path, how: str) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.mark.parametrize("how", ["immediate", "exclusive"])
@pytest.mark.slow
def test_a_store_locked_longer_than_the_busy_timeout_is_exit_6(store: Path, how: str) -> None:
    """Another process holds the write lock (BEGIN IMMEDIATE), or the whole file (exclusive
    locking mode), for longer than INCIDENTCTL_BUSY_TIMEOUT: the command gives up cleanly."""
    before = dump(store)
    with held(store, how):
        started = time.monotonic()
        writing = invoke(store, *WRITE, busy_timeout="0.5")
        waited = time.monotonic() - started
        reading = invoke(store, *READ, busy_timeout="0.5")
    refused(writing, "busy", "0.5 s")
    assert 0.4 < waited < 10, f"gave up after {waited:.1f} s, not after the busy timeout"
    if how == "immediate":
        assert reading.exit_code == 0, reading.stderr  # WAL: readers never wait for a writer
    else:
        refused(reading, "busy")
    assert dump(store) == before
    assert integrity(store) == ["ok"]
    again = invoke(store, *WRITE)
    assert again.exit_code == 0, again.stderr  # and nothing was left locked
    FIGURES["store faults: injected"] += 1


# --- truncated ------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 60, 4096, 0.5, -4096])
def test_a_truncated_store_is_exit_6_and_left_as_it_is(
    store: Path, demo_template: Path, keep: float
) -> None:
    """Cut after ``keep`` bytes (a fraction: of the file; negative: from the end)."""
    size = store.stat().st_size
    assert size > 8 * 4096
    assert not Path(f"{store}-wal").exists()
    cut = int(size * keep) if isinstance(keep, float) else keep if keep >= 0 else size + keep
    with store.open("r+b") as file:
        file.truncate(cut)
    before = digest(store)
    for args in (READ, WRITE, ("contacts", "list"), ("log", "--json")):
        result = invoke(store, *args)
        if cut == 0:
            refused(result, "the file is empty")
        else:
            refused(result, "not a readable SQLite database")
            assert "backup" in result.stderr, result.stderr
        assert digest(store) == before, f"{args} changed the damaged file"
    doctor = invoke(store, "doctor")
    assert doctor.exit_code == 6
    assert "FAIL" in doctor.stdout
    assert digest(store) == before
    FIGURES["store faults: injected"] += 1


def test_every_sqlite_error_text_of_a_fault_is_translated() -> None:
    """The one place that turns SQLite's errors into exit 6 knows each fault above."""
    from incidentctl.store import describe_sqlite_error

    for text in (
        "database is locked",
        "attempt to write a readonly database",
        "database or disk is full",
        "database disk image is malformed",
        "file is not a database",
        "unable to open database file",
        "disk I/O error",
    ):
        translated = describe_sqlite_error(sqlite3.OperationalError(text), Path("s.db"))
        assert translated is not None, text
        assert translated.exit_code == 6, text
    assert describe_sqlite_error(sqlite3.OperationalError("no such table: x")) is None
