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
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple

import pytest
from conftest import Cli, Snapshot
from reliability_support import FIGURES, one_error, require_installed

from incidentctl import files

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


YES = """
import sys
line = (sys.argv[1] + "\\n").encode() * 4096
try:
    while True:
        sys.stdout.buffer.write(line)
except BrokenPipeError:
    pass
"""


@pytest.mark.parametrize("line", ["jan@acme.nl", ""], ids=["addresses", "blank lines"])
def test_an_endless_stream_of_valid_lines_ends(
    db: Path, tmp_path: Path, snapshot: Snapshot, line: str
) -> None:
    """``yes jan@acme.nl | incidentctl grant submitter --file -`` (and ``yes ''``) ran until
    the disk was full; now it ends at the limit of lines, in exit 2, in bounded memory."""
    before = snapshot()
    writer = subprocess.Popen(
        [sys.executable, "-c", YES, line], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    try:
        assert writer.stdout is not None
        ran = run_measured(["grant", "submitter", "--file", "-"], db, tmp_path, writer.stdout)
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    assert ran.code == 2, ran.stderr
    assert one_error(ran.stderr) == (
        f"Error: <stdin>, line {files.MAX_ADDRESS_LINES + 1}: more than "
        f"{files.MAX_ADDRESS_LINES:,} lines (rows and blank lines), the most this input may have"
    )
    assert ran.peak_mib <= LIMIT_MIB
    assert snapshot() == before


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


# --- TOML: what tomllib builds, not only the bytes ----------------------------------------

_UNDER_4_MIB = files.MAX_TOML_BYTES - 1024


def _repeat(line: Callable[[int], str]) -> str:
    """Lines ``line(0)``, ``line(1)``, … as many as fit just under 4 MiB."""
    parts, size, n = [], 0, 0
    while size + len(line(n)) <= _UNDER_4_MIB:
        parts.append(line(n))
        size += len(parts[-1])
        n += 1
    return "".join(parts)


# Valid TOML just under 4 MiB that tomllib made 340 to 640 MiB of (docs/reliability.md,
# "Limits"), and the limit each now meets first.
COSTLY_TOML = {
    "dotted keys": (lambda: _repeat(lambda n: f"a{n}.b.c.d.e.f.g.h=1\n"), "keys"),
    "table headers": (lambda: _repeat(lambda n: f"[t{n}]\n"), "tables"),
    "empty arrays": (lambda: "x = [" + ",".join(["[]"] * (_UNDER_4_MIB // 3)) + "]\n", "array"),
    "numbers": (lambda: "x = [" + ",".join(["1"] * (_UNDER_4_MIB // 2)) + "]\n", "array"),
    "inline tables": (lambda: _repeat(lambda n: f"a{n}={{}}\n"), "tables"),
    "one long dotted key": (lambda: "a." * (_UNDER_4_MIB // 2) + "b = 1\n", "parts"),
}


@pytest.mark.parametrize("shape", COSTLY_TOML)
def test_costly_toml_is_refused_by_what_it_holds(db: Path, tmp_path: Path, shape: str) -> None:
    make, limit = COSTLY_TOML[shape]
    path = tmp_path / "costly.toml"
    path.write_text(make(), encoding="utf-8")
    assert files.MAX_TOML_BYTES - 4096 < path.stat().st_size <= files.MAX_TOML_BYTES
    for command in ("apply", "policy load"):
        ran = run_measured([*COMMANDS[command], str(path)], db, tmp_path)
        assert ran.code == 2, ran.stderr
        error = one_error(ran.stderr)
        assert error.startswith(f"Error: {path}: more than "), error
        assert limit in error
        assert error.endswith("the most a TOML file may hold")
        assert ran.peak_mib <= LIMIT_MIB, f"{shape}, {command}: {ran.peak_mib:.0f} MiB"


def _worst_within_the_limits() -> str:
    """Every limit nearly reached at once, in the forms that cost tomllib most: headers of
    32-part keys (a table per part), inline tables, and arrays."""
    parts = ".".join(["b"] * (files.MAX_TOML_KEY_PARTS - 1))
    headers = files.MAX_TOML_KEYS // files.MAX_TOML_KEY_PARTS - 10
    inline = files.MAX_TOML_TABLES - headers - 10
    arrays = (files.MAX_TOML_ITEMS - inline) // 2 - 10
    return (
        "y = [" + ",".join(["{}"] * inline) + "]\n"
        "z = ["
        + ",".join(["[1]"] * arrays)
        + "]\n"
        + "".join(f"[a{n}.{parts}]\n" for n in range(headers))
    )


def test_the_costliest_toml_within_every_limit_stays_in_bounds(db: Path, tmp_path: Path) -> None:
    text = _worst_within_the_limits()
    shape = files.toml_shape(text)
    assert shape.keys > files.MAX_TOML_KEYS * 0.99
    assert shape.tables > files.MAX_TOML_TABLES * 0.99
    assert shape.items > files.MAX_TOML_ITEMS * 0.99
    path = tmp_path / "worst.toml"
    path.write_text(text, encoding="utf-8")
    peaks = {}
    for command in ("apply", "policy load"):
        ran = run_measured([*COMMANDS[command], str(path)], db, tmp_path)
        assert ran.code == 2, ran.stderr  # parsed, then refused for its content
        assert "the most a TOML file may hold" not in ran.stderr
        assert ran.peak_mib <= LIMIT_MIB, f"{command}: {ran.peak_mib:.0f} MiB"
        peaks[command] = round(ran.peak_mib)
    FIGURES["files: peak of the costliest TOML within the limits, apply (MiB)"] = peaks["apply"]


def test_an_apply_file_for_10000_organisations_applies(tmp_path: Path, cli: Cli) -> None:
    """The realistic large file the limits leave room for: 10,000 organisations with five
    submitters and two managers each (40,000 keys, 10,000 tables, 70,000 items)."""
    orgs, contacts = tmp_path / "orgs.csv", tmp_path / "contacts.csv"
    ids = [str(100_000 + n) for n in range(10_000)]
    orgs.write_text(
        "id,name,employees\n" + "".join(f"{org},Org {org},300\n" for org in ids), encoding="utf-8"
    )
    holders = {org: [f"{kind}{k}@org{org}.example.nl" for kind, k in _HOLDERS] for org in ids}
    contacts.write_text(
        "email,org,name\n"
        + "".join(f"{email},{org},{email[:2]}\n" for org in ids for email in holders[org]),
        encoding="utf-8",
    )
    db = tmp_path / "large.db"
    env: dict[str, str | None] = {"INCIDENTCTL_DB": str(db)}
    cli.ok("init", env=env)
    cli.ok("org", "import", str(orgs), env=env)
    cli.ok("contacts", "import", str(contacts), env=env)
    path = tmp_path / "roles.toml"
    path.write_text(
        "".join(
            f'[organisations."{org}"]\n'
            f"submitter = {json.dumps(holders[org][:5])}\n"
            f"manager = {json.dumps(holders[org][5:])}\n"
            for org in ids
        ),
        encoding="utf-8",
    )
    assert files.toml_shape(path.read_text()) == files.TomlShape(1, 2, 40_000, 10_000, 70_000)
    ran = run_measured(["apply", str(path), "--json"], db, tmp_path)
    assert ran.code == 0, ran.stderr
    document = json.loads(ran.stdout)
    assert len(document["grant"]) == 70_000
    assert ran.peak_mib <= LIMIT_MIB
    FIGURES["files: peak of apply for 10,000 organisations (MiB)"] = round(ran.peak_mib)


_HOLDERS = [("s", k) for k in range(5)] + [("m", k) for k in range(2)]
