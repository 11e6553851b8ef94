"""``incidentctl where`` (docs/concepts.md, "The store"): the store in use, how it was chosen, and
whether it exists, without creating or opening it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import Cli
from reliability_support import require_installed

from incidentctl.paths import default_store_path


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_db_option(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "given.db"
    document = cli.json("--db", str(store), "where")
    assert document == {"path": str(store), "source": "option", "exists": False}
    assert not store.exists(), "where never creates the store"
    cli.ok("--db", str(store), "init")
    assert cli.json("--db", str(store), "where")["exists"] is True


def test_environment_variable(cli: Cli, db_path: Path) -> None:
    document = cli.json("where")
    assert document == {"path": str(db_path), "source": "environment", "exists": False}


def test_the_option_wins_over_the_environment(cli: Cli, tmp_path: Path, db_path: Path) -> None:
    assert os.environ["INCIDENTCTL_DB"] == str(db_path)  # the environment names another store
    store = tmp_path / "option.db"
    document = cli.json("--db", str(store), "where")
    assert document == {"path": str(store), "source": "option", "exists": False}


def test_default(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTCTL_DB")
    document = cli.json("where")
    assert document == {
        "path": str(default_store_path()),
        "source": "default",
        "exists": False,
    }
    assert not default_store_path().parent.exists(), "not even its folder is made"
    cli.ok("init")
    assert cli.json("where")["exists"] is True


def test_a_relative_path_is_shown_absolute(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.json("--db", "rel.db", "where")["path"] == str(tmp_path / "rel.db")


def test_the_human_output(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    lines = cli.ok("--db", str(store), "where").stdout.splitlines()
    assert lines == [
        f"Store:     {store}",
        "Chosen by: --db",
        "Exists:    no",
    ]
    lines = cli.ok("where").stdout.splitlines()
    assert lines[1] == "Chosen by: the INCIDENTCTL_DB environment variable"


def test_something_else_than_a_file_is_named(cli: Cli, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    assert cli.json("--db", str(fifo), "where")["exists"] is False
    shown = cli.ok("--db", str(fifo), "where").stdout
    assert "Exists:    no: " in shown
    assert "FIFO" in shown


def test_where_does_not_open_the_store(store: Cli, db_path: Path) -> None:
    """No -wal or -shm appears, and a store open to others keeps its mode (opening fixes it)."""
    db_path.chmod(0o644)
    before = files_in(db_path.parent)
    run = store.ok("where")
    assert run.stderr == ""
    assert files_in(db_path.parent) == before
    assert db_path.stat().st_mode & 0o777 == 0o644


@pytest.mark.e2e
def test_the_installed_command(tmp_path: Path) -> None:
    exe = require_installed()
    store = tmp_path / "cron.db"
    done = subprocess.run(
        [str(exe), "where", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "INCIDENTCTL_DB": str(store)},
    )
    assert '"source": "environment"' in done.stdout
    assert str(store) in done.stdout
    assert done.stderr == ""
