"""The person at the terminal, on stderr and stdin: questions before large changes, progress
bars for long work, and a word when input is expected from the keyboard (docs/concepts.md,
"Progress and questions").

None of it happens without a terminal: a script, a pipe or cron sees exactly what it saw
before. The services define what they ask and report (:mod:`incidentctl.services.progress`);
this module implements it. Nothing here imports rich: a bar is one line of plain text,
redrawn in place by a background thread, so the work itself pays an integer addition per
chunk and nothing more.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from types import TracebackType
from typing import IO, BinaryIO, TypeVar

from incidentctl import output
from incidentctl.services.progress import NO_PROGRESS, Confirm, Progress

DELAY = 1.0
"""Seconds of work before a bar appears: shorter commands show nothing."""
REFRESH = 0.2
"""Seconds between two drawings of a bar."""

_YES = frozenset({"y", "yes"})

Item = TypeVar("Item")


def stdin_is_terminal() -> bool:
    return _isatty(sys.stdin)


def stderr_is_terminal() -> bool:
    return _isatty(sys.stderr)


def _isatty(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


# --- questions ----------------------------------------------------------------------------


def confirmation(*, yes: bool, dry_run: bool = False, file: str | None = None) -> Confirm | None:
    """How a command asks before a large change: :func:`ask` when a person can answer (stdin
    and stderr are terminals), None (do not ask) with ``--yes``, on a dry run, when the input
    comes from stdin (``-``), or without a terminal (cron, CI, a pipe), so scripts keep working.
    """
    if yes or dry_run or file == "-":
        return None
    if not (stdin_is_terminal() and stderr_is_terminal()):
        return None
    return ask


def ask(question: str) -> bool:
    """``question [y/N]`` on stderr; True only for ``y`` or ``yes`` (any case). Any other
    answer, an empty line or the end of input is no. Ctrl-C interrupts the command."""
    sys.stdout.flush()
    sys.stderr.write(f"{output.printable(question)} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if not answer.endswith("\n"):
        sys.stderr.write("\n")  # end of input: the next message starts on its own line
    return answer.strip().lower() in _YES


# --- reading from the keyboard ------------------------------------------------------------


def announce_stdin(file: str, what: str) -> None:
    """Say once, on stderr, that ``what`` is read from the keyboard, when FILE is ``-`` and
    stdin is a terminal: otherwise the command seems to hang."""
    if file == "-" and stdin_is_terminal() and stderr_is_terminal():
        output.notice(f"reading {what} from standard input; end with Ctrl-D")


class _Announcing:
    """A binary stream that calls :func:`announce_stdin` before it is first read, so a
    command that refuses its user before reading says nothing about reading."""

    def __init__(self, stream: BinaryIO, what: str) -> None:
        self._stream = stream
        self._what = what
        self._announced = False

    def _announce(self) -> None:
        if not self._announced:
            self._announced = True
            announce_stdin("-", self._what)

    def read(self, size: int = -1) -> bytes:
        self._announce()
        return self._stream.read(size)

    def readline(self, size: int = -1) -> bytes:
        self._announce()
        return self._stream.readline(size)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def announcing(stream: BinaryIO, file: str, what: str) -> BinaryIO:
    """``stream``, which says it reads ``what`` from the keyboard when first read, if FILE
    is ``-`` and stdin is a terminal; otherwise ``stream`` itself (no cost per line)."""
    if file == "-" and stdin_is_terminal() and stderr_is_terminal():
        return _Announcing(stream, what)  # type: ignore[return-value]
    return stream


# --- progress -----------------------------------------------------------------------------


class ProgressBar:
    """A one-line progress bar on stderr, drawn by a thread from :data:`DELAY` on and cleared
    at the end (it leaves no line behind). :meth:`advance` only adds to a number."""

    def __init__(self, label: str, source: BinaryIO | None = None) -> None:
        self.label = label
        self._input_fd, self._input_size = _input_file(source)
        self._name = ""
        self._total: int | None = None
        self._unit = "rows"
        self._of_input = False
        self._done = 0
        self._step_started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self._drawn = 0  # cells of the line on the screen (0: nothing drawn)
        self._paused = False
        self._lock = threading.Lock()

    def step(
        self, name: str, total: int | None = None, *, unit: str = "rows", of_input: bool = False
    ) -> None:
        with self._lock:
            self._name, self._total, self._unit, self._of_input = name, total, unit, of_input
            self._done = 0
            self._step_started = time.monotonic()

    def advance(self, done: int) -> None:
        self._done += done

    def __enter__(self) -> ProgressBar:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._clear()

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Off the screen inside the block (a question is asked)."""
        with self._lock:
            self._paused = True
            self._clear()
        try:
            yield
        finally:
            with self._lock:
                self._paused = False

    def _clear(self) -> None:
        if self._drawn:
            _write("\r" + " " * self._drawn + "\r")
            self._drawn = 0

    def _run(self) -> None:
        if self._stop.wait(DELAY):
            return
        while not self._stop.is_set():
            self._draw()
            self._stop.wait(REFRESH)

    def _draw(self) -> None:
        with self._lock:
            if self._paused:
                return
            text = self._text()
            padding = " " * max(self._drawn - len(text), 0)
            if _write("\r" + text + padding):
                self._drawn = len(text)

    def _text(self, width: int | None = None) -> str:
        total, elapsed = self._total, time.monotonic() - self._step_started
        read = size = None
        if self._of_input and total is None and self._input_fd is not None:
            size = self._input_size
            try:
                read = min(os.lseek(self._input_fd, 0, os.SEEK_CUR), size or 0)
            except OSError:
                size = None
        return progress_line(
            self.label,
            self._name,
            done=self._done,
            total=total,
            unit=self._unit,
            elapsed=elapsed,
            read=read,
            size=size,
            width=width or _stderr_columns(),
            unicode=_unicode_stderr(),
        )


