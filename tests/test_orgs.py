"""``org add|list|show|set``: organisations, the operator's quota override, and bad input
(each refusal has its exit code and leaves the store as it was)."""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest
from conftest import Cli, Snapshot, events

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, NOT_FOUND

OPERATOR = f"operator:{getpass.getuser()}"


@pytest.fixture
def empty(cli: Cli) -> Cli:
    cli.ok("init")
    return cli


def test_add_shows_and_audits_the_organisation(empty: Cli, db_path: Path) -> None:
    run = empty.ok("org", "add", "1001", "--name", "Acme B.V.", "--employees", "30")
    assert "1001" in run.stdout
    assert "Acme B.V." in run.stdout
    (event,) = events(db_path)
    assert event["action"] == "org.add"
    assert event["org_id"] == "1001"
    assert event["actor"] == OPERATOR
    shown = empty.json("org", "show", "1001")
    assert shown["id"] == "1001"
    assert shown["name"] == "Acme B.V."
    assert shown["employees"] == 30
    assert shown["sector"] is None
    assert shown["quota_override"] is None
    assert shown["contacts"] == 0


def test_add_json_document(empty: Cli) -> None:
    document = empty.json(
        "org", "add", "2002", "--name", "Globex", "--employees", "5", "--sector", "zorg"
    )
    assert document == {
        "id": "2002",
        "name": "Globex",
        "employees": 5,
        "sector": "zorg",
        "created": True,
    }


