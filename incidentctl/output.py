"""How results reach people and scripts: tables, JSON, CSV, and the error lines.

Data goes to stdout; errors, notices and progress bars to stderr. rich is imported only by
the functions that draw tables or progress bars, so commands that print a few plain lines
(check, quota) start as fast as Typer allows. rich leaves out colour when stdout is not a
terminal or NO_COLOR is set.
"""

from __future__ import annotations

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
    """One JSON document on stdout (SPEC §3a: keys are stable, times UTC ISO 8601)."""
    import json

    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")


def stream_json_array(items: Iterable[Any]) -> None:
    """A JSON array written item by item, for lists too long to hold in memory."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    write = sys.stdout.write
    first = True
    for item in items:
        write(("[\n  " if first else ",\n  ") + encode(item))
        first = False
    write("[]\n" if first else "\n]\n")


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
    """Header and rows as CSV on stdout, streamed."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)


# --- tables -------------------------------------------------------------------------------


def console(stderr: bool = False) -> Console:
    """A rich console; when not writing to a terminal it never wraps lines."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream,
        width=None if terminal else 1_000,
        highlight=False,
        emoji=False,
        markup=False,
        no_color=True if os.environ.get("NO_COLOR") else None,
    )


def table(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, title: str | None = None
) -> None:
    """A table on stdout. Rows are drawn in chunks of equal column widths, so a million
    rows stream through without being held in memory."""
    from rich import box
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
            widths = [
                max([len(name), *(len(row[i]) for row in chunk)]) for i, name in enumerate(columns)
            ]
        grid = Table(
            box=box.SIMPLE_HEAD,
            show_edge=False,
            show_header=first,
            title=title if first else None,
            title_justify="left",
            pad_edge=False,
        )
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
