"""What protects the store and the organisations from each other (issue 8, item 5).

- The store file, its WAL companions and its backups are readable by their owner only.
- ``--as`` a portal admin of organisation A can never reach organisation B's contacts,
  incidents or quota, through any command: a table below names, for every command the CLI
  has, how it is tried against B, and a test fails when a command is added without a row.
- The audit log and what was published refuse UPDATE and DELETE from any SQLite client.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from conftest import ENV_VARS, Cli, dump
from reliability_support import FIGURES
from typer._click import Command, Context
from typer.core import TyperGroup

from incidentctl.cli import app
from incidentctl.errors import NOT_AUTHORIZED, NOT_FOUND

A_ADMIN = "admin@acme.nl"
B_ORG = "2002"
# Everything of organisation B that a portal user of A must never see. Its e-mail addresses
# are not listed: a test names them in its arguments, and a refusal may repeat what was typed.
B_SECRETS = (
    "Globex SECRETORG",  # B's name
    "SECRETNAME",  # its contacts' names
    "SECRETINCIDENT",  # its incident
    "SECRETREASON",  # its quota override
    "hank@globex.nl",  # a contact of B no command below names
    "4321",  # B's maximum (its override): no figure, time or id of A holds it
)

SETUP: tuple[tuple[str, ...], ...] = (
    ("init",),
    ("org", "add", "1001", "--name", "Acme", "--employees", "30"),
    ("org", "add", B_ORG, "--name", "Globex SECRETORG", "--employees", "30"),
    ("org", "set", B_ORG, "--quota", "4321", "--reason", "SECRETREASON"),
    ("contacts", "add", A_ADMIN, "--org", "1001", "--name", "Ada", "--portal-admin"),
    ("contacts", "add", "jan@acme.nl", "--org", "1001", "--name", "Jan"),
    ("contacts", "add", "gina@globex.nl", "--org", B_ORG, "--name", "Gina SECRETNAME"),
    ("contacts", "add", "hank@globex.nl", "--org", B_ORG, "--name", "Hank SECRETNAME"),
    ("contacts", "set", "gina@globex.nl", "--portal-admin"),
    ("--now", "-2h", "grant", "submitter", A_ADMIN, "gina@globex.nl", "hank@globex.nl"),
    ("--now", "-2h", "grant", "manager", "hank@globex.nl"),
    ("--now", "-1h", "login", A_ADMIN),
    ("--now", "-1h", "login", "gina@globex.nl"),
    (
        "--now",
        "-1h",
        "--as",
        "gina@globex.nl",
        "incidents",
        "submit",
        "--subject",
        "SECRETINCIDENT",
    ),
    ("--now", "-1h", "--as", A_ADMIN, "incidents", "submit", "--subject", "Printer"),
    ("grant", "manager", "gina@globex.nl"),  # still propagating: B has pending changes
    ("recount",),
)


@pytest.fixture(scope="module")
def two_tenants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tenants")
    path = folder / "store.db"
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    cli = Cli()
    for command in SETUP:
        cli.ok(*command, env=env)
    files = {
        "b.toml": f'[organisations."{B_ORG}"]\nsubmitter = ["gina@globex.nl"]\n',
        "mixed.toml": '[organisations."1001"]\nsubmitter = ["admin@acme.nl", "gina@globex.nl"]\n',
        "b.csv": f"email,org,name\nnew@globex.nl,{B_ORG},New\n",
        "move.csv": "email,org,name\ngina@globex.nl,1001,Gina\n",
        "policy.toml": "bands = [{ from_employees = 0, maximum = 99 }]\n",
        "emails.txt": "gina@globex.nl\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    """One attempt of A's portal admin on B, and the exit codes that keep B out of reach."""

    args: tuple[str, ...]
    codes: frozenset[int] = frozenset({NOT_AUTHORIZED})


def case(*args: str, codes: set[int] | None = None) -> Case:
    return Case(args, frozenset(codes) if codes is not None else frozenset({NOT_AUTHORIZED}))


HIDDEN = {NOT_FOUND, NOT_AUTHORIZED}  # refused, or told it does not exist
OWN = {0}  # a command that can only ever show A's own organisation: it succeeds, without B

