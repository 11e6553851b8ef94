"""The roles are defined once (incidentctl.roles) and everything else follows the definition
(docs/architecture.md, "Adding a role").

The central test defines a third role, ``viewer``, as a future version would: one definition
and one migration step, nothing else. It must then be granted, listed, applied, checked,
completed and audited like the two roles of the portal. The store holds the roles in a table
that ``role_changes`` references: 0003 made it from the CHECK of 0001, keeping every row.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, dump
from test_completion import complete

from incidentctl import migrations, roles
from incidentctl.errors import INTERNAL_ERROR, INVALID_INPUT, NOT_AUTHORIZED
from incidentctl.roles import MANAGER, SUBMIT, SUBMITTER, VIEW_ALL, Role, Roles, defined
from incidentctl.services import demo

VIEWER = Role(
    "viewer",
    "Incidentweergave",
    ("Incidentenweergave",),
    quota=False,
    permission=VIEW_ALL,
)

T0 = "2024-05-01T10:00"  # after the enforcement date; Amsterdam time
LATER = "2024-05-01T10:20"  # after the propagation delay of a change made at T0


@pytest.fixture
def viewer(monkeypatch: pytest.MonkeyPatch) -> Role:
    """This version defines ``viewer`` and has its migration step: all a new role takes."""
    monkeypatch.setattr(roles, "DEFINED", Roles(SUBMITTER, MANAGER, VIEWER))
    step = ("9001_role_viewer", migrations.add_role("viewer"))
    monkeypatch.setattr(migrations, "STEPS", (*migrations.STEPS, step))
    return VIEWER


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "roles.toml"
    path.write_text(text)
    return str(path)


def test_a_new_role_flows_through_every_command(
    store: Cli, viewer: Role, tmp_path: Path, db_path: Path
) -> None:
    # grant, by its name and by its Dutch name; no quota applies
    granted = store.json("--now", T0, "grant", "viewer", "jan@acme.nl")
    assert granted["role"] == "viewer"
    assert [r["status"] for r in granted["results"]] == ["granted"]
    store.ok("--now", T0, "grant", "Incidentenweergave", "piet@acme.nl")
    store.ok("--now", T0, "grant", "submitter", "piet@acme.nl")
    quota = store.json("--now", T0, "quota", "1001")
    assert quota["used"] == 1, "viewers take no submitter seat"

    # contacts list: JSON, CSV, the table, the --role filter
    listed = {row["email"]: row["roles"] for row in store.json("contacts", "list")}
    assert listed["jan@acme.nl"] == ["viewer"]
    assert listed["piet@acme.nl"] == ["submitter", "viewer"], "in the order of the definition"
    assert listed["admin@acme.nl"] == []
    cells = csv.DictReader(io.StringIO(store.ok("contacts", "list", "--csv").stdout))
    assert {row["email"]: row["roles"] for row in cells}["piet@acme.nl"] == "submitter;viewer"
    table = store.ok("contacts", "list", "--org", "1001").stdout
    assert "submitter (Incidentenbeheer), viewer (Incidentweergave)" in table
    holders = store.json("contacts", "list", "--role", "Incidentweergave")
    assert [row["email"] for row in holders] == ["jan@acme.nl", "piet@acme.nl"]
    shown = store.json("contacts", "show", "jan@acme.nl")
    assert shown["roles"] == ["viewer"]
    assert [change["role"] for change in shown["role_changes"]] == ["viewer"]

    # check: viewing all comes from the role that gives it, with the portal's session rule
    before = store("--now", T0, "check", "jan@acme.nl", "--json")
    assert before.exit_code == NOT_AUTHORIZED  # it may not submit
    assert before.json()["view_all"]["status"] == "pending"
    assert "viewer (Incidentweergave)" in before.json()["view_all"]["reason"]
    store.ok("--now", LATER, "login", "jan@acme.nl")
    after = store("--now", LATER, "check", "jan@acme.nl", "--json").json()
    assert after["view_all"]["status"] == "allowed"
    assert after["view_all"]["reason"].startswith("the viewer (Incidentweergave) role")
    assert after["submit"]["status"] == "denied"
    store.ok("clock", "set", LATER)
    assert store.json("--as", "jan@acme.nl", "incidents", "list") == []

    # apply: the role key, grants, unchanged holders, and --prune
    path = _write(tmp_path, '[organisations."1001"]\nviewer = ["jan@acme.nl", "admin@acme.nl"]\n')
    plan = store.json("--now", LATER, "apply", path, "--prune")
    assert plan["grant"] == [{"email": "admin@acme.nl", "role": "viewer", "org": "1001"}]
    assert plan["revoke"] == [{"email": "piet@acme.nl", "role": "viewer", "org": "1001"}]
    assert plan["unchanged"] == 1
    assert store.json("--now", LATER, "apply", path, "--prune")["grant"] == []

    # pending, revoke and the audit log name it too
    pending = store.json("--now", LATER, "pending")
    assert {(row["email"], row["role"]) for row in pending} == {
        ("admin@acme.nl", "viewer"),
        ("piet@acme.nl", "viewer"),
    }
    revoked = store.json("--now", LATER, "revoke", "viewer", "jan@acme.nl")
    assert revoked["summary"]["revoked"] == 1
    logged = {(e["action"], e["contact"]) for e in store.json("log") if e["role"] == "viewer"}
    assert ("revoke", "jan@acme.nl") in logged
    assert ("grant", "admin@acme.nl") in logged

    # completion offers it in both languages
    assert complete(store, "incidentctl grant v") == ["viewer"]
    assert complete(store, "incidentctl revoke Incidentw") == ["Incidentweergave"]

    # and the store is as its migrations make it
    assert store.json("doctor")["healthy"] is True


def test_a_new_role_is_named_in_refusals(store: Cli, viewer: Role, tmp_path: Path) -> None:
    hint = store("grant", "viewers", "jan@acme.nl").stderr
    assert "or viewer (Incidentweergave)" in hint
    path = _write(tmp_path, '[organisations."1001"]\nviewers = ["jan@acme.nl"]\n')
    error = store("apply", path).failed(INVALID_INPUT)
    assert "unknown role 'viewers' (submitter, manager or viewer)" in error


def test_a_role_without_its_migration_step_is_refused_by_the_store(
    store: Cli, monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> None:
    """Forgetting the step cannot go unnoticed: the store refuses the role's changes."""
    monkeypatch.setattr(roles, "DEFINED", Roles(SUBMITTER, MANAGER, VIEWER))
    before = dump(db_path)
    run = store.fails(INTERNAL_ERROR, "grant", "viewer", "jan@acme.nl")
    assert "FOREIGN KEY constraint failed" in run.stderr
    assert dump(db_path) == before


