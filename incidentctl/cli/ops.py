"""``init``, ``log``, ``settings``, ``doctor``, ``where``, ``backup``."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import JsonOption, show_time, state
from incidentctl.cli.completion import contact_emails, org_ids
from incidentctl.cli.listings import CsvOption, one_form
from incidentctl.errors import STORE_UNAVAILABLE
from incidentctl.vocabulary import SETTING_HELP

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from incidentctl.store.audit import Event

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
    app.command("init")(init)
    app.command("log")(log)
    app.add_typer(settings_app)
    app.command("doctor")(doctor)
    app.command("where")(where)
    app.command("backup")(backup)


def init(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Add a small realistic data set to try the tool on (needs --db: never in the "
            "default store).",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Create the store (running it again is harmless); --demo adds example data.

    The demo goes into a store of its own, never into the default store that real work
    uses: give it --db (or INCIDENTCTL_DB), and remove that file when you are done.

    Examples:

    \b
      incidentctl init
      incidentctl --db demo.db init --demo
      incidentctl --db /srv/incidentctl/incidentctl.db init
    """
    from incidentctl.domain import operator_only
    from incidentctl.services import demo as demo_service

    app = state(ctx)
    if app.as_email:
        # Refused before anything is created or migrated: a portal user never makes a store.
        raise operator_only("init", app.as_email)
    if demo:
        demo_service.require_own_store(app.path, given=app.db is not None)
    created = not app.path.exists() or app.path.stat().st_size == 0
    store = app.store(create=True)
    demo_added = False
    if demo:
        demo_added = demo_service.add_demo(store, app.actor, app.clock.now)
    elif app.db is None and demo_service.holds_demo(store):
        # A default store that an earlier version filled with the demo (docs/concepts.md).
        import shlex

        output.notice(
            f"Note: the store at {app.path} holds the demo data; for real work, move it away "
            f"(mv {shlex.quote(str(app.path))} demo.db) and run incidentctl init again"
        )
    if json:
        output.emit_json(documents.init(app.path, created, demo_added))
        return
    output.line(f"{'Created' if created else 'Using'} the store at {app.path}")
    if demo:
        output.line("Added the demo data." if demo_added else "The demo data is already there.")


LOG_TERMINAL_LIMIT = 50
"""In a terminal, ``log`` without --limit or --all shows this many of the latest events."""


def log(
    ctx: typer.Context,
    org: Annotated[
        str | None,
        typer.Option("--org", metavar="ID", help="Only this organisation.", autocompletion=org_ids),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(
            "--contact", metavar="EMAIL", help="Only this contact.", autocompletion=contact_emails
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="TIME", help="Only from TIME on (e.g. -1d).")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action", metavar="ACTION", help="Only this action (grant, revoke, contact.set, ...)."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="Only the last N matching events.")
    ] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all", help=f"Every matching event (a terminal shows the last {LOG_TERMINAL_LIMIT})."
        ),
    ] = False,
    csv: CsvOption = False,
    json: JsonOption = False,
) -> None:
    """Show the audit log, oldest first: every change, who made it, and why.

    In a terminal it shows the latest 50 matching events (--limit N for another number,
    --all for every one); piped, --csv and --json give every matching event. The log
    cannot be edited or deleted, through this tool or through SQLite.

    Examples:

    \b
      incidentctl log --org 1001 --since -1d
      incidentctl log --action grant --csv > grants.csv
    """
    from incidentctl import interactive
    from incidentctl.pager import paging
    from incidentctl.services import ops

    one_form(csv, json)
    if all_ and limit is not None:
        raise typer.BadParameter("choose one of --all and --limit", param_hint="--all/--limit")
    app = state(ctx)
    store = app.store()
    tz = store.settings.timezone
    since_at = timeutil.parse_time(since, now=app.clock.now, tz=tz) if since is not None else None
    human = not (csv or json)
    # A terminal gets the latest events and a footer; one more is read to know of older ones.
    shortened = human and limit is None and not all_ and output.is_terminal()
    events = ops.log(
        store,
        app.actor,
        org=org,
        contact=contact,
        since=since_at,
        action=action,
        limit=LOG_TERMINAL_LIMIT + 1 if shortened else limit,
    )
    more = False
    if shortened:
        latest = list(events)
        more = len(latest) > LOG_TERMINAL_LIMIT
        events = iter(latest[-LOG_TERMINAL_LIMIT:])
    with paging(), interactive.listing_progress("listing events", "events") as bar:
        events = interactive.counted(events, bar)
        if json:
            output.stream_json_array(documents.events(events))
        elif csv:
            rows = documents.event_csv_rows(events)
            output.write_csv(documents.LOG_CSV_COLUMNS, output.csv_rows(rows))
        else:
            _log_table(events, tz)
            if more:
                output.line(
                    f"Showing the latest {LOG_TERMINAL_LIMIT} events: --limit N shows the "
                    "latest N, --all every one."
                )


