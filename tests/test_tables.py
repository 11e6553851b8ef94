"""Tables that hide nothing (docs/concepts.md, "Output"): fitted to the terminal by wrapping, a
record per row when the columns cannot fit, tab-separated rows when stdout is not a terminal.

The renderer is tested directly on many shapes of data, and through the CLI with the
terminal form forced (INCIDENTCTL_FORCE_TTY, docs/concepts.md); tests/test_pager.py runs the
installed command on a real pseudo-terminal."""

from __future__ import annotations

import io
import random
import sqlite3
from pathlib import Path

import pytest
from conftest import Cli
from hypothesis import given, settings
from hypothesis import strategies as st
from table_support import (
    assert_fits,
    assert_records_show,
    assert_table_shows,
    is_table,
    plain,
    records,
)

from incidentctl import output, tables
from incidentctl.tables import cell_width, fit, render, wrap

LONG_ADDRESS = "a.very.long.address.of.someone.in.procurement@purchasing-department.example.nl"


def drawn(columns: list[str], rows: list[list[str]], width: int | None, **kwargs: object) -> str:
    out = io.StringIO()
    render(columns, rows, out.write, width=width, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


# --- widths and wrapping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("", 0),
        ("Jan", 3),
        ("Jörg", 4),
        ("e\u0301", 1),  # e and a combining acute accent
        ("漢字", 4),
        ("😀", 2),
        ("a\u200db", 2),  # a zero-width joiner takes no cell
        ("Ｆｕｌｌ", 8),  # fullwidth letters
    ],
)
def test_cell_width_counts_terminal_cells(text: str, cells: int) -> None:
    assert cell_width(text) == cells


def test_wrap_breaks_at_spaces_and_inside_words_only_when_it_must() -> None:
    assert wrap("submitter (Incidentenbeheer), manager (Incidentmanagement)", 20) == [
        "submitter",
        "(Incidentenbeheer),",
        "manager",
        "(Incidentmanagement)",
    ]
    assert wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"]
    assert wrap("漢字漢字漢", 4) == ["漢字", "漢字", "漢"]
    assert wrap("fits", 4) == ["fits"]


@settings(max_examples=300)
@given(
    st.text(alphabet=st.sampled_from(["a", "b", " ", "漢", "é", "😀", "-"]), max_size=60),
    st.integers(min_value=2, max_value=30),
)
def test_wrap_keeps_every_character_but_the_break_spaces(text: str, width: int) -> None:
    lines = wrap(text, width)
    for line in lines:
        assert cell_width(line) <= width
    joined = "".join(lines)
    assert joined.replace(" ", "") == text.replace(" ", ""), "no character lost or reordered"
    # At most one space per break (a break at the very end drops that space too).
    assert text.count(" ") - joined.count(" ") <= len(lines)


# --- choosing a layout ------------------------------------------------------------------------


def test_natural_widths_when_everything_fits() -> None:
    layout = fit(["E-mail", "Org"], [["jan@acme.nl", "1001"]], 80)
    assert layout is not None
    assert layout.widths == [11, 4]


def test_headers_wrap_before_values_do() -> None:
    layout = fit(["E-mail", "Portal admin"], [["jan@acme.nl", "yes"]], 20)
    assert layout is not None
    assert layout.widths[0] == 11, "the value keeps its width"
    assert layout.widths[1] < len("Portal admin")


def test_too_many_columns_for_the_width_means_records() -> None:
    columns = [f"Column {i}" for i in range(12)]
    assert fit(columns, [[f"value-{i}" for i in range(12)]], 80) is None
    assert fit(columns, [[f"value-{i}" for i in range(12)]], 200) is not None


def test_room_to_spare_goes_to_columns_when_more_rows_follow() -> None:
    rows = [["c1@x.nl", "yes"], ["c12345@x.nl", "no"]]
    exact = fit(["E-mail", "Active"], rows, 100)
    roomy = fit(["E-mail", "Active"], rows, 100, more=True)
    assert exact is not None
    assert roomy is not None
    assert roomy.widths[0] > exact.widths[0]


# --- rendering --------------------------------------------------------------------------------

HEADER = ["E-mail", "Org", "Name", "Active", "Portal admin", "Expert until", "Roles"]
BOTH = "submitter (Incidentenbeheer), manager (Incidentmanagement)"


