"""What grant and revoke did: the role history read straight from the store file, the
role events of the audit log, the holders of a role, the seats used, and small CLI
shorthands."""

from __future__ import annotations

import getpass
import sqlite3
from pathlib import Path
from typing import Any

from conftest import Cli

# A pinned time in the store's timezone (Europe/Amsterdam, CEST: UTC+2).
NOW = "2024-05-01T10:00"
NOW_ARGS = ("--now", NOW)


def operator_name() -> str:
    """What the audit log records as the actor when no --as is given."""
    return f"operator:{getpass.getuser()}"


def role_changes(path: Path) -> list[dict[str, Any]]:
    """Every row of the role history, oldest first, with the contact's e-mail."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [
            dict(row)
            for row in conn.execute(
                "SELECT r.*, c.email FROM role_changes r JOIN contacts c ON c.id = r.contact_id "
                "ORDER BY r.id"
            )
        ]
    finally:
        conn.close()


def role_events(cli: Cli) -> list[dict[str, Any]]:
    """The grant and revoke events of ``log --json``, oldest first."""
    return [e for e in cli.json("log") if e["action"] in ("grant", "revoke")]


def holders(cli: Cli, role: str = "submitter", *args: str) -> list[str]:
    """The e-mails ``contacts list --role ROLE`` shows (global options in ``args``)."""
    return [row["email"] for row in cli.json(*args, "contacts", "list", "--role", role)]


def used(cli: Cli, org: str, *args: str) -> int:
    """The live used count of ``quota ORG --json``."""
    document = cli.json(*args, "quota", org)
    return int(document["used"])


def add_contact(cli: Cli, email: str, org: str = "1001", *extra: str) -> None:
    """``contacts add EMAIL --org ORG --name …`` with optional extra options."""
    name = email.split("@")[0].capitalize()
    cli.ok("contacts", "add", email, "--org", org, "--name", name, *extra)


def statuses(document: Any) -> dict[str, str]:
    """email -> status of a grant/revoke --json document (first row per e-mail)."""
    result: dict[str, str] = {}
    for row in document["results"]:
        result.setdefault(row["email"], row["status"])
    return result
