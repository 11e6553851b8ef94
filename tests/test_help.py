"""Help that teaches (docs/cli.md): every command's --help has examples that incidentctl
accepts as written, the root help groups the commands by what an administrator is doing,
usage lines read as people write them, and example blocks keep their lines."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
import typer.main
from help_support import command_lines, examples, parse
from typer.core import TyperGroup

from incidentctl.cli import app, helpformat
from incidentctl.cli.clickapi import ClickException
from incidentctl.cli.reference import PROG_NAME, iter_commands, iter_help

SCRIPT = Path(sys.executable).parent / "incidentctl"
HELP = dict(iter_help(app))
COMMANDS = {ctx.command_path: (ctx, command) for ctx, command in iter_commands(app)}
TERMINAL_WIDTH = 80


def all_examples() -> Iterator[tuple[str, str]]:
    for path, text in HELP.items():
        for line in examples(text):
            yield path, line


# --- every command has examples, and they are command lines incidentctl accepts ----------


@pytest.mark.parametrize("path", list(HELP))
def test_every_command_has_an_example(path: str) -> None:
    found = examples(HELP[path])
    assert found, f"'{path} --help' has no Example:/Examples: with indented command lines"
    for line in found:
        assert line.strip().startswith(f"{PROG_NAME} "), f"{path}: {line!r}"


@pytest.mark.parametrize(
    ("path", "example"), list(all_examples()), ids=[e.strip() for _, e in all_examples()]
)
def test_every_example_is_accepted_as_written(path: str, example: str) -> None:
    invocations = command_lines(example.strip())
    assert invocations, example
    for argv in invocations:
        try:
            parse(argv)
        except ClickException as exc:
            pytest.fail(f"{path}: '{example.strip()}' is refused: {exc.format_message()}")


@pytest.mark.parametrize("path", list(HELP))
def test_some_example_runs_the_command_itself(path: str) -> None:
    """A recipe may start with another command (policy show > policy.toml), but some line
    runs the command whose help it is (for a group: a command of that group)."""
    reached = [parse(argv) for line in examples(HELP[path]) for argv in command_lines(line)]
    if isinstance(COMMANDS[path][1], TyperGroup):
        assert any(r.startswith(path) for r in reached), f"{path}: {reached}"
    else:
        assert path in reached, f"no example of {path} runs it: {reached}"


def test_examples_fit_a_terminal_of_80_columns() -> None:
    wide = [(p, e) for p, e in all_examples() if len(e) > TERMINAL_WIDTH]
    assert not wide, wide


def test_the_example_reader_finds_and_refuses() -> None:
    text = "  Run it.\n\n  Examples:\n\n    incidentctl a\n    incidentctl b\n\n  After.\n"
    assert [line.strip() for line in examples(text)] == ["incidentctl a", "incidentctl b"]
    assert examples("  Examples: incidentctl a\n") == []
    assert command_lines("incidentctl log --csv > log.csv") == [["log", "--csv"]]
    assert command_lines("incidentctl a --csv | incidentctl --db x b -") == [
        ["a", "--csv"],
        ["--db", "x", "b", "-"],
    ]
    assert command_lines("incidentctl check x --json | jq .submit") == [["check", "x", "--json"]]
    assert parse(["grant", "submitter", "jan@acme.nl"]) == "incidentctl grant"
    assert parse(["quota"]) == "incidentctl quota"
    assert parse(["quota", "--json", "1001"]) == "incidentctl quota show"
    assert parse(["quota", "explain", "1001"]) == "incidentctl quota explain"
    assert parse(["--db", "x.db", "org", "add", "1", "--name", "A", "--employees", "3"]) == (
        "incidentctl org add"
    )
    for wrong in (
        ["grant"],
        ["org", "add", "1"],
        ["org", "add", "1", "--name", "A", "--employees", "many"],
        ["quota", "--colour"],
        ["nosuch"],
    ):
        with pytest.raises((ClickException, AssertionError)):
            parse(wrong)


# --- the root help groups the commands --------------------------------------------------


def sections(text: str) -> dict[str, list[str]]:
    """The sections of a help text (``Heading:`` lines) with the first word of each entry."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            current = found.setdefault(line[:-1], [])
        elif current is not None and line.startswith("  ") and not line.startswith("   "):
            current.append(line.split()[0])
        elif not line.strip():
            current = None if current is not None and current == [] else current
    return found


