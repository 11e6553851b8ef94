"""The command line: global options, command registration, and the one place where
exceptions become ``Error:``/``Hint:`` lines and exit codes (docs/exit-codes.md)."""

import gc
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from incidentctl import __version__, errors, output
from incidentctl.cli import (
    apply,
    audit_log,
    clock,
    contacts,
    helpformat,
    orgs,
    portal,
    quota,
    recount,
    roles,
    settings,
    store_file,
)
from incidentctl.cli.clickapi import ClickException, HelpFormatter, NoArgsIsHelpError
from incidentctl.cli.clickapi import Context as ClickContext
from incidentctl.cli.common import AppState
from incidentctl.cli.completion import AS_ENV, contact_emails
from incidentctl.output import error
from incidentctl.paths import DB_ENV

_debug = False
NOW_ENV = "INCIDENTCTL_NOW"


# One line per command in the overview of --help (the docstrings say more).
SHORT_HELP = {
    "init": "Create the store; --demo adds example data.",
    "grant": "Grant a role to contacts, within the quota.",
    "revoke": "Revoke a role from contacts.",
    "apply": "Make role holders match a TOML file (plan, prune).",
    "check": "Can a contact submit now (or at TIME)? If not, why.",
    "pending": "Role changes not yet in effect.",
    "login": "Record a portal log-in (a new session).",
    "readiness": "Who will not be able to contact Support.",
    "recount": "The nightly recount and its report (for cron).",
    "log": "The audit log.",
    "doctor": "Check the store's health.",
    "where": "Which store is in use, and why.",
    "backup": "Copy the store while it is in use.",
}


