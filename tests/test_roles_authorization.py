"""Who may do what (docs/concepts.md, rule 7): with --as the tool acts as a portal user;
only an active portal admin grants and revokes, only in its own organisation; it sees only
its own organisation (another one, and its contacts, are answered as ones that do not
exist); operator-only commands refuse --as."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from grant_support import add_contact, holders, role_events, statuses

ADMIN = ("--as", "admin@acme.nl")
OTHER_ADMIN = ("--as", "gina@globex.nl")


@pytest.mark.parametrize("command", ["grant", "revoke"])
def test_a_portal_admin_of_another_organisation_gets_exit_3(
    store: Cli, snapshot: Snapshot, command: str
) -> None:
    store.ok("grant", "submitter", "jan@acme.nl")
    before = snapshot()

    run = store(*OTHER_ADMIN, command, "submitter", "jan@acme.nl", "piet@acme.nl", "--json")

    # Another organisation's contact is, to a portal user, an address that does not exist.
    assert run.exit_code == 3
    assert snapshot() == before
    document = run.json()
    assert document["applied"] is False
    assert statuses(document) == {"jan@acme.nl": "refused", "piet@acme.nl": "refused"}
    assert document["results"][0]["reason"] == "no such contact in your organisation (argument 1)"
    unknown = store(*OTHER_ADMIN, command, "submitter", "jan@globex.nl", "piet@globex.nl", "--json")
    assert unknown.exit_code == 3
    assert unknown.stdout.replace("@globex.nl", "@acme.nl") == run.stdout
    assert unknown.stderr.replace("@globex.nl", "@acme.nl") == run.stderr
    human = store(*OTHER_ADMIN, command, "submitter", "jan@acme.nl")
    assert human.failed(3) == (
        f"Error: {command} refused for 1 row: no such contact in your organisation (argument 1)"
    )
    assert "2002" not in human.stdout + human.stderr
    assert snapshot() == before
    # The operator keeps the precise answer.
    assert store.json("contacts", "show", "jan@acme.nl")["org"] == "1001"


def test_one_contact_of_another_organisation_refuses_the_whole_batch(
    store: Cli, snapshot: Snapshot
) -> None:
    before = snapshot()
    run = store(*ADMIN, "grant", "manager", "jan@acme.nl", "gina@globex.nl", "--json")
    assert run.exit_code == 3
    assert statuses(run.json()) == {"jan@acme.nl": "granted", "gina@globex.nl": "refused"}
    assert run.json()["results"][1]["reason"] == (
        "no such contact in your organisation (argument 2)"
    )
    assert snapshot() == before


def test_a_contact_that_is_not_a_portal_admin_gets_exit_4(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.fails(4, "--as", "jan@acme.nl", "grant", "submitter", "jan@acme.nl")
    assert "not a portal admin" in run.stderr
    # The refusal names the portal admins to ask.
    assert run.stderr.splitlines()[1] == "Hint: ask a portal admin: Ada Admin <admin@acme.nl>"
    store.fails(4, "--as", "jan@acme.nl", "revoke", "manager", "piet@acme.nl", "--json")
    store.fails(4, "--as", "jan@acme.nl", "grant", "manager", "piet@acme.nl", "--dry-run")
    assert snapshot() == before


def test_an_inactive_portal_admin_gets_exit_4(store: Cli, snapshot: Snapshot) -> None:
    store.ok("contacts", "set", "admin@acme.nl", "--inactive")
    before = snapshot()
    run = store.fails(4, *ADMIN, "grant", "submitter", "jan@acme.nl")
    assert "inactive" in run.stderr
    store.fails(4, *ADMIN, "revoke", "submitter", "jan@acme.nl")
    assert snapshot() == before


def test_an_unknown_portal_user_gets_exit_4(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(4, "--as", "nobody@acme.nl", "grant", "submitter", "jan@acme.nl")
    store.fails(4, "grant", "submitter", "jan@acme.nl", env={"INCIDENTCTL_AS": "nobody@acme.nl"})
    assert snapshot() == before


def test_a_portal_admin_grants_and_revokes_within_its_own_organisation(store: Cli) -> None:
    document = store.json(*ADMIN, "grant", "submitter", "jan@acme.nl", "admin@acme.nl")
    assert document["summary"]["granted"] == 2
    store.ok(*ADMIN, "revoke", "submitter", "admin@acme.nl", "--reason", "self")
    store.ok("grant", "manager", "piet@acme.nl", env={"INCIDENTCTL_AS": "admin@acme.nl"})
    assert holders(store) == ["jan@acme.nl"]
    assert holders(store, "manager") == ["piet@acme.nl"]
    assert {e["actor"] for e in role_events(store)} == {"admin@acme.nl"}


def test_a_portal_admin_is_held_to_the_quota_too(store: Cli, snapshot: Snapshot) -> None:
    add_contact(store, "kees@acme.nl")
    store.ok(*ADMIN, "grant", "submitter", "jan@acme.nl", "piet@acme.nl", "admin@acme.nl")
    before = snapshot()
    run = store(*ADMIN, "grant", "submitter", "kees@acme.nl", "--json")
    assert run.exit_code == 5
    assert snapshot() == before


def test_the_lowest_exit_code_among_refusals_wins(store: Cli, snapshot: Snapshot) -> None:
    add_contact(store, "kees@acme.nl")
    add_contact(store, "oud@acme.nl")
    store.ok("contacts", "set", "oud@acme.nl", "--inactive")
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "admin@acme.nl")
    before = snapshot()
    quota = "kees@acme.nl"  # Acme is full: 5
    other = "gina@globex.nl"  # another organisation for --as: as unknown, 3
    unknown = "nobody@acme.nl"  # 3
    malformed = "not-an-address"  # 2

    def code(*emails: str) -> int:
        return store(*ADMIN, "grant", "submitter", *emails, "--json").exit_code

    assert code(quota, other, unknown, malformed) == 2
    assert code(quota, other, unknown) == 3
    assert code(quota, other) == 3
    assert code(quota, unknown) == 3
    assert code(quota) == 5
    assert code(quota, other, unknown, "oud@acme.nl") == 2  # inactive
    assert snapshot() == before


# --- what a portal user sees ------------------------------------------------------------------


def test_contacts_list_with_as_shows_its_own_organisation(store: Cli) -> None:
    rows = store.json(*ADMIN, "contacts", "list")
    assert {row["org"] for row in rows} == {"1001"}
    assert len(rows) == 3
    assert store.json(*ADMIN, "contacts", "list", "--org", "1001") == rows
    assert [r["email"] for r in store.json(*OTHER_ADMIN, "contacts", "list")] == ["gina@globex.nl"]
    other = store.fails(3, *ADMIN, "contacts", "list", "--org", "2002")
    assert other.error_lines == ["Error: no organisation '2002'"]


def test_quota_with_as_shows_its_own_organisation(store: Cli) -> None:
    every = store.json(*ADMIN, "quota")
    assert [d["org"] for d in every] == ["1001"]
    assert store.json(*ADMIN, "quota", "1001")["org"] == "1001"
    assert store.json("--as", "jan@acme.nl", "quota", "1001")["maximum"] == 3
    for args in (("quota", "2002"), ("quota", "explain", "2002")):
        other = store.fails(3, *ADMIN, *args)
        assert other.error_lines == ["Error: no organisation '2002'"]
        unknown = store.fails(3, *ADMIN, *args[:-1], "9999")
        assert other.stderr == unknown.stderr.replace("9999", "2002")
    assert store.json(*ADMIN, "quota", "explain", "1001")["maximum"] == 3


# --- operator-only commands -------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["org", "add", "3003", "--name", "Initech", "--employees", "12"],
        ["org", "set", "1001", "--quota", "9", "--reason", "please"],
        ["org", "set", "1001", "--name", "Acme"],
        ["policy", "show"],
        ["policy", "load", "{policy}"],
        ["settings", "show"],
        ["settings", "set", "propagation_delay", "1m"],
        ["init"],
        ["init", "--demo"],
        ["doctor"],
        ["backup", "{backup}"],
    ],
    ids=lambda args: " ".join(a for a in args if not a.startswith("{")),
)
@pytest.mark.parametrize("who", ["admin@acme.nl", "jan@acme.nl"])
def test_operator_only_commands_refuse_as(
    store: Cli, snapshot: Snapshot, tmp_path: Path, args: list[str], who: str
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("bands = [{ from_employees = 0, maximum = 9 }]\n")
    backup = tmp_path / "copy.db"
    argv = [a.format(policy=policy, backup=backup) for a in args]
    before = snapshot()

    run = store.fails(4, "--as", who, *argv)

    assert "operator" in run.stderr
    assert snapshot() == before
    assert not backup.exists()
    store.fails(4, *argv, "--json", env={"INCIDENTCTL_AS": who})


def test_policy_load_refuses_as_before_reading_the_file(store: Cli, tmp_path: Path) -> None:
    run = store.fails(4, *ADMIN, "policy", "load", str(tmp_path / "missing.toml"))
    assert "operator" in run.stderr
    store.fails(4, *ADMIN, "policy", "load", "-", input="not toml at all [")
