"""Processes racing for the last seats of one organisation (docs/reliability.md).

Four administrators, each a loop of the installed ``incidentctl``, grant 40 contacts of one
organisation one by one and in small batches while three seats are left; a fifth process
revokes and re-grants holders, a sixth runs ``recount --force`` and a seventh polls
``quota ID --json``. Every command carries its own ``--reason``, so afterwards each audit
event and role change can be traced to the command that wrote it.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import ENV_VARS, Cli
from reliability_support import FIGURES, installed_env, require_installed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ORG = "7001"
MAXIMUM = 5
PRE_HELD = ("r0@race.example", "r1@race.example")  # 2 of 5 used: 3 seats left
GRANTERS = 4
CONTACTS_PER_GRANTER = 40
EXPERTS_PER_GRANTER = 2  # always grantable: they never count toward the quota
BATCH_SIZES = (1, 1, 1, 2, 3, 5, 8)  # one by one, and in small batches
RACE_SECONDS = 8.0  # the administrators stop starting commands after this
PAUSE = 0.4  # between the recounts and between the quota readings: leave the CPU to the race
SEEDS = (1, 2, 3)


def contact(granter: int, number: int) -> str:
    return f"g{granter}c{number}@race.example"


def is_expert(number: int) -> bool:
    return number < EXPERTS_PER_GRANTER


@pytest.fixture(scope="module")
def race_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One organisation with a maximum of 5, two submitters, and 4 x 40 candidates."""
    folder = tmp_path_factory.mktemp("race")
    path = folder / "race.db"
    candidates = folder / "contacts.csv"
    with candidates.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["email", "org", "name", "portal_admin", "expert_until"])
        writer.writerow(["admin@race.example", ORG, "Race Admin", "true", ""])
        for email in PRE_HELD:
            writer.writerow([email, ORG, "Holder", "false", ""])
        for granter in range(GRANTERS):
            for number in range(CONTACTS_PER_GRANTER):
                until = "2099-12-31" if is_expert(number) else ""
                writer.writerow([contact(granter, number), ORG, "Candidate", "false", until])
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    cli = Cli()
    cli.ok("init", env=env)
    cli.ok("org", "add", ORG, "--name", "Race B.V.", "--employees", "30", env=env)
    cli.ok("org", "set", ORG, "--quota", str(MAXIMUM), "--reason", "race", env=env)
    cli.ok("contacts", "import", str(candidates), env=env)
    cli.ok("grant", "submitter", *PRE_HELD, "--reason", "setup", env=env)
    return path


@dataclass(frozen=True)
class Command:
    """One finished invocation of the installed incidentctl."""

    worker: str
    tag: str  # the --reason of a grant or revoke, "" for other commands
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    started: float
    finished: float

    @property
    def kind(self) -> str:
        return self.args[0]

    def document(self) -> Any:
        return json.loads(self.stdout)


