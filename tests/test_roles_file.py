"""grant and revoke --file (docs/roles-and-quota.md, "--file"): one e-mail per line or a CSV
with an email column, from a file or stdin; bad input is refused with its line named and nothing
written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot
from grant_support import add_contact, holders, role_changes, statuses


def write(tmp_path: Path, content: bytes, name: str = "emails.txt") -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"jan@acme.nl\npiet@acme.nl\n", id="one-per-line"),
        pytest.param(b"email\njan@acme.nl\npiet@acme.nl\n", id="header-email"),
        pytest.param(b"EMAIL\njan@acme.nl\npiet@acme.nl", id="header-EMAIL-no-final-newline"),
        pytest.param(b" Email \n jan@acme.nl \npiet@acme.nl\n", id="header-with-blanks"),
        pytest.param(
            b"name,Email,department\nJan Jansen,jan@acme.nl,sales\n"
            b'"Pieters, Piet",piet@acme.nl,"support, 2nd line"\n',
            id="csv-with-email-column",
        ),
        pytest.param(b"email,name\njan@acme.nl,Jan\npiet@acme.nl,\n", id="csv-email-first"),
        pytest.param(b"\xef\xbb\xbfemail\r\njan@acme.nl\r\npiet@acme.nl\r\n", id="bom-crlf"),
        pytest.param(b"\xef\xbb\xbfjan@acme.nl\r\npiet@acme.nl\r\n", id="bom-no-header"),
        pytest.param(b"\n\njan@acme.nl\n\n   \n\npiet@acme.nl\n\n", id="blank-lines"),
        pytest.param(b"\r\nemail\r\n\r\njan@acme.nl\r\n \r\npiet@acme.nl\r\n", id="blank-crlf"),
        pytest.param(b"JAN@ACME.NL\nPiet@Acme.nl\n", id="any-case"),
        pytest.param(b"E-mail\njan@acme.nl\npiet@acme.nl\n", id="header-E-mail"),
        pytest.param(b"Name;e-mail\nJan;jan@acme.nl\nPiet;piet@acme.nl\n", id="csv-e-mail-column"),
    ],
)
def test_grant_from_a_file(store: Cli, tmp_path: Path, content: bytes) -> None:
    document = store.json("grant", "submitter", "--file", write(tmp_path, content))
    assert document["applied"] is True
    assert document["summary"] == {"granted": 2, "revoked": 0, "unchanged": 0, "refused": 0}
    assert [row["email"] for row in document["results"]] == ["jan@acme.nl", "piet@acme.nl"]
    assert sorted(holders(store)) == ["jan@acme.nl", "piet@acme.nl"]


def test_grant_and_revoke_from_stdin(store: Cli) -> None:
    document = store.json("grant", "manager", "--file", "-", input="jan@acme.nl\npiet@acme.nl\n")
    assert document["summary"]["granted"] == 2
    revoked = store.json("revoke", "manager", "--file", "-", input=b"email\r\npiet@acme.nl\r\n")
    assert statuses(revoked) == {"piet@acme.nl": "revoked"}
    assert holders(store, "manager") == ["jan@acme.nl"]


def test_a_piped_listing_is_input(store: Cli) -> None:
    """``contacts list | grant manager --file -``, and the same through ``cut -f1``: the
    listing's plain rows (tab-separated, its header says ``E-mail``) were refused, as having no
    'email' column, and line 1 as not an address."""
    store.ok("grant", "manager", "jan@acme.nl")
    listing = store.ok("contacts", "list", "--org", "1001").stdout
    assert listing.startswith("E-mail\t")
    for given in (listing, "".join(line.split("\t")[0] + "\n" for line in listing.splitlines())):
        document = store.json("grant", "manager", "--file", "-", "--dry-run", input=given)
        assert statuses(document) == {
            "admin@acme.nl": "granted",
            "jan@acme.nl": "unchanged",
            "piet@acme.nl": "granted",
        }


def test_arguments_and_file_make_one_batch(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    add_contact(store, "kees@acme.nl")
    path = write(tmp_path, b"piet@acme.nl\nadmin@acme.nl\n")
    document = store.json("grant", "manager", "jan@acme.nl", "--file", path)
    assert [row["email"] for row in document["results"]] == [
        "jan@acme.nl",
        "piet@acme.nl",
        "admin@acme.nl",
    ]
    # The quota is checked for arguments and file together: 1 + 2 + 1 > 3.
    before = snapshot()
    run = store("grant", "submitter", "jan@acme.nl", "kees@acme.nl", "--file", path, "--json")
    assert run.exit_code == 5
    assert run.json()["summary"]["refused"] == 4
    assert snapshot() == before


def test_duplicates_are_reported_as_unchanged(store: Cli, tmp_path: Path, db_path: Path) -> None:
    path = write(tmp_path, b"email\njan@acme.nl\npiet@acme.nl\nJAN@acme.nl\n")
    document = store.json("grant", "submitter", "jan@acme.nl", "--file", path)
    assert [(row["email"], row["status"]) for row in document["results"]] == [
        ("jan@acme.nl", "granted"),
        ("jan@acme.nl", "unchanged"),
        ("piet@acme.nl", "granted"),
        ("jan@acme.nl", "unchanged"),
    ]
    assert document["results"][1]["reason"] == "listed twice, first at argument 1"
    assert document["results"][3]["reason"] == "listed twice, first at argument 1"
    assert document["summary"] == {"granted": 2, "revoked": 0, "unchanged": 2, "refused": 0}
    # Duplicates take no extra seat and write one change per contact.
    assert store.json("quota", "1001")["used"] == 2
    assert [c["email"] for c in role_changes(db_path)] == [
        "jan@acme.nl",
        "piet@acme.nl",
    ]


# --- bad input --------------------------------------------------------------------------------


def test_non_utf8_bytes_exit_2_naming_the_line(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    path = write(tmp_path, b"email\njan@acme.nl\npi\xe9t@acme.nl\npiet@acme.nl\n")
    run = store.fails(2, "grant", "submitter", "--file", path)
    assert "line 3" in run.stderr
    assert "UTF-8" in run.stderr
    assert snapshot() == before
    stdin = store.fails(2, "revoke", "submitter", "--file", "-", input=b"j\xffn@acme.nl\n")
    assert "<stdin>, line 1" in stdin.stderr
    assert snapshot() == before


def test_a_csv_header_without_email_column_exits_2(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    path = write(tmp_path, b"name,mail\nJan,jan@acme.nl\n")
    run = store.fails(2, "grant", "submitter", "--file", path)
    assert "line 1" in run.stderr
    assert "'email' column" in run.stderr
    assert snapshot() == before


def test_an_unknown_contact_exits_3_naming_the_line(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    path = write(tmp_path, b"email\njan@acme.nl\n\nnobody@acme.nl\n")
    run = store("grant", "submitter", "--file", path, "--json")
    assert run.exit_code == 3
    document = run.json()
    assert document["applied"] is False
    assert statuses(document) == {"jan@acme.nl": "granted", "nobody@acme.nl": "refused"}
    assert document["results"][1]["reason"] == "no such contact (line 4)"
    # The error line names the line too, so a long file needs no search.
    assert "no such contact (line 4)" in run.error_lines[0]
    assert snapshot() == before


def test_a_malformed_email_exits_2(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    before = snapshot()
    path = write(tmp_path, b"jan@acme.nl\njan at acme.nl\n")
    run = store("grant", "submitter", "--file", path, "--json")
    assert run.exit_code == 2
    refused = run.json()["results"][1]
    assert refused["status"] == "refused"
    assert refused["reason"] == "not a valid e-mail address (line 2)"
    human = store.fails(2, "grant", "submitter", "--file", path)
    assert human.error_lines[0].endswith("not a valid e-mail address (line 2)")
    argument = store("revoke", "manager", "jan@", "--json")
    assert argument.exit_code == 2
    assert argument.json()["results"][0]["reason"] == "not a valid e-mail address (argument 1)"
    assert snapshot() == before


def test_a_csv_row_without_the_email_field_exits_2(
    store: Cli, tmp_path: Path, snapshot: Snapshot
) -> None:
    before = snapshot()
    path = write(tmp_path, b"name,email\nJan,jan@acme.nl\nPiet\n")
    run = store.fails(2, "grant", "submitter", "--file", path)
    assert "line 3" in run.stderr
    assert snapshot() == before


def test_a_missing_file_exits_2(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    before = snapshot()
    run = store.fails(2, "grant", "submitter", "--file", str(tmp_path / "nope.txt"))
    assert "no such file" in run.stderr
    assert snapshot() == before


@pytest.mark.parametrize("command", ["grant", "revoke"])
def test_no_email_and_no_file_exits_2(store: Cli, snapshot: Snapshot, command: str) -> None:
    before = snapshot()
    run = store.fails(2, command, "submitter")
    assert "at least one EMAIL or --file" in run.stderr
    assert snapshot() == before


def test_an_empty_file_changes_nothing(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    before = snapshot()
    document = store.json("grant", "submitter", "--file", write(tmp_path, b"email\n\n"))
    assert document["results"] == []
    assert document["summary"] == {"granted": 0, "revoked": 0, "unchanged": 0, "refused": 0}
    assert snapshot() == before
