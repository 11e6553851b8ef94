"""``apply FILE`` through the CLI (docs/apply.md): the plan, dry runs, --prune, the
quota of the final state (swaps), all or nothing, errors that name the file and line, --as,
stdin, and the second run that changes nothing.

The ``store`` fixture has organisation 1001 (maximum 3) with admin@acme.nl (portal admin),
jan@acme.nl and piet@acme.nl, and organisation 2002 (maximum 2) with gina@globex.nl (portal
admin); nobody holds a role.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Snapshot, events
from grant_support import add_contact, holders, operator_name, role_changes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SPEC_EXAMPLE = """\
[organisations."1001"]
submitter = ["jan@acme.nl", "piet@acme.nl"]
manager = ["els@acme.nl"]
"""


@pytest.fixture
def write(tmp_path: Path) -> Any:
    """write(text or bytes, name=...) -> the path of a new desired-state file, as a string."""

    def write_file(content: str | bytes, name: str = "incident-roles.toml") -> str:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return str(path)

    return write_file


@pytest.fixture
def acme(store: Cli) -> Cli:
    """``store`` plus els@, kees@ and dirk@acme.nl, and an inactive oud@acme.nl."""
    for email in ("els@acme.nl", "kees@acme.nl", "dirk@acme.nl", "oud@acme.nl"):
        add_contact(store, email)
    store.ok("contacts", "set", "oud@acme.nl", "--inactive")
    return store


def items(changes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(email, role) of the grant/revoke/not_in_file entries of ``apply --json``."""
    return [(change["email"], change["role"]) for change in changes]


def grant_events(db_path: Path) -> list[dict[str, Any]]:
    return [e for e in events(db_path) if e["action"] in ("grant", "revoke")]


# --- the plan -------------------------------------------------------------------------------


def test_the_spec_example_is_applied(acme: Cli, write: Any, db_path: Path) -> None:
    document = acme.json("apply", write(SPEC_EXAMPLE))

    assert document["applied"] is True
    assert items(document["grant"]) == [
        ("jan@acme.nl", "submitter"),
        ("piet@acme.nl", "submitter"),
        ("els@acme.nl", "manager"),
    ]
    assert {change["org"] for change in document["grant"]} == {"1001"}
    assert document["revoke"] == []
    assert document["unchanged"] == 0
    assert document["not_in_file"] == []
    assert holders(acme) == ["jan@acme.nl", "piet@acme.nl"]
    assert holders(acme, "manager") == ["els@acme.nl"]


def test_json_has_the_documented_keys(acme: Cli, write: Any) -> None:
    acme.ok("grant", "submitter", "kees@acme.nl", "jan@acme.nl")
    document = acme.json("apply", write(SPEC_EXAMPLE))

    assert {"applied", "grant", "revoke", "unchanged", "not_in_file"} <= set(document)
    assert isinstance(document["applied"], bool)
    assert isinstance(document["unchanged"], int)
    for key in ("grant", "revoke", "not_in_file"):
        assert isinstance(document[key], list)
    for change in document["grant"] + document["not_in_file"]:
        assert {"email", "role"} <= set(change)
    assert document["unchanged"] == 1  # jan
    assert items(document["not_in_file"]) == [("kees@acme.nl", "submitter")]


def test_human_output_shows_every_part_of_the_plan(acme: Cli, write: Any) -> None:
    acme.ok("grant", "submitter", "jan@acme.nl", "kees@acme.nl")
    acme.ok("grant", "manager", "dirk@acme.nl")
    path = write(SPEC_EXAMPLE)

    run = acme.ok("apply", path, "--dry-run")

    lines = run.stdout.splitlines()
    assert lines[0] == f"Plan for {path}:"

    def line_of(email: str, role: str) -> str:
        (found,) = [line for line in lines if email in line and role in line]
        return found

    assert "grant" in line_of("piet@acme.nl", "submitter (Incidentenbeheer)")
    assert "grant" in line_of("els@acme.nl", "manager (Incidentmanagement)")
    for email, role in (("kees@acme.nl", "submitter"), ("dirk@acme.nl", "manager")):
        kept = line_of(email, role)
        assert "keep" in kept
        assert "not in file" in kept
        assert "--prune" in kept
    assert any("1 already as in the file" in line for line in lines)
    assert "Dry run: would grant 2 and revoke 0" in run.stdout
    assert "nothing was written" in run.stdout
    assert run.stderr == ""

    pruned = acme.ok("apply", path, "--dry-run", "--prune")
    assert "revoke" in next(ln for ln in pruned.stdout.splitlines() if "kees@acme.nl" in ln)
    assert "not in file" not in pruned.stdout
    assert "would grant 2 and revoke 2" in pruned.stdout

    applied = acme.ok("apply", path, "--prune")
    assert "Applied: granted 2, revoked 2." in applied.stdout


