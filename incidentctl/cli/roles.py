"""``grant`` and ``revoke``: one contact or a million, all or nothing."""

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import documents, output, timeutil
from incidentctl.cli.common import AppState, JsonOption, clock_notice, state
from incidentctl.cli.completion import contact_emails, role_names
from incidentctl.errors import InvalidInput
from incidentctl.vocabulary import ROLE_HELP

if TYPE_CHECKING:
    from incidentctl.domain import Action
    from incidentctl.services.roles import BatchOutcome, ResultRow

RoleArgument = Annotated[
    str, typer.Argument(metavar="ROLE", help=ROLE_HELP, autocompletion=role_names)
]
Emails = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[EMAIL]...", help="E-mail addresses of contacts.", autocompletion=contact_emails
    ),
]
FileOption = Annotated[
    str | None,
    typer.Option(
        "--file",
        metavar="FILE|-",
        help="More e-mails: one per line, or a CSV with an 'email' column (- = stdin).",
    ),
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")]
Reason = Annotated[
    str | None,
    typer.Option("--reason", metavar="TEXT", help="Why (kept with each change in the audit log)."),
]

Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the summary line (errors still go to stderr)."),
]
Verbose = Annotated[
    bool,
    typer.Option(
        "--verbose",
        "-v",
        help="List every row, also in a terminal (which lists only the "
        "refused rows of a batch of more than 50).",
    ),
]
Yes = Annotated[
    bool,
    typer.Option("--yes", "-y", help="Do not ask before revoking from more than one contact."),
]

SUMMARY_FROM = 50
"""A batch of more rows than this is summed up in a terminal, unless --verbose."""


def register(app: typer.Typer) -> None:
    app.command("grant")(grant)
    app.command("revoke")(revoke)


def grant(
    ctx: typer.Context,
    role: RoleArgument,
    emails: Emails = None,
    file: FileOption = None,
    dry_run: DryRun = False,
    reason: Reason = None,
    quiet: Quiet = False,
    verbose: Verbose = False,
    json: JsonOption = False,
) -> None:
    """Grant a role to contacts, within the quota; all or nothing.

    The whole batch is checked first: unknown or inactive contacts, contacts of another
    organisation (with --as), and the quota of each organisation for the batch as a
    whole. If any row is refused nothing is written and the exit code says why (2 bad
    input, 3 unknown contact, 4 not authorized, 5 quota exceeded). Granting a role a
    contact already holds changes nothing. The change takes effect after the propagation
    delay, and then needs a fresh log-in.

    Examples:

    \b
      incidentctl grant submitter jan@acme.nl piet@acme.nl
      incidentctl grant Incidentenbeheer --file new.csv --reason "ticket 123"
    """
    _run(ctx, "grant", role, emails, file, dry_run, reason, json, quiet, verbose, yes=False)


def revoke(
    ctx: typer.Context,
    role: RoleArgument,
    emails: Emails = None,
    file: FileOption = None,
    dry_run: DryRun = False,
    reason: Reason = None,
    yes: Yes = False,
    quiet: Quiet = False,
    verbose: Verbose = False,
    json: JsonOption = False,
) -> None:
    """Revoke a role from contacts; all or nothing. A revoke frees the seat at once.

    Revoking a role a contact does not hold changes nothing. The contact keeps the role
    in the portal until the change takes effect (after the propagation delay).

    Examples:

    \b
      incidentctl revoke submitter --file leavers.txt --reason "left the company"
      incidentctl revoke manager --file leavers.txt --yes --quiet
    """
    _run(ctx, "revoke", role, emails, file, dry_run, reason, json, quiet, verbose, yes=yes)


