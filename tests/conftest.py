"""Every test gets its own store file in tmp_path and a clean environment.

Helpers run the real CLI through Typer's CliRunner; ``snapshot`` dumps the store so a test
can show that a failed command changed nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from incidentctl.cli import app

ENV_VARS = (
    "INCIDENTCTL_DB",
    "INCIDENTCTL_AS",
    "INCIDENTCTL_NOW",
    "INCIDENTCTL_BUSY_TIMEOUT",
    "NO_COLOR",
)


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


class Cli:
    """Runs ``incidentctl ARGS`` in-process, as a user would type it."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Run:
        result = self.runner.invoke(app, list(args), input=input, env=env)
        return Run(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, **kwargs: object) -> Run:
        """Run and require exit 0, showing the output when it is not."""
        run = self(*args, **kwargs)  # type: ignore[arg-type]
        assert run.exit_code == 0, f"exit {run.exit_code}\n{run.stdout}\n{run.stderr}"
        return run


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


@pytest.fixture
def snapshot(db_path: Path) -> Callable[[], str]:
    return lambda: dump(db_path)


@pytest.fixture
def demo(cli: Cli) -> Cli:
    """A store with the demo data set."""
    cli.ok("init", "--demo")
    return cli


@pytest.fixture
def store(cli: Cli) -> Cli:
    """An initialised store with two organisations and a few contacts, no roles."""
    cli.ok("init")
    cli.ok("org", "add", "1001", "--name", "Acme B.V.", "--employees", "30")
    cli.ok("org", "add", "2002", "--name", "Globex", "--employees", "5", "--sector", "zorg")
    cli.ok(
        "contacts", "add", "admin@acme.nl", "--org", "1001", "--name", "Ada Admin", "--portal-admin"
    )
    cli.ok("contacts", "add", "jan@acme.nl", "--org", "1001", "--name", "Jan Jansen")
    cli.ok("contacts", "add", "piet@acme.nl", "--org", "1001", "--name", "Piet Pieters")
    cli.ok("contacts", "add", "gina@globex.nl", "--org", "2002", "--name", "Gina", "--portal-admin")
    return cli