# --- dry run --------------------------------------------------------------------------------


def test_dry_run_writes_nothing(acme: Cli, write: Any, snapshot: Snapshot) -> None:
    acme.ok("grant", "submitter", "kees@acme.nl")
    path = write(SPEC_EXAMPLE)
    before = snapshot()

    human = acme.ok("apply", path, "--dry-run", "--prune")
    document = acme.json("apply", path, "--dry-run", "--prune")

    assert snapshot() == before
    assert "Dry run" in human.stdout
    assert document["applied"] is False
    assert items(document["grant"]) == [
        ("jan@acme.nl", "submitter"),
        ("piet@acme.nl", "submitter"),
        ("els@acme.nl", "manager"),
    ]
    assert items(document["revoke"]) == [("kees@acme.nl", "submitter")]
    # the plan of the dry run is the plan of the real run
    real = acme.json("apply", path, "--prune")
    assert real["applied"] is True
    assert (real["grant"], real["revoke"]) == (document["grant"], document["revoke"])


def test_dry_run_still_reports_a_quota_refusal(acme: Cli, write: Any, snapshot: Snapshot) -> None:
    acme.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "kees@acme.nl")
    path = write(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl", "piet@acme.nl", "els@acme.nl"]\n'
    )
    before = snapshot()

    error = acme("apply", path, "--dry-run").failed(5)

    assert path in error
    assert "quota" in error
    assert snapshot() == before
    # with --prune the same dry run sees kees's seat freed first
    document = acme.json("apply", path, "--dry-run", "--prune")
    assert items(document["revoke"]) == [("kees@acme.nl", "submitter")]
    assert items(document["grant"]) == [("els@acme.nl", "submitter")]
    assert snapshot() == before


# --- prune ----------------------------------------------------------------------------------


def test_without_prune_extra_holders_are_listed_and_kept(
    acme: Cli, write: Any, db_path: Path
) -> None:
    acme.ok("grant", "submitter", "jan@acme.nl", "kees@acme.nl")
    path = write('[organisations."1001"]\nsubmitter = ["jan@acme.nl", "piet@acme.nl"]\n')

    document = acme.json("apply", path)

    assert items(document["grant"]) == [("piet@acme.nl", "submitter")]
    assert document["revoke"] == []
    assert document["unchanged"] == 1
    assert items(document["not_in_file"]) == [("kees@acme.nl", "submitter")]
    assert document["not_in_file"][0]["org"] == "1001"
    assert holders(acme) == ["jan@acme.nl", "kees@acme.nl", "piet@acme.nl"]
    assert [e["action"] for e in grant_events(db_path)][-1] == "grant"

    again = acme.ok("apply", path)
    assert "kees@acme.nl" in again.stdout
    assert "not in file" in again.stdout
    assert "Nothing to change" in again.stdout


def test_with_prune_extra_holders_are_revoked(acme: Cli, write: Any, db_path: Path) -> None:
    acme.ok("grant", "submitter", "jan@acme.nl", "kees@acme.nl")
    acme.ok("grant", "manager", "dirk@acme.nl")
    path = write(SPEC_EXAMPLE)

    document = acme.json("apply", path, "--prune")

    assert items(document["revoke"]) == [("kees@acme.nl", "submitter"), ("dirk@acme.nl", "manager")]
    assert document["not_in_file"] == []
    assert holders(acme) == ["jan@acme.nl", "piet@acme.nl"]
    assert holders(acme, "manager") == ["els@acme.nl"]
    revoked = [(c["email"], c["role"]) for c in role_changes(db_path) if c["action"] == "revoke"]
    assert sorted(revoked) == [("dirk@acme.nl", "manager"), ("kees@acme.nl", "submitter")]


