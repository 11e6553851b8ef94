"""The store file: where it is, whether it is healthy (doctor), and a copy of it (backup)."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import NamedTuple

from incidentctl import migrations
from incidentctl.domain import Actor, require_operator
from incidentctl.errors import InvalidInput, StoreUnavailable
from incidentctl.store import Store, health


class StoreLocation(NamedTuple):
    path: Path
    source: str  # paths.SOURCE_OPTION, SOURCE_ENVIRONMENT or SOURCE_DEFAULT
    exists: bool  # a store file is there (it may still be empty or another's)
    problem: str | None  # something other than a store file is there


def where(path: Path, source: str) -> StoreLocation:
    """``where``: the store in use and how it was chosen; looks, never opens or creates."""
    from incidentctl.store import check_store_file

    try:
        return StoreLocation(path.absolute(), source, check_store_file(path), None)
    except StoreUnavailable as exc:
        return StoreLocation(path.absolute(), source, False, exc.message)


class Check(NamedTuple):
    name: str
    ok: bool
    detail: str


def doctor(path: Path, *, explicit: bool = True) -> list[Check]:
    """``doctor``: every check, passed or not. The store is read as it is: nothing is
    migrated, fixed or written, so that what is wrong is reported, not hidden. ``explicit``:
    the path was given (``--db``, ``INCIDENTCTL_DB``), so a missing store is a path to check,
    not a reason to suggest ``init``."""
    from incidentctl.store import (
        check_store_file,
        describe_sqlite_error,
        missing_hint,
        open_query_only,
    )

    checks = [Check("store path", True, str(path))]
    try:
        exists = check_store_file(path)
    except StoreUnavailable as exc:
        checks.append(Check("store file", False, exc.message))
        return checks
    if not exists:
        checks.append(Check("store file", False, f"missing: {missing_hint(path, explicit)}"))
        return checks
    checks.append(_permissions(path))
    try:
        conn = open_query_only(path)
    except StoreUnavailable as exc:
        checks.append(Check("open", False, exc.message))
        return checks
    try:
        checks += _database_checks(conn)
    except sqlite3.Error as exc:
        translated = describe_sqlite_error(exc, path)
        checks.append(Check("open", False, translated.message if translated else str(exc)))
    finally:
        conn.close()
    return checks


def _permissions(path: Path) -> Check:
    """The store and the files beside it: their owner's only (any command fixes them)."""
    from incidentctl.store import store_files

    real = path.resolve()
    modes = {
        name.name.removeprefix(real.name): stat.S_IMODE(status.st_mode)
        for name, status in store_files(path)
    }
    open_to_others = [suffix for suffix, mode in modes.items() if mode & 0o077]
    detail = f"{modes['']:04o}"
    if open_to_others:
        shown = ", ".join(f"{suffix or 'store'} {modes[suffix]:04o}" for suffix in open_to_others)
        detail = (
            f"{shown}: group or others can read or write it (the next command makes it "
            f"private, or: chmod 600 {path})"
        )
    return Check("permissions", not open_to_others, detail)


_KINDS = (("table", "tables"), ("index", "indexes"), ("trigger", "triggers"), ("view", "views"))


def _database_checks(conn: sqlite3.Connection) -> list[Check]:
    ledger_check, steps = _ledger_check(conn)
    checks = [ledger_check]
    if steps is not None:
        expected = health.expected_schema(steps)
        actual = health.schema(conn)
        for kind, label in _KINDS:
            compared = _compare(kind, label, expected, actual)
            if compared is not None:
                checks.append(compared)
        if ("table", "role_state") in actual and "0004_role_state" in steps:
            checks.append(_role_state(conn))
    integrity = health.integrity(conn)
    foreign = health.foreign_key_problems(conn)
    journal = health.journal_mode(conn)
    return [
        *checks,
        Check("integrity_check", integrity == ["ok"], "; ".join(integrity[:5])),
        Check(
            "foreign_key_check",
            not foreign,
            "ok" if not foreign else f"{foreign} rows point at missing rows",
        ),
        Check("journal mode", journal == "wal", journal),
        Check("sqlite", True, sqlite3.sqlite_version),
    ]