def _run(
    ctx: typer.Context,
    action: "Action",
    role_name: str,
    emails: list[str] | None,
    file: str | None,
    dry_run: bool,
    reason: str | None,
    json: bool,
    quiet: bool,
    verbose: bool,
    *,
    yes: bool,
) -> None:
    from incidentctl import files, interactive
    from incidentctl.roles import parse_role
    from incidentctl.services import roles as role_service

    role = parse_role(role_name)
    if not emails and file is None:
        raise InvalidInput(
            f"{action} needs at least one EMAIL or --file",
            hint=f"incidentctl {action} {role.name} jan@example.nl",
        )
    if quiet and verbose:
        raise typer.BadParameter("choose one of --quiet and --verbose", param_hint="--quiet")
    app = state(ctx)
    store = app.session.store
    confirm = (
        interactive.confirmation(yes=yes, dry_run=dry_run, file=file)
        if action == "revoke"
        else None
    )
    with ExitStack() as stack:
        stream = None
        lines: Iterator[tuple[int, str]] = iter(())
        if file is not None:
            stream, source = files.open_binary(file)
            stack.callback(files.close, stream)
            stream = interactive.announcing(stream, file, "addresses")
            lines = files.email_lines(stream, source)
        rows = role_service.batch_rows(emails or [], lines)
        verb = "granting" if action == "grant" else "revoking"
        bar = stack.enter_context(
            interactive.progress(f"{verb} {role.name}", source=stream, quiet=quiet)
        )
        outcome = role_service.change(
            store,
            app.actor,
            app.clock.now,
            action=action,
            role=role,
            rows=rows,
            dry_run=dry_run,
            reason=reason,
            progress=bar,
            confirm=interactive.pausing(bar, confirm),
        )
    if json:
        output.emit_streamed(*documents.batch(outcome))
    else:
        _human(app, outcome, quiet=quiet, verbose=verbose)
    if outcome.refusal is not None:
        raise outcome.refusal


def _human(app: AppState, outcome: "BatchOutcome", *, quiet: bool, verbose: bool) -> None:
    """A line per row, then the summary line. A terminal gets only the refused rows of a
    batch of more than :data:`SUMMARY_FROM`, unless --verbose; --quiet only the summary."""
    summary = outcome.summary
    total = sum(summary.values())
    write = sys.stdout.write
    if not quiet:
        clock_notice(app)
        every_row = verbose or total <= SUMMARY_FROM or not output.is_terminal()
        _row_lines(app, outcome, outcome.results.rows(refused_only=not every_row))
        if not every_row:
            hidden = total - summary["refused"]
            of_total = f" of {total:,}" if hidden != total else ""
            write(f"({hidden:,}{of_total} rows not listed; --verbose lists every row)\n")
    write(summary_line(outcome) + "\n")


def _row_lines(app: AppState, outcome: "BatchOutcome", rows: "Iterator[ResultRow]") -> None:
    tz = app.session.timezone
    write = sys.stdout.write
    label = outcome.role.label
    # Until a batch is written its changes are only intentions.
    would = {} if outcome.applied else {"granted": "would grant", "revoked": "would revoke"}
    # A batch has few distinct effective times (usually one): format each once.
    takes_effect: dict[str, str] = {}
    lines: list[str] = []
    for email, _, status, effective_at, reason, where, _ in rows:
        if effective_at is not None:
            detail = takes_effect.get(effective_at)
            if detail is None:
                when = timeutil.format_local(timeutil.from_iso(effective_at), tz)
                detail = takes_effect[effective_at] = f"{label}, takes effect {when}"
        elif status == "refused":
            # Only a refused row can carry text that is not a stored, validated address.
            email = output.printable(email)
            detail = f"{output.printable(reason)} ({where})"
        else:
            detail = output.printable(reason)
        lines.append(f"{would.get(status, status):<12}  {email}  {detail}\n")
        if len(lines) >= 1000:
            write("".join(lines))
            lines.clear()
    write("".join(lines))


def summary_line(outcome: "BatchOutcome") -> str:
    """The last line of a batch: counts per outcome and what became of it. A batch that was
    not written says what would have happened, never that something was granted."""
    summary = outcome.summary
    total = sum(summary.values())
    written = "dry run: nothing was written" if outcome.dry_run else "nothing was written"
    if summary["refused"]:
        would = [
            f"{summary[key]:,} would be {key}" for key in ("granted", "revoked") if summary[key]
        ]
        if summary["unchanged"]:
            would.append(f"{summary['unchanged']:,} unchanged")
        detail = f" ({', '.join(would)})" if would else ""
        return f"refused: {summary['refused']:,} of {total:,} rows; {written}{detail}"
    if outcome.dry_run:
        changed = "granted" if outcome.action == "grant" else "revoked"
        return (
            f"{summary[changed]:,} would be {changed}, {summary['unchanged']:,} unchanged, "
            f"0 refused; {written}"
        )
    counts = ", ".join(
        f"{summary[key]:,} {key}" for key in ("granted", "revoked", "unchanged", "refused")
    )
    return f"{counts}; done"