def test_an_empty_list_with_prune_revokes_every_holder(acme: Cli, write: Any) -> None:
    acme.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    path = write('[organisations."1001"]\nsubmitter = []\n')

    kept = acme.json("apply", path)
    assert items(kept["not_in_file"]) == [
        ("jan@acme.nl", "submitter"),
        ("piet@acme.nl", "submitter"),
    ]
    assert holders(acme) == ["jan@acme.nl", "piet@acme.nl"]

    pruned = acme.json("apply", path, "--prune")
    assert len(pruned["revoke"]) == 2
    assert holders(acme) == []


# --- the quota of the final state -----------------------------------------------------------


SWAP = '[organisations."1001"]\nsubmitter = ["jan@acme.nl", "piet@acme.nl", "els@acme.nl"]\n'


def test_a_swap_in_a_full_quota_needs_prune(
    acme: Cli, write: Any, snapshot: Snapshot, db_path: Path
) -> None:
    acme.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "kees@acme.nl")
    assert acme.json("quota", "1001")["remaining"] == 0
    path = write(SWAP)
    before = snapshot()

    run = acme("apply", path)
    error = run.failed(5)
    assert path in error
    assert "quota" in error
    assert "--prune" in run.stderr  # the hint says how to swap
    assert snapshot() == before

    document = acme.json("apply", path, "--prune")

    assert document["applied"] is True
    assert items(document["revoke"]) == [("kees@acme.nl", "submitter")]
    assert items(document["grant"]) == [("els@acme.nl", "submitter")]
    assert document["unchanged"] == 2
    assert holders(acme) == ["els@acme.nl", "jan@acme.nl", "piet@acme.nl"]
    quota = acme.json("quota", "1001")
    assert (quota["used"], quota["maximum"]) == (3, 3)
    # one transaction: both changes made at the same moment, the seat freed before it is taken
    new = role_changes(db_path)[3:]
    assert [(c["email"], c["action"]) for c in new] == [
        ("kees@acme.nl", "revoke"),
        ("els@acme.nl", "grant"),
    ]
    assert len({c["requested_at"] for c in new}) == 1


def test_a_file_over_the_quota_exits_5_and_writes_nothing(
    acme: Cli, write: Any, snapshot: Snapshot
) -> None:
    path = write(
        '[organisations."1001"]\n'
        'submitter = ["jan@acme.nl", "piet@acme.nl", "els@acme.nl", "kees@acme.nl"]\n'
        'manager = ["dirk@acme.nl"]\n'
    )
    before = snapshot()

    for args in ((), ("--prune",), ("--json",)):
        run = acme("apply", path, *args)
        error = run.failed(5)
        assert error.startswith(f"Error: {path}, line 1: quota exceeded"), error
        assert "1001" in error
        assert run.stdout == ""
        assert snapshot() == before
    assert holders(acme) == []
    assert holders(acme, "manager") == []  # the valid manager part is not written either


def test_all_or_nothing_across_organisations(acme: Cli, write: Any, snapshot: Snapshot) -> None:
    """The swap in 1001 is fine, 2002 (maximum 2) is not: the revoke already made in the
    transaction is rolled back with everything else."""
    acme.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl", "kees@acme.nl")
    for email in ("hans@globex.nl", "ina@globex.nl"):
        add_contact(acme, email, "2002")
    path = write(
        SWAP + '\n[organisations."2002"]\n'
        'submitter = ["gina@globex.nl", "hans@globex.nl", "ina@globex.nl"]\n'
    )
    before = snapshot()

    error = acme("apply", path, "--prune").failed(5)

    assert error.startswith(f"Error: {path}, line 4: "), error  # the table of 2002
    assert "2002" in error
    assert snapshot() == before
    assert holders(acme) == ["jan@acme.nl", "kees@acme.nl", "piet@acme.nl"]


