"""Fast guards for the rules that keep concurrent processes safe (docs/reliability.md):

- every write to the store runs in a transaction opened with ``BEGIN IMMEDIATE``, so a read
  that decides a write (a quota check, "already published?") holds the write lock from its
  start. Each command of the CLI is run in-process with SQLite's authorizer and trace on the
  store's connection; a write in a deferred ``BEGIN`` (or outside any transaction) fails the
  test, as does a command added to the CLI without a row below;
- a command waits for another connection's write lock (the busy timeout), and then works on
  the state that connection committed;
- six ``recount`` processes started at once for one business date publish once, record one
  ``recount`` event, and the other five report ``skipped`` (slow: the installed CLI).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ENV_VARS, Cli, build_store, events
from reliability_support import (
    FIGURES,
    installed_env,
    require_installed,
    wait_until_store_open,
)

import incidentctl.store
from incidentctl.cli import app
from incidentctl.cli.reference import command_paths
from incidentctl.store import Store

# Authorizer actions that change the database (SQLite's "CREATE TEMP …" codes are others).
_WRITES = {
    sqlite3.SQLITE_INSERT: "INSERT",
    sqlite3.SQLITE_UPDATE: "UPDATE",
    sqlite3.SQLITE_DELETE: "DELETE",
    sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER",
    sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_INDEX: "DROP INDEX",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER",
    sqlite3.SQLITE_DROP_VIEW: "DROP VIEW",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE",
}


@dataclass
class Tracer:
    """Follows one connection: which transaction is open, and whether each statement writes
    to the store (the ``main`` database; ``temp`` tables are private to the connection).

    SQLite calls the authorizer while it prepares a statement, and the trace callback when
    the statement starts; the statement cache is off, so every statement is prepared, and
    each trace follows the authorizer calls of its own statement (``executemany`` runs one
    prepared statement several times: it keeps the same verdict).
    """

    transaction: str | None = None  # "IMMEDIATE", "DEFERRED", or None (autocommit)
    prepared: list[str] = field(default_factory=list)
    fresh: bool = False
    writes: list[str] = field(default_factory=list)
    guarded: int = 0  # writing statements inside BEGIN IMMEDIATE
    unguarded: list[str] = field(default_factory=list)

    def authorize(
        self, action: int, arg1: str | None, _: object, database: str | None, *__: object
    ) -> int:
        if not self.fresh:
            self.prepared, self.fresh = [], True
        if action in _WRITES and database == "main":
            self.prepared.append(f"{_WRITES[action]} {arg1}")
        return sqlite3.SQLITE_OK

    def trace(self, statement: str) -> None:
        if statement.startswith("--"):  # a trigger's own statements: authorised with their own
            return
        if self.fresh:
            self.writes, self.fresh = self.prepared, False
        words = statement.upper().split()
        if words[:1] == ["BEGIN"]:
            self.transaction = "IMMEDIATE" if "IMMEDIATE" in words[1:2] else "DEFERRED"
        elif words[:1] in (["COMMIT"], ["END"]) or (
            words[:1] == ["ROLLBACK"] and "TO" not in words
        ):
            self.transaction = None
        elif self.writes:
            if self.transaction == "IMMEDIATE":
                self.guarded += 1
            else:
                self.unguarded.append(f"{self.transaction or 'no transaction'}: {statement[:200]}")


@dataclass
class Traced:
    """Every connection the store opened while a command ran."""

    tracers: list[Tracer] = field(default_factory=list)
    timeouts: list[float] = field(default_factory=list)

    @property
    def guarded(self) -> int:
        return sum(t.guarded for t in self.tracers)

    @property
    def unguarded(self) -> list[str]:
        return [problem for t in self.tracers for problem in t.unguarded]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Traced:
    """Every connection ``incidentctl.store`` opens gets a :class:`Tracer` (and no statement
    cache, so that the authorizer sees every statement)."""
    seen = Traced()
    real = sqlite3

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real.connect(*args, **{**kwargs, "cached_statements": 0})
        tracer = Tracer()
        conn.set_authorizer(tracer.authorize)
        conn.set_trace_callback(tracer.trace)
        seen.tracers.append(tracer)
        seen.timeouts.append(float(kwargs.get("timeout", args[1] if len(args) > 1 else 5.0)))
        return conn

    proxy = SimpleNamespace(**{name: getattr(real, name) for name in dir(real)})
    proxy.connect = connect
    monkeypatch.setattr(incidentctl.store, "sqlite3", proxy)
    return seen


# --- the detector itself ---------------------------------------------------------------------


def test_the_tracer_tells_guarded_writes_from_unguarded_ones(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None, cached_statements=0)
    tracer = Tracer()
    conn.set_authorizer(tracer.authorize)
    conn.set_trace_callback(tracer.trace)
    conn.execute("CREATE TABLE t (x)")  # autocommit: unguarded
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
    conn.execute("SELECT * FROM t").fetchall()
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.execute("SELECT * FROM t").fetchall()
    conn.execute("CREATE TEMP TABLE scratch (y)")
    conn.execute("INSERT INTO temp.scratch SELECT x FROM t")  # temp: private, fine
    conn.execute("UPDATE t SET x = x + 1")  # deferred: unguarded
    conn.execute("COMMIT")
    conn.close()
    assert tracer.guarded == 3
    assert [problem.split(":")[0] for problem in tracer.unguarded] == [
        "no transaction",
        "DEFERRED",
    ]


# --- every command --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One or more command lines run in turn; ``writes``: True when they must write, False
    when they must not, None when either is right (a dry run that plans by writing and rolls
    back). ``codes``: the exit codes that mean the command did its work."""

    commands: tuple[tuple[str, ...], ...]
    writes: bool | None
    codes: frozenset[int] = frozenset({0})