def _log_table(events: "Iterator[Event]", tz: "ZoneInfo") -> None:
    from incidentctl.roles import defined

    local = timeutil.LocalTimes(tz)
    labels = {role.name: role.label for role in defined()}
    changes: dict[tuple[str | None, str | None], str] = {}

    def change(before: str | None, after: str | None) -> str:
        # A bulk change writes many events with the same before and after: describe each
        # distinct pair once.
        key = (before, after)
        text = changes.get(key)
        if text is None:
            if len(changes) > 10_000:
                changes.clear()
            text = changes[key] = _change_text(before, after, local)
        return text

    output.table(
        ["At", "Actor", "Action", "Org", "Contact", "Role", "Change", "Reason"],
        (
            [
                local(e.at),
                e.actor,
                e.action,
                e.org,
                e.contact,
                labels.get(e.role, e.role) if e.role else None,
                change(e.before, e.after),
                e.reason,
            ]
            for e in events
        ),
        empty="No events match.",
    )


def _change_text(before: str | None, after: str | None, local: "timeutil.LocalTimes") -> str:
    """``key: old -> new`` for each changed value (``key=value`` for a new record), times
    in the store's timezone like every other time people see."""
    old, new = documents.stored_json(before), documents.stored_json(after)

    def shown(value: object) -> str:
        if timeutil.is_stored_time(value):
            return local(str(value))
        return output.printable(value)

    if not isinstance(new, dict):
        return "-"
    if not isinstance(old, dict):
        return ", ".join(f"{k}={shown(v)}" for k, v in new.items())
    return ", ".join(f"{k}: {shown(old.get(k))} -> {shown(v)}" for k, v in new.items())


@settings_app.command("show")
def settings_show(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the settings and whether each is still the default.

    Examples:

    \b
      incidentctl settings show
      incidentctl settings show --json
    """
    from incidentctl.services import ops

    app = state(ctx)
    views = ops.settings(app.store(), app.actor)
    clock = app.store().settings.simulated_clock
    if json:
        output.emit_json(documents.settings(views, clock))
        return
    tz = app.store().settings.timezone
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
    from incidentctl.services import ops

    app = state(ctx)
    before, after = ops.set_setting(app.store(), app.actor, app.clock.now, key, value)
    if json:
        output.emit_json(documents.setting_changed(key, before, after))
        return
    # Shown in the timezone in force after the change (a new timezone shows itself).
    tz = app.store().settings.timezone
    if before == after:
        output.line(f"Unchanged: {key} is {_setting_text(after, tz)}")
    else:
        output.line(f"Changed {key}: {_setting_text(before, tz)} -> {_setting_text(after, tz)}")


def doctor(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check the store: path, permissions, migrations, schema, integrity, foreign keys, WAL.

    Every table, index and trigger is compared with what the migrations create; a missing,
    altered or added one is named. The store is read as it is: doctor migrates, fixes and
    writes nothing. Exits 0 when every check passes, 6 when one does not.

    Examples:

    \b
      incidentctl doctor
      incidentctl --db /var/lib/incidentctl/incidentctl.db doctor --json
    """
    from incidentctl.domain import operator_only
    from incidentctl.services import ops

    app = state(ctx)
    if app.as_email:  # checked before opening: doctor must work on a store that won't open
        raise operator_only("doctor", app.as_email)
    checks = ops.doctor(app.path, explicit=app.db is not None)
    healthy = all(check.ok for check in checks)
    if json:
        output.emit_json(documents.doctor(checks))
    else:
        for check in checks:
            output.line(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        output.line("The store is healthy." if healthy else "The store has problems (see FAIL).")
    if not healthy:
        raise typer.Exit(STORE_UNAVAILABLE)


def where(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the store in use, how it was chosen, and whether it exists.

    The store is --db PATH when given, else INCIDENTCTL_DB when set, else incidentctl.db
    in your user data folder. This only looks: it neither creates nor opens the store.
    Uninstalling incidentctl leaves the store (and its -wal and -shm files) where this
    says; delete them yourself if you no longer need them.

    Examples:

    \b
      incidentctl where
      incidentctl --db /srv/incidentctl/incidentctl.db where --json
    """
    from typer._click.core import ParameterSource

    from incidentctl.paths import SOURCE_DEFAULT, SOURCE_ENVIRONMENT, SOURCE_OPTION
    from incidentctl.services import ops

    app = state(ctx)
    chosen = ctx.find_root().get_parameter_source("db")
    if chosen is ParameterSource.COMMANDLINE:
        source = SOURCE_OPTION
    elif chosen is ParameterSource.ENVIRONMENT:
        source = SOURCE_ENVIRONMENT
    else:
        source = SOURCE_DEFAULT
    location = ops.where(app.path, source)
    if json:
        output.emit_json(documents.where(location))
        return
    how = {
        SOURCE_OPTION: "--db",
        SOURCE_ENVIRONMENT: "the INCIDENTCTL_DB environment variable",
        SOURCE_DEFAULT: "the default (no --db, INCIDENTCTL_DB not set)",
    }[location.source]
    exists = "yes" if location.exists else "no"
    if location.problem:
        exists += f": {location.problem}"
    output.fields([("Store", location.path), ("Chosen by", how), ("Exists", exists)])


def backup(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="A new file for the copy.")],
    json: JsonOption = False,
) -> None:
    """Copy the store to DEST while it is in use (SQLite's online backup API). Mode 0600.

    Examples:

    \b
      incidentctl backup ~/incidentctl-backup.db
      incidentctl backup /var/backups/incidentctl-2024-06-30.db
    """
    from incidentctl.services import ops

    app = state(ctx)
    result = ops.backup(app.store(), app.actor, dest)
    if json:
        output.emit_json(documents.backup(result))
        return
    output.line(f"Backed up {app.path} to {result.path} ({result.bytes} bytes)")
