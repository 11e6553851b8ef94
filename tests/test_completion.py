"""Shell completion (README, "Shell completion"): command and option names, role names in both
languages, and organisation ids and contact addresses from the store given by --db or
INCIDENTCTL_DB (or the default), by prefix from an index, at most 100. A missing or broken
store completes nothing, silently, and completing never changes the store.

These run the completion protocol of bash (and zsh and fish) in-process, as the script that
``--show-completion`` prints would; tests/test_completion_bash.py presses TAB in a real bash.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import Cli, build_store
from reliability_support import require_installed

from incidentctl.cli.bashcompletion import typed_words
from incidentctl.roles import defined, parse_role
from incidentctl.services.completion import LIMIT
from incidentctl.store import completion as completion_store


def complete(cli: Cli, line: str, env: dict[str, str | None] | None = None) -> list[str]:
    """What bash gets when TAB is pressed at the end of ``line``."""
    words = line.split(" ")
    run = cli(
        env={
            "_INCIDENTCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
            **(env or {}),
        }
    )
    assert run.exit_code == 0, run.stderr
    assert run.stderr == "", "completing never writes to the terminal's stderr"
    return [answer for answer in run.stdout.splitlines() if answer]


# --- names the CLI knows --------------------------------------------------------------------


def test_command_names(cli: Cli) -> None:
    assert complete(cli, "incidentctl gr") == ["grant"]
    assert complete(cli, "incidentctl wh") == ["where"]
    assert complete(cli, "incidentctl contacts s") == ["set", "show"]
    every = complete(cli, "incidentctl ")
    assert {"init", "grant", "revoke", "recount", "doctor", "where"} <= set(every)


def test_option_names(cli: Cli) -> None:
    assert set(complete(cli, "incidentctl contacts list --")) >= {
        "--org",
        "--role",
        "--pending",
        "--csv",
        "--json",
    }
    assert set(complete(cli, "incidentctl --")) >= {"--db", "--as", "--now", "--install-completion"}


def test_role_names_in_both_languages(cli: Cli) -> None:
    names = complete(cli, "incidentctl grant ")
    assert names == [
        "submitter",
        "manager",
        "Incidentenbeheer",
        "Incidentbeheer",
        "Incidentmanagement",
        "Incidentenmanagement",
    ]
    assert {name.lower() for name in names} == {
        "submitter",
        "manager",
        "incidentenbeheer",
        "incidentbeheer",
        "incidentmanagement",
        "incidentenmanagement",
    }
    assert {parse_role(name) for name in names} == set(defined())
    assert complete(cli, "incidentctl revoke Incidenten") == [
        "Incidentenbeheer",
        "Incidentenmanagement",
    ]
    # In any case: what was typed is kept, the rest completed.
    assert complete(cli, "incidentctl grant incidentm") == ["incidentmanagement"]
    assert complete(cli, "incidentctl contacts list --role m") == ["manager"]


# --- values from the store ------------------------------------------------------------------


def test_organisation_ids(store: Cli) -> None:
    assert complete(store, "incidentctl org show ") == ["1001", "2002"]
    assert complete(store, "incidentctl org show 2") == ["2002"]
    assert complete(store, "incidentctl org set 1") == ["1001"]
    assert complete(store, "incidentctl quota ") == ["show", "explain", "list", "1001", "2002"]
    assert complete(store, "incidentctl quota 2") == ["2002"]
    assert complete(store, "incidentctl quota e") == ["explain"]
    assert complete(store, "incidentctl quota --j") == ["--json"]
    assert complete(store, "incidentctl quota show ") == ["1001", "2002"]
    assert complete(store, "incidentctl quota explain ") == ["1001", "2002"]
    assert complete(store, "incidentctl quota 1001 ") == []
    assert complete(store, "incidentctl quota list ") == []
    for line in (
        "incidentctl contacts list --org ",
        "incidentctl contacts add x@acme.nl --org ",
        "incidentctl log --org ",
        "incidentctl pending --org ",
        "incidentctl incidents list --org ",
    ):
        assert complete(store, line) == ["1001", "2002"], line
    assert complete(store, "incidentctl org add ") == [], "a new id: nothing to offer"


def test_contact_addresses(store: Cli) -> None:
    assert complete(store, "incidentctl contacts show j") == ["jan@acme.nl"]
    for line in (
        "incidentctl contacts set p",
        "incidentctl check p",
        "incidentctl login p",
        "incidentctl grant submitter p",
        "incidentctl grant manager jan@acme.nl p",
        "incidentctl revoke Incidentenbeheer p",
        "incidentctl log --contact p",
        "incidentctl --as p",
    ):
        assert complete(store, line) == ["piet@acme.nl"], line
    assert complete(store, "incidentctl contacts add p") == [], "a new address"


def test_addresses_in_any_case_keep_what_was_typed(store: Cli) -> None:
    assert complete(store, "incidentctl check JA") == ["JAn@acme.nl"]
    assert complete(store, "incidentctl check G") == ["Gina@globex.nl"]


def test_all_addresses_in_order(store: Cli) -> None:
    assert complete(store, "incidentctl contacts show ") == [
        "admin@acme.nl",
        "gina@globex.nl",
        "jan@acme.nl",
        "piet@acme.nl",
    ]


# --- as the portal user of --as -------------------------------------------------------------


def test_a_portal_admin_is_offered_only_its_own_organisation(store: Cli) -> None:
    """As the review found it: under INCIDENTCTL_AS a portal admin of one organisation was
    offered another's contacts (``grant submitter g<TAB>`` gave ``gina@globex.nl``) and ids."""
    for as_admin, env in (
        ("incidentctl --as admin@acme.nl", None),
        ("incidentctl --as=ADMIN@acme.nl", None),
        ("incidentctl", {"INCIDENTCTL_AS": "admin@acme.nl"}),
    ):
        assert complete(store, f"{as_admin} grant submitter ", env) == [
            "admin@acme.nl",
            "jan@acme.nl",
            "piet@acme.nl",
        ]
        assert complete(store, f"{as_admin} contacts show g", env) == []
        assert complete(store, f"{as_admin} org show ", env) == ["1001"]
        assert complete(store, f"{as_admin} quota 2", env) == []
        assert complete(store, f"{as_admin} contacts list --org ", env) == ["1001"]
    # The operator still gets everything.
    assert complete(store, "incidentctl contacts show g") == ["gina@globex.nl"]