def test_experts_in_the_file_do_not_count(store: Cli, write: Any) -> None:
    add_contact(store, "hans@globex.nl", "2002")
    for email in ("expert1@globex.nl", "expert2@globex.nl"):
        add_contact(store, email, "2002", "--expert-until", "2099-12-31")
    path = write(
        '[organisations."2002"]\n'
        'submitter = ["gina@globex.nl", "hans@globex.nl", '
        '"expert1@globex.nl", "expert2@globex.nl"]\n'
    )

    document = store.json("apply", path)

    assert len(document["grant"]) == 4
    quota = store.json("quota", "2002")
    assert (quota["used"], quota["maximum"], quota["experts"]) == (2, 2, 2)


def test_manager_has_no_quota(acme: Cli, write: Any) -> None:
    everyone = ", ".join(f'"{n}@acme.nl"' for n in ("admin", "jan", "piet", "els", "kees", "dirk"))
    document = acme.json("apply", write(f'[organisations."1001"]\nmanager = [{everyone}]\n'))
    assert len(document["grant"]) == 6


# --- errors name the file and the line ------------------------------------------------------


ERRORS = [
    pytest.param(
        '[organisations."1001"]\nsubmitter = [\n  "jan@acme.nl",\n  "nobody@acme.nl",\n]\n',
        3,
        4,
        "nobody@acme.nl: no such contact",
        id="unknown-contact",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\nmanager = ["gina@globex.nl"]\n',
        2,
        3,
        "gina@globex.nl: belongs to organisation 2002, not 1001",
        id="contact-of-another-organisation",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n\nsubmiter = ["piet@acme.nl"]\n',
        2,
        4,
        "unknown role 'submiter'",
        id="unknown-role",
    ),
    pytest.param(
        '\n[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n\n[organisations."9999"]\n'
        'submitter = ["jan@acme.nl"]\n',
        3,
        5,
        "no organisation '9999'",
        id="unknown-organisation",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = [\n  "jan@acme.nl",\n  "jan@@acme.nl",\n]\n',
        2,
        4,
        "not a valid e-mail address: 'jan@@acme.nl'",
        id="invalid-email",
    ),
    pytest.param(
        '[organisations."1001"]\n# left in March\nsubmitter = ["jan@acme.nl", "oud@acme.nl"]\n',
        2,
        3,
        "oud@acme.nl: the contact is inactive",
        id="inactive-contact",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = "jan@acme.nl"\n',
        2,
        2,
        "must be a list of e-mail addresses",
        id="not-a-list",
    ),
    pytest.param(
        'version = 1\n\n[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n\n[owners]\nx = 1\n',
        2,
        1,
        "unknown top-level key 'version'",
        id="unknown-top-level-key",
    ),
    pytest.param(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n\n[owners]\nx = 1\n',
        2,
        4,
        "unknown top-level key 'owners'",
        id="unknown-top-level-table",
    ),
]


@pytest.mark.parametrize(("content", "code", "line", "message"), ERRORS)
def test_an_error_names_the_file_and_line_and_writes_nothing(
    acme: Cli, write: Any, snapshot: Snapshot, content: str, code: int, line: int, message: str
) -> None:
    path = write(content)
    before = snapshot()

    for args in ((), ("--dry-run",), ("--prune", "--json")):
        run = acme("apply", path, *args)
        error = run.failed(code)
        assert error.startswith(f"Error: {path}, line {line}: "), error
        assert message in error
        assert "nothing was written" in run.stderr
        assert run.stdout == ""
    assert snapshot() == before


def test_a_duplicate_entry_names_both_lines(acme: Cli, write: Any, snapshot: Snapshot) -> None:
    path = write(
        '[organisations."1001"]\n'
        "submitter = [\n"
        '  "jan@acme.nl",\n'
        '  "piet@acme.nl",\n'
        '  "Jan@Acme.nl",  # the same contact: e-mail addresses ignore case\n'
        "]\n"
        'manager = ["jan@acme.nl"]  # another role: not a duplicate\n'
    )
    before = snapshot()

    error = acme("apply", path).failed(2)

    assert error.startswith(f"Error: {path}, line 5: ")
    assert "Jan@Acme.nl is listed twice (first on line 3)" in error
    assert snapshot() == before


