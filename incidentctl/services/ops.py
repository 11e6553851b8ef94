"""Operating the store: init (and the demo data), settings, the audit log, doctor, backup."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from incidentctl import migrations, timeutil
from incidentctl.domain import (
    OPERATOR,
    OTHER_ORGANISATION,
    SHOWN_TO_PORTAL_USERS,
    Actor,
    parse_setting,
    require_operator,
    shown_actor,
)
from incidentctl.errors import InvalidInput, StoreUnavailable
from incidentctl.services.lookups import require_org, require_portal_admin
from incidentctl.store import Store, audit
from incidentctl.store.audit import Event
from incidentctl.vocabulary import SETTING_HELP

# --- settings -----------------------------------------------------------------------------


class SettingView(NamedTuple):
    key: str
    value: str
    is_default: bool
    description: str


def settings(store: Store, actor: Actor) -> list[SettingView]:
    """``settings show``."""
    require_operator(actor, "settings show")
    current = store.settings
    stored = {key for (key,) in store.conn.execute("SELECT key FROM settings")}
    values = {
        "timezone": current.timezone.key,
        "propagation_delay": timeutil.format_duration(current.propagation_delay),
        "enforcement_date": timeutil.to_iso(current.enforcement_date),
    }
    return [
        SettingView(key, values[key], key not in stored, SETTING_HELP[key])
        for key in sorted(SETTING_HELP)
    ]


def set_setting(store: Store, actor: Actor, now: datetime, key: str, value: str) -> tuple[str, str]:
    """``settings set KEY VALUE``: (before, after) as stored, audited."""
    require_operator(actor, "settings set")
    key = key.strip().lower()
    stored = parse_setting(key, value, now=now, tz=store.settings.timezone)
    with store.write() as conn:
        before = {view.key: view.value for view in settings(store, actor)}[key]
        store.put_setting(key, stored)
        after = {view.key: view.value for view in settings(store, actor)}[key]
        if before != after:
            audit.append(
                conn,
                at=timeutil.to_iso(now),
                actor=actor.name,
                action="settings.set",
                before={key: before},
                after={key: after},
            )
    return before, after


# --- the audit log ------------------------------------------------------------------------


def log(
    store: Store,
    actor: Actor,
    *,
    org: str | None,
    contact: str | None,
    since: datetime | None,
    action: str | None,
    limit: int | None,
) -> Iterator[Event]:
    """``log``: matching events, oldest first; a portal user sees its own organisation's."""
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit must be at least 1, got {limit}")
    if limit is not None:
        limit = min(limit, 2**63 - 1)  # SQLite's largest integer; no log holds more events
    if actor.contact is not None:
        with store.read() as conn:
            if org is not None:
                require_org(conn, org, actor)
            require_portal_admin(conn, actor, "read the audit log")
        org = actor.contact.org_id
    events = _events(store, org, contact, since, action, limit)
    if actor.contact is None:
        return events
    return (shown_event(actor, event) for event in events)


def _events(
    store: Store,
    org: str | None,
    contact: str | None,
    since: datetime | None,
    action: str | None,
    limit: int | None,
) -> Iterator[Event]:
    with store.read() as conn:
        yield from audit.iter_events(
            conn,
            org=org,
            contact=contact,
            since=timeutil.to_iso(since) if since else None,
            action=action,
            limit=limit,
        )


# Operator-written reasons a portal user does not see (an override's, a move's).
_INTERNAL_REASONS = frozenset({"org.set", "contact.move"})


def shown_event(viewer: Actor, event: Event) -> Event:
    """An event of the viewer's own organisation as a portal user may see it: not the
    operator's login, not the operator's internal reasons, and no other organisation's id
    (a contact moved in or out) (docs/concepts.md, "Who may do what")."""
    own = viewer.org_id
    reason = event.reason
    if (
        reason is not None
        and event.action in _INTERNAL_REASONS
        and event.actor.startswith(OPERATOR)
    ):
        reason = SHOWN_TO_PORTAL_USERS
    return event._replace(
        actor=shown_actor(viewer, event.actor),
        reason=reason,
        before=_shown_values(event.before, own),
        after=_shown_values(event.after, own),
    )


def _shown_values(text: str | None, own: str | None) -> str | None:
    if text is None or ('"org"' not in text and '"quota_override_reason"' not in text):
        return text
    import json

    values = json.loads(text)
    if not isinstance(values, dict):
        return text
    if values.get("org") not in (None, own):
        values["org"] = OTHER_ORGANISATION
    if values.get("quota_override_reason") is not None:
        values["quota_override_reason"] = SHOWN_TO_PORTAL_USERS
    return audit.encode(values)


# --- doctor and backup --------------------------------------------------------------------


class Check(NamedTuple):
    name: str
    ok: bool
    detail: str


def doctor(path: Path) -> list[Check]:
    """``doctor``: every check, passed or not; opening the store is one of them."""
    checks = [Check("store path", True, str(path))]
    if not path.exists():
        checks.append(Check("store file", False, "missing: create it with incidentctl init"))
        return checks
    mode = stat.S_IMODE(path.stat().st_mode)
    checks.append(
        Check(
            "permissions",
            mode & 0o077 == 0,
            f"{mode:04o}" + ("" if mode & 0o077 == 0 else " (others can read it: chmod 600)"),
        )
    )
    try:
        store = Store.open(path)
    except StoreUnavailable as exc:
        checks.append(Check("open", False, exc.message))
        return checks
    try:
        checks += _database_checks(store.conn)
    finally:
        store.close()
    return checks


def _database_checks(conn: sqlite3.Connection) -> list[Check]:
    applied = migrations.applied_names(conn)
    integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    triggers = {
        name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    }
    guarded = all(f"events_no_{verb}" in triggers for verb in ("update", "delete"))
    return [
        Check(
            "schema",
            len(applied) == migrations.SCHEMA_VERSION,
            f"version {len(applied)} of {migrations.SCHEMA_VERSION}"
            + (f" ({applied[-1]})" if applied else ""),
        ),
        Check("integrity_check", integrity == ["ok"], "; ".join(integrity[:5])),
        Check(
            "foreign_key_check",
            not foreign,
            "ok" if not foreign else f"{len(foreign)} rows point at missing rows",
        ),
        Check("journal mode", journal == "wal", str(journal)),
        Check(
            "audit log append-only", guarded, "triggers present" if guarded else "triggers missing"
        ),
        Check("sqlite", True, sqlite3.sqlite_version),
    ]


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
    target = sqlite3.connect(dest)
    try:
        store.conn.backup(target)
        pages = int(target.execute("PRAGMA page_count").fetchone()[0])
        ok = target.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except BaseException:
        target.close()
        dest.unlink(missing_ok=True)
        raise
    target.close()
    if not ok:
        dest.unlink(missing_ok=True)
        raise StoreUnavailable("the backup did not pass SQLite's quick_check; it was removed")
    return Backup(dest, dest.stat().st_size, pages)
