"""``contacts add|set|show|list``: e-mail addresses (validated, compared in any case), the
listing's filters and its table/JSON/CSV forms, deactivation, and what ``--as`` may see."""

from __future__ import annotations

import csv
import getpass
import io
import json
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli, Snapshot, events

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, NOT_FOUND

OPERATOR = f"operator:{getpass.getuser()}"
LISTING_KEYS = ["email", "org", "name", "active", "portal_admin", "expert_until", "roles"]


def emails(rows: list[dict[str, object]]) -> list[object]:
    return [row["email"] for row in rows]


# --- add ------------------------------------------------------------------------------------


def test_add_stores_and_audits_the_contact(store: Cli, db_path: Path) -> None:
    document = store.json(
        "contacts",
        "add",
        "Nina@Acme.nl",
        "--org",
        "1001",
        "--name",
        "Nina Noord",
        "--expert-until",
        "2025-06-30",
    )
    assert document["created"] is True
    assert document["email"] == "Nina@Acme.nl", "the address is kept as given"
    shown = store.json("contacts", "show", "nina@acme.nl")
    assert shown["org"] == "1001"
    assert shown["name"] == "Nina Noord"
    assert shown["active"] is True
    assert shown["portal_admin"] is False
    assert shown["expert_until"] == "2025-06-30"
    event = events(db_path)[-1]
    assert event["action"] == "contact.add"
    assert event["contact"] == "Nina@Acme.nl"
    assert event["org_id"] == "1001"
    assert event["actor"] == OPERATOR


@pytest.mark.parametrize(
    "address",
    [
        "",
        "   ",
        "no-at-sign",
        "ada@",
        "@acme.nl",
        "ada@acme",
        "ada@@acme.nl",
        "ada @acme.nl",
        "ada@acme..nl",
        "ada@-acme.nl",
        ".ada@acme.nl",
        "ada.@acme.nl",
        "ada..b@acme.nl",
        "ada@acme.nl,bob@acme.nl",
        "ada@acme.nl\nbob@acme.nl",
        "<ada@acme.nl>",
        "Ada <ada@acme.nl>",
        "ädä@acme.nl",
        "a" * 65 + "@acme.nl",
        "ada@" + "a" * 250 + ".nl",
    ],
)
def test_invalid_email_addresses_are_exit_2(store: Cli, snapshot: Snapshot, address: str) -> None:
    before = snapshot()
    run = store.fails(INVALID_INPUT, "contacts", "add", address, "--org", "1001", "--name", "X")
    assert "e-mail" in run.error_lines[0]
    assert snapshot() == before


@pytest.mark.parametrize(
    "address",
    ["ada@acme.nl", "ada.lovelace+support@mail.acme-group.co.uk", "o'brien@acme.nl", "A@B.NL"],
)
def test_valid_email_addresses_are_accepted(store: Cli, address: str) -> None:
    store.ok("contacts", "add", address, "--org", "2002", "--name", "Someone")
    assert address in emails(store.json("contacts", "list", "--org", "2002"))


def test_adding_a_differently_cased_duplicate_is_not_a_second_contact(
    store: Cli, snapshot: Snapshot
) -> None:
    before = snapshot()
    run = store.ok("contacts", "add", "JAN@ACME.NL", "--org", "1001", "--name", "Jan Jansen")
    assert "Unchanged" in run.stdout
    assert "jan@acme.nl" in run.stdout
    assert snapshot() == before
    assert emails(store.json("contacts", "list")).count("jan@acme.nl") == 1


def test_adding_an_existing_address_with_other_values_is_exit_2(
    store: Cli, snapshot: Snapshot
) -> None:
    before = snapshot()
    run = store.fails(
        INVALID_INPUT, "contacts", "add", "Jan@Acme.nl", "--org", "1001", "--name", "Another Jan"
    )
    assert "contacts set" in run.stderr
    store.fails(INVALID_INPUT, "contacts", "add", "jan@acme.nl", "--org", "2002", "--name", "Jan")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--org", "9999", "--name", "X"), NOT_FOUND),
        (("--org", "1001", "--name", ""), INVALID_INPUT),
        (("--org", "1001", "--name", "  "), INVALID_INPUT),
        (("--org", "1001", "--name", "X", "--expert-until", "2024-02-30"), INVALID_INPUT),
        (("--org", "1001", "--name", "X", "--expert-until", "next year"), INVALID_INPUT),
        (("--org", "1001", "--name", "X", "--expert-until", "31-12-2024"), INVALID_INPUT),
        (("--org", "1001"), INVALID_INPUT),  # --name missing
        (("--name", "X"), INVALID_INPUT),  # --org missing
        (("--org", "1001", "--name", "X", "--bogus"), INVALID_INPUT),
    ],
)
def test_bad_contacts_add_writes_nothing(
    store: Cli, snapshot: Snapshot, args: tuple[str, ...], code: int
) -> None:
    before = snapshot()
    store.fails(code, "contacts", "add", "new@acme.nl", *args)
    assert snapshot() == before