GROUPS = {
    "Setting up": ["init", "org", "contacts", "policy", "settings"],
    "Daily work": ["grant", "revoke", "apply", "quota", "check", "pending"],
    "The nightly job": ["recount", "backup"],
    "Looking into things": ["log", "readiness", "doctor", "where", "login", "incidents", "clock"],
}


def test_the_root_help_groups_every_command() -> None:
    found = sections(HELP[PROG_NAME])
    groups = {title: names for title, names in found.items() if title in GROUPS}
    assert groups == GROUPS
    order = [title for title in found if title not in ("Usage", "Options", "Examples")]
    assert order == list(GROUPS), "the groups in this order, and no other list of commands"
    assert "Commands" not in found
    assert helpformat.UNGROUPED not in found
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    visible = sorted(name for name, command in root.commands.items() if not command.hidden)
    assert sorted(name for names in GROUPS.values() for name in names) == visible


def test_the_groups_line_up_as_one_list() -> None:
    text = HELP[PROG_NAME]
    names = {name for names in GROUPS.values() for name in names}
    columns = {
        len(line) - len(line.split(None, 1)[1])
        for line in text.splitlines()
        if line.startswith("  ") and line.split() and line.split()[0] in names
    }
    assert len(columns) == 1, columns


def test_a_command_in_no_group_is_still_listed() -> None:
    extra = typer.Typer(cls=type(typer.main.get_command(app)), rich_markup_mode=None)

    @extra.command("grant")
    def grant() -> None:
        """Grant."""

    @extra.command("frobnicate")
    def frobnicate() -> None:
        """Something new."""

    command = typer.main.get_command(extra)
    text = command.get_help(command.make_context("x", ["--help"], resilient_parsing=True))
    found = sections(text)
    assert found["Daily work"] == ["grant"]
    assert found[helpformat.UNGROUPED] == ["frobnicate"]


# --- usage lines and arguments as people write them -------------------------------------


def usage(text: str) -> str:
    """The usage line of a help text (click wraps a long one: joined again)."""
    lines = text.splitlines()
    assert lines[0].startswith("Usage: "), lines[0]
    joined = [lines[0]]
    for line in lines[1:]:
        if not line.strip():
            break
        joined.append(line.strip())
    return " ".join(joined)


def arguments(text: str) -> list[str]:
    rows: list[str] = []
    inside = False
    for line in text.splitlines():
        if line == "Arguments:":
            inside = True
        elif inside and line.startswith("  ") and not line.startswith("   "):
            rows.append(line.split("  ")[1])
        elif inside and line and not line.startswith(" "):
            break
    return rows


@pytest.mark.parametrize("path", list(HELP))
def test_usage_lines_read_naturally(path: str) -> None:
    line = usage(HELP[path])
    for typer_form in ("{", "}", "<", ">", "[[", "]]", "]...]"):
        assert typer_form not in line, f"{line!r} has {typer_form!r}"
    for name in arguments(HELP[path]):
        assert "<" not in name, f"{path}: the Arguments section shows a type: {name!r}"
        assert name in line, f"{path}: {name!r} is not written as in the usage line {line!r}"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("incidentctl grant", "Usage: incidentctl grant [OPTIONS] ROLE [EMAIL]..."),
        ("incidentctl revoke", "Usage: incidentctl revoke [OPTIONS] ROLE [EMAIL]..."),
        ("incidentctl org add", "Usage: incidentctl org add [OPTIONS] ID"),
        ("incidentctl org import", "Usage: incidentctl org import [OPTIONS] FILE|-"),
        (
            "incidentctl quota",
            "Usage: incidentctl quota [OPTIONS] [ID | show ID | explain ID | list]",
        ),
        ("incidentctl quota explain", "Usage: incidentctl quota explain [OPTIONS] ID"),
        ("incidentctl settings set", "Usage: incidentctl settings set [OPTIONS] KEY VALUE"),
        ("incidentctl clock set", "Usage: incidentctl clock set [OPTIONS] TIME"),
        ("incidentctl backup", "Usage: incidentctl backup [OPTIONS] DEST"),
        ("incidentctl org", "Usage: incidentctl org [OPTIONS] COMMAND [ARGS]..."),
    ],
)
def test_usage_lines_as_people_write_them(path: str, expected: str) -> None:
    assert usage(HELP[path]) == expected


