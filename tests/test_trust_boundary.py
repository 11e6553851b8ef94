"""The portal user's trust boundary (docs/concepts.md, "Who may do what"): the clock is the
installation's, other organisations do not exist, operator-internal text stays internal, a
contact that is not a portal admin sees itself and its portal admins, the last portal admin
stays, and the operator can move a contact. Run on the demo store through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from conftest import Cli, Snapshot, events

DIRK = "dirk@vandijk.nl"  # 1001, no role
ANOUK = "anouk@vandijk.nl"  # 1001's only portal admin, submitter and manager
BRAM = "bram@vandijk.nl"  # 1001, submitter
ELS = "els@delinde.nl"  # 1002's portal admin, manager
FATIMA = "fatima@delinde.nl"  # 1002, submitter
KOEN = "koen@snel.nl"  # 1004: an organisation without a portal admin


def as_(user: str, *args: str) -> tuple[str, ...]:
    return ("--as", user, *args)


# --- the clock belongs to the installation ------------------------------------------------

# Each attack of the issue, as a portal user would have typed it.
CLOCK_ATTACKS = {
    "submit before the enforcement date": (
        "--now",
        "2023-12-31T12:00",
        *as_(DIRK, "incidents", "submit", "--subject", "x"),
    ),
    "log in before a revoke": ("--now", "-2h", *as_(BRAM, "login", BRAM)),
    "grant on a day a lapsed expert counted": (
        "--now",
        "-30d",
        *as_(ANOUK, "grant", "submitter", DIRK),
    ),
    "revoke in the far future": ("--now", "+18250d", *as_(ANOUK, "revoke", "submitter", BRAM)),
    "skip the delay": ("--now", "-1d", *as_(ANOUK, "grant", "manager", DIRK)),
    "forge an audit time": (
        "--now",
        "2020-01-01T00:00",
        *as_(ANOUK, "contacts", "set", DIRK, "--name", "D"),
    ),
    "read at another time": ("--now", "-1d", *as_(DIRK, "check", DIRK)),
}


@pytest.mark.parametrize("attack", CLOCK_ATTACKS.values(), ids=CLOCK_ATTACKS.keys())
def test_a_portal_user_cannot_choose_the_time(
    demo: Cli, snapshot: Snapshot, attack: tuple[str, ...]
) -> None:
    before = snapshot()
    error = demo.fails(4, *attack).failed(4)
    assert "--now" in error
    assert "--as" in error
    assert "clock set" in demo(*attack).stderr.splitlines()[1]
    assert snapshot() == before


def test_the_environment_cannot_choose_the_time_either(demo: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    env = {"INCIDENTCTL_AS": DIRK, "INCIDENTCTL_NOW": "2023-12-31T12:00"}
    demo.fails(4, "incidents", "submit", "--subject", "x", env=env)
    demo.fails(4, "--as", DIRK, "login", DIRK, env={"INCIDENTCTL_NOW": "-2h"})
    demo.fails(4, "--now", "-2h", "login", DIRK, env={"INCIDENTCTL_AS": DIRK})
    assert snapshot() == before


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--now", ""), {}),
        (("--now", "  "), {}),
        ((), {"INCIDENTCTL_NOW": ""}),
        (as_(DIRK, "--now", ""), {}),
        ((), {"INCIDENTCTL_NOW": "", "INCIDENTCTL_AS": DIRK}),
    ],
    ids=["option", "blank option", "variable", "option with --as", "variable with --as"],
)
def test_an_empty_now_is_exit_2_like_an_empty_db_or_as(
    demo: Cli, snapshot: Snapshot, args: tuple[str, ...], env: dict[str, str]
) -> None:
    """An unset variable in a script must not silently mean the system clock; and an empty
    value gets the answer for an empty value, also with --as (not the --as refusal)."""
    before = snapshot()
    run = demo.fails(2, *args, "incidents", "submit", "--subject", "x", env=env)
    assert run.stderr.splitlines() == [
        "Error: --now (or INCIDENTCTL_NOW) is empty",
        "Hint: give a TIME (2024-01-01T10:00, now, +10m), or leave --now out for the current time",
    ]
    assert snapshot() == before
    assert demo("--now", "", "--db", "", "quota").error_lines == [
        "Error: --db (or INCIDENTCTL_DB) is empty"
    ]


def test_portal_users_act_at_the_simulated_clock(demo: Cli) -> None:
    demo.ok("clock", "set", "2024-03-04T09:00")
    demo.ok(*as_(DIRK, "login", DIRK))
    logins = [e for e in events_of(demo, "login") if e["contact"] == DIRK]
    assert logins[-1]["at"] == "2024-03-04T08:00:00+00:00"
    # check --at only reads: it stays open to portal users.
    document = demo.json(*as_(DIRK, "check", DIRK, "--at", "2023-12-31T12:00"))
    assert document["at"] == "2023-12-31T11:00:00+00:00"
    assert document["submit"]["status"] == "allowed"


def events_of(cli: Cli, action: str) -> list[dict[str, Any]]:
    return [e for e in cli.json("log") if e["action"] == action]


# --- portal admins, named ------------------------------------------------------------------


def test_org_show_names_the_portal_admins_to_everyone_of_the_organisation(demo: Cli) -> None:
    for viewer in ((), as_(DIRK), as_(ANOUK)):
        document = demo.json(*viewer, "org", "show", "1001")
        assert document["admins"] == [{"email": ANOUK, "name": "Anouk van Dijk"}]
        assert document["portal_admins"] == 1
        text = demo.ok(*viewer, "org", "show", "1001").stdout
        assert "Portal admins:     Anouk van Dijk <anouk@vandijk.nl>" in text
    assert demo.json("org", "show", "1004")["admins"] == []
    assert "none (ask the vendor)" in demo.ok("org", "show", "1004").stdout


def test_refusals_that_send_someone_to_a_portal_admin_name_one(demo: Cli) -> None:
    ask = "Anouk van Dijk <anouk@vandijk.nl>"
    check = demo(*as_(DIRK, "check", DIRK))
    assert check.exit_code == 4
    role = "submitter (Incidentenbeheer)"
    assert f"What to do:         ask a portal admin to grant the {role} role: {ask}" in check.stdout
    assert demo(*as_(DIRK, "check", DIRK, "--json")).json()["advice"].endswith(ask)
    submit = demo.fails(4, *as_(DIRK, "incidents", "submit", "--subject", "x"))
    assert submit.stderr.splitlines()[1].endswith(ask)
    listing = demo.fails(4, *as_(DIRK, "incidents", "list"))
    assert listing.stderr.splitlines()[1].endswith(ask)
    grant = demo.fails(4, *as_(DIRK, "grant", "submitter", DIRK))
    assert grant.stderr.splitlines()[1] == f"Hint: ask a portal admin: {ask}"


HANNA = "hanna@delinde.nl"  # 1002, inactive
ACTIVATE = f"incidentctl contacts set {HANNA} --active"


def test_an_inactive_contact_is_told_the_command_and_whom_to_ask(demo: Cli, tmp_path: Any) -> None:
    """Each refusal for an inactive contact names the command with the real address, and a
    portal user who may not run it is sent to the portal admins who may, by name."""
    hints = {
        "--as": demo.fails(4, *as_(HANNA, "quota")).stderr.splitlines(),
        "login": demo.fails(4, "login", HANNA).stderr.splitlines(),
    }
    path = tmp_path / "roles.toml"
    path.write_text(f'[organisations."1002"]\nsubmitter = ["{HANNA}"]\n')
    hints["apply"] = demo.fails(2, "apply", str(path)).stderr.splitlines()
    hints["apply --as"] = demo.fails(2, *as_(ELS, "apply", str(path))).stderr.splitlines()
    assert hints["--as"] == [
        f"Error: --as {HANNA}: the contact is inactive and cannot use the portal",
        f"Hint: ask a portal admin to activate it ({ACTIVATE}): Els Visser <{ELS}>",
    ]
    assert hints["login"] == [
        f"Error: {HANNA} is inactive and cannot log in",
        f"Hint: activate it first: {ACTIVATE}",
    ]
    for command in ("apply", "apply --as"):
        assert hints[command][1] == f"Hint: activate it first: {ACTIVATE}; nothing was written"
    # Without a portal admin, the vendor.
    demo.ok("contacts", "set", ELS, "--no-portal-admin")
    assert demo.fails(4, *as_(HANNA, "quota")).stderr.splitlines()[1] == (
        f"Hint: your organisation has no active portal admin: ask the vendor to activate it "
        f"({ACTIVATE})"
    )


def test_without_a_portal_admin_the_hint_is_the_vendor(demo: Cli) -> None:
    advice = demo(*as_(KOEN, "check", KOEN, "--json")).json()["advice"]
    assert advice.startswith("your organisation has no active portal admin: ask the vendor")
    hint = demo.fails(4, *as_(KOEN, "incidents", "submit", "--subject", "x")).stderr
    assert "ask the vendor" in hint


def test_a_manager_who_must_log_in_again_is_told_so_by_incidents_list(demo: Cli) -> None:
    demo.ok("clock", "set", "+1h")
    demo.ok("grant", "manager", DIRK)
    demo.ok("clock", "advance", "11m")
    error = demo.fails(4, *as_(DIRK, "incidents", "list"))
    assert "the portal session started before that" in error.stderr
    assert "no submitter" not in error.stderr.splitlines()[0]
    check = demo(*as_(DIRK, "check", DIRK, "--json")).json()
    assert check["view_all"]["status"] == "relogin"
    assert check["view_all"]["reason"] in error.stderr
    demo.ok(*as_(DIRK, "login", DIRK))
    assert demo.json(*as_(DIRK, "incidents", "list")) == []


# --- a contact that is not a portal admin ------------------------------------------------


def test_a_contact_that_is_not_a_portal_admin_sees_itself_and_its_portal_admins(
    demo: Cli,
) -> None:
    assert [r["email"] for r in demo.json(*as_(DIRK, "contacts", "list"))] == [DIRK]
    assert demo.json(*as_(DIRK, "contacts", "show", DIRK))["restricted"] is False
    admin = demo.json(*as_(DIRK, "contacts", "show", ANOUK))
    assert admin["restricted"] is True
    assert (admin["email"], admin["name"], admin["portal_admin"]) == (ANOUK, "Anouk van Dijk", True)
    assert admin["roles"] is None
    assert admin["role_changes"] is None
    assert admin["expert"] is None
    shown = demo.ok(*as_(DIRK, "contacts", "show", ANOUK)).stdout
    assert "Anouk van Dijk" in shown
    assert "Incidentenbeheer" not in shown
    for command in (("contacts", "show", BRAM), ("check", BRAM)):
        error = demo.fails(4, *as_(DIRK, *command)).failed(4)
        assert "may" in error
        assert BRAM in error
    # A portal admin sees the whole organisation.
    assert len(demo.json(*as_(ANOUK, "contacts", "list"))) == 4
    assert demo.json(*as_(ANOUK, "contacts", "show", BRAM))["roles"] == ["submitter"]


def test_pending_shows_a_contact_that_is_not_a_portal_admin_only_its_own(demo: Cli) -> None:
    demo.ok("grant", "submitter", BRAM, DIRK, "--dry-run")
    demo.ok("grant", "manager", BRAM, DIRK)
    assert {r["email"] for r in demo.json(*as_(ANOUK, "pending"))} == {BRAM, DIRK}
    assert {r["email"] for r in demo.json(*as_(DIRK, "pending"))} == {DIRK}


# --- operator-internal text ---------------------------------------------------------------


def test_an_overrides_reason_is_the_operators_own(demo: Cli) -> None:
    demo.ok("org", "set", "1001", "--quota", "7", "--reason", "contract 2024-17 with Jan")
    for viewer in (as_(ANOUK), as_(DIRK)):
        shown = demo.json(*viewer, "org", "show", "1001")
        assert shown["quota_override"] == 7
        assert shown["quota_override_reason"] == "set by the vendor"
        explained = demo.json(*viewer, "quota", "explain", "1001")
        assert explained["override"] == {"maximum": 7, "reason": "set by the vendor"}
        for command in (("org", "show", "1001"), ("quota", "explain", "1001")):
            assert "contract 2024-17" not in demo.ok(*viewer, *command).stdout
    log = demo.ok(*as_(ANOUK, "log", "--json")).stdout
    assert "contract 2024-17" not in log
    assert "set by the vendor" in log
    assert demo.json("org", "show", "1001")["quota_override_reason"] == "contract 2024-17 with Jan"


def test_the_operators_login_is_not_shown_to_portal_users(demo: Cli) -> None:
    operator_actors = {e["actor"] for e in demo.json("log") if e["actor"].startswith("operator")}
    assert operator_actors, "the demo data was made by the operator"
    seen = {e["actor"] for e in demo.json(*as_(ANOUK, "log"))}
    assert "operator" in seen
    assert not {a for a in seen if a.startswith("operator:")}
    changes = demo.json(*as_(ANOUK, "contacts", "show", BRAM))["role_changes"]
    assert {c["actor"] for c in changes} == {"operator"}
    assert "operator:" not in demo.ok(*as_(ANOUK, "log")).stdout


# --- the last portal admin ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change", [("--no-portal-admin",), ("--inactive",)], ids=["unadmin", "deactivate"]
)
def test_the_last_portal_admin_cannot_leave_under_as(
    demo: Cli, snapshot: Snapshot, change: tuple[str, ...]
) -> None:
    before = snapshot()
    error = demo.fails(2, *as_(ANOUK, "contacts", "set", ANOUK, *change))
    assert "last active portal admin" in error.stderr
    assert "operator" in error.stderr.splitlines()[1]
    assert snapshot() == before
    # With a second portal admin it may; and the operator always may.
    demo.ok(*as_(ANOUK, "contacts", "set", DIRK, "--portal-admin"))
    demo.ok(*as_(ANOUK, "contacts", "set", ANOUK, *change))
    demo.ok("contacts", "set", DIRK, *change)


def test_the_last_portal_admin_cannot_leave_by_import_either(
    demo: Cli, snapshot: Snapshot, tmp_path: Any
) -> None:
    path = tmp_path / "me.csv"
    path.write_text(f"email,org,name,portal_admin\n{ANOUK},1001,Anouk van Dijk,false\n")
    before = snapshot()
    demo.fails(2, *as_(ANOUK, "contacts", "import", str(path)))
    assert snapshot() == before


LAST_ADMIN = [
    "Error: organisation 1001 would be left without an active portal admin: under --as, the "
    "last active portal admin cannot remove its own admin role or deactivate itself",
    "Hint: make another contact portal admin first, or ask the operator (the vendor); nothing "
    "was written",
]


@pytest.mark.parametrize(
    "rows",
    [
        [(ANOUK, "false", "true"), (BRAM, "false", "true")],
        [(BRAM, "false", "true"), (ANOUK, "false", "true")],
        [(ANOUK, "true", "false"), (BRAM, "true", "false")],
        [(BRAM, "false", "true"), (ANOUK, "true", "false")],
    ],
    ids=["unadmin both", "the colleague first", "deactivate both", "unadmin and deactivate"],
)
def test_no_batch_leaves_the_organisation_without_a_portal_admin(
    demo: Cli, snapshot: Snapshot, tmp_path: Any, rows: list[tuple[str, str, str]]
) -> None:
    """As the review found it: Anouk makes Bram portal admin, then imports a file that
    unmakes both, in either order; it said "0 added, 2 updated" and left 1001 without one."""
    demo.ok(*as_(ANOUK, "contacts", "set", BRAM, "--portal-admin"))
    names = {ANOUK: "Anouk van Dijk", BRAM: "Bram de Vries"}
    path = tmp_path / "c.csv"
    path.write_text(
        "email,org,name,portal_admin,active\n"
        + "".join(
            f"{email},1001,{names[email]},{admin},{active}\n" for email, admin, active in rows
        )
    )
    before = snapshot()
    for dry_run in ((), ("--dry-run",)):
        run = demo.fails(2, *as_(ANOUK, "contacts", "import", str(path), *dry_run))
        assert run.stderr.splitlines() == LAST_ADMIN
        assert snapshot() == before
    # The same answer, word for word, for the single change; the operator may do both.
    assert demo(*as_(ANOUK, "contacts", "set", BRAM, "--no-portal-admin")).exit_code == 0
    assert demo(*as_(ANOUK, "contacts", "set", ANOUK, "--no-portal-admin")).stderr.splitlines() == (
        LAST_ADMIN
    )
    demo.ok("contacts", "import", str(path))
    assert demo.json("org", "show", "1001")["admins"] == []


def test_a_batch_that_keeps_one_portal_admin_is_fine(demo: Cli, tmp_path: Any) -> None:
    demo.ok(*as_(ANOUK, "contacts", "set", BRAM, "--portal-admin"))
    path = tmp_path / "c.csv"
    path.write_text(f"email,org,name,portal_admin\n{ANOUK},1001,Anouk van Dijk,false\n")
    assert "1 updated" in demo.ok(*as_(ANOUK, "contacts", "import", str(path))).stdout
    assert demo.json("org", "show", "1001")["admins"] == [{"email": BRAM, "name": "Bram de Vries"}]


# --- certifications ------------------------------------------------------------------------


def test_a_portal_admins_export_imports_again(demo: Cli, snapshot: Snapshot) -> None:
    """``contacts list --csv | contacts import -`` as a portal admin: the listing carries
    ``expert_until`` (Chantal is an expert), which was refused as a certification change
    (exit 4) though nothing changed. A cell equal to what is stored changes nothing."""
    exported = demo.ok(*as_(ANOUK, "contacts", "list", "--csv")).stdout
    assert any(row["expert_until"] for row in csv.DictReader(io.StringIO(exported)))
    before = snapshot()
    run = demo.ok(*as_(ANOUK, "contacts", "import", "-"), input=exported)
    assert run.stdout.startswith("Imported <stdin>: 0 added, 0 updated, 4 unchanged")
    assert snapshot() == before


@pytest.mark.parametrize(
    "row",
    [
        pytest.param("chantal@vandijk.nl,1001,Chantal Bakker,2031-01-01", id="changed"),
        pytest.param("chantal@vandijk.nl,1001,Chantal Bakker,", id="removed"),
        pytest.param("bram@vandijk.nl,1001,Bram de Vries,2031-01-01", id="given"),
        pytest.param("nieuw@vandijk.nl,1001,Nieuw,2031-01-01", id="new contact"),
    ],
)
def test_a_changed_certification_is_still_the_operators(
    demo: Cli, snapshot: Snapshot, row: str
) -> None:
    before = snapshot()
    run = demo.fails(
        4,
        *as_(ANOUK, "contacts", "import", "-"),
        input=f"email,org,name,expert_until\n{row}\n",
    )
    assert run.error_lines == [
        "Error: <stdin>, line 2: certifications are recorded by the operator, not by portal users"
    ]
    assert snapshot() == before


def test_another_organisations_certification_makes_no_difference(demo: Cli) -> None:
    """Whether the address of another organisation's expert is given with its date or
    another, the answer is the same: nothing of the other contact is compared."""
    demo.ok("contacts", "set", ELS, "--expert-until", "2031-01-01")
    answers = {
        demo(
            *as_(ANOUK, "contacts", "import", "-"),
            input=f"email,org,name,expert_until\n{ELS},1001,Els,{date}\n",
        ).stderr
        for date in ("2031-01-01", "2032-02-02")
    }
    assert len(answers) == 1
    assert "certifications are recorded by the operator" in answers.pop()


# --- moving a contact ---------------------------------------------------------------------


def test_an_address_taken_by_the_wrong_organisation_is_moved_by_the_operator(
    demo: Cli, db_path: Any
) -> None:
    # A portal admin of 1001 adds an address of De Linde (1002) ...
    demo.ok(*as_(ANOUK, "contacts", "add", "newhire@delinde.nl", "--org", "1001", "--name", "N"))
    demo.ok(*as_(ANOUK, "grant", "submitter", "newhire@delinde.nl"))
    # ... which 1002 can then not add, and to 1002 it is simply taken.
    error = demo.fails(
        2, *as_(ELS, "contacts", "add", "newhire@delinde.nl", "--org", "1002", "--name", "N")
    ).failed(2)
    assert "already in use" in error
    assert "1001" not in error
    demo.fails(3, *as_(ELS, "check", "newhire@delinde.nl"))
    demo.fails(3, *as_(ELS, "contacts", "show", "newhire@delinde.nl"))
    # Only the operator moves it.
    demo.fails(
        4, *as_(ELS, "contacts", "move", "newhire@delinde.nl", "--org", "1002", "--reason", "x")
    )
    moved = demo.json(
        "contacts",
        "move",
        "newhire@delinde.nl",
        "--org",
        "1002",
        "--reason",
        "added to 1001 by mistake",
    )
    assert (moved["org"], moved["from_org"], moved["moved"]) == ("1002", "1001", True)
    assert [r["role"] for r in moved["revoked"]] == ["submitter"]
    # Its role in 1001 is revoked (the seat is free at once), audited in 1001 ...
    assert demo.json("quota", "1001")["used"] == 2
    revokes = [
        e
        for e in events(db_path)
        if e["action"] == "revoke" and e["contact"] == "newhire@delinde.nl"
    ]
    assert [(e["org_id"], e["reason"]) for e in revokes] == [
        ("1001", "contact moved to another organisation")
    ]
    moves = [e for e in events(db_path) if e["action"] == "contact.move"]
    assert sorted(e["org_id"] for e in moves) == ["1001", "1002"]
    assert {e["reason"] for e in moves} == {"added to 1001 by mistake"}
    # ... and now it is 1002's to see and to grant, and no longer 1001's.
    assert demo.json(*as_(ELS, "contacts", "show", "newhire@delinde.nl"))["org"] == "1002"
    demo.fails(3, *as_(ANOUK, "contacts", "show", "newhire@delinde.nl"))
    demo.ok(*as_(ELS, "grant", "submitter", "newhire@delinde.nl"))
    # The new organisation's log does not name the old one, nor the operator's reason.
    seen = demo.ok(*as_(ELS, "log", "--contact", "newhire@delinde.nl", "--json")).stdout
    assert "1001" not in seen
    assert "by mistake" not in seen
    assert "another organisation" in seen
    # Moving it again to where it is changes nothing.
    assert (
        demo.json("contacts", "move", "newhire@delinde.nl", "--org", "1002", "--reason", "x")[
            "moved"
        ]
        is False
    )


def test_a_moved_contact_holds_none_of_its_old_roles_in_the_new_organisation(
    demo: Cli,
) -> None:
    """As the review found it: moved to 1002, Anouk logged in and listed 1002's incidents
    and submitted there for the ten minutes of the delay, while 1002's quota did not count
    her and her pending revokes showed under 1002. The move's revokes take effect at once."""
    now = demo.json("clock", "set", "+11m")["now"]  # the demo's grants are in effect
    demo.ok(*as_(FATIMA, "login", FATIMA))
    demo.ok(*as_(FATIMA, "incidents", "submit", "--subject", "De Linde's own"))
    moved = demo.json("contacts", "move", ANOUK, "--org", "1002", "--reason", "new job")
    assert {r["role"]: r["effective_at"] for r in moved["revoked"]} == {
        "submitter": now,
        "manager": now,
    }
    assert [p["email"] for p in demo.json("pending")] == []
    demo.ok(*as_(ANOUK, "login", ANOUK))
    listing = demo.fails(4, *as_(ANOUK, "incidents", "list"))
    assert "De Linde's own" not in listing.stdout
    assert "revoked" in listing.error_lines[0]
    demo.fails(4, *as_(ANOUK, "incidents", "submit", "--subject", "x"))
    check = json.loads(demo(*as_(ANOUK, "check", ANOUK, "--json")).stdout)
    assert (check["submit"]["status"], check["view_all"]["status"]) == ("denied", "denied")
    assert demo.json("quota", "1002")["used"] == 2  # Fatima and Gert, not Anouk


