"""How results reach people and scripts: tables, JSON, CSV, and the error lines.

Data goes to stdout; errors and notices to stderr, and so do the questions and progress bars
of :mod:`incidentctl.interactive`. Whether stdout is a terminal decides the form
(docs/concepts.md, "Output"): in a terminal, tables fitted to its width
(:mod:`incidentctl.tables`), indented JSON and styles; otherwise tab-separated rows, JSON on
one line and no escape sequences at all. Nothing here imports rich, so commands that print a
few plain lines start as fast as Typer allows.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any

# C0 and C1 control characters; the Unicode bidirectional embeddings, overrides, isolates
# and marks (LRM, RLM, ALM), which can make a terminal show text in another order than it is
# stored ("Trojan Source"); and the line and paragraph separators, which some terminals and
# every str.splitlines() take for a line end: none of them reaches a terminal raw.
# Compiled on first use: every command imports this module, few print anything escaped.
_BIDI = "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"
_SEPARATORS = "\u2028\u2029"


@functools.cache
def _control() -> re.Pattern[str]:
    return re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}{_SEPARATORS}]")


_JSON_CHUNK = 1000

FORCE_TTY = "INCIDENTCTL_FORCE_TTY"
"""Set, output takes its terminal form even when stdout is not a terminal (for tests and the
benchmark of the table renderer); a number sets the width. It never starts a pager."""

pager_allowed = True
"""False when the global --no-pager was given (set by the root command every invocation)."""

_paged_width: int | None = None
"""The width of the terminal a pager shows stdout on, while one does (stdout is then a
pipe to the pager, but the output is for the terminal)."""


def terminal_width() -> int | None:
    """The width of the terminal stdout is shown on, in cells; None when it is not one."""
    if _paged_width is not None:
        return _paged_width
    forced = os.environ.get(FORCE_TTY, "").strip()
    if forced:
        return int(forced) if forced.isdigit() and int(forced) > 0 else screen_columns()
    if sys.stdout.isatty():
        return screen_columns()
    return None


def screen_columns() -> int:
    """The terminal's width: $COLUMNS, else what the terminal says, else 80."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns or 80


def is_terminal() -> bool:
    """Whether stdout is for people at a terminal (indented JSON, tables, a shorter log)."""
    return terminal_width() is not None


def styled() -> bool:
    """Whether to write bold text: only to a terminal, and not with NO_COLOR (no-color.org)
    or TERM=dumb."""
    return is_terminal() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def printable(value: object) -> str:
    """A value for a terminal: None as '-', booleans as yes/no, control characters,
    bidirectional controls and marks, and line separators escaped (\\x1b, \\u202e, \\u2028)
    so a stored name can never move the cursor, recolour the screen, reorder what is shown or
    break a row in two."""
    if value is None:
        return "-"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    text = str(value)
    control = _control()
    if control.search(text) is None:
        return text
    return control.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def line(text: str = "", file: IO[str] | None = None) -> None:
    """One plain line to stdout (or ``file``)."""
    (file or sys.stdout).write(text + "\n")


def notice(text: str) -> None:
    """A line for people on stderr (a simulated clock, a summary beside JSON)."""
    sys.stderr.write(text + "\n")


def error(message: str, hint: str | None = None) -> None:
    """``Error: …`` and an optional ``Hint: …``, one line each, on stderr."""
    sys.stderr.write(f"Error: {_one_line(message)}\n")
    if hint:
        sys.stderr.write(f"Hint: {_one_line(hint)}\n")


def _one_line(text: str) -> str:
    return printable(" ".join(text.split()))


# --- JSON ---------------------------------------------------------------------------------


def emit_json(document: Any) -> None:
    """One JSON document on stdout (docs/json.md: keys are stable, times UTC ISO 8601).

    In a terminal it is laid out for people (one key, or one array item, per line); otherwise
    it is one line, so runs appended to a file make JSON Lines. Both by the C encoder:
    ``indent=`` would switch json to its pure-Python encoder, slow on large reports.
    """
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    text = _layout(document, encode, 0) if is_terminal() else encode(document)
    sys.stdout.write(text + "\n")


def _layout(value: Any, encode: Any, level: int) -> str:
    """Objects of the first two levels one key per line, arrays one item per line; the
    items of an array and everything deeper on one line each."""
    inner = "  " * (level + 1)
    if isinstance(value, dict) and value and level <= 1:
        items = (f"{inner}{encode(k)}: {_layout(v, encode, level + 1)}" for k, v in value.items())
        return "{\n" + ",\n".join(items) + "\n" + "  " * level + "}"
    if isinstance(value, list) and value and level <= 1:
        items = (inner + encode(item) for item in value)
        return "[\n" + ",\n".join(items) + "\n" + "  " * level + "]"
    return str(encode(value))


def stream_json_array(items: Iterable[Any]) -> None:
    """A JSON array written item by item, for lists too long to hold in memory."""
    import json

    stream_json_texts(map(json.JSONEncoder(ensure_ascii=False).encode, items))