# --- the definition itself ----------------------------------------------------------------------


def test_the_portal_has_two_roles() -> None:
    roles_ = defined()
    assert roles_.names == ("submitter", "manager")
    assert roles_.quota_role is SUBMITTER
    assert roles_.giving(SUBMIT) == (SUBMITTER,)
    assert roles_.giving(VIEW_ALL) == (MANAGER,)
    for spelling, role in [
        ("submitter", SUBMITTER),
        (" INCIDENTENBEHEER ", SUBMITTER),
        ("incidentbeheer", SUBMITTER),
        ("Manager", MANAGER),
        ("Incidentmanagement", MANAGER),
        ("incidentenmanagement", MANAGER),
    ]:
        assert roles_.find(spelling) is role
    assert roles_.find("submitters") is None
    assert roles_.help == (
        "submitter (Incidentenbeheer) or manager (Incidentmanagement); Dutch names work too."
    )


@pytest.mark.parametrize(
    ("made", "message"),
    [
        (lambda: Roles(SUBMITTER, MANAGER, SUBMITTER._replace(quota=False)), "names both"),
        (lambda: Roles(SUBMITTER, MANAGER._replace(aliases=("incidentbeheer",))), "names both"),
        (lambda: Roles(SUBMITTER, VIEWER._replace(name="View-er")), "lower-case word"),
        (lambda: Roles(SUBMITTER._replace(quota=False), MANAGER), "exactly one"),
        (lambda: Roles(SUBMITTER, MANAGER._replace(quota=True)), "exactly one"),
        (lambda: Roles(SUBMITTER), "view all incidents"),
        (lambda: Roles(SUBMITTER, MANAGER, VIEWER._replace(permission=SUBMIT)), "quota"),
    ],
)
def test_a_definition_that_cannot_work_is_refused(made: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        made()


def test_every_role_of_the_demo_is_defined() -> None:
    for *_, names in demo._CONTACTS:
        for name in names:
            defined().named(name)


# --- the roles table ------------------------------------------------------------------------


def test_a_new_store_holds_every_defined_role(store: Cli, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    try:
        held = [name for (name,) in conn.execute("SELECT name FROM roles")]
    finally:
        conn.close()
    assert sorted(held) == sorted(defined().names)


def test_the_store_refuses_a_role_it_does_not_hold(store: Cli, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute(
                "INSERT INTO role_changes (contact_id, role, action, requested_at, "
                "effective_at, actor) VALUES (1, 'viewer', 'grant', 'a', 'b', 'operator')"
            )
    finally:
        conn.close()


def test_0003_keeps_every_role_change_and_the_log_append_only(
    cli: Cli, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store made before 0003 (its role column a CHECK), with role changes, is migrated by
    the next command: the same rows, the same indexes, still append-only, and healthy."""
    before_0003 = tuple(step for step in migrations.STEPS if step[0] < "0003")
    with monkeypatch.context() as older:
        older.setattr(migrations, "STEPS", before_0003)
        cli.ok("init")
    # Today's commands write tables of later steps too: the history is written as an older
    # version wrote it, row by row.
    old = sqlite3.connect(db_path)
    try:
        with old:
            old.execute(
                "INSERT INTO organisations (id, name, employees, created_at) "
                "VALUES ('1001', 'Van Dijk', 40, '2024-01-01T00:00:00+00:00')"
            )
            for number, email in enumerate(("bram@vandijk.nl", "els@vandijk.nl"), start=1):
                old.execute(
                    "INSERT INTO contacts (id, email, org_id, name, created_at) "
                    "VALUES (?, ?, '1001', ?, '2024-01-01T00:00:00+00:00')",
                    (number, email, email.split("@")[0]),
                )
            for day in range(1, 11):
                action = "grant" if day % 2 else "revoke"
                for contact, role in ((1, "submitter"), (2, "manager")):
                    old.execute(
                        "INSERT INTO role_changes (contact_id, role, action, requested_at, "
                        "effective_at, actor) VALUES (?, ?, ?, ?, ?, 'operator')",
                        (
                            contact,
                            role,
                            action,
                            f"2024-02-{day:02}T09:00:00+00:00",
                            f"2024-02-{day:02}T09:10:00+00:00",
                        ),
                    )
        rows = old.execute("SELECT * FROM role_changes ORDER BY id").fetchall()
        assert (
            "CHECK (role IN"
            in old.execute("SELECT sql FROM sqlite_master WHERE name = 'role_changes'").fetchone()[
                0
            ]
        )
    finally:
        old.close()
    assert len(rows) >= 10

    cli.ok("contacts", "list")  # migrates

    conn = sqlite3.connect(db_path)
    try:
        assert conn.execute("SELECT * FROM role_changes ORDER BY id").fetchall() == rows
        table = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'role_changes'").fetchone()
        assert "REFERENCES roles(name)" in table[0]
        assert "CHECK (role IN" not in table[0]
        assert not conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE '%before_0003%'"
        ).fetchall()
        for statement in ("UPDATE role_changes SET reason = 'x'", "DELETE FROM role_changes"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()
    doctor = cli.json("doctor")
    assert doctor["healthy"] is True, doctor
    steps = len(migrations.STEPS)
    ledger = next(c for c in doctor["checks"] if c["name"] == "migration ledger")
    assert ledger["detail"].startswith(f"{steps} of {steps} steps applied")
    assert cli.json("contacts", "show", "bram@vandijk.nl")["roles"] == []
    assert cli.json("grant", "manager", "bram@vandijk.nl")["summary"]["granted"] == 1
    # 0004 built the state table from that history.
    assert cli.json("contacts", "show", "bram@vandijk.nl")["roles"] == ["manager"]
    assert cli.json("revoke", "manager", "els@vandijk.nl")["summary"]["unchanged"] == 1
