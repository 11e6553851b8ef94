"""``quota [ID]``, ``quota explain ID``, ``policy show|load``."""

from typing import TYPE_CHECKING, Annotated, Any

import typer

from incidentctl import documents, output
from incidentctl.cli.common import JsonOption, clock_notice, state
from incidentctl.cli.completion import quota_words
from incidentctl.cli.listings import CsvOption, one_form
from incidentctl.errors import InvalidInput

if TYPE_CHECKING:
    from incidentctl.services.quota import MaximaChange

policy_app = typer.Typer(
    name="policy",
    help="""The quota policy: size bands (employees -> maximum), optionally per sector.

    Examples:

    \b
      incidentctl policy show > policy.toml
      incidentctl policy load policy.toml --dry-run
    """,
    short_help="The quota policy: show it, load a TOML file.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("quota")(quota)
    app.add_typer(policy_app)


def quota(
    ctx: typer.Context,
    words: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[ID | explain ID]",
            help="An organisation id, or explain ID.",
            autocompletion=quota_words,
        ),
    ] = None,
    csv: CsvOption = False,
    json: JsonOption = False,
) -> None:
    """Show the quota: maximum, live used and remaining, experts, over quota, published.

    'quota ID' shows one organisation, 'quota' all you may see, and 'quota explain ID'
    how the maximum was derived (size band, sector, override). Used and remaining are
    live; the published figure is what customers see since the last nightly recount.

    Examples:

    \b
      incidentctl quota
      incidentctl quota 1001
      incidentctl quota explain 1001
    """
    from incidentctl.pager import paging
    from incidentctl.services import quota as quota_service

    one_form(csv, json)
    app = state(ctx)
    args = words or []
    if args and args[0] == "explain":
        if csv:
            raise InvalidInput(
                "quota explain has no CSV form", hint="use --json, or quota --csv for the figures"
            )
        if len(args) != 2:
            raise InvalidInput("quota explain takes one organisation id", hint="quota explain ID")
        _explain(app, args[1], json)
        return
    if len(args) > 1:
        raise InvalidInput("quota takes at most one organisation id", hint="quota [ID]")
    store = app.store()
    if args:
        status = quota_service.status(store, app.actor, app.clock.now, args[0])
        if json:
            output.emit_json(documents.quota(status))
            return
        if csv:
            row = documents.quota_csv_row(status)
            output.write_csv(documents.QUOTA_CSV_COLUMNS, output.csv_rows([row]))
            return
        clock_notice(app)
        published = status.published
        output.fields(
            [
                ("Organisation", status.org),
                ("Maximum", status.maximum),
                ("Used", f"{status.used} (live; experts not counted)"),
                ("Remaining", status.remaining),
                ("Experts", status.experts),
                (
                    "Over quota",
                    f"yes, by {status.used - status.maximum}" if status.over_quota else "no",
                ),
                (
                    "Published",
                    "not yet (runs nightly)"
                    if published is None
                    else f"{published.used} of {published.maximum} on {published.business_date}",
                ),
            ]
        )
        return
    statuses = quota_service.statuses(store, app.actor, app.clock.now)
    if not (json or csv):
        clock_notice(app)
    with paging():
        if json:
            output.emit_json([documents.quota(s) for s in statuses])
        elif csv:
            rows = (documents.quota_csv_row(s) for s in statuses)
            output.write_csv(documents.QUOTA_CSV_COLUMNS, output.csv_rows(rows))
        else:
            output.table(
                ["Org", "Maximum", "Used", "Remaining", "Experts", "Over quota", "Published"],
                (
                    [
                        s.org,
                        s.maximum,
                        s.used,
                        s.remaining,
                        s.experts,
                        s.over_quota,
                        "-"
                        if s.published is None
                        else f"{s.published.used}/{s.published.maximum} "
                        f"({s.published.business_date})",
                    ]
                    for s in statuses
                ),
                empty="No organisations yet.",
            )


