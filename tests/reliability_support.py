"""Shared by the reliability tests (issue 8): running the installed ``incidentctl`` as other
processes, reading a store with plain sqlite3, and the figures docs/reliability.md quotes.

Each reliability test adds what it did (processes, commands, faults, inputs) to
:data:`FIGURES`; pytest prints the totals at the end of the session (the
``pytest_terminal_summary`` hook in conftest.py), which is where the figures of the last run
in docs/reliability.md come from.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections import Counter
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
    """The error contract (SPEC §3): one ``Error:`` line, optionally one ``Hint:`` line, no
    traceback. Returns the error line."""
    lines = stderr.splitlines()
    assert len(lines) in (1, 2), f"not one error (and hint) line:\n{stderr}"
    assert lines[0].startswith("Error: "), stderr
    if len(lines) == 2:
        assert lines[1].startswith("Hint: "), stderr
    assert "Traceback" not in stderr
    return lines[0]
