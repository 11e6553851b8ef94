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
