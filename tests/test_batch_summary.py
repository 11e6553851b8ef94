"""What a batch prints (docs/roles-and-quota.md, "What it prints"): in a terminal a batch of
more than 50 rows is summed up (counts per outcome, every refused row, a hint at --verbose);
piped, every row is listed as before; --quiet prints only the summary line; a refused batch
never claims that anything was granted; the hint for an inactive contact names its address; and
reading addresses typed at the terminal is said once."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from reliability_support import installed_env, require_installed
from terminal_support import Terminal, unwrapped, visible

TERMINAL = {"INCIDENTCTL_FORCE_TTY": "120"}
MANY = 60


@pytest.fixture
def many(store: Cli) -> Cli:
    """60 more contacts in Acme (1001), whose maximum is raised to 100."""
    rows = "".join(f"c{n:02}@acme.nl,1001,Contact {n}\n" for n in range(MANY))
    store.ok("contacts", "import", "-", input="email,org,name\n" + rows)
    store.ok("org", "set", "1001", "--quota", "100", "--reason", "test")
    return store


def _addresses(count: int = MANY) -> list[str]:
    return [f"c{n:02}@acme.nl" for n in range(count)]


def _row_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if "@" in line]


# --- in a terminal, a summary ------------------------------------------------------------------


def test_a_large_batch_in_a_terminal_is_summed_up(many: Cli) -> None:
    run = many.ok("grant", "manager", *_addresses(), env=TERMINAL)
    assert _row_lines(run.stdout) == []
    assert run.stdout.splitlines() == [
        "(60 rows not listed; --verbose lists every row)",
        "60 granted, 0 revoked, 0 unchanged, 0 refused; done",
    ]


def test_a_summary_lists_every_refused_row(many: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = many("grant", "manager", *_addresses(), "nobody@acme.nl", "x@nowhere.nl", env=TERMINAL)
    assert run.exit_code == 3
    assert _row_lines(run.stdout) == [
        "refused       nobody@acme.nl  no such contact (argument 61)",
        "refused       x@nowhere.nl  no such contact (argument 62)",
    ]
    assert run.stdout.splitlines()[-2:] == [
        "(60 of 62 rows not listed; --verbose lists every row)",
        "refused: 2 of 62 rows; nothing was written (60 would be granted)",
    ]
    assert snapshot() == before


@pytest.mark.parametrize("flag", ["--verbose", "-v"])
def test_verbose_lists_every_row_in_a_terminal(many: Cli, flag: str) -> None:
    run = many.ok("grant", "manager", *_addresses(), flag, env=TERMINAL)
    lines = _row_lines(run.stdout)
    assert len(lines) == MANY
    assert all(line.startswith("granted       c") for line in lines)
    assert "--verbose" not in run.stdout


def test_fifty_rows_are_still_listed(many: Cli) -> None:
    run = many.ok("grant", "manager", *_addresses(50), env=TERMINAL)
    assert len(_row_lines(run.stdout)) == 50
    assert "not listed" not in run.stdout


def test_piped_every_row_is_listed(many: Cli) -> None:
    run = many.ok("grant", "manager", *_addresses())
    assert len(_row_lines(run.stdout)) == MANY
    assert run.stdout.splitlines()[-1] == "60 granted, 0 revoked, 0 unchanged, 0 refused; done"


def test_json_is_never_summed_up(many: Cli) -> None:
    run = many.ok("grant", "manager", *_addresses(), "--json", env=TERMINAL)
    assert len(run.json()["results"]) == MANY  # type: ignore[index]


# --- --quiet ----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", [TERMINAL, {}])
@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_prints_the_summary_line_only(many: Cli, env: dict[str, str], flag: str) -> None:
    granted = many.ok("grant", "manager", *_addresses(), flag, env=env)
    assert granted.stdout == "60 granted, 0 revoked, 0 unchanged, 0 refused; done\n"
    revoked = many.ok("revoke", "manager", *_addresses(), flag, env=env)
    assert revoked.stdout == "0 granted, 60 revoked, 0 unchanged, 0 refused; done\n"


def test_quiet_still_reports_errors_on_stderr(many: Cli) -> None:
    run = many.fails(3, "grant", "manager", "c01@acme.nl", "nobody@acme.nl", "-q")
    assert run.stdout == "refused: 1 of 2 rows; nothing was written (1 would be granted)\n"
    assert run.error_lines == ["Error: grant refused for 1 row: no such contact (argument 2)"]


def test_quiet_and_verbose_exclude_each_other(many: Cli) -> None:
    many.fails(2, "grant", "manager", "c01@acme.nl", "-q", "-v")


def test_quiet_imports_and_apply(many: Cli, tmp_path: Path) -> None:
    contacts = many.ok(
        "contacts", "import", "-", "-q", input="email,org,name\nnew@acme.nl,1001,New\n"
    )
    assert contacts.stdout == "Imported <stdin>: 1 added, 0 updated, 0 unchanged\n"
    orgs = many.ok("org", "import", "-", "-q", input="id,name,employees\n3003,Initech,5\n")
    assert orgs.stdout == "Imported <stdin>: 1 added, 0 updated, 0 unchanged\n"
    path = tmp_path / "roles.toml"
    path.write_text('[organisations."1001"]\nmanager = ["jan@acme.nl"]\n')
    applied = many.ok("apply", str(path), "--quiet")
    assert applied.stdout == "Applied: granted 1, revoked 0.\n"


# --- apply ------------------------------------------------------------------------------------


def test_a_large_apply_in_a_terminal_is_summed_up(many: Cli, tmp_path: Path) -> None:
    path = tmp_path / "roles.toml"
    listed = ", ".join(f'"{email}"' for email in _addresses())
    path.write_text(f'[organisations."1001"]\nmanager = [{listed}]\n')
    dry = many.ok("apply", str(path), "--dry-run", env=TERMINAL)
    assert dry.stdout.splitlines() == [
        f"Plan for {path}:",
        "  grant 60, revoke 0, keep 0 not in file",
        "  (60 lines not listed; --verbose lists every change)",
        "  0 already as in the file",
        "Dry run: would grant 60 and revoke 0; the quota allows it; nothing was written.",
    ]
    verbose = many.ok("apply", str(path), "--dry-run", "--verbose", env=TERMINAL)
    assert len(_row_lines(verbose.stdout)) == MANY
    piped = many.ok("apply", str(path))
    assert len(_row_lines(piped.stdout)) == MANY


# --- what a refused or dry-run batch says ---------------------------------------------------------


def test_a_refused_batch_never_claims_a_grant(store: Cli) -> None:
    run = store.fails(3, "grant", "submitter", "jan@acme.nl", "nobody@acme.nl")
    last = run.stdout.splitlines()[-1]
    assert last == "refused: 1 of 2 rows; nothing was written (1 would be granted)"
    assert "granted" not in last.replace("would be granted", "")


def test_a_refused_dry_run_and_a_dry_run(store: Cli) -> None:
    store.ok("grant", "manager", "jan@acme.nl")
    refused = store.fails(
        3, "revoke", "manager", "jan@acme.nl", "piet@acme.nl", "x@acme.nl", "--dry-run"
    )
    assert refused.stdout.splitlines()[-1] == (
        "refused: 1 of 3 rows; dry run: nothing was written (1 would be revoked, 1 unchanged)"
    )
    dry = store.ok("revoke", "manager", "jan@acme.nl", "--dry-run")
    assert dry.stdout.splitlines()[-1] == (
        "1 would be revoked, 0 unchanged, 0 refused; dry run: nothing was written"
    )


def test_the_hint_for_an_inactive_contact_names_its_address(store: Cli) -> None:
    store.ok("contacts", "set", "piet@acme.nl", "--inactive")
    run = store.fails(2, "grant", "submitter", "jan@acme.nl", "PIET@acme.nl")
    assert run.stderr.splitlines() == [
        "Error: grant refused for 1 row: the contact is inactive (argument 2)",
        "Hint: activate the contact first: incidentctl contacts set piet@acme.nl --active; "
        "nothing was written",
    ]
    store.ok("contacts", "set", "piet@acme.nl", "--active")
    store.ok("grant", "submitter", "jan@acme.nl", "PIET@acme.nl")


def test_the_hint_for_a_malformed_address_asks_for_a_correction(store: Cli) -> None:
    run = store.fails(2, "grant", "submitter", "not-an-address")
    assert run.stderr.splitlines()[1] == "Hint: correct the refused rows; nothing was written"


# --- reading from the keyboard ----------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize("columns", [80, 200])
def test_reading_addresses_from_the_terminal_is_said_once(
    store: Cli, db_path: Path, columns: int
) -> None:
    require_installed()
    terminal = Terminal(
        ["grant", "manager", "--file", "-"], installed_env(db_path), columns=columns
    )
    terminal.wait_for("end with Ctrl-D")
    terminal.type("jan@acme.nl\npiet@acme.nl\n\x04")
    code, text = terminal.finish()
    shown = unwrapped(visible(text, columns), columns)
    assert code == 0, shown
    assert shown.count("reading addresses from standard input; end with Ctrl-D") == 1
    assert "2 granted, 0 revoked, 0 unchanged, 0 refused; done" in shown


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["contacts", "import", "-"], "reading contacts (CSV) from standard input"),
        (["org", "import", "-"], "reading organisations (CSV) from standard input"),
        (["apply", "-"], "reading the TOML file from standard input"),
        (["policy", "load", "-"], "reading the TOML policy from standard input"),
    ],
)
def test_every_command_reading_the_terminal_says_so(
    store: Cli, db_path: Path, args: list[str], said: str
) -> None:
    require_installed()
    terminal = Terminal(args, installed_env(db_path), columns=120)
    terminal.wait_for(re.escape(said + "; end with Ctrl-D"))
    terminal.type("\x04")
    terminal.finish()


def test_nothing_is_said_when_stdin_is_not_a_terminal(store: Cli) -> None:
    run = store.ok("grant", "manager", "--file", "-", input="jan@acme.nl\n")
    assert run.stderr == ""


@pytest.mark.e2e
def test_a_refused_portal_user_is_not_told_to_type(store: Cli, db_path: Path) -> None:
    """The check comes before the reading, so the notice would be a false promise."""
    require_installed()
    code, text = Terminal(
        ["--as", "jan@acme.nl", "contacts", "import", "-"], installed_env(db_path)
    ).finish()
    assert code == 4
    assert "standard input" not in text


# --- loading a batch holds no lock ----------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.slow
def test_a_slow_stdin_holds_no_lock(store: Cli, db_path: Path) -> None:
    """``grant --file -`` loads its batch before it takes the write lock: while it waits for
    the rest of its input, another process writes freely."""
    exe = require_installed()
    env = installed_env(db_path, INCIDENTCTL_BUSY_TIMEOUT="1")
    read_end, write_end = os.pipe()
    granting = subprocess.Popen(
        [str(exe), "grant", "manager", "--file", "-", "--json"],
        env=env,
        stdin=read_end,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(read_end)
    os.write(write_end, b"jan@acme.nl\n")
    time.sleep(0.5)  # the batch has read what there is, and waits
    writer = subprocess.run(
        [str(exe), "org", "add", "3003", "--name", "Initech", "--employees", "5"],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert writer.returncode == 0, writer.stderr
    os.write(write_end, b"piet@acme.nl\n")
    os.close(write_end)
    stdout, stderr = granting.communicate(timeout=60)
    assert granting.returncode == 0, stderr
    assert b'"granted": 2' in stdout
