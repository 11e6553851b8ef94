"""Bytes that are not UTF-8 on the command line or in an INCIDENTCTL_* variable are exit 2
before any command runs, with one line naming the argument (its bytes escaped), and change
nothing (docs/exit-codes.md). Python hands such bytes to the program as lone surrogates
(``\\udcff`` for the byte 0xff), which every later write of the value failed on: exit 1,
"internal error: UnicodeEncodeError … surrogates not allowed"."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from reliability_support import installed_env, one_error, require_installed

from incidentctl.errors import INVALID_INPUT

BAD = "\udcff"  # the byte 0xff of an argument, as Python gives it
SHOWN = "\\xff"
HINT = (
    "Hint: arguments and INCIDENTCTL_* variables must be UTF-8 (check the locale); a file "
    "whose name is not UTF-8 can be read as - < FILE"
)

# Every kind of place a text reaches a command from: arguments, option values (global and
# of a command, with and without =), e-mail addresses, ids, times, file names.
ARGUMENTS = [
    ("contacts", "add", "y@acme.nl", "--org", "1001", "--name", f"a{BAD}"),
    ("contacts", "add", f"y{BAD}@acme.nl", "--org", "1001", "--name", "Y"),
    ("contacts", "set", "jan@acme.nl", f"--name=Jan{BAD}"),
    ("--as", f"x{BAD}@acme.nl", "quota"),
    ("--db", f"/tmp/st{BAD}re.db", "init"),
    ("--now", f"2024-01-01T10:00{BAD}", "quota"),
    ("grant", "submitter", f"jan@acme.nl{BAD}"),
    ("grant", "submitter", "jan@acme.nl", "--reason", f"new {BAD}"),
    ("org", "add", f"9{BAD}", "--name", "Nine", "--employees", "5"),
    ("org", "set", "1001", "--sector", f"zorg{BAD}"),
    ("contacts", "import", f"contacts{BAD}.csv"),
    ("check", "jan@acme.nl", "--at", f"{BAD}"),
    ("log", "--contact", f"{BAD}"),
    ("incidents", "submit", "--subject", f"help{BAD}"),
    ("--version", f"{BAD}"),
]


@pytest.mark.parametrize("args", ARGUMENTS, ids=lambda args: " ".join(args).replace(BAD, SHOWN))
def test_an_argument_that_is_not_utf8_is_exit_2_naming_it(
    store: Cli, snapshot: Snapshot, args: tuple[str, ...]
) -> None:
    before = snapshot()
    position = next(n for n, arg in enumerate(args, start=1) if BAD in arg)
    run = store.fails(INVALID_INPUT, *args)
    shown = args[position - 1].replace(BAD, SHOWN)
    assert run.stderr.splitlines() == [
        f'Error: argument {position} ("{shown}") is not UTF-8 text',
        HINT,
    ]
    assert run.stdout == ""
    assert snapshot() == before


@pytest.mark.parametrize(
    "variable", ["INCIDENTCTL_AS", "INCIDENTCTL_NOW", "INCIDENTCTL_DB", "INCIDENTCTL_PAGER"]
)
def test_a_variable_that_is_not_utf8_is_exit_2_naming_it(
    store: Cli, snapshot: Snapshot, db_path: Path, variable: str
) -> None:
    before = snapshot()
    value = f"{db_path}{BAD}" if variable == "INCIDENTCTL_DB" else f"x{BAD}"
    run = store.fails(INVALID_INPUT, "contacts", "list", env={variable: value})
    assert run.stderr.splitlines() == [
        f'Error: {variable} ("{value.replace(BAD, SHOWN)}") is not UTF-8 text',
        HINT,
    ]
    assert snapshot() == before


def test_a_surrogate_not_made_from_a_byte_is_shown_as_one(store: Cli) -> None:
    run = store.fails(INVALID_INPUT, "contacts", "show", "a\ud800@acme.nl")
    assert run.error_lines == ['Error: argument 3 ("a\\ud800@acme.nl") is not UTF-8 text']


def test_text_beyond_ascii_is_fine(store: Cli) -> None:
    store.ok("contacts", "add", "zoe@acme.nl", "--org", "1001", "--name", "Zoë Ñúñez 漢字")
    assert store.json("contacts", "show", "zoe@acme.nl")["name"] == "Zoë Ñúñez 漢字"


@pytest.mark.e2e
def test_the_installed_command_refuses_the_bytes(store: Cli, db_path: Path) -> None:
    """As the review found it: ``B=$'\\xff'; incidentctl contacts add … --name "a$B"`` and
    ``--as "x$B@y.nl"`` were exit 1 with a traceback's last line."""
    exe = require_installed()
    before = db_path.read_bytes()
    cases = {
        (b"contacts", b"add", b"y@acme.nl", b"--org", b"1001", b"--name", b"a\xff"): 7,
        (b"--as", b"x\xff@y.nl", b"contacts", b"list"): 2,
    }
    for args, position in cases.items():
        done = subprocess.run(
            [os.fsencode(exe), *args],
            env=installed_env(db_path),
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == INVALID_INPUT, done.stderr
        shown = args[position - 1].decode("utf-8", "backslashreplace")
        assert one_error(done.stderr.decode()) == (
            f'Error: argument {position} ("{shown}") is not UTF-8 text'
        )
        assert b"Traceback" not in done.stderr
    done = subprocess.run(
        [os.fsencode(exe), b"quota"],
        env={**installed_env(db_path), "INCIDENTCTL_AS": os.fsdecode(b"x\xff")},
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == INVALID_INPUT
    assert one_error(done.stderr.decode()) == 'Error: INCIDENTCTL_AS ("x\\xff") is not UTF-8 text'
    assert db_path.read_bytes() == before
