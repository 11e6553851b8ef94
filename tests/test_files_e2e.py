"""Endless and huge input through the INSTALLED ``incidentctl`` (docs/reliability.md,
"Limits"): /dev/zero, a
1 GiB file of one line, and an endless pipe end in exit 2 within seconds, and the peak memory
of every input-reading command stays within 300 MiB whatever it is fed, a large valid
contacts CSV included (the import streams: its peak does not grow with the file).

Peak memory is the child's ``ru_maxrss`` from ``wait4``. Linux carries a parent's peak
across fork and exec, so each command is started by a small spawner process rather than by
pytest itself, whose own size would count (as benchmarks/run.py does)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, NamedTuple

import pytest
from conftest import Cli
from reliability_support import FIGURES, one_error, require_installed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LIMIT_MIB = 300
SPAWNER = """
import json, os, sys
report, *command = sys.argv[1:]
pid = os.fork()
if pid == 0:
    os.execv(command[0], command)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as file:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kib": usage.ru_maxrss}, file)
"""
ENDLESS = "import sys\nwhile True:\n    sys.stdout.buffer.write(b'a' * 65536)\n"


class Ran(NamedTuple):
    code: int
    peak_mib: float
    stdout: str
    stderr: str


def run_measured(
    args: list[str], db: Path, tmp_path: Path, stdin: IO[bytes] | int | None = None
) -> Ran:
    """Run the installed incidentctl with ``args``; its exit code, peak memory and output."""
    exe = require_installed()
    report = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-c", SPAWNER, str(report), str(exe), *args],
        env={**os.environ, "INCIDENTCTL_DB": str(db)},
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=True,
    )
    measured: dict[str, Any] = json.loads(report.read_text())
    peak = measured["maxrss_kib"] / 1024
    FIGURES["files: largest peak memory of an input-reading command (MiB)"] = max(
        FIGURES["files: largest peak memory of an input-reading command (MiB)"], round(peak)
    )
    FIGURES["files: hostile inputs through the installed command"] += 1
    return Ran(measured["code"], peak, done.stdout.decode(), done.stderr.decode())


COMMANDS = {
    "contacts import": ["contacts", "import"],
    "org import": ["org", "import"],
    "grant --file": ["grant", "submitter", "--file"],
    "revoke --file": ["revoke", "manager", "--file"],
    "apply": ["apply"],
    "policy load": ["policy", "load"],
}
WHOLE_FILE = {"apply", "policy load"}


@pytest.fixture
def db(store: Cli, db_path: Path) -> Path:
    return db_path


def refused_by_the_limit(ran: Ran, command: str, source: str) -> None:
    assert ran.code == 2, ran.stderr
    error = one_error(ran.stderr)
    if command in WHOLE_FILE:
        assert (
            error == f"Error: {source}: the file is larger than 4 MiB, the most a TOML file may be"
        )
    else:
        assert error.startswith(f"Error: {source}, line 1: the line is longer than 64 KiB")
    assert ran.peak_mib <= LIMIT_MIB, f"{command}: {ran.peak_mib:.0f} MiB"


@pytest.mark.parametrize("command", COMMANDS)
def test_dev_zero(db: Path, tmp_path: Path, command: str) -> None:
    ran = run_measured([*COMMANDS[command], "/dev/zero"], db, tmp_path)
    refused_by_the_limit(ran, command, "/dev/zero")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_of_one_line_of_1_gib(db: Path, tmp_path: Path, command: str) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as file:
        file.write(b"jan@acme.nl")
        file.truncate(1024**3)  # sparse: 1 GiB on paper, nothing on disk
    ran = run_measured([*COMMANDS[command], str(huge)], db, tmp_path)
    refused_by_the_limit(ran, command, str(huge))


@pytest.mark.parametrize("command", COMMANDS)
def test_an_endless_pipe(db: Path, tmp_path: Path, command: str) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", ENDLESS], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert writer.stdout is not None
        ran = run_measured([*COMMANDS[command], "-"], db, tmp_path, stdin=writer.stdout)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    refused_by_the_limit(ran, command, "<stdin>")


def test_deep_toml_through_the_installed_command(db: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    for command in ("apply", "policy load"):
        ran = run_measured([*COMMANDS[command], str(deep)], db, tmp_path)
        assert ran.code == 2
        assert one_error(ran.stderr) == (
            f"Error: {deep}: arrays or tables nest more than 32 levels deep"
        )


def contacts_csv(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as file:
        file.write("email;org;name;portal_admin\n")
        for n in range(rows):
            file.write(f"user{n}@bulk.example.nl;2002;Gebruiker nummer {n};{n % 40 == 0}\n")
    return path


def test_a_large_valid_contacts_csv_streams(db: Path, tmp_path: Path) -> None:
    """20,000 and 200,000 new contacts (7 MiB): the peak is the same, far below the bound.
    Read into a list, as before, 200,000 rows took some 170 MiB more than 20,000."""
    small = run_measured(
        ["contacts", "import", str(contacts_csv(tmp_path / "small.csv", 20_000)), "--dry-run"],
        db,
        tmp_path,
    )
    large = run_measured(
        ["contacts", "import", str(contacts_csv(tmp_path / "large.csv", 200_000)), "--json"],
        db,
        tmp_path,
    )
    assert small.code == 0, small.stderr
    assert large.code == 0, large.stderr
    assert json.loads(large.stdout)["added"] == 200_000
    assert large.peak_mib <= LIMIT_MIB
    assert large.peak_mib - small.peak_mib < 25, (small.peak_mib, large.peak_mib)
    FIGURES["files: peak of contacts import, 20,000 rows (MiB)"] = round(small.peak_mib)
    FIGURES["files: peak of contacts import, 200,000 rows (MiB)"] = round(large.peak_mib)
