"""``org import FILE|-`` (docs/concepts.md, "Organisations"): organisations from CSV
(id,name,employees and optionally sector and domains), all or nothing, each error with its line,
``--dry-run``; new ones are added and existing ones updated (only the columns present), audited
as org.add/org.set, operator only, in one transaction that never reads the policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, Snapshot, events

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED


def write(tmp_path: Path, content: str, name: str = "orgs.csv") -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def org(cli: Cli, org_id: str) -> dict[str, Any]:
    document = cli.json("org", "show", org_id)
    assert isinstance(document, dict)
    return document


def test_adds_and_updates_and_counts(store: Cli, tmp_path: Path, db_path: Path) -> None:
    count = len(events(db_path))
    path = write(
        tmp_path,
        "id,name,employees,sector,domains\n"
        "3003,Initech,120,ict,initech.nl;initech.com\n"
        "1001,Acme B.V.,45,,acme.nl\n"  # Acme: 30 -> 45 employees, domains added
        "2002,Globex,5,zorg,\n",  # unchanged
    )
    assert store.json("org", "import", path) == {
        "added": 1,
        "updated": 1,
        "unchanged": 1,
        "dry_run": False,
    }
    initech = org(store, "3003")
    assert (initech["name"], initech["employees"], initech["sector"]) == ("Initech", 120, "ict")
    assert initech["domains"] == ["initech.nl", "initech.com"]
    acme = org(store, "1001")
    assert (acme["employees"], acme["domains"]) == (45, ["acme.nl"])
    new = events(db_path)[count:]
    assert [(e["action"], e["org_id"]) for e in new] == [("org.add", "3003"), ("org.set", "1001")]
    assert json.loads(new[0]["after"]) == {
        "domains": ["initech.nl", "initech.com"],
        "employees": 120,
        "name": "Initech",
        "quota_override": None,
        "quota_override_reason": None,
        "sector": "ict",
    }
    assert json.loads(new[1]["before"]) == {"domains": [], "employees": 30}
    assert json.loads(new[1]["after"]) == {"domains": ["acme.nl"], "employees": 45}


def test_an_event_is_the_same_as_org_add_and_org_set_write(
    store: Cli, tmp_path: Path, db_path: Path
) -> None:
    store.ok("org", "add", "3003", "--name", "Initech", "--employees", "7", "--sector", "ict")
    store.ok("org", "set", "3003", "--employees", "8")
    by_commands = [(e["action"], e["before"], e["after"]) for e in events(db_path)[-2:]]
    path = write(tmp_path, "id,name,employees,sector\n3004,Initech,7,ict\n")
    store.ok("org", "import", path)
    store.ok("org", "import", write(tmp_path, "id,name,employees\n3004,Initech,8\n", "b.csv"))
    by_import = [(e["action"], e["before"], e["after"]) for e in events(db_path)[-2:]]
    assert by_import == by_commands


def test_absent_columns_are_left_alone_and_empty_cells_clear(store: Cli, tmp_path: Path) -> None:
    store.ok("org", "set", "2002", "--domains", "globex.nl")
    store.ok("org", "set", "2002", "--quota", "9", "--reason", "pilot")
    store.ok("org", "import", write(tmp_path, "id,name,employees\n2002,Globex Int.,6\n"))
    globex = org(store, "2002")
    assert (globex["name"], globex["employees"], globex["sector"]) == ("Globex Int.", 6, "zorg")
    assert globex["domains"] == ["globex.nl"]
    assert globex["quota_override"] == 9, "the override is not the import's business"
    store.ok(
        "org", "import", write(tmp_path, "id,name,employees,sector,domains\n2002,Globex,6,,\n")
    )
    globex = org(store, "2002")
    assert (globex["sector"], globex["domains"]) == (None, [])


def test_importing_the_same_file_twice_changes_nothing(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    path = write(tmp_path, "id;name;employees;sector;domains\n3003;Initech;5;ict;initech.nl\n")
    store.ok("org", "import", path)
    before = snapshot()
    assert store.json("org", "import", path)["unchanged"] == 1
    assert snapshot() == before


def test_stdin_and_the_human_summary(store: Cli) -> None:
    run = store.ok("org", "import", "-", input="id,name,employees\n3003,Initech,5\n")
    assert run.stdout == "Imported <stdin>: 1 added, 0 updated, 0 unchanged\n"


def test_an_empty_file_or_only_a_header(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    before = snapshot()
    assert store.json("org", "import", write(tmp_path, "id,name,employees\n"))["added"] == 0
    assert "empty" in store.fails(INVALID_INPUT, "org", "import", write(tmp_path, "")).stderr
    assert snapshot() == before


GOOD = "id,name,employees,sector,domains\n3003,Initech,5,ict,\n1001,Acme,31,,\n"


@pytest.mark.parametrize(
    ("last_line", "words"),
    [
        ("3004,,5,,\n", "name"),
        ("3004,X,-1,,\n", "employees"),
        ("3004,X,five,,\n", "'five'"),
        ("3004,X,1.5,,\n", "'1.5'"),
        ("3004,X,1000000000,,\n", "too large"),
        ("3004,X,5,,not-a-domain\n", "not a valid e-mail domain"),
        (",X,5,,\n", "organisation id"),
        ("3004,X,5\n", "3 fields, the header has 5"),
        ("3003,Initech again,5,,\n", "organisation 3003 is listed twice (first on line 2)"),
        ('3004,"X,5,,\n', "CSV"),
        ("3004,X\u202e,5,,\n", "U+202E"),
    ],
)
def test_a_bad_last_line_writes_nothing_and_is_named(
    store: Cli, tmp_path: Path, snapshot: Snapshot, last_line: str, words: str
) -> None:
    path = write(tmp_path, GOOD + last_line)
    before = snapshot()
    error = store.fails(INVALID_INPUT, "org", "import", path).error_lines[0]
    assert error.startswith(f"Error: {path}, line 4: "), error
    assert words in error
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("id,name\n3003,X\n", "missing column 'employees'"),
        ("name,employees\nX,3\n", "missing column 'id'"),
        ("id,name,employees,quota\n3003,X,3,5\n", "unknown column 'quota'"),
        ("id,name,employees,ID\n3003,X,3,3\n", "column 'id' appears twice"),
    ],
)
def test_bad_headers(
    store: Cli, tmp_path: Path, snapshot: Snapshot, content: str, words: str
) -> None:
    before = snapshot()
    error = store.fails(INVALID_INPUT, "org", "import", write(tmp_path, content)).error_lines[0]
    assert words in error
    assert "line 1" in error
    assert snapshot() == before


def test_operator_only_before_reading(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.fails(NOT_AUTHORIZED, "--as", "admin@acme.nl", "org", "import", "/dev/zero")
    assert "'org import' is for the operator only" in run.error_lines[0]
    assert snapshot() == before


def test_dry_run_reports_and_writes_nothing(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    path = write(tmp_path, GOOD)
    before = snapshot()
    assert store.json("org", "import", path, "--dry-run") == {
        "added": 1,
        "updated": 1,
        "unchanged": 0,
        "dry_run": True,
    }
    human = store.ok("org", "import", path, "--dry-run").stdout
    assert (
        human == f"Checked {path}: 1 added, 1 updated, 0 unchanged; dry run: nothing was written\n"
    )
    assert snapshot() == before
    bad = write(tmp_path, GOOD + "3003,Again,5,,\n", "bad.csv")
    assert "line 4" in store.fails(INVALID_INPUT, "org", "import", bad, "--dry-run").error_lines[0]
    assert store.json("org", "import", path)["added"] == 1


def test_ten_thousand_organisations_in_one_transaction_without_the_policy(
    store: Cli, tmp_path: Path
) -> None:
    """The work of 10,000 `org add` calls in one command: one write transaction, and the
    policy is never read (today each org add costs a process and a transaction)."""
    from incidentctl.store import Store
    from incidentctl.store import quota as quota_store

    transactions: list[str] = []
    write_transaction = Store.write

    def counted(self: Store) -> Any:
        transactions.append("write")
        return write_transaction(self)

    def no_policy(*args: object) -> Any:
        raise AssertionError("org import read the policy")

    rows = "".join(f"{100000 + n};Organisatie {n};{n % 5000};;org{n}.nl\n" for n in range(10_000))
    path = write(tmp_path, "id;name;employees;sector;domains\n" + rows)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "write", counted)
        patch.setattr(quota_store, "read_policy", no_policy)
        assert store.json("org", "import", path)["added"] == 10_000

    assert transactions == ["write"]
    assert len(store.json("org", "list")) == 10_002
    assert org(store, "109999")["domains"] == ["org9999.nl"]
