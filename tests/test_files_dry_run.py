"""``contacts import --dry-run`` and ``policy load --dry-run``: the file is checked
in full, nothing is written, and the report is the one a real run gives, with "dry run:
nothing was written"."""

from __future__ import annotations

from pathlib import Path

from conftest import Cli, Snapshot

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, NOT_FOUND

CONTACTS = (
    "email,org,name,active\n"
    "kees@acme.nl,1001,Kees,\n"  # new
    "jan@acme.nl,1001,Jan Renamed,\n"  # changed
    "piet@acme.nl,1001,Piet Pieters,false\n"  # deactivated: its roles are revoked
    "gina@globex.nl,2002,Gina,\n"  # unchanged
)


def write(tmp_path: Path, content: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_contacts_import_dry_run_reports_what_a_real_run_does(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    store.ok("grant", "submitter", "piet@acme.nl")
    store.ok("grant", "manager", "piet@acme.nl")
    path = write(tmp_path, CONTACTS, "contacts.csv")
    before = snapshot()

    dry = store.json("contacts", "import", path, "--dry-run")
    human = store.ok("contacts", "import", path, "--dry-run").stdout

    assert snapshot() == before
    assert dry == {"added": 1, "updated": 2, "unchanged": 1, "revoked": 2, "dry_run": True}
    assert human == (
        f"Checked {path}: 1 added, 2 updated, 1 unchanged; 2 role(s) revoked by deactivation; "
        "dry run: nothing was written\n"
    )
    real = store.json("contacts", "import", path)
    assert real == {**dry, "dry_run": False}
    assert snapshot() != before


def test_contacts_import_dry_run_refuses_what_a_real_run_refuses(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    for content, code in (
        (CONTACTS + "x@acme.nl,9999,X,\n", NOT_FOUND),
        (CONTACTS + "KEES@acme.nl,1001,Kees,\n", INVALID_INPUT),
        (CONTACTS + "x@acme.nl,1001,X,maybe\n", INVALID_INPUT),
    ):
        path = write(tmp_path, content, "bad.csv")
        error = store.fails(code, "contacts", "import", path, "--dry-run").error_lines[0]
        assert f"{path}, line 6: " in error
    as_admin = ("--as", "admin@acme.nl", "contacts", "import")
    path = write(tmp_path, CONTACTS, "contacts.csv")
    # Another organisation is, to a portal admin, one that does not exist.
    error = store.fails(NOT_FOUND, *as_admin, path, "--dry-run").error_lines[0]
    assert error.endswith("line 5: no organisation '2002'"), "the row of organisation 2002"
    assert snapshot() == before


def test_policy_load_dry_run(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    path = write(
        tmp_path,
        "bands = [{ from_employees = 0, maximum = 1 }]\n"
        "[sectors.zorg]\nbands = [{ from_employees = 0, maximum = 4 }]\n",
        "policy.toml",
    )
    before = snapshot()

    dry = store.json("policy", "load", path, "--dry-run")
    human = store.ok("policy", "load", path, "--dry-run").stdout

    assert snapshot() == before
    assert dry["dry_run"] is True
    assert dry["policy"]["sectors"]["zorg"]["bands"] == [{"from_employees": 0, "maximum": 4}]
    assert human == (
        f"Checked the quota policy from {path}: 1 size bands, 1 sectors; "
        # Acme (30 employees) goes from 3 to 1, Globex (zorg) from 2 to 4.
        "1 organisation would get a lower maximum, 1 a higher one, 0 would be over quota; "
        "dry run: nothing was written\n"
    )
    assert store.json("policy", "show")["default"] is True
    bad = write(tmp_path, "bands = []\n", "bad.toml")
    store.fails(INVALID_INPUT, "policy", "load", bad, "--dry-run")
    real = store.json("policy", "load", path)
    assert real == {**dry, "dry_run": False}
    assert store.json("policy", "show")["default"] is False


def test_policy_load_dry_run_is_operator_only(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(NOT_AUTHORIZED, "--as", "admin@acme.nl", "policy", "load", "-", "--dry-run")
    assert snapshot() == before
