"""Asking before large changes (docs/concepts.md, "Progress and questions"): in a terminal a
revoke of more than one contact, an apply --prune that revokes, an import that deactivates,
a policy that changes maxima and a maximum below the seats in use are put to the person
first; only yes does anything. Without a terminal, with --yes, on a dry run and when the input
comes from stdin nothing is asked. The question holds no lock, and a store that changed while
the person decided refuses the change (exit 6).

The questions are asked of a real pseudo-terminal (tests/terminal_support.py), at 80 and 200
columns; the rules of each service are also tested directly, with an answer given in code.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from reliability_support import installed_env, require_installed
from terminal_support import Terminal, unwrapped, visible

from incidentctl import files, timeutil
from incidentctl.domain import Actor
from incidentctl.errors import OK, STORE_UNAVAILABLE, Declined, StoreChanged
from incidentctl.roles import MANAGER, SUBMITTER
from incidentctl.services import apply as apply_service
from incidentctl.services import contacts as contact_service
from incidentctl.services import orgs as org_service
from incidentctl.services import quota as quota_service
from incidentctl.services import roles as role_service
from incidentctl.store import Store

OPERATOR = Actor("operator:test")
REVOKE_QUESTION = "Revoke submitter (Incidentenbeheer) from 2 contacts in 1 organisation? [y/N]"
WIDTHS = (80, 200)


@pytest.fixture
def holders(store: Cli) -> Cli:
    """Jan and Piet of Acme (1001) hold submitter."""
    store.ok("grant", "submitter", "jan@acme.nl", "piet@acme.nl")
    return store


def _submitters(cli: Cli) -> list[str]:
    return sorted(c["email"] for c in cli.json("contacts", "list", "--role", "submitter"))


def _answer(db_path: Path, args: list[str], keys: str, columns: int = 80) -> tuple[int, str]:
    """Run ARGS on a terminal, wait for the question, type ``keys``; (exit, the screen with
    its lines joined, so a sentence the width wrapped reads whole)."""
    require_installed()
    terminal = Terminal(args, installed_env(db_path), columns=columns)
    terminal.wait_for(r"\[y/N\] ")
    terminal.type(keys)
    code, text = terminal.finish()
    return code, unwrapped(visible(text, columns), columns)


# --- revoke -----------------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("answer", ["n\n", "\n", "no\n", "ja\n", "\x04"])
def test_any_answer_but_yes_changes_nothing(
    holders: Cli, db_path: Path, snapshot: Snapshot, columns: int, answer: str
) -> None:
    before = snapshot()
    code, shown = _answer(
        db_path, ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl"], answer, columns
    )
    assert code == OK
    assert REVOKE_QUESTION in shown
    assert shown.rstrip().endswith("Nothing changed.")
    assert "revoked" not in shown
    assert snapshot() == before


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("answer", ["y\n", "YES\n", " Yes \n"])
def test_yes_revokes(holders: Cli, db_path: Path, columns: int, answer: str) -> None:
    code, shown = _answer(
        db_path, ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl"], answer, columns
    )
    assert code == OK, shown
    assert "0 granted, 2 revoked, 0 unchanged, 0 refused; done" in shown
    assert _submitters(holders) == []


@pytest.mark.e2e
def test_the_question_goes_to_stderr_and_stdout_can_be_a_file(
    holders: Cli, db_path: Path, tmp_path: Path
) -> None:
    """stdout redirected (to a file): the person still answers on the terminal, and the file
    gets the results only."""
    require_installed()
    result = tmp_path / "out.txt"
    with result.open("wb") as out:
        terminal = Terminal(
            ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl"],
            installed_env(db_path),
            stdout=out,
        )
        terminal.wait_for(r"\[y/N\] ")
        terminal.type("y\n")
        code, _ = terminal.finish()
    assert code == OK
    written = result.read_text()
    assert "Revoke" not in written
    assert written.splitlines()[-1] == "0 granted, 2 revoked, 0 unchanged, 0 refused; done"


@pytest.mark.e2e
def test_ctrl_c_at_the_question_is_exit_130(
    holders: Cli, db_path: Path, snapshot: Snapshot
) -> None:
    require_installed()
    before = snapshot()
    terminal = Terminal(
        ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl"], installed_env(db_path)
    )
    terminal.wait_for(r"\[y/N\] ")
    terminal.interrupt()
    code, text = terminal.finish()
    assert code == 130
    assert "Error: interrupted" in text
    assert "Traceback" not in text
    assert snapshot() == before


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize(
    "args",
    [
        ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl", "--yes"],
        ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl", "-y"],
        ["revoke", "submitter", "jan@acme.nl"],  # one contact: nothing to ask
        ["revoke", "submitter", "jan@acme.nl", "admin@acme.nl"],  # one holds it
    ],
)
def test_nothing_is_asked_with_yes_or_for_one_contact(
    holders: Cli, db_path: Path, columns: int, args: list[str]
) -> None:
    require_installed()
    code, text = Terminal(args, installed_env(db_path), columns=columns).finish()
    assert code == OK, text
    assert "[y/N]" not in text
    assert "jan@acme.nl" not in _submitters(holders)


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
def test_a_dry_run_never_asks(
    holders: Cli, db_path: Path, snapshot: Snapshot, columns: int
) -> None:
    require_installed()
    before = snapshot()
    code, text = Terminal(
        ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl", "--dry-run"],
        installed_env(db_path),
        columns=columns,
    ).finish()
    assert code == OK
    assert "[y/N]" not in text
    assert "2 would be revoked" in visible(text, columns)
    assert snapshot() == before


@pytest.mark.e2e
def test_addresses_typed_at_the_terminal_are_not_asked_about(holders: Cli, db_path: Path) -> None:
    """``--file -`` reads stdin: the keyboard was the input, so there is nobody left to ask."""
    require_installed()
    terminal = Terminal(["revoke", "submitter", "--file", "-"], installed_env(db_path))
    terminal.wait_for("end with Ctrl-D")
    terminal.type("jan@acme.nl\npiet@acme.nl\n\x04")
    code, text = terminal.finish()
    assert code == OK, text
    assert "[y/N]" not in text
    assert _submitters(holders) == []


def test_without_a_terminal_nothing_is_asked(holders: Cli, db_path: Path) -> None:
    """A script, a pipe, cron: stdin is not a terminal, the revoke runs as before."""
    run = holders.ok("revoke", "submitter", "jan@acme.nl", "piet@acme.nl", input="y\n")
    assert "[y/N]" not in run.stdout + run.stderr
    assert _submitters(holders) == []


@pytest.mark.e2e
def test_without_a_terminal_the_installed_command_asks_nothing(holders: Cli, db_path: Path) -> None:
    exe = require_installed()
    done = subprocess.run(
        [str(exe), "revoke", "submitter", "jan@acme.nl", "piet@acme.nl"],
        env=installed_env(db_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == OK
    assert b"[y/N]" not in done.stdout + done.stderr
    assert _submitters(holders) == []


@pytest.mark.e2e
def test_the_question_holds_no_lock(holders: Cli, db_path: Path) -> None:
    """While a person thinks, other processes write as usual (a short busy timeout would
    otherwise end them with exit 6)."""
    exe = require_installed()
    terminal = Terminal(
        ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl"], installed_env(db_path)
    )
    terminal.wait_for(r"\[y/N\] ")
    other = subprocess.run(
        [str(exe), "grant", "manager", "gina@globex.nl"],
        env=installed_env(db_path, INCIDENTCTL_BUSY_TIMEOUT="0.5"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert other.returncode == OK, other.stderr
    terminal.type("y\n")
    code, text = terminal.finish()
    assert code == OK, text
    assert _submitters(holders) == []


@pytest.mark.e2e
def test_a_store_changed_while_deciding_writes_nothing_and_exits_6(
    holders: Cli, db_path: Path
) -> None:
    exe = require_installed()
    terminal = Terminal(
        ["revoke", "submitter", "jan@acme.nl", "piet@acme.nl"], installed_env(db_path)
    )
    terminal.wait_for(r"\[y/N\] ")
    subprocess.run(
        [str(exe), "revoke", "submitter", "piet@acme.nl"],
        env=installed_env(db_path),
        capture_output=True,
        timeout=60,
        check=True,
    )
    terminal.type("y\n")
    code, text = terminal.finish()
    shown = unwrapped(visible(text, 80), 80)
    assert code == STORE_UNAVAILABLE
    assert (
        "Error: the store changed while you were deciding: the batch now revokes 1 contact "
        "in 1 organisation, not 2 in 1 organisation; nothing was written"
    ) in shown
    assert "Hint: run it again" in shown
    assert _submitters(holders) == ["jan@acme.nl"], "Jan keeps the role: nothing was written"


# --- the other questions on a terminal --------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
def test_apply_prune_asks_before_revoking(
    holders: Cli, db_path: Path, tmp_path: Path, snapshot: Snapshot, columns: int
) -> None:
    path = tmp_path / "roles.toml"
    path.write_text('[organisations."1001"]\nsubmitter = ["admin@acme.nl"]\n')
    before = snapshot()
    code, shown = _answer(db_path, ["apply", str(path), "--prune"], "n\n", columns)
    assert code == OK
    question = f"Apply {path}: grant 1, revoke 2 contacts in 1 organisation? [y/N]"
    assert question in shown
    assert snapshot() == before
    code, shown = _answer(db_path, ["apply", str(path), "--prune"], "y\n", columns)
    assert code == OK
    assert "Applied: granted 1, revoked 2." in shown
    assert _submitters(holders) == ["admin@acme.nl"]


@pytest.mark.e2e
def test_apply_without_prune_revokes_nothing_and_asks_nothing(
    holders: Cli, db_path: Path, tmp_path: Path
) -> None:
    require_installed()
    path = tmp_path / "roles.toml"
    path.write_text('[organisations."1001"]\nsubmitter = ["admin@acme.nl"]\n')
    code, text = Terminal(["apply", str(path)], installed_env(db_path)).finish()
    assert code == OK, text
    assert "[y/N]" not in text


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
def test_an_import_that_deactivates_contacts_asks(
    holders: Cli, db_path: Path, tmp_path: Path, snapshot: Snapshot, columns: int
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email,org,name,active\n"
        "jan@acme.nl,1001,Jan Jansen,false\n"
        "piet@acme.nl,1001,Piet Pieters,no\n"
        "kees@acme.nl,1001,Kees,\n"
    )
    before = snapshot()
    code, shown = _answer(db_path, ["contacts", "import", str(path)], "\n", columns)
    assert code == OK
    question = (
        f"Import {path}: add 1, update 0, deactivate 2 contacts in 1 organisation "
        "(revoking 2 roles)? [y/N]"
    )
    assert question in shown
    assert snapshot() == before
    code, shown = _answer(db_path, ["contacts", "import", str(path)], "y\n", columns)
    assert code == OK
    assert "1 added, 2 updated, 0 unchanged; 2 role(s) revoked by deactivation" in shown
    assert _submitters(holders) == []


@pytest.mark.e2e
def test_an_import_that_deactivates_one_contact_asks_nothing(
    holders: Cli, db_path: Path, tmp_path: Path
) -> None:
    require_installed()
    path = tmp_path / "contacts.csv"
    path.write_text("email,org,name,active\njan@acme.nl,1001,Jan Jansen,false\n")
    code, text = Terminal(["contacts", "import", str(path)], installed_env(db_path)).finish()
    assert code == OK, text
    assert "[y/N]" not in text


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
def test_a_policy_that_changes_maxima_asks(
    holders: Cli, db_path: Path, tmp_path: Path, snapshot: Snapshot, columns: int
) -> None:
    """Acme (30 employees, 2 submitters) goes from 3 to 1; Globex (5) from 2 to 1."""
    path = tmp_path / "policy.toml"
    path.write_text("bands = [{ from_employees = 0, maximum = 1 }]\n")
    before = snapshot()
    code, shown = _answer(db_path, ["policy", "load", str(path)], "no\n", columns)
    assert code == OK
    question = (
        f"Load {path}: 2 organisations get a lower maximum, 0 a higher one; "
        "1 would be over quota? [y/N]"
    )
    assert question in shown
    assert snapshot() == before
    code, shown = _answer(db_path, ["policy", "load", str(path)], "y\n", columns)
    assert code == OK
    assert "2 organisations get a lower maximum, 0 a higher one, 1 is over quota" in shown
    assert holders.json("quota", "1001")["maximum"] == 1


@pytest.mark.e2e
def test_a_policy_that_changes_no_maximum_asks_nothing(
    holders: Cli, db_path: Path, tmp_path: Path
) -> None:
    require_installed()
    policy = holders.ok("policy", "show").stdout
    path = tmp_path / "policy.toml"
    path.write_text(policy)
    code, text = Terminal(["policy", "load", str(path)], installed_env(db_path)).finish()
    assert code == OK, text
    assert "[y/N]" not in text
    assert "no maximum changes" in text


@pytest.mark.e2e
@pytest.mark.parametrize("columns", WIDTHS)
def test_a_maximum_below_the_seats_in_use_asks(
    holders: Cli, db_path: Path, snapshot: Snapshot, columns: int
) -> None:
    args = ["org", "set", "1001", "--quota", "1", "--reason", "contract 17"]
    before = snapshot()
    code, shown = _answer(db_path, args, "\x04", columns)
    assert code == OK
    question = "1001 uses 2 submitter seats; set its maximum to 1 (over quota by 1)? [y/N]"
    assert question in shown
    assert shown.rstrip().endswith("Nothing changed.")
    assert snapshot() == before
    code, shown = _answer(db_path, args, "y\n", columns)
    assert code == OK
    assert "quota_override: - -> 1" in shown
    assert holders.json("quota", "1001")["over_quota"] is True


@pytest.mark.e2e
@pytest.mark.parametrize("quota", ["2", "5"])
def test_a_maximum_not_below_the_seats_in_use_asks_nothing(
    holders: Cli, db_path: Path, quota: str
) -> None:
    require_installed()
    code, text = Terminal(
        ["org", "set", "1001", "--quota", quota, "--reason", "contract 17"],
        installed_env(db_path),
    ).finish()
    assert code == OK, text
    assert "[y/N]" not in text


# --- the rules of each service, answered in code ----------------------------------------------


class Answer:
    """A :data:`incidentctl.services.progress.Confirm` that records the questions, runs
    ``meanwhile`` (another process's change, made while the person thinks) and answers."""

    def __init__(self, yes: bool, meanwhile: Callable[[], None] | None = None) -> None:
        self.yes = yes
        self.meanwhile = meanwhile
        self.questions: list[str] = []

    def __call__(self, question: str) -> bool:
        self.questions.append(question)
        if self.meanwhile is not None:
            self.meanwhile()
        return self.yes


@pytest.fixture
def opened(holders: Cli, db_path: Path) -> Iterator[Store]:
    store = Store.open(db_path)
    yield store
    store.close()


def _revoke(store: Store, confirm: Answer, *emails: str) -> role_service.BatchOutcome:
    return role_service.change(
        store,
        OPERATOR,
        timeutil.system_now(),
        action="revoke",
        role=SUBMITTER,
        rows=role_service.batch_rows(list(emails)),
        confirm=confirm,
    )


def test_a_declined_revoke_raises_declined_and_writes_nothing(
    opened: Store, holders: Cli, snapshot: Snapshot
) -> None:
    before = snapshot()
    answer = Answer(yes=False)
    with pytest.raises(Declined):
        _revoke(opened, answer, "jan@acme.nl", "piet@acme.nl")
    assert answer.questions == [REVOKE_QUESTION.removesuffix(" [y/N]")]
    assert snapshot() == before


def test_a_grant_is_never_asked_about(opened: Store, holders: Cli) -> None:
    answer = Answer(yes=False)
    role_service.change(
        opened,
        OPERATOR,
        timeutil.system_now(),
        action="grant",
        role=MANAGER,
        rows=role_service.batch_rows(["jan@acme.nl", "piet@acme.nl", "admin@acme.nl"]),
        confirm=answer,
    )
    assert answer.questions == []


def test_a_refused_revoke_is_not_asked_about(opened: Store, holders: Cli) -> None:
    answer = Answer(yes=True)
    outcome = _revoke(opened, answer, "jan@acme.nl", "piet@acme.nl", "nobody@acme.nl")
    assert answer.questions == []
    assert outcome.exit_code == 3
    assert not outcome.applied


@pytest.mark.parametrize(
    "change",
    [
        ("revoke", "submitter", "piet@acme.nl"),  # one fewer to revoke
        ("grant", "submitter", "admin@acme.nl"),  # unrelated: the revoke still holds
    ],
)
def test_a_revoke_confirmed_on_an_older_store_is_refused(
    opened: Store, holders: Cli, db_path: Path, change: tuple[str, ...]
) -> None:
    """The counts confirmed must hold under the write lock; a change that leaves them as
    they were does not matter."""
    answer = Answer(yes=True, meanwhile=lambda: holders.ok(*change))
    if change[0] == "grant":
        outcome = _revoke(opened, answer, "jan@acme.nl", "piet@acme.nl")
        assert outcome.applied
        assert _submitters(holders) == ["admin@acme.nl"]
        return
    with pytest.raises(StoreChanged) as refused:
        _revoke(opened, answer, "jan@acme.nl", "piet@acme.nl")
    assert refused.value.exit_code == STORE_UNAVAILABLE
    assert refused.value.hint == "run it again"
    assert _submitters(holders) == ["jan@acme.nl"]


def test_apply_confirmed_on_an_older_store_is_refused(
    opened: Store, holders: Cli, snapshot: Snapshot
) -> None:
    data = b'[organisations."1001"]\nsubmitter = ["admin@acme.nl"]\n'
    answer = Answer(yes=True, meanwhile=lambda: holders.ok("revoke", "submitter", "piet@acme.nl"))
    with pytest.raises(StoreChanged, match="would now grant 1 and revoke 1, not 1 and 2"):
        apply_service.apply(
            opened, OPERATOR, timeutil.system_now(), data, "roles.toml", prune=True, confirm=answer
        )
    assert len(answer.questions) == 1
    assert _submitters(holders) == ["jan@acme.nl"]


def test_apply_declined(opened: Store, holders: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    data = b'[organisations."1001"]\nsubmitter = []\n'
    with pytest.raises(Declined):
        apply_service.apply(
            opened,
            OPERATOR,
            timeutil.system_now(),
            data,
            "roles.toml",
            prune=True,
            confirm=Answer(yes=False),
        )
    assert snapshot() == before


def test_an_import_confirmed_on_an_older_store_is_refused(
    opened: Store, holders: Cli, tmp_path: Path
) -> None:
    import io

    csv = b"email,org,name,active\njan@acme.nl,1001,Jan Jansen,0\npiet@acme.nl,1001,Piet,0\n"
    answer = Answer(
        yes=True, meanwhile=lambda: holders.ok("contacts", "set", "piet@acme.nl", "--inactive")
    )
    with pytest.raises(StoreChanged, match="would now deactivate 1 contacts"):
        contact_service.import_csv(
            opened,
            OPERATOR,
            timeutil.system_now(),
            files.CsvFile(io.BytesIO(csv), "contacts.csv"),
            confirm=answer,
        )
    assert answer.questions == [
        "Import contacts.csv: add 0, update 0, deactivate 2 contacts in 1 organisation "
        "(revoking 2 roles)?"
    ]
    active = {c["email"]: c["active"] for c in holders.json("contacts", "list")}
    assert active["jan@acme.nl"] is True, "nothing of the import was written"


def test_a_policy_confirmed_on_an_older_store_is_refused(opened: Store, holders: Cli) -> None:
    data = b"bands = [{ from_employees = 0, maximum = 1 }]\n"
    answer = Answer(yes=True, meanwhile=lambda: holders.ok("revoke", "submitter", "piet@acme.nl"))
    with pytest.raises(StoreChanged, match="with 0 over quota"):
        quota_service.load_policy_file(
            opened, OPERATOR, timeutil.system_now(), data, "policy.toml", confirm=answer
        )
    assert holders.json("policy", "show")["default"] is True


def test_a_quota_confirmed_on_an_older_store_is_refused(opened: Store, holders: Cli) -> None:
    answer = Answer(yes=True, meanwhile=lambda: holders.ok("grant", "submitter", "admin@acme.nl"))
    with pytest.raises(StoreChanged, match="1001 now uses 3 submitter seats, not 2"):
        org_service.update(
            opened,
            OPERATOR,
            timeutil.system_now(),
            "1001",
            quota=1,
            reason="contract 17",
            confirm=answer,
        )
    assert holders.json("org", "show", "1001")["quota_override"] is None


def test_a_declined_quota_raises_declined(opened: Store, holders: Cli) -> None:
    with pytest.raises(Declined):
        org_service.update(
            opened,
            OPERATOR,
            timeutil.system_now(),
            "1001",
            quota=0,
            reason="contract 17",
            confirm=Answer(yes=False),
        )
    assert holders.json("org", "show", "1001")["quota_override"] is None