# --- show -----------------------------------------------------------------------------------


def test_show_finds_a_contact_in_any_case(store: Cli) -> None:
    shown = store.json("contacts", "show", "ADMIN@ACME.NL")
    assert shown["email"] == "admin@acme.nl"
    assert shown["portal_admin"] is True
    assert shown["roles"] == []
    out = store.ok("contacts", "show", "Admin@Acme.NL").stdout
    assert "admin@acme.nl" in out
    assert "Ada Admin" in out


def test_show_unknown_contact_is_exit_3_and_bad_address_exit_2(store: Cli) -> None:
    assert "nobody@acme.nl" in store.fails(NOT_FOUND, "contacts", "show", "nobody@acme.nl").stderr
    store.fails(INVALID_INPUT, "contacts", "show", "not-an-address")


def test_show_lists_the_roles_of_a_demo_contact(demo: Cli) -> None:
    shown = demo.json("contacts", "show", "anouk@vandijk.nl")
    assert sorted(shown["roles"]) == ["manager", "submitter"]
    out = demo.ok("contacts", "show", "anouk@vandijk.nl").stdout
    assert "Incidentenbeheer" in out, "human output names the role in Dutch too"


# --- set ------------------------------------------------------------------------------------


def test_set_changes_fields_and_audits_them(store: Cli, db_path: Path) -> None:
    count = len(events(db_path))
    document = store.json(
        "contacts",
        "set",
        "JAN@acme.nl",
        "--name",
        "Jan J. Jansen",
        "--portal-admin",
        "--expert-until",
        "2030-01-01",
    )
    assert document["changed"] is True
    assert document["email"] == "jan@acme.nl"
    assert document["name"] == "Jan J. Jansen"
    assert document["portal_admin"] is True
    assert document["expert_until"] == "2030-01-01"
    (event,) = events(db_path)[count:]
    assert event["action"] == "contact.set"
    assert event["contact"] == "jan@acme.nl"
    assert event["actor"] == OPERATOR
    assert json.loads(event["before"]) == {
        "name": "Jan Jansen",
        "portal_admin": False,
        "expert_until": None,
    }
    assert json.loads(event["after"]) == {
        "name": "Jan J. Jansen",
        "portal_admin": True,
        "expert_until": "2030-01-01",
    }

    store.ok("contacts", "set", "jan@acme.nl", "--no-portal-admin", "--expert-until", "none")
    shown = store.json("contacts", "show", "jan@acme.nl")
    assert shown["portal_admin"] is False
    assert shown["expert_until"] is None


