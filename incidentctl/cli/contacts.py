"""``contacts add|list|show|set|import``."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from incidentctl import output, timeutil
from incidentctl.cli.common import JsonOption, show_time, state
from incidentctl.cli.completion import contact_emails, org_ids, role_names
from incidentctl.vocabulary import ROLE_HELP

if TYPE_CHECKING:
    from incidentctl.domain import Contact
    from incidentctl.store.contacts import ListingForm

contacts_app = typer.Typer(
    name="contacts",
    help="Contacts (contactpersonen): the people who log in to the portal.",
    short_help="Contacts: add, list, show, change, import CSV.",
    no_args_is_help=True,
)

Email = Annotated[
    str,
    typer.Argument(
        metavar="EMAIL",
        help="The contact's e-mail address (any case).",
        autocompletion=contact_emails,
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app)


def contact_document(contact: "Contact") -> dict[str, Any]:
    return {
        "email": contact.email,
        "org": contact.org_id,
        "name": contact.name,
        "active": contact.active,
        "portal_admin": contact.portal_admin,
        "expert_until": contact.expert_until.isoformat() if contact.expert_until else None,
    }


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
    """Add one contact. Adding the same contact again changes nothing."""
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    expert, _ = _expert_until(expert_until)
    contact, created = contact_service.add(
        app.store(),
        app.actor,
        app.clock.now,
        email=email,
        org_id=org,
        name=name,
        portal_admin=portal_admin,
        expert_until=expert,
    )
    if json:
        output.emit_json({**contact_document(contact), "created": created})
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
    """Change a contact. Deactivating revokes its incident roles (audited)."""
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
        app.store(), app.actor, app.clock.now, email, patch
    )
    if json:
        output.emit_json(
            {
                **contact_document(after),
                "changed": before != after,
                "revoked": [
                    {"role": role.value, "effective_at": timeutil.to_iso(effective_at)}
                    for role, effective_at in revoked
                ],
            }
        )
        return
    if before == after:
        output.line(f"Unchanged: contact {after.email}")
        return
    output.line(f"Changed contact {after.email}:")
    old, new = contact_document(before), contact_document(after)
    for key in old:
        if old[key] != new[key]:
            output.line(f"  {key}: {output.printable(old[key])} -> {output.printable(new[key])}")
    for role, effective_at in revoked:
        output.line(f"  revoked {role.label}, takes effect {show_time(app, effective_at)}")


@contacts_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="A CSV file, or - for stdin.")],
    json: JsonOption = False,
) -> None:
    """Add or update contacts from CSV, all or nothing.

    The header is email,org,name and optionally portal_admin, expert_until, active.
    Booleans are true/false, 1/0 or yes/no; an empty cell means the default (not a
    portal admin, active, no certification). The whole file is checked first: any bad
    line is reported with its number and nothing is written.
    """
    from incidentctl import files
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    data, source = files.read_bytes(file)
    result = contact_service.import_csv(app.store(), app.actor, app.clock.now, data, source)
    if json:
        output.emit_json(
            {
                "added": result.added,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "revoked": result.revoked,
            }
        )
        return
    output.line(
        f"Imported {source}: {result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged"
        + (f"; {result.revoked} role(s) revoked by deactivation" if result.revoked else "")
    )


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
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    json: JsonOption = False,
) -> None:
    """List contacts with their roles, by organisation and e-mail.

    Roles are shown as last granted or revoked: a grant still propagating is listed, a
    revoke still propagating is not (see 'check' and 'pending' for what is in effect).
    Output streams, so even a million contacts list in constant memory.

    Examples:

      incidentctl contacts list --org 1001

      incidentctl contacts list --role Incidentenbeheer --csv > submitters.csv
    """
    from incidentctl.domain import Role, parse_role
    from incidentctl.services import contacts as contact_service
    from incidentctl.store.contacts import LISTING_COLUMNS

    if csv and json:
        raise typer.BadParameter("choose one of --csv and --json", param_hint="--csv/--json")
    app = state(ctx)
    wanted = parse_role(role) if role is not None else None
    form: ListingForm = "json" if json else "csv" if csv else "rows"
    rows = contact_service.listing(
        app.store(), app.actor, app.clock.now, form, org_id=org, role=wanted, pending=pending
    )
    if json:
        output.stream_json_texts(rows)
    elif csv:
        output.write_csv(LISTING_COLUMNS, rows)
    else:
        output.table(
            ["E-mail", "Org", "Name", "Active", "Portal admin", "Expert until", "Roles"],
            ([*row[:6], ", ".join(Role(r).label for r in row[6]) or "-"] for row in rows),
        )


@contacts_app.command("show")
def show(ctx: typer.Context, email: Email, json: JsonOption = False) -> None:
    """Show one contact and the latest change of each of its roles."""
    from incidentctl.services import contacts as contact_service

    app = state(ctx)
    detail = contact_service.show(app.store(), app.actor, app.clock.now, email)
    contact = detail.contact
    if json:
        output.emit_json(
            {
                **contact_document(contact),
                "expert": detail.expert_today,
                "roles": [
                    role.value
                    for role, change in detail.latest_changes.items()
                    if change.action == "grant"
                ],
                "role_changes": [
                    {
                        "role": role.value,
                        "action": change.action,
                        "requested_at": timeutil.to_iso(change.requested_at),
                        "effective_at": timeutil.to_iso(change.effective_at),
                        "actor": change.actor,
                        "reason": change.reason,
                    }
                    for role, change in detail.latest_changes.items()
                ],
            }
        )
        return
    pairs: list[tuple[str, object]] = [
        ("Contact", contact.email),
        ("Name", contact.name),
        ("Organisation", contact.org_id),
        ("Active", contact.active),
        ("Portal admin", contact.portal_admin),
        ("Expert until", contact.expert_until.isoformat() if contact.expert_until else None),
    ]
    for role, change in detail.latest_changes.items():
        verb = "granted" if change.action == "grant" else "revoked"
        pairs.append(
            (
                role.label,
                f"{verb} {show_time(app, change.requested_at)}, "
                f"in effect from {show_time(app, change.effective_at)}",
            )
        )
    output.fields(pairs)