def _write(text: str) -> bool:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr went away: draw no more
        return False
    return True


def _input_file(source: BinaryIO | None) -> tuple[int | None, int | None]:
    """(descriptor, size) of an input that is a regular file, whose read position tells how
    far a step that reads it got; (None, None) for stdin from a pipe or terminal."""
    if source is None:
        return None, None
    try:
        fd = source.fileno()
        info = os.fstat(fd)
    except (OSError, ValueError, AttributeError):
        return None, None
    if not stat.S_ISREG(info.st_mode) or info.st_size == 0:
        return None, None
    return fd, info.st_size


def _stderr_columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns or 80
    except (OSError, ValueError, AttributeError):
        return 80


def _unicode_stderr() -> bool:
    return "utf" in (getattr(sys.stderr, "encoding", "") or "").lower()


def progress_line(
    label: str,
    step: str,
    *,
    done: int,
    total: int | None,
    unit: str,
    elapsed: float,
    read: int | None = None,
    size: int | None = None,
    width: int = 80,
    unicode: bool = True,
) -> str:
    """The text of a bar: label and step, a bar and percentage when the end is known (the
    step's total, or the size of the input file it reads), the count done (of the total),
    the rate, and the time left (or, without an end, the time taken). It fits ``width`` - 1
    cells (a line as wide as the terminal would wrap): the parts that matter least go first.
    """
    fraction: float | None = None
    if total:
        fraction = min(done / total, 1.0)
    elif size and read is not None:
        fraction = min(read / size, 1.0)
    rate = done / elapsed if elapsed >= 0.5 and done else None
    # (rank, text): the higher the rank, the sooner a part goes when the line is too narrow.
    parts: list[tuple[float, str]] = [(0, f"{label}: {step}" if step else label)]
    if total is not None:
        parts.append((1, f"{done:,}/{total:,} {unit}"))
    elif done:  # a step that counts nothing (one long query) shows only its time
        parts.append((1, f"{done:,} {unit}"))
    if fraction is not None:
        parts.append((2, f"{fraction:.0%}"))
    if fraction is not None and rate and fraction > 0:
        parts.append((3, f"{_duration(elapsed * (1 - fraction) / fraction)} left"))
    else:
        parts.append((3, _duration(elapsed)))
    if rate is not None:
        parts.append((4, f"{rate:,.0f}/s"))
    if size and read is not None and total is None:
        parts.append((6, f"{_bytes(read)} of {_bytes(size)}"))
    bar_rank = 5.0 if fraction is not None else None  # the bar takes the room that is left
    room = width - 1
    while True:
        wanted = _joined_width(parts) + (2 + _BAR_CELLS[0] if bar_rank is not None else 0)
        if wanted <= room or len(parts) == 1:
            break
        lowest = max(parts, key=lambda part: part[0])
        if bar_rank is not None and bar_rank > lowest[0]:
            bar_rank = None
        else:
            parts.remove(lowest)
    texts = [text for _, text in parts]
    if bar_rank is not None and fraction is not None:
        cells = min(room - _joined_width(parts) - 2, _BAR_CELLS[1])
        filled = round(cells * fraction)
        full, empty = ("━", "─") if unicode else ("#", "-")
        texts.insert(1, full * filled + empty * (cells - filled))
    return "  ".join(texts)[:room]


