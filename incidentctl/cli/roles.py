"""``grant`` and ``revoke``: one contact or a million, all or nothing."""

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl import output, timeutil
from incidentctl.cli.common import AppState, JsonOption, clock_notice, state
from incidentctl.cli.completion import contact_emails, role_names
from incidentctl.errors import INVALID_INPUT, NOT_FOUND, QUOTA_EXCEEDED, InvalidInput
from incidentctl.vocabulary import ROLE_HELP

if TYPE_CHECKING:
    from incidentctl.domain import Action
    from incidentctl.services.roles import BatchOutcome
    from incidentctl.store.roles import BatchRow

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

_HINTS = {
    INVALID_INPUT: "correct the refused rows (an inactive contact is activated with "
    "'incidentctl contacts set EMAIL --active'); nothing was written",
    NOT_FOUND: "check the addresses with 'incidentctl contacts list'; nothing was written",
    QUOTA_EXCEEDED: "revoke a submitter first, or ask the operator to raise the maximum "
    "('incidentctl org set ID --quota N --reason ...'); certified experts don't count; "
    "nothing was written",
}


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
    _run(ctx, "grant", role, emails, file, dry_run, reason, json)


def revoke(
    ctx: typer.Context,
    role: RoleArgument,
    emails: Emails = None,
    file: FileOption = None,
    dry_run: DryRun = False,
    reason: Reason = None,
    json: JsonOption = False,
) -> None:
    """Revoke a role from contacts; all or nothing. A revoke frees the seat at once.

    Revoking a role a contact does not hold changes nothing. The contact keeps the role
    in the portal until the change takes effect (after the propagation delay).

    Example:

    \b
      incidentctl revoke submitter --file leavers.txt --reason "left the company"
    """
    _run(ctx, "revoke", role, emails, file, dry_run, reason, json)


def _run(
    ctx: typer.Context,
    action: "Action",
    role_name: str,
    emails: list[str] | None,
    file: str | None,
    dry_run: bool,
    reason: str | None,
    json: bool,
) -> None:
    from incidentctl import files
    from incidentctl.domain import parse_role
    from incidentctl.services import roles as role_service

    role = parse_role(role_name)
    if not emails and file is None:
        raise InvalidInput(
            f"{action} needs at least one EMAIL or --file",
            hint=f"incidentctl {action} {role.value} jan@example.nl",
        )
    app = state(ctx)
    store = app.store()
    with ExitStack() as stack:
        rows: Iterator[BatchRow] = _arguments(emails or [])
        total: int | None = len(emails or [])
        if file is not None:
            stream, source = files.open_binary(file)
            if stream is not sys.stdin.buffer:
                stack.callback(stream.close)
            rows = _chain(rows, files.email_lines(stream, source))
            total = None
        bar = stack.enter_context(output.progress(f"{action}ing {role.value}", total))
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
        )
    if json:
        _json(app, outcome)
    else:
        _human(app, outcome)
    if outcome.exit_code:
        refused = outcome.summary["refused"]
        output.error(
            f"{action} refused for {refused} row{'s' if refused != 1 else ''}: {outcome.refusal}"
            + _first_refused_at(app, outcome),
            _HINTS.get(outcome.exit_code),
        )
        raise typer.Exit(outcome.exit_code)


def _first_refused_at(app: AppState, outcome: "BatchOutcome") -> str:
    """`` (line N)`` of the row the error line speaks of, so a long file needs no search;
    nothing for the quota, which is about an organisation (named), not about one row."""
    from incidentctl.services import roles as role_service

    if outcome.exit_code == QUOTA_EXCEEDED:
        return ""
    for row in role_service.results(app.store().conn):
        if row.status == "refused" and row.reason == outcome.refusal:
            return f" ({row.where})"
    return ""


def _arguments(emails: list[str]) -> "Iterator[BatchRow]":
    from incidentctl.store.roles import ORIGIN_ARGUMENT

    for position, email in enumerate(emails, start=1):
        yield (ORIGIN_ARGUMENT, position, email.strip())


def _chain(first: "Iterator[BatchRow]", lines: Iterator[tuple[int, str]]) -> "Iterator[BatchRow]":
    from incidentctl.store.roles import ORIGIN_FILE

    yield from first
    for line, email in lines:
        yield (ORIGIN_FILE, line, email)


def _human(app: AppState, outcome: "BatchOutcome") -> None:
    from incidentctl.services import roles as role_service

    clock_notice(app)
    tz = app.store().settings.timezone
    write = sys.stdout.write
    label = outcome.role.label
    # Until a batch is written its changes are only intentions.
    would = {} if outcome.applied else {"granted": "would grant", "revoked": "would revoke"}
    # A batch has few distinct effective times (usually one): format each once.
    takes_effect: dict[str, str] = {}
    lines: list[str] = []
    for email, _, status, effective_at, reason, where in role_service.results(app.store().conn):
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
    summary = outcome.summary
    counts = ", ".join(
        f"{summary[key]} {key}" for key in ("granted", "revoked", "unchanged", "refused")
    )
    if outcome.dry_run:
        verdict = "dry run: nothing was written"
    elif outcome.applied:
        verdict = "done"
    else:
        verdict = "nothing was written"
    write(f"{counts}; {verdict}\n")


def _json(app: AppState, outcome: "BatchOutcome") -> None:
    """The batch document, written by hand so that a million results stream from SQLite:
    indented in a terminal, one line otherwise, like every document (docs/json.md)."""
    import json

    from incidentctl.services import roles as role_service

    encode = json.JSONEncoder(ensure_ascii=False).encode
    write = sys.stdout.write
    indented = output.is_terminal()
    newline, indent = ("\n", "  ") if indented else ("", "")
    fields = {
        "applied": outcome.applied,
        "dry_run": outcome.dry_run,
        "action": outcome.action,
        "role": outcome.role.value,
    }
    space = " " if not indented else ""
    write(
        "{"
        + newline
        + "".join(f"{indent}{encode(k)}: {encode(v)},{newline or space}" for k, v in fields.items())
        + f'{indent}"results": '
    )
    output.stream_json_texts(
        role_service.result_documents(app.store().conn, outcome.role),
        level=1,
        end="," + (newline or space),
        indented=indented,
    )
    write(f'{indent}"summary": {encode(outcome.summary)}{newline}}}\n')
