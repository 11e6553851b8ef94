"""``contacts add|list|show|set|import``."""

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import Email, JsonOption, show_time, state
from incidentctl.cli.completion import org_ids, role_names
from incidentctl.cli.listings import CsvOption, one_form
from incidentctl.vocabulary import ROLE_HELP

if TYPE_CHECKING:
    from incidentctl.services.contacts import ListingForm

contacts_app = typer.Typer(
    name="contacts",
    help="""Contacts (contactpersonen): the people who log in to the portal.

    Examples:

    \b
      incidentctl contacts import contacts.csv
      incidentctl contacts list --org 1001
      incidentctl contacts show jan@acme.nl
    """,
    short_help="Contacts: add, list, show, change, import CSV.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app)


def _expert_until(text: str | None) -> tuple[date | None, bool]:
    """(date, given): ``none`` removes a certification."""
    if text is None:
        return None, False
    if text.strip().lower() == "none":
        return None, True
    return timeutil.parse_date(text), True


@contacts_app.command("add")
def add(
    ctx: typer.Context,
    email: Email,
    org: Annotated[
        str,
        typer.Option(
            "--org", metavar="ID", help="The contact's organisation.", autocompletion=org_ids
        ),
    ],
    name: Annotated[str, typer.Option("--name", metavar="TEXT", help="Full name.")],
    portal_admin: Annotated[
        bool,
        typer.Option(
            "--portal-admin", help="Make the contact a portal admin (klantportalbeheerder)."
        ),
    ] = False,
    expert_until: Annotated[
        str | None,
        typer.Option(
            "--expert-until",
            metavar="DATE",
            help="Certified AFAS Expert until this date (YYYY-MM-DD, inclusive).",
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Add one contact. Adding the same contact again changes nothing.

    Examples:

    \b
      incidentctl contacts add els@acme.nl --org 1001 --name "Els Bakker"
      incidentctl contacts add kim@acme.nl --org 1001 --name Kim --portal-admin
      incidentctl --as anouk@acme.nl contacts add bo@acme.nl --org 1001 --name Bo
    """
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    expert, _ = _expert_until(expert_until)
    contact, created = contact_service.add(
        app.session.store,
        app.actor,
        app.clock.now,
        email=email,
        org_id=org,
        name=name,
        portal_admin=portal_admin,
        expert_until=expert,
    )
    if json:
        output.emit_json(documents.contact_added(contact, created))
        return
    output.line(
        f"{'Added' if created else 'Unchanged:'} contact {contact.email} "
        f"({output.printable(contact.name)}) in organisation {contact.org_id}"
    )


@contacts_app.command("set")
def set_(
    ctx: typer.Context,
    email: Email,
    name: Annotated[
        str | None, typer.Option("--name", metavar="TEXT", help="New full name.")
    ] = None,
    portal_admin: Annotated[
        bool | None,
        typer.Option("--portal-admin/--no-portal-admin", help="Make or unmake a portal admin."),
    ] = None,
    expert_until: Annotated[
        str | None,
        typer.Option(
            "--expert-until",
            metavar="DATE|none",
            help="Certified expert until DATE (inclusive), or 'none' to remove it.",
        ),
    ] = None,
    active: Annotated[
        bool | None,
        typer.Option(
            "--active/--inactive",
            help="Activate, or deactivate (which revokes the contact's incident roles).",
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Change a contact. Deactivating revokes its incident roles (audited).

    Examples:

    \b
      incidentctl contacts set jan@acme.nl --expert-until 2025-06-30
      incidentctl contacts set piet@acme.nl --inactive
      incidentctl contacts set k.visser@waterland.nl --active --portal-admin
    """
    from incidentctl.services import contacts as contact_service
    from incidentctl.services.contacts import ContactPatch

    app = state(ctx)
    expert, expert_given = _expert_until(expert_until)
    patch = ContactPatch(
        name=name,
        portal_admin=portal_admin,
        active=active,
        expert_until=expert,
        set_expert_until=expert_given,
    )
    before, after, revoked = contact_service.update(
        app.session.store, app.actor, app.clock.now, email, patch
    )
    if json:
        output.emit_json(documents.contact_changed(before, after, revoked))
        return
    if before == after:
        output.line(f"Unchanged: contact {after.email}")
        return
    output.line(f"Changed contact {after.email}:")
    old, new = documents.contact(before), documents.contact(after)
    for key in old:
        if old[key] != new[key]:
            output.line(f"  {key}: {output.printable(old[key])} -> {output.printable(new[key])}")
    for role, effective_at in revoked:
        output.line(f"  revoked {role.label}, takes effect {show_time(app, effective_at)}")


@contacts_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="A CSV file, or - for stdin.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the whole file and report; write nothing.")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask before deactivating more than one contact."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only the summary line (errors still go to stderr)."
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Add or update contacts from CSV, all or nothing.

    The header is email,org,name and optionally portal_admin, expert_until, active (a
    roles column, as 'contacts list --csv' writes, is ignored: roles change through
    grant, revoke and apply). Booleans are true/false, 1/0 or yes/no; an empty cell
    means the default (not a portal admin, active, no certification). The whole file is
    checked first: any bad line is reported with its number and nothing is written.
    Files from spreadsheets work as saved: the delimiter may be , ; or TAB, and the file
    must be UTF-8 ("CSV UTF-8" in Excel).

    Examples:

    \b
      incidentctl contacts import contacts.csv --dry-run
      incidentctl contacts list --csv | incidentctl --db copy.db contacts import -
    """
    from incidentctl import interactive
    from incidentctl.cli.imports import read_csv, summary
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    store = app.session.store
    confirm = interactive.confirmation(yes=yes, dry_run=dry_run, file=file)
    result, source = read_csv(
        file,
        "contacts",
        lambda csv_file, bar: contact_service.import_csv(
            store,
            app.actor,
            app.clock.now,
            csv_file,
            dry_run=dry_run,
            progress=bar,
            confirm=interactive.pausing(bar, confirm),
        ),
        quiet=quiet,
    )
    if json:
        output.emit_json(documents.contacts_imported(result, dry_run))
        return
    revoked = f"; {result.revoked:,} role(s) revoked by deactivation" if result.revoked else ""
    output.line(summary(source, result, dry_run=dry_run, more=revoked))


@contacts_app.command("list")
def list_(
    ctx: typer.Context,
    org: Annotated[
        str | None,
        typer.Option(
            "--org", metavar="ID", help="Only this organisation's contacts.", autocompletion=org_ids
        ),
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(
            "--role",
            metavar="ROLE",
            help=f"Only holders of ROLE: {ROLE_HELP}",
            autocompletion=role_names,
        ),
    ] = None,
    pending: Annotated[
        bool, typer.Option("--pending", help="Only contacts with a role change not yet in effect.")
    ] = False,
    csv: CsvOption = False,
    json: JsonOption = False,
) -> None:
    """List contacts with their roles, by organisation and e-mail.

    Roles are shown as last granted or revoked: a grant still propagating is listed, a
    revoke still propagating is not (see 'check' and 'pending' for what is in effect).
    Output streams, so even a million contacts list in constant memory.

    Examples:

    \b
      incidentctl contacts list --org 1001
      incidentctl contacts list --role Incidentenbeheer --csv > submitters.csv
    """
    from incidentctl import interactive
    from incidentctl.pager import paging
    from incidentctl.roles import parse_role
    from incidentctl.services import contacts as contact_service

    one_form(csv, json)
    app = state(ctx)
    wanted = parse_role(role) if role is not None else None
    form: ListingForm = "json" if json else "csv" if csv else "table"
    rows = contact_service.listing(
        app.session.store, app.actor, app.clock.now, form, org_id=org, role=wanted, pending=pending
    )
    with paging(), interactive.listing_progress("listing contacts", "contacts") as bar:
        rows = interactive.counted(rows, bar)
        if json:
            output.stream_json_texts(rows)
        elif csv:
            output.write_csv(documents.CONTACT_LISTING_KEYS, rows)
        else:
            output.table(
                ["E-mail", "Org", "Name", "Active", "Portal admin", "Expert until", "Roles"],
                rows,
                empty="No contacts match.",
            )


@contacts_app.command("show")
def show(ctx: typer.Context, email: Email, json: JsonOption = False) -> None:
    """Show one contact and the latest change of each of its roles.

    A portal user who is not a portal admin sees itself, and its organisation's portal
    admins by name and address only.

    Examples:

    \b
      incidentctl contacts show jan@acme.nl
      incidentctl --as jan@acme.nl contacts show anouk@acme.nl
    """
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    detail = contact_service.show(app.session.store, app.actor, app.clock.now, email)
    contact = detail.contact
    changes = detail.latest_changes
    if json:
        output.emit_json(documents.contact_shown(detail))
        return
    pairs: list[tuple[str, object]] = [
        ("Contact", contact.email),
        ("Name", contact.name),
        ("Organisation", contact.org_id),
        ("Portal admin", contact.portal_admin),
    ]
    if detail.restricted:
        output.fields(pairs)
        return
    pairs[3:3] = [("Active", contact.active)]
    pairs.append(
        ("Expert until", contact.expert_until.isoformat() if contact.expert_until else None)
    )
    for role, change in (changes or {}).items():
        verb = "granted" if change.action == "grant" else "revoked"
        pairs.append(
            (
                role.label,
                f"{verb} {show_time(app, change.requested_at)}, "
                f"in effect from {show_time(app, change.effective_at)}",
            )
        )
    output.fields(pairs)


@contacts_app.command("move")
def move(
    ctx: typer.Context,
    email: Email,
    org: Annotated[str, typer.Option("--org", metavar="ID", help="The organisation it moves to.")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why (kept in the audit log).")
    ],
    json: JsonOption = False,
) -> None:
    """Move a contact to another organisation. Operator only.

    Its incident roles are revoked at once, without the propagation delay (they belong to
    the organisation it leaves), and it is no longer a portal admin; both organisations'
    audit logs record the move. Use it when an address was added to the wrong organisation,
    or a person changed employer.

    Example:

    \b
      incidentctl contacts move tom@hetbaken.nl --org 1003 --reason "ticket 4711"
    """
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    moved = contact_service.move(app.session.store, app.actor, app.clock.now, email, org, reason)
    before, after = moved.before, moved.after
    if json:
        output.emit_json(documents.contact_moved(moved))
        return
    if before == after:
        output.line(f"Unchanged: {after.email} is already in organisation {after.org_id}")
        return
    output.line(f"Moved {after.email} from organisation {before.org_id} to {after.org_id}")
    for role, effective_at in moved.revoked:
        output.line(f"  revoked {role.label}, takes effect {show_time(app, effective_at)}")
    if before.portal_admin:
        output.line("  no longer a portal admin")
