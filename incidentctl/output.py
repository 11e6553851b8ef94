"""How results reach people and scripts: tables, JSON, CSV, and the error lines.

Data goes to stdout; errors, notices and progress bars to stderr. rich is imported only by
the functions that draw tables or progress bars, so commands that print a few plain lines
(check, quota) start as fast as Typer allows. rich leaves out colour when stdout is not a
terminal or NO_COLOR is set.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from itertools import islice
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rich.console import Console

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TABLE_CHUNK = 500
_JSON_CHUNK = 1000
PROGRESS_THRESHOLD = 1000
"""Batches of at least this many rows show a progress bar (when stderr is a terminal)."""


def printable(value: object) -> str:
    """A value for a terminal: None as '-', booleans as yes/no, control characters escaped
    (\\x1b) so a stored name can never move the cursor or recolour the screen."""
    if value is None:
        return "-"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    text = str(value)
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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
    """One JSON document on stdout (SPEC §3a: keys are stable, times UTC ISO 8601).

    Laid out for people and diffs (one key, or one array item, per line) by the C encoder:
    ``indent=`` would switch json to its pure-Python encoder, slow on large reports.
    """
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    sys.stdout.write(_layout(document, encode, 0) + "\n")


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


def stream_json_texts(texts: Iterable[str], *, level: int = 0, end: str = "\n") -> None:
    """A JSON array of items that are already JSON text (SQLite's json_object), streamed
    in chunks so a million of them cost little more than the query. ``level`` indents an
    array nested in a document; ``end`` follows the closing bracket."""
    write = sys.stdout.write
    outer = "  " * level
    separator = ",\n" + outer + "  "
    iterator = iter(texts)
    first = next(iterator, None)
    if first is None:
        write("[]" + end)
        return
    write("[\n" + outer + "  " + first)
    while chunk := list(islice(iterator, _JSON_CHUNK)):
        write(separator + separator.join(chunk))
    write("\n" + outer + "]" + end)


# --- CSV ----------------------------------------------------------------------------------


def csv_cell(value: object) -> object:
    """CSV cells: booleans as true/false, None as empty, lists joined with ';'."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Header and rows as CSV on stdout, streamed; cells are written as they are (None is
    empty: map other Python values through :func:`csv_cell` first)."""
    import csv

    # CRLF as RFC 4180 says (and sqlite3 -csv writes): with "\n" alone, csv would not quote
    # a value holding a lone carriage return, and the row would break.
    writer = csv.writer(sys.stdout, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)


# --- tables -------------------------------------------------------------------------------


@functools.cache
def _console_class() -> type[Console]:
    from rich.console import Console

    class PipeConsole(Console):
        """rich ends the process itself (exit 1) when the reader of a pipe goes away; leave
        that to the CLI layer, which ends every command the same way then (exit 141)."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return PipeConsole


def console(stderr: bool = False) -> Console:
    """A rich console; when not writing to a terminal it never wraps lines."""
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    # rich's own NO_COLOR support drops colours but still writes bold and other styles;
    # without a colour system it writes no escape sequences at all (no-color.org).
    plain = bool(os.environ.get("NO_COLOR"))
    return _console_class()(
        file=stream,
        width=None if terminal else 1_000,
        highlight=False,
        emoji=False,
        markup=False,
        color_system=None if plain else "auto",
        no_color=True if plain else None,
    )


def table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """A table on stdout. Rows are drawn in chunks of equal column widths, so a million
    rows stream through without being held in memory."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    out = console()
    iterator: Iterator[Sequence[object]] = iter(rows)
    widths: list[int] | None = None
    first = True
    while True:
        chunk = [[printable(value) for value in row] for row in islice(iterator, _TABLE_CHUNK)]
        if not chunk and not first:
            break
        if widths is None:
            # Terminal cells, not characters: a wide character (漢, an emoji) takes two.
            widths = [
                max([cell_len(name), *(cell_len(row[i]) for row in chunk)])
                for i, name in enumerate(columns)
            ]
        if first and title:
            out.print(Text(title, style="bold"))
        grid = Table(box=box.SIMPLE_HEAD, show_edge=False, show_header=first, pad_edge=False)
        for name, width in zip(columns, widths, strict=True):
            grid.add_column(name, min_width=width, max_width=width, overflow="fold")
        for row in chunk:
            grid.add_row(*(Text(cell) for cell in row))
        out.print(grid)
        first = False
        if len(chunk) < _TABLE_CHUNK:
            break


def fields(pairs: Iterable[tuple[str, object]]) -> None:
    """``Label:  value`` lines, aligned, in plain text (cheap: no rich)."""
    items = [(label, printable(value)) for label, value in pairs]
    width = max((len(label) for label, _ in items), default=0) + 1
    for label, value in items:
        line(f"{label + ':':<{width}} {value}")


# --- progress -----------------------------------------------------------------------------


class Progress(Protocol):
    def advance(self, amount: int) -> None: ...


class _NoProgress:
    def advance(self, amount: int) -> None:
        pass


class _RichProgress:
    def __init__(self, description: str, total: int | None) -> None:
        from rich.progress import Progress as RichProgress

        self._progress = RichProgress(console=console(stderr=True), transient=True)
        self._task = self._progress.add_task(description, total=total)

    def __enter__(self) -> _RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def advance(self, amount: int) -> None:
        self._progress.advance(self._task, amount)


def progress(description: str, total: int | None) -> AbstractContextManager[Progress]:
    """A progress bar on stderr for a long batch, only when stderr is a terminal."""
    if (total is not None and total < PROGRESS_THRESHOLD) or not sys.stderr.isatty():
        return nullcontext(_NoProgress())
    return _RichProgress(description, total)
