"""``contacts list --csv`` → ``contacts import`` round-trips: the export puts one ``'``
before a cell a spreadsheet would run as a formula, and every CSV reader removes exactly that
one again (incidentctl.csvcells.restore), so importing an export changes nothing
(docs/json.md, "CSV")."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot

# Names that a spreadsheet would evaluate, or that look like an export's neutralised cell.
NAMES = [
    "=1+1",
    "'=x",
    "''=y",
    "-5",
    "@a",
    "+31 6 1234",
    "\tTab first",
    '=HYPERLINK("http://example.com", "klik")',
    "'plain quote",
    "Kees 'de' Vries",
    " =blank first",
]


def export(db: Path, *args: str) -> bytes:
    """``contacts list --csv`` as written (the text would fold CR LF)."""
    return Cli().ok("--db", str(db), "contacts", "list", "--csv", *args).stdout_bytes


@pytest.fixture
def awkward(store: Cli) -> Cli:
    for number, name in enumerate(NAMES):
        store.ok("contacts", "add", f"c{number}@acme.nl", "--org", "1001", "--name", name)
    store.ok("contacts", "add", "--org", "1001", "--name=-Dash", "--", "-dash@acme.nl")
    store.ok("contacts", "set", "c1@acme.nl", "--portal-admin", "--expert-until", "2031-05-01")
    store.ok("contacts", "set", "c2@acme.nl", "--inactive")
    store.ok("grant", "submitter", "c0@acme.nl", "--", "-dash@acme.nl")
    store.ok("grant", "manager", "c0@acme.nl")
    return store


def test_export_then_import_changes_nothing(
    awkward: Cli, db_path: Path, tmp_path: Path, snapshot: Snapshot
) -> None:
    exported = export(db_path)
    assert b"'=1+1" in exported
    assert b"'''=y" in exported
    assert b"'-dash@acme.nl" in exported
    path = tmp_path / "export.csv"
    path.write_bytes(exported)
    before = snapshot()

    result = awkward.json("contacts", "import", str(path))

    assert (result["added"], result["updated"]) == (0, 0)
    assert result["unchanged"] == len(NAMES) + 5  # -dash, and the store's own four
    assert snapshot() == before
    names = {row["email"]: row["name"] for row in awkward.json("contacts", "list")}
    for number, name in enumerate(NAMES):
        assert names[f"c{number}@acme.nl"] == name


def test_the_export_imports_into_another_store(awkward: Cli, db_path: Path, tmp_path: Path) -> None:
    exported = export(db_path, "--org", "1001")
    other = tmp_path / "other.db"
    awkward.ok("--db", str(other), "init")
    awkward.ok("--db", str(other), "org", "add", "1001", "--name", "Acme", "--employees", "30")
    awkward.ok("--db", str(other), "contacts", "import", "-", input=exported)
    copied = awkward.json("--db", str(other), "contacts", "list")
    original = awkward.json("contacts", "list", "--org", "1001")
    assert [{**row, "roles": []} for row in original] == copied, "all but the roles"


def test_an_export_feeds_grant_file(awkward: Cli, db_path: Path) -> None:
    """The addresses of the export, '-dash@acme.nl' included, are read back by --file."""
    exported = export(db_path, "--role", "submitter")
    document = awkward.json("revoke", "submitter", "--file", "-", input=exported)
    assert sorted(row["email"] for row in document["results"]) == ["-dash@acme.nl", "c0@acme.nl"]
    assert document["summary"]["revoked"] == 2