def _explain(app: Any, org_id: str, json: bool) -> None:
    from incidentctl.services import quota as quota_service

    org, derivation = quota_service.explain(app.store(), app.actor, org_id)
    band = derivation.band
    until = derivation.band_until
    band_text = (
        f"{band.from_employees}+ employees"
        if until is None
        else f"{band.from_employees}-{until - 1} employees"
    )
    if json:
        output.emit_json(documents.quota_explained(org, derivation))
        return
    if derivation.sector:
        bands = f"the bands of sector {derivation.sector!r} (comparable customers)"
    elif org.sector:
        bands = f"the general size bands (the policy has no bands for sector {org.sector!r})"
    else:
        bands = "the general size bands (no sector given)"
    source = "override" if derivation.source == "override" else "policy"
    override = (
        "none"
        if derivation.override is None
        else f"{derivation.override}, because: {derivation.override_reason}"
    )
    output.fields(
        [
            ("Organisation", f"{org.id} ({output.printable(org.name)})"),
            ("Size", f"{org.employees} employees"),
            ("Bands", bands),
            ("Band", f"{band_text} -> maximum {band.maximum}"),
            ("Override", override),
            ("Maximum", f"{derivation.maximum} (from the {source})"),
        ]
    )


@policy_app.command("show")
def policy_show(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the quota policy in force (as TOML, the format 'policy load' reads).

    Examples:

    \b
      incidentctl policy show
      incidentctl policy show > policy.toml
    """
    from incidentctl import policy as quota_policy
    from incidentctl.services import quota as quota_service

    app = state(ctx)
    policy, is_default = quota_service.show_policy(app.store(), app.actor)
    if json:
        output.emit_json(documents.policy_shown(policy, is_default))
        return
    if is_default:
        output.line("# the built-in default policy (docs/roles-and-quota.md)")
    output.line(quota_policy.to_toml(policy).rstrip("\n"))


@policy_app.command("load")
def policy_load(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE|-", help="A TOML policy file, or - for stdin.")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the file and report it; write nothing.")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option("--yes", "-y", help="Do not ask before changing any organisation's maximum."),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Replace the quota policy with FILE (TOML), after checking all of it. Operator only.

    Lowering maxima revokes nobody: organisations above their new maximum are over quota
    and refuse new non-expert grants until seats free up. A policy has at most 100 bands
    per list and 500 sectors; sector names are at most 100 characters.

    Examples:

    \b
      incidentctl policy show > policy.toml
      incidentctl policy load policy.toml --dry-run
    """
    from incidentctl import files, interactive
    from incidentctl.domain import require_operator
    from incidentctl.services import quota as quota_service

    app = state(ctx)
    # Refuse a portal user before reading the file (or waiting for stdin).
    require_operator(app.actor, "policy load")
    interactive.announce_stdin(file, "the TOML policy")
    data, source = files.read_whole(file)
    loaded = quota_service.load_policy_file(
        app.store(),
        app.actor,
        app.clock.now,
        data,
        source,
        dry_run=dry_run,
        confirm=interactive.confirmation(yes=yes, dry_run=dry_run, file=file),
    )
    policy, maxima = loaded
    if json:
        output.emit_json(documents.policy_loaded(source, dry_run, policy, maxima))
        return
    output.line(
        f"{'Checked' if dry_run else 'Loaded'} the quota policy from {source}: "
        f"{len(policy.bands)} size bands, {len(policy.sectors)} sectors; "
        + _maxima_text(maxima, dry_run)
        + ("; dry run: nothing was written" if dry_run else "")
    )


def _maxima_text(maxima: "MaximaChange", dry_run: bool) -> str:
    if not maxima.changes:
        return "no maximum changes"
    lower = maxima.lower
    if dry_run:
        get, be = "would get", "would be"
    else:
        get, be = ("gets" if lower == 1 else "get"), ("is" if maxima.over_quota == 1 else "are")
    return (
        f"{lower:,} organisation{'s' if lower != 1 else ''} {get} a lower maximum, "
        f"{maxima.higher:,} a higher one, {maxima.over_quota:,} {be} over quota"
    )
