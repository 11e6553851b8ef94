"""Names and other free text refuse NUL and the other C0 control characters except TAB, and
the Unicode bidirectional controls U+202A–U+202E and U+2066–U+2069, at input (docs/concepts.md,
"Names and other text"): exit 2, with the line when the text comes from a file, and nothing
written. One rule, incidentctl.domain.check_text, for every command that takes such text."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Cli, Snapshot

from incidentctl.domain import check_text
from incidentctl.errors import INVALID_INPUT, InvalidInput

REFUSED = [chr(code) for code in range(0x20) if code != 0x09] + [
    chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
]
ALLOWED = ["\t", "\x7f", "\u200b", "\u200e", "\u2028", "\u00a0", "é", "漢", "\U0001f3e5"]


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_every_refused_character_is_refused_and_named(char: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_text(f"Kees{char}de Vries", "name")
    assert f"U+{ord(char):04X}" in refused.value.message
    assert "at character 5" in refused.value.message


@pytest.mark.parametrize("char", ALLOWED, ids=lambda c: f"U+{ord(c):04X}")
def test_other_characters_are_kept(char: str) -> None:
    assert check_text(f"Kees{char}de Vries", "name") == f"Kees{char}de Vries"


def test_a_body_may_have_lines() -> None:
    assert check_text("line one\nline two\tTAB", "body", multiline=True)
    with pytest.raises(InvalidInput):
        check_text("line one\r\nline two", "body", multiline=True)
    with pytest.raises(InvalidInput):
        check_text("bidi \u2067 isolate", "body", multiline=True)


EVIL = "Kees\u202eslaV"  # shown as "KeesVals": the override reverses what follows
ESC = "Kees\x1b[2J"


@pytest.mark.parametrize(
    "args",
    [
        ("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "{}"),
        ("contacts", "set", "jan@acme.nl", "--name", "{}"),
        ("org", "add", "3003", "--name", "{}", "--employees", "3"),
        ("org", "set", "1001", "--name", "{}"),
        ("org", "add", "3003", "--name", "X", "--employees", "3", "--sector", "{}"),
        ("org", "set", "1001", "--sector", "{}"),
        ("org", "set", "1001", "--quota", "5", "--reason", "{}"),
        ("grant", "submitter", "jan@acme.nl", "--reason", "{}"),
        ("revoke", "submitter", "jan@acme.nl", "--reason", "{}"),
    ],
    ids=lambda args: " ".join(a for a in args[:6] if a.startswith("-") or a.isalpha()),
)
@pytest.mark.parametrize("text", [EVIL, ESC, "Kees\nde Vries", "\u2066Kees"], ids=repr)
def test_options_refuse_such_text(
    store: Cli, snapshot: Snapshot, args: tuple[str, ...], text: str
) -> None:
    before = snapshot()
    run = store.fails(INVALID_INPUT, *(text if arg == "{}" else arg for arg in args))
    assert "U+" in run.error_lines[0]
    assert "direction controls" in run.stderr.splitlines()[1]
    assert snapshot() == before


def test_a_tab_in_a_name_is_kept(store: Cli) -> None:
    store.ok("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "Kees\tde Vries")
    assert store.json("contacts", "show", "kees@acme.nl")["name"] == "Kees\tde Vries"


def test_an_incident_subject_and_body(store: Cli, snapshot: Snapshot) -> None:
    store.ok("--now", "-1h", "grant", "submitter", "jan@acme.nl")
    store.ok("login", "jan@acme.nl")
    before = snapshot()
    as_jan = ("--as", "jan@acme.nl", "incidents", "submit")
    store.fails(INVALID_INPUT, *as_jan, "--subject", EVIL)
    store.fails(INVALID_INPUT, *as_jan, "--subject", "Printer", "--body", "a\x1b[31mred")
    store.fails(INVALID_INPUT, *as_jan, "--subject", "Printer", "--body", "a\u202bb")
    assert snapshot() == before
    store.ok(*as_jan, "--subject", "Printer\tkapot", "--body", "Regel 1\nRegel 2")


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("email,org,name\nkees@acme.nl,1001,Kees\nlot@acme.nl,1001,Lot\u202e\n", 3),
        ('email;org;name\nkees@acme.nl;1001;"Kees\r\nde Vries"\n', 2),
        ("email,org,name\n\nkees@acme.nl,1001,K\x07ees\n", 3),
    ],
)
def test_contacts_import_names_the_line(
    store: Cli, tmp_path: Path, snapshot: Snapshot, content: str, line: int
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(content, encoding="utf-8", newline="")
    before = snapshot()
    error = store.fails(INVALID_INPUT, "contacts", "import", str(path)).error_lines[0]
    assert error.startswith(f"Error: {path}, line {line}: the name holds ")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "what"),
    [
        ("id,name,employees\n3003,Initech\u2069,5\n", "name"),
        ("id,name,employees,sector\n3003,Initech,5,ict\x1b\n", "sector"),
    ],
)
def test_org_import_names_the_line(
    store: Cli, tmp_path: Path, snapshot: Snapshot, content: str, what: str
) -> None:
    path = tmp_path / "orgs.csv"
    path.write_text(content, encoding="utf-8")
    before = snapshot()
    error = store.fails(INVALID_INPUT, "org", "import", str(path)).error_lines[0]
    assert error.startswith(f"Error: {path}, line 2: the {what} holds ")
    assert snapshot() == before


def test_policy_sector_names(store: Cli, tmp_path: Path, snapshot: Snapshot) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        'bands = [{ from_employees = 0, maximum = 2 }]\n[sectors."zorg\\u0007"]\n'
        "bands = [{ from_employees = 0, maximum = 3 }]\n",
        encoding="utf-8",
    )
    before = snapshot()
    error = store.fails(INVALID_INPUT, "policy", "load", str(path)).error_lines[0]
    assert 'sectors."zorg\\u0007": the sector name holds the control character U+0007' in error
    assert snapshot() == before
