"""The Click names the command line needs that Typer does not export: the one module that
reaches into ``typer._click`` (docs/architecture.md, "Typer").

Typer 0.26 took Click into its own package as ``typer._click``, a private module that may
change in any release. Typer's public names are ``typer.Context``, ``typer.BadParameter``,
``typer.Exit``, ``typer.Abort``, ``typer.core.TyperGroup``/``TyperCommand``,
``typer.main.get_command`` and ``typer.testing.CliRunner``. The few others incidentctl needs
are taken here and nowhere else: the base class of Click's usage errors (turned into
``Error:`` lines in one place), the help formatter and the types of commands, contexts and
parameters (the help layout), where a parameter's value came from (``where``), a
completion answer (``quota``), and the base class of a shell's completion with its
registration and Click's splitting of a command line (``cli/bashcompletion.py``: bash
completion of words that hold an ``@``). A Typer release that moves one of them breaks this module
and tests/test_typer_adapter.py, which shows what each is used for, not the commands.
"""

from typer._click.core import Command, Context, Parameter, ParameterSource
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.formatting import HelpFormatter
from typer._click.shell_completion import (
    CompletionItem,
    ShellComplete,
    add_completion_class,
    split_arg_string,
)

__all__ = [
    "ClickException",
    "Command",
    "CompletionItem",
    "Context",
    "HelpFormatter",
    "NoArgsIsHelpError",
    "Parameter",
    "ParameterSource",
    "ShellComplete",
    "add_completion_class",
    "split_arg_string",
    "subcommand_args",
]


def subcommand_args(ctx: Context) -> list[str]:
    """What a group left for its subcommand once it parsed its own options: the
    subcommand's name and its arguments (empty when none was given). Click keeps the name
    apart, in a private attribute; tests/help_support.py parses the documented command lines
    with this, without running them."""
    return [*ctx._protected_args, *ctx.args]