def test_set_without_a_change_is_a_no_op(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    assert "Unchanged" in store.ok("contacts", "set", "jan@acme.nl").stdout
    assert "Unchanged" in store.ok("contacts", "set", "jan@acme.nl", "--active").stdout
    assert store.json("contacts", "set", "jan@acme.nl", "--name", "Jan Jansen")["changed"] is False
    assert snapshot() == before


@pytest.mark.parametrize(
    ("email", "args", "code"),
    [
        ("nobody@acme.nl", ("--name", "X"), NOT_FOUND),
        ("not-an-address", ("--name", "X"), INVALID_INPUT),
        ("jan@acme.nl", ("--name", ""), INVALID_INPUT),
        ("jan@acme.nl", ("--expert-until", "soon"), INVALID_INPUT),
        ("jan@acme.nl", ("--expert-until", ""), INVALID_INPUT),
        ("jan@acme.nl", ("--active", "--bogus"), INVALID_INPUT),
    ],
)
def test_bad_contacts_set_writes_nothing(
    store: Cli, snapshot: Snapshot, email: str, args: tuple[str, ...], code: int
) -> None:
    before = snapshot()
    store.fails(code, "contacts", "set", email, *args)
    assert snapshot() == before


def test_deactivating_revokes_the_roles_and_audits_each(demo: Cli, db_path: Path) -> None:
    assert sorted(demo.json("contacts", "show", "anouk@vandijk.nl")["roles"]) == [
        "manager",
        "submitter",
    ]
    count = len(events(db_path))
    document = demo.json("contacts", "set", "ANOUK@vandijk.nl", "--inactive")
    assert document["active"] is False
    assert sorted(r["role"] for r in document["revoked"]) == ["manager", "submitter"]

    new = events(db_path)[count:]
    assert [e["action"] for e in new].count("contact.set") == 1
    revokes = [e for e in new if e["action"] == "revoke"]
    assert sorted(e["role"] for e in revokes) == ["manager", "submitter"]
    assert len(new) == 3
    assert {e["contact"] for e in new} == {"anouk@vandijk.nl"}
    assert {e["actor"] for e in new} == {OPERATOR}
    assert all(e["reason"] for e in revokes), "a revoke by deactivation says why"

    listed = demo.json("contacts", "list", "--org", "1001")
    anouk = next(row for row in listed if row["email"] == "anouk@vandijk.nl")
    assert anouk["active"] is False
    assert anouk["roles"] == []
    assert "anouk@vandijk.nl" not in emails(demo.json("contacts", "list", "--role", "submitter"))


def test_deactivating_again_or_reactivating_grants_nothing(demo: Cli, db_path: Path) -> None:
    demo.ok("contacts", "set", "bram@vandijk.nl", "--inactive")
    count = len(events(db_path))
    assert "Unchanged" in demo.ok("contacts", "set", "bram@vandijk.nl", "--inactive").stdout
    assert len(events(db_path)) == count
    demo.ok("contacts", "set", "bram@vandijk.nl", "--active")
    (event,) = events(db_path)[count:]
    assert event["action"] == "contact.set"
    assert demo.json("contacts", "show", "bram@vandijk.nl")["roles"] == []


def test_deactivating_a_contact_without_roles_revokes_nothing(store: Cli, db_path: Path) -> None:
    count = len(events(db_path))
    assert store.json("contacts", "set", "piet@acme.nl", "--inactive")["revoked"] == []
    assert [e["action"] for e in events(db_path)[count:]] == ["contact.set"]


# --- list -----------------------------------------------------------------------------------


def test_list_json_has_exactly_the_contract_keys_in_org_and_email_order(store: Cli) -> None:
    rows = store.json("contacts", "list")
    assert emails(rows) == ["admin@acme.nl", "jan@acme.nl", "piet@acme.nl", "gina@globex.nl"]
    for row in rows:
        assert list(row) == LISTING_KEYS
    jan = rows[1]
    assert jan == {
        "email": "jan@acme.nl",
        "org": "1001",
        "name": "Jan Jansen",
        "active": True,
        "portal_admin": False,
        "expert_until": None,
        "roles": [],
    }


def test_list_filters_by_organisation(store: Cli) -> None:
    assert emails(store.json("contacts", "list", "--org", "2002")) == ["gina@globex.nl"]
    assert len(store.json("contacts", "list", "--org", "1001")) == 3
    store.ok("org", "add", "3003", "--name", "Empty", "--employees", "1")
    assert store.json("contacts", "list", "--org", "3003") == []


def test_list_of_an_unknown_organisation_is_exit_3(store: Cli) -> None:
    run = store.fails(NOT_FOUND, "contacts", "list", "--org", "9999")
    assert run.stdout == "", "nothing is printed before the error"


@pytest.mark.parametrize("name", ["submitter", "SUBMITTER", "Incidentenbeheer", "incidentbeheer"])
def test_list_filters_by_role_under_any_of_its_names(demo: Cli, name: str) -> None:
    rows = demo.json("contacts", "list", "--role", name)
    assert rows, "the demo has submitters"
    assert all("submitter" in row["roles"] for row in rows)
    everyone = demo.json("contacts", "list")
    expected = [row["email"] for row in everyone if "submitter" in row["roles"]]
    assert emails(rows) == expected
    assert len(expected) < len(everyone)


def test_list_filters_by_role_and_organisation(store: Cli) -> None:
    store.ok("grant", "submitter", "jan@acme.nl", "gina@globex.nl")
    store.ok("grant", "manager", "piet@acme.nl")
    assert emails(store.json("contacts", "list", "--role", "submitter")) == [
        "jan@acme.nl",
        "gina@globex.nl",
    ]
    assert emails(store.json("contacts", "list", "--role", "submitter", "--org", "1001")) == [
        "jan@acme.nl"
    ]
    assert emails(store.json("contacts", "list", "--role", "Incidentmanagement")) == [
        "piet@acme.nl"
    ]
    assert emails(store.json("contacts", "list", "--role", "incidentenmanagement")) == [
        "piet@acme.nl"
    ]


def test_list_pending_shows_contacts_with_a_change_not_yet_in_effect(store: Cli) -> None:
    """A change counts from when it was made until it takes effect (10 minutes later)."""
    store.ok("--now", "2024-05-01T10:00", "grant", "submitter", "jan@acme.nl")
    store.ok("--now", "2024-05-01T10:30", "grant", "manager", "piet@acme.nl")

    def pending(at: str, *args: str) -> list[str]:
        return emails(store.json("--now", at, "contacts", "list", "--pending", *args))

    assert pending("2024-05-01T10:05") == ["jan@acme.nl"], "piet's change is not made yet"
    assert pending("2024-05-01T10:35") == ["piet@acme.nl"], "jan's change is in effect"
    assert pending("2024-05-01T10:35", "--role", "submitter") == []
    assert pending("2024-05-01T11:00") == []


@pytest.mark.parametrize("role", ["admin", "", "submitters", "portal_admin"])
def test_list_by_unknown_role_is_exit_2(store: Cli, role: str) -> None:
    store.fails(INVALID_INPUT, "contacts", "list", "--role", role)


def test_list_csv_parses_with_the_csv_module(demo: Cli) -> None:
    text = demo.ok("contacts", "list", "--csv").stdout
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == LISTING_KEYS
    rows = list(reader)
    as_json = demo.json("contacts", "list")
    assert [row["email"] for row in rows] == emails(as_json)
    for row, document in zip(rows, as_json, strict=True):
        assert row["org"] == document["org"]
        assert row["name"] == document["name"]
        assert row["active"] == ("true" if document["active"] else "false")
        assert row["portal_admin"] == ("true" if document["portal_admin"] else "false")
        assert row["expert_until"] == (document["expert_until"] or "")
        assert (row["roles"].split(";") if row["roles"] else []) == document["roles"]


def test_list_csv_quotes_awkward_names(store: Cli) -> None:
    store.ok("contacts", "add", "q@acme.nl", "--org", "1001", "--name", 'Quote "Q", Jr.')
    rows = list(csv.DictReader(io.StringIO(store.ok("contacts", "list", "--csv").stdout)))
    assert 'Quote "Q", Jr.' in [row["name"] for row in rows]


def test_list_csv_and_json_together_is_exit_2(store: Cli) -> None:
    run = store.fails(INVALID_INPUT, "contacts", "list", "--csv", "--json")
    assert run.stdout == ""


def test_list_table_shows_contacts_and_roles(demo: Cli) -> None:
    out = demo.ok("contacts", "list", "--org", "1001").stdout
    assert "anouk@vandijk.nl" in out
    assert "Anouk van Dijk" in out
    assert "submitter" in out
    assert "delinde" not in out


def test_list_of_an_empty_store(cli: Cli) -> None:
    cli.ok("init")
    assert cli.json("contacts", "list") == []
    assert cli.ok("contacts", "list", "--csv").stdout.splitlines() == [",".join(LISTING_KEYS)]


def test_names_with_control_characters_cannot_reach_the_terminal(
    store: Cli, db_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    refused = store.fails(
        INVALID_INPUT,
        "contacts",
        "add",
        "esc@acme.nl",
        "--org",
        "1001",
        "--name",
        "Evil\x1b[31mRed",
    )
    assert "U+001B" in refused.error_lines[0]
    assert snapshot() == before
    # A store written before names were checked may hold one: it is shown escaped.
    store.ok("contacts", "add", "esc@acme.nl", "--org", "1001", "--name", "Evil")
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "UPDATE contacts SET name = 'Evil' || char(27) || '[31mRed' WHERE email = 'esc@acme.nl'"
        )
    conn.close()
    assert "\x1b" not in store.ok("contacts", "list").stdout
    assert "\x1b" not in store.ok("contacts", "show", "esc@acme.nl").stdout
    # JSON keeps the value exactly (escaped by the JSON encoder).
    names = [row["name"] for row in store.json("contacts", "list")]
    assert "Evil\x1b[31mRed" in names


# --- as a portal user -----------------------------------------------------------------------


def test_a_portal_user_lists_only_its_own_organisation(store: Cli) -> None:
    rows = store.json("--as", "admin@acme.nl", "contacts", "list")
    assert {row["org"] for row in rows} == {"1001"}
    assert len(rows) == 3
    assert emails(
        store.json("--as", "ADMIN@ACME.NL", "contacts", "list", "--org", "1001")
    ) == emails(rows)
    # A portal user who is not a portal admin lists only itself.
    assert emails(store.json("--as", "jan@acme.nl", "contacts", "list")) == ["jan@acme.nl"]
    assert emails(store.json("--as", "jan@acme.nl", "contacts", "list", "--org", "1001")) == [
        "jan@acme.nl"
    ]
    # Another organisation, and its contacts, are answered as ones that do not exist.
    run = store.fails(NOT_FOUND, "--as", "jan@acme.nl", "contacts", "list", "--org", "2002")
    assert run.error_lines == ["Error: no organisation '2002'"]
    assert run.stdout == ""
    run = store.fails(NOT_FOUND, "--as", "gina@globex.nl", "contacts", "show", "jan@acme.nl")
    assert run.error_lines == ["Error: no contact jan@acme.nl in your organisation"]
    unknown = store.fails(NOT_FOUND, "--as", "gina@globex.nl", "contacts", "show", "no@acme.nl")
    assert run.stderr == unknown.stderr.replace("no@acme.nl", "jan@acme.nl")


def test_a_portal_user_that_is_no_portal_admin_sees_itself_and_its_portal_admins(
    store: Cli,
) -> None:
    own = store.json("--as", "jan@acme.nl", "contacts", "show", "jan@acme.nl")
    assert (own["email"], own["restricted"], own["active"], own["roles"]) == (
        "jan@acme.nl",
        False,
        True,
        [],
    )
    admin = store.json("--as", "jan@acme.nl", "contacts", "show", "admin@acme.nl")
    assert admin == {
        "email": "admin@acme.nl",
        "org": "1001",
        "name": "Ada Admin",
        "active": None,
        "portal_admin": True,
        "expert_until": None,
        "expert": None,
        "roles": None,
        "role_changes": None,
        "restricted": True,
    }
    human = store.ok("--as", "jan@acme.nl", "contacts", "show", "admin@acme.nl").stdout
    assert [line.split(":")[0] for line in human.splitlines()] == [
        "Contact",
        "Name",
        "Organisation",
        "Portal admin",
    ]
    # A colleague who is not a portal admin is out of sight (4), and so is an inactive admin.
    colleague = store("--as", "jan@acme.nl", "contacts", "show", "piet@acme.nl")
    colleague.failed(NOT_AUTHORIZED)
    assert colleague.stderr.splitlines()[1].startswith("Hint: ask a portal admin")
    assert "Ada Admin <admin@acme.nl>" in colleague.stderr
    assert colleague.stdout == ""
    store.fails(NOT_AUTHORIZED, "--as", "jan@acme.nl", "check", "piet@acme.nl")
    store.fails(NOT_AUTHORIZED, "--as", "jan@acme.nl", "check", "admin@acme.nl")
    store.ok("contacts", "add", "bea@acme.nl", "--org", "1001", "--name", "Bea", "--portal-admin")
    store.ok("contacts", "set", "bea@acme.nl", "--inactive")
    store.fails(NOT_AUTHORIZED, "--as", "jan@acme.nl", "contacts", "show", "bea@acme.nl")
    # A portal admin sees all of its organisation.
    piet = store.json("--as", "admin@acme.nl", "contacts", "show", "piet@acme.nl")
    assert (piet["restricted"], piet["active"], piet["roles"]) == (False, True, [])
    assert store.json("contacts", "show", "admin@acme.nl")["restricted"] is False


def test_a_portal_user_sees_the_operator_as_operator_in_role_changes(store: Cli) -> None:
    store.ok("grant", "submitter", "jan@acme.nl", "--reason", "team lead")
    (change,) = store.json("contacts", "show", "jan@acme.nl")["role_changes"]
    assert change["actor"] == OPERATOR
    for who in ("jan@acme.nl", "admin@acme.nl"):
        shown = store.json("--as", who, "contacts", "show", "jan@acme.nl")
        (change,) = shown["role_changes"]
        assert (change["actor"], change["reason"]) == ("operator", "team lead")
        assert shown["roles"] == ["submitter"]


def test_a_portal_admin_adds_and_changes_contacts_of_its_own_organisation(
    store: Cli, db_path: Path
) -> None:
    store.ok(
        "--as", "admin@acme.nl", "contacts", "add", "new@acme.nl", "--org", "1001", "--name", "N"
    )
    assert events(db_path)[-1]["actor"] == "admin@acme.nl"
    store.ok("--as", "ADMIN@acme.nl", "contacts", "set", "new@acme.nl", "--name", "New")
    event = events(db_path)[-1]
    assert event["action"] == "contact.set"
    assert event["actor"] == "admin@acme.nl", "the actor is the contact as stored"


@pytest.mark.parametrize(
    ("actor", "command"),
    [
        ("jan@acme.nl", ("contacts", "add", "x@acme.nl", "--org", "1001", "--name", "X")),
        ("jan@acme.nl", ("contacts", "set", "piet@acme.nl", "--name", "P")),
        ("admin@acme.nl", ("contacts", "set", "jan@acme.nl", "--expert-until", "2030-01-01")),
        (
            "admin@acme.nl",
            (
                "contacts",
                "add",
                "x@acme.nl",
                "--org",
                "1001",
                "--name",
                "X",
                "--expert-until",
                "2030-01-01",
            ),
        ),
        ("nobody@acme.nl", ("contacts", "list")),
    ],
)
def test_what_a_portal_user_may_not_do_is_exit_4(
    store: Cli, snapshot: Snapshot, actor: str, command: tuple[str, ...]
) -> None:
    before = snapshot()
    store.fails(NOT_AUTHORIZED, "--as", actor, *command)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (
            ("contacts", "add", "x@globex.nl", "--org", "2002", "--name", "X"),
            "Error: no organisation '2002'",
        ),
        (
            ("contacts", "set", "gina@globex.nl", "--inactive"),
            "Error: no contact gina@globex.nl in your organisation",
        ),
        (
            ("contacts", "set", "Gina@Globex.NL", "--name", "G"),
            "Error: no contact Gina@Globex.NL in your organisation",
        ),
    ],
)
def test_another_organisation_is_unknown_to_a_portal_admin(
    store: Cli, snapshot: Snapshot, command: tuple[str, ...], error: str
) -> None:
    before = snapshot()
    run = store.fails(NOT_FOUND, "--as", "admin@acme.nl", *command)
    assert run.error_lines == [error]
    assert snapshot() == before


