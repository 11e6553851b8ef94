"""Reading the files users hand us (``FILE`` or ``-`` for stdin) as strict UTF-8 text.

Errors name the file and line, so a script's author can find the bad byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

from incidentctl.errors import InvalidInput

STDIN = "-"


def read_bytes(name: str) -> tuple[bytes, str]:
    """(the bytes of FILE, or of stdin for ``-``; the name to use in messages)."""
    if name == STDIN:
        return sys.stdin.buffer.read(), "<stdin>"
    path = Path(name)
    try:
        return path.read_bytes(), name
    except FileNotFoundError as exc:
        raise InvalidInput(f"{name}: no such file") from exc
    except IsADirectoryError as exc:
        raise InvalidInput(f"{name}: is a directory, not a file") from exc
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read it ({exc.strerror})") from exc


def decode(data: bytes, source: str) -> str:
    """UTF-8 text, a leading byte-order mark dropped; anything else is refused with its line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(
            f"{source}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x})",
            hint="save the file as UTF-8",
        ) from exc


def at_line(source: str, line: int, message: str) -> str:
    """``FILE, line N: message``: how every file error starts."""
    return f"{source}, line {line}: {message}"
