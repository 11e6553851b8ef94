"""``settings show|set``."""

from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import JsonOption, show_time, state
from incidentctl.vocabulary import SETTING_HELP

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

settings_app = typer.Typer(
    name="settings",
    help="""Settings every user of the store shares: timezone, propagation delay, enforcement date.

    Examples:

    \b
      incidentctl settings show
      incidentctl settings set propagation_delay 15m
    """,
    short_help="Timezone, propagation delay, enforcement date.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(settings_app)


@settings_app.command("show")
def settings_show(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the settings and whether each is still the default.

    Examples:

    \b
      incidentctl settings show
      incidentctl settings show --json
    """
    from incidentctl.services import settings as settings_service

    app = state(ctx)
    views = settings_service.settings(app.session.store, app.actor)
    clock = app.session.settings.simulated_clock
    if json:
        output.emit_json(documents.settings(views, clock))
        return
    tz = app.session.timezone
    output.table(
        ["Setting", "Value", "", "Meaning"],
        (
            [v.key, _setting_text(v.value, tz), "(default)" if v.is_default else "", v.description]
            for v in views
        ),
    )
    if clock:
        output.line(
            f"A simulated clock is set: {show_time(app, timeutil.from_iso(clock))} (see 'clock')"
        )


def _setting_text(value: str, tz: "ZoneInfo") -> str:
    """A setting as people see it: a time (the enforcement date) in the store's timezone."""
    if timeutil.is_stored_time(value):
        return timeutil.format_local(timeutil.from_iso(value), tz)
    return value


@settings_app.command("set")
def settings_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help=", ".join(sorted(SETTING_HELP)) + ".")],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    json: JsonOption = False,
) -> None:
    """Change a setting for everyone using this store (audited). Operator only.

    timezone: an IANA name (Europe/Amsterdam); propagation_delay: a DURATION (10m);
    enforcement_date: a TIME (2024-01-01T00:00).

    Examples:

    \b
      incidentctl settings set propagation_delay 15m
      incidentctl settings set timezone Europe/Brussels
      incidentctl settings set enforcement_date 2024-01-01T00:00
    """
    from incidentctl.services import settings as settings_service

    app = state(ctx)
    before, after = settings_service.set_setting(
        app.session.store, app.actor, app.clock.now, key, value
    )
    if json:
        output.emit_json(documents.setting_changed(key, before, after))
        return
    # Shown in the timezone in force after the change (a new timezone shows itself).
    tz = app.session.timezone
    if before == after:
        output.line(f"Unchanged: {key} is {_setting_text(after, tz)}")
    else:
        output.line(f"Changed {key}: {_setting_text(before, tz)} -> {_setting_text(after, tz)}")