class Race:
    """The processes of one run, and everything they reported."""

    def __init__(self, store: Path) -> None:
        self.env = installed_env(store)
        self.commands: list[Command] = []
        self.holders: set[str] = set(PRE_HELD)  # as last reported by a successful command
        self.lock = threading.Lock()
        self.serial = 0
        self.administrators_done = threading.Event()

    def run(self, worker: str, *args: str, tagged: bool = False) -> Command:
        tag = ""
        if tagged:
            with self.lock:
                self.serial += 1
                tag = f"{worker}-{self.serial}"
            args = (*args, "--reason", tag)
        started = time.monotonic()
        done = subprocess.run(
            [str(require_installed()), *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        command = Command(
            worker, tag, args, done.returncode, done.stdout, done.stderr, started, time.monotonic()
        )
        with self.lock:
            self.commands.append(command)
            if command.kind in ("grant", "revoke") and command.returncode == 0:
                for row in command.document()["results"]:
                    if row["status"] == "granted":
                        self.holders.add(row["email"])
                    elif row["status"] == "revoked":
                        self.holders.discard(row["email"])
        return command

    def administrator(self, granter: int, rng: random.Random, deadline: float) -> None:
        emails = [contact(granter, number) for number in range(CONTACTS_PER_GRANTER)]
        rng.shuffle(emails)
        while emails and time.monotonic() < deadline:
            size = rng.choice(BATCH_SIZES)
            batch, emails = emails[:size], emails[size:]
            self.run(f"admin{granter}", "grant", "submitter", *batch, tagged=True)

    def churn(self, rng: random.Random) -> None:
        """Revoke a holder, which frees a seat for everyone, then try to take it back."""
        while not self.administrators_done.is_set():
            with self.lock:
                choices = sorted(self.holders)
            if not choices:
                time.sleep(0.05)
                continue
            email = rng.choice(choices)
            self.run("churn", "revoke", "submitter", email, tagged=True)
            self.run("churn", "grant", "submitter", email, tagged=True)

    def cron(self) -> None:
        while not self.administrators_done.is_set():
            self.run("cron", "recount", "--force")
            self.administrators_done.wait(PAUSE)

    def poll(self) -> None:
        while not self.administrators_done.is_set():
            self.run("poll", "quota", ORG)
            self.administrators_done.wait(PAUSE)


def replay_holders(conn: sqlite3.Connection) -> tuple[int, int]:
    """Replay the whole role history in commit order: (the most non-expert submitters the
    organisation ever had at once, how many it has at the end)."""
    experts = {
        contact_id
        for (contact_id,) in conn.execute(
            "SELECT id FROM contacts WHERE org_id = ? AND expert_until IS NOT NULL", (ORG,)
        )
    }
    holding: set[int] = set()
    most = 0
    for contact_id, action in conn.execute(
        "SELECT r.contact_id, r.action FROM role_changes r JOIN contacts c ON c.id = r.contact_id "
        "WHERE c.org_id = ? AND r.role = 'submitter' ORDER BY r.id",
        (ORG,),
    ):
        if contact_id in experts:
            continue
        if action == "grant":
            holding.add(contact_id)
        else:
            holding.discard(contact_id)
        most = max(most, len(holding))
    return most, len(holding)


@pytest.mark.parametrize("seed", SEEDS)
def test_processes_racing_for_the_last_seats_never_exceed_the_quota(
    seed: int, race_template: Path, db_path: Path, cli: Cli
) -> None:
    require_installed()
    shutil.copy2(race_template, db_path)
    conn = sqlite3.connect(db_path)
    first_event = conn.execute("SELECT max(id) FROM events").fetchone()[0]
    first_run = conn.execute("SELECT count(*) FROM recount_runs").fetchone()[0]
    conn.close()

    race = Race(db_path)
    rng = random.Random(seed)
    deadline = time.monotonic() + RACE_SECONDS
    administrators = [
        threading.Thread(target=race.administrator, args=(g, random.Random(rng.random()), deadline))
        for g in range(GRANTERS)
    ]
    others = [
        threading.Thread(target=race.churn, args=(random.Random(rng.random()),)),
        threading.Thread(target=race.cron),
        threading.Thread(target=race.poll),
    ]
    for thread in [*administrators, *others]:
        thread.start()
    for thread in administrators:
        thread.join(timeout=120)
    race.administrators_done.set()
    for thread in others:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in [*administrators, *others])

    # 1. No command failed for a reason other than the quota: no "database is locked", no
    #    exit 1 or 6, no traceback; refusals are exit 5 with one error line about the quota.
    allowed = {"grant": {0, 5}, "revoke": {0}, "recount": {0}, "quota": {0}}
    for command in race.commands:
        where = f"{command.worker}: {' '.join(command.args)}: exit {command.returncode}"
        assert command.returncode in allowed[command.kind], f"{where}\n{command.stderr}"
        assert "locked" not in command.stderr, where
        assert "Traceback" not in command.stderr, where
        if command.returncode == 0:
            assert command.stderr == "", f"{where}\n{command.stderr}"
        else:
            lines = command.stderr.splitlines()
            assert len(lines) == 2, command.stderr
            assert lines[0].startswith("Error: "), command.stderr
            assert "quota exceeded" in lines[0], command.stderr

    # 2. Every live reading during the race, and every figure published, is within the quota.
    readings = [c.document() for c in race.commands if c.kind == "quota"]
    assert readings, "the quota was never read during the race"
    for reading in readings:
        assert reading["maximum"] == MAXIMUM
        assert reading["used"] <= reading["maximum"], reading
        if reading["published"] is not None:
            assert reading["published"]["used"] <= reading["published"]["maximum"], reading
    conn = sqlite3.connect(db_path)
    try:
        published = conn.execute(
            "SELECT maximum, used FROM published_counts WHERE org_id = ?", (ORG,)
        ).fetchall()
        runs = conn.execute("SELECT count(*) FROM recount_runs").fetchone()[0] - first_run
        most, final = replay_holders(conn)
        new_events = conn.execute(
            "SELECT action, contact, reason FROM events WHERE id > ?", (first_event,)
        ).fetchall()
        changes = conn.execute(
            "SELECT r.action, c.email, r.reason FROM role_changes r "
            "JOIN contacts c ON c.id = r.contact_id WHERE r.reason IS NOT NULL "
            "AND r.reason <> 'setup'"
        ).fetchall()
    finally:
        conn.close()
    assert published, "nothing was published during the race"
    assert all(used <= maximum for maximum, used in published), published
    # ... and so is every state ever committed (replaying the history row by row).
    assert most <= MAXIMUM, f"{most} non-expert submitters at once, maximum {MAXIMUM}"
    assert final == MAXIMUM, "the seats left were all taken"
    final_reading = cli.json("quota", ORG)
    assert final_reading["used"] == final

    # 3. Exactly one audit event and one role change per changed row of each successful
    #    command, none for a refused one, and nothing that no command reported.
    reported: Counter[tuple[str, str, str]] = Counter()
    for command in race.commands:
        if command.kind not in ("grant", "revoke"):
            continue
        document = command.document()
        statuses = Counter(row["status"] for row in document["results"])
        if command.returncode == 0:
            assert document["applied"] is True, document
            assert statuses["refused"] == 0, document
        else:
            assert document["applied"] is False, document
            assert statuses["refused"] > 0, document
        for row in document["results"]:
            if command.returncode == 0 and row["status"] in ("granted", "revoked"):
                reported[command.kind, row["email"].lower(), command.tag] += 1
    audited = Counter(
        (action, email.lower(), reason)
        for action, email, reason in new_events
        if action in ("grant", "revoke")
    )
    assert audited == reported
    assert Counter((a, e.lower(), r) for a, e, r in changes) == reported
    recounts = [c for c in race.commands if c.kind == "recount"]
    assert runs == len(recounts) == sum(action == "recount" for action, _, _ in new_events)
    assert {c.document()["status"] for c in recounts} == {"done"}

    # 4. The race really was one: seats were taken and refused, by several processes.
    grants = [c for c in race.commands if c.kind == "grant"]
    assert any(c.returncode == 5 for c in grants), "no grant was ever refused"
    winners = {c.worker for c in grants if c.returncode == 0 and c.worker != "churn"}
    assert len(winners) >= 2, f"only {winners} ever got a seat"
    assert len(recounts) >= 2
    overlapping = sum(
        a.worker < b.worker and a.started < b.finished and b.started < a.finished
        for a in grants
        for b in grants
    )
    assert overlapping, "no two grants of different processes ever ran at the same time"

    doctor = cli.json("doctor")
    assert doctor["healthy"] is True, doctor

    FIGURES["concurrency: runs"] += 1
    FIGURES["concurrency: processes started"] += len(race.commands)
    FIGURES["concurrency: grant/revoke commands"] += len(grants) + sum(
        c.kind == "revoke" for c in race.commands
    )
    FIGURES["concurrency: contacts in grant commands"] += sum(
        len(c.document()["results"]) for c in grants
    )
    FIGURES["concurrency: grants refused (exit 5)"] += sum(c.returncode == 5 for c in grants)
    FIGURES["concurrency: rows changed and audited"] += sum(reported.values())
    FIGURES["concurrency: overlapping pairs of grants"] += overlapping
    FIGURES["concurrency: recounts"] += len(recounts)
    FIGURES["concurrency: live quota readings"] += len(readings)
