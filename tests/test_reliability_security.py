"""What protects the store and the organisations from each other (docs/reliability.md).

- The store file, its WAL companions and its backups are readable by their owner only.
- ``--as`` a portal admin of organisation A can never reach organisation B's contacts,
  incidents or quota, through any command: a table below names, for every command the CLI
  has, how it is tried against B, and a test fails when a command is added without a row.
- What names B is indistinguishable from what does not exist: each attempt that names B's
  organisation or contact is run again naming an unknown one, and the two answers are the
  same, word for word, but for the name typed.
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
from conftest import ENV_VARS, Cli, dump
from reliability_support import FIGURES

from incidentctl.cli import app
from incidentctl.cli.reference import command_paths
from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, NOT_FOUND

A_ADMIN = "admin@acme.nl"
B_ORG = "2002"
B_CONTACT = "gina@globex.nl"
# What stands in for B in the twin of an attempt: an organisation and an address that do
# not exist (the same length, so column layouts match too).
UNKNOWN = {B_ORG: "9009", B_CONTACT: "gone@globex.nl"}
# Everything of organisation B that a portal user of A must never see. Its e-mail addresses
# are not listed: a test names them in its arguments, and a refusal may repeat what was typed.
B_SECRETS = (
    "Globex SECRETORG",  # B's name
    "SECRETNAME",  # its contacts' names
    "SECRETINCIDENT",  # its incident
    "SECRETREASON",  # its quota override
    "hank@globex.nl",  # a contact of B no command below names
    "Gina@Globex.nl",  # how B stored the address A types in lower case
    "4321",  # B's maximum (its override): no figure, time or id of A holds it
)

SETUP: tuple[tuple[str, ...], ...] = (
    ("init",),
    ("org", "add", "1001", "--name", "Acme", "--employees", "30"),
    ("org", "add", B_ORG, "--name", "Globex SECRETORG", "--employees", "30"),
    ("org", "set", B_ORG, "--quota", "4321", "--reason", "SECRETREASON"),
    ("contacts", "add", A_ADMIN, "--org", "1001", "--name", "Ada", "--portal-admin"),
    ("contacts", "add", "jan@acme.nl", "--org", "1001", "--name", "Jan"),
    ("contacts", "add", "Gina@Globex.nl", "--org", B_ORG, "--name", "Gina SECRETNAME"),
    ("contacts", "add", "hank@globex.nl", "--org", B_ORG, "--name", "Hank SECRETNAME"),
    ("contacts", "set", B_CONTACT, "--portal-admin"),
    ("--now", "-2h", "grant", "submitter", A_ADMIN, B_CONTACT, "hank@globex.nl"),
    ("--now", "-2h", "grant", "manager", "hank@globex.nl"),
    # Portal users act at the installation's clock: an hour ago, while it is set there.
    ("clock", "set", "-1h"),
    ("login", A_ADMIN),
    ("login", B_CONTACT),
    ("--as", B_CONTACT, "incidents", "submit", "--subject", "SECRETINCIDENT"),
    ("--as", A_ADMIN, "incidents", "submit", "--subject", "Printer"),
    ("clock", "reset"),
    ("grant", "manager", B_CONTACT),  # still propagating: B has pending changes
    ("recount",),
)

FILES = {
    "b.toml": f'[organisations."{B_ORG}"]\nsubmitter = ["{B_CONTACT}"]\n',
    "mixed.toml": f'[organisations."1001"]\nsubmitter = ["admin@acme.nl", "{B_CONTACT}"]\n',
    "b.csv": f"email,org,name\nnew@globex.nl,{B_ORG},New\n",
    "move.csv": f"email,org,name\n{B_CONTACT},1001,Gina\n",
    "policy.toml": "bands = [{ from_employees = 0, maximum = 99 }]\n",
    "emails.txt": f"{B_CONTACT}\n",
    "orgs.csv": f"id,name,employees\n{B_ORG},X,1\n",
}


@pytest.fixture(scope="module")
def two_tenants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tenants")
    path = folder / "store.db"
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(path)
    cli = Cli()
    for command in SETUP:
        cli.ok(*command, env=env)
    # The twin files name what does not exist where the originals name B, under the same
    # file names (errors name the file).
    (folder / "twin").mkdir()
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
        for secret, unknown in UNKNOWN.items():
            text = text.replace(secret, unknown)
        (folder / "twin" / name).write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class Case:
    """One attempt of A's portal admin on B, and the exit codes that keep B out of reach.
    ``twin``: the attempt names B, so naming an unknown one must give the same answer."""

    args: tuple[str, ...]
    codes: frozenset[int]
    twin: bool


def case(*args: str, codes: set[int] | None = None, twin: bool = False) -> Case:
    return Case(args, frozenset(codes if codes is not None else {NOT_AUTHORIZED}), twin)


def unknown(*args: str) -> Case:
    """An attempt naming B's organisation or contact: answered exactly as an unknown one."""
    return case(*args, codes={NOT_FOUND}, twin=True)