def stream_json_texts(
    texts: Iterable[str], *, level: int = 0, end: str = "\n", indented: bool | None = None
) -> None:
    """A JSON array of items that are already JSON text (SQLite's json_object), streamed
    in chunks so a million of them cost little more than the query.

    Indented (one item per line) in a terminal, one line otherwise, like
    :func:`emit_json`; ``indented`` overrides that. ``level`` indents an array nested in an
    indented document; ``end`` follows the closing bracket.
    """
    if indented is None:
        indented = is_terminal()
    write = sys.stdout.write
    outer = "  " * level
    separator = ",\n" + outer + "  " if indented else ","
    iterator = iter(texts)
    first = next(iterator, None)
    if first is None:
        write("[]" + end)
        return
    write(("[\n" + outer + "  " if indented else "[") + first)
    while chunk := list(islice(iterator, _JSON_CHUNK)):
        write(separator + separator.join(chunk))
    write(("\n" + outer + "]" if indented else "]") + end)


def emit_streamed(
    head: dict[str, Any], key: str, items: Iterable[str], tail: dict[str, Any]
) -> None:
    """One JSON document with an array too long to hold in memory: the keys of ``head``,
    then ``key`` with the ``items`` (JSON text each, streamed as
    :func:`stream_json_texts` does), then the keys of ``tail``; laid out as
    :func:`emit_json` lays out a document."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    write = sys.stdout.write
    indented = is_terminal()
    newline, indent = ("\n", "  ") if indented else ("", "")
    between = "," + (newline or " ")

    def fields(document: dict[str, Any]) -> str:
        return between.join(f"{indent}{encode(k)}: {encode(v)}" for k, v in document.items())

    write("{" + newline + fields(head) + (between if head else "") + f"{indent}{encode(key)}: ")
    stream_json_texts(items, level=1, end="", indented=indented)
    write((between + fields(tail) if tail else "") + newline + "}\n")


# --- CSV ----------------------------------------------------------------------------------


def csv_cell(value: object) -> object:
    """A CSV cell: booleans as true/false, None as empty, lists joined with ';', and text
    that a spreadsheet would run as a formula neutralised (a leading ', docs/json.md)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str | list):
        from incidentctl.csvcells import neutralise

        text = value if isinstance(value, str) else ";".join(str(v) for v in value)
        return neutralise(text)
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Header and rows as CSV on stdout, streamed; cells are written as they are (None is
    empty): map Python values through :func:`csv_cell` first, or have SQLite make them
    (with :func:`incidentctl.csvcells.neutralise_sql`)."""
    import csv

    # CRLF as RFC 4180 says (and sqlite3 -csv writes): with "\n" alone, csv would not quote
    # a value holding a lone carriage return, and the row would break.
    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)


def csv_rows(rows: Iterable[Sequence[object]]) -> Iterator[list[object]]:
    """``rows`` with every cell made a CSV cell (:func:`csv_cell`)."""
    from incidentctl.csvcells import FORMULA_STARTS, neutralise

    # Only a cell starting with one of these can need a quote: one set lookup for the rest.
    firsts = frozenset((*FORMULA_STARTS, "'"))
    for row in rows:
        yield [
            (neutralise(value) if value[:1] in firsts else value)
            if type(value) is str
            else value
            if type(value) is int
            else csv_cell(value)
            for value in row
        ]


# --- tables -------------------------------------------------------------------------------


def _printable_rows(rows: Iterable[Sequence[object]]) -> Iterable[list[str]]:
    """Every cell as :func:`printable` text; a row of plain text passes with one check, a
    number (which holds no control character) is its digits, and None and the booleans are
    what :func:`printable` makes of them, without a call per cell."""
    search = _control().search
    known: dict[object, str] = {
        None: printable(None),
        True: printable(True),
        False: printable(False),
    }
    for row in rows:
        cells = [
            value
            if type(value) is str
            else str(value)
            if type(value) is int
            else known[value]
            if value is None or type(value) is bool
            else printable(value)
            for value in row
        ]
        if search("".join(cells)) is not None:
            cells = [printable(cell) for cell in cells]
        yield cells


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    title: str | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """Rows for people: in a terminal a table fitted to its width (or a record per row when
    the columns cannot fit), with ``title`` above it and ``empty`` said when there are no
    rows; otherwise tab-separated lines under one header line. Streams: a million rows are
    never held in memory."""
    from incidentctl import tables

    tables.render(
        columns,
        _printable_rows(rows),
        sys.stdout.write,
        width=terminal_width(),
        styled=styled(),
        title=title,
        empty=empty,
    )


def fields(pairs: Iterable[tuple[str, object]]) -> None:
    """``Label:  value`` lines, aligned, in plain text (cheap: no rich)."""
    items = [(label, printable(value)) for label, value in pairs]
    width = max((len(label) for label, _ in items), default=0) + 1
    for label, value in items:
        line(f"{label + ':':<{width}} {value}")