def sample_rows(count: int, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    names = ["Anouk van Dijk", "Jörg Müller", "Zeynep Yılmaz", "李小龍", "Bram 😀 Bakker", "X"]
    roles = ["-", "submitter (Incidentenbeheer)", "manager (Incidentmanagement)", BOTH]
    return [
        [
            LONG_ADDRESS if i == count // 2 else f"user{i}@org{rng.randint(1, 99)}.example.nl",
            str(rng.randint(1000, 1_000_000)),
            rng.choice(names),
            rng.choice(["yes", "no"]),
            rng.choice(["yes", "no"]),
            rng.choice(["-", "2025-06-30"]),
            rng.choice(roles),
        ]
        for i in range(count)
    ]


@pytest.mark.parametrize("width", [60, 80, 100, 120, 160, 200])
@pytest.mark.parametrize("count", [3, tables.FIRST_CHUNK + 50])
def test_a_table_or_records_fit_and_show_every_value(width: int, count: int) -> None:
    rows = sample_rows(count)
    text = drawn(HEADER, rows, width)
    assert_fits(text, width)
    if is_table(text):
        assert_table_shows(text, HEADER, rows)
    else:
        assert_records_show(text, HEADER, rows)


def test_one_long_address_wraps_in_its_cell_and_drops_no_column() -> None:
    rows = [["jan@acme.nl", "1001", "Jan", "yes", "no", "-", BOTH], [LONG_ADDRESS, *["x"] * 6]]
    for width in (100, 160):
        text = drawn(HEADER, rows, width)
        assert is_table(text), text
        assert_fits(text, width)
        assert_table_shows(text, HEADER, rows)
    at_200 = drawn(HEADER, rows, 200)
    assert any(LONG_ADDRESS in line for line in at_200.splitlines()), "room enough: one line"


def test_a_later_wider_value_wraps_within_its_column() -> None:
    rows = [["a@x.nl", "1"]] * tables.FIRST_CHUNK + [[LONG_ADDRESS, "2"]]
    text = drawn(["E-mail", "Org"], rows, 60)
    assert_fits(text, 60)
    assert_table_shows(text, ["E-mail", "Org"], rows)
    assert LONG_ADDRESS not in text, "it was wrapped, not allowed to widen the table"


def test_records_when_the_columns_cannot_fit() -> None:
    columns = [f"Field {i}" for i in range(10)]
    rows = [[f"value-{r}.{i}" for i in range(10)] for r in range(3)]
    text = drawn(columns, rows, 80)
    assert not is_table(text)
    assert records(text)[1]["Field 3"] == "value-1.3"
    assert_records_show(text, columns, rows)
    assert_fits(text, 80)


def test_wide_characters_are_padded_by_cells() -> None:
    rows = [["李小龍", "1"], ["Bruce", "2"]]
    lines = plain(drawn(["Name", "Id"], rows, 40)).splitlines()
    assert len({cell_width(line.rstrip()) for line in lines[2:]}) == 1, lines


def test_styles_only_when_asked() -> None:
    assert "\x1b[1m" in drawn(["A"], [["x"]], 40, styled=True)
    assert "\x1b" not in drawn(["A"], [["x"]], 40)


def test_an_empty_result_says_so_in_a_terminal_and_is_a_header_when_piped() -> None:
    assert drawn(HEADER, [], 80, empty="No contacts match.") == "No contacts match.\n"
    assert drawn(HEADER, [], None, empty="No contacts match.") == "\t".join(HEADER) + "\n"


def test_piped_rows_are_tab_separated_lines() -> None:
    rows = sample_rows(tables.CHUNK + 10)
    lines = drawn(HEADER, rows, None).splitlines()
    assert lines[0] == "\t".join(HEADER)
    assert [line.split("\t") for line in lines[1:]] == rows


# --- through the CLI --------------------------------------------------------------------------


def terminal(width: int) -> dict[str, str | None]:
    return {output.FORCE_TTY: str(width), "NO_COLOR": "1"}


@pytest.fixture
def crowded(demo: Cli, tmp_path: Path, db_path: Path) -> Cli:
    """The demo store with a long address, wide characters and hostile text in names."""
    rows = [
        f"{LONG_ADDRESS},1001,Procurement person",
        "li@vandijk.nl,1001,李小龍 😀",
        "tab@vandijk.nl,1001,Tab",
    ]
    (tmp_path / "more.csv").write_text("email,org,name\n" + "\n".join(rows) + "\n")
    demo.ok("contacts", "import", str(tmp_path / "more.csv"))
    # Names are refused a line feed at input now; a store written before may still hold one.
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "UPDATE contacts SET name = ? WHERE email = ?", ("Tab\tand\nnewline", "tab@vandijk.nl")
        )
    conn.close()
    return demo


def listing_rows(cli: Cli) -> list[list[str]]:
    """What the table of ``contacts list`` must show, from its JSON."""
    labels = {
        "submitter": "submitter (Incidentenbeheer)",
        "manager": "manager (Incidentmanagement)",
    }
    return [
        [
            output.printable(c["email"]),
            output.printable(c["org"]),
            output.printable(c["name"]),
            output.printable(c["active"]),
            output.printable(c["portal_admin"]),
            output.printable(c["expert_until"]),
            ", ".join(labels[r] for r in c["roles"]) or "-",
        ]
        for c in cli.json("contacts", "list")
    ]


@pytest.mark.parametrize("width", [80, 200])
def test_contacts_list_in_a_terminal_hides_nothing(crowded: Cli, width: int) -> None:
    text = crowded.ok("contacts", "list", env=terminal(width)).stdout
    assert_fits(text, width)
    expected = listing_rows(crowded)
    if is_table(text):
        assert_table_shows(text, HEADER, expected)
    else:
        assert_records_show(text, HEADER, expected)
    if width == 200:
        assert is_table(text)
        assert any(LONG_ADDRESS in line for line in text.splitlines())


def test_contacts_list_piped_is_one_line_per_contact(crowded: Cli) -> None:
    lines = crowded.ok("contacts", "list").stdout.splitlines()
    assert lines[0].split("\t") == HEADER
    assert [line.split("\t") for line in lines[1:]] == listing_rows(crowded)
    assert "Tab\\x09and\\x0anewline" in lines[-1] or any(
        "Tab\\x09and\\x0anewline" in line for line in lines
    ), "a TAB and a newline inside a value are escaped"


@pytest.mark.parametrize("width", [80, 200])
def test_log_and_pending_in_a_terminal_fit(demo: Cli, width: int) -> None:
    for command in (("log", "--all"), ("pending",), ("org", "list"), ("quota",)):
        text = demo.ok(*command, env=terminal(width)).stdout
        assert_fits(text, width)
