"""Reading back what a terminal shows: tables and records, so tests can prove that a layout
hides no value, whatever wrapping it did (docs/concepts.md, "Output")."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Sequence
from pathlib import Path

from incidentctl.tables import RULE, cell_width

SCRIPT = Path(sys.executable).parent / "incidentctl"
STYLES = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[=>]")


def plain(text: str) -> str:
    """``text`` without escape sequences and carriage returns."""
    return STYLES.sub("", text).replace("\r", "")


def _slice(line: str, start: int, end: int | None) -> str:
    """The characters of ``line`` that fall in terminal cells [start, end)."""
    out = []
    position = 0
    for char in line:
        width = cell_width(char)
        if position >= start and (end is None or position + width <= end):
            out.append(char)
        position += width
    return "".join(out)


def _squeezed(text: str) -> str:
    # Wrapping drops only the space a line is broken at: compare without any spaces.
    return text.replace(" ", "")


def table_columns(text: str) -> tuple[list[str], list[str]]:
    """(header, the text of each column, top to bottom, spaces removed) of a drawn table."""
    lines = plain(text).splitlines()
    rule_at = next(i for i, line in enumerate(lines) if line and set(line) <= {RULE, " "})
    spans = [m.span() for m in re.finditer(f"{RULE}+", lines[rule_at])]
    bounds = [
        (start, spans[i + 1][0] if i + 1 < len(spans) else None)
        for i, (start, _) in enumerate(spans)
    ]
    header = ["".join(_slice(line, s, e) for line in lines[:rule_at]) for s, e in bounds]
    columns = [
        "".join(_squeezed(_slice(line, s, e)) for line in lines[rule_at + 1 :]) for s, e in bounds
    ]
    return [_squeezed(h) for h in header], columns


def assert_table_shows(text: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Every value of ``rows`` is in its column, in order, nothing else is there."""
    shown_header, columns = table_columns(text)
    assert shown_header == [_squeezed(name) for name in header], shown_header
    for i, column in enumerate(columns):
        expected = "".join(_squeezed(row[i]) for row in rows)
        assert column == expected, (header[i], column[:200], expected[:200])


def records(text: str) -> list[dict[str, str]]:
    """The ``field: value`` blocks of a record layout, values with spaces removed."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    label = ""
    for line in plain(text).splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        if line.startswith(" "):
            current[label] += _squeezed(line)
            continue
        label, _, value = line.partition(":")
        current[label] = _squeezed(value)
    if current:
        blocks.append(current)
    return blocks


def assert_records_show(text: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    shown = records(text)
    assert shown == [
        {name: _squeezed(value) for name, value in zip(header, row, strict=True)} for row in rows
    ]


def assert_fits(text: str, width: int) -> None:
    for line in plain(text).splitlines():
        assert cell_width(line) <= width, (cell_width(line), line)


def is_table(text: str) -> bool:
    return any(line and set(line) <= {RULE, " "} for line in plain(text).splitlines())


def on_terminal(
    args: Sequence[str],
    env: dict[str, str],
    columns: int,
    rows: int = 24,
    timeout: float = 60,
) -> tuple[int, str]:
    """Run the installed incidentctl with stdout and stderr on a pseudo-terminal of
    ``columns`` x ``rows``; (exit code, everything written, as text)."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    try:
        process = subprocess.Popen(
            [str(SCRIPT), *args], stdin=child, stdout=child, stderr=child, env=env
        )
    finally:
        os.close(child)
    written = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        written += chunk
    os.close(main)
    return process.wait(timeout=timeout), written.decode("utf-8", errors="replace")
