"""``check``, ``pending``, ``login``, ``incidents submit|list``, ``readiness``."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from incidentctl import output, timeutil
from incidentctl.cli.common import AppState, JsonOption, clock_notice, show_time, state
from incidentctl.cli.completion import contact_emails, org_ids
from incidentctl.errors import NOT_AUTHORIZED

if TYPE_CHECKING:
    from incidentctl.access import Permission
    from incidentctl.services import access as access_service

incidents_app = typer.Typer(
    name="incidents",
    help="Submit and list incidents as a portal user (--as EMAIL), with the portal's rules.",
    short_help="Submit and list incidents as a portal user (--as).",
    no_args_is_help=True,
)

Email = Annotated[
    str,
    typer.Argument(
        metavar="EMAIL", help="The contact's e-mail address.", autocompletion=contact_emails
    ),
]
OrgFilter = Annotated[
    str | None,
    typer.Option("--org", metavar="ID", help="Only this organisation.", autocompletion=org_ids),
]


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("pending")(pending)
    app.command("login")(login)
    app.add_typer(incidents_app)
    app.command("readiness")(readiness)


def _permission_document(permission: "Permission") -> dict[str, Any]:
    return {
        "status": permission.status,
        "allowed": permission.allowed,
        "effective_at": timeutil.to_iso(permission.effective_at)
        if permission.effective_at
        else None,
        "reason": permission.reason,
    }


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
    """
    from incidentctl.services import access as access_service

    app = state(ctx)
    store = app.store()
    now = app.clock.now
    moment = timeutil.parse_time(at, now=now, tz=store.settings.timezone) if at is not None else now
    access = access_service.check(store, app.actor, email, moment)
    if json:
        output.emit_json(
            {
                "email": access.contact.email,
                "at": timeutil.to_iso(access.at),
                "submit": _permission_document(access.submit),
                "view_all": _permission_document(access.view_all),
            }
        )
    else:
        clock_notice(app)
        contact = access.contact
        output.line(
            f"{contact.email} ({output.printable(contact.name)}, organisation {contact.org_id}) "
            f"at {show_time(app, access.at)}"
        )
        output.fields(
            [
                ("Submit incidents", f"{access.submit.status}: {access.submit.reason}"),
                ("View all incidents", f"{access.view_all.status}: {access.view_all.reason}"),
            ]
        )
    if not access.submit.allowed:
        raise typer.Exit(NOT_AUTHORIZED)


def pending(ctx: typer.Context, org: OrgFilter = None, json: JsonOption = False) -> None:
    """List role changes not yet in effect, soonest first, with the time left."""
    from incidentctl.services import access as access_service

    app = state(ctx)
    now = app.clock.now
    rows = access_service.pending(app.store(), app.actor, now, org)
    if json:
        output.stream_json_array(
            {
                "email": email,
                "org": org_id,
                "role": role,
                "action": action,
                "requested_at": requested,
                "effective_at": effective,
            }
            for email, org_id, role, action, requested, effective in rows
        )
        return
    clock_notice(app)
    output.table(
        ["E-mail", "Org", "Role", "Action", "Requested", "Takes effect", "Left"],
        (
            [
                email,
                org_id,
                role,
                action,
                show_time(app, timeutil.from_iso(requested)),
                show_time(app, timeutil.from_iso(effective)),
                timeutil.format_duration(timeutil.from_iso(effective) - now),
            ]
            for email, org_id, role, action, requested, effective in rows
        ),
    )


def login(ctx: typer.Context, email: Email, json: JsonOption = False) -> None:
    """Record a portal log-in for the contact: a new session, which picks up the roles in
    effect at this moment."""
    from incidentctl.services import access as access_service

    app = state(ctx)
    now = app.clock.now
    contact = access_service.login(app.store(), app.actor, now, email)
    if json:
        output.emit_json({"email": contact.email, "at": timeutil.to_iso(now)})
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
    """Submit an incident as the --as user: only when 'check' would allow it (else exit 4)."""
    from incidentctl.services import access as access_service

    app = state(ctx)
    submitted = access_service.submit(app.store(), app.actor, app.clock.now, subject, body)
    if json:
        output.emit_json(
            {
                "id": submitted.id,
                "email": submitted.contact.email,
                "org": submitted.contact.org_id,
                "submitted_at": timeutil.to_iso(submitted.at),
            }
        )
        return
    clock_notice(app)
    output.line(f"Submitted incident {submitted.id} as {submitted.contact.email}")


@incidents_app.command("list")
def incidents_list(ctx: typer.Context, org: OrgFilter = None, json: JsonOption = False) -> None:
    """List incidents: all of the organisation's for a manager or portal admin, own ones
    for a submitter; a contact who may neither submit nor view gets exit 4."""
    from incidentctl.services import access as access_service

    app = state(ctx)
    listing = access_service.list_incidents(app.store(), app.actor, app.clock.now, org)
    if json:
        output.emit_json(
            [
                {
                    "id": row[0],
                    "submitted_at": row[1],
                    "org": row[2],
                    "email": row[3],
                    "subject": row[4],
                    "body": row[5],
                }
                for row in listing.rows
            ]
        )
        return
    _incident_table(app, listing)


def _incident_table(app: AppState, listing: "access_service.IncidentList") -> None:
    clock_notice(app)
    titles = {
        "all": "All incidents",
        "organisation": "The organisation's incidents",
        "own": "Your own incidents",
    }
    output.table(
        ["ID", "Submitted", "Org", "By", "Subject"],
        (
            [row[0], show_time(app, timeutil.from_iso(row[1])), row[2], row[3], row[4]]
            for row in listing.rows
        ),
        title=titles[listing.scope],
    )


def readiness(
    ctx: typer.Context,
    days: Annotated[
        int,
        typer.Option("--days", metavar="N", help="What counts as a recent submission, in days."),
    ] = 90,
    json: JsonOption = False,
) -> None:
    """Before the enforcement date: organisations where nobody will be able to submit, and
    contacts who submitted recently but hold no submitter role."""
    from incidentctl.services import access as access_service

    app = state(ctx)
    report = access_service.readiness(app.store(), app.actor, app.clock.now, days)
    if json:
        output.emit_json(
            {
                "enforcement_date": timeutil.to_iso(report.enforcement_date),
                "before_enforcement": report.before_enforcement,
                "days": report.days,
                "organisations_without_submitter": [
                    {"org": org_id, "name": name}
                    for org_id, name in report.organisations_without_submitter
                ],
                "contacts_without_role": [
                    {"email": email, "org": org_id, "last_submitted": last}
                    for email, org_id, last in report.contacts_without_role
                ],
            }
        )
        return
    clock_notice(app)
    when = show_time(app, report.enforcement_date)
    if report.before_enforcement:
        output.line(f"From {when} only contacts with the submitter role may submit incidents.")
    else:
        output.line(f"The enforcement date ({when}) has passed: this is who cannot submit now.")
    output.line()
    if report.organisations_without_submitter:
        output.table(
            ["Org", "Name"],
            report.organisations_without_submitter,
            title="Organisations where nobody holds the submitter role",
        )
    else:
        output.line("Every organisation has at least one submitter.")
    output.line()
    if report.contacts_without_role:
        output.table(
            ["E-mail", "Org", "Last submitted"],
            (
                [email, org_id, show_time(app, timeutil.from_iso(last))]
                for email, org_id, last in report.contacts_without_role
            ),
            title=f"Contacts who submitted in the last {report.days} days without the role",
        )
    else:
        output.line(f"Nobody without the role submitted in the last {report.days} days.")
