"""``clock show|set|advance|reset``: a simulated clock for demonstrations and training."""

from typing import Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import AppState, JsonOption, show_time, state
from incidentctl.vocabulary import DURATION_HELP, TIME_HELP

clock_app = typer.Typer(
    name="clock",
    help="""A simulated clock kept in the store, used by every command until reset.

    Examples:

    \b
      incidentctl --db training.db clock set 2024-03-04T09:00
      incidentctl --db training.db clock advance 10m
      incidentctl --db training.db clock reset
    """,
    short_help="A simulated clock, for demonstrations and training.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(clock_app)


def _report(app: AppState, json: bool) -> None:
    clock = app.clock
    simulated = app.session.settings.simulated_clock
    if json:
        output.emit_json(documents.clock(clock.now, clock.source, simulated))
        return
    sources = {
        "system": "the system clock",
        "simulated": "the simulated clock (reset with 'incidentctl clock reset')",
        "pinned": "pinned by --now or INCIDENTCTL_NOW",
    }
    output.line(f"{show_time(app, clock.now)}: {sources[clock.source]}")
    if simulated and clock.source == "pinned":
        output.line(f"The simulated clock stands at {show_time(app, timeutil.from_iso(simulated))}")


@clock_app.command("show")
def show(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the time commands use, and where it comes from.

    Example:

    \b
      incidentctl clock show
    """
    from incidentctl.domain import require_operator

    app = state(ctx)
    require_operator(app.actor, "clock")
    _report(app, json)


# A TIME may start with a minus (-2h): read as the argument, not as options (-2h would be
# -2 and -h, the help); so here only --help shows the help.
@clock_app.command(
    "set", context_settings={"ignore_unknown_options": True, "help_option_names": ["--help"]}
)
def set_(
    ctx: typer.Context,
    time: Annotated[str, typer.Argument(metavar="TIME", help=TIME_HELP)],
    json: JsonOption = False,
) -> None:
    """Set the simulated clock to TIME; it stands still until set, advanced or reset.

    Examples:

    \b
      incidentctl --db training.db clock set 2024-03-04T09:00
      incidentctl --db training.db clock set -2h
    """
    from incidentctl.services import clock as clock_service

    app = state(ctx)
    now = app.clock.now
    moment = timeutil.parse_time(time, now=now, tz=app.session.timezone)
    clock_service.set_clock(app.session.store, app.actor, now, moment)
    app.reset_clock()
    _report(app, json)


@clock_app.command("advance")
def advance(
    ctx: typer.Context,
    duration: Annotated[str, typer.Argument(metavar="DURATION", help=DURATION_HELP)],
    json: JsonOption = False,
) -> None:
    """Move the simulated clock on by DURATION (from the current time if none is set).

    Example:

    \b
      incidentctl --db training.db clock advance 10m
    """
    from incidentctl.services import clock as clock_service

    app = state(ctx)
    by = timeutil.parse_duration(duration)
    clock_service.advance(app.session.store, app.actor, app.clock.now, by)
    app.reset_clock()
    _report(app, json)


@clock_app.command("reset")
def reset(ctx: typer.Context, json: JsonOption = False) -> None:
    """Go back to the system clock.

    Example:

    \b
      incidentctl --db training.db clock reset
    """
    from incidentctl.services import clock as clock_service

    app = state(ctx)
    clock_service.set_clock(app.session.store, app.actor, app.clock.now, None)
    app.reset_clock()
    _report(app, json)