def test_a_moves_revoke_keeps_the_order_of_changes(demo: Cli) -> None:
    """A grant still propagating when the contact is moved: the revoke takes effect when the
    grant would have, not before (changes take effect in the order they were made), so the
    contact never holds the role in between."""
    demo.ok("clock", "set", "+11m")
    granted = demo.json("grant", "submitter", DIRK)["results"][0]["effective_at"]
    demo.ok("clock", "advance", "4m")
    moved = demo.json("contacts", "move", DIRK, "--org", "1002", "--reason", "x")
    assert moved["revoked"] == [{"role": "submitter", "effective_at": granted}]
    for step in ("1m", "5m", "20m"):
        demo.ok("clock", "advance", step)
        demo.ok(*as_(DIRK, "login", DIRK))
        check = demo(*as_(DIRK, "check", DIRK, "--json"))
        assert check.exit_code == 4, step
        assert json.loads(check.stdout)["submit"]["allowed"] is False, step


def test_a_moved_portal_admin_is_no_portal_admin_of_its_new_organisation(demo: Cli) -> None:
    demo.ok("contacts", "set", DIRK, "--portal-admin")
    moved = demo.json("contacts", "move", DIRK, "--org", "1002", "--reason", "changed employer")
    assert moved["portal_admin"] is False
    text = demo.ok("contacts", "move", ANOUK, "--org", "1003", "--reason", "x").stdout
    assert "no longer a portal admin" in text
    assert "revoked submitter (Incidentenbeheer)" in text


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("contacts", "move", "nobody@vandijk.nl", "--org", "1002", "--reason", "x"), 3),
        (("contacts", "move", DIRK, "--org", "9999", "--reason", "x"), 3),
        (("contacts", "move", DIRK, "--org", "1002", "--reason", " "), 2),
        (("contacts", "move", DIRK, "--org", "1002"), 2),
    ],
)
def test_a_move_that_cannot_be_made_changes_nothing(
    demo: Cli, snapshot: Snapshot, args: tuple[str, ...], code: int
) -> None:
    before = snapshot()
    demo.fails(code, *args)
    assert snapshot() == before