def test_the_arguments_section_names_arguments_as_the_usage_line_does() -> None:
    assert arguments(HELP["incidentctl grant"]) == ["ROLE", "[EMAIL]..."]
    assert arguments(HELP["incidentctl contacts show"]) == ["EMAIL"]
    assert arguments(HELP["incidentctl backup"]) == ["DEST"]


def test_argument_names() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    grant = command.commands["grant"]
    names = [helpformat.argument_name(p) for p in grant.params if p.param_type_name == "argument"]
    assert names == ["ROLE", "[EMAIL]..."]

    one = typer.Typer(rich_markup_mode=None)

    @one.command()
    def files(paths: list[str], extra: str | None = typer.Argument(None)) -> None:
        """Files."""

    helpformat.use_natural_help(one)
    built = typer.main.get_command(one)
    names = [helpformat.argument_name(p) for p in built.params if p.param_type_name == "argument"]
    assert names == ["PATHS...", "[EXTRA]"]
    ctx = built.make_context("files", ["a", "b"])
    assert built.get_usage(ctx) == "Usage: files [OPTIONS] PATHS... [EXTRA]"


# --- example blocks keep their lines ----------------------------------------------------


def test_the_apply_help_shows_the_toml_as_written() -> None:
    text = HELP["incidentctl apply"]
    block = [
        '[organisations."1001"]',
        'submitter = ["jan@acme.nl", "piet@acme.nl"]',
        'manager = ["els@acme.nl"]',
    ]
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index(block[0])
    assert lines[start : start + 3] == block
    assert tomllib.loads("\n".join(block)) == {
        "organisations": {
            "1001": {"submitter": ["jan@acme.nl", "piet@acme.nl"], "manager": ["els@acme.nl"]}
        }
    }


def _help_sources() -> Iterator[tuple[str, str]]:
    for ctx, command in iter_commands(app):
        if command.help:
            yield ctx.command_path, command.help


@pytest.mark.parametrize(("path", "source"), list(_help_sources()), ids=lambda v: str(v)[:40])
def test_every_indented_block_is_marked_to_keep_its_lines(path: str, source: str) -> None:
    """click rewraps every paragraph unless it starts with a \\b line: an indented block
    (examples, a file) without one would be run together into one line."""
    import inspect

    paragraphs = inspect.cleandoc(source).split("\n\n")
    for paragraph in paragraphs:
        lines = paragraph.splitlines()
        if lines[0].strip() == "\b":
            rendered = [line.strip() for line in HELP[path].splitlines()]
            for kept in lines[1:]:
                assert kept.strip() in rendered, f"{path}: {kept!r} was rewrapped"
        else:
            indented = [line for line in lines if line.startswith(" ")]
            assert not indented, f"{path}: an indented block without \\b: {indented}"


# --- through the installed incidentctl --------------------------------------------------


def _installed(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "80", **env}
    return subprocess.run(
        [str(SCRIPT), *args],
        env=environment,
        stdin=subprocess.DEVNULL,  # never a terminal that a question could wait on
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.e2e
def test_the_installed_help_groups_and_reads_naturally() -> None:
    root = _installed("--help")
    assert root.returncode == 0, root.stderr
    found = sections(root.stdout)
    assert {title: found[title] for title in GROUPS} == GROUPS
    grant = _installed("grant", "--help")
    assert grant.stdout.splitlines()[0] == "Usage: incidentctl grant [OPTIONS] ROLE [EMAIL]..."
    assert "    incidentctl grant submitter jan@acme.nl piet@acme.nl" in grant.stdout.splitlines()
    apply = _installed("apply", "--help").stdout.splitlines()
    assert '    submitter = ["jan@acme.nl", "piet@acme.nl"]' in apply
    assert all(len(line) <= TERMINAL_WIDTH for line in root.stdout.splitlines())


@pytest.mark.e2e
def test_help_loads_nothing_heavy() -> None:
    """--help stays quick: the grouping and the usage lines need neither rich nor the store."""
    code = (
        "import atexit, sys\n"
        "heavy = ('rich', 'sqlite_utils', 'platformdirs', 'json', 'csv', 'tomllib')\n"
        "atexit.register(lambda: sys.__stderr__.write(repr(sorted("
        "m for m in sys.modules if m.split('.')[0] in heavy))))\n"
        "from incidentctl.cli import main\n"
        "sys.argv = ['incidentctl', '--help']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Setting up:" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"