def test_a_contact_that_is_not_a_portal_admin_is_offered_itself_and_its_admins(
    store: Cli,
) -> None:
    as_jan = "incidentctl --as jan@acme.nl"
    assert complete(store, f"{as_jan} contacts show ") == ["admin@acme.nl", "jan@acme.nl"]
    assert complete(store, f"{as_jan} check p") == []
    assert complete(store, f"{as_jan} org show ") == ["1001"]


@pytest.mark.parametrize(
    "as_user",
    [
        ("--as", "nobody@acme.nl"),
        ("--as", "jan@acme.nl"),  # made inactive below
        ("--as", "''"),
    ],
    ids=["unknown", "inactive", "empty"],
)
def test_a_portal_user_who_may_do_nothing_is_offered_nothing(
    store: Cli, as_user: tuple[str, str]
) -> None:
    store.ok("contacts", "set", "jan@acme.nl", "--inactive")
    line = "incidentctl " + " ".join(as_user)
    assert complete(store, f"{line} contacts show ") == []
    assert complete(store, f"{line} org show ") == []
    assert complete(store, f"{line} gr") == ["grant"], "names still complete"
    assert complete(store, "incidentctl org show ", env={"INCIDENTCTL_AS": ""}) == []


# --- as bash splits the line ------------------------------------------------------------------


def bash_words(line: str) -> tuple[str, int]:
    """COMP_WORDS and COMP_CWORD as the script Typer installs passes them: bash's words,
    split at blanks and at @, = and : (COMP_WORDBREAKS), joined by line ends."""
    words = re.findall(r"[@=:]+|[^\s@=:]+", line)
    if line.endswith(" "):
        words.append("")
    return "\n".join(words), len(words) - 1


def complete_in_bash(cli: Cli, line: str) -> list[str]:
    comp_words, comp_cword = bash_words(line)
    run = cli(
        env={
            "_INCIDENTCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": comp_words,
            "COMP_CWORD": str(comp_cword),
        }
    )
    assert run.exit_code == 0, run.stderr
    assert run.stderr == ""
    return [answer for answer in run.stdout.splitlines() if answer]


