"""E-mail domains of an organisation (docs/concepts.md, "E-mail domains"): ``org set ID
--domains`` (operator only, audited, validated), shown by ``org show`` and ``org list --json``;
when an organisation has any, its portal admins may add or import only addresses in them (exit
4, nothing written, the hint names the domains). The operator is not restricted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Cli, Snapshot, events

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED

ADMIN = ("--as", "admin@acme.nl")


@pytest.fixture
def acme(store: Cli) -> Cli:
    store.ok("org", "set", "1001", "--domains", "acme.nl,Acme.COM")
    return store


def test_set_show_and_clear(store: Cli, db_path: Path) -> None:
    assert store.json("org", "show", "1001")["domains"] == []
    document = store.json("org", "set", "1001", "--domains", " Acme.nl ; acme.com,acme.nl @acme.be")
    assert document["domains"] == ["acme.nl", "acme.com", "acme.be"]
    assert document["changed"] is True
    event = events(db_path)[-1]
    assert (event["action"], event["org_id"]) == ("org.set", "1001")
    assert json.loads(event["before"]) == {"domains": []}
    assert json.loads(event["after"]) == {"domains": ["acme.nl", "acme.com", "acme.be"]}

    shown = store.ok("org", "show", "1001").stdout
    assert "E-mail domains:" in shown
    assert "acme.nl, acme.com, acme.be" in shown
    listed = {org["id"]: org["domains"] for org in store.json("org", "list")}
    assert listed == {"1001": ["acme.nl", "acme.com", "acme.be"], "2002": []}

    count = len(events(db_path))
    assert (
        store.json("org", "set", "1001", "--domains", "acme.nl,acme.com,acme.be")["changed"]
        is False
    )
    assert len(events(db_path)) == count, "the same domains again: no event"
    human = store.ok("org", "set", "1001", "--domains", "").stdout
    assert "domains: acme.nl, acme.com, acme.be -> -" in human
    assert store.json("org", "show", "1001")["domains"] == []


def test_the_log_and_org_list_csv_show_the_domains(store: Cli) -> None:
    """The log's Change column shows the domains as they are typed (not a Python list), and
    ``org list --csv`` has them as a column, joined with ``;`` like the roles of a contact."""
    store.ok("org", "set", "1001", "--domains", "acme.nl,acme.com")
    store.ok("org", "set", "1001", "--domains", "")
    changes = [line.split("\t")[6] for line in store.ok("log", "--org", "1001").stdout.splitlines()]
    assert changes[-2:] == [
        "domains: - -> acme.nl, acme.com",
        "domains: acme.nl, acme.com -> -",
    ]
    store.ok("org", "set", "1001", "--domains", "acme.nl,acme.com")
    rows = store.ok("org", "list", "--csv").stdout.splitlines()
    header = rows[0].split(",")
    assert header[-1] == "domains", "a column is added at the end: scripts count columns"
    assert [row.split(",")[-1] for row in rows[1:]] == ["acme.nl;acme.com", ""]


@pytest.mark.parametrize(
    "domains", ["acme", "acme..nl", "-acme.nl", "acme.n", "jan@acme.nl", "acme.nl/x", "ácme.nl"]
)
def test_domains_are_validated(store: Cli, snapshot: Snapshot, domains: str) -> None:
    before = snapshot()
    error = store.fails(INVALID_INPUT, "org", "set", "1001", "--domains", domains).error_lines[0]
    assert "not a valid e-mail domain" in error
    assert snapshot() == before


def test_only_the_operator_sets_domains(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(NOT_AUTHORIZED, *ADMIN, "org", "set", "1001", "--domains", "acme.nl")
    assert snapshot() == before


def test_a_portal_admin_adds_only_addresses_in_the_domains(
    acme: Cli, snapshot: Snapshot, db_path: Path
) -> None:
    before = snapshot()
    run = acme.fails(
        NOT_AUTHORIZED, *ADMIN, "contacts", "add", "kees@gmail.com", "--org", "1001", "--name", "K"
    )
    assert "kees@gmail.com is not in the e-mail domains of organisation 1001" in run.error_lines[0]
    assert "@acme.nl, @acme.com" in run.stderr.splitlines()[1]
    # a subdomain is another domain
    acme.fails(
        NOT_AUTHORIZED,
        *ADMIN,
        "contacts",
        "add",
        "kees@mail.acme.nl",
        "--org",
        "1001",
        "--name",
        "K",
    )
    assert snapshot() == before
    acme.ok(*ADMIN, "contacts", "add", "kees@ACME.com", "--org", "1001", "--name", "Kees")
    assert events(db_path)[-1]["contact"] == "kees@ACME.com"


def test_the_operator_adds_any_address(acme: Cli) -> None:
    acme.ok("contacts", "add", "kees@gmail.com", "--org", "1001", "--name", "Kees")
    assert acme.json("contacts", "show", "kees@gmail.com")["org"] == "1001"


def test_without_domains_a_portal_admin_adds_any_address(store: Cli) -> None:
    store.ok(*ADMIN, "contacts", "add", "kees@gmail.com", "--org", "1001", "--name", "Kees")


def test_an_address_outside_the_domains_gets_one_answer_whoever_holds_it(
    acme: Cli, snapshot: Snapshot
) -> None:
    """gina@globex.nl exists (in 2002): refused for its domain, as an unknown address is."""
    before = snapshot()
    taken = acme.fails(
        NOT_AUTHORIZED, *ADMIN, "contacts", "add", "gina@globex.nl", "--org", "1001", "--name", "G"
    )
    free = acme.fails(
        NOT_AUTHORIZED, *ADMIN, "contacts", "add", "hans@globex.nl", "--org", "1001", "--name", "G"
    )
    assert taken.error_lines[0].replace("gina", "hans") == free.error_lines[0]
    assert snapshot() == before


def test_a_portal_admins_import_is_refused_for_an_address_outside(
    acme: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email;org;name\nkees@acme.nl;1001;Kees\nlot@hotmail.com;1001;Lot\n", encoding="utf-8"
    )
    before = snapshot()
    run = acme.fails(NOT_AUTHORIZED, *ADMIN, "contacts", "import", str(path))
    assert run.error_lines[0].startswith(f"Error: {path}, line 3: lot@hotmail.com is not in")
    assert "@acme.nl, @acme.com" in run.stderr
    assert snapshot() == before
    acme.fails(NOT_AUTHORIZED, *ADMIN, "contacts", "import", str(path), "--dry-run")
    assert acme.json("contacts", "import", str(path))["added"] == 2, "the operator may"


def test_existing_contacts_outside_the_domains_can_still_be_updated(
    store: Cli, tmp_path: Path
) -> None:
    """The rule is about adding addresses: contacts added before the domains were set keep
    being managed by their portal admin."""
    store.ok("contacts", "add", "kees@gmail.com", "--org", "1001", "--name", "Kees")
    store.ok("org", "set", "1001", "--domains", "acme.nl")
    path = tmp_path / "contacts.csv"
    path.write_text("email,org,name\nkees@gmail.com,1001,Kees Renamed\n", encoding="utf-8")
    assert store.json(*ADMIN, "contacts", "import", str(path))["updated"] == 1
    store.ok(*ADMIN, "contacts", "set", "kees@gmail.com", "--name", "Kees Again")


def test_a_store_from_before_domains_is_migrated(cli: Cli, db_path: Path) -> None:
    """A store made by a version without step 0002 gets the column when it is next opened;
    its organisations have no domains."""
    import sqlite3

    import sqlite_utils

    from incidentctl import migrations

    old = sqlite_utils.Migrations(migrations.MIGRATION_SET)
    old(name="0001_initial_schema")(migrations.initial_schema)
    old.apply(sqlite_utils.Database(db_path))
    db_path.chmod(0o600)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    with conn:
        conn.execute(
            "INSERT INTO organisations (id, name, employees, created_at) "
            "VALUES ('1001', 'Acme', 30, '2024-01-01T00:00:00+00:00')"
        )
    conn.close()

    assert cli.json("org", "show", "1001")["domains"] == []
    cli.ok("org", "set", "1001", "--domains", "acme.nl")
    assert cli.json("org", "show", "1001")["domains"] == ["acme.nl"]
    conn = sqlite3.connect(db_path)
    try:
        steps = [name for (name,) in conn.execute("SELECT name FROM _sqlite_migrations")]
    finally:
        conn.close()
    assert steps == [name for name, _ in migrations.STEPS]  # 0002 and every later step
    assert cli.json("doctor")["healthy"] is True
