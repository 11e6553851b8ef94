"""``apply FILE``: declarative role assignment from a version-controlled file."""

from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output
from incidentctl.cli.common import JsonOption, clock_notice, state

if TYPE_CHECKING:
    from incidentctl.services.apply import Plan

SUMMARY_FROM = 50
"""A plan of more lines than this is summed up in a terminal, unless --verbose."""


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)


def apply(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE|-", help="The desired holders per organisation (TOML).")
    ],
    prune: Annotated[
        bool, typer.Option("--prune", help="Also revoke holders the file does not list.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show the plan and check it; write nothing.")
    ] = False,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes", "-y", help="Do not ask before revoking roles of more than one contact."
        ),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print only the last line (errors still go to stderr)."),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="List every change, also in a terminal (which sums up more than 50).",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Make the role holders of the organisations in FILE match it, all or nothing.

    FILE lists, per organisation, who should hold each role:

    \b
      [organisations."1001"]
      submitter = ["jan@acme.nl", "piet@acme.nl"]
      manager = ["els@acme.nl"]

    An organisation missing from FILE is left alone, and so is a role missing from an
    organisation. Without --prune only grants are made and extra holders are listed as
    'not in file'. The quota is checked for the final state. Running it again changes
    nothing. See docs/apply.md.

    Examples:

    \b
      incidentctl apply incident-roles.toml --dry-run
      incidentctl apply incident-roles.toml --prune
    """
    from incidentctl import files, interactive
    from incidentctl.services import apply as apply_service

    if quiet and verbose:
        raise typer.BadParameter("choose one of --quiet and --verbose", param_hint="--quiet")
    app = state(ctx)
    interactive.announce_stdin(file, "the TOML file")
    data, source = files.read_whole(file)
    confirm = interactive.confirmation(yes=yes, dry_run=dry_run, file=file)
    with interactive.progress(f"applying {output.printable(source)}", quiet=quiet) as bar:
        plan = apply_service.apply(
            app.session.store,
            app.actor,
            app.clock.now,
            data,
            source,
            prune=prune,
            dry_run=dry_run,
            progress=bar,
            confirm=interactive.pausing(bar, confirm),
        )
    if json:
        output.emit_json(documents.apply_plan(plan))
        return
    if not quiet:
        clock_notice(app)
        _plan_lines(plan, verbose=verbose)
    output.line(_last_line(plan))


def _plan_lines(plan: "Plan", *, verbose: bool) -> None:
    """The plan, a line per change; in a terminal, a plan of more than
    :data:`SUMMARY_FROM` lines is summed up (unless --verbose)."""
    output.line(f"Plan for {output.printable(plan.source)}:")
    listed = plan.changes + len(plan.not_in_file)
    if verbose or listed <= SUMMARY_FROM or not output.is_terminal():
        for verb, changes in (("grant", plan.grant), ("revoke", plan.revoke)):
            for change in changes:
                output.line(f"  {verb:<6}  {change.role.label:<30}  {change.email}  ({change.org})")
        for change in plan.not_in_file:
            output.line(
                f"  keep    {change.role.label:<30}  {change.email}  ({change.org}): not in file "
                "(--prune revokes it)"
            )
    else:
        output.line(
            f"  grant {len(plan.grant):,}, revoke {len(plan.revoke):,}, "
            f"keep {len(plan.not_in_file):,} not in file"
            + ("" if plan.prune or not plan.not_in_file else " (--prune revokes them)")
        )
        output.line(f"  ({listed:,} lines not listed; --verbose lists every change)")
    output.line(f"  {plan.unchanged:,} already as in the file")


def _last_line(plan: "Plan") -> str:
    if not plan.changes and plan.not_in_file:
        # Not "matches the file": the holders listed above as not in file are extra.
        extra = len(plan.not_in_file)
        return (
            f"Nothing to change: {extra:,} holder{'s' if extra != 1 else ''} not in the file "
            f"kept (--prune revokes {'them' if extra != 1 else 'it'})."
        )
    if not plan.changes:
        return "Nothing to change: the store already matches the file."
    if plan.dry_run:
        return (
            f"Dry run: would grant {len(plan.grant):,} and revoke {len(plan.revoke):,}; "
            "the quota allows it; nothing was written."
        )
    return f"Applied: granted {len(plan.grant):,}, revoked {len(plan.revoke):,}."
