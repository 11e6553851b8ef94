"""``check`` and ``incidents submit`` agree in every state a contact can be in
(docs/concepts.md, rule 6), and ``incidents list`` shows each portal user exactly the incidents
it may see.

Each state is built through the CLI by the operator with the clock pinned (``--now``) a few
minutes before the moment of the check, T = 2024-05-01 10:00 Amsterdam time. Portal users
cannot pin the clock: they act at the installation's simulated clock, set to that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from check_support import check, iso, utc
from conftest import Cli

T = utc(2024, 5, 1, 8, 0)  # 10:00 CEST
BEFORE_ENFORCEMENT = utc(2023, 12, 31, 22, 59)  # 2023-12-31 23:59 Amsterdam


def at(minutes: int) -> tuple[str, str]:
    """``--now`` for T + ``minutes``."""
    return ("--now", iso(T + timedelta(minutes=minutes)))


def grant(cli: Cli, minutes: int, role: str = "submitter", email: str = "jan@acme.nl") -> None:
    cli.ok(*at(minutes), "grant", role, email)


def revoke(cli: Cli, minutes: int, role: str = "submitter", email: str = "jan@acme.nl") -> None:
    cli.ok(*at(minutes), "revoke", role, email)


def login(cli: Cli, minutes: int, email: str = "jan@acme.nl") -> None:
    cli.ok(*at(minutes), "login", email)


def in_effect_and_logged_in(cli: Cli, role: str = "submitter", email: str = "jan@acme.nl") -> None:
    grant(cli, -60, role, email)
    login(cli, -40, email)


@dataclass(frozen=True)
class State:
    """A situation, the contact it is about, and what ``check`` should say of it."""

    setup: Callable[[Cli], None]
    email: str
    submit: str
    view_all: str
    reason: str  # a part of the submit reason
    moment: str = iso(T)


def nothing(cli: Cli) -> None:
    pass


def pending_grant(cli: Cli) -> None:
    grant(cli, -5)


def in_effect_without_log_in(cli: Cli) -> None:
    grant(cli, -20)


def log_in_before_effect(cli: Cli) -> None:
    grant(cli, -20)
    login(cli, -11)


def log_in_after_effect(cli: Cli) -> None:
    grant(cli, -20)
    login(cli, -9)


def pending_revoke(cli: Cli) -> None:
    in_effect_and_logged_in(cli)
    revoke(cli, -5)


def revoked(cli: Cli) -> None:
    in_effect_and_logged_in(cli)
    revoke(cli, -20)


def regranted_pending(cli: Cli) -> None:
    in_effect_and_logged_in(cli)
    revoke(cli, -30)
    grant(cli, -5)


def inactive(cli: Cli) -> None:
    in_effect_and_logged_in(cli)
    cli.ok(*at(-30), "contacts", "set", "jan@acme.nl", "--inactive")


def portal_admin(cli: Cli) -> None:
    login(cli, -40, "admin@acme.nl")


def portal_admin_with_role(cli: Cli) -> None:
    in_effect_and_logged_in(cli, email="admin@acme.nl")


def manager_only(cli: Cli) -> None:
    in_effect_and_logged_in(cli, role="manager")


def manager_without_log_in(cli: Cli) -> None:
    grant(cli, -60, "manager")


def submitter_and_manager(cli: Cli) -> None:
    grant(cli, -60, "manager")
    in_effect_and_logged_in(cli)


def expert(cli: Cli) -> None:
    cli.ok("contacts", "add", "eva@acme.nl", "--org", "1001", "--name", "Eva", "--expert-until",
           "2030-12-31")  # fmt: skip
    in_effect_and_logged_in(cli, email="eva@acme.nl")


def expert_without_role(cli: Cli) -> None:
    cli.ok("contacts", "add", "eva@acme.nl", "--org", "1001", "--name", "Eva", "--expert-until",
           "2030-12-31")  # fmt: skip
    login(cli, -40, "eva@acme.nl")


NO_ROLE = "no submitter (Incidentenbeheer) role"

STATES = {
    "no role": State(nothing, "jan@acme.nl", "denied", "denied", NO_ROLE),
    "pending grant": State(
        pending_grant, "jan@acme.nl", "pending", "denied", "in 5 minutes; then log in again"
    ),
    "in effect without log-in": State(
        in_effect_without_log_in, "jan@acme.nl", "relogin", "denied", "(no log-in yet)"
    ),
    "log-in before effect": State(
        log_in_before_effect, "jan@acme.nl", "relogin", "denied", "(no log-in since then)"
    ),
    "log-in after effect": State(
        log_in_after_effect, "jan@acme.nl", "allowed", "denied", "in effect since"
    ),
    "pending revoke": State(
        pending_revoke, "jan@acme.nl", "allowed", "denied", "it is revoked from"
    ),
    "revoked": State(revoked, "jan@acme.nl", "denied", "denied", "was revoked, from"),
    "revoked, new grant pending": State(
        regranted_pending, "jan@acme.nl", "pending", "denied", "takes effect at"
    ),
    "inactive contact": State(
        inactive, "jan@acme.nl", "denied", "denied", "the contact is inactive"
    ),
    "portal admin without role": State(
        portal_admin, "admin@acme.nl", "denied", "allowed", "portal admins need the submitter"
    ),
    "portal admin with role": State(
        portal_admin_with_role, "admin@acme.nl", "allowed", "allowed", "in effect since"
    ),
    "before enforcement date": State(
        nothing,
        "jan@acme.nl",
        "allowed",
        "denied",
        "before the enforcement date",
        moment=iso(BEFORE_ENFORCEMENT),
    ),
    "manager only": State(manager_only, "jan@acme.nl", "denied", "allowed", NO_ROLE),
    "manager without log-in": State(
        manager_without_log_in, "jan@acme.nl", "denied", "relogin", NO_ROLE
    ),
    "submitter and manager": State(
        submitter_and_manager, "jan@acme.nl", "allowed", "allowed", "in effect since"
    ),
    "expert": State(expert, "eva@acme.nl", "allowed", "denied", "in effect since"),
    "expert without role": State(expert_without_role, "eva@acme.nl", "denied", "denied", NO_ROLE),
}


@pytest.mark.parametrize("name", list(STATES))
def test_check_and_submit_agree(store: Cli, name: str) -> None:
    state = STATES[name]
    state.setup(store)
    now = ("--now", state.moment)

    document = check(store, state.email, *now)
    submit: dict[str, Any] = document["submit"]
    assert (submit["status"], document["view_all"]["status"]) == (state.submit, state.view_all)
    assert state.reason in submit["reason"]
    # --at asks about the same moment without pinning the clock: the same answer.
    assert check(store, state.email, at=state.moment) == document

    human = store(*now, "check", state.email)
    assert human.exit_code == (0 if submit["allowed"] else 4)
    assert f"Submit incidents:   {submit['status']}: {submit['reason']}" in human.stdout

    store.ok("clock", "set", state.moment)  # portal users act at the installation's clock
    run = store("--as", state.email, "incidents", "submit", "--subject", name, "--json")
    if submit["allowed"]:
        assert run.exit_code == 0, run.stderr
        assert run.json() == {
            "id": 1,
            "email": state.email,
            "org": "1001",
            "submitted_at": state.moment,
        }
        (incident,) = store.json("incidents", "list")
        assert (incident["email"], incident["subject"]) == (state.email, name)
    else:
        error = run.failed(4)
        assert submit["reason"] in error
        if submit["reason"] != "the contact is inactive":
            assert error == (
                f"Error: {state.email} may not submit incidents now "
                f"({submit['status']}): {submit['reason']}"
            )
        else:  # an inactive contact cannot act as a portal user at all
            assert (
                error == f"Error: --as {state.email}: {submit['reason']} and cannot use the portal"
            )
        assert run.stdout == ""
        assert store.json("incidents", "list") == []
        events = [e["action"] for e in store.json("log")]
        assert "incident.submit" not in events


def refusal_hint(cli: Cli, email: str) -> str:
    """The ``Hint:`` line of a refused ``incidents submit`` at T (the simulated clock)."""
    cli.ok("clock", "set", iso(T))
    run = cli("--as", email, "incidents", "submit", "--subject", "x")
    run.failed(4)
    return run.stderr.splitlines()[1]


def test_the_refusal_hint_gives_the_seeds_advice(store: Cli) -> None:
    grant(store, -5, email="jan@acme.nl")  # pending
    grant(store, -20, email="piet@acme.nl")  # in effect, logged in before that
    login(store, -11, "piet@acme.nl")
    assert refusal_hint(store, "jan@acme.nl") == (
        "Hint: a role change takes about 10 minutes; then log in again and clear cookies"
    )
    assert refusal_hint(store, "piet@acme.nl") == (
        "Hint: the portal picks up a role change only in a new session"
    )
    assert refusal_hint(store, "admin@acme.nl") == (
        "Hint: as a portal admin you can grant it: incidentctl grant submitter admin@acme.nl"
    )
    store.ok("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "Kees")
    # The portal admins to ask are named.
    assert refusal_hint(store, "kees@acme.nl") == (
        "Hint: ask a portal admin to grant the submitter (Incidentenbeheer) role: "
        "Ada Admin <admin@acme.nl>"
    )
    store.ok("contacts", "add", "bea@acme.nl", "--org", "1001", "--name", "Bea", "--portal-admin")
    assert refusal_hint(store, "kees@acme.nl") == (
        "Hint: ask a portal admin to grant the submitter (Incidentenbeheer) role: "
        "Ada Admin <admin@acme.nl> or Bea <bea@acme.nl>"
    )
    # Only active portal admins are named; without any, the vendor is the one to ask.
    store.ok("contacts", "set", "bea@acme.nl", "--inactive")
    store.ok("contacts", "set", "admin@acme.nl", "--no-portal-admin")
    assert refusal_hint(store, "kees@acme.nl") == (
        "Hint: your organisation has no active portal admin: ask the vendor to grant the "
        "submitter (Incidentenbeheer) role"
    )


def test_submit_needs_a_portal_user_and_a_subject(store: Cli, snapshot: Any) -> None:
    before = snapshot()
    no_user = store.fails(2, "incidents", "submit", "--subject", "x")
    assert "give --as EMAIL" in no_user.error_lines[0]
    store.fails(2, "--as", "jan@acme.nl", "incidents", "submit", "--subject", " ")
    store.fails(4, "--as", "nobody@acme.nl", "incidents", "submit", "--subject", "x")
    assert snapshot() == before


def test_a_submitted_incident_is_audited(store: Cli) -> None:
    store.ok("clock", "set", iso(BEFORE_ENFORCEMENT))
    store.ok("--as", "jan@acme.nl", "incidents", "submit", "--subject", "printer",
             "--body", "it jams")  # fmt: skip
    (event,) = [e for e in store.json("log") if e["action"] == "incident.submit"]
    assert (event["actor"], event["org"], event["contact"], event["at"]) == (
        "jan@acme.nl",
        "1001",
        "jan@acme.nl",
        iso(BEFORE_ENFORCEMENT),
    )


# --- incidents list -----------------------------------------------------------------------------


@pytest.fixture
def incidents(store: Cli) -> Cli:
    """Incidents submitted under the old rule by four contacts of two organisations; then,
    at T: jan a submitter, piet a manager (both logged in), kees nothing, admin@acme.nl and
    gina@globex.nl portal admins without a role. The simulated clock is left at T."""
    store.ok("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "Kees")
    store.ok("clock", "set", iso(BEFORE_ENFORCEMENT))
    for email in ("jan@acme.nl", "piet@acme.nl", "admin@acme.nl", "gina@globex.nl"):
        store.ok("--as", email, "incidents", "submit", "--subject", f"from {email}")
    in_effect_and_logged_in(store)
    in_effect_and_logged_in(store, role="manager", email="piet@acme.nl")
    store.ok("clock", "set", iso(T))
    return store


def listed(cli: Cli, email: str | None, *args: str) -> list[str]:
    """The subjects ``incidents list`` shows (as ``email``, or as the operator) at the
    simulated clock."""
    who = ("--as", email) if email else ()
    return [row["subject"] for row in cli.json(*who, "incidents", "list", *args)]


ACME = ["from jan@acme.nl", "from piet@acme.nl", "from admin@acme.nl"]
# The title above the table is for people at a terminal (piped output is rows only).
TERMINAL: dict[str, str | None] = {"INCIDENTCTL_FORCE_TTY": "100", "NO_COLOR": "1"}


def test_a_submitter_lists_only_its_own_incidents(incidents: Cli) -> None:
    assert listed(incidents, "jan@acme.nl") == ["from jan@acme.nl"]
    human = incidents.ok("--as", "jan@acme.nl", "incidents", "list", env=TERMINAL).stdout
    assert "Your own incidents" in human
    assert "piet" not in human


def test_a_manager_or_portal_admin_lists_all_of_its_organisation(incidents: Cli) -> None:
    assert listed(incidents, "piet@acme.nl") == ACME
    assert listed(incidents, "admin@acme.nl") == ACME
    assert listed(incidents, "admin@acme.nl", "--org", "1001") == ACME
    assert listed(incidents, "gina@globex.nl") == ["from gina@globex.nl"]
    human = incidents.ok("--as", "piet@acme.nl", "incidents", "list", env=TERMINAL).stdout
    assert "The organisation's incidents" in human


def test_nobody_lists_another_organisations_incidents(incidents: Cli) -> None:
    # Another organisation is answered exactly as one that does not exist.
    for email in ("jan@acme.nl", "piet@acme.nl", "admin@acme.nl"):
        run = incidents("--as", email, "incidents", "list", "--org", "2002")
        assert run.failed(3) == "Error: no organisation '2002'"
        unknown = incidents("--as", email, "incidents", "list", "--org", "9999")
        assert run.stderr == unknown.stderr.replace("9999", "2002")
        assert "Globex" not in run.stderr
        assert "gina" not in run.stdout
    run = incidents("--as", "gina@globex.nl", "incidents", "list", "--org", "1001")
    assert run.failed(3) == "Error: no organisation '1001'"


def test_a_contact_who_may_neither_submit_nor_view_gets_exit_4(incidents: Cli) -> None:
    run = incidents("--as", "kees@acme.nl", "incidents", "list")
    error = run.failed(4)
    assert error == f"Error: kees@acme.nl may neither submit nor view incidents now: {NO_ROLE}"
    assert run.stderr.splitlines()[1] == (
        "Hint: ask a portal admin to grant the submitter (Incidentenbeheer) role: "
        "Ada Admin <admin@acme.nl>"
    )
    assert run.stdout == ""
    # A submitter who has not logged in since the role took effect cannot list either.
    grant(incidents, -20, email="kees@acme.nl")
    relogin = incidents("--as", "kees@acme.nl", "incidents", "list")
    assert "log in to the portal again" in relogin.failed(4)


def test_a_manager_who_must_log_in_again_is_told_so_by_incidents_list(incidents: Cli) -> None:
    # The reason is that of the permission that matters, as check gives it: not the
    # missing submitter role.
    incidents.ok("contacts", "add", "mia@acme.nl", "--org", "1001", "--name", "Mia")
    grant(incidents, -20, "manager", "mia@acme.nl")
    view_all = check(incidents, "mia@acme.nl", at=iso(T))["view_all"]
    assert view_all["status"] == "relogin"
    run = incidents("--as", "mia@acme.nl", "incidents", "list")
    error = run.failed(4)
    assert error == (
        f"Error: mia@acme.nl may neither submit nor view incidents now: {view_all['reason']}"
    )
    assert "log in to the portal again" in error
    assert NO_ROLE not in error
    assert run.stderr.splitlines()[1] == (
        "Hint: the portal picks up a role change only in a new session"
    )
    # A manager whose role is still propagating is told to wait.
    incidents.ok("contacts", "add", "max@acme.nl", "--org", "1001", "--name", "Max")
    grant(incidents, -5, "manager", "max@acme.nl")
    view_all = check(incidents, "max@acme.nl", at=iso(T))["view_all"]
    assert view_all["status"] == "pending"
    pending = incidents("--as", "max@acme.nl", "incidents", "list")
    assert pending.failed(4) == (
        f"Error: max@acme.nl may neither submit nor view incidents now: {view_all['reason']}"
    )
    assert pending.stderr.splitlines()[1] == (
        "Hint: a role change takes about 10 minutes; then log in again and clear cookies"
    )


def test_a_revoked_manager_loses_the_organisations_list(incidents: Cli) -> None:
    revoke(incidents, -5, "manager", "piet@acme.nl")
    assert listed(incidents, "piet@acme.nl") == ACME  # still propagating
    incidents.ok("clock", "advance", "6m")
    run = incidents("--as", "piet@acme.nl", "incidents", "list")
    run.failed(4)


def test_the_operator_lists_everything_or_one_organisation(incidents: Cli) -> None:
    assert listed(incidents, None) == [*ACME, "from gina@globex.nl"]
    assert listed(incidents, None, "--org", "2002") == ["from gina@globex.nl"]
    incidents.fails(3, "incidents", "list", "--org", "9999")
    document = incidents.json("incidents", "list", "--org", "2002")
    assert document == [
        {
            "id": 4,
            "submitted_at": iso(BEFORE_ENFORCEMENT),
            "org": "2002",
            "email": "gina@globex.nl",
            "subject": "from gina@globex.nl",
            "body": None,  # no value is null, never "" (docs/json.md)
        }
    ]
