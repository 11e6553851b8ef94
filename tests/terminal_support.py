"""A person at a terminal, for the tests of questions, progress bars and notices: the installed
incidentctl runs on a pseudo-terminal of a given size, a test reads what it shows as it
shows it, types answers, and reads back the screen the text leaves behind."""

from __future__ import annotations

import fcntl
import itertools
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

EXE = Path(sys.executable).parent / "incidentctl"
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")


class Terminal:
    """``incidentctl ARGS`` with stderr on a pseudo-terminal of ``columns`` x ``rows``, and
    stdin and stdout too unless ``stdin``/``stdout`` are given (a pipe or a file)."""

    def __init__(
        self,
        args: Sequence[str],
        env: dict[str, str],
        *,
        columns: int = 80,
        rows: int = 24,
        stdin: int | IO[bytes] | None = None,
        stdout: int | IO[bytes] | None = None,
    ) -> None:
        main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        try:
            self.process = subprocess.Popen(
                [str(EXE), *args],
                stdin=child if stdin is None else stdin,
                stdout=child if stdout is None else stdout,
                stderr=child,
                env={**env, "COLUMNS": str(columns), "LINES": str(rows)},
            )
        finally:
            os.close(child)
        self.columns = columns
        self._main = main
        self._written = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self._main, 65536)
            except OSError:  # EIO: every end of the terminal closed
                return
            if not chunk:
                return
            with self._lock:
                self._written += chunk

    @property
    def text(self) -> str:
        """Everything the terminal received so far, escape sequences and all."""
        with self._lock:
            return self._written.decode("utf-8", errors="replace")

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first match of ``pattern`` in what the terminal received, once there."""
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.text)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} never appeared:\n{self.text}")
            if self.process.poll() is not None and not self._reader.is_alive():
                raise AssertionError(f"{pattern!r} never appeared (exited):\n{self.text}")
            time.sleep(0.02)

    def type(self, text: str) -> None:
        """Keys typed at the terminal (``\\n`` is Enter, ``\\x04`` Ctrl-D on an empty line)."""
        os.write(self._main, text.encode())

    def interrupt(self) -> None:
        """Ctrl-C: the terminal would send SIGINT to the command."""
        self.process.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """(exit code, everything the terminal received) once the command has ended."""
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=timeout)
        os.close(self._main)
        return code, self.text

    def screen(self) -> list[str]:
        """The lines the terminal shows now (see :func:`screen`)."""
        return screen(self.text, self.columns)


def screen(text: str, columns: int) -> list[str]:
    """The lines a terminal of ``columns`` shows after ``text``: carriage returns go back to
    the start of the line, characters overwrite what was there, a line wraps at the edge.
    Enough of a terminal for plain lines redrawn in place (the progress bar)."""
    lines: list[list[str]] = [[]]
    row = column = 0
    for char in _ESCAPE.sub("", text):
        if char == "\r":
            column = 0
        elif char == "\n":
            row += 1
            column = 0
        elif char == "\b":
            column = max(column - 1, 0)
        elif char >= " " or char == "\t":
            if column >= columns:
                row += 1
                column = 0
            while len(lines) <= row:
                lines.append([])
            line = lines[row]
            line.extend(" " * (column + 1 - len(line)))
            line[column] = char
            column += 1
        while len(lines) <= row:
            lines.append([])
    return ["".join(line).rstrip() for line in lines]


def visible(text: str, columns: int) -> str:
    """The screen after ``text``, as one string (lines joined by newlines, blank ones out)."""
    return "\n".join(line for line in screen(text, columns) if line)


def unwrapped(shown: str, columns: int) -> str:
    """The lines of a screen as they were written: a line as wide as the terminal went on
    in the line below it, so a sentence the width wrapped reads whole."""
    lines = shown.split("\n")
    out = [lines[0]]
    for previous, line in itertools.pairwise(lines):
        if len(previous) == columns:
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)
