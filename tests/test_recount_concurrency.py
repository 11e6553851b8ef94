"""The recount beside administrators, and killed mid-run (docs/cron.md, "Safe beside
administrators").

These tests run the installed ``incidentctl`` as separate processes, as cron and administrators
would, on a store with a few hundred organisations and a few thousand contacts.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import events
from reliability_support import build_bulk_store, wait_until_store_open

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EXE = Path(sys.executable).parent / "incidentctl"
ORGS = 300
CONTACTS_PER_ORG = 12
HOLDERS_PER_ORG = 3  # c1-c3 of every organisation hold submitter (maximum 8: 300 employees)
BATCHES = 2  # grant and revoke batches per administrator
SINGLES = 2  # and contacts granted and revoked one by one


def org_id(n: int) -> str:
    return str(5000 + n)


def email(org: int, contact: int) -> str:
    return f"c{contact}@org{org}.example"


@pytest.fixture(scope="module")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with ORGS organisations of CONTACTS_PER_ORG contacts (c0 the portal admin),
    HOLDERS_PER_ORG submitters each, built once through the CLI (in-process, for speed)."""
    return build_bulk_store(
        tmp_path_factory.mktemp("big"),
        orgs=ORGS,
        contacts_per_org=CONTACTS_PER_ORG,
        holders_per_org=HOLDERS_PER_ORG,
        org_id=org_id,
        email=email,
    )


@pytest.fixture
def big_store(big_template: Path, db_path: Path) -> Path:
    shutil.copy2(big_template, db_path)
    return db_path


class Installed:
    """Runs the installed incidentctl on one store, as another process."""

    def __init__(self, store: Path) -> None:
        self.env = {**os.environ, "INCIDENTCTL_DB": str(store)}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(EXE), *args], env=self.env, capture_output=True, text=True, timeout=60, check=False
        )

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(EXE), *args], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )


@pytest.fixture
def run_exe(db_path: Path) -> Installed:
    if not EXE.exists():
        pytest.skip(f"incidentctl is not installed beside {sys.executable}")
    return Installed(db_path)


def complete_runs(path: Path) -> list[tuple[int, int, int]]:
    """(run id, organisations recorded, published_counts rows) of every recount run."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT r.id, r.organisations, "
            "(SELECT count(*) FROM published_counts p WHERE p.run_id = r.id) "
            "FROM recount_runs r ORDER BY r.id"
        ).fetchall()
    finally:
        conn.close()


def assert_every_run_complete(path: Path) -> None:
    for run_id, organisations, rows in complete_runs(path):
        assert rows == organisations == ORGS, f"run {run_id}: {rows} of {organisations} rows"


def assert_healthy(run_exe: Installed) -> None:
    doctor = run_exe("doctor", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert json.loads(doctor.stdout)["healthy"] is True


# --- a recount while administrators grant and revoke -------------------------------------------


def test_recount_runs_while_others_grant_and_revoke(
    big_store: Path, run_exe: Installed, db_path: Path
) -> None:
    first_event = len(events(db_path))
    failures: list[str] = []
    changed: Counter[tuple[str, str]] = Counter()
    role_windows: list[tuple[float, float]] = []
    recounts: list[tuple[float, float]] = []
    lock = threading.Lock()

    def command(*args: str) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        result = run_exe(*args)
        window = (started, time.monotonic())
        with lock:
            if result.returncode != 0 or result.stderr:  # no "database is locked", no exit 6
                failures.append(f"{args[:3]}: exit {result.returncode}: {result.stderr.strip()}")
            (recounts if args[0] == "recount" else role_windows).append(window)
        return result

    def administrator(orgs: range) -> None:
        # Contacts c4 and c5 of these organisations, granted and then revoked a batch at a time,
        # and then single contacts (c6) one by one; the quota leaves room (3 used of 8).
        batches = [[email(n, k) for n in orgs[i::BATCHES] for k in (4, 5)] for i in range(BATCHES)]
        for batch in [*batches, *([email(orgs[i], 6)] for i in range(SINGLES))]:
            for action in ("grant", "revoke"):
                result = command(action, "submitter", *batch, "--json")
                if result.returncode == 0:
                    done = {"grant": "granted", "revoke": "revoked"}[action]
                    with lock:
                        for row in json.loads(result.stdout)["results"]:
                            changed[row["email"], action] += row["status"] == done

    administrators = [
        threading.Thread(target=administrator, args=(range(0, ORGS // 2),)),
        threading.Thread(target=administrator, args=(range(ORGS // 2, ORGS),)),
    ]

    def cron() -> None:
        while any(admin.is_alive() for admin in administrators) or len(recounts) < 3:
            result = command("recount", "--force", "--json")
            if result.returncode == 0:
                document = json.loads(result.stdout)
                if (document["status"], document["organisations"]) != ("done", ORGS):
                    with lock:
                        failures.append(f"recount: {document}")

    threads = [*administrators, threading.Thread(target=cron)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not failures, "\n".join(failures)
    assert len(recounts) >= 3
    overlapping = [
        r for r in recounts if any(s < r[1] and r[0] < e for s, e in role_windows)
    ]  # a recount that ran while a grant or revoke did: the point of the test
    assert overlapping, "no recount overlapped a grant or revoke"
    contacts = 2 * ORGS + 2 * SINGLES  # c4 and c5 everywhere, and the single ones
    assert sum(changed.values()) == 2 * contacts  # each granted once and revoked once

    # Every successful grant and revoke is in the audit log exactly once.
    audited = Counter(
        (event["contact"], event["action"])
        for event in events(db_path)[first_event:]
        if event["action"] in ("grant", "revoke")
    )
    assert audited == changed
    assert_every_run_complete(db_path)
    assert_healthy(run_exe)


# --- a recount killed mid-run ------------------------------------------------------------------


def _working_time(process: subprocess.Popen[bytes], store: Path) -> float:
    """Seconds ``process`` ran after opening the store; it must succeed."""
    assert wait_until_store_open(process, store)
    opened = time.monotonic()
    assert process.wait(timeout=60) == 0
    return time.monotonic() - opened


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to time the kill")
def test_a_recount_killed_mid_run_leaves_the_previous_publication(
    big_store: Path, run_exe: Installed, db_path: Path
) -> None:
    """Where each kill lands is a matter of timing (in the snapshot, while publishing, or just
    after); what must hold after every one of them is that each published run is whole."""
    # How long a recount works once the store is open (computing in its snapshot, then
    # publishing): the kills are spread over that time, not over the interpreter's start-up.
    window = _working_time(run_exe.start("recount"), db_path)  # the first publication
    publication = json.loads(run_exe("quota", org_id(0), "--json").stdout)["published"]
    assert publication is not None

    killed = 0
    kills = 6
    for attempt in range(kills):
        process = run_exe.start("recount", "--force")
        if wait_until_store_open(process, db_path):
            time.sleep(window * attempt / kills)
            process.send_signal(signal.SIGKILL)
        returncode = process.wait(timeout=60)
        assert returncode in (0, -signal.SIGKILL)
        killed += returncode == -signal.SIGKILL
        assert_every_run_complete(db_path)

    assert killed >= 2, f"only {killed} of {kills} recounts were killed before they finished"
    assert_healthy(run_exe)
    after = json.loads(run_exe("quota", org_id(0), "--json").stdout)["published"]
    assert after == publication  # the figure of the last complete run (nothing changed since)
    again = run_exe("recount", "--force", "--json")  # and no lock was left behind
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "done"
    assert_every_run_complete(db_path)