def _role_state(conn: sqlite3.Connection) -> Check:
    """The state table against the role history it is kept from (docs/concepts.md, "The
    store"): every contact's role must hold its latest change."""
    disagreeing, rows = health.role_state_disagreements(conn)
    if disagreeing:
        return Check(
            "role state",
            False,
            f"{disagreeing:,} row{'s' if disagreeing != 1 else ''} of role_state disagree"
            f"{'s' if disagreeing == 1 else ''} with the role history (changed outside "
            "incidentctl: restore the store from a backup)",
        )
    plural = "s" if rows != 1 else ""
    return Check("role state", True, f"{rows:,} row{plural}, as the role history has them")


def _ledger_check(conn: sqlite3.Connection) -> tuple[Check, list[str] | None]:
    """The migration ledger against this version's steps, and the steps whose schema the
    store should have (None when it cannot be known: no ledger, or a newer version's)."""
    known = [name for name, _ in migrations.STEPS]
    applied = health.ledger(conn)
    if not applied:
        if health.has_tables(conn):
            return Check("migration ledger", False, "none: not an incidentctl store"), None
        return Check("migration ledger", False, "none: an empty store (run init)"), None
    problems = []
    unknown = [name for name in applied if name not in known]
    if unknown:
        problems.append(
            f"unknown step {', '.join(unknown)}: written by a newer incidentctl, or altered"
        )
    repeated = sorted({name for name in applied if applied.count(name) > 1})
    if repeated:
        problems.append(f"step {', '.join(repeated)} recorded more than once")
    done = [name for name in dict.fromkeys(applied) if name in known]
    if done != known[: len(done)]:
        missing = [name for name in known[: len(done)] if name not in done]
        problems.append(
            f"missing step {', '.join(missing)} before a later one"
            if missing
            else "steps recorded out of order"
        )
    if problems:
        # With a step missing or out of order, no schema is the one expected: compare none.
        comparable = not unknown and done == known[: len(done)]
        return Check("migration ledger", False, "; ".join(problems)), (done if comparable else None)
    detail = f"{len(done)} of {len(known)} steps applied ({done[-1]})"
    if len(done) < len(known):
        detail += f"; the next command applies {', '.join(known[len(done) :])}"
    return Check("migration ledger", True, detail), done


def _compare(
    kind: str,
    label: str,
    expected: dict[tuple[str, str], health.SchemaObject],
    actual: dict[tuple[str, str], health.SchemaObject],
) -> Check | None:
    """One kind of schema object, each with the definition the migrations give it. The
    ledger table is sqlite-utils' own: its definition may differ between its versions."""

    def of_kind(objects: dict[tuple[str, str], health.SchemaObject]) -> dict[str, str]:
        return {
            name: f"{obj.table}\n{obj.sql}"
            for (obj_kind, name), obj in objects.items()
            if obj_kind == kind and obj.table != migrations.MIGRATIONS_TABLE
        }

    want, have = of_kind(expected), of_kind(actual)
    if not want and not have:
        return None
    missing = sorted(want.keys() - have.keys())
    altered = sorted(name for name in want.keys() & have.keys() if want[name] != have[name])
    unexpected = sorted(have.keys() - want.keys())
    problems = [
        f"{what} {kind} {', '.join(names)}"
        for what, names in (("missing", missing), ("altered", altered), ("unexpected", unexpected))
        if names
    ]
    if problems:
        return Check(label, False, "; ".join(problems))
    detail = f"{len(want)} as the migrations create them"
    if kind == "trigger":
        detail += " (the audit log is append-only)"
    return Check(label, True, detail)


class Backup(NamedTuple):
    path: Path
    bytes: int
    pages: int


def backup(store: Store, actor: Actor, dest: Path) -> Backup:
    """``backup DEST``: a consistent copy through SQLite's online backup API, mode 0600."""
    require_operator(actor, "backup")
    if dest.exists():
        raise InvalidInput(
            f"{dest} already exists", hint="choose a new file name; nothing was written"
        )
    if not dest.parent.is_dir():
        raise InvalidInput(f"{dest.parent} is not a folder")
    try:
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InvalidInput(f"cannot create {dest}: {exc.strerror}") from exc
    os.close(fd)
    pages = store.backup(dest)
    return Backup(dest, dest.stat().st_size, pages)