def test_a_role_listed_twice_under_two_names_names_both_lines(acme: Cli, write: Any) -> None:
    path = write(
        '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\nIncidentenbeheer = ["piet@acme.nl"]\n'
    )
    error = acme("apply", path).failed(2)
    assert error.startswith(f"Error: {path}, line 3: ")
    assert "role submitter is listed twice (first on line 2)" in error


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        pytest.param('[organisations."1001"]\nsubmitter = [jan@acme.nl]\n', 2, "14", id="bare"),
        pytest.param(
            '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\nsubmitter = ["piet@acme.nl"]\n',
            3,
            "",
            id="key-twice",
        ),
        pytest.param(
            '[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n[organisations."1001"]\n',
            3,
            "",
            id="table-twice",
        ),
        pytest.param(
            '[organisations."1001"]\nsubmitter = ["jan@acme.nl",\n  "piet@acme.nl"\n',
            3,
            None,
            id="unclosed-at-end",
        ),
    ],
)
def test_bad_toml_names_the_line_and_column(
    acme: Cli, write: Any, snapshot: Snapshot, content: str, line: int, column: str | None
) -> None:
    path = write(content)
    before = snapshot()

    error = acme("apply", path).failed(2)

    assert error.startswith(f"Error: {path}, line {line}: not valid TOML: "), error
    if column is None:
        assert "end of the file" in error
    else:
        assert f"(column {column}" in error
    assert snapshot() == before


def test_a_file_that_is_not_utf8_names_the_line(acme: Cli, write: Any, snapshot: Snapshot) -> None:
    path = write(b'[organisations."1001"]\n# beheer\nsubmitter = ["jos\xe9@acme.nl"]\n')
    before = snapshot()

    run = acme("apply", path)
    error = run.failed(2)

    assert error.startswith(f"Error: {path}, line 3: not UTF-8")
    assert "UTF-8" in run.stderr.splitlines()[1]
    assert snapshot() == before


def test_a_byte_order_mark_is_accepted(acme: Cli, write: Any) -> None:
    path = write(b"\xef\xbb\xbf" + SPEC_EXAMPLE.encode())
    assert len(acme.json("apply", path)["grant"]) == 3


