"""A process killed in the middle of a large change (docs/reliability.md).

SQLite is tested by crashing a writer at random points; here the installed ``incidentctl`` is
killed with SIGKILL at points spread over the time a large ``grant --file``, ``contacts
import``, ``apply`` and ``recount`` work (the first three sized to take about a second here;
the recount of 400 organisations is much quicker). After every kill the store must hold all
of that command's changes or none, its audit events included, and ``doctor`` must call it
healthy.
"""

from __future__ import annotations

import csv
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ENV_VARS, Cli
from reliability_support import (
    FIGURES,
    build_bulk_store,
    installed_env,
    require_installed,
    table_counts,
    wait_until_store_open,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to time the kill"),
]

ORGS = 400
CONTACTS_PER_ORG = 100  # c0 is the portal admin; c1-c3 hold submitter (maximum 8: 300 employees)
KILL_POINTS = (0.05, 0.3, 0.55, 0.8)  # fractions of the command's measured working time


def org_id(n: int) -> str:
    return str(8000 + n)


def email(n: int, k: int) -> str:
    return f"c{k}@org{n}.example"


@pytest.fixture(scope="module")
def crash_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 organisations of 100 contacts, three submitters each, and a first publication;
    built once through the CLI (in-process, for speed)."""
    path = build_bulk_store(
        tmp_path_factory.mktemp("crash"),
        orgs=ORGS,
        contacts_per_org=CONTACTS_PER_ORG,
        holders_per_org=3,
        org_id=org_id,
        email=email,
    )
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    Cli().ok("recount", env=env)
    return path


# --- the commands, and their inputs ---------------------------------------------------------------


def grant_file(folder: Path) -> list[str]:
    """Grant manager to 80 contacts of every organisation: 32,000 rows in one batch."""
    path = folder / "managers.csv"
    rows = [f"{email(n, k)},bulk\n" for n in range(ORGS) for k in range(5, 85)]
    path.write_text("email,note\n" + "".join(rows), encoding="utf-8")
    return ["grant", "manager", "--file", str(path), "--reason", "bulk"]


def contacts_import(folder: Path) -> list[str]:
    """Rename 20 contacts of every organisation, deactivate a submitter of each (which
    revokes its role), and add 10 new ones: 12,400 rows."""
    path = folder / "import.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "org", "name", "active"])
        for n in range(ORGS):
            for k in range(10, 30):
                writer.writerow([email(n, k), org_id(n), f"Renamed {k}", "true"])
            writer.writerow([email(n, 3), org_id(n), "Contact 3", "false"])
            for k in range(100, 110):
                writer.writerow([email(n, k), org_id(n), f"Renamed {k}", ""])
    return ["contacts", "import", str(path)]


def apply_file(folder: Path) -> list[str]:
    """Every organisation: submitters c1, c2, c4, c5 (prune c3) and 40 managers."""
    path = folder / "roles.toml"
    lines = []
    for n in range(ORGS):
        submitters = ", ".join(f'"{email(n, k)}"' for k in (1, 2, 4, 5))
        managers = ", ".join(f'"{email(n, k)}"' for k in range(30, 70))
        lines += [f'[organisations."{org_id(n)}"]', f"submitter = [{submitters}]"]
        lines += [f"manager = [{managers}]", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return ["apply", str(path), "--prune"]


def recount(folder: Path) -> list[str]:
    return ["recount", "--force"]


COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "grant --file": grant_file,
    "contacts import": contacts_import,
    "apply": apply_file,
    "recount": recount,
}


def fingerprint(path: Path) -> dict[str, int]:
    """Rows per table, and what an update changes in place (names, active, role holders)."""
    counts = table_counts(path)
    conn = sqlite3.connect(path)
    try:
        counts["renamed"] = conn.execute(
            "SELECT count(*) FROM contacts WHERE name LIKE 'Renamed %'"
        ).fetchone()[0]
        counts["active"] = conn.execute(
            "SELECT count(*) FROM contacts WHERE active = 1"
        ).fetchone()[0]
        counts["holders"] = conn.execute(
            "SELECT count(*) FROM role_changes r WHERE r.action = 'grant' AND r.id = "
            "(SELECT max(x.id) FROM role_changes x WHERE x.contact_id = r.contact_id "
            "AND x.role = r.role)"
        ).fetchone()[0]
    finally:
        conn.close()
    return counts


# --- killing --------------------------------------------------------------------------------------


def start(store: Path, args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [str(require_installed()), *args],
        env=installed_env(store),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@dataclass(frozen=True)
class Kill:
    delay: float
    killed: bool
    outcome: str  # "none" or "all"


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_killed_mid_run_leaves_all_or_nothing(
    name: str, crash_template: Path, tmp_path: Path, cli: Cli
) -> None:
    args = COMMANDS[name](tmp_path)
    before = fingerprint(crash_template)

    # The whole command once, timed from the moment it opened the store.
    measured = tmp_path / "measured.db"
    shutil.copy2(crash_template, measured)
    process = start(measured, args)
    assert wait_until_store_open(process, measured)
    opened = time.monotonic()
    _, stderr = process.communicate(timeout=60)
    window = time.monotonic() - opened
    assert process.returncode == 0, stderr.decode()
    after = fingerprint(measured)
    assert after != before, "the command changed nothing: nothing to lose"
    if name != "recount":
        assert after["events"] > before["events"] + 1000, "too small to be killed mid-way"

    kills = []
    for attempt, point in enumerate(KILL_POINTS):
        store = tmp_path / f"attempt{attempt}.db"  # a fresh copy: never a stale -wal beside it
        shutil.copy2(crash_template, store)
        process = start(store, args)
        assert wait_until_store_open(process, store)
        time.sleep(window * point)
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode in (0, -signal.SIGKILL), stderr.decode()
        now = fingerprint(store)
        outcome = "none" if now == before else "all" if now == after else "partial"
        assert outcome != "partial", f"killed at {point:.0%}: {now} is neither {before} nor {after}"
        doctor = cli("--db", str(store), "doctor", "--json")
        assert doctor.exit_code == 0, doctor.stdout
        assert doctor.json()["healthy"] is True  # type: ignore[index]
        kills.append(Kill(window * point, process.returncode == -signal.SIGKILL, outcome))

    killed = [kill for kill in kills if kill.killed]
    assert len(killed) >= 2, f"only {len(killed)} of {len(kills)} kills landed before the end"
    assert any(kill.outcome == "none" for kill in killed)
    FIGURES["crash: kills (SIGKILL before the command ended)"] += len(killed)
    FIGURES["crash: kills that left nothing of the command"] += sum(
        k.outcome == "none" for k in killed
    )
    FIGURES["crash: kills that left all of the command (after its commit)"] += sum(
        k.outcome == "all" for k in killed
    )
    FIGURES[f"crash: {name}: working time (ms)"] += round(window * 1000)
