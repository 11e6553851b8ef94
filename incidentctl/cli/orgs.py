"""``org add|list|show|set``."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from incidentctl import output
from incidentctl.cli.common import JsonOption, state
from incidentctl.cli.completion import org_ids

if TYPE_CHECKING:
    from incidentctl.services.orgs import OrgOverview
    from incidentctl.services.quota import QuotaStatus

org_app = typer.Typer(
    name="org",
    help="Organisations (customers): their size, sector and quota override.",
    short_help="Organisations: add, list, show, change.",
    no_args_is_help=True,
)

OrgId = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="The organisation id (customer number).", autocompletion=org_ids
    ),
]


def register(app: typer.Typer) -> None:
    app.add_typer(org_app)


def quota_document(status: "QuotaStatus") -> dict[str, Any]:
    """The ``quota ID --json`` document (SPEC §3a)."""
    published = status.published
    return {
        "org": status.org,
        "maximum": status.maximum,
        "used": status.used,
        "remaining": status.remaining,
        "experts": status.experts,
        "over_quota": status.over_quota,
        "published": None
        if published is None
        else {
            "business_date": published.business_date,
            "maximum": published.maximum,
            "used": published.used,
        },
    }


def org_document(view: "OrgOverview") -> dict[str, Any]:
    org = view.org
    return {
        "id": org.id,
        "name": org.name,
        "employees": org.employees,
        "sector": org.sector,
        "quota_override": org.quota_override,
        "quota_override_reason": org.quota_override_reason,
        "contacts": view.contacts,
        "active_contacts": view.active_contacts,
        "portal_admins": view.portal_admins,
        "quota": quota_document(view.quota),
    }


@org_app.command("add")
def add(
    ctx: typer.Context,
    org_id: OrgId,
    name: Annotated[str, typer.Option("--name", metavar="TEXT", help="The organisation's name.")],
    employees: Annotated[
        int,
        typer.Option(
            "--employees", metavar="N", min=0, help="Number of employees (sets the quota band)."
        ),
    ],
    sector: Annotated[
        str | None,
        typer.Option("--sector", metavar="TEXT", help="Sector, for comparable-customer bands."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Add an organisation. Adding the same one again changes nothing."""
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    store = app.store()
    org, created = org_service.add(
        store,
        app.actor,
        app.clock.now,
        org_id=org_id,
        name=name,
        employees=employees,
        sector=sector,
    )
    if json:
        output.emit_json(
            {
                "id": org.id,
                "name": org.name,
                "employees": org.employees,
                "sector": org.sector,
                "created": created,
            }
        )
        return
    verb = "Added" if created else "Unchanged:"
    output.line(f"{verb} organisation {org.id} ({output.printable(org.name)})")


@org_app.command("set")
def set_(
    ctx: typer.Context,
    org_id: OrgId,
    name: Annotated[str | None, typer.Option("--name", metavar="TEXT", help="New name.")] = None,
    employees: Annotated[
        int | None, typer.Option("--employees", metavar="N", min=0, help="New number of employees.")
    ] = None,
    sector: Annotated[
        str | None, typer.Option("--sector", metavar="TEXT", help='New sector ("" removes it).')
    ] = None,
    quota: Annotated[
        int | None,
        typer.Option(
            "--quota", metavar="N", min=0, help="Override the policy's maximum (needs --reason)."
        ),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", metavar="TEXT", help="Why the maximum is overridden (audited)."),
    ] = None,
    clear_quota: Annotated[
        bool, typer.Option("--clear-quota", help="Remove the override: the policy decides again.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Change an organisation; --quota/--clear-quota is the operator's override of the maximum.

    Lowering the maximum below the number of current submitters revokes nobody: the
    organisation is over quota and new non-expert grants are refused until seats free up.
    """
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    store = app.store()
    before, after = org_service.update(
        store,
        app.actor,
        app.clock.now,
        org_id,
        name=name,
        employees=employees,
        sector=sector,
        quota=quota,
        reason=reason,
        clear_quota=clear_quota,
    )
    if json:
        output.emit_json(
            {
                "id": after.id,
                "changed": before != after,
                "name": after.name,
                "employees": after.employees,
                "sector": after.sector,
                "quota_override": after.quota_override,
                "quota_override_reason": after.quota_override_reason,
            }
        )
        return
    if before == after:
        output.line(f"Unchanged: organisation {after.id}")
        return
    output.line(f"Changed organisation {after.id}:")
    for key in ("name", "employees", "sector", "quota_override", "quota_override_reason"):
        old, new = getattr(before, key), getattr(after, key)
        if old != new:
            output.line(f"  {key}: {output.printable(old)} -> {output.printable(new)}")


@org_app.command("list")
def list_(ctx: typer.Context, json: JsonOption = False) -> None:
    """List organisations with their contacts and live quota."""
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    views = org_service.overviews(app.store(), app.actor, app.clock.now)
    if json:
        output.emit_json([org_document(view) for view in views])
        return
    output.table(
        ["ID", "Name", "Employees", "Sector", "Contacts", "Submitters", "Maximum"],
        (
            [
                v.org.id,
                v.org.name,
                v.org.employees,
                v.org.sector,
                v.active_contacts,
                v.quota.used,
                v.quota.maximum,
            ]
            for v in views
        ),
    )


@org_app.command("show")
def show(ctx: typer.Context, org_id: OrgId, json: JsonOption = False) -> None:
    """Show one organisation: size, contacts, portal admins, and its quota."""
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    (view,) = org_service.overviews(app.store(), app.actor, app.clock.now, only=org_id)
    if json:
        output.emit_json(org_document(view))
        return
    org, quota = view.org, view.quota
    published = quota.published
    output.fields(
        [
            ("Organisation", org.id),
            ("Name", org.name),
            ("Employees", org.employees),
            ("Sector", org.sector),
            ("Contacts", f"{view.active_contacts} active of {view.contacts}"),
            ("Portal admins", view.portal_admins),
            (
                "Maximum",
                f"{quota.maximum}" + (" (override)" if org.quota_override is not None else ""),
            ),
            (
                "Submitters (live)",
                f"{quota.used} used, {quota.remaining} remaining"
                + (", OVER QUOTA" if quota.over_quota else ""),
            ),
            ("Experts", quota.experts),
            (
                "Published",
                "not yet"
                if published is None
                else f"{published.used} of {published.maximum} on {published.business_date}",
            ),
        ]
    )
