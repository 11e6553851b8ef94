"""``check``, ``pending``, ``login``, ``incidents submit|list``, ``readiness``."""

from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import (
    AppState,
    Email,
    JsonOption,
    OrgFilter,
    clock_notice,
    show_time,
    state,
)
from incidentctl.cli.listings import CsvOption, one_form
from incidentctl.errors import NOT_AUTHORIZED

if TYPE_CHECKING:
    from incidentctl.services import portal as portal_service

incidents_app = typer.Typer(
    name="incidents",
    help="""Submit and list incidents as a portal user (--as EMAIL), with the portal's rules.

    Examples:

    \b
      incidentctl --as jan@acme.nl incidents submit --subject "Blank pages"
      incidentctl --as jan@acme.nl incidents list
    """,
    short_help="Submit and list incidents as a portal user (--as).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("pending")(pending)
    app.command("login")(login)
    app.add_typer(incidents_app)
    app.command("readiness")(readiness)


def check(
    ctx: typer.Context,
    email: Email,
    at: Annotated[
        str | None,
        typer.Option("--at", metavar="TIME", help="Check at TIME instead of now (+10m, ISO ...)."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Can this contact submit incidents, and view all of them, now or at TIME? If not, why.

    Each answer is one of: allowed; pending (the role takes effect at ..., in N
    minutes); relogin (the role is in effect, but the session started before that: log
    in again and clear cookies); denied (no role, inactive, or revoked).
    Exits 0 when the contact may submit, 4 when not.

    Examples:

    \b
      incidentctl check jan@acme.nl
      incidentctl check jan@acme.nl --at +10m
      incidentctl check jan@acme.nl --json | jq .submit.status
    """
    from incidentctl.services import portal as portal_service

    app = state(ctx)
    now = app.clock.now
    moment = timeutil.parse_time(at, now=now, tz=app.session.timezone) if at is not None else now
    access = portal_service.check(app.session.store, app.actor, email, moment)
    if json:
        output.emit_json(documents.check(access))
    else:
        clock_notice(app)
        contact = access.contact
        output.line(
            f"{contact.email} ({output.printable(contact.name)}, organisation {contact.org_id}) "
            f"at {show_time(app, access.at)}"
        )
        output.fields(
            [
                *(
                    (permission.does.capitalize(), f"{decided.status}: {decided.reason}")
                    for permission, decided in access.permissions.items()
                ),
                *([("What to do", access.advice)] if access.advice else []),
            ]
        )
    if not access.submit.allowed:
        raise typer.Exit(NOT_AUTHORIZED)


def pending(
    ctx: typer.Context, org: OrgFilter = None, csv: CsvOption = False, json: JsonOption = False
) -> None:
    """List role changes not yet in effect, soonest first, with the time left.

    Example:

    \b
      incidentctl pending --org 1001
    """
    from incidentctl.pager import paging
    from incidentctl.roles import defined
    from incidentctl.services import portal as portal_service

    one_form(csv, json)
    app = state(ctx)
    now = app.clock.now
    rows = portal_service.pending(app.session.store, app.actor, now, org)
    if not (json or csv):
        clock_notice(app)
    with paging():
        if json:
            output.stream_json_array(documents.pending(rows))
        elif csv:
            output.write_csv(documents.PENDING_KEYS, output.csv_rows(rows))
        else:
            local = timeutil.LocalTimes(app.session.timezone)
            output.table(
                ["E-mail", "Org", "Role", "Action", "Requested", "Takes effect", "Left"],
                (
                    [
                        email,
                        org_id,
                        defined().named(role).label,
                        action,
                        local(requested),
                        local(effective),
                        timeutil.format_duration(timeutil.from_iso(effective) - now),
                    ]
                    for email, org_id, role, action, requested, effective in rows
                ),
                empty="No pending changes.",
            )


def login(ctx: typer.Context, email: Email, json: JsonOption = False) -> None:
    """Record a portal log-in for the contact: a new session, which picks up the roles in
    effect at this moment.

    Examples:

    \b
      incidentctl login jan@acme.nl
      incidentctl --as jan@acme.nl login jan@acme.nl
    """
    from incidentctl.services import portal as portal_service

    app = state(ctx)
    now = app.clock.now
    contact = portal_service.login(app.session.store, app.actor, now, email)
    if json:
        output.emit_json(documents.login(contact, now))
        return
    clock_notice(app)
    output.line(f"{contact.email} logged in at {show_time(app, now)}")


@incidents_app.command("submit")
def incidents_submit(
    ctx: typer.Context,
    subject: Annotated[
        str, typer.Option("--subject", metavar="TEXT", help="What the incident is about.")
    ],
    body: Annotated[str, typer.Option("--body", metavar="TEXT", help="The description.")] = "",
    json: JsonOption = False,
) -> None:
    """Submit an incident as the --as user: only when 'check' would allow it (else exit 4).

    Examples:

    \b
      incidentctl --as jan@acme.nl incidents submit --subject "Blank pages"
      incidentctl --as jan@acme.nl incidents submit --subject VPN --body "Is down"
    """
    from incidentctl.services import portal as portal_service

    app = state(ctx)
    submitted = portal_service.submit(app.session.store, app.actor, app.clock.now, subject, body)
    if json:
        output.emit_json(documents.incident_submitted(submitted))
        return
    clock_notice(app)
    output.line(f"Submitted incident {submitted.id} as {submitted.contact.email}")


@incidents_app.command("list")
def incidents_list(
    ctx: typer.Context, org: OrgFilter = None, csv: CsvOption = False, json: JsonOption = False
) -> None:
    """List incidents: all of the organisation's for a manager or portal admin, own ones
    for a submitter; a contact who may neither submit nor view gets exit 4.

    Examples:

    \b
      incidentctl --as anouk@acme.nl incidents list
      incidentctl incidents list --org 1001 --csv > incidents.csv
    """
    from incidentctl.pager import paging
    from incidentctl.services import portal as portal_service

    one_form(csv, json)
    app = state(ctx)
    listing = portal_service.list_incidents(app.session.store, app.actor, app.clock.now, org)
    if not (json or csv):
        clock_notice(app)
    with paging():
        if json:
            output.emit_json(documents.incidents(listing.rows))
        elif csv:
            output.write_csv(documents.INCIDENT_KEYS, output.csv_rows(listing.rows))
        else:
            _incident_table(app, listing)


def _incident_table(app: AppState, listing: "portal_service.IncidentList") -> None:
    titles = {
        "all": "All incidents",
        "organisation": "The organisation's incidents",
        "own": "Your own incidents",
    }
    local = timeutil.LocalTimes(app.session.timezone)
    output.table(
        ["ID", "Submitted", "Org", "By", "Subject"],
        ([row[0], local(row[1]), row[2], row[3], row[4]] for row in listing.rows),
        title=titles[listing.scope],
        empty="No incidents.",
    )


def readiness(
    ctx: typer.Context,
    days: Annotated[
        int,
        typer.Option("--days", metavar="N", help="What counts as a recent submission, in days."),
    ] = 90,
    csv: CsvOption = False,
    json: JsonOption = False,
) -> None:
    """Before the enforcement date: organisations where nobody will be able to submit, and
    contacts who submitted recently but hold no submitter role.

    Examples:

    \b
      incidentctl readiness
      incidentctl readiness --days 30 --csv > readiness.csv
    """
    from incidentctl.pager import paging
    from incidentctl.services import portal as portal_service

    one_form(csv, json)
    app = state(ctx)
    report = portal_service.readiness(app.session.store, app.actor, app.clock.now, days)
    if not (json or csv):
        clock_notice(app)
    with paging():
        if json:
            output.emit_json(documents.readiness(report))
        elif csv:
            rows = documents.readiness_csv_rows(report)
            output.write_csv(documents.READINESS_COLUMNS, output.csv_rows(rows))
        else:
            _readiness_text(app, report)


def _readiness_text(app: AppState, report: "portal_service.Readiness") -> None:
    from incidentctl.roles import defined

    when = show_time(app, report.enforcement_date)
    submitter = defined().quota_role.label
    if report.before_enforcement:
        output.line(f"From {when} only contacts with the {submitter} role may submit incidents.")
    else:
        output.line(f"The enforcement date ({when}) has passed: this is who cannot submit now.")
    output.line()
    if report.organisations_without_submitter:
        # Headings as lines of their own, also when piped: this report has two tables.
        output.line(f"Organisations where nobody holds the {submitter} role:")
        output.table(["Org", "Name"], report.organisations_without_submitter)
    else:
        output.line("Every organisation has at least one submitter.")
    output.line()
    if report.contacts_without_role:
        local = timeutil.LocalTimes(app.session.timezone)
        output.line(f"Contacts who submitted in the last {report.days} days without the role:")
        output.table(
            ["E-mail", "Org", "Last submitted"],
            ([email, org_id, local(last)] for email, org_id, last in report.contacts_without_role),
        )
    else:
        output.line(f"Nobody without the role submitted in the last {report.days} days.")