def test_adding_the_same_organisation_again_changes_nothing(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.ok("org", "add", "1001", "--name", "Acme B.V.", "--employees", "30")
    assert "Unchanged" in run.stdout
    assert store.json("org", "add", "1001", "--name", "Acme B.V.", "--employees", "30") == {
        "id": "1001",
        "name": "Acme B.V.",
        "employees": 30,
        "sector": None,
        "created": False,
    }
    assert snapshot() == before


@pytest.mark.parametrize(
    "args",
    [
        ("--name", "Other name", "--employees", "30"),
        ("--name", "Acme B.V.", "--employees", "31"),
        ("--name", "Acme B.V.", "--employees", "30", "--sector", "zorg"),
    ],
)
def test_adding_an_existing_id_with_other_values_is_exit_2(
    store: Cli, snapshot: Snapshot, args: tuple[str, ...]
) -> None:
    before = snapshot()
    run = store.fails(INVALID_INPUT, "org", "add", "1001", *args)
    assert "already exists" in run.error_lines[0]
    assert "org set" in run.stderr
    assert snapshot() == before


@pytest.mark.parametrize(
    "args",
    [
        ("1003", "--name", "Neg", "--employees", "-1"),
        ("1003", "--name", "Nan", "--employees", "many"),
        ("1003", "--name", "", "--employees", "3"),
        ("1003", "--name", "   ", "--employees", "3"),
        ("", "--name", "Empty id", "--employees", "3"),
        ("  ", "--name", "Blank id", "--employees", "3"),
        ("bad\tid", "--name", "Tab", "--employees", "3"),
        ("x" * 65, "--name", "Long id", "--employees", "3"),
        ("1003", "--employees", "3"),  # no --name
        ("1003", "--name", "No employees"),
    ],
)
def test_bad_org_add_is_exit_2_and_writes_nothing(
    store: Cli, snapshot: Snapshot, args: tuple[str, ...]
) -> None:
    before = snapshot()
    store.fails(INVALID_INPUT, "org", "add", *args)
    assert snapshot() == before


def test_list_shows_every_organisation_in_id_order(store: Cli) -> None:
    store.ok("org", "add", "0999", "--name", "First", "--employees", "1")
    listing = store.json("org", "list")
    assert [org["id"] for org in listing] == ["0999", "1001", "2002"]
    acme = listing[1]
    assert acme["contacts"] == 3
    assert acme["active_contacts"] == 3
    assert acme["portal_admins"] == 1
    assert set(acme["quota"]) == {
        "org",
        "maximum",
        "used",
        "remaining",
        "experts",
        "over_quota",
        "published",
    }
    table = store.ok("org", "list").stdout
    for name in ("First", "Acme B.V.", "Globex"):
        assert name in table


def test_the_table_of_org_list_says_what_its_json_says(demo: Cli) -> None:
    """The table is read by a statement of its own (docs/performance.md): on the demo store,
    with inactive contacts, experts, sectors and an override, and after a grant, a
    deactivation and a new organisation, each row equals the JSON of its organisation."""
    demo.ok("org", "add", "3003", "--name", "Initech", "--employees", "5")
    demo.ok("org", "set", "1002", "--quota", "1", "--reason", "r")
    demo.ok("contacts", "add", "new@vandijk.nl", "--org", "1001", "--name", "New")
    demo.ok("grant", "submitter", "new@vandijk.nl")
    demo.ok("contacts", "set", "new@vandijk.nl", "--inactive")

    def rows(*args: str) -> list[list[str]]:
        lines = demo.ok(*args, "org", "list").stdout.splitlines()
        assert lines[0].split("\t") == [
            "ID", "Name", "Employees", "Sector", "Contacts", "Submitters", "Maximum",
        ]  # fmt: skip
        return [line.split("\t") for line in lines[1:]]

    def expected(*args: str) -> list[list[str]]:
        return [
            [
                o["id"],
                o["name"],
                str(o["employees"]),
                o["sector"] or "-",
                str(o["active_contacts"]),
                str(o["quota"]["used"]),
                str(o["quota"]["maximum"]),
            ]
            for o in demo.json(*args, "org", "list")
        ]

    everything = rows()
    assert everything == expected()
    assert [row[0] for row in everything] == ["1001", "1002", "1003", "1004", "3003"]
    assert everything[-1][3:] == ["-", "0", "0", "2"]
    portal = ("--as", "anouk@vandijk.nl")
    assert rows(*portal) == expected(*portal) == [everything[0]]


def test_list_of_an_empty_store(empty: Cli) -> None:
    assert empty.json("org", "list") == []


def test_show_unknown_organisation_is_exit_3(store: Cli) -> None:
    run = store.fails(NOT_FOUND, "org", "show", "9999")
    assert "9999" in run.error_lines[0]


def test_show_human_output(store: Cli) -> None:
    out = store.ok("org", "show", "2002").stdout
    assert "Globex" in out
    assert "zorg" in out
    # The portal admins are named, not counted: whom the contacts ask for a role.
    assert "Portal admins:     Gina <gina@globex.nl>\n" in out


def test_show_names_the_active_portal_admins(store: Cli) -> None:
    assert store.json("org", "show", "1001")["admins"] == [
        {"email": "admin@acme.nl", "name": "Ada Admin"}
    ]
    store.ok("contacts", "add", "bea@acme.nl", "--org", "1001", "--name", "Bea", "--portal-admin")
    store.ok("contacts", "add", "cor@acme.nl", "--org", "1001", "--name", "Cor", "--portal-admin")
    store.ok("contacts", "set", "cor@acme.nl", "--inactive")
    shown = store.json("org", "show", "1001")
    assert shown["admins"] == [
        {"email": "admin@acme.nl", "name": "Ada Admin"},
        {"email": "bea@acme.nl", "name": "Bea"},
    ]
    assert shown["portal_admins"] == 2
    out = store.ok("org", "show", "1001").stdout
    assert "Portal admins:     Ada Admin <admin@acme.nl>, Bea <bea@acme.nl>\n" in out
    # Portal users of the organisation see them too, also those who are no portal admin.
    assert store.json("--as", "jan@acme.nl", "org", "show", "1001")["admins"] == shown["admins"]
    # org list counts them, without naming them.
    assert "admins" not in store.json("org", "list")[0]
    store.ok("contacts", "set", "gina@globex.nl", "--no-portal-admin")
    assert store.json("org", "show", "2002")["admins"] == []
    assert "Portal admins:     none (ask the vendor)\n" in store.ok("org", "show", "2002").stdout


def test_set_changes_and_audits_only_what_changed(store: Cli, db_path: Path) -> None:
    count = len(events(db_path))
    document = store.json("org", "set", "1001", "--name", "Acme Holding", "--employees", "30")
    assert document["changed"] is True
    assert document["name"] == "Acme Holding"
    new_events = events(db_path)[count:]
    assert len(new_events) == 1
    (event,) = new_events
    assert event["action"] == "org.set"
    assert event["org_id"] == "1001"
    assert event["actor"] == OPERATOR
    assert '"name"' in event["after"]
    assert "employees" not in event["after"], "unchanged fields are not in the event"
    assert store.json("org", "show", "1001")["name"] == "Acme Holding"


def test_set_without_a_change_is_a_no_op(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.ok("org", "set", "1001", "--name", "Acme B.V.")
    assert "Unchanged" in run.stdout
    assert store.json("org", "set", "1001")["changed"] is False
    assert snapshot() == before


def test_set_sector_and_clear_it(store: Cli) -> None:
    store.ok("org", "set", "1001", "--sector", "retail")
    assert store.json("org", "show", "1001")["sector"] == "retail"
    store.ok("org", "set", "1001", "--sector", "")
    assert store.json("org", "show", "1001")["sector"] is None


def test_quota_override_with_reason_and_clearing_it(store: Cli, db_path: Path) -> None:
    policy_maximum = store.json("org", "show", "1001")["quota"]["maximum"]
    override = policy_maximum + 4
    store.ok("org", "set", "1001", "--quota", str(override), "--reason", "contract 2024-17")
    shown = store.json("org", "show", "1001")
    assert shown["quota_override"] == override
    assert shown["quota_override_reason"] == "contract 2024-17"
    assert shown["quota"]["maximum"] == override
    assert events(db_path)[-1]["reason"] == "contract 2024-17"
    out = store.ok("org", "show", "1001").stdout
    assert f"Maximum:           {override} (override: contract 2024-17)\n" in out

    store.ok("org", "set", "1001", "--clear-quota")
    shown = store.json("org", "show", "1001")
    assert shown["quota_override"] is None
    assert shown["quota_override_reason"] is None
    assert shown["quota"]["maximum"] == policy_maximum
    assert events(db_path)[-1]["action"] == "org.set"


def test_quota_override_of_zero_is_allowed(store: Cli) -> None:
    store.ok("org", "set", "2002", "--quota", "0", "--reason", "no support contract")
    assert store.json("org", "show", "2002")["quota"]["maximum"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--quota", "5"),  # no reason
        ("--quota", "5", "--reason", ""),
        ("--quota", "5", "--reason", "   "),
        ("--quota", "-1", "--reason", "negative"),
        ("--quota", "five", "--reason", "not a number"),
        ("--quota", "5", "--reason", "both", "--clear-quota"),
        ("--reason", "a reason without a quota"),
        ("--employees", "-5"),
        ("--name", ""),
        ("--name", "  "),
    ],
)
def test_bad_org_set_is_exit_2_and_writes_nothing(
    store: Cli, snapshot: Snapshot, args: tuple[str, ...]
) -> None:
    before = snapshot()
    store.fails(INVALID_INPUT, "org", "set", "1001", *args)
    assert snapshot() == before


def test_quota_without_reason_says_why(store: Cli) -> None:
    run = store.fails(INVALID_INPUT, "org", "set", "1001", "--quota", "5")
    assert "reason" in run.error_lines[0]
    assert "--reason" in run.stderr


def test_set_unknown_organisation_is_exit_3(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(NOT_FOUND, "org", "set", "9999", "--name", "Ghost")
    assert snapshot() == before


@pytest.mark.parametrize(
    "command",
    [
        ("org", "add", "3003", "--name", "Initech", "--employees", "3"),
        ("org", "add", "1001", "--name", "Acme B.V.", "--employees", "30"),
        ("org", "set", "1001", "--name", "Taken over"),
        ("org", "set", "1001", "--quota", "50", "--reason", "please"),
        ("org", "set", "1001", "--clear-quota"),
    ],
)
@pytest.mark.parametrize("portal_user", ["admin@acme.nl", "jan@acme.nl", "ADMIN@ACME.NL"])
def test_operator_only_org_commands_refuse_as(
    store: Cli, snapshot: Snapshot, command: tuple[str, ...], portal_user: str
) -> None:
    before = snapshot()
    run = store.fails(NOT_AUTHORIZED, "--as", portal_user, *command)
    assert "operator" in run.error_lines[0]
    assert snapshot() == before


def test_as_env_var_is_refused_too(
    store: Cli, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot()
    monkeypatch.setenv("INCIDENTCTL_AS", "admin@acme.nl")
    store.fails(NOT_AUTHORIZED, "org", "set", "1001", "--name", "X")
    assert snapshot() == before


def test_as_an_unknown_contact_is_exit_4(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(NOT_AUTHORIZED, "--as", "nobody@acme.nl", "org", "list")
    assert snapshot() == before


def test_a_portal_user_sees_only_its_own_organisation(store: Cli) -> None:
    assert [o["id"] for o in store.json("--as", "jan@acme.nl", "org", "list")] == ["1001"]
    assert store.json("--as", "jan@acme.nl", "org", "show", "1001")["id"] == "1001"
    # Another organisation is answered exactly as one that does not exist: a portal user
    # learns nothing about other organisations.
    other = store.fails(NOT_FOUND, "--as", "jan@acme.nl", "org", "show", "2002")
    assert other.error_lines == ["Error: no organisation '2002'"]
    unknown = store.fails(NOT_FOUND, "--as", "jan@acme.nl", "org", "show", "9999")
    assert other.stderr == unknown.stderr.replace("9999", "2002")


def test_a_portal_user_sees_an_override_but_not_its_reason(store: Cli) -> None:
    store.ok("org", "set", "1001", "--quota", "7", "--reason", "contract 2024-17")
    for who in ("jan@acme.nl", "admin@acme.nl"):
        shown = store.json("--as", who, "org", "show", "1001")
        assert (shown["quota_override"], shown["quota_override_reason"]) == (7, "set by the vendor")
        assert shown["quota"]["maximum"] == 7
        (listed,) = store.json("--as", who, "org", "list")
        assert listed["quota_override_reason"] == "set by the vendor"
        out = store.ok("--as", who, "org", "show", "1001").stdout
        assert "Maximum:           7 (override: set by the vendor)\n" in out
        assert "contract" not in out
        explained = store.ok("--as", who, "quota", "explain", "1001").stdout
        assert "set by the vendor" in explained
        assert "contract" not in explained
        document = store.ok("--as", who, "quota", "explain", "1001", "--json").stdout
        assert "set by the vendor" in document
        assert "contract" not in document
    assert store.json("org", "show", "1001")["quota_override_reason"] == "contract 2024-17"
