"""``init``, ``log``, ``settings``, ``doctor``, ``where``, ``backup``."""

from pathlib import Path
from typing import Annotated

import typer

from incidentctl import output, timeutil
from incidentctl.cli.common import JsonOption, show_time, state
from incidentctl.cli.completion import contact_emails, org_ids
from incidentctl.errors import STORE_UNAVAILABLE
from incidentctl.vocabulary import SETTING_HELP

settings_app = typer.Typer(
    name="settings",
    help="Settings every user of the store shares: timezone, propagation delay, enforcement date.",
    short_help="Timezone, propagation delay, enforcement date.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("log")(log)
    app.add_typer(settings_app)
    app.command("doctor")(doctor)
    app.command("where")(where)
    app.command("backup")(backup)


def init(
    ctx: typer.Context,
    demo: Annotated[
        bool, typer.Option("--demo", help="Add a small realistic data set to try the tool on.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Create the store (running it again is harmless); --demo adds example data."""
    from incidentctl.domain import operator_only

    app = state(ctx)
    if app.as_email:
        # Refused before anything is created or migrated: a portal user never makes a store.
        raise operator_only("init", app.as_email)
    created = not app.path.exists() or app.path.stat().st_size == 0
    store = app.store(create=True)
    demo_added = False
    if demo:
        from incidentctl.services import demo as demo_service

        demo_added = demo_service.add_demo(store, app.actor, app.clock.now)
    if json:
        output.emit_json({"path": str(app.path), "created": created, "demo_added": demo_added})
        return
    output.line(f"{'Created' if created else 'Using'} the store at {app.path}")
    if demo:
        output.line("Added the demo data." if demo_added else "The demo data is already there.")


def log(
    ctx: typer.Context,
    org: Annotated[
        str | None,
        typer.Option("--org", metavar="ID", help="Only this organisation.", autocompletion=org_ids),
    ] = None,
    contact: Annotated[
        str | None,
        typer.Option(
            "--contact", metavar="EMAIL", help="Only this contact.", autocompletion=contact_emails
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", metavar="TIME", help="Only from TIME on (e.g. -1d).")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action", metavar="ACTION", help="Only this action (grant, revoke, contact.set, ...)."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", metavar="N", help="Only the last N matching events.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Show the audit log, oldest first: every change, who made it, and why.

    The log cannot be edited or deleted, through this tool or through SQLite.
    """
    from incidentctl.domain import Role
    from incidentctl.services import ops

    app = state(ctx)
    store = app.store()
    tz = store.settings.timezone
    since_at = timeutil.parse_time(since, now=app.clock.now, tz=tz) if since is not None else None
    events = ops.log(
        store, app.actor, org=org, contact=contact, since=since_at, action=action, limit=limit
    )
    if json:
        output.stream_json_array(
            {
                "id": e.id,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "org": e.org,
                "contact": e.contact,
                "role": e.role,
                "reason": e.reason,
                "before": _decoded(e.before),
                "after": _decoded(e.after),
            }
            for e in events
        )
        return
    output.table(
        ["At", "Actor", "Action", "Org", "Contact", "Role", "Change", "Reason"],
        (
            [
                show_time(app, timeutil.from_iso(e.at)),
                e.actor,
                e.action,
                e.org,
                e.contact,
                Role(e.role).label if e.role else None,
                _change_text(e.before, e.after),
                e.reason,
            ]
            for e in events
        ),
    )


def _decoded(text: str | None) -> object:
    if text is None:
        return None
    import json

    return json.loads(text)


def _change_text(before: str | None, after: str | None) -> str:
    old, new = _decoded(before), _decoded(after)
    if not isinstance(new, dict):
        return "-"
    if not isinstance(old, dict):
        return ", ".join(f"{k}={output.printable(v)}" for k, v in new.items())
    return ", ".join(
        f"{k}: {output.printable(old.get(k))} -> {output.printable(v)}" for k, v in new.items()
    )


@settings_app.command("show")
def settings_show(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the settings and whether each is still the default."""
    from incidentctl.services import ops

    app = state(ctx)
    views = ops.settings(app.store(), app.actor)
    clock = app.store().settings.simulated_clock
    if json:
        document: dict[str, object] = {view.key: view.value for view in views}
        document["clock"] = clock
        output.emit_json(document)
        return
    output.table(
        ["Setting", "Value", "", "Meaning"],
        ([v.key, v.value, "(default)" if v.is_default else "", v.description] for v in views),
    )
    if clock:
        output.line(
            f"A simulated clock is set: {show_time(app, timeutil.from_iso(clock))} (see 'clock')"
        )


@settings_app.command("set")
def settings_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help=", ".join(sorted(SETTING_HELP)) + ".")],
    value: Annotated[str, typer.Argument(metavar="VALUE")],
    json: JsonOption = False,
) -> None:
    """Change a setting for everyone using this store (audited). Operator only.

    timezone: an IANA name (Europe/Amsterdam); propagation_delay: a DURATION (10m);
    enforcement_date: a TIME (2024-01-01T00:00).
    """
    from incidentctl.services import ops

    app = state(ctx)
    before, after = ops.set_setting(app.store(), app.actor, app.clock.now, key, value)
    if json:
        output.emit_json({"key": key.strip().lower(), "before": before, "after": after})
        return
    if before == after:
        output.line(f"Unchanged: {key} is {after}")
    else:
        output.line(f"Changed {key}: {before} -> {after}")


def doctor(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check the store: path, permissions, migrations, schema, integrity, foreign keys, WAL.

    Every table, index and trigger is compared with what the migrations create; a missing,
    altered or added one is named. The store is read as it is: doctor migrates, fixes and
    writes nothing. Exits 0 when every check passes, 6 when one does not.
    """
    from incidentctl.domain import operator_only
    from incidentctl.services import ops

    app = state(ctx)
    if app.as_email:  # checked before opening: doctor must work on a store that won't open
        raise operator_only("doctor", app.as_email)
    checks = ops.doctor(app.path, explicit=app.db is not None)
    healthy = all(check.ok for check in checks)
    if json:
        output.emit_json(
            {
                "healthy": healthy,
                "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in checks],
            }
        )
    else:
        for check in checks:
            output.line(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        output.line("The store is healthy." if healthy else "The store has problems (see FAIL).")
    if not healthy:
        raise typer.Exit(STORE_UNAVAILABLE)


def where(ctx: typer.Context, json: JsonOption = False) -> None:
    """Show the store in use, how it was chosen, and whether it exists.

    The store is --db PATH when given, else INCIDENTCTL_DB when set, else incidentctl.db
    in your user data folder. This only looks: it neither creates nor opens the store.
    Uninstalling incidentctl leaves the store (and its -wal and -shm files) where this
    says; delete them yourself if you no longer need them.

    Examples:

      incidentctl where

      incidentctl --db /srv/incidentctl/incidentctl.db where --json
    """
    from typer._click.core import ParameterSource

    from incidentctl.paths import SOURCE_DEFAULT, SOURCE_ENVIRONMENT, SOURCE_OPTION
    from incidentctl.services import ops

    app = state(ctx)
    chosen = ctx.find_root().get_parameter_source("db")
    if chosen is ParameterSource.COMMANDLINE:
        source = SOURCE_OPTION
    elif chosen is ParameterSource.ENVIRONMENT:
        source = SOURCE_ENVIRONMENT
    else:
        source = SOURCE_DEFAULT
    location = ops.where(app.path, source)
    if json:
        output.emit_json(
            {"path": str(location.path), "source": location.source, "exists": location.exists}
        )
        return
    how = {
        SOURCE_OPTION: "--db",
        SOURCE_ENVIRONMENT: "the INCIDENTCTL_DB environment variable",
        SOURCE_DEFAULT: "the default (no --db, INCIDENTCTL_DB not set)",
    }[location.source]
    exists = "yes" if location.exists else "no"
    if location.problem:
        exists += f": {location.problem}"
    output.fields([("Store", location.path), ("Chosen by", how), ("Exists", exists)])


def backup(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Argument(metavar="DEST", help="A new file for the copy.")],
    json: JsonOption = False,
) -> None:
    """Copy the store to DEST while it is in use (SQLite's online backup API). Mode 0600."""
    from incidentctl.services import ops

    app = state(ctx)
    result = ops.backup(app.store(), app.actor, dest)
    if json:
        output.emit_json({"path": str(result.path), "bytes": result.bytes, "pages": result.pages})
        return
    output.line(f"Backed up {app.path} to {result.path} ({result.bytes} bytes)")
