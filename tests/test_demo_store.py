"""The demo never lands in the store real work uses (docs/concepts.md, "The store"):
``init --demo`` on the default store is refused, and nothing is created there; the demo
goes into a file of its own, which is left by removing it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, dump

from incidentctl.errors import INVALID_INPUT

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).parent / "incidentctl"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user without INCIDENTCTL_DB, in a folder of their own; returns the default store."""
    monkeypatch.delenv("INCIDENTCTL_DB")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path / "xdg-data" / "incidentctl" / "incidentctl.db"  # conftest's XDG_DATA_HOME


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args],
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,  # never a terminal that a question could wait on
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def refused(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == INVALID_INPUT, done.stderr
    assert done.stdout == ""
    error, hint = done.stderr.splitlines()
    assert error.startswith("Error: the demo data does not go into the default store")
    assert hint.startswith("Hint: ")
    assert "incidentctl --db demo.db init --demo" in hint
    assert "rm demo.db*" in hint


def test_the_demo_is_refused_in_the_default_store_and_nothing_is_created(home: Path) -> None:
    refused(run("init", "--demo"))
    assert not home.parent.exists(), "not even the folder of the default store"
    refused(run("init", "--demo", "--json"))
    assert not home.parent.exists()


@pytest.mark.parametrize("how", ["--db", "INCIDENTCTL_DB", "symlink"])
def test_the_default_store_named_explicitly_is_refused_too(home: Path, how: str) -> None:
    assert run("init").returncode == 0  # the real store, empty
    before = dump(home)
    if how == "--db":
        done = run("--db", str(home), "init", "--demo")
    elif how == "INCIDENTCTL_DB":
        done = run("init", "--demo", INCIDENTCTL_DB=str(home))
    else:
        Path("link.db").symlink_to(home)
        done = run("--db", "link.db", "init", "--demo")
    refused(done)
    assert dump(home) == before


def test_the_demo_in_a_store_of_its_own_and_leaving_it(home: Path) -> None:
    created = run("--db", "demo.db", "init", "--demo")
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines() == ["Created the store at demo.db", "Added the demo data."]
    listing = run("--db", "demo.db", "contacts", "list")
    assert listing.returncode == 0
    assert "anouk@vandijk.nl" in listing.stdout
    assert not home.exists(), "the default store was never touched"
    # The real store starts empty beside it.
    assert run("init").returncode == 0
    assert run("contacts", "list").stdout.splitlines()[1:] == []
    # Leaving the demo: its files go, and nothing else refers to them.
    for leftover in Path().glob("demo.db*"):
        leftover.unlink()
    assert not list(Path().glob("demo.db*"))
    assert run("--db", "demo.db", "contacts", "list").returncode == 6


def test_init_says_when_the_default_store_holds_the_demo(
    home: Path, tmp_path: Path, cli: Cli
) -> None:
    """A default store that an earlier version filled with the demo data is named, so the
    administrator can move it away before real work starts."""
    old = tmp_path / "old-demo.db"
    cli.ok("--db", str(old), "init", "--demo")
    home.parent.mkdir(parents=True)
    shutil.copy2(old, home)
    done = run("init")
    assert done.returncode == 0
    assert done.stdout.strip() == f"Using the store at {home}"
    assert done.stderr.startswith(f"Note: the store at {home} holds the demo data")
    assert f"mv {home} demo.db" in done.stderr
    # Not for a store named explicitly (a demo store is meant to hold it), nor a real one.
    assert run("--db", str(old), "init").stderr == ""
    home.unlink()
    assert run("init").stderr == ""


def test_a_portal_user_is_refused_before_the_store_is_looked_at(home: Path) -> None:
    done = run("--as", "anouk@vandijk.nl", "init", "--demo")
    assert done.returncode == 4
    assert not home.parent.exists()
