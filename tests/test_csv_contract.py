"""The CSV contract (docs/json.md, "CSV"): every listing's columns, pinned and documented;
the same records as --json; RFC 4180 quoting; and spreadsheet formulas neutralised in every
text cell that can hold what a person typed (OWASP's CSV-injection advice)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from conftest import Cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"

COLUMNS: dict[tuple[str, ...], list[str]] = {
    ("contacts", "list"): [
        "email",
        "org",
        "name",
        "active",
        "portal_admin",
        "expert_until",
        "roles",
    ],
    ("org", "list"): [
        "id",
        "name",
        "employees",
        "sector",
        "quota_override",
        "quota_override_reason",
        "contacts",
        "active_contacts",
        "portal_admins",
        "maximum",
        "used",
        "remaining",
        "experts",
        "over_quota",
        "published_business_date",
        "published_maximum",
        "published_used",
        "domains",
    ],
    ("quota",): [
        "org",
        "maximum",
        "used",
        "remaining",
        "experts",
        "over_quota",
        "published_business_date",
        "published_maximum",
        "published_used",
    ],
    ("pending",): ["email", "org", "role", "action", "requested_at", "effective_at"],
    ("log",): [
        "id",
        "at",
        "actor",
        "action",
        "org",
        "contact",
        "role",
        "reason",
        "before",
        "after",
    ],
    ("readiness",): ["finding", "org", "name", "email", "last_submitted"],
    ("incidents", "list"): ["id", "submitted_at", "org", "email", "subject", "body"],
}

# Text a person typed, that a spreadsheet would run: each must come out with a leading '.
FORMULAS = {
    "org": "=1+1",
    "org_name": '=HYPERLINK("http://evil.example")',
    "sector": "@SUM(A1)",
    "name": "+31 20 123",
    "email": "-x@vandijk.nl",
    "reason": "-5 seats",
    "subject": "=cmd|' /C calc'!A0",
    "quoted": "'=already quoted",
}


def rows(cli: Cli, *args: str) -> list[list[str]]:
    run = cli.ok(*args, "--csv")
    return list(csv.reader(io.StringIO(run.stdout, newline="")))


def records(cli: Cli, *args: str) -> list[dict[str, str]]:
    header, *body = rows(cli, *args)
    return [dict(zip(header, row, strict=True)) for row in body]


@pytest.mark.parametrize("command", list(COLUMNS), ids=" ".join)
def test_columns_are_pinned(demo: Cli, command: tuple[str, ...]) -> None:
    who = ("--as", "anouk@vandijk.nl") if command == ("incidents", "list") else ()
    assert rows(demo, *who, *command)[0] == COLUMNS[command]


def test_the_columns_are_documented() -> None:
    section = DOC.read_text().split("## CSV", 1)[1]
    documented = {
        tuple(match.group(1).split()[:-1]): re.findall(r"`([a-z_]+)`", match.group(2))
        for match in re.finditer(r"^\| `([^`]+)`[^|]*\| (.+) \|$", section, re.M)
    }
    assert documented == COLUMNS


@pytest.mark.parametrize("command", list(COLUMNS), ids=" ".join)
def test_csv_and_json_list_the_same_records(demo: Cli, command: tuple[str, ...]) -> None:
    who = ("--as", "anouk@vandijk.nl") if command == ("incidents", "list") else ()
    if command == ("incidents", "list"):
        demo.ok(*who, "login", "anouk@vandijk.nl")
        demo.ok(*who, "incidents", "submit", "--subject", "Printer", "--body", "Two\nlines")
    listed = records(demo, *who, *command)
    document = demo.json(*who, *command)
    if command == ("readiness",):
        assert len(listed) == len(document["organisations_without_submitter"]) + len(
            document["contacts_without_role"]
        )
        return
    assert len(listed) == len(document)
    for row, item in zip(listed, document, strict=True):
        flat = {**item, **item.get("quota", {})}
        published = flat.get("published") or {}
        for key, value in row.items():
            if key.startswith("published_"):
                expected = published.get(key.removeprefix("published_"))
            else:
                expected = flat[key]
            if key in ("before", "after"):
                assert (json.loads(value) if value else None) == expected, (command, key)
            else:
                assert value == _as_cell(expected), (command, key, value, expected)


def _as_cell(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def test_booleans_nulls_and_roles(demo: Cli) -> None:
    anouk = next(r for r in records(demo, "contacts", "list") if r["email"] == "anouk@vandijk.nl")
    assert anouk == {
        "email": "anouk@vandijk.nl",
        "org": "1001",
        "name": "Anouk van Dijk",
        "active": "true",
        "portal_admin": "true",
        "expert_until": "",
        "roles": "submitter;manager",
    }


@pytest.fixture
def hostile(demo: Cli) -> Cli:
    """Every kind of user text starting like a formula."""
    demo.ok("org", "add", FORMULAS["org"], "--name", FORMULAS["org_name"], "--employees", "5",
            "--sector", FORMULAS["sector"])  # fmt: skip
    email = FORMULAS["email"]
    demo.ok("contacts", "add", "--org", FORMULAS["org"], "--name", FORMULAS["name"],
            "--portal-admin", "--", email)  # fmt: skip
    demo.ok("contacts", "add", "q@vandijk.nl", "--org", "1001", "--name", FORMULAS["quoted"])
    demo.ok("grant", "submitter", "--reason", FORMULAS["reason"], "--", email)
    demo.ok("org", "set", FORMULAS["org"], "--quota", "3", "--reason", FORMULAS["reason"])
    demo.ok(f"--as={email}", "login", "--", email)
    return demo


def _cells(cli: Cli, *args: str) -> set[str]:
    return {cell for row in rows(cli, *args)[1:] for cell in row}


def test_formulas_are_neutralised_in_every_listing(hostile: Cli) -> None:
    quoted = {key: "'" + text for key, text in FORMULAS.items()}
    contacts = _cells(hostile, "contacts", "list")
    assert {quoted["email"], quoted["org"], quoted["name"], quoted["quoted"]} <= contacts
    orgs = _cells(hostile, "org", "list")
    assert {quoted["org"], quoted["org_name"], quoted["sector"], quoted["reason"]} <= orgs
    assert quoted["org"] in _cells(hostile, "quota")
    assert {quoted["email"], quoted["org"]} <= _cells(hostile, "pending")
    assert {quoted["email"], quoted["org"], quoted["reason"]} <= _cells(hostile, "log")
    email = FORMULAS["email"]
    # Portal users act at the installation's clock: move it past the delay.
    hostile.ok("clock", "set", "+11m")
    hostile.ok(f"--as={email}", "login", "--", email)
    hostile.ok(f"--as={email}", "incidents", "submit", "--subject", FORMULAS["subject"])
    incidents = _cells(hostile, "incidents", "list")
    assert {quoted["email"], quoted["org"], quoted["subject"]} <= incidents
    for args in (("contacts", "list"), ("org", "list"), ("log",), ("incidents", "list")):
        for cell in _cells(hostile, *args):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (args, cell)


def test_numbers_and_json_are_not_neutralised(hostile: Cli) -> None:
    log = records(hostile, "log")
    assert all(row["id"].isdigit() for row in log)
    assert any(row["after"].startswith("{") for row in log)
    shown = hostile.ok("contacts", "show", "--json", "--", FORMULAS["email"]).json()
    assert shown["name"] == FORMULAS["name"], "JSON is never changed"


def test_csv_and_json_exclude_each_other(demo: Cli) -> None:
    for command in COLUMNS:
        run = demo(*command, "--csv", "--json")
        assert run.exit_code == 2, command
        assert "choose one of --csv and --json" in run.failed(2)


@pytest.mark.e2e
def test_lines_end_in_crlf(demo: Cli) -> None:
    """Through the installed command: CliRunner would hide the line ends."""
    import os
    import subprocess
    import sys

    script = Path(sys.executable).parent / "incidentctl"
    for command in COLUMNS:
        done = subprocess.run(
            [str(script), "--as", "anouk@vandijk.nl", *command, "--csv"]
            if command == ("incidents", "list")
            else [str(script), *command, "--csv"],
            capture_output=True,
            env=dict(os.environ),
            timeout=60,
            check=True,
        )
        lines = done.stdout.split(b"\r\n")
        assert lines[-1] == b"", command
        assert all(b"\n" not in line for line in lines), command
