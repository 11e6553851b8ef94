"""What incidentctl takes from Typer's private copy of Click, through
incidentctl/cli/clickapi.py, and from Typer's public testing API: each test shows one use,
so a Typer release that moves or changes a name fails here first (docs/architecture.md,
"Typer")."""

from __future__ import annotations

import io
import os
import sys

import pytest
import typer
import typer.core
import typer.main
from conftest import COMMAND
from typer.testing import CliRunner

from incidentctl.cli import app, clickapi
from incidentctl.errors import INVALID_INPUT


def root_group() -> typer.core.TyperGroup:
    assert isinstance(COMMAND, typer.core.TyperGroup)
    return COMMAND


GROUP = root_group()


def test_the_adapter_names_what_typer_builds_on() -> None:
    assert issubclass(typer.Context, clickapi.Context)
    assert issubclass(typer.core.TyperCommand, clickapi.Command)
    assert issubclass(typer.core.TyperGroup, clickapi.Command)
    assert issubclass(typer.BadParameter, clickapi.ClickException)
    assert issubclass(clickapi.NoArgsIsHelpError, clickapi.ClickException)
    assert isinstance(typer.main.get_command(app), clickapi.Command)


def test_a_usage_error_reaches_the_error_translator_as_a_click_exception() -> None:
    with pytest.raises(clickapi.ClickException) as raised:
        typer.core.TyperGroup.main(
            GROUP, ["org", "add", "--no-such-option"], "incidentctl", standalone_mode=False
        )
    assert "--no-such-option" in raised.value.format_message()
    ctx = getattr(raised.value, "ctx", None)  # a usage error knows its command
    assert ctx is not None
    assert ctx.command_path == "incidentctl org add"


def test_a_group_without_its_command_raises_no_args_is_help() -> None:
    with pytest.raises(clickapi.NoArgsIsHelpError) as raised:
        typer.core.TyperGroup.main(GROUP, ["org"], "incidentctl", standalone_mode=False)
    assert "Usage: incidentctl org" in raised.value.format_message()


def test_the_help_formatter_writes_sections_of_rows() -> None:
    formatter = clickapi.HelpFormatter(width=60)
    with formatter.section("Daily work"):
        formatter.write_dl([("grant", "Grant a role."), ("revoke", "Revoke a role.")])
    assert formatter.getvalue().splitlines() == [
        "Daily work:",
        "  grant   Grant a role.",
        "  revoke  Revoke a role.",
    ]


def test_help_uses_the_types_of_parameters_and_contexts() -> None:
    ctx = COMMAND.make_context("incidentctl", ["grant", "submitter", "jan@acme.nl"])
    grant = GROUP.get_command(ctx, "grant")
    assert isinstance(grant, clickapi.Command)
    params = [p for p in grant.params if isinstance(p, clickapi.Parameter)]
    assert {p.param_type_name for p in params} == {"argument", "option"}


@pytest.mark.parametrize(
    ("args", "env", "source"),
    [
        (["--db", "x.db", "where"], {}, "COMMANDLINE"),
        (["where"], {"INCIDENTCTL_DB": "x.db"}, "ENVIRONMENT"),
        (["where"], {"INCIDENTCTL_DB": None}, "DEFAULT"),
    ],
)
def test_where_a_value_came_from(
    args: list[str], env: dict[str, str | None], source: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    ctx = COMMAND.make_context("incidentctl", args, resilient_parsing=True)
    assert ctx.get_parameter_source("db") is clickapi.ParameterSource[source]


def test_a_completion_answer_has_a_value_and_a_help() -> None:
    item = clickapi.CompletionItem("1001", help="Acme B.V.")
    assert (item.value, item.help, item.type) == ("1001", "Acme B.V.", "plain")


def test_a_shell_completion_class_is_registered_and_splits_a_line() -> None:
    """cli/bashcompletion.py: bash's completion is a ShellComplete subclass, put in place
    of Typer's by Click's public registration; it splits COMP_WORDS as Click does."""
    from incidentctl.cli import bashcompletion

    assert issubclass(bashcompletion.BashComplete, clickapi.ShellComplete)
    assert clickapi.split_arg_string("show 'a b'\njan\n@") == ["show", "a b", "jan", "@"]
    assert clickapi.split_arg_string('show "unclosed') == ["show", "unclosed"]
    bashcompletion.register()
    env = {"_INCIDENTCTL_COMPLETE": "complete_bash", "COMP_WORDS": "incidentctl\ngr"}
    with CliRunner().isolation(env={**env, "COMP_CWORD": "1"}) as (stdout, _, _):
        with pytest.raises(SystemExit):
            typer.core.TyperGroup.main(GROUP, [], "incidentctl")
        sys.stdout.flush()
        assert stdout.getvalue() == b"grant\n"
    item = clickapi.CompletionItem("jan@acme.nl")
    completer = bashcompletion.BashComplete(GROUP, {}, "incidentctl", "_INCIDENTCTL_COMPLETE")
    assert completer.format_completion(item) == "jan@acme.nl"
    assert "complete -o default -F _incidentctl_completion incidentctl" in completer.source()


def test_a_group_keeps_its_subcommand_for_later() -> None:
    ctx = COMMAND.make_context("incidentctl", ["--as", "a@b.nl", "org", "add", "1001"])
    assert clickapi.subcommand_args(ctx) == ["org", "add", "1001"]
    alone = COMMAND.make_context("incidentctl", ["--debug"], resilient_parsing=True)
    assert clickapi.subcommand_args(alone) == []


def test_the_runners_isolation_gives_the_tests_streams_and_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tests/conftest.py runs the command built once inside ``CliRunner.isolation``, the
    public part of what ``CliRunner.invoke`` does."""
    monkeypatch.setenv("INCIDENTCTL_AS", "before")
    with CliRunner().isolation(input="typed\n", env={"INCIDENTCTL_AS": None}) as streams:
        stdout, stderr, _ = streams
        assert sys.stdin.readline() == "typed\n"
        print("out")
        print("err", file=sys.stderr)
        assert "INCIDENTCTL_AS" not in os.environ
        sys.stdout.flush()
        sys.stderr.flush()
        assert isinstance(stdout, io.BytesIO)
        assert (stdout.getvalue(), stderr.getvalue()) == (b"out\n", b"err\n")
    assert os.environ["INCIDENTCTL_AS"] == "before"


def test_the_command_built_once_exits_as_the_installed_one() -> None:
    with CliRunner().isolation(), pytest.raises(SystemExit) as raised:
        COMMAND.main(["org", "add"], prog_name="incidentctl")
    assert raised.value.code == INVALID_INPUT