OWN = {0}  # a command that can only ever show A's own organisation: it succeeds, without B

# Every command of the CLI, and how it is tried against B ({dir}: the folder of the fixture's
# files). A command added to the CLI without a row here fails test_every_command_is_covered.
CASES: dict[str, tuple[Case, ...]] = {
    "init": (case("init"),),
    "log": (unknown("log", "--org", B_ORG), case("log", "--contact", B_CONTACT, codes=OWN)),
    "doctor": (case("doctor"),),
    "where": (case("where", "--json", codes=OWN),),  # only the path, never the store's content
    "backup": (case("backup", "{dir}/copy.db"),),
    "grant": (
        unknown("grant", "submitter", B_CONTACT, "--json"),
        unknown("grant", "manager", "--file", "{dir}/emails.txt"),
        unknown("grant", "submitter", "jan@acme.nl", B_CONTACT, "--dry-run"),
    ),
    "revoke": (
        unknown("revoke", "submitter", B_CONTACT),
        unknown("revoke", "manager", "--file", "{dir}/emails.txt", "--json"),
    ),
    "apply": (
        unknown("apply", "{dir}/b.toml"),
        unknown("apply", "{dir}/b.toml", "--dry-run", "--json"),
        unknown("apply", "{dir}/mixed.toml"),
    ),
    "quota show": (
        unknown("quota", B_ORG),
        unknown("quota", B_ORG, "--json"),
        unknown("quota", "show", B_ORG, "--csv"),
    ),
    "quota explain": (
        unknown("quota", "explain", B_ORG),
        unknown("quota", "explain", B_ORG, "--json"),
    ),
    "quota list": (
        case("quota", "--json", codes=OWN),
        case("quota", "list", "--csv", codes=OWN),
    ),
    "recount": (case("recount", "--force"),),
    "check": (unknown("check", B_CONTACT), unknown("check", B_CONTACT, "--at", "-1h", "--json")),
    "pending": (unknown("pending", "--org", B_ORG), case("pending", "--json", codes=OWN)),
    "login": (unknown("login", B_CONTACT),),
    "readiness": (case("readiness", "--json", codes=OWN), case("readiness", codes=OWN)),
    "settings show": (case("settings", "show"),),
    "settings set": (case("settings", "set", "propagation_delay", "1m"),),
    "org add": (case("org", "add", "3003", "--name", "X", "--employees", "1"),),
    "org set": (
        case("org", "set", B_ORG, "--clear-quota", "--reason", "x"),
        case("org", "set", B_ORG, "--domains", "globex.nl"),
    ),
    "org import": (case("org", "import", "{dir}/orgs.csv"),),
    "org list": (case("org", "list", codes=OWN), case("org", "list", "--json", codes=OWN)),
    "org show": (unknown("org", "show", B_ORG), unknown("org", "show", B_ORG, "--json")),
    "contacts add": (
        unknown("contacts", "add", "new@globex.nl", "--org", B_ORG, "--name", "X"),
        # E-mail addresses are unique across organisations: refusing to add B's address to
        # A cannot hide that the address is taken, only whose it is and what B holds.
        case("contacts", "add", B_CONTACT, "--org", "1001", "--name", "X", codes={INVALID_INPUT}),
    ),
    "contacts set": (
        unknown("contacts", "set", B_CONTACT, "--name", "X"),
        unknown("contacts", "set", B_CONTACT, "--inactive"),
    ),
    "contacts move": (case("contacts", "move", B_CONTACT, "--org", "1001", "--reason", "x"),),
    "contacts import": (
        unknown("contacts", "import", "{dir}/b.csv"),
        case("contacts", "import", "{dir}/move.csv", codes={INVALID_INPUT}),
    ),
    "contacts list": (
        unknown("contacts", "list", "--org", B_ORG),
        case("contacts", "list", "--json", codes=OWN),
        case("contacts", "list", "--csv", "--role", "manager", codes=OWN),
    ),
    "contacts show": (unknown("contacts", "show", B_CONTACT),),
    "policy show": (case("policy", "show"),),
    "policy load": (case("policy", "load", "{dir}/policy.toml"),),
    "incidents submit": (case("incidents", "submit", "--subject", "Mine", codes=OWN),),
    "incidents list": (
        unknown("incidents", "list", "--org", B_ORG),
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
    return command_paths(app)


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


def attempt_on(cli: Cli, tenants: Path, store: Path, args: tuple[str, ...], folder: Path) -> tuple:
    """Run ``args`` as A's portal admin on a copy of the two tenants; (exit, stdout, stderr)
    with the files' folder written as {dir}, and whether the store changed."""
    shutil.copy2(tenants, store)
    before = dump(store)
    args = tuple(arg.replace("{dir}", str(folder)) for arg in args)
    run = cli("--db", str(store), "--as", A_ADMIN, *args)
    if run.exit_code:
        run.failed(run.exit_code)
    shown = [text.replace(str(folder), "{dir}") for text in (run.stdout, run.stderr)]
    return (run.exit_code, *shown), dump(store) != before


@pytest.mark.parametrize(("path", "attempt"), ALL_CASES)
def test_a_portal_admin_never_reaches_another_organisation(
    path: str, attempt: Case, two_tenants: Path, tmp_path: Path, cli: Cli
) -> None:
    store = tmp_path / "store.db"
    answer, changed = attempt_on(cli, two_tenants, store, attempt.args, two_tenants.parent)
    code, stdout, stderr = answer
    shown = stdout + stderr
    assert code in attempt.codes, f"exit {code}\n{shown}"
    for secret in B_SECRETS:
        assert secret not in shown, f"{secret!r} of organisation B shown:\n{shown}"
    if code:
        assert not changed, "a refused command changed the store"
    else:
        assert "globex" not in stdout, stdout
        assert B_ORG not in stdout, stdout
    assert not (two_tenants.parent / "copy.db").exists()
    FIGURES["security: --as attempts on another organisation"] += 1
    if not attempt.twin:
        return
    # The twin names what does not exist: the answer is the same but for the name typed.
    twin_args = tuple(UNKNOWN.get(arg, arg) for arg in attempt.args)
    twin, _ = attempt_on(cli, two_tenants, store, twin_args, two_tenants.parent / "twin")
    for secret, stand_in in UNKNOWN.items():
        twin = tuple(p.replace(stand_in, secret) if isinstance(p, str) else p for p in twin)
    assert twin == answer, f"B's answer differs from an unknown one's:\n{answer}\n{twin}"
    FIGURES["security: answers about another organisation equal to unknown ones"] += 1


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