_BAR_CELLS = (10, 40)
"""The narrowest and the widest bar, in cells."""


def _joined_width(parts: list[tuple[float, str]]) -> int:
    return sum(len(part) for _, part in parts) + 2 * (len(parts) - 1)


def _bytes(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"


def _duration(seconds: float) -> str:
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


class _Quiet:
    """No bar: the context of a command whose stderr is not a terminal (or that is quiet)."""

    def __enter__(self) -> Progress:
        return NO_PROGRESS

    def __exit__(self, *exc: object) -> None:
        pass


def progress(
    label: str, *, source: BinaryIO | None = None, quiet: bool = False
) -> ProgressBar | _Quiet:
    """A progress bar for long work labelled ``label`` (``granting submitter``), when stderr is
    a terminal and the command is not ``--quiet``; ``source`` is the input file, whose read
    position measures a step that reads it. Not while the input is typed at the keyboard."""
    if quiet or not stderr_is_terminal():
        return _Quiet()
    if source is not None and _is_keyboard(source):
        return _Quiet()
    return ProgressBar(label, source)


def _is_keyboard(source: BinaryIO) -> bool:
    try:
        return os.isatty(source.fileno())
    except (OSError, ValueError, AttributeError):
        return False


def listing_progress(label: str, unit: str) -> ProgressBar | _Quiet:
    """A bar for a listing of ``unit`` (contacts, events) written to a file or pipe (stdout
    is not a terminal) while a person watches stderr: ``contacts list --csv > contacts.csv``."""
    if output.is_terminal():
        return _Quiet()
    bar = progress(label)
    if isinstance(bar, ProgressBar):
        bar.step("", unit=unit)
    return bar


def counted(items: Iterable[Item], bar: Progress, chunk: int = 1000) -> Iterator[Item]:
    """``items``, telling ``bar`` of each ``chunk`` of them (not of each one); an iterator
    over ``items`` itself when nobody watches, so a listing without a bar pays nothing."""
    if bar is NO_PROGRESS:
        return iter(items)
    return _counting(items, bar, chunk)


def _counting(items: Iterable[Item], bar: Progress, chunk: int) -> Iterator[Item]:
    iterator = iter(items)
    while block := list(islice(iterator, chunk)):
        yield from block
        bar.advance(len(block))


def pausing(bar: Progress, confirm: Confirm | None) -> Confirm | None:
    """``confirm``, which takes ``bar`` off the screen while the question waits for its
    answer (and puts it back after)."""
    if confirm is None or not isinstance(bar, ProgressBar):
        return confirm

    def ask_without_bar(question: str) -> bool:
        with bar.paused():
            return confirm(question)

    return ask_without_bar
