"""The CSV formula rule: Python and SQL agree, and export → import gives back the text."""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from incidentctl.csvcells import FORMULA_STARTS, neutralise, neutralise_sql, restore

# Text that is likely to hit the rule: quotes, formula starts, and anything else.
cells = st.text(
    alphabet=st.sampled_from(["'", "a", " ", "1", *FORMULA_STARTS])
    | st.characters(exclude_categories=("Cs",)),
    max_size=8,
)


@given(cells)
def test_export_then_import_gives_back_the_text(cell: str) -> None:
    assert restore(neutralise(cell)) == cell


@given(cells)
def test_a_neutralised_cell_never_starts_a_formula(cell: str) -> None:
    assert not neutralise(cell).startswith(FORMULA_STARTS)


@given(cells)
def test_sqlite_neutralises_exactly_as_python_does(cell: str) -> None:
    conn = sqlite3.connect(":memory:")
    (written,) = conn.execute(f"SELECT {neutralise_sql('x')} FROM (SELECT ? AS x)", (cell,))
    assert written[0] == neutralise(cell)


def test_the_owasp_examples() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("-2") == "'-2"
    assert neutralise("\tx") == "'\tx"
    assert neutralise("Jan") == "Jan"
    assert neutralise("'quoted") == "'quoted"
    assert restore("'=1+1") == "=1+1"
    assert restore("'quoted") == "'quoted"