def case(*args: str, writes: bool | None, codes: set[int] | None = None) -> Case:
    return Case((args,), writes, frozenset(codes or {0}))


ANOUK = "anouk@vandijk.nl"  # the demo's portal admin of 1001 (submitter and manager)

CASES: dict[str, tuple[Case, ...]] = {
    "init": (case("--db", "{dir}/new.db", "init", writes=True), case("init", writes=False)),
    "org add": (case("org", "add", "3003", "--name", "X", "--employees", "4", writes=True),),
    "org set": (case("org", "set", "1001", "--employees", "60", writes=True),),
    "org list": (case("org", "list", writes=False),),
    "org show": (case("org", "show", "1001", writes=False),),
    "contacts add": (
        case("contacts", "add", "x@vandijk.nl", "--org", "1001", "--name", "X", writes=True),
    ),
    "contacts set": (
        case("contacts", "set", "dirk@vandijk.nl", "--name", "Dirk J.", writes=True),
        case("contacts", "set", "bram@vandijk.nl", "--inactive", writes=True),
    ),
    "contacts import": (case("contacts", "import", "{dir}/contacts.csv", writes=True),),
    "contacts move": (
        case("contacts", "move", "dirk@vandijk.nl", "--org", "1002", "--reason", "x", writes=True),
    ),
    "org import": (
        case("org", "import", "{dir}/orgs.csv", writes=True),
        case("org", "import", "{dir}/orgs.csv", "--dry-run", writes=None),
    ),
    "contacts list": (case("contacts", "list", "--json", writes=False),),
    "contacts show": (case("contacts", "show", ANOUK, writes=False),),
    "grant": (
        case("grant", "submitter", "dirk@vandijk.nl", writes=True),
        case("grant", "manager", "--file", "{dir}/emails.txt", writes=True),
        case("grant", "manager", "dirk@vandijk.nl", "--dry-run", writes=False),
    ),
    "revoke": (case("revoke", "submitter", "bram@vandijk.nl", writes=True),),
    "apply": (
        case("apply", "{dir}/roles.toml", "--prune", writes=True),
        case("apply", "{dir}/roles.toml", "--dry-run", writes=None),
    ),
    "quota show": (
        case("quota", "1001", writes=False),
        case("quota", "show", "1001", writes=False),
    ),
    "quota explain": (case("quota", "explain", "1001", writes=False),),
    "quota list": (case("quota", writes=False), case("quota", "list", writes=False)),
    "policy show": (case("policy", "show", writes=False),),
    "policy load": (case("policy", "load", "{dir}/policy.toml", writes=True),),
    "check": (case("check", ANOUK, writes=False, codes={0, 4}),),  # 4: an answer, not a failure
    "pending": (case("pending", writes=False),),
    "login": (case("login", ANOUK, writes=True),),
    "incidents submit": (
        Case(
            (("login", ANOUK), ("--as", ANOUK, "incidents", "submit", "--subject", "Printer")),
            writes=True,
        ),
    ),
    "incidents list": (case("incidents", "list", writes=False),),
    "readiness": (case("readiness", writes=False),),
    "recount": (case("recount", writes=True), case("recount", "--force", writes=True)),
    "clock show": (case("clock", "show", writes=False),),
    "clock set": (case("clock", "set", "+1d", writes=True),),
    "clock advance": (case("clock", "advance", "1h", writes=True),),
    "clock reset": (Case((("clock", "set", "+1d"), ("clock", "reset")), writes=True),),
    "log": (case("log", "--limit", "5", writes=False),),
    "settings show": (case("settings", "show", writes=False),),
    "settings set": (case("settings", "set", "propagation_delay", "15m", writes=True),),
    "doctor": (case("doctor", writes=False),),
    "where": (case("where", writes=False),),
    "backup": (case("backup", "{dir}/copy.db", writes=False),),
}

FILES = {
    "contacts.csv": "email,org,name\nnew@vandijk.nl,1001,Nieuw\ndirk@vandijk.nl,1001,Dirk\n",
    "orgs.csv": "id,name,employees\n3004,Nieuw B.V.,12\n1001,Bakkerij Van Dijk B.V.,40\n",
    "emails.txt": "dirk@vandijk.nl\nbram@vandijk.nl\n",
    "roles.toml": '[organisations."1001"]\nmanager = ["anouk@vandijk.nl", "dirk@vandijk.nl"]\n',
    "policy.toml": "bands = [{ from_employees = 0, maximum = 6 }]\n",
}


