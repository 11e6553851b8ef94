"""How ``--help`` reads: usage lines and argument names as people write them, and the
root's commands in groups by what an administrator is doing (docs/cli.md shows the result).

Typer writes a required argument as ``{ID}``, adds the type (``ID <str>``) in the Arguments
section and doubles the brackets of an optional list (``[[EMAIL]...]...``); click's
conventions (``ID``, ``[EMAIL]...``) are what every other command-line tool shows. Rich's help
panels would group the commands, but rich help is off (start-up time, and docs/cli.md needs
click's plain text), so the groups are written here.
"""

from typing import Any

from typer.core import TyperCommand

from incidentctl.cli.clickapi import Context, HelpFormatter, Parameter

COMMAND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Setting up", ("init", "org", "contacts", "policy", "settings")),
    ("Daily work", ("grant", "revoke", "apply", "quota", "check", "pending")),
    ("The nightly job", ("recount", "backup")),
    (
        "Looking into things",
        ("log", "readiness", "doctor", "where", "login", "incidents", "clock"),
    ),
)
"""The sections of ``incidentctl --help``, in order; the commands within each in order."""

UNGROUPED = "More commands"
"""The section for a command no group names, so that a new command is never hidden
(tests/test_help.py fails while it is used)."""


def argument_name(param: Parameter) -> str:
    """An argument as usage lines write it: ``ID``, ``[EMAIL]...``, ``FILE|-``.

    A metavar that already holds brackets or an ellipsis (``[ID | explain ID]``) is written
    in its usage form and is shown as it is.
    """
    name = param.metavar or (param.name or "").upper()
    if "[" in name or name.endswith("..."):
        return name
    if not param.required:
        name = f"[{name}]"
    if param.nargs != 1:
        name += "..."
    return name


class IncidentctlCommand(TyperCommand):
    """A command whose usage line and Arguments section use :func:`argument_name`."""

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(argument_name(param))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((argument_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def use_natural_help(app: Any) -> None:
    """Give every command of the Typer ``app`` (and of its sub-apps) that has Typer's own
    class the :class:`IncidentctlCommand` help; called once the commands are registered."""
    for info in app.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = IncidentctlCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            use_natural_help(group.typer_instance)


def command_order(names: list[str]) -> list[str]:
    """``names`` in the order of :data:`COMMAND_GROUPS`, any other command last."""
    rank = {
        name: index for index, name in enumerate(n for _, group in COMMAND_GROUPS for n in group)
    }
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


def grouped(names: list[str]) -> list[tuple[str, list[str]]]:
    """(section title, its commands) for the commands ``names``, empty sections left out."""
    sections = [(title, [n for n in group if n in names]) for title, group in COMMAND_GROUPS]
    named = {n for _, group in COMMAND_GROUPS for n in group}
    sections.append((UNGROUPED, [n for n in names if n not in named]))
    return [(title, members) for title, members in sections if members]


def format_grouped_commands(
    commands: dict[str, Any], ctx: Context, formatter: HelpFormatter
) -> None:
    """The command list of the root help, one section per group; the names line up across
    sections as in one list."""
    if not commands:
        return
    width = max(len(name) for name in commands)
    # As click does: the short help gets the line less the name column and its spacing.
    limit = formatter.width - 6 - width
    for title, names in grouped(list(commands)):
        rows = [(name.ljust(width), commands[name].get_short_help_str(limit)) for name in names]
        with formatter.section(title):
            formatter.write_dl(rows)
