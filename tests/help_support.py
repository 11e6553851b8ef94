"""Reading command lines out of help texts and docs, and checking them against the CLI
without running them (tests/test_help.py, tests/test_readme.py)."""

from __future__ import annotations

import re
import shlex

import typer.main
from typer.core import TyperGroup

from incidentctl.cli import app
from incidentctl.cli.clickapi import Command, Context, subcommand_args
from incidentctl.cli.reference import PROG_NAME

_EXAMPLES_HEADING = re.compile(r"^(?P<indent> *)Examples?:$")

# Eager root options whose callbacks act while the command line is parsed.
_ACTING_WHILE_PARSED = ("--install-completion", "--show-completion", "--version", "--help", "-h")


def examples(text: str) -> list[str]:
    """The command lines under the ``Example:``/``Examples:`` headings of a help text: the
    lines indented deeper than the heading, up to the first line that is not."""
    found: list[str] = []
    lines = text.splitlines()
    for index, line in enumerate(lines):
        heading = _EXAMPLES_HEADING.match(line)
        if heading is None:
            continue
        depth = len(heading["indent"])
        rest = iter(lines[index + 1 :])
        for following in rest:
            if following.strip():
                break
        else:
            continue
        while following.strip() and len(following) - len(following.lstrip()) > depth:
            found.append(following)
            following = next(rest, "")
    return found


def command_lines(line: str) -> list[list[str]]:
    """The incidentctl invocations of a shell line (``a | b``, ``a > file``, ``a && b``,
    ``a  # comment``), each as its argument list without the program name; other programs
    (jq, grep) are left out."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    invocations: list[list[str]] = []
    current: list[str] = []
    skip_next = False
    for word in [*lexer, "|"]:
        if skip_next:
            skip_next = False
            continue
        if word in {">", ">>", "<"}:
            skip_next = True  # the file of a redirection
        elif word in {"|", "&&", "||", ";"}:
            if current and current[0] == PROG_NAME:
                invocations.append(current[1:])
            current = []
        else:
            current.append(word)
    return invocations


def parse(argv: list[str]) -> str:
    """Parse ``incidentctl ARGV`` as click does before running it, through every group, and
    return the path of the command it reaches (``incidentctl org add``). A usage error
    (unknown option or command, a missing argument, a value of the wrong type) raises
    click's ClickException; nothing runs."""
    assert not set(argv) & set(_ACTING_WHILE_PARSED), f"would act while parsed: {argv}"
    command: Command = typer.main.get_command(app)
    ctx: Context = command.make_context(PROG_NAME, list(argv))
    while isinstance(command, TyperGroup):
        rest = subcommand_args(ctx)
        if not rest and command.invoke_without_command:
            break  # a group that acts itself (quota)
        assert rest, f"{argv} names no command"
        name, *rest = rest
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{name!r} is not a command: {argv}"
        command = sub
        ctx = command.make_context(name, rest, parent=ctx)
    return ctx.command_path