def test_a_missing_file_is_exit_2(store: Cli, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.toml")
    assert missing in store("apply", missing).failed(2)


def test_the_most_fundamental_problem_is_reported_first(acme: Cli, write: Any) -> None:
    """An unknown contact (exit 3) on line 2, a bad address (exit 2) on line 3: input errors
    come first, and the hint counts the others."""
    path = write('[organisations."1001"]\nsubmitter = ["nobody@acme.nl"]\nmanager = ["x@"]\n')
    run = acme("apply", path)
    error = run.failed(2)
    assert error.startswith(f"Error: {path}, line 3: ")
    assert "1 more problem in the file" in run.stderr


# --- --as: a portal admin applies for its own organisation ----------------------------------


def test_a_portal_admin_applies_its_own_organisation(acme: Cli, write: Any, db_path: Path) -> None:
    document = acme.json("--as", "admin@acme.nl", "apply", write(SPEC_EXAMPLE))
    assert len(document["grant"]) == 3
    assert {e["actor"] for e in grant_events(db_path)} == {"admin@acme.nl"}


def test_a_portal_admin_may_not_apply_another_organisation(
    acme: Cli, write: Any, snapshot: Snapshot
) -> None:
    path = write(
        SPEC_EXAMPLE + '\n# Globex\n[organisations."2002"]\nmanager = ["gina@globex.nl"]\n'
    )
    before = snapshot()

    # Another organisation is, to a portal user, one that does not exist (3), in the same words.
    error = acme("--as", "admin@acme.nl", "apply", path, "--dry-run").failed(3)
    assert error == f"Error: {path}, line 6: no organisation '2002' (at organisations.\"2002\")"
    assert acme("--as", "admin@acme.nl", "apply", path).exit_code == 3
    assert snapshot() == before
    unknown = write(SPEC_EXAMPLE + '\n# Globex\n[organisations."9999"]\nmanager = []\n', "u.toml")
    error = acme("--as", "admin@acme.nl", "apply", unknown).failed(3)
    assert error == f"Error: {unknown}, line 6: no organisation '9999' (at organisations.\"9999\")"

    # the admin of 2002 may not apply 1001 (the first table) either
    error = acme("--as", "gina@globex.nl", "apply", path).failed(3)
    assert error == f"Error: {path}, line 1: no organisation '1001' (at organisations.\"1001\")"
    assert snapshot() == before


def test_a_contact_of_another_organisation_in_the_own_table_is_unknown(
    acme: Cli, write: Any, snapshot: Snapshot
) -> None:
    before = snapshot()
    for email in ("gina@globex.nl", "nobody@globex.nl"):
        path = write(f'[organisations."1001"]\nsubmitter = ["jan@acme.nl", "{email}"]\n')
        error = acme("--as", "admin@acme.nl", "apply", path).failed(3)
        where = '(at organisations."1001".submitter[2])'
        assert (
            error == f"Error: {path}, line 2: {email}: no such contact in your organisation {where}"
        )
    assert snapshot() == before
    # The operator keeps the precise answer.
    path = write('[organisations."1001"]\nsubmitter = ["gina@globex.nl"]\n')
    error = acme("apply", path).failed(2)
    where = '(at organisations."1001".submitter[1])'
    assert (
        error
        == f"Error: {path}, line 2: gina@globex.nl: belongs to organisation 2002, not 1001 {where}"
    )


@pytest.mark.parametrize("email", ["jan@acme.nl", "nobody@acme.nl"])
def test_someone_who_is_not_a_portal_admin_may_not_apply(
    acme: Cli, write: Any, snapshot: Snapshot, email: str
) -> None:
    before = snapshot()
    acme("--as", email, "apply", write(SPEC_EXAMPLE)).failed(4)
    assert snapshot() == before


# --- stdin ----------------------------------------------------------------------------------


def test_the_file_can_come_from_stdin(acme: Cli, db_path: Path) -> None:
    document = acme.json("apply", "-", input=SPEC_EXAMPLE)
    assert len(document["grant"]) == 3
    assert {e["reason"] for e in grant_events(db_path)} == {"apply <stdin>"}

    again = acme.ok("apply", "-", input=SPEC_EXAMPLE.encode())
    assert "Plan for <stdin>:" in again.stdout
    assert "Nothing to change" in again.stdout


def test_errors_in_stdin_name_the_line(acme: Cli) -> None:
    text = '[organisations."1001"]\nsubmitter = ["x@acme.nl"]\n'
    error = acme("apply", "-", input=text).failed(3)
    assert error.startswith("Error: <stdin>, line 2: x@acme.nl: no such contact")


# --- what the file does not mention is left alone -------------------------------------------


def test_an_organisation_missing_from_the_file_is_left_alone(store: Cli, write: Any) -> None:
    store.ok("grant", "submitter", "gina@globex.nl")
    store.ok("grant", "manager", "gina@globex.nl")
    path = write('[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\nmanager = []\n')

    document = store.json("apply", path, "--prune")

    assert document["revoke"] == []
    assert document["not_in_file"] == []
    assert sorted(holders(store)) == ["gina@globex.nl", "jan@acme.nl"]
    assert holders(store, "manager") == ["gina@globex.nl"]


def test_a_role_missing_from_an_organisation_is_left_alone(store: Cli, write: Any) -> None:
    store.ok("grant", "manager", "jan@acme.nl", "piet@acme.nl")
    store.ok("grant", "submitter", "piet@acme.nl")
    path = write('[organisations."1001"]\nsubmitter = ["jan@acme.nl"]\n')

    document = store.json("apply", path, "--prune")

    assert items(document["revoke"]) == [("piet@acme.nl", "submitter")]
    assert holders(store, "manager") == ["jan@acme.nl", "piet@acme.nl"]


def test_an_empty_file_changes_nothing(store: Cli, write: Any, snapshot: Snapshot) -> None:
    store.ok("grant", "submitter", "jan@acme.nl")
    before = snapshot()
    run = store.ok("apply", write("# nobody yet\n"), "--prune")
    assert "Nothing to change" in run.stdout
    assert snapshot() == before


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("Incidentenbeheer", "submitter"),
        ("incidentbeheer", "submitter"),
        ("SUBMITTER", "submitter"),
        ("Incidentmanagement", "manager"),
        ("INCIDENTENMANAGEMENT", "manager"),
        ('"Incidentenmanagement"', "manager"),
    ],
)
def test_dutch_role_names_are_keys_too(store: Cli, write: Any, key: str, role: str) -> None:
    document = store.json("apply", write(f'[organisations."1001"]\n{key} = ["jan@acme.nl"]\n'))
    assert items(document["grant"]) == [("jan@acme.nl", role)]
    assert holders(store, role) == ["jan@acme.nl"]


