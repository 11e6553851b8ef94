"""``init``, ``doctor``, ``where``, ``backup``: the store file."""

from pathlib import Path
from typing import Annotated

import typer

from incidentctl import documents, output
from incidentctl.cli.common import JsonOption, state
from incidentctl.errors import STORE_UNAVAILABLE


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("doctor")(doctor)
    app.command("where")(where)
    app.command("backup")(backup)


def init(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Add a small realistic data set to try the tool on (needs --db: never in the "
            "default store).",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Create the store (running it again is harmless); --demo adds example data.

    The demo goes into a store of its own, never into the default store that real work
    uses: give it --db (or INCIDENTCTL_DB), and remove that file when you are done.

    Examples:

    \b
      incidentctl init
      incidentctl --db demo.db init --demo
      incidentctl --db /srv/incidentctl/incidentctl.db init
    """
    from incidentctl.domain import operator_only
    from incidentctl.services import demo as demo_service

    app = state(ctx)
    if app.as_email:
        # Refused before anything is created or migrated: a portal user never makes a store.
        raise operator_only("init", app.as_email)
    if demo:
        demo_service.require_own_store(app.path, given=app.db is not None)
    created = not app.path.exists() or app.path.stat().st_size == 0
    session = app.open_session(create=True)
    demo_added = False
    if demo:
        demo_added = demo_service.add_demo(session.store, app.actor, app.clock.now)
    elif app.db is None and demo_service.holds_demo(session.store):
        # A default store that an earlier version filled with the demo (docs/concepts.md).
        import shlex

        output.notice(
            f"Note: the store at {app.path} holds the demo data; for real work, move it away "
            f"(mv {shlex.quote(str(app.path))} demo.db) and run incidentctl init again"
        )
    if json:
        output.emit_json(documents.init(app.path, created, demo_added))
        return
    output.line(f"{'Created' if created else 'Using'} the store at {app.path}")
    if demo:
        output.line("Added the demo data." if demo_added else "The demo data is already there.")


def doctor(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check the store: path, permissions, migrations, schema, integrity, foreign keys, WAL.

    Every table, index and trigger is compared with what the migrations create; a missing,
    altered or added one is named. The current state of the roles must equal what the role
    history implies; the rows that do not are counted. The store is read as it is: doctor
    migrates, fixes and writes nothing. Exits 0 when every check passes, 6 when one does not.

    Examples:

    \b
      incidentctl doctor
      incidentctl --db /var/lib/incidentctl/incidentctl.db doctor --json
    """
    from incidentctl.domain import operator_only
    from incidentctl.services import store_file as store_file_service

    app = state(ctx)
    if app.as_email:  # checked before opening: doctor must work on a store that won't open
        raise operator_only("doctor", app.as_email)
    checks = store_file_service.doctor(app.path, explicit=app.db is not None)
    healthy = all(check.ok for check in checks)
    if json:
        output.emit_json(documents.doctor(checks))
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

    \b
      incidentctl where
      incidentctl --db /srv/incidentctl/incidentctl.db where --json
    """
    from incidentctl.cli.clickapi import ParameterSource
    from incidentctl.paths import SOURCE_DEFAULT, SOURCE_ENVIRONMENT, SOURCE_OPTION
    from incidentctl.services import store_file as store_file_service

    app = state(ctx)
    chosen = ctx.find_root().get_parameter_source("db")
    if chosen is ParameterSource.COMMANDLINE:
        source = SOURCE_OPTION
    elif chosen is ParameterSource.ENVIRONMENT:
        source = SOURCE_ENVIRONMENT
    else:
        source = SOURCE_DEFAULT
    location = store_file_service.where(app.path, source)
    if json:
        output.emit_json(documents.where(location))
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
    """Copy the store to DEST while it is in use (SQLite's online backup API). Mode 0600.

    Examples:

    \b
      incidentctl backup ~/incidentctl-backup.db
      incidentctl backup /var/backups/incidentctl-2024-06-30.db
    """
    from incidentctl.services import store_file as store_file_service

    app = state(ctx)
    result = store_file_service.backup(app.session.store, app.actor, dest)
    if json:
        output.emit_json(documents.backup(result))
        return
    output.line(f"Backed up {app.path} to {result.path} ({result.bytes} bytes)")
