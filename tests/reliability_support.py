"""Shared by the reliability tests (docs/reliability.md): running the installed ``incidentctl``
as other processes, reading a store with plain sqlite3, and the figures docs/reliability.md
quotes.

Each reliability test adds what it did (processes, commands, faults, inputs) to
:data:`FIGURES`; pytest prints the totals at the end of the session (the
``pytest_terminal_summary`` hook in conftest.py), which is where the figures of the last run
in docs/reliability.md come from.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

EXE = Path(sys.executable).parent / "incidentctl"

FIGURES: Counter[str] = Counter()
"""What the reliability tests did in this session, by name (summed over parameters)."""

TABLES = (
    "organisations",
    "contacts",
    "role_changes",
    "events",
    "logins",
    "incidents",
    "recount_runs",
    "published_counts",
    "settings",
    "policy_bands",
)


def wait_until_store_open(process: subprocess.Popen[bytes], store: Path) -> bool:
    """Whether ``process`` opened the store file (its imports are done, the work begins):
    the moment from which a kill can land inside the command's work."""
    fd_dir = Path(f"/proc/{process.pid}/fd")
    target = str(store.resolve())
    while process.poll() is None:
        try:
            links = [str(fd.readlink()) for fd in fd_dir.iterdir()]
        except OSError:  # a descriptor closed while listing
            continue
        if target in links:
            return True
        time.sleep(0.0005)
    return False


def require_installed() -> Path:
    if not EXE.exists():
        pytest.skip(f"incidentctl is not installed beside {sys.executable}")
    return EXE


def installed_env(store: Path, **extra: str) -> dict[str, str]:
    """The test's environment (the autouse fixture cleaned INCIDENTCTL_*) aimed at ``store``."""
    return {**os.environ, "INCIDENTCTL_DB": str(store), **extra}


def table_counts(path: Path) -> dict[str, int]:
    """Rows per table: two stores with the same counts hold the same number of changes."""
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES
        }
    finally:
        conn.close()


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


def one_error(stderr: str) -> str:
    """The error contract (docs/exit-codes.md): one ``Error:`` line, optionally one ``Hint:``
    line, no traceback. Returns the error line."""
    lines = stderr.splitlines()
    assert len(lines) in (1, 2), f"not one error (and hint) line:\n{stderr}"
    assert lines[0].startswith("Error: "), stderr
    if len(lines) == 2:
        assert lines[1].startswith("Hint: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


def build_bulk_store(
    folder: Path,
    *,
    orgs: int,
    contacts_per_org: int,
    holders_per_org: int,
    org_id: Callable[[int], str],
    email: Callable[[int, int], str],
) -> Path:
    """A store of ``orgs`` organisations (300 employees: maximum 8) of ``contacts_per_org``
    contacts each, contact 0 the portal admin and contacts 1..holders_per_org submitters,
    built through the CLI in-process (for speed) in ``folder``."""
    from conftest import ENV_VARS, Cli

    path = folder / "bulk.db"
    contacts_csv = folder / "contacts.csv"
    with contacts_csv.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "org", "name", "portal_admin"])
        for n in range(orgs):
            for k in range(contacts_per_org):
                writer.writerow([email(n, k), org_id(n), f"Contact {k}", str(k == 0).lower()])
    holders = folder / "holders.txt"
    holders.write_text(
        "".join(f"{email(n, k)}\n" for n in range(orgs) for k in range(1, holders_per_org + 1)),
        encoding="utf-8",
    )
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    cli = Cli()
    cli.ok("init", env=env)
    for n in range(orgs):
        cli.ok("org", "add", org_id(n), "--name", f"Org {n}", "--employees", "300", env=env)
    cli.ok("contacts", "import", str(contacts_csv), env=env)
    cli.ok("grant", "submitter", "--file", str(holders), env=env)
    return path
