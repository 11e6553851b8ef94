"""``contacts import FILE|-``: a CSV upsert validated in full first and written all or
nothing; every refusal names the file and line (docs/exit-codes.md, exit 2)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import Cli, Snapshot, events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED, NOT_FOUND


def write(tmp_path: Path, content: str | bytes, name: str = "contacts.csv") -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def contact(cli: Cli, email: str) -> dict[str, object]:
    document = cli.json("contacts", "show", email)
    assert isinstance(document, dict)
    return document


def test_import_adds_contacts_and_reports_counts(store: Cli, tmp_path: Path, db_path: Path) -> None:
    count = len(events(db_path))
    file = write(tmp_path, "email,org,name\nkees@acme.nl,1001,Kees\nlot@globex.nl,2002,Lot\n")
    result = store.json("contacts", "import", file)
    assert result == {"added": 2, "updated": 0, "unchanged": 0, "revoked": 0, "dry_run": False}
    kees = contact(store, "kees@acme.nl")
    assert (kees["org"], kees["name"], kees["active"], kees["portal_admin"]) == (
        "1001",
        "Kees",
        True,
        False,
    )
    assert kees["expert_until"] is None
    new = events(db_path)[count:]
    assert [(e["action"], e["contact"]) for e in new] == [
        ("contact.add", "kees@acme.nl"),
        ("contact.add", "lot@globex.nl"),
    ]


def test_import_human_summary(store: Cli, tmp_path: Path) -> None:
    file = write(tmp_path, "email,org,name\nkees@acme.nl,1001,Kees\njan@acme.nl,1001,Jan Jansen\n")
    out = store.ok("contacts", "import", file).stdout
    assert "1 added" in out
    assert "1 unchanged" in out


@pytest.mark.parametrize(
    "header",
    [
        "email,org,name",
        "EMAIL,ORG,NAME",
        "Email, Org , Name ",
        "name,email,org",
        "org,name,email,active",
        "email,org,name,portal_admin,expert_until,active",
        "active,expert_until,portal_admin,name,org,email",
    ],
)
def test_header_variants(store: Cli, tmp_path: Path, header: str) -> None:
    values = {
        "email": "kees@acme.nl",
        "org": "1001",
        "name": "Kees",
        "portal_admin": "yes",
        "expert_until": "2030-12-31",
        "active": "true",
    }
    columns = [column.strip().lower() for column in header.split(",")]
    file = write(tmp_path, f"{header}\n" + ",".join(values[c] for c in columns) + "\n")
    assert store.json("contacts", "import", file)["added"] == 1
    kees = contact(store, "kees@acme.nl")
    assert kees["name"] == "Kees"
    assert kees["portal_admin"] is ("portal_admin" in columns)
    assert kees["expert_until"] == ("2030-12-31" if "expert_until" in columns else None)


def test_bom_and_crlf_are_tolerated(store: Cli, tmp_path: Path) -> None:
    content = (
        "\ufeffemail,org,name,portal_admin\r\n"
        "kees@acme.nl,1001,Kees,yes\r\n"
        "lot@acme.nl,1001,Lot,no\r\n"
    )
    file = write(tmp_path, content)
    assert store.json("contacts", "import", file)["added"] == 2
    assert contact(store, "kees@acme.nl")["portal_admin"] is True
    assert contact(store, "lot@acme.nl")["name"] == "Lot", "no stray carriage return"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("YES", True),
        ("Yes", True),
        (" yes ", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("no", False),
        ("No", False),
    ],
)
def test_csv_booleans(store: Cli, tmp_path: Path, text: str, value: bool) -> None:
    file = write(
        tmp_path, f"email,org,name,portal_admin,active\nkees@acme.nl,1001,Kees,{text},{text}\n"
    )
    store.ok("contacts", "import", file)
    kees = contact(store, "kees@acme.nl")
    assert kees["portal_admin"] is value
    assert kees["active"] is value


def test_empty_cells_mean_the_defaults(store: Cli, tmp_path: Path) -> None:
    file = write(
        tmp_path,
        "email,org,name,portal_admin,expert_until,active\nkees@acme.nl,1001,Kees,,,\n",
    )
    store.ok("contacts", "import", file)
    kees = contact(store, "kees@acme.nl")
    assert kees["portal_admin"] is False
    assert kees["active"] is True
    assert kees["expert_until"] is None


def test_import_upserts_existing_contacts_in_any_case(
    store: Cli, tmp_path: Path, db_path: Path
) -> None:
    count = len(events(db_path))
    file = write(
        tmp_path,
        "email,org,name,portal_admin\n"
        "JAN@ACME.NL,1001,Jan van Acme,yes\n"  # changed, matched in any case
        "piet@acme.nl,1001,Piet Pieters,no\n"  # unchanged
        "kees@acme.nl,1001,Kees,\n",  # new
    )
    result = store.json("contacts", "import", file)
    assert result == {"added": 1, "updated": 1, "unchanged": 1, "revoked": 0, "dry_run": False}
    jan = contact(store, "jan@acme.nl")
    assert jan["email"] == "jan@acme.nl", "the stored address keeps its case"
    assert (jan["name"], jan["portal_admin"]) == ("Jan van Acme", True)
    assert [row["email"] for row in store.json("contacts", "list")].count("jan@acme.nl") == 1
    new = events(db_path)[count:]
    assert [(e["action"], e["contact"]) for e in new] == [
        ("contact.set", "jan@acme.nl"),
        ("contact.add", "kees@acme.nl"),
    ]
    assert json.loads(new[0]["after"]) == {"name": "Jan van Acme", "portal_admin": True}


def test_importing_the_same_file_twice_changes_nothing(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    file = write(tmp_path, "email,org,name,expert_until\nkees@acme.nl,1001,Kees,2030-01-01\n")
    store.ok("contacts", "import", file)
    before = snapshot()
    assert store.json("contacts", "import", file) == {
        "added": 0,
        "updated": 0,
        "unchanged": 1,
        "revoked": 0,
        "dry_run": False,
    }
    assert snapshot() == before


def test_absent_columns_leave_existing_fields_alone(store: Cli, tmp_path: Path) -> None:
    store.ok("contacts", "set", "jan@acme.nl", "--expert-until", "2030-01-01", "--portal-admin")
    file = write(tmp_path, "email,org,name\njan@acme.nl,1001,Jan Jansen\n")
    assert store.json("contacts", "import", file)["unchanged"] == 1
    jan = contact(store, "jan@acme.nl")
    assert jan["portal_admin"] is True
    assert jan["expert_until"] == "2030-01-01"


def test_deactivating_by_import_revokes_roles(demo: Cli, tmp_path: Path, db_path: Path) -> None:
    count = len(events(db_path))
    file = write(tmp_path, "email,org,name,active\nanouk@vandijk.nl,1001,Anouk van Dijk,false\n")
    result = demo.json("contacts", "import", file)
    assert result == {"added": 0, "updated": 1, "unchanged": 0, "revoked": 2, "dry_run": False}
    actions = [e["action"] for e in events(db_path)[count:]]
    assert sorted(actions) == ["contact.set", "revoke", "revoke"]
    assert contact(demo, "anouk@vandijk.nl")["roles"] == []


def test_blank_lines_and_quoted_fields(store: Cli, tmp_path: Path) -> None:
    file = write(
        tmp_path,
        'email,org,name\n\nkees@acme.nl,1001,"Kees, ""de Kaas"""\n\n'
        'lot@acme.nl,1001,"Lot\top een regel"\n\n',
    )
    assert store.json("contacts", "import", file)["added"] == 2
    assert contact(store, "kees@acme.nl")["name"] == 'Kees, "de Kaas"'
    assert contact(store, "lot@acme.nl")["name"] == "Lot\top een regel"