def test_a_portal_admin_cannot_add_another_organisations_address(
    store: Cli, snapshot: Snapshot
) -> None:
    before = snapshot()
    add = ("contacts", "add", "GINA@globex.nl", "--org", "1001", "--name", "G")
    run = store.fails(INVALID_INPUT, "--as", "admin@acme.nl", *add)
    assert run.error_lines == ["Error: cannot add GINA@globex.nl: the address is already in use"]
    assert "2002" not in run.stderr
    assert "Globex" not in run.stderr
    assert snapshot() == before


@pytest.mark.parametrize("change", [("--no-portal-admin",), ("--inactive",)])
def test_the_last_portal_admin_cannot_leave_under_as(
    store: Cli, snapshot: Snapshot, change: tuple[str, ...]
) -> None:
    before = snapshot()
    run = store.fails(INVALID_INPUT, "--as", "admin@acme.nl", "contacts", "set", "admin@acme.nl",
                      *change)  # fmt: skip
    assert "last active portal admin" in run.error_lines[0]
    assert snapshot() == before
    # With a second portal admin it may; the operator always may.
    store.ok("contacts", "add", "bea@acme.nl", "--org", "1001", "--name", "Bea", "--portal-admin")
    store.ok("--as", "admin@acme.nl", "contacts", "set", "admin@acme.nl", *change)
    store.ok("contacts", "set", "gina@globex.nl", *change)


def test_an_inactive_portal_admin_may_not_change_contacts(store: Cli, snapshot: Snapshot) -> None:
    store.ok("contacts", "set", "admin@acme.nl", "--inactive")
    before = snapshot()
    store.fails(
        NOT_AUTHORIZED, "--as", "admin@acme.nl", "contacts", "set", "jan@acme.nl", "--name", "J"
    )
    assert snapshot() == before