# Every command of the CLI, and how it is tried against B ({dir}: the folder of the fixture's
# files). A command added to the CLI without a row here fails test_every_command_is_covered.
CASES: dict[str, tuple[Case, ...]] = {
    "init": (case("init"),),
    "log": (case("log", "--org", B_ORG), case("log", "--contact", "gina@globex.nl", codes=OWN)),
    "doctor": (case("doctor"),),
    "where": (case("where", "--json", codes=OWN),),  # only the path, never the store's content
    "backup": (case("backup", "{dir}/copy.db"),),
    "grant": (
        case("grant", "submitter", "gina@globex.nl", "--json"),
        case("grant", "manager", "--file", "{dir}/emails.txt"),
        case("grant", "submitter", "jan@acme.nl", "gina@globex.nl", "--dry-run"),
    ),
    "revoke": (
        case("revoke", "submitter", "gina@globex.nl"),
        case("revoke", "manager", "--file", "{dir}/emails.txt", "--json"),
    ),
    "apply": (
        case("apply", "{dir}/b.toml"),
        case("apply", "{dir}/b.toml", "--dry-run", "--json"),
        case("apply", "{dir}/mixed.toml", codes=HIDDEN),
    ),
    "quota": (
        case("quota", B_ORG),
        case("quota", B_ORG, "--json"),
        case("quota", "explain", B_ORG),
        case("quota", "--json", codes=OWN),
    ),
    "recount": (case("recount", "--force"),),
    "check": (case("check", "gina@globex.nl", codes=HIDDEN),),
    "pending": (case("pending", "--org", B_ORG), case("pending", "--json", codes=OWN)),
    "login": (case("login", "gina@globex.nl", codes=HIDDEN),),
    "readiness": (case("readiness", "--json", codes=OWN), case("readiness", codes=OWN)),
    "settings show": (case("settings", "show"),),
    "settings set": (case("settings", "set", "propagation_delay", "1m"),),
    "org add": (case("org", "add", "3003", "--name", "X", "--employees", "1"),),
    "org set": (case("org", "set", B_ORG, "--clear-quota", "--reason", "x"),),
    "org list": (case("org", "list", codes=OWN), case("org", "list", "--json", codes=OWN)),
    "org show": (case("org", "show", B_ORG), case("org", "show", B_ORG, "--json")),
    "contacts add": (
        case("contacts", "add", "new@globex.nl", "--org", B_ORG, "--name", "X"),
        # E-mail addresses are unique across organisations: refusing to add B's address to
        # A cannot hide that the address is taken, only what B holds.
        case("contacts", "add", "gina@globex.nl", "--org", "1001", "--name", "X", codes={2, 4}),
    ),
    "contacts set": (
        case("contacts", "set", "gina@globex.nl", "--name", "X", codes=HIDDEN),
        case("contacts", "set", "gina@globex.nl", "--inactive", codes=HIDDEN),
    ),
    "contacts import": (
        case("contacts", "import", "{dir}/b.csv"),
        case("contacts", "import", "{dir}/move.csv", codes=HIDDEN),
    ),
    "contacts list": (
        case("contacts", "list", "--org", B_ORG),
        case("contacts", "list", "--json", codes=OWN),
        case("contacts", "list", "--csv", "--role", "manager", codes=OWN),
    ),
    "contacts show": (case("contacts", "show", "gina@globex.nl", codes=HIDDEN),),
    "policy show": (case("policy", "show"),),
    "policy load": (case("policy", "load", "{dir}/policy.toml"),),
    "incidents submit": (case("incidents", "submit", "--subject", "Mine", codes=OWN),),
    "incidents list": (
        case("incidents", "list", "--org", B_ORG),
        case("incidents", "list", "--json", codes=OWN),
        case("incidents", "list", codes=OWN),
    ),
    "clock show": (case("clock", "show"),),
    "clock set": (case("clock", "set", "+1d"),),
    "clock advance": (case("clock", "advance", "1d"),),
    "clock reset": (case("clock", "reset"),),
}


def walked_commands() -> set[str]:
    """Every command the CLI has, hidden ones included, by path without the program name."""
    found: set[str] = set()

    def walk(command: Command, ctx: Context, path: tuple[str, ...]) -> None:
        if not isinstance(command, TyperGroup):
            found.add(" ".join(path))
            return
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, name
            walk(sub, Context(sub, info_name=name, parent=ctx), (*path, name))

    root = typer.main.get_command(app)
    walk(root, Context(root, info_name="incidentctl"), ())
    return found


def test_every_command_is_covered() -> None:
    walked = walked_commands()
    assert len(walked) > 30
    assert set(CASES) == walked, (
        f"commands without a case: {sorted(walked - set(CASES))}; "
        f"cases without a command: {sorted(set(CASES) - walked)}"
    )


