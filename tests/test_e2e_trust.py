"""The trust boundary through the INSTALLED ``incidentctl``, as a portal user would meet it
(docs/concepts.md, "Who may do what"); the details are in tests/test_trust_boundary.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import dump

pytestmark = pytest.mark.e2e

SCRIPT = str(Path(sys.executable).parent / "incidentctl")


def run(*args: str, db: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTCTL_")}
    done = subprocess.run(
        [SCRIPT, "--db", str(db), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == code, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done


@pytest.fixture
def demo_db(tmp_path: Path) -> Path:
    db = tmp_path / "demo.db"
    run("init", "--demo", db=db)
    return db


def test_a_portal_user_cannot_pin_the_clock(demo_db: Path) -> None:
    before = dump(demo_db)
    done = run(
        "--as",
        "dirk@vandijk.nl",
        "--now",
        "2023-12-31T12:00",
        "incidents",
        "submit",
        "--subject",
        "x",
        db=demo_db,
        code=4,
    )
    assert done.stderr.startswith("Error: --now (or INCIDENTCTL_NOW) cannot be used with --as")
    assert dump(demo_db) == before


def test_another_organisations_contact_is_an_unknown_one(demo_db: Path) -> None:
    for command in (("check",), ("contacts", "show"), ("login",)):
        other = run("--as", "anouk@vandijk.nl", *command, "els@delinde.nl", db=demo_db, code=3)
        unknown = run("--as", "anouk@vandijk.nl", *command, "ell@delinde.nl", db=demo_db, code=3)
        assert other.stderr.replace("els@", "ell@") == unknown.stderr
        assert "1002" not in other.stderr
    grant = run(
        "--as", "anouk@vandijk.nl", "grant", "submitter", "els@delinde.nl", db=demo_db, code=3
    )
    assert "no such contact in your organisation" in grant.stderr


def test_the_portal_admins_are_named_and_the_override_reason_is_not(demo_db: Path) -> None:
    run("org", "set", "1001", "--quota", "5", "--reason", "INTERNAL deal", db=demo_db)
    shown = json.loads(
        run("--as", "dirk@vandijk.nl", "org", "show", "1001", "--json", db=demo_db).stdout
    )
    assert shown["admins"] == [{"email": "anouk@vandijk.nl", "name": "Anouk van Dijk"}]
    assert shown["quota_override_reason"] == "set by the vendor"
    listed = run("--as", "dirk@vandijk.nl", "contacts", "list", db=demo_db).stdout
    assert "dirk@vandijk.nl" in listed
    assert "bram@vandijk.nl" not in listed
    refused = run(
        "--as", "dirk@vandijk.nl", "grant", "submitter", "dirk@vandijk.nl", db=demo_db, code=4
    )
    assert "Anouk van Dijk <anouk@vandijk.nl>" in refused.stderr


def test_the_last_portal_admin_stays_and_the_operator_moves_contacts(demo_db: Path) -> None:
    run(
        "--as",
        "anouk@vandijk.nl",
        "contacts",
        "set",
        "anouk@vandijk.nl",
        "--inactive",
        db=demo_db,
        code=2,
    )
    moved = run(
        "contacts",
        "move",
        "bram@vandijk.nl",
        "--org",
        "1002",
        "--reason",
        "new job",
        "--json",
        db=demo_db,
    )
    assert json.loads(moved.stdout)["from_org"] == "1001"
    run("--as", "anouk@vandijk.nl", "contacts", "show", "bram@vandijk.nl", db=demo_db, code=3)
    run("--as", "els@delinde.nl", "contacts", "show", "bram@vandijk.nl", db=demo_db)


def pipeline(command: str, db: Path) -> subprocess.CompletedProcess[str]:
    """A shell pipeline of the installed incidentctl, as a script would write it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTCTL_")}
    env["INCIDENTCTL_DB"] = str(db)
    env["PATH"] = f"{Path(SCRIPT).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_scripts_of_the_review_just_work(demo_db: Path) -> None:
    """A portal admin's export imports again, and a piped listing is a --file."""
    before = dump(demo_db)
    anouk = "incidentctl --as anouk@vandijk.nl"
    done = pipeline(f"{anouk} contacts list --csv | {anouk} contacts import -", demo_db)
    assert done.returncode == 0, done.stderr
    assert "0 added, 0 updated, 4 unchanged" in done.stdout
    for middle in ("", " | cut -f1"):
        done = pipeline(
            "incidentctl contacts list --org 1001"
            + middle
            + " | incidentctl grant manager --file - --dry-run",
            demo_db,
        )
        assert done.returncode == 0, done.stderr
        assert "3 would be granted, 1 unchanged, 0 refused" in done.stdout
    assert dump(demo_db) == before


def test_the_reviews_attacks_on_the_portal_admins_and_a_move(demo_db: Path, tmp_path: Path) -> None:
    anouk = ("--as", "anouk@vandijk.nl")
    run(*anouk, "contacts", "set", "bram@vandijk.nl", "--portal-admin", db=demo_db)
    both = tmp_path / "c.csv"
    both.write_text(
        "email,org,name,portal_admin\n"
        "anouk@vandijk.nl,1001,Anouk van Dijk,no\nbram@vandijk.nl,1001,Bram de Vries,no\n"
    )
    before = dump(demo_db)
    refused = run(*anouk, "contacts", "import", str(both), db=demo_db, code=2)
    assert "would be left without an active portal admin" in refused.stderr
    assert dump(demo_db) == before
    # Moved, Anouk holds none of 1001's roles in 1002: not even for the delay.
    run("contacts", "move", "anouk@vandijk.nl", "--org", "1002", "--reason", "x", db=demo_db)
    run(*anouk, "login", "anouk@vandijk.nl", db=demo_db)
    run(*anouk, "incidents", "list", db=demo_db, code=4)
    run(*anouk, "incidents", "submit", "--subject", "x", db=demo_db, code=4)
    # An inactive contact is told the command and whom to ask.
    inactive = run("--as", "hanna@delinde.nl", "quota", db=demo_db, code=4)
    assert inactive.stderr.splitlines()[1] == (
        "Hint: ask a portal admin to activate it (incidentctl contacts set hanna@delinde.nl "
        "--active): Els Visser <els@delinde.nl>"
    )


def test_the_reviews_smaller_findings_through_the_installed_command(tmp_path: Path) -> None:
    db = tmp_path / "many.db"
    orgs = tmp_path / "orgs.csv"
    orgs.write_text(
        "id,name,employees\n" + "".join(f"{n},Org {n},5\n" for n in range(1, 1201)),
        encoding="utf-8",
    )
    run("init", db=db)
    run("org", "import", str(orgs), db=db)
    run("org", "set", "1", "--domains", "vandijk.nl,vandijk.com", db=db)
    run("contacts", "add", "ls@vandijk.nl", "--org", "1", "--name", "A\u2028B \u200fC", db=db)
    header, first = run("org", "list", "--csv", db=db).stdout.splitlines()[:2]
    assert header.endswith(",domains")
    assert first.endswith(",vandijk.nl;vandijk.com")
    changes = run("log", "--org", "1", db=db).stdout
    assert "domains: - -> vandijk.nl, vandijk.com" in changes
    assert "A\\u2028B \\u200fC" in run("contacts", "list", db=db).stdout
    assert "published 1,200 organisations" in run("recount", db=db).stdout
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTCTL_")}
    done = subprocess.run(
        [SCRIPT, "--db", str(db), "quota"],
        env={**env, "INCIDENTCTL_NOW": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == "Error: --now (or INCIDENTCTL_NOW) is empty"