def test_a_name_over_two_lines_is_refused_naming_the_line_it_starts_on(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    """A quoted field may hold a line break (the CSV is read right), but a name may not."""
    file = write(
        tmp_path, 'email,org,name\nkees@acme.nl,1001,Kees\nlot@acme.nl,1001,"Lot\nop twee"\n'
    )
    before = snapshot()
    error = store.fails(INVALID_INPUT, "contacts", "import", file).error_lines[0]
    assert f"{file}, line 3: " in error
    assert "U+000A" in error
    assert snapshot() == before


def test_a_header_only_file_adds_nothing(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    before = snapshot()
    result = store.json("contacts", "import", write(tmp_path, "email,org,name\n"))
    assert result == {"added": 0, "updated": 0, "unchanged": 0, "revoked": 0, "dry_run": False}
    assert snapshot() == before


def test_reading_from_stdin(store: Cli) -> None:
    csv_text = "email,org,name\nkees@acme.nl,1001,Kees\n"
    result = store.json("contacts", "import", "-", input=csv_text)
    assert result["added"] == 1
    assert contact(store, "kees@acme.nl")["name"] == "Kees"


def test_a_bad_line_from_stdin_is_named(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.fails(
        INVALID_INPUT,
        "contacts",
        "import",
        "-",
        input="email,org,name\nkees@acme.nl,1001,K\nbad,1001,B\n",
    )
    assert "<stdin>, line 3" in run.error_lines[0]
    assert snapshot() == before


# --- all or nothing: a bad LAST line writes nothing -------------------------------------------

GOOD_LINES = (
    "email,org,name,portal_admin,expert_until,active\n"
    "kees@acme.nl,1001,Kees,no,,yes\n"
    "jan@acme.nl,1001,Jan Renamed,yes,2030-01-01,\n"  # an update
    "piet@acme.nl,1001,Piet Pieters,,,false\n"  # a deactivation
    "lot@globex.nl,2002,Lot,,,\n"
)


@pytest.mark.parametrize(
    ("last_line", "code", "words"),
    [
        (b"not-an-email,1001,X,,,\n", INVALID_INPUT, "e-mail"),
        (b"x@acme.nl,1001,X,maybe,,\n", INVALID_INPUT, "maybe"),
        (b"x@acme.nl,1001,X,,,perhaps\n", INVALID_INPUT, "perhaps"),
        (b"x@acme.nl,1001,X,,2024-02-30,\n", INVALID_INPUT, "date"),
        (b"x@acme.nl,1001,X,,31-12-2030,\n", INVALID_INPUT, "date"),
        (b"x@acme.nl,1001,,,,\n", INVALID_INPUT, "name"),
        (b"x@acme.nl,,X,,,\n", INVALID_INPUT, "organisation"),
        (b"x@acme.nl,1001,X\n", INVALID_INPUT, "fields"),
        (b"x@acme.nl,1001,X,,,,extra\n", INVALID_INPUT, "fields"),
        (b'x@acme.nl,1001,"unterminated,,,\n', INVALID_INPUT, "CSV"),
        (b"x@acme.nl,9999,X,,,\n", NOT_FOUND, "9999"),
        (b"KEES@ACME.NL,1001,Kees Again,,,\n", INVALID_INPUT, "twice"),
        (b"gina@globex.nl,1001,Gina,,,\n", INVALID_INPUT, "2002"),  # moving organisation
        (b"x@acme.nl,1001,Caf\xe9,,,\n", INVALID_INPUT, "UTF-8"),  # Latin-1, not UTF-8
        (b"x@acme.nl,1001,X,,,\xff\n", INVALID_INPUT, "UTF-8"),
    ],
)
def test_a_bad_last_line_writes_nothing_and_is_named(
    store: Cli,
    tmp_path: Path,
    snapshot: Snapshot,
    last_line: bytes,
    code: int,
    words: str,
) -> None:
    file = write(tmp_path, GOOD_LINES.encode() + last_line)
    before = snapshot()
    run = store.fails(code, "contacts", "import", file)
    error = run.error_lines[0]
    assert f"{file}, line 6" in error
    assert words in error
    assert snapshot() == before


def test_a_bad_last_line_with_crlf_and_bom_is_named_too(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    content = "\ufeff" + GOOD_LINES.replace("\n", "\r\n") + "bad@,1001,X,,,\r\n"
    file = write(tmp_path, content)
    before = snapshot()
    assert "line 6" in store.fails(INVALID_INPUT, "contacts", "import", file).error_lines[0]
    assert snapshot() == before


def test_a_bad_line_in_the_middle_is_named(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    lines = GOOD_LINES.splitlines(keepends=True)
    lines.insert(3, "oops,1001,X,,,\n")
    file = write(tmp_path, "".join(lines))
    before = snapshot()
    assert "line 4" in store.fails(INVALID_INPUT, "contacts", "import", file).error_lines[0]
    assert snapshot() == before


def test_duplicates_differing_in_case_name_both_lines(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    file = write(
        tmp_path,
        "email,org,name\nkees@acme.nl,1001,Kees\nlot@acme.nl,1001,Lot\nKees@Acme.NL,1001,K\n",
    )
    before = snapshot()
    error = store.fails(INVALID_INPUT, "contacts", "import", file).error_lines[0]
    assert "line 4" in error
    assert "line 2" in error
    assert snapshot() == before


def test_non_utf8_bytes_are_named_by_line(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    content = b"email,org,name\nkees@acme.nl,1001,Kees\n" + "lot@acme.nl,1001,Lötje\n".encode(
        "cp1252"
    )
    file = write(tmp_path, content)
    before = snapshot()
    run = store.fails(INVALID_INPUT, "contacts", "import", file)
    assert "line 3" in run.error_lines[0]
    assert "UTF-8" in run.stderr
    assert snapshot() == before


def test_unknown_organisation_is_exit_3_with_its_line(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    file = write(tmp_path, "email,org,name\nkees@acme.nl,1001,Kees\nx@y.nl,4242,X\n")
    before = snapshot()
    error = store.fails(NOT_FOUND, "contacts", "import", file).error_lines[0]
    assert "line 3" in error
    assert "4242" in error
    assert snapshot() == before


def test_moving_a_contact_to_another_organisation_is_refused(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    file = write(tmp_path, "email,org,name\nJAN@acme.nl,2002,Jan Jansen\n")
    before = snapshot()
    run = store.fails(INVALID_INPUT, "contacts", "import", file)
    assert "line 2" in run.error_lines[0]
    assert "1001" in run.error_lines[0]
    assert snapshot() == before
    assert contact(store, "jan@acme.nl")["org"] == "1001"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "empty"),
        ("\ufeff", "empty"),
        ("email,org\nkees@acme.nl,1001\n", "name"),
        ("email,name\nkees@acme.nl,Kees\n", "org"),
        ("email,org,name,phone\nkees@acme.nl,1001,Kees,0612345678\n", "phone"),
        ("email,org,name,email\nkees@acme.nl,1001,Kees,k@acme.nl\n", "twice"),
        ("kees@acme.nl,1001,Kees\n", "column"),  # no header at all
    ],
)
def test_bad_headers_are_exit_2(
    store: Cli, tmp_path: Path, snapshot: Snapshot, content: str, words: str
) -> None:
    file = write(tmp_path, content)
    before = snapshot()
    run = store.fails(INVALID_INPUT, "contacts", "import", file)
    assert words in run.error_lines[0]
    assert snapshot() == before


def test_missing_file_or_a_directory_is_exit_2(store: Cli, tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.csv")
    assert missing in store.fails(INVALID_INPUT, "contacts", "import", missing).error_lines[0]
    store.fails(INVALID_INPUT, "contacts", "import", str(tmp_path))
    store.fails(INVALID_INPUT, "contacts", "import")  # no FILE at all


def test_a_portal_admin_imports_only_into_its_own_organisation(
    store: Cli, tmp_path: Path, snapshot: Snapshot, db_path: Path
) -> None:
    own = write(tmp_path, "email,org,name\nkees@acme.nl,1001,Kees\n", "own.csv")
    store.ok("--as", "admin@acme.nl", "contacts", "import", own)
    assert events(db_path)[-1]["actor"] == "admin@acme.nl"

    other = write(tmp_path, "email,org,name\nlot@acme.nl,1001,Lot\nx@globex.nl,2002,X\n", "o.csv")
    before = snapshot()
    # Another organisation is, to a portal user, one that does not exist.
    error = store.fails(NOT_FOUND, "--as", "admin@acme.nl", "contacts", "import", other)
    assert error.error_lines == [f"Error: {other}, line 3: no organisation '2002'"]
    # Another organisation's address: taken, without saying whose it is.
    taken = write(tmp_path, "email,org,name\nlot@acme.nl,1001,Lot\ngina@globex.nl,1001,G\n")
    error = store.fails(INVALID_INPUT, "--as", "admin@acme.nl", "contacts", "import", taken)
    assert error.error_lines == [
        f"Error: {taken}, line 3: cannot add gina@globex.nl: the address is already in use"
    ]
    assert "2002" not in error.stderr
    store.fails(NOT_AUTHORIZED, "--as", "jan@acme.nl", "contacts", "import", own)
    assert snapshot() == before


def test_a_large_import_is_one_transaction(store: Cli, tmp_path: Path) -> None:
    rows = "".join(f"user{i}@bulk.nl,2002,User {i}\n" for i in range(2000))
    file = write(tmp_path, "email,org,name\n" + rows)
    assert store.json("contacts", "import", file)["added"] == 2000
    assert len(store.json("contacts", "list", "--org", "2002")) == 2001


# --- property: whatever valid file is imported, the listing shows exactly it ----------------

_NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30
).filter(lambda name: name.strip() != "")
_LOCAL_PARTS = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,10}[a-z0-9])?", fullmatch=True).filter(
    lambda local: ".." not in local
)
_BOOLEANS = st.sampled_from(
    ["true", "TRUE", "1", "yes", "Yes", "false", "False", "0", "no", "NO", ""]
)


@st.composite
def _contact_rows(draw: st.DrawFn) -> list[tuple[str, str, str, str]]:
    locals_ = draw(st.lists(_LOCAL_PARTS, min_size=1, max_size=8, unique=True))
    rows = []
    for local in locals_:
        email = "".join(c.upper() if draw(st.booleans()) else c for c in f"{local}@example.nl")
        rows.append((email, draw(_NAMES), draw(_BOOLEANS), draw(_BOOLEANS)))
    return rows


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=_contact_rows())
def test_any_valid_file_imports_exactly(
    store_template: Path, tmp_path: Path, rows: list[tuple[str, str, str, str]]
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        db = Path(folder) / "store.db"
        shutil.copy2(store_template, db)
        cli = Cli()
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["email", "org", "name", "portal_admin", "active"])
        writer.writerows(
            [email, "2002", name, admin, active] for email, name, admin, active in rows
        )
        result = cli.json("--db", str(db), "contacts", "import", "-", input=buffer.getvalue())
        assert result["added"] == len(rows)

        listed = {
            row["email"]: row
            for row in cli.json("--db", str(db), "contacts", "list", "--org", "2002")
        }
        for email, name, admin, active in rows:
            row = listed[email]
            assert row["name"] == name
            assert row["portal_admin"] is (admin.lower() in ("true", "1", "yes"))
            assert row["active"] is (active.lower() not in ("false", "0", "no"))
            # Found again in any case.
            assert cli.json("--db", str(db), "contacts", "show", email.swapcase())["email"] == email
        # The same file again changes nothing.
        again = cli.json("--db", str(db), "contacts", "import", "-", input=buffer.getvalue())
        assert again["unchanged"] == len(rows)
