"""The error contract (docs/exit-codes.md): one ``Error:`` line on stderr, optionally one ``Hint:``
line, the exit code of its cause, and a traceback only with ``--debug``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Cli

from incidentctl import errors
from incidentctl.errors import (
    INTERNAL_ERROR,
    INVALID_INPUT,
    NOT_AUTHORIZED,
    NOT_FOUND,
    STORE_UNAVAILABLE,
)


def test_exit_codes_are_the_contract() -> None:
    assert (
        errors.OK,
        errors.INTERNAL_ERROR,
        errors.INVALID_INPUT,
        errors.NOT_FOUND,
        errors.NOT_AUTHORIZED,
        errors.QUOTA_EXCEEDED,
        errors.STORE_UNAVAILABLE,
    ) == (0, 1, 2, 3, 4, 5, 6)
    assert errors.InvalidInput("x").exit_code == 2
    assert errors.NotFound("x").exit_code == 3
    assert errors.NotAuthorized("x").exit_code == 4
    assert errors.QuotaExceeded("x").exit_code == 5
    assert errors.StoreUnavailable("x").exit_code == 6


@pytest.mark.parametrize(
    ("code", "command"),
    [
        (INVALID_INPUT, ("nosuchcommand",)),
        (INVALID_INPUT, ("contacts", "nosuchsubcommand")),
        (INVALID_INPUT, ("contacts", "list", "--bogus")),
        (INVALID_INPUT, ("--bogus", "contacts", "list")),
        (INVALID_INPUT, ("org", "add", "1")),  # missing options
        (INVALID_INPUT, ("org", "show")),  # missing argument
        (INVALID_INPUT, ("org", "show", "1001", "extra")),
        (INVALID_INPUT, ("org", "add", "3", "--name", "N", "--employees", "3.5")),
        (INVALID_INPUT, ("contacts", "add", "bad", "--org", "1001", "--name", "X")),
        (INVALID_INPUT, ("contacts", "list", "--role", "boss")),
        (INVALID_INPUT, ("--now", "whenever", "org", "list")),
        (INVALID_INPUT, ("log", "--limit", "0")),
        (NOT_FOUND, ("org", "show", "9999")),
        (NOT_FOUND, ("contacts", "show", "nobody@acme.nl")),
        (NOT_FOUND, ("contacts", "list", "--org", "9999")),
        (NOT_AUTHORIZED, ("--as", "jan@acme.nl", "org", "set", "1001", "--name", "X")),
        (NOT_AUTHORIZED, ("--as", "nobody@acme.nl", "contacts", "list")),
        (STORE_UNAVAILABLE, ("--db", "/nonexistent/folder/store.db", "contacts", "list")),
    ],
)
def test_each_error_is_one_line_with_its_exit_code(
    store: Cli, code: int, command: tuple[str, ...]
) -> None:
    run = store.fails(code, *command)
    assert run.stdout == "", "errors never go to stdout"
    assert len(run.error_lines) == 1


def test_usage_errors_hint_at_the_help_of_the_command(store: Cli) -> None:
    run = store.fails(INVALID_INPUT, "contacts", "list", "--bogus")
    assert "--bogus" in run.error_lines[0]
    assert "incidentctl contacts list --help" in run.stderr


def test_no_traceback_without_debug_and_one_with_it(store: Cli) -> None:
    plain = store.fails(NOT_FOUND, "org", "show", "9999")
    assert "Traceback" not in plain.stderr
    debug = store("--debug", "org", "show", "9999")
    assert debug.exit_code == NOT_FOUND
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.error_lines == plain.error_lines, "the error line is still there"


def test_an_internal_error_is_exit_1_with_a_hint_to_report_it(store: Cli, db_path: Path) -> None:
    """A store someone damaged by hand (a table dropped): a bug-like failure, no traceback."""
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE published_counts")
    conn.commit()
    conn.close()
    run = store.fails(INTERNAL_ERROR, "quota")
    assert "internal error" in run.error_lines[0]
    assert "--debug" in run.stderr
    debug = store("--debug", "quota")
    assert debug.exit_code == INTERNAL_ERROR
    assert "Traceback" in debug.stderr


def test_error_lines_stay_one_line_and_free_of_control_characters(store: Cli) -> None:
    run = store.fails(INVALID_INPUT, "contacts", "show", "evil\x1b[2J\nline@acme.nl")
    assert "\x1b" not in run.stderr
    run = store.fails(NOT_FOUND, "org", "show", "multi\nline")
    assert "\x1b" not in run.stderr
    run = store.fails(NOT_AUTHORIZED, "--as", "x\ny@acme.nl", "contacts", "list")
    assert "\x1b" not in run.stderr


def test_version_and_help(cli: Cli) -> None:
    from incidentctl import __version__

    assert cli.ok("--version").stdout.strip() == f"incidentctl {__version__}"
    help_text = cli.ok("--help").stdout
    assert "Usage:" in help_text
    for command in ("init", "org", "contacts", "log", "doctor", "backup", "settings"):
        assert command in help_text
    assert "contacts list" in cli.ok("contacts", "list", "--help").stdout.replace("\n", " ")


@pytest.mark.parametrize("command", [(), ("org",), ("contacts",)])
def test_a_group_without_a_command_shows_readable_help(cli: Cli, command: tuple[str, ...]) -> None:
    run = cli(*command)
    output = run.stdout + run.stderr
    assert "Error:" not in output
    assert "Usage:" in output
    # The root lists its commands in groups (tests/test_help.py), the other groups in one list.
    assert ("Setting up:" if not command else "Commands:") in output
    assert len(output.splitlines()) > 5