def walked_commands() -> set[str]:
    """Every command the CLI has, hidden ones included, by path without the program name."""
    return command_paths(app)


def test_every_command_has_a_case() -> None:
    walked = walked_commands()
    assert set(CASES) == walked, (
        f"commands without a case: {sorted(walked - set(CASES))}; "
        f"cases without a command: {sorted(set(CASES) - walked)}"
    )


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("guards") / "demo.db", (("init", "--demo"),))


ALL_CASES = [
    pytest.param(path, item, id=f"{path}-{n}")
    for path, items in CASES.items()
    for n, item in enumerate(items, start=1)
]


@pytest.mark.parametrize(("path", "attempt"), ALL_CASES)
def test_every_write_holds_the_write_lock_from_the_start(
    path: str,
    attempt: Case,
    demo_template: Path,
    db_path: Path,
    tmp_path: Path,
    cli: Cli,
    traced: Traced,
) -> None:
    shutil.copy2(demo_template, db_path)
    for name, text in FILES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for command in attempt.commands:
        run = cli(*(arg.replace("{dir}", str(tmp_path)) for arg in command))
        assert run.exit_code in attempt.codes, f"exit {run.exit_code}\n{run.stdout}{run.stderr}"
    assert not traced.unguarded, "writes outside BEGIN IMMEDIATE:\n" + "\n".join(traced.unguarded)
    if attempt.writes is True:
        assert traced.guarded, "the command was expected to write"
    elif attempt.writes is False:
        assert traced.guarded == 0, "the command was expected only to read"
    FIGURES["guards: command lines traced"] += len(attempt.commands)
    FIGURES["guards: writing statements, each inside BEGIN IMMEDIATE"] += traced.guarded


# --- the busy timeout -----------------------------------------------------------------------


def test_the_store_connection_has_the_busy_timeout(
    demo_template: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy2(demo_template, db_path)
    for setting, milliseconds in ((None, 30_000), ("1.5", 1_500)):
        if setting is not None:
            monkeypatch.setenv("INCIDENTCTL_BUSY_TIMEOUT", setting)
        store = Store.open(db_path)
        try:
            assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == milliseconds
        finally:
            store.close()


def test_a_command_waits_for_the_write_lock_and_sees_what_was_committed(
    demo_template: Path, db_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection holds the write lock and changes the store, then commits. The
    grant waits for it (without a busy timeout it would fail at once) and then works on the
    committed state (in a deferred BEGIN it would have read the old state first and could not
    write any more: SQLite's SQLITE_BUSY_SNAPSHOT)."""
    shutil.copy2(demo_template, db_path)
    monkeypatch.setenv("INCIDENTCTL_BUSY_TIMEOUT", "20")
    locked, committed_at = threading.Event(), []

    def other_process() -> None:
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE organisations SET name = 'Renamed while locked' WHERE id = '1001'")
        locked.set()
        time.sleep(0.5)
        conn.execute("COMMIT")
        committed_at.append(time.monotonic())
        conn.close()

    holder = threading.Thread(target=other_process)
    holder.start()
    assert locked.wait(10)
    run = cli("grant", "submitter", "dirk@vandijk.nl", "--json")
    finished = time.monotonic()
    holder.join(10)
    assert run.exit_code == 0, run.stderr
    assert committed_at, "the other connection never committed"
    assert finished > committed_at[0], "the grant did not wait"
    assert run.json()["summary"]["granted"] == 1  # type: ignore[index]
    assert cli.json("org", "show", "1001")["name"] == "Renamed while locked"


# --- concurrent recounts (slow: the installed CLI) -----------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_concurrent_recounts_for_one_date_publish_once(demo_template: Path, db_path: Path) -> None:
    """Six recounts (no --force) for one business date start while another connection holds
    the write lock, so that each finds the date unpublished before any can publish. When the
    lock is released, one publishes; the others must see that under the lock and skip."""
    exe = require_installed()
    shutil.copy2(demo_template, db_path)
    env = installed_env(db_path)
    for name in ENV_VARS:
        if name != "INCIDENTCTL_DB":
            env.pop(name, None)
    before = [event for event in events(db_path) if event["action"] == "recount"]
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    processes = [
        subprocess.Popen(
            [str(exe), "--now", "2024-05-02T04:15", "recount", "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    try:
        for process in processes:
            assert wait_until_store_open(process, db_path)  # type: ignore[arg-type]
        time.sleep(1.0)  # each does its first check and computes (milliseconds), then waits
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    outcomes = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 6, outcomes
    assert [stderr for _, stderr in outcomes] == [""] * 6
    statuses = sorted(json.loads(stdout)["status"] for stdout, _ in outcomes)
    assert statuses == ["done"] + ["skipped"] * 5
    conn = sqlite3.connect(db_path)
    try:
        runs = conn.execute(
            "SELECT business_date, count(*) FROM recount_runs GROUP BY business_date"
        ).fetchall()
    finally:
        conn.close()
    assert runs == [("2024-05-02", 1)]
    after = [event for event in events(db_path) if event["action"] == "recount"]
    assert len(after) - len(before) == 1
    FIGURES["guards: concurrent recount processes for one date"] += len(processes)