@pytest.mark.parametrize(
    ("line", "answers"),
    [
        # readline replaces from the @ on (an @ stays in the word it completes) ...
        ("incidentctl contacts show jan@ac", ["@acme.nl"]),
        ("incidentctl contacts show jan@", ["@acme.nl"]),
        # ... and from a = or : on, not including it.
        ("incidentctl --as=adm", ["admin@acme.nl"]),
        ("incidentctl --as=admin@acme.nl contacts show p", ["piet@acme.nl"]),
        ("incidentctl --as admin@acme.nl contacts show g", []),
        ("incidentctl --as admin@acme.nl grant sub", ["submitter"]),
        ("incidentctl --as admin@acme.nl contacts sh", ["show"]),
        ("incidentctl --now 2024-01-01T10:00 contacts show pi", ["piet@acme.nl"]),
        ("incidentctl --as admin@acme.nl org show ", ["1001"]),
        ("incidentctl gr", ["grant"]),
        ("incidentctl ", None),
    ],
)
def test_bash_words_split_at_an_at_sign_are_completed_as_typed(
    store: Cli, line: str, answers: list[str] | None
) -> None:
    """bash hands ``jan@ac`` on as ``jan``, ``@``, ``ac``: completed from ``ac``, and an
    ``--as`` earlier on the line threw off every word after it (``contacts show b<TAB>``
    gave ``backup``). The answer is the part readline replaces."""
    got = complete_in_bash(store, line)
    if answers is None:
        assert {"grant", "contacts", "init"} <= set(got)
    else:
        assert got == answers


@pytest.mark.e2e
def test_the_bash_script_is_typers(store: Cli) -> None:
    """The class that completes bash lines prints the script ``--install-completion`` and
    ``--show-completion`` write (Typer's), so both always agree."""
    run = store(env={"_INCIDENTCTL_COMPLETE": "source_bash"})
    assert run.exit_code == 0
    shown = subprocess.run(
        [str(require_installed()), "--show-completion", "bash"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    ).stdout
    assert run.stdout.strip() == shown.strip()


@pytest.mark.parametrize(
    ("words", "current", "typed"),
    [
        (["incidentctl", "show", "jan", "@", "ac"], 4, (["incidentctl", "show"], "jan@ac", 3)),
        (["incidentctl", "show", "jan", "@"], 3, (["incidentctl", "show"], "jan@", 3)),
        (["incidentctl", "--as", "=", "a"], 3, (["incidentctl"], "--as=a", 5)),
        (
            ["incidentctl", "show", "x", ":", "y", "@", "z"],
            6,
            (["incidentctl", "show"], "x:y@z", 3),
        ),
        (["incidentctl", "show", "a", "@", "b", "c"], 5, (["incidentctl", "show", "a@b"], "c", 0)),
        (["incidentctl", "gr"], 1, (["incidentctl"], "gr", 0)),
        (["incidentctl", "show"], 2, (["incidentctl", "show"], "", 0)),
    ],
)
def test_the_words_bash_split_are_joined_again(
    words: list[str], current: int, typed: tuple[list[str], str, int]
) -> None:
    assert typed_words(words, current) == typed


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("crowded")
    rows = "".join(f"user{i:03d}@crowd.example.nl,1,User {i}\n" for i in range(250))
    (folder / "contacts.csv").write_text("email,org,name\n" + rows, encoding="utf-8")
    return build_store(
        folder / "crowded.db",
        (
            ("init",),
            ("org", "add", "1", "--name", "Crowd", "--employees", "250"),
            ("contacts", "import", str(folder / "contacts.csv")),
        ),
    )


def test_at_most_a_hundred_answers(crowded: Path, cli: Cli) -> None:
    answers = complete(cli, f"incidentctl --db {crowded} contacts show u")
    assert len(answers) == LIMIT == 100
    assert answers == [f"user{i:03d}@crowd.example.nl" for i in range(100)]
    assert complete(cli, f"incidentctl --db {crowded} contacts show user24") == [
        f"user{i}@crowd.example.nl" for i in range(240, 250)
    ]


# --- which store --------------------------------------------------------------------------


def test_the_store_given_by_db_the_environment_or_the_default(
    store: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.db"
    store.ok("--db", str(other), "init")
    store.ok("--db", str(other), "org", "add", "777", "--name", "Other", "--employees", "1")
    assert complete(store, f"incidentctl --db {other} org show ") == ["777"]
    assert complete(store, "incidentctl org show ") == ["1001", "2002"]  # INCIDENTCTL_DB

    from incidentctl.paths import default_store_path

    monkeypatch.delenv("INCIDENTCTL_DB")
    store.ok("init")
    store.ok("org", "add", "555", "--name", "Default", "--employees", "1")
    assert default_store_path().exists()
    assert complete(store, "incidentctl org show ") == ["555"]


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a database at all\n" * 50)


def _other_application(path: Path) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    "make",
    [None, _garbage, _other_application, _fifo, _folder],
    ids=["missing", "garbage", "other-application", "fifo", "folder"],
)
def test_a_missing_or_broken_store_completes_nothing_silently(
    cli: Cli, tmp_path: Path, make: object
) -> None:
    path = tmp_path / "broken.db"
    if callable(make):
        make(path)
    before = path.read_bytes() if path.is_file() else None
    for line in (f"incidentctl --db {path} org show ", f"incidentctl --db {path} check a"):
        assert complete(cli, line) == []
    assert complete(cli, f"incidentctl --db {path} gr") == ["grant"], "names still complete"
    if make is None:
        assert not path.exists(), "completion never creates a store"
    if before is not None:
        assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ([] if make is None else ["broken.db"])


def test_an_empty_db_completes_nothing(store: Cli) -> None:
    assert complete(store, "incidentctl --db '' org show ") == []
    assert complete(store, "incidentctl org show ", env={"INCIDENTCTL_DB": ""}) == []


def test_completing_changes_nothing(store: Cli, db_path: Path) -> None:
    """Not the content, not the mode (a command would make it private), no file beside it."""
    db_path.chmod(0o644)
    before = db_path.read_bytes()
    files = sorted(p.name for p in db_path.parent.iterdir())
    assert complete(store, "incidentctl contacts show ") != []
    assert db_path.read_bytes() == before
    assert db_path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in db_path.parent.iterdir()) == files


