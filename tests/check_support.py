"""Asking ``check`` what a contact may do, and the times its documents hold: UTC datetimes
and the ISO 8601 text JSON shows for them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conftest import Cli


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def iso(moment: datetime) -> str:
    """How JSON shows a time: ISO 8601 in UTC with its offset."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def check(cli: Cli, email: str, *global_args: str, at: str | None = None) -> dict[str, Any]:
    """``check EMAIL --json`` (with global options before it); requires exit 0 exactly when
    the contact may submit and 4 otherwise, and returns the document."""
    args = [*global_args, "check", email, "--json"]
    if at is not None:
        args += ["--at", at]
    run = cli(*args)
    document: dict[str, Any] = run.json()  # type: ignore[assignment]
    expected = 0 if document["submit"]["allowed"] else 4
    assert run.exit_code == expected, f"exit {run.exit_code}\n{run.stdout}\n{run.stderr}"
    assert document["submit"]["allowed"] == (document["submit"]["status"] == "allowed")
    assert document["view_all"]["allowed"] == (document["view_all"]["status"] == "allowed")
    return document


def submit_status(cli: Cli, email: str, *global_args: str) -> str:
    """The ``submit.status`` of ``check EMAIL``."""
    return str(check(cli, email, *global_args)["submit"]["status"])
