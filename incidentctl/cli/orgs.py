"""``org add|list|show|set``."""

from typing import Annotated

import typer

from incidentctl import documents, output
from incidentctl.cli.common import JsonOption, OrgId, state
from incidentctl.cli.listings import CsvOption, one_form

org_app = typer.Typer(
    name="org",
    help="""Organisations (customers): their size, sector and quota override.

    Examples:

    \b
      incidentctl org import customers.csv
      incidentctl org list
      incidentctl org show 1001
    """,
    short_help="Organisations: add, list, show, change.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(org_app)


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
    """Add an organisation. Adding the same one again changes nothing.

    Examples:

    \b
      incidentctl org add 1004 --name "Fietsenmakerij Snel" --employees 6
      incidentctl org add 1005 --name "Wilgenhof" --employees 80 --sector zorg
    """
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    store = app.session.store
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
        output.emit_json(documents.org_added(org, created))
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
    domains: Annotated[
        str | None,
        typer.Option(
            "--domains",
            metavar="D1,D2",
            help='E-mail domains of its addresses ("" removes them); portal admins then '
            "add only addresses in them.",
        ),
    ] = None,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask before a maximum below the seats in use."),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Change an organisation; --quota/--clear-quota is the operator's override of the maximum.

    Lowering the maximum below the number of current submitters revokes nobody: the
    organisation is over quota and new non-expert grants are refused until seats free up.
    With --domains, its portal admins may add and import only addresses in those domains
    (the operator may add any).

    Examples:

    \b
      incidentctl org set 1001 --quota 6 --reason "contract 2024-17"
      incidentctl org set 1001 --domains vandijk.nl,vandijk.com
    """
    from incidentctl import interactive
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    store = app.session.store
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
        domains=domains,
        confirm=interactive.confirmation(yes=yes),
    )
    if json:
        output.emit_json(documents.org_changed(before, after))
        return
    if before == after:
        output.line(f"Unchanged: organisation {after.id}")
        return
    output.line(f"Changed organisation {after.id}:")
    for key in ("name", "employees", "sector", "quota_override", "quota_override_reason"):
        old, new = getattr(before, key), getattr(after, key)
        if old != new:
            output.line(f"  {key}: {output.printable(old)} -> {output.printable(new)}")
    if before.domains != after.domains:
        output.line(f"  domains: {_domains_text(before.domains)} -> {_domains_text(after.domains)}")


def _domains_text(domains: tuple[str, ...]) -> str:
    return ", ".join(domains) or "-"


@org_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE|-", help="A CSV file, or - for stdin.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the whole file and report; write nothing.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only the summary line (errors still go to stderr)."
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Add or update organisations from CSV, all or nothing. Operator only.

    The header is id,name,employees and optionally sector and domains (e-mail domains,
    separated by ; or blanks in the cell). A new organisation is added; an existing one
    gets the values of the file, for the columns the file has (sector and domains are
    left alone when their column is absent; an empty cell removes them). The whole file
    is checked first: any bad line is reported with its number and nothing is written.
    Every change is audited (org.add, org.set).

    Examples:

    \b
      incidentctl org import customers.csv --dry-run
      incidentctl org import customers.csv
    """
    from incidentctl.cli.imports import read_csv, summary
    from incidentctl.domain import require_operator
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    store = app.session.store
    # Refuse a portal user before reading the file (or waiting for stdin).
    require_operator(app.actor, "org import")
    result, source = read_csv(
        file,
        "organisations",
        lambda csv_file, bar: org_service.import_csv(
            store, app.actor, app.clock.now, csv_file, dry_run=dry_run, progress=bar
        ),
        quiet=quiet,
    )
    if json:
        output.emit_json(documents.orgs_imported(result, dry_run))
        return
    output.line(summary(source, result, dry_run=dry_run))


@org_app.command("list")
def list_(ctx: typer.Context, csv: CsvOption = False, json: JsonOption = False) -> None:
    """List organisations with their contacts and live quota.

    Example:

    \b
      incidentctl org list --csv > organisations.csv
    """
    from incidentctl.pager import paging
    from incidentctl.services import orgs as org_service

    one_form(csv, json)
    app = state(ctx)
    store, actor, now = app.session.store, app.actor, app.clock.now
    if not (json or csv):
        # The table shows a few numbers of each organisation; they come ready from one
        # statement, without the documents' publications, admins and reasons.
        listing = org_service.listing(store, actor, now)
        with paging():
            output.table(
                ["ID", "Name", "Employees", "Sector", "Contacts", "Submitters", "Maximum"],
                listing,
                empty="No organisations yet.",
            )
        return
    views = org_service.overviews(store, actor, now)
    with paging():
        if json:
            output.emit_json([documents.organisation(view) for view in views])
        else:
            rows = (documents.organisation_csv_row(view) for view in views)
            output.write_csv(documents.ORG_CSV_COLUMNS, output.csv_rows(rows))


@org_app.command("show")
def show(ctx: typer.Context, org_id: OrgId, json: JsonOption = False) -> None:
    """Show one organisation: size, contacts, portal admins, and its quota.

    Examples:

    \b
      incidentctl org show 1001
      incidentctl --as jan@acme.nl org show 1001 --json
    """
    from incidentctl.services import orgs as org_service

    app = state(ctx)
    (view,) = org_service.overviews(app.session.store, app.actor, app.clock.now, only=org_id)
    if json:
        output.emit_json(documents.organisation(view))
        return
    org, quota = view.org, view.quota
    published = quota.published
    output.fields(
        [
            ("Organisation", org.id),
            ("Name", org.name),
            ("Employees", org.employees),
            ("Sector", org.sector),
            ("E-mail domains", _domains_text(org.domains)),
            ("Contacts", f"{view.active_contacts} active of {view.contacts}"),
            (
                "Portal admins",
                ", ".join(f"{name} <{email}>" for email, name in view.admins or [])
                or "none (ask the vendor)",
            ),
            (
                "Maximum",
                f"{quota.maximum}"
                + (
                    f" (override: {org.quota_override_reason})"
                    if org.quota_override is not None
                    else ""
                ),
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
