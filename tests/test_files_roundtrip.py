"""``contacts list --csv`` → ``contacts import`` round-trips (issue 11): the export puts one
``'`` before a cell a spreadsheet would run as a formula, and every CSV reader removes exactly
that one again (incidentctl.csvcells.restore), so importing an export changes nothing.

Each test runs on the export as its contract defines it (the listing with every cell passed
through csvcells.neutralise), and on what ``contacts list --csv`` writes; the latter is
skipped while the export does not neutralise yet (that is the output package's part)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from typer.testing import CliRunner

from incidentctl.cli import app
from incidentctl.csvcells import neutralise

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


def _listing(db: Path, args: tuple[str, ...]) -> bytes:
    """``contacts list --csv`` as written (CliRunner's text would fold CR LF)."""
    result = CliRunner().invoke(app, ["--db", str(db), "contacts", "list", "--csv", *args])
    assert result.exit_code == 0, result.stderr
    return result.stdout_bytes


def listed_export(db: Path, *args: str) -> bytes:
    exported = _listing(db, args)
    if b"'=1+1" not in exported and b"=1+1" in exported:
        pytest.skip("contacts list --csv does not neutralise formulas yet (the output package)")
    return exported


def contract_export(db: Path, *args: str) -> bytes:
    """The listing with every cell neutralised as docs/json.md ("CSV") says, whether or not
    this version's export does so itself."""
    exported = _listing(db, args)
    if b"'=1+1" in exported or b"=1+1" not in exported:
        return exported  # this version's export neutralises (or has no formula to show it)
    rows = csv.reader(io.StringIO(exported.decode("utf-8"), newline=""))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(next(rows))
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


EXPORTS: dict[str, Callable[..., bytes]] = {
    "contract": contract_export,
    "contacts list --csv": listed_export,
}


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


@pytest.mark.parametrize("source", EXPORTS)
def test_export_then_import_changes_nothing(
    awkward: Cli, db_path: Path, tmp_path: Path, snapshot: Snapshot, source: str
) -> None:
    exported = EXPORTS[source](db_path)
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


@pytest.mark.parametrize("source", EXPORTS)
def test_the_export_imports_into_another_store(
    awkward: Cli, db_path: Path, tmp_path: Path, source: str
) -> None:
    exported = EXPORTS[source](db_path, "--org", "1001")
    other = tmp_path / "other.db"
    awkward.ok("--db", str(other), "init")
    awkward.ok("--db", str(other), "org", "add", "1001", "--name", "Acme", "--employees", "30")
    awkward.ok("--db", str(other), "contacts", "import", "-", input=exported)
    copied = awkward.json("--db", str(other), "contacts", "list")
    original = awkward.json("contacts", "list", "--org", "1001")
    assert [{**row, "roles": []} for row in original] == copied, "all but the roles"


@pytest.mark.parametrize("source", EXPORTS)
def test_an_export_feeds_grant_file(awkward: Cli, db_path: Path, source: str) -> None:
    """The addresses of the export, '-dash@acme.nl' included, are read back by --file."""
    exported = EXPORTS[source](db_path, "--role", "submitter")
    document = awkward.json("revoke", "submitter", "--file", "-", input=exported)
    assert sorted(row["email"] for row in document["results"]) == ["-dash@acme.nl", "c0@acme.nl"]
    assert document["summary"]["revoked"] == 2
