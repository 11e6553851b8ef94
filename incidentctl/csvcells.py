"""Spreadsheet-formula neutralisation of CSV cells, in one place (docs/json.md, "CSV").

A cell that a spreadsheet would read as a formula (it begins with ``=``, ``+``, ``-``, ``@``,
TAB or CR, as OWASP's CSV-injection guidance lists them) is written with a leading ``'``.
Every import removes exactly that one quote again. A cell that already begins with quotes
followed by such a character gets one more quote on export, so export → import gives back
exactly the text that was stored, whatever it is.

:func:`neutralise_sql` is the same rule for the CSV that SQLite writes itself (listings of a
million rows); tests/test_csvcells.py holds the two to each other.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet evaluate a cell."""

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(cell: str) -> str:
    """The cell as written to CSV: one ``'`` added when a spreadsheet would evaluate it."""
    return "'" + cell if _NEEDS_QUOTE.match(cell) else cell


def restore(cell: str) -> str:
    """The cell as read from CSV: the one ``'`` that :func:`neutralise` added, removed."""
    return cell[1:] if _QUOTED.match(cell) else cell


def neutralise_sql(column: str) -> str:
    """:func:`neutralise` as an SQL expression over ``column`` (a column name, not data).

    The first character is looked at first (``unicode()`` is cheap), so the cells that need
    no quote, nearly all of them, cost one comparison in a listing of a million rows.
    """
    starts = ", ".join(f"char({ord(c)})" if c in "\t\r" else "'" + c + "'" for c in FORMULA_STARTS)
    firsts = ", ".join(str(ord(c)) for c in (*FORMULA_STARTS, "'"))
    return (
        f"CASE WHEN unicode({column}) IN ({firsts}) "
        f"AND substr(ltrim({column}, ''''), 1, 1) IN ({starts}) "
        f"THEN '''' || {column} ELSE {column} END"
    )
