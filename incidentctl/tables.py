"""Tables for people, and the plain rows scripts read (docs/concepts.md, "Output").

In a terminal a table is fitted to the width: columns keep their natural width when they
can; when they cannot, headers wrap at their spaces, then values wrap onto more lines (at
spaces; :func:`fit` says how the widths are chosen). When even that would break words, every
row becomes a block of ``field: value`` lines instead (like psql's expanded display). Nothing
is ever cut off or left out. Column widths are decided from the first chunk of rows, so a
million rows stream in constant memory; a later, wider value wraps within its column.

When stdout is not a terminal the same rows are written as tab-separated lines: one header
line, one line per row, no padding, no wrapping. Cells arrive here already made printable
(:func:`incidentctl.output.printable`), so a TAB or a newline in a value is ``\\x09`` or
``\\x0a`` and a row always stays on one line.

This module draws the tables itself, without rich: laying out a million rows through rich
took minutes (docs/performance.md), and the layout needed here is simple.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import NamedTuple

GAP = "  "
"""Between two columns."""

MIN_WIDTH = 10
"""Values in a record layout are wrapped no narrower than this (in cells)."""

FIRST_CHUNK = 1000
"""Rows read before the column widths are decided (and the first screen is written)."""

CHUNK = 2000
"""Rows written at a time after the first chunk."""

RULE = "─"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"

Write = Callable[[str], object]

# --- display width --------------------------------------------------------------------------

_ZERO_WIDTH_CATEGORIES = {"Mn", "Me", "Cf"}
_widths: dict[str, int] = {}


def cell_width(text: str) -> int:
    """The number of terminal cells ``text`` takes: a wide character (漢, most emoji) takes
    two, a combining mark or a zero-width joiner none."""
    if text.isascii():
        return len(text)
    known = _widths.get(text)
    if known is not None:
        return known
    width = sum(_char_width(char) for char in text)
    if len(_widths) > 50_000:  # names repeat; a cache of them is enough, not all of them
        _widths.clear()
    _widths[text] = width
    return width


def _char_width(char: str) -> int:
    if char.isascii():
        return 1
    if unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES:
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


# --- wrapping -------------------------------------------------------------------------------

_TOKENS = re.compile(r"[^ ]+| +")


def wrap(text: str, width: int) -> list[str]:
    """``text`` as lines of at most ``width`` cells, broken at spaces where possible and
    inside a word where not. Only the one space at which a line is broken is dropped; every
    other character is kept, in order."""
    key = (text, width)
    lines = _wrapped.get(key)
    if lines is None:
        if len(_wrapped) > 20_000:  # the same values wrap again and again: remember some
            _wrapped.clear()
        lines = _wrapped[key] = _wrap(text, width)
    return lines


_wrapped: dict[tuple[str, int], list[str]] = {}


def _wrap(text: str, width: int) -> list[str]:
    ascii_only = text.isascii()
    measure = len if ascii_only else cell_width
    if measure(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    used = 0
    for token in _TOKENS.findall(text):
        size = measure(token)
        if used + size <= width:
            current += token
            used += size
            continue
        if token[0] == " ":
            # Break here: the first space becomes the line break, any others stay.
            lines.append(current)
            current, used = "", 0
            token = token[1:]
            size -= 1
            if not token:
                continue
        elif current and size <= width:
            lines.append(current[:-1] if current[-1] == " " else current)
            current, used = "", 0
        # A word wider than the column (or than what is left of the line) is broken.
        if ascii_only:
            room = width - used
            if room <= 0:
                lines.append(current)
                current, used, room = "", 0, width
            current += token[:room]
            token = token[room:]
            while token:
                lines.append(current)
                current, token = token[:width], token[width:]
            used = len(current)
            continue
        for char in token:
            char_size = _char_width(char)
            if used + char_size > width and current:
                lines.append(current)
                current, used = "", 0
            current += char
            used += char_size
    if current or not lines:
        lines.append(current)
    return lines


def _pad(text: str, width: int) -> str:
    if text.isascii():
        return text.ljust(width)
    return text + " " * (width - cell_width(text))


# --- choosing the layout --------------------------------------------------------------------

LONG_WORD = 40
"""Words up to this wide are never broken when a table is narrowed: if they cannot all stay
whole, a record layout is used. Longer ones (a JSON value, a very long address) are broken
in either layout."""


def _longest_word(text: str) -> int:
    if " " not in text:
        return cell_width(text)
    return max((cell_width(word) for word in text.split(" ")), default=0)


class Layout(NamedTuple):
    """Column widths (in cells) and the gap between columns."""

    widths: list[int]
    gap: str


def fit(
    columns: Sequence[str], rows: Sequence[Sequence[str]], width: int, *, more: bool = False
) -> Layout | None:
    """A table layout for ``width`` terminal cells, or None when even wrapping cannot fit
    the columns (then a record layout is used).

    In order of preference: every column as wide as its widest cell and its header; the
    headers wrapped at their spaces ("Portal admin" over two lines) but no value; values
    wrapped at spaces, as few columns as can be, and no column narrower than its widest word
    (or :data:`LONG_WORD`). Each first with two cells between columns, then with one. When
    not even the widest words fit, there is no readable table.

    ``more`` says that rows will follow the ones given: then room to spare goes to the
    columns, so that a later, somewhat wider value still fits on its line.
    """
    count = len(columns)
    values = [max((cell_width(row[i]) for row in rows), default=0) for i in range(count)]
    headers = [cell_width(name) for name in columns]
    full = [max(value, header) for value, header in zip(values, headers, strict=True)]

    def room(gap: str) -> int:
        return width - len(gap) * (count - 1)

    for gap in (GAP, " "):
        if sum(full) <= room(gap):
            if not more:
                return Layout(full, gap)
            narrowest = [min(cell_width(row[i]) for row in rows) for i in range(count)]
            varying = [
                low < high and high > header
                for low, high, header in zip(narrowest, values, headers, strict=True)
            ]
            return Layout(_slack(full, varying, room(gap)), gap)
    header_words = [max(_longest_word(name), 1) for name in columns]
    unwrapped = [max(value, word) for value, word in zip(values, header_words, strict=True)]
    for gap in (GAP, " "):
        if sum(unwrapped) <= room(gap):
            return Layout(_grow(unwrapped, full, room(gap)), gap)
    words = [
        min(
            max(max((_longest_word(row[i]) for row in rows), default=0), header_words[i]),
            LONG_WORD,
            unwrapped[i],
        )
        for i in range(count)
    ]
    for gap in (GAP, " "):
        if sum(words) <= room(gap):
            widths = _fewest_lines(rows, words, unwrapped, room(gap))
            return Layout(_grow(widths, unwrapped, room(gap)), gap)
    return None


def _fewest_lines(
    rows: Sequence[Sequence[str]], floors: list[int], wanted: list[int], room: int
) -> list[int]:
    """The narrowest widths (from ``floors``) that wrap no cell onto more lines than any
    other choice within ``room`` must: a row is as tall as its tallest cell, so the columns
    are narrowed evenly in lines, not in cells. Judged by the widest values of each column."""
    count = len(floors)
    samples = [
        sorted({row[i] for row in rows}, key=cell_width, reverse=True)[:_SAMPLE]
        for i in range(count)
    ]

    def narrowest(i: int, lines: int) -> int:
        low, high = floors[i], max(floors[i], wanted[i])
        while low < high:
            middle = (low + high) // 2
            if all(len(wrap(value, middle)) <= lines for value in samples[i]):
                high = middle
            else:
                low = middle + 1
        return low

    for lines in range(2, _MAX_LINES + 1):
        widths = [narrowest(i, lines) for i in range(count)]
        if sum(widths) <= room:
            return widths
    return floors


_SAMPLE = 20
_MAX_LINES = 8


def _slack(widths: list[int], varying: list[bool], room: int) -> list[int]:
    """``widths`` with the room to spare shared out: the ``varying`` columns (whose values
    differ in width and are wider than the header) may grow by half, the others by two
    cells (a time in summer time has a longer zone name than one in winter)."""
    spare = room - sum(widths)
    want = [w // 2 + 1 if vary else 2 for w, vary in zip(widths, varying, strict=True)]
    total = sum(want)
    if spare <= 0 or total == 0:
        return widths
    share = min(1.0, spare / total)
    return [w + int(extra * share) for w, extra in zip(widths, want, strict=True)]


def _grow(widths: list[int], wanted: list[int], room: int) -> list[int]:
    """``widths`` grown toward ``wanted`` within ``room``: the column that needs least first,
    so that as many columns as possible need not wrap; the last one grows as far as it can."""
    widths = widths[:]
    spare = room - sum(widths)
    for i in sorted(range(len(widths)), key=lambda i: wanted[i] - widths[i]):
        extra = min(wanted[i] - widths[i], spare)
        if extra > 0:
            widths[i] += extra
            spare -= extra
    return widths


# --- rendering ------------------------------------------------------------------------------


def render(
    columns: Sequence[str],
    rows: Iterable[Sequence[str]],
    write: Write,
    *,
    width: int | None,
    styled: bool = False,
    title: str | None = None,
    empty: str = "Nothing to show.",
) -> None:
    """Write ``rows`` (lists of printable strings, one per column) with ``write``.

    ``width`` is the terminal's width in cells, or None when stdout is not a terminal (then
    tab-separated lines). ``empty`` is said instead of a table when there are no rows (in a
    terminal; plain output is then the header line alone, so a script sees zero rows)."""
    iterator = iter(rows)
    if width is None:
        _plain(columns, iterator, write)
        return
    first = list(islice(iterator, FIRST_CHUNK))
    if title:
        write(_bold(title, styled) + "\n")
    if not first:
        write(empty + "\n")
        return
    layout = fit(columns, first, width, more=len(first) == FIRST_CHUNK)
    if layout is None:
        _records(columns, first, iterator, write, width, styled)
    else:
        _table(columns, layout, first, iterator, write, styled)


def _bold(text: str, styled: bool) -> str:
    return f"{_BOLD}{text}{_RESET}" if styled and text else text


def _chunks(
    first: list[Sequence[str]], rest: Iterator[Sequence[str]]
) -> Iterator[list[Sequence[str]]]:
    yield first
    while chunk := list(islice(rest, CHUNK)):
        yield chunk


def _plain(columns: Sequence[str], rows: Iterator[Sequence[str]], write: Write) -> None:
    write("\t".join(columns) + "\n")
    while chunk := list(islice(rows, CHUNK)):
        write("".join(["\t".join(row) + "\n" for row in chunk]))


def _table(
    columns: Sequence[str],
    layout: Layout,
    first: list[Sequence[str]],
    rest: Iterator[Sequence[str]],
    write: Write,
    styled: bool,
) -> None:
    widths, gap = layout
    write(_header(columns, layout, styled))
    # The common case, every cell ASCII and within its column, is one str.format per row.
    template = "".join(f"{{:<{w}}}{gap}" for w in widths[:-1]) + "{}\n"
    fits = _fits(widths)
    for chunk in _chunks(first, rest):
        out: list[str] = []
        for row in chunk:
            if fits(row):
                out.append(template.format(*row))
            else:
                out.append(_wrapped_row(row, layout))
        write("".join(out))


def _fits(widths: list[int]) -> Callable[[Sequence[str]], bool]:
    """A quick test that a row needs no wrapping and no wide-character padding."""
    pairs = list(enumerate(widths))

    def fits(row: Sequence[str]) -> bool:
        for i, w in pairs:
            cell = row[i]
            if len(cell) > w or not cell.isascii():
                return False
        return True

    return fits


def _wrapped_row(cells: Sequence[str], layout: Layout) -> str:
    """One row over as many lines as its most wrapped cell needs."""
    widths, gap = layout
    parts: list[list[str]] = []
    height = 1
    for cell, w in zip(cells, widths, strict=True):
        lines = [cell] if len(cell) <= w and cell.isascii() else wrap(cell, w)
        parts.append(lines)
        if len(lines) > height:
            height = len(lines)
    last = len(widths) - 1
    out = []
    for k in range(height):
        pieces = []
        for i, lines in enumerate(parts):
            text = lines[k] if k < len(lines) else ""
            if i < last:
                text = text.ljust(widths[i]) if text.isascii() else _pad(text, widths[i])
            pieces.append(text)
        out.append(gap.join(pieces).rstrip(" ") + "\n")
    return "".join(out)


def _header(columns: Sequence[str], layout: Layout, styled: bool) -> str:
    """The column names, wrapped like a row, in bold when styled, and the rule under them."""
    widths, gap = layout
    parts = [wrap(name, w) for name, w in zip(columns, widths, strict=True)]
    lines = []
    for k in range(max(map(len, parts))):
        pieces = []
        for part, w in zip(parts, widths, strict=True):
            text = part[k] if k < len(part) else ""
            pieces.append(_bold(text, styled) + " " * (w - cell_width(text)))
        lines.append(gap.join(pieces).rstrip(" ") + "\n")
    return "".join(lines) + gap.join(RULE * w for w in widths) + "\n"


def _records(
    columns: Sequence[str],
    first: list[Sequence[str]],
    rest: Iterator[Sequence[str]],
    write: Write,
    width: int,
    styled: bool,
) -> None:
    """One block of ``field: value`` lines per row, a blank line between blocks."""
    label_width = max(cell_width(name) for name in columns) + 1
    value_width = max(width - label_width - 1, MIN_WIDTH)
    labels = [
        _bold(name + ":", styled) + " " * (label_width - cell_width(name)) for name in columns
    ]
    indent = " " * (label_width + 1)
    separator = ""
    for chunk in _chunks(first, rest):
        out: list[str] = []
        for row in chunk:
            out.append(separator)
            separator = "\n"
            for label, cell in zip(labels, row, strict=True):
                if len(cell) <= value_width and cell.isascii():
                    out.append(f"{label}{cell}\n")
                else:
                    head, *more = wrap(cell, value_width)
                    out.append(f"{label}{head}\n")
                    out.extend(f"{indent}{text}\n" for text in more)
        write("".join(out))
