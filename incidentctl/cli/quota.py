"""``quota [ID]``, ``quota show|explain ID``, ``quota list``, ``policy show|load``."""

from typing import TYPE_CHECKING, Annotated, cast

import typer
from typer.core import TyperGroup

from incidentctl import documents, output
from incidentctl.cli.clickapi import CompletionItem, Context
from incidentctl.cli.common import AppState, JsonOption, OrgId, clock_notice, state
from incidentctl.cli.completion import org_ids
from incidentctl.cli.listings import CsvOption, one_form

if TYPE_CHECKING:
    from incidentctl.services.quota import MaximaChange

SHORTCUT = "show"
"""The command ``quota ID`` stands for."""


class QuotaGroup(TyperGroup):
    """``quota`` and its commands, where ``quota ID`` is short for ``quota show ID``: a first
    word that names no command is an organisation id. An id that is a command's name
    (``show``, ``explain``, ``list``) is reached through ``quota show ID``."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        first = next((i for i, arg in enumerate(args) if arg == "--" or arg[:1] != "-"), None)
        if first is not None:
            word = args[first]
            if word in self.commands:
                # The command first, so that options typed before it are its own.
                args = [word, *args[:first], *args[first + 1 :]]
            else:
                args = [SHORTCUT, *args]
        return super().parse_args(ctx, args)

    def shell_complete(self, ctx: Context, incomplete: str) -> list[CompletionItem]:
        """The commands, and the organisation ids of the shortcut."""
        answers = super().shell_complete(ctx, incomplete)
        if incomplete[:1] != "-":
            # The context Typer hands every completion function is this one.
            found = org_ids(cast("typer.Context", ctx), incomplete)
            answers += [CompletionItem(value, help=text) for value, text in found]
        return answers


quota_app = typer.Typer(
    name="quota",
    cls=QuotaGroup,
    invoke_without_command=True,
    subcommand_metavar="[ID | show ID | explain ID | list]",
    short_help="Maximum, used and remaining seats; quota explain ID.",
)

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
    app.add_typer(quota_app)
    app.add_typer(policy_app)


@quota_app.callback()
def quota(ctx: typer.Context, csv: CsvOption = False, json: JsonOption = False) -> None:
    """Show the quota: maximum, live used and remaining, experts, over quota, published.

    'quota' (or 'quota list') shows every organisation you may see, 'quota ID' (short
    for 'quota show ID') one organisation, and 'quota explain ID' how its maximum was
    derived (size band, sector, override). Used and remaining are live; the published
    figure is what customers see since the last nightly recount. An organisation whose id
    is the name of a command (show, explain, list) is shown with 'quota show ID'.

    Examples:

    \b
      incidentctl quota
      incidentctl quota 1001
      incidentctl quota explain 1001
      incidentctl quota list --csv > quota.csv
    """
    if ctx.invoked_subcommand is None:
        _list(state(ctx), csv, json)


@quota_app.command("show")
def show(
    ctx: typer.Context, org_id: OrgId, csv: CsvOption = False, json: JsonOption = False
) -> None:
    """Show one organisation's quota ('quota ID' is short for this).

    Examples:

    \b
      incidentctl quota show 1001
      incidentctl quota 1001 --json
    """
    from incidentctl.services import quota as quota_service

    one_form(csv, json)
    app = state(ctx)
    status = quota_service.status(app.session.store, app.actor, app.clock.now, org_id)
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


@quota_app.command("explain")
def explain(ctx: typer.Context, org_id: OrgId, json: JsonOption = False) -> None:
    """Show how an organisation's maximum was derived.

    The size band (employees -> maximum), whether the bands of its sector apply
    (comparable customers), and the operator's override with its reason.

    Examples:

    \b
      incidentctl quota explain 1001
      incidentctl quota explain 1001 --json
    """
    _explain(state(ctx), org_id, json)


@quota_app.command("list")
def list_(ctx: typer.Context, csv: CsvOption = False, json: JsonOption = False) -> None:
    """Show the quota of every organisation you may see.

    'quota' alone does the same.

    Examples:

    \b
      incidentctl quota list
      incidentctl quota list --csv > quota.csv
    """
    _list(state(ctx), csv, json)


def _list(app: AppState, csv: bool, json: bool) -> None:
    from incidentctl.pager import paging
    from incidentctl.services import quota as quota_service

    one_form(csv, json)
    store, actor, now = app.session.store, app.actor, app.clock.now
    if not (json or csv):
        # The table's rows come ready to show from one statement (docs/performance.md).
        words = (output.printable(True), output.printable(False), output.printable(None))
        shown = quota_service.shown(store, actor, now, words)
        clock_notice(app)
        with paging():
            output.table(
                ["Org", "Maximum", "Used", "Remaining", "Experts", "Over quota", "Published"],
                shown,
                empty="No organisations yet.",
            )
        return
    statuses = quota_service.statuses(store, actor, now)
    with paging():
        if json:
            output.emit_json([documents.quota(s) for s in statuses])
        else:
            rows = (documents.quota_csv_row(s) for s in statuses)
            output.write_csv(documents.QUOTA_CSV_COLUMNS, output.csv_rows(rows))


def _explain(app: AppState, org_id: str, json: bool) -> None:
    from incidentctl.services import quota as quota_service

    org, derivation = quota_service.explain(app.session.store, app.actor, org_id)
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
    policy, is_default = quota_service.show_policy(app.session.store, app.actor)
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
        app.session.store,
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
