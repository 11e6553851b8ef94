"""Long output in a terminal goes through a pager, as git does (docs/concepts.md, "Output").

The pager is ``$INCIDENTCTL_PAGER``, else ``$PAGER``, else ``less``; ``less`` gets
``LESS=FRX`` when LESS is not set (quit at once when everything fits on one screen, pass
the bold through, leave the screen as it is), as git does. An empty value or ``cat`` turns
paging off, and so do the global ``--no-pager`` and a stdout that is not a terminal.

Quitting the pager before the output is complete is a normal end: the command stops
writing and exits 0, without a message.
"""

from __future__ import annotations

import io
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TextIO

from incidentctl import output

ENV = "INCIDENTCTL_PAGER"
DEFAULT = "less"


def command() -> list[str] | None:
    """The pager to run, as an argument list; None when paging is off or the pager is not
    installed (then output goes straight to the terminal)."""
    text = os.environ.get(ENV)
    if text is None:
        text = os.environ.get("PAGER")
    if text is None:
        text = DEFAULT
    try:
        argv = shlex.split(text)
    except ValueError:  # unbalanced quotes: not a command we can run
        return None
    if not argv or argv == ["cat"]:
        return None
    if shutil.which(argv[0]) is None:
        return None
    return argv


@contextmanager
def paging() -> Iterator[None]:
    """Inside the block, stdout goes to a pager when it is a terminal (and paging is on).

    Quitting the pager early ends the block quietly; the command exits 0.
    """
    argv = command() if output.pager_allowed and sys.stdout.isatty() else None
    if argv is None:
        yield
        return
    width = output.screen_columns()
    sys.stdout.flush()
    environment = dict(os.environ)
    environment.setdefault("LESS", "FRX")
    environment.setdefault("LV", "-c")
    try:
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, env=environment)
    except OSError:
        yield
        return
    assert process.stdin is not None
    terminal = sys.stdout
    sys.stdout = pipe = _text_stream(process.stdin, terminal)
    output._paged_width = width
    try:
        yield
        pipe.flush()
    except BrokenPipeError:
        pass  # the reader quit the pager: a normal end
    finally:
        output._paged_width = None
        sys.stdout = terminal
        _close(pipe)
        _wait(process)


def _text_stream(binary: IO[bytes], like: TextIO) -> io.TextIOWrapper:
    """A text stream over the pipe, in the terminal's encoding."""
    encoding = getattr(like, "encoding", None) or "utf-8"
    errors = getattr(like, "errors", None) or "strict"
    return io.TextIOWrapper(binary, encoding=encoding, errors=errors)


def _close(pipe: io.TextIOWrapper) -> None:
    """Close the pipe to the pager; when the pager has gone, drop what is left unwritten
    (rather than fail again when Python finalises the stream)."""
    try:
        pipe.close()
    except BrokenPipeError:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, pipe.fileno())
            os.close(devnull)
            pipe.close()
        except (OSError, ValueError):
            pass


def _wait(process: subprocess.Popen[bytes]) -> None:
    """Wait until the reader has quit the pager. Ctrl-C reaches the pager too (it is in our
    process group), which handles it; here it must not end the wait."""
    while True:
        try:
            process.wait()
        except KeyboardInterrupt:
            continue
        return
