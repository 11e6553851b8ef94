"""Every test gets its own store file in tmp_path and a clean environment.

Helpers run the real CLI through Typer's CliRunner; ``snapshot`` dumps the store so a test
can show that a failed command changed nothing. The ``store`` data set is built through the
CLI once per session and copied byte for byte into each test's store.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
import typer.testing
from typer.testing import CliRunner

from incidentctl.cli import app

ENV_VARS = (
    "INCIDENTCTL_DB",
    "INCIDENTCTL_AS",
    "INCIDENTCTL_NOW",
    "INCIDENTCTL_BUSY_TIMEOUT",
    "INCIDENTCTL_FORCE_TTY",
    "INCIDENTCTL_PAGER",
    "NO_COLOR",
)


# Building the Click command from the Typer app costs about 50 ms, more than most commands
# take, and CliRunner.invoke rebuilds it on every call: build it once for the session.
_command = typer.main.get_command(app)
_build_command = typer.testing._get_command


def _cached_command(given: typer.Typer) -> Any:
    return _command if given is app else _build_command(given)


typer.testing._get_command = _cached_command


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store path per test; the user's own store and settings are never touched."""
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    db = tmp_path / "store.db"
    monkeypatch.setenv("INCIDENTCTL_DB", str(db))
    return db


@pytest.fixture
def db_path(isolated: Path) -> Path:
    return isolated


@dataclass
class Run:
    """What one invocation did."""

    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("Error:")]

    def failed(self, code: int) -> str:
        """Require exit ``code`` and the error contract (SPEC §3): stderr is one ``Error:``
        line, optionally followed by one ``Hint:`` line, and no traceback anywhere.
        Returns the error line."""
        assert self.exit_code == code, f"exit {self.exit_code}\n{self.stdout}\n{self.stderr}"
        lines = self.stderr.splitlines()
        assert len(lines) in (1, 2), f"stderr is not one error (and hint) line:\n{self.stderr}"
        assert lines[0].startswith("Error: "), self.stderr
        if len(lines) == 2:
            assert lines[1].startswith("Hint: "), self.stderr
        assert "Traceback" not in self.stdout + self.stderr
        return lines[0]


class Cli:
    """Runs ``incidentctl ARGS`` in-process, as a user would type it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str,
        input: str | bytes | None = None,
        env: dict[str, str | None] | None = None,
    ) -> Run:
        result = self.runner.invoke(app, list(args), input=input, env=env)
        return Run(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, **kwargs: object) -> Run:
        """Run and require exit 0, showing the output when it is not."""
        run = self(*args, **kwargs)  # type: ignore[arg-type]
        assert run.exit_code == 0, f"exit {run.exit_code}\n{run.stdout}\n{run.stderr}"
        return run

    def fails(self, code: int, *args: str, **kwargs: object) -> Run:
        """Run and require exit ``code`` with one ``Error:`` line (see :meth:`Run.failed`)."""
        run = self(*args, **kwargs)  # type: ignore[arg-type]
        run.failed(code)
        return run

    def json(self, *args: str, **kwargs: object) -> Any:
        """Run ``ARGS --json``, require exit 0, and return the parsed document."""
        return self.ok(*args, "--json", **kwargs).json()


@pytest.fixture
def cli() -> Cli:
    return Cli()


def dump(path: Path) -> str:
    """The whole store as SQL text: equal dumps mean nothing changed."""
    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


Snapshot = Callable[[], str]
"""The ``snapshot`` fixture: call it to dump the store (compare two calls)."""


@pytest.fixture
def snapshot(db_path: Path) -> Snapshot:
    return lambda: dump(db_path)


STORE_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("init",),
    ("org", "add", "1001", "--name", "Acme B.V.", "--employees", "30"),
    ("org", "add", "2002", "--name", "Globex", "--employees", "5", "--sector", "zorg"),
    ("contacts", "add", "admin@acme.nl", "--org", "1001", "--name", "Ada Admin", "--portal-admin"),
    ("contacts", "add", "jan@acme.nl", "--org", "1001", "--name", "Jan Jansen"),
    ("contacts", "add", "piet@acme.nl", "--org", "1001", "--name", "Piet Pieters"),
    ("contacts", "add", "gina@globex.nl", "--org", "2002", "--name", "Gina", "--portal-admin"),
)


def build_store(path: Path, commands: tuple[tuple[str, ...], ...]) -> Path:
    """Run ``commands`` through the CLI on a new store at ``path``, for session- or
    module-scoped templates: outside any test's environment, so the user's own
    INCIDENTCTL_* variables are removed here."""
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    runner = Cli()
    for command in commands:
        runner.ok(*command, env=env)
    assert not Path(f"{path}-wal").exists(), "every connection is closed: one file holds it all"
    return path


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("store") / "store.db", STORE_COMMANDS)


@pytest.fixture
def demo(cli: Cli) -> Cli:
    """A store with the demo data set. Made per test: the demo's times are relative to now
    (a grant still propagating), so a copy made earlier in the session could have aged."""
    cli.ok("init", "--demo")
    return cli


@pytest.fixture
def store(cli: Cli, db_path: Path, store_template: Path) -> Cli:
    """An initialised store with two organisations and a few contacts, no roles
    (:data:`STORE_COMMANDS`)."""
    shutil.copy2(store_template, db_path)
    return cli


def events(path: Path) -> list[dict[str, Any]]:
    """Every audit event in the store, oldest first, read with plain sqlite3."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM events ORDER BY id")]
    finally:
        conn.close()


def give_role(path: Path, email: str, role: str, *, reason: str = "test setup") -> None:
    """Grant ``role`` to a contact through the role service, as the operator would.

    Issue 2 has no grant command yet; this goes through the same service and store code
    (one write transaction, audited), never around them.
    """
    from incidentctl import timeutil
    from incidentctl.domain import Actor
    from incidentctl.roles import defined
    from incidentctl.services import roles as role_service
    from incidentctl.store import Store

    store = Store.open(path)
    try:
        with store.write() as conn:
            outcome = role_service.apply_emails(
                conn,
                Actor(name="operator:test"),
                timeutil.system_now(),
                store.settings,
                action="grant",
                role=defined().named(role),
                emails=[email],
                reason=reason,
            )
        assert outcome.summary["granted"] == 1, outcome
    finally:
        store.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures of the reliability tests (docs/reliability.md), when any of them ran."""
    from reliability_support import FIGURES

    if FIGURES:
        terminalreporter.section("reliability figures")
        for name, value in sorted(FIGURES.items()):
            terminalreporter.write_line(f"{name}: {value}")