def test_organisation_ids_may_be_bare_or_quoted_keys(store: Cli, write: Any) -> None:
    path = write(
        "[organisations.1001]\nsubmitter = ['jan@acme.nl']\n\n"
        "[organisations . '2002']\nmanager = [ \"gina@globex.nl\" ]\n"
    )
    document = store.json("apply", path)
    assert items(document["grant"]) == [("jan@acme.nl", "submitter"), ("gina@globex.nl", "manager")]


def test_addresses_match_in_any_case(store: Cli, write: Any) -> None:
    store.ok("grant", "submitter", "jan@acme.nl")
    document = store.json(
        "apply", write('[organisations."1001"]\nsubmitter = ["JAN@acme.nl"]\n'), "--prune"
    )
    assert (document["grant"], document["revoke"], document["unchanged"]) == ([], [], 1)


# --- the second run, and the audit log ------------------------------------------------------


def test_apply_twice_the_second_run_changes_nothing_and_says_so(
    acme: Cli, write: Any, db_path: Path, snapshot: Snapshot
) -> None:
    acme.ok("grant", "submitter", "kees@acme.nl")
    path = write(SPEC_EXAMPLE)
    first = acme.ok("apply", path, "--prune")
    assert "Applied: granted 3, revoked 1." in first.stdout
    changes, logged, before = len(role_changes(db_path)), len(events(db_path)), snapshot()

    second = acme.ok("apply", path, "--prune")
    assert "Nothing to change" in second.stdout
    assert "3 already as in the file" in second.stdout
    document = acme.json("apply", path, "--prune")
    assert document["grant"] == []
    assert document["revoke"] == []
    assert document["not_in_file"] == []
    assert document["unchanged"] == 3

    assert len(role_changes(db_path)) == changes
    assert len(events(db_path)) == logged
    assert snapshot() == before


def test_the_audit_log_has_one_event_per_change(acme: Cli, write: Any, db_path: Path) -> None:
    acme.ok("grant", "submitter", "kees@acme.nl")
    path = write(SPEC_EXAMPLE, name="roles-2024.toml")
    before = len(events(db_path))

    acme.ok("apply", path, "--prune")

    new = events(db_path)[before:]
    assert sorted((e["action"], e["contact"], e["role"]) for e in new) == [
        ("grant", "els@acme.nl", "manager"),
        ("grant", "jan@acme.nl", "submitter"),
        ("grant", "piet@acme.nl", "submitter"),
        ("revoke", "kees@acme.nl", "submitter"),
    ]
    assert {e["org_id"] for e in new} == {"1001"}
    assert {e["actor"] for e in new} == {operator_name()}
    for event in new:
        assert "roles-2024.toml" in event["reason"]
    logged = [e for e in acme.json("log") if e["action"] in ("grant", "revoke")]
    assert all("roles-2024.toml" in e["reason"] for e in logged[1:])


# --- line numbers in a file laid out by people ----------------------------------------------


COMMENTED = """\
# Incident contacts of our customers; reviewed by the service desk every quarter.

[organisations."1001"]   # Acme B.V.
submitter = [
    "jan@acme.nl",        # on call, "week 1"
    # "oud@acme.nl",      # left in March

    'piet@acme.nl',
    "{third}",   # new
]
manager = [ "els@acme.nl",
  "{fourth}" ]
"""