ALL_CASES = [
    pytest.param(path, item, id=f"{path}-{n}")
    for path, items in CASES.items()
    for n, item in enumerate(items, start=1)
]


@pytest.mark.parametrize(("path", "attempt"), ALL_CASES)
def test_a_portal_admin_never_reaches_another_organisation(
    path: str, attempt: Case, two_tenants: Path, tmp_path: Path, cli: Cli
) -> None:
    store = tmp_path / "store.db"
    shutil.copy2(two_tenants, store)
    args = [arg.replace("{dir}", str(two_tenants.parent)) for arg in attempt.args]
    before = dump(store)

    run = cli("--db", str(store), "--as", A_ADMIN, *args)

    # Messages name the files given (under pytest's numbered folder): leave them out.
    shown = (run.stdout + run.stderr).replace(str(two_tenants.parent), "{dir}")
    assert run.exit_code in attempt.codes, f"exit {run.exit_code}\n{shown}"
    for secret in B_SECRETS:
        assert secret not in shown, f"{secret!r} of organisation B shown:\n{shown}"
    if run.exit_code:
        run.failed(run.exit_code)
        assert dump(store) == before, "a refused command changed the store"
    else:
        assert "globex" not in run.stdout, run.stdout
        assert B_ORG not in run.stdout, run.stdout
    assert not (two_tenants.parent / "copy.db").exists()
    FIGURES["security: --as attempts on another organisation"] += 1


# --- the store is private -------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_store_its_wal_files_and_backups_are_private_whatever_the_umask(
    cli: Cli, tmp_path: Path
) -> None:
    store = tmp_path / "new" / "folder" / "store.db"
    old = os.umask(0)
    try:
        cli.ok("--db", str(store), "init", "--demo")
        reader = sqlite3.connect(store)  # keeps the WAL files in place while they are checked
        try:
            reader.execute("SELECT count(*) FROM contacts").fetchone()
            cli.ok("--db", str(store), "grant", "submitter", "dirk@vandijk.nl", "--reason", "wal")
            cli.ok("--db", str(store), "backup", str(tmp_path / "backup.db"))
            modes = {
                name: mode(path)
                for name, path in {
                    "store": store,
                    "wal": Path(f"{store}-wal"),
                    "shm": Path(f"{store}-shm"),
                    "backup": tmp_path / "backup.db",
                }.items()
            }
        finally:
            reader.close()
    finally:
        os.umask(old)
    assert modes == dict.fromkeys(modes, 0o600)
    assert mode(store.parent) == 0o700, "the folder init made is private too"
    assert cli.json("--db", str(store), "doctor")["healthy"] is True


# --- the audit log refuses UPDATE and DELETE ------------------------------------------------------

APPEND_ONLY = {
    "events": ("UPDATE events SET actor = 'nobody'", "DELETE FROM events WHERE id = 1"),
    "role_changes": (
        "UPDATE role_changes SET action = 'revoke'",
        "DELETE FROM role_changes",
    ),
    "published_counts": (
        "UPDATE published_counts SET used = 0",
        "DELETE FROM published_counts",
    ),
    "recount_runs": (
        "UPDATE recount_runs SET organisations = 0",
        "DELETE FROM recount_runs",
    ),
}


@pytest.mark.parametrize(
    "statement", [pytest.param(s, id=s) for pair in APPEND_ONLY.values() for s in pair]
)
def test_the_audit_log_refuses_update_and_delete_at_the_sqlite_level(
    statement: str, two_tenants: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store.db"
    shutil.copy2(two_tenants, store)
    before = dump(store)
    conn = sqlite3.connect(store, isolation_level=None)
    try:
        table = next(t for t, pair in APPEND_ONLY.items() if statement in pair)
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] > 0, "nothing to guard"
        with pytest.raises(sqlite3.IntegrityError, match=f"{table} is append-only"):
            conn.execute(statement)
    finally:
        conn.close()
    assert dump(store) == before


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT OR REPLACE INTO events (id, at, actor, action) "
        "SELECT id, at, 'nobody', 'rewritten' FROM events WHERE id = 1",
        "REPLACE INTO published_counts (run_id, org_id, maximum, used, experts) "
        "SELECT run_id, org_id, maximum, 0, 0 FROM published_counts LIMIT 1",
    ],
)
def test_the_audit_log_refuses_to_be_rewritten_by_replace(
    statement: str, two_tenants: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store.db"
    shutil.copy2(two_tenants, store)
    before = dump(store)
    conn = sqlite3.connect(store, isolation_level=None)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    finally:
        conn.close()
    assert dump(store) == before
