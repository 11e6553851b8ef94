"""``log``: the audit log."""

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import JsonOption, OrgFilter, state
from incidentctl.cli.completion import contact_emails
from incidentctl.cli.listings import CsvOption, one_form

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from incidentctl.services.audit_log import Event


def register(app: typer.Typer) -> None:
    app.command("log")(log)


LOG_TERMINAL_LIMIT = 50
"""In a terminal, ``log`` without --limit or --all shows this many of the latest events."""


def log(
    ctx: typer.Context,
    org: OrgFilter = None,
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
    from incidentctl.services import audit_log as audit_log_service

    one_form(csv, json)
    if all_ and limit is not None:
        raise typer.BadParameter("choose one of --all and --limit", param_hint="--all/--limit")
    app = state(ctx)
    session = app.session
    tz = session.timezone
    since_at = timeutil.parse_time(since, now=app.clock.now, tz=tz) if since is not None else None
    human = not (csv or json)
    # A terminal gets the latest events and a footer; one more is read to know of older ones.
    shortened = human and limit is None and not all_ and output.is_terminal()
    events = audit_log_service.log(
        session.store,
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
    in the store's timezone like every other time people see, and a list as its items."""
    old, new = documents.stored_json(before), documents.stored_json(after)

    def shown(value: object) -> str:
        if timeutil.is_stored_time(value):
            return local(str(value))
        if isinstance(value, list):  # e-mail domains: as they are typed, none as "-"
            return ", ".join(shown(item) for item in value) or "-"
        return output.printable(value)

    if not isinstance(new, dict):
        return "-"
    if not isinstance(old, dict):
        return ", ".join(f"{k}={shown(v)}" for k, v in new.items())
    return ", ".join(f"{k}: {shown(old.get(k))} -> {shown(v)}" for k, v in new.items())
