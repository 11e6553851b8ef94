"""``apply FILE``: declarative role assignment from a version-controlled file."""

from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import output
from incidentctl.cli.common import JsonOption, clock_notice, state

if TYPE_CHECKING:
    from incidentctl.services.apply import Change


def register(app: typer.Typer) -> None:
    app.command("apply")(apply)


def _items(changes: "list[Change]") -> list[dict[str, str]]:
    return [{"email": c.email, "role": c.role.value, "org": c.org} for c in changes]


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
    from incidentctl import files
    from incidentctl.services import apply as apply_service

    app = state(ctx)
    data, source = files.read_whole(file)
    plan = apply_service.apply(
        app.store(), app.actor, app.clock.now, data, source, prune=prune, dry_run=dry_run
    )
    if json:
        output.emit_json(
            {
                "applied": plan.applied,
                "dry_run": plan.dry_run,
                "prune": plan.prune,
                "grant": _items(plan.grant),
                "revoke": _items(plan.revoke),
                "unchanged": plan.unchanged,
                "not_in_file": _items(plan.not_in_file),
            }
        )
        return
    clock_notice(app)
    output.line(f"Plan for {output.printable(source)}:")
    for verb, changes in (("grant", plan.grant), ("revoke", plan.revoke)):
        for change in changes:
            output.line(f"  {verb:<6}  {change.role.label:<30}  {change.email}  ({change.org})")
    for change in plan.not_in_file:
        output.line(
            f"  keep    {change.role.label:<30}  {change.email}  ({change.org}): not in file "
            "(--prune revokes it)"
        )
    output.line(f"  {plan.unchanged} already as in the file")
    if not plan.changes and plan.not_in_file:
        # Not "matches the file": the holders listed above as not in file are extra.
        extra = len(plan.not_in_file)
        output.line(
            f"Nothing to change: {extra} holder{'s' if extra != 1 else ''} not in the file "
            f"kept (--prune revokes {'them' if extra != 1 else 'it'})."
        )
    elif not plan.changes:
        output.line("Nothing to change: the store already matches the file.")
    elif plan.dry_run:
        output.line(
            f"Dry run: would grant {len(plan.grant)} and revoke {len(plan.revoke)}; "
            "the quota allows it; nothing was written."
        )
    else:
        output.line(f"Applied: granted {len(plan.grant)}, revoked {len(plan.revoke)}.")
