"""Reading the files users hand us (``FILE`` or ``-`` for stdin) as strict UTF-8 text.

Errors name the file and line, so a script's author can find the bad byte.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from incidentctl.errors import InvalidInput

STDIN = "-"


def read_bytes(name: str) -> tuple[bytes, str]:
    """(the bytes of FILE, or of stdin for ``-``; the name to use in messages)."""
    stream, source = open_binary(name)
    if stream is sys.stdin.buffer:
        return stream.read(), source
    with stream:
        try:
            return stream.read(), source
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


def open_binary(name: str) -> tuple[BinaryIO, str]:
    """(FILE opened for reading bytes, or stdin for ``-``; the name to use in messages)."""
    if name == STDIN:
        return sys.stdin.buffer, "<stdin>"
    try:
        return Path(name).open("rb"), name
    except FileNotFoundError as exc:
        raise InvalidInput(f"{name}: no such file") from exc
    except IsADirectoryError as exc:
        raise InvalidInput(f"{name}: is a directory, not a file") from exc
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read it ({exc.strerror})") from exc


def text_lines(stream: BinaryIO, source: str) -> Iterator[tuple[int, str]]:
    """(line number, text without its line ending), decoded strictly line by line, so a
    file of any size streams and a bad byte is reported with its line."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                at_line(source, number, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})"),
                hint="save the file as UTF-8",
            ) from exc
        yield number, text.rstrip("\r\n")


def email_lines(stream: BinaryIO, source: str) -> Iterator[tuple[int, str]]:
    """(line, e-mail) from a ``--file`` (SPEC §4): one e-mail per line, or a CSV with an
    ``email`` column. A first line that is ``email`` (any case) or has a comma is a header."""
    import csv

    lines = text_lines(stream, source)
    column: int | None = None
    for number, text in lines:
        if not text.strip():
            continue
        if text.strip().lower() == "email":
            break  # a one-column header: plain lines follow
        if "," in text:
            try:
                header = [name.strip().lower() for name in next(csv.reader([text]))]
            except csv.Error as exc:
                raise InvalidInput(at_line(source, number, f"malformed CSV ({exc})")) from exc
            if "email" not in header:
                raise InvalidInput(
                    at_line(source, number, "the CSV header has no 'email' column"),
                    hint="name the column with the addresses 'email'",
                )
            column = header.index("email")
            break
        yield number, text.strip()
        break
    for number, text in lines:
        if not text.strip():
            continue
        if column is None:
            yield number, text.strip()
            continue
        try:
            fields = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            raise InvalidInput(at_line(source, number, f"malformed CSV ({exc})")) from exc
        if column >= len(fields):
            raise InvalidInput(at_line(source, number, "the row has no e-mail field"))
        yield number, fields[column].strip()