def test_the_queries_search_an_index(crowded: Path) -> None:
    """By prefix from an index, never a scan: the same answer time with a million contacts
    (the benchmark measures it)."""
    conn = sqlite3.connect(crowded)
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        assert len(completion_store.contacts(conn, "user1", LIMIT)) == 100
        assert completion_store.organisations(conn, "1", LIMIT) == [("1", "Crowd")]
        # As a portal user: its organisation's contacts, or itself and its admins.
        assert completion_store.portal_user(conn, "USER007@crowd.example.nl") == (8, "1", False)
        assert len(completion_store.contacts(conn, "user1", LIMIT, org_id="1")) == 100
        mine = completion_store.contacts(conn, "user", LIMIT, org_id="1", contact_id=8)
        assert mine == [("user007@crowd.example.nl", "User 7")]
        assert completion_store.organisations(conn, "", LIMIT, org_id="1") == [("1", "Crowd")]
        conn.set_trace_callback(None)
        assert len(seen) == 6
        for statement in seen:
            plan = [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
            assert all(step.startswith("SEARCH") for step in plan), plan
            assert any("INDEX" in step for step in plan), plan
    finally:
        conn.close()


# --- the scripts and the other shells ---------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o default -F _incidentctl_completion incidentctl"),
        ("zsh", "compdef _incidentctl_completion incidentctl"),
        ("fish", "complete --command incidentctl"),
    ],
)
def test_show_completion_prints_the_script_of_each_shell(shell: str, marker: str) -> None:
    """Typer reads whether to detect the shell when it builds the command line, so this runs
    the installed incidentctl (asked for a shell by name, as in the README)."""
    exe = require_installed()
    done = subprocess.run(
        [str(exe), "--show-completion", shell],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert "_INCIDENTCTL_COMPLETE" in done.stdout


def test_zsh_and_fish_get_addresses_with_names(store: Cli) -> None:
    zsh = store(
        env={
            "_INCIDENTCTL_COMPLETE": "complete_zsh",
            "_TYPER_COMPLETE_ARGS": "incidentctl contacts show j",
        }
    )
    assert zsh.exit_code == 0
    assert '"jan@acme.nl":"Jan Jansen"' in zsh.stdout
    fish = store(
        env={
            "_INCIDENTCTL_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "incidentctl org show 2",
        }
    )
    assert fish.exit_code == 0
    assert fish.stdout.splitlines() == ["2002\tGlobex"]