def test_multiline_arrays_with_comments_get_the_right_lines(acme: Cli, write: Any) -> None:
    unknown_submitter = write(COMMENTED.format(third="ghost@acme.nl", fourth="kees@acme.nl"))
    error = acme("apply", unknown_submitter).failed(3)
    assert error.startswith(f"Error: {unknown_submitter}, line 9: ghost@acme.nl: no such contact")

    unknown_manager = write(COMMENTED.format(third="dirk@acme.nl", fourth="ghost@acme.nl"))
    error = acme("apply", unknown_manager).failed(3)
    assert error.startswith(f"Error: {unknown_manager}, line 12: ghost@acme.nl: no such contact")

    fine = write(COMMENTED.format(third="dirk@acme.nl", fourth="kees@acme.nl"))
    document = acme.json("apply", fine)
    assert [change["email"] for change in document["grant"]] == [
        "jan@acme.nl",
        "piet@acme.nl",
        "dirk@acme.nl",
        "els@acme.nl",
        "kees@acme.nl",
    ]


_KNOWN = ("jan@acme.nl", "piet@acme.nl", "admin@acme.nl")
_LAYOUT = st.tuples(
    st.booleans(),  # a line break before the entry
    st.booleans(),  # a comment line (with quotes in it) before the entry
    st.booleans(),  # a comment after the entry
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    known=st.permutations(_KNOWN).flatmap(
        lambda p: st.integers(0, len(p)).map(lambda n: list(p[:n]))
    ),
    position=st.integers(0, 3),
    layouts=st.lists(_LAYOUT, min_size=4, max_size=4),
    blank_lines=st.integers(0, 3),
)
def test_the_line_of_an_unknown_contact_is_right_in_any_layout(
    store: Cli,
    tmp_path: Path,
    known: list[str],
    position: int,
    layouts: list[tuple[bool, bool, bool]],
    blank_lines: int,
) -> None:
    """Nothing is written (every file is refused), so examples may share the store."""
    emails = list(known)
    emails.insert(min(position, len(emails)), "ghost@acme.nl")
    text = "\n" * blank_lines + '[organisations."1001"]  # "1001"\nsubmitter = ['
    expected = 0
    for email, (newline, comment_before, comment_after) in zip(emails, layouts, strict=False):
        if comment_before:
            text += '\n  # "someone@acme.nl" = [ left\n'
        elif newline:
            text += "\n"
        text += f' "{email}",'
        if email == "ghost@acme.nl":
            expected = text.count("\n") + 1
        if comment_after:
            text += '  # "x@acme.nl"\n'
    text += "]\n"
    path = tmp_path / "layout.toml"
    path.write_text(text, encoding="utf-8")

    error = store("apply", str(path)).failed(3)

    assert error.startswith(f"Error: {path}, line {expected}: ghost@acme.nl: no such contact"), text


# --- the same refusals as grant ---------------------------------------------------------------

SAME_AS_GRANT = [
    pytest.param((), "nobody@acme.nl", id="unknown-contact"),
    pytest.param((), "oud@acme.nl", id="inactive-contact"),
    pytest.param(("--as", "admin@acme.nl"), "gina@globex.nl", id="portal-user-other-org"),
    pytest.param(("--as", "admin@acme.nl"), "nobody@acme.nl", id="portal-user-unknown"),
]


@pytest.mark.parametrize(("actor", "email"), SAME_AS_GRANT)
@pytest.mark.parametrize("role", ["submitter", "manager"])
def test_apply_refuses_a_contact_in_the_words_and_code_of_grant(
    acme: Cli, write: Any, snapshot: Snapshot, actor: tuple[str, ...], email: str, role: str
) -> None:
    """apply checks its contacts with the plan of grant (docs/apply.md): the refusal of an entry
    is the refusal of the row grant prints for the same contact, with the same exit code."""
    before = snapshot()
    granted = acme(*actor, "grant", role, email, "--json")
    (row,) = granted.json()["results"]  # type: ignore[index]
    assert row["status"] == "refused"
    reason = row["reason"].removesuffix(" (argument 1)")

    path = write(f'[organisations."1001"]\n{role} = ["jan@acme.nl", "{email}"]\n')
    error = acme(*actor, "apply", path).failed(granted.exit_code)

    where = f'(at organisations."1001".{role}[2])'
    assert error == f"Error: {path}, line 2: {email}: {reason} {where}"
    assert snapshot() == before
