"""End to end: the INSTALLED ``incidentctl`` (and ``python -m incidentctl``) run as a user
runs them, in a subprocess, on a store in tmp_path."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, build_store

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).parent / "incidentctl"
ENTRY_POINTS = {
    "console-script": [str(SCRIPT)],
    "python-m": [sys.executable, "-m", "incidentctl"],
}


@pytest.fixture
def env(db_path: Path) -> dict[str, str]:
    """The test's environment (the autouse fixture removed the INCIDENTCTL_* variables and
    points INCIDENTCTL_DB into tmp_path)."""
    environment = dict(os.environ)
    assert environment["INCIDENTCTL_DB"] == str(db_path)
    return environment


def run(
    entry: list[str], *args: str, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*entry, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if check:
        assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists(), f"pip install . puts incidentctl next to {sys.executable}"


@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_readme_flow_init_demo_then_list_contacts(
    entry: list[str], env: dict[str, str], db_path: Path, cli: Cli
) -> None:
    created = run(entry, "init", "--demo", env=env)
    assert str(db_path) in created.stdout
    assert db_path.exists()
    listing = run(entry, "contacts", "list", env=env)
    assert listing.stderr == ""
    for row in cli.json("contacts", "list"):
        assert row["email"] in listing.stdout
    assert "submitter" in listing.stdout


@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_an_error_is_one_line_and_its_exit_code(
    entry: list[str], env: dict[str, str], demo: Cli
) -> None:
    done = run(entry, "org", "show", "9999", env=env, check=False)
    assert done.returncode == 3
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Error: ")
    assert "9999" in lines[0]
    assert lines[1].startswith("Hint: ")


def test_a_missing_store_and_a_non_database(env: dict[str, str], db_path: Path) -> None:
    entry = ENTRY_POINTS["console-script"]
    missing = run(entry, "contacts", "list", env=env, check=False)
    assert missing.returncode == 6
    assert missing.stderr.startswith("Error: ")
    assert "check the path" in missing.stderr  # INCIDENTCTL_DB names it: never "init"
    assert "init" not in missing.stderr

    db_path.write_text("not a database\n" * 100)
    garbage = run(entry, "contacts", "list", env=env, check=False)
    assert garbage.returncode == 6
    assert garbage.stderr.splitlines()[0].startswith("Error: ")
    assert "Traceback" not in garbage.stderr


def test_import_from_stdin(env: dict[str, str], demo: Cli) -> None:
    done = subprocess.run(
        [*ENTRY_POINTS["console-script"], "contacts", "import", "-", "--json"],
        input=b"\xef\xbb\xbfemail,org,name\r\nnew@snel.nl,1004,Nieuw\r\n",
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == 1
    assert demo.json("contacts", "show", "new@snel.nl")["name"] == "Nieuw"


def test_version(env: dict[str, str]) -> None:
    from incidentctl import __version__

    done = run(ENTRY_POINTS["python-m"], "--version", env=env)
    assert done.stdout == f"incidentctl {__version__}\n"


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """Run with stdout and stderr on a pseudo-terminal; (exit code, everything written)."""
    main, child = pty.openpty()
    try:
        process = subprocess.Popen(args, stdout=child, stderr=child, env=env)
    finally:
        os.close(child)
    written = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        written += chunk
    os.close(main)
    return process.wait(timeout=60), written


def test_no_color_on_a_terminal_writes_no_escape_sequences(env: dict[str, str], demo: Cli) -> None:
    entry = ENTRY_POINTS["console-script"]
    terminal_env = {**env, "TERM": "xterm-256color", "COLUMNS": "200"}
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR"):
        terminal_env.pop(var, None)

    # Without the pager, whose own control of the screen is not incidentctl's output.
    listing = [*entry, "--no-pager", "contacts", "list"]
    code, styled = _on_a_terminal(listing, terminal_env)
    assert code == 0
    assert b"\x1b[" in styled, "the control: a terminal does get styles"

    code, plain = _on_a_terminal(listing, {**terminal_env, "NO_COLOR": "1"})
    assert code == 0
    assert b"anouk@vandijk.nl" in plain
    assert b"\x1b" not in plain

    code, failed = _on_a_terminal(
        [*entry, "org", "show", "9999"], {**terminal_env, "NO_COLOR": "1"}
    )
    assert code == 3
    assert b"\x1b" not in failed


@pytest.fixture(scope="module")
def bulk_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with enough contacts that a listing overflows a pipe's buffer."""
    folder = tmp_path_factory.mktemp("bulk")
    rows = "".join(f"user{i:05d}@bulk.example.nl,1,User number {i}\n" for i in range(4000))
    (folder / "bulk.csv").write_text("email,org,name\n" + rows)
    return build_store(
        folder / "bulk.db",
        (
            ("init",),
            ("org", "add", "1", "--name", "Bulk", "--employees", "9"),
            ("contacts", "import", str(folder / "bulk.csv")),
        ),
    )


@pytest.mark.parametrize(
    "command",
    [
        ("contacts", "list"),
        ("contacts", "list", "--json"),
        ("contacts", "list", "--csv"),
        ("log", "--json"),
    ],
)
def test_a_reader_that_goes_away_gets_no_traceback(
    env: dict[str, str], db_path: Path, bulk_template: Path, command: tuple[str, ...]
) -> None:
    """``incidentctl contacts list | head -1``: the listing streams, and when the reader
    closes the pipe nothing but (at most) one line reaches stderr."""
    shutil.copy2(bulk_template, db_path)
    process = subprocess.Popen(
        [*ENTRY_POINTS["console-script"], *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.read(100)  # one line could be all of it: JSON is one line when piped
    process.stdout.close()  # like head: read a little, then go away
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, "docs/exit-codes.md: the reader went away"
    assert "Traceback" not in stderr
    assert "Exception ignored" not in stderr
    assert len(stderr.splitlines()) <= 1
