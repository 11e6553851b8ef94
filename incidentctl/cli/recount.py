"""``recount``: the nightly job for cron (docs/cron.md)."""

from typing import Annotated

import typer

from incidentctl import output
from incidentctl.cli.common import JsonOption, clock_notice, state

_SHOWN = 20  # a cron mail lists this many of each item; --json lists all


def _more(total: int) -> None:
    if total > _SHOWN:
        output.line(f"  ... and {total - _SHOWN:,} more (recount --json lists all)")


def _ids(orgs: list[str]) -> str:
    shown = ", ".join(output.printable(org) for org in orgs[:_SHOWN])
    return shown + (f" and {len(orgs) - _SHOWN:,} more" if len(orgs) > _SHOWN else "")


def register(app: typer.Typer) -> None:
    app.command("recount")(recount)


def recount(
    ctx: typer.Context,
    force: Annotated[
        bool, typer.Option("--force", help="Recompute even if today's figures are published.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing unless there is something to report."),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Publish every organisation's maximum and used count for today (the nightly job).

    Today is the business date in the store's timezone; a second run on the same date
    changes nothing unless --force. Reports organisations over quota, experts whose
    certification lapsed since the last run, organisations without an active portal
    admin or where nobody can submit, and role changes still propagating. Exits 0
    whether or not there is something to report; a store without organisations gets a
    warning on stderr, even with --quiet. Operator only. See docs/cron.md.

    Examples:

    \b
      incidentctl --db /var/lib/incidentctl/incidentctl.db recount --quiet
      incidentctl recount --json >> recount.jsonl
      incidentctl recount --force
    """
    from incidentctl import documents, interactive
    from incidentctl.roles import defined
    from incidentctl.services import recount as recount_service

    app = state(ctx)
    with interactive.progress("recounting", quiet=quiet) as bar:
        report = recount_service.recount(
            app.session.store, app.actor, app.clock.now, force=force, progress=bar
        )
    if report.organisations == 0:
        # On stderr even with --quiet or --json, so cron mails it: a store without
        # organisations is most likely the wrong store (docs/cron.md).
        output.notice(
            f"Warning: the store at {app.path} has no organisations, so the recount published "
            "nothing; check that --db names the store you use ('incidentctl where')"
        )
    if json:
        output.emit_json(documents.recount(report))
        return
    if quiet and not report.needs_attention:
        return
    clock_notice(app)
    if report.status == "skipped":
        output.line(
            f"Recount for {report.business_date} already published "
            f"({report.organisations:,} organisations); nothing done (use --force to redo it)."
        )
        return
    output.line(
        f"Recount for {report.business_date}: published {report.organisations:,} organisations."
    )
    if report.over_quota:
        output.line(f"Over quota ({len(report.over_quota):,}):")
        for item in report.over_quota[:_SHOWN]:
            output.line(
                f"  {output.printable(item.org)}: {item.used:,} submitters, maximum "
                f"{item.maximum:,} (over by {item.used - item.maximum:,})"
            )
        _more(len(report.over_quota))
    if report.lapsed_experts:
        since = f"since {report.lapsed_since}" if report.lapsed_since else "(first recount)"
        output.line(f"Experts whose certification lapsed {since} ({len(report.lapsed_experts):,}):")
        for expert in report.lapsed_experts[:_SHOWN]:
            counts = (
                f" (holds {defined().quota_role.label}: now counts toward the quota)"
                if expert.submitter
                else ""
            )
            output.line(
                f"  {expert.email} ({output.printable(expert.org)}), "
                f"until {expert.expert_until}{counts}"
            )
        _more(len(report.lapsed_experts))
    if report.without_admin:
        output.line(
            f"Without an active portal admin ({len(report.without_admin):,}): "
            + _ids(report.without_admin)
        )
    if report.nobody_can_submit:
        output.line(
            f"Nobody can submit ({len(report.nobody_can_submit):,}): "
            + _ids(report.nobody_can_submit)
        )
    if report.pending_changes:
        output.line(f"Role changes still propagating: {report.pending_changes:,}")
    if not report.needs_attention:
        output.line("Nothing needs attention.")
