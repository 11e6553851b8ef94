"""CSV files as spreadsheets write them (docs/concepts.md, "Files"), read by one reader
(incidentctl.files) for ``contacts import``, ``org import`` and ``grant``/``revoke --file``: the
delimiter sniffed among , ; and TAB, a UTF-8 byte-order mark, quoted headers, quoted fields
holding the delimiter or a line break (errors name the line the record starts on), and other
encodings refused with a hint that names UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from grant_support import holders

from incidentctl.errors import INVALID_INPUT

BOM = b"\xef\xbb\xbf"


def write(tmp_path: Path, content: bytes, name: str = "input.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def rows(delimiter: str, *lines: list[str]) -> bytes:
    return "".join(delimiter.join(cells) + "\r\n" for cells in lines).encode()


# --- contacts import ------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_contacts_import_sniffs_the_delimiter(store: Cli, tmp_path: Path, delimiter: str) -> None:
    content = BOM + rows(
        delimiter,
        ['"email"', '"org"', '"name"', '"portal_admin"'],
        ["kees@acme.nl", "1001", '"Kees, de; Vries"', "yes"],
        ["lot@acme.nl", "1001", "Lot", "no"],
    )
    result = store.json("contacts", "import", write(tmp_path, content))
    assert result["added"] == 2
    kees = store.json("contacts", "show", "kees@acme.nl")
    assert (kees["name"], kees["portal_admin"]) == ("Kees, de; Vries", True)
    assert store.json("contacts", "show", "lot@acme.nl")["name"] == "Lot"


def test_a_dutch_excel_file_imports(store: Cli, tmp_path: Path) -> None:
    """What Excel (nl-NL) writes with "CSV UTF-8": BOM, semicolons, CRLF, quotes only where
    needed, a date column."""
    content = BOM + (
        b"email;org;name;portal_admin;expert_until;active\r\n"
        b"kees@acme.nl;1001;Kees van der Berg;ja;;\r\n"
    )
    run = store.fails(INVALID_INPUT, "contacts", "import", write(tmp_path, content))
    assert "line 2" in run.error_lines[0]
    assert "'ja'" in run.error_lines[0], "booleans stay true/false, 1/0, yes/no"
    fixed = content.replace(b";ja;", b";1;")
    assert store.json("contacts", "import", write(tmp_path, fixed))["added"] == 1


def test_a_name_over_several_lines_is_refused_at_the_line_its_record_starts(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    content = (
        b'email;org;name\r\nkees@acme.nl;1001;"Kees ""K""; de Vries"\r\n'
        b'lot@acme.nl;1001;"Lot\r\n\r\nLotte"\r\n'
    )
    path = write(tmp_path, content)
    before = snapshot()
    error = store.fails(INVALID_INPUT, "contacts", "import", path).error_lines[0]
    assert error.startswith(f"Error: {path}, line 3: ")
    assert "U+000D" in error
    assert snapshot() == before


def test_a_record_after_a_multi_line_one_is_named_by_its_own_line(
    store: Cli, tmp_path: Path
) -> None:
    """The quoted ``active`` cell spans lines 2 and 3 (and is valid: blanks around a
    boolean are ignored); the bad address is on line 4, the third record."""
    content = b'email,org,name,active\nkees@acme.nl,1001,Kees,"yes\n"\nx@,1001,X,\n'
    path = write(tmp_path, content)
    error = store.fails(INVALID_INPUT, "contacts", "import", path).error_lines[0]
    assert error.startswith(f"Error: {path}, line 4: "), error


def test_blank_lines_and_blank_records_are_skipped(store: Cli, tmp_path: Path) -> None:
    content = b"\r\n\r\nemail;org;name\r\n\r\n;;\r\nkees@acme.nl;1001;Kees\r\n  \r\n"
    assert store.json("contacts", "import", write(tmp_path, content))["added"] == 1


# --- org import -----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_org_import_sniffs_the_delimiter(store: Cli, tmp_path: Path, delimiter: str) -> None:
    content = BOM + rows(
        delimiter,
        ['"id"', '"name"', '"employees"', '"sector"', '"domains"'],
        ["3003", '"Initech; Inc., NL"', "120", "ict", "initech.nl initech.com"],
    )
    assert store.json("org", "import", write(tmp_path, content))["added"] == 1
    shown = store.json("org", "show", "3003")
    assert shown["name"] == "Initech; Inc., NL"
    assert shown["domains"] == ["initech.nl", "initech.com"]


# --- grant and revoke --file ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"name;email\r\nJan;jan@acme.nl\r\nPiet;piet@acme.nl\r\n", id="semicolon"),
        pytest.param(b"name\temail\nJan\tjan@acme.nl\nPiet\tpiet@acme.nl\n", id="tab"),
        pytest.param(BOM + b'"email";"name"\r\n"jan@acme.nl";"Jan"\r\npiet@acme.nl;\r\n', id="bom"),
        pytest.param(b'"email"\r\n"jan@acme.nl"\r\npiet@acme.nl\r\n', id="quoted-one-column"),
        pytest.param(
            b'name,email\n"Jan\nJansen",jan@acme.nl\n"Pieters, P.",piet@acme.nl\n',
            id="line-break-in-a-field",
        ),
        pytest.param(b"jan@acme.nl\r\npiet@acme.nl\r\n", id="plain-list"),
        pytest.param(BOM + b"jan@acme.nl\npiet@acme.nl", id="plain-list-bom"),
    ],
)
def test_grant_file_reads_spreadsheet_csv(store: Cli, tmp_path: Path, content: bytes) -> None:
    document = store.json("grant", "submitter", "--file", write(tmp_path, content))
    assert document["summary"]["granted"] == 2
    assert sorted(holders(store)) == ["jan@acme.nl", "piet@acme.nl"]


def test_a_refused_row_of_a_multi_line_record_names_its_first_line(
    store: Cli, tmp_path: Path
) -> None:
    content = b'note;email\n"two\nlines";jan@acme.nl\n"three\n\nlines";nobody@acme.nl\n'
    run = store("revoke", "manager", "--file", write(tmp_path, content), "--json")
    assert run.exit_code == 3
    assert run.json()["results"][1]["reason"] == "no such contact (line 4)"


# --- other encodings ------------------------------------------------------------------------


# Per command: a valid first line, and a second line with a name beyond ASCII.
TEXTS = {
    "contacts": "email,org,name\nkees@acme.nl,1001,Kees Müller – €\n",
    "org": "id,name,employees\n3003,Müller – € B.V.,5\n",
    "grant": "email\nkees.müller@acme.nl\n",
    "revoke": "email\nkees.müller@acme.nl\n",
    "apply": '[organisations."1001"]\nsubmitter = []  # Müller – €\n',
    "policy": "# policy\nbands = [{ from_employees = 0, maximum = 2 }]  # Müller – €\n",
}
ENCODINGS = {
    "latin-1": ("latin-1", "not UTF-8 text"),
    "cp1252": ("cp1252", "not UTF-8 text"),
    "utf-16": ("utf-16", "UTF-16"),
    "utf-16-le": ("utf-16-le", "UTF-16"),
    "utf-16-be": ("utf-16-be", "UTF-16"),
}


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(
    "command",
    [
        ("contacts", "import"),
        ("org", "import"),
        ("grant", "submitter", "--file"),
        ("revoke", "manager", "--file"),
        ("apply",),
        ("policy", "load"),
    ],
    ids=lambda command: " ".join(command[:2]),
)
def test_another_encoding_is_refused_with_a_hint_naming_utf8(
    store: Cli, tmp_path: Path, snapshot: Snapshot, encoding: str, command: tuple[str, ...]
) -> None:
    codec, named = ENCODINGS[encoding]
    text = TEXTS[command[0]]
    if codec == "latin-1":
        text = text.replace(" – €", "")
    path = write(tmp_path, text.encode(codec))
    before = snapshot()
    run = store.fails(INVALID_INPUT, *command, path)
    error = run.error_lines[0]
    assert named in error
    if named == "UTF-16":
        assert error.startswith(f"Error: {path}: ")
    else:
        assert error.startswith(f"Error: {path}, line 2: "), "the line of the first bad byte"
    assert run.stderr.splitlines()[1] == "Hint: save it as UTF-8 (CSV UTF-8 in Excel)"
    assert snapshot() == before


def test_a_nul_byte_is_refused_with_its_line(store: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, b"email,org,name\nkees@acme.nl,1001,Ke\x00es\n")
    error = store.fails(INVALID_INPUT, "contacts", "import", path).error_lines[0]
    assert f"{path}, line 2: " in error
    assert "NUL" in error