class IncidentctlGroup(TyperGroup):
    """Runs a command and turns whatever it raises into one error line and an exit code."""

    def list_commands(self, ctx: ClickContext) -> list[str]:
        return helpformat.command_order(super().list_commands(ctx))

    def format_commands(self, ctx: ClickContext, formatter: HelpFormatter) -> None:
        commands = {}
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                commands[name] = command
        helpformat.format_grouped_commands(commands, ctx, formatter)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        global _debug
        _debug = False
        if complete_var is not None or any(name.endswith("_COMPLETE") for name in os.environ):
            from incidentctl.cli import bashcompletion

            bashcompletion.register()  # after Typer's own, which building the command made
        code = _run(self, args, prog_name, complete_var, extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: ClickContext) -> Any:
        # Typer would turn these into a silent exit 130 and an exit 1 before main() sees them.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            error("interrupted; the unfinished transaction was rolled back")
            raise typer.Exit(errors.INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            # Like other Unix tools when a reader (| head) goes.
            raise typer.Exit(errors.BROKEN_PIPE) from None


def _run(
    group: IncidentctlGroup,
    args: Sequence[str] | None,
    prog_name: str | None,
    complete_var: str | None,
    extra: dict[str, Any],
) -> int:
    try:
        _refuse_undecodable(sys.argv[1:] if args is None else args)
        result = TyperGroup.main(
            group,
            args=args,
            prog_name=prog_name or "incidentctl",
            complete_var=complete_var,
            standalone_mode=False,
            **extra,
        )
    except errors.Declined as exc:
        # A "no" to a question is an answer, not a failure: like rm -i, exit 0.
        output.notice(exc.message)
        return errors.OK
    except errors.IncidentctlError as exc:
        _traceback()
        error(exc.message, exc.hint)
        return exc.exit_code
    except NoArgsIsHelpError as exc:
        sys.stderr.write(exc.format_message() + "\n")  # a group without its command: its help
        return errors.INVALID_INPUT
    except ClickException as exc:
        error(exc.format_message(), _usage_hint(exc))
        return errors.INVALID_INPUT
    except sqlite3.Error as exc:
        from incidentctl.store import describe_sqlite_error

        _traceback()
        translated = describe_sqlite_error(exc)
        if translated is None:
            error(f"internal error: {exc}", "run again with --debug and report the traceback")
            return errors.INTERNAL_ERROR
        error(translated.message, translated.hint)
        return translated.exit_code
    except (KeyboardInterrupt, typer.Abort):
        error("interrupted; the unfinished transaction was rolled back")
        return errors.INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no bare tracebacks
        _traceback()
        error(
            f"internal error: {type(exc).__name__}: {exc}",
            "run again with --debug and report the traceback",
        )
        return errors.INTERNAL_ERROR
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return errors.BROKEN_PIPE
    return result if isinstance(result, int) else errors.OK


def _refuse_undecodable(args: Sequence[str]) -> None:
    """Refuse, before any command runs, an argument or INCIDENTCTL_* variable that is not
    UTF-8 text: Python hands such bytes on as lone surrogates, which every later write of
    the value (to the store, to stdout) would fail on (docs/exit-codes.md, exit 2)."""
    hint = (
        "arguments and INCIDENTCTL_* variables must be UTF-8 (check the locale); "
        "a file whose name is not UTF-8 can be read as - < FILE"
    )
    for position, arg in enumerate(args, start=1):
        if not _is_text(arg):
            raise errors.InvalidInput(
                f'argument {position} ("{_escaped(arg)}") is not UTF-8 text', hint=hint
            )
    for name, value in sorted(os.environ.items()):
        if name.startswith("INCIDENTCTL_") and not _is_text(value):
            raise errors.InvalidInput(f'{name} ("{_escaped(value)}") is not UTF-8 text', hint=hint)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _escaped(value: str) -> str:
    """The bytes as given, each one that is not UTF-8 as \\xNN."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate not made from a byte
        return value.encode("utf-8", "backslashreplace").decode("ascii")
    return raw.decode("utf-8", "backslashreplace")


def _traceback() -> None:
    """With --debug, the traceback of the exception being handled, before its error line."""
    if _debug:
        import traceback

        traceback.print_exc()


def _usage_hint(exc: ClickException) -> str:
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "incidentctl"
    return f"see '{command} --help'"


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


app = typer.Typer(
    cls=IncidentctlGroup,
    name="incidentctl",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    # --install-completion and --show-completion for bash, zsh and fish (README,
    # "Shell completion"); the values come from incidentctl.cli.completion.
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"incidentctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar=DB_ENV,
            metavar="PATH",
            help="The store file. Default: incidentctl.db in your user data folder.",
        ),
    ] = None,
    as_email: Annotated[
        str | None,
        typer.Option(
            "--as",
            envvar=AS_ENV,
            metavar="EMAIL",
            help="Act as this portal user, with the portal's rules (default: the operator).",
            autocompletion=contact_emails,
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            envvar=NOW_ENV,
            metavar="TIME",
            help="Pin the clock for this one command (ISO 8601, now, +10m, -2h); operator only.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback when something fails.")
    ] = False,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Never page long output (default: less, or $INCIDENTCTL_PAGER / $PAGER, "
            "in a terminal).",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Administer who may contact Support and submit incidents in the customer portal.

    Only contacts with the role submitter (Incidentenbeheer) may submit incidents, and
    each organisation may give that role to a limited number of contacts; certified
    experts don't count. manager (Incidentmanagement) may view all of the organisation's
    incidents. A role change takes effect after the propagation delay (10 minutes) and
    then needs a fresh log-in.

    Try it on a demo store of its own, then start the real one (README.md, "The first
    day"); remove demo.db* when you are done with the demo.

    Examples:

    \b
      incidentctl --db demo.db init --demo
      incidentctl --db demo.db contacts list
      incidentctl init
      incidentctl org import customers.csv
      incidentctl contacts import contacts.csv
      incidentctl grant submitter jan@acme.nl

    Exit codes: 0 ok, 2 bad input, 3 not found, 4 not authorized, 5 quota exceeded,
    6 store unavailable, 1 internal error.
    """
    global _debug
    _debug = debug
    output.pager_allowed = not no_pager
    if (as_email is not None and not as_email.strip()) or os.environ.get(AS_ENV) == "":
        # An empty variable in a script must never turn a portal user into the operator.
        raise errors.InvalidInput(
            "--as (or INCIDENTCTL_AS) is empty",
            hint="give a contact's e-mail address, or leave --as out to act as the operator",
        )
    if (db is not None and not db.strip()) or (db is None and os.environ.get(DB_ENV) == ""):
        # An unset variable in a script must never silently select the default store.
        raise errors.InvalidInput(
            "--db (or INCIDENTCTL_DB) is empty",
            hint="give the path of the store file, or leave --db out for the default store",
        )
    if (now is not None and not now.strip()) or (now is None and os.environ.get(NOW_ENV) == ""):
        # Like an empty --db: an unset variable must never silently mean the system clock.
        # Before the --as refusal below, so an empty value gets the answer for an empty value.
        raise errors.InvalidInput(
            "--now (or INCIDENTCTL_NOW) is empty",
            hint="give a TIME (2024-01-01T10:00, now, +10m), or leave --now out for the "
            "current time",
        )
    if as_email is not None and now is not None:
        # The clock belongs to the installation: a portal user who could pin it could submit
        # before the enforcement date, skip the delay or forge audit times (docs/concepts.md).
        raise errors.NotAuthorized(
            "--now (or INCIDENTCTL_NOW) cannot be used with --as: portal users act at the "
            "installation's clock",
            hint="the operator sets the simulated clock for everyone: incidentctl clock set TIME",
        )
    app_state = AppState(db=db, as_email=as_email, now=now, debug=debug)
    ctx.obj = app_state
    ctx.call_on_close(app_state.close)


for module in (
    store_file,
    audit_log,
    settings,
    orgs,
    contacts,
    roles,
    apply,
    quota,
    recount,
    portal,
    clock,
):
    module.register(app)
for command in app.registered_commands:
    if command.name in SHORT_HELP:
        command.short_help = SHORT_HELP[command.name]
helpformat.use_natural_help(app)


def main() -> None:
    """The console script ``incidentctl``."""
    # What start-up built (Typer, Click, the command tree: tens of thousands of objects) lives
    # until exit; frozen, the garbage collector stops walking it again each time a listing's
    # rows trigger a collection. A tenth of the time of `quota` or `org list` over ten
    # thousand organisations (docs/performance.md, "What made the difference").
    gc.freeze()
    app()
