"""Reading the files users hand us (``FILE`` or ``-`` for stdin), in one place.

Every input file is UTF-8 text. Line formats (the CSV of ``contacts import`` and ``org import``,
the ``--file`` of ``grant``/``revoke``) are read as a stream, a line at a time, so a file of
any length is read in constant memory; whole-file formats (the TOML of ``apply`` and ``policy
load``) are read whole, up to a size. Both limits exist so that endless or huge input (a
``/dev/zero``, a file without line ends) ends in exit 2 within a moment instead of filling
the memory (docs/reliability.md, "Limits").

CSV is read as spreadsheets write it: the delimiter (``,``, ``;`` or TAB) is sniffed from the
header, a UTF-8 byte-order mark is dropped, quoted fields may hold the delimiter or line
breaks, and the one ``'`` that ``--csv`` puts before a formula is removed again
(:mod:`incidentctl.csvcells`). Errors name the file and the line (the line a record starts
on), so a script's author can find the problem.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from incidentctl.csvcells import restore
from incidentctl.errors import InvalidInput

STDIN = "-"

MAX_LINE_BYTES = 64 * 1024
"""The longest line (or CSV record, with the lines its quoted fields span) of a line format."""
MAX_ADDRESS_LINES = 10_000_000
"""The most lines (rows and blank lines) of a ``--file`` of ``grant``/``revoke``: ten times
the largest bulk grant that is benchmarked. An endless stream of addresses (``yes``) ends
at it, in exit 2, after some 17 s (docs/reliability.md, "Limits")."""
MAX_CSV_LINES = 2_000_000
"""The most lines (rows and blank lines) of the CSV file of ``contacts import`` and ``org
import``: twice the largest store that is benchmarked (1,000,000 contacts). A CSV row costs
ten times an address to check and stage, so an endless stream of valid rows ends at this
one after about as long as at the other."""
MAX_TOML_BYTES = 4 * 1024 * 1024
"""The largest TOML file. An apply file for 10,000 organisations with seven holders each is
about 1 MiB, the largest policy allowed about 2 MiB."""
MAX_TOML_DEPTH = 32
"""The deepest nesting of arrays and inline tables in a TOML file (tomllib recurses)."""
# What tomllib builds is bounded by what it is given to build, not by the bytes: 4 MiB of
# `[tN]` headers made 450 MiB. These limits keep the costliest file within all of them
# under the 300 MiB bound, and leave room for an apply file of 10,000 organisations with
# seven holders (40,000 keys, 10,000 tables, 70,000 items) and the largest policy (101,700
# keys, 50,600 tables, 50,100 items); the figures are in docs/reliability.md, "Limits".
MAX_TOML_KEY_PARTS = 32
"""The most parts of one dotted key (``a.b.c`` has 3); an apply file's keys have 3."""
MAX_TOML_KEYS = 150_000
"""The most keys in a TOML file, each part of a dotted key (and of a header) counted."""
MAX_TOML_TABLES = 60_000
"""The most tables in a TOML file: headers ([x], [[x]]) and inline tables ({…})."""
MAX_TOML_ITEMS = 150_000
"""The most values in the arrays of a TOML file."""

UTF8_HINT = "save it as UTF-8 (CSV UTF-8 in Excel)"
DELIMITERS = (",", ";", "\t")
"""The CSV delimiters sniffed from a header, in order of preference on a tie."""


def size_text(size: int) -> str:
    """``64 KiB``, ``4 MiB``: a limit as people read it."""
    if size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    return f"{size // 1024} KiB"


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


def close(stream: BinaryIO) -> None:
    """Close a stream :func:`open_binary` opened (stdin stays open)."""
    if stream is not sys.stdin.buffer:
        stream.close()


# --- whole files --------------------------------------------------------------------------


def read_whole(name: str, *, limit: int = MAX_TOML_BYTES) -> tuple[bytes, str]:
    """(the bytes of FILE, or of stdin for ``-``; the name to use in messages), refused
    when there are more than ``limit``: only ``limit`` + 1 bytes are ever read."""
    stream, source = open_binary(name)
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read it ({exc.strerror})") from exc
    finally:
        close(stream)
    if len(data) > limit:
        raise InvalidInput(
            f"{source}: the file is larger than {size_text(limit)}, the most a TOML file may be",
            hint="split it into smaller files (docs/reliability.md, 'Limits')",
        )
    return data, source


def decode(data: bytes, source: str) -> str:
    """A whole file as UTF-8 text, a leading byte-order mark dropped; any other encoding is
    refused, naming the line of the first byte that is not UTF-8."""
    _refuse_utf16(data[:MAX_LINE_BYTES], source)
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _nul_byte(source, data[:nul].count(b"\n") + 1)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _not_utf8(source, line, data[exc.start]) from exc


def _refuse_utf16(start: bytes, source: str) -> None:
    """UTF-16 (what Excel's "Unicode text" writes) is refused by name, BOM or not."""
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(
            f"{source}: the file is UTF-16 text (it starts with a UTF-16 byte-order mark), "
            "not UTF-8",
            hint=UTF8_HINT,
        )
    sample = start[:1024]
    if len(sample) >= 4 and sample.count(b"\x00") * 3 >= len(sample):
        even, odd = sample[0::2], sample[1::2]
        if even.count(b"\x00") * 2 >= len(even) or odd.count(b"\x00") * 2 >= len(odd):
            raise InvalidInput(
                f"{source}: the file looks like UTF-16 text (every other byte is 0), not UTF-8",
                hint=UTF8_HINT,
            )


def _nul_byte(source: str, line: int) -> InvalidInput:
    return InvalidInput(
        at_line(source, line, "a NUL byte (0x00): this is not a text file"), hint=UTF8_HINT
    )


def _not_utf8(source: str, line: int, byte: int) -> InvalidInput:
    return InvalidInput(
        at_line(
            source,
            line,
            f"not UTF-8 text (byte 0x{byte:02x}; the file is probably Latin-1 or Windows-1252)",
        ),
        hint=UTF8_HINT,
    )


# --- line formats -------------------------------------------------------------------------


class Lines:
    """The lines of a stream, decoded strictly one at a time (so a bad byte is reported with
    its line), with their line ends; refuses a line longer than :data:`MAX_LINE_BYTES`, and
    a CSV record (:meth:`start_record`) whose lines together are longer."""

    def __init__(self, stream: BinaryIO, source: str, most: int) -> None:
        self.stream = stream
        self.source = source
        self.most = most  # lines, blank ones included
        self.number = 0  # lines read so far: the number of the last one
        self._records = False  # whether lines are counted into records (CSV)
        self._record_line = 1
        self._record_bytes = 0
        self._last_bytes = 0

    def start_record(self) -> int:
        """Note that the next line starts a CSV record; its line number."""
        self._records = True
        self._record_line = self.number + 1
        self._record_bytes = 0
        return self._record_line

    def restart_record(self) -> int:
        """Note that the line just read starts a CSV record; its line number."""
        self._records = True
        self._record_line = self.number
        self._record_bytes = self._last_bytes
        return self._record_line

    def __iter__(self) -> Iterator[str]:
        limit = size_text(MAX_LINE_BYTES)
        while True:
            try:
                raw = self.stream.readline(MAX_LINE_BYTES + 1)
            except OSError as exc:
                raise InvalidInput(f"{self.source}: cannot read it ({exc.strerror})") from exc
            if not raw:
                return
            self.number += 1
            if self.number > self.most:
                raise InvalidInput(
                    at_line(
                        self.source,
                        self.number,
                        f"more than {self.most:,} lines (rows and blank lines), the most this "
                        "input may have",
                    ),
                    hint="is this the right file, or an endless stream? split a real one "
                    "(docs/reliability.md, 'Limits')",
                )
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                raise InvalidInput(
                    at_line(
                        self.source,
                        self.number,
                        f"the line is longer than {limit}, the most a line may hold",
                    ),
                    hint="is this the right file? (docs/reliability.md, 'Limits')",
                )
            self._last_bytes = len(raw)
            self._record_bytes += len(raw)
            # A record's line ends count, as a line's own (LF or CRLF) does not.
            if self._records and self._record_bytes > MAX_LINE_BYTES + 2:
                raise InvalidInput(
                    at_line(
                        self.source,
                        self._record_line,
                        f"the record is longer than {limit}, the most a line may hold",
                    ),
                    hint='a quoted field ("…) that is never closed?',
                )
            yield self._decode(raw)

    def _decode(self, raw: bytes) -> str:
        if self.number == 1:
            _refuse_utf16(raw, self.source)
        if b"\x00" in raw:
            raise _nul_byte(self.source, self.number)
        try:
            return raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise _not_utf8(self.source, self.number, raw[exc.start]) from exc


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV file, from its header line: the candidate that occurs most
    often outside quotes (``,`` when none does, as in a one-column file)."""
    outside = re.sub(r'"[^"]*"?', "", header)
    counts = [outside.count(candidate) for candidate in DELIMITERS]
    best = max(counts)
    return DELIMITERS[counts.index(best)] if best else ","


class CsvFile:
    """A CSV file with a header: :attr:`header` (the cells as given), then its records as
    (the line the record starts on, its cells), blank records skipped; each data cell has
    the one ``'`` that a formula's export added removed (:func:`incidentctl.csvcells.restore`).

    Nothing is read until the header is asked for, so a command can refuse its user before
    it waits for stdin.
    """

    def __init__(self, stream: BinaryIO, source: str) -> None:
        self.source = source
        self.delimiter = ","
        self._lines = Lines(stream, source, MAX_CSV_LINES)
        self._header: list[str] | None = None
        self._header_line = 0
        self._started = False

    @property
    def header(self) -> list[str] | None:
        """The header's cells, None for a file without a line that is not blank."""
        self._start()
        return self._header

    @property
    def header_line(self) -> int:
        self._start()
        return self._header_line

    def _start(self) -> None:
        import csv
        import itertools

        if self._started:
            return
        self._started = True
        lines = iter(self._lines)
        for text in lines:
            if text.strip():
                self.delimiter = sniff_delimiter(text)
                self._header_line = self._lines.restart_record()
                self._reader = csv.reader(
                    itertools.chain([text], lines), delimiter=self.delimiter, strict=True
                )
                self._header = self._read(self._header_line) or []
                return

    def _read(self, start: int) -> list[str] | None:
        import csv

        try:
            record: list[str] | None = next(self._reader, None)
        except csv.Error as exc:
            raise InvalidInput(at_line(self.source, start, f"malformed CSV ({exc})")) from exc
        return record

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self.header is None:
            return
        while True:
            start = self._lines.start_record()
            record = self._read(start)
            if record is None:
                return
            if any(cell.strip() for cell in record):
                yield start, [restore(cell) for cell in record]


def csv_columns(
    csv_file: CsvFile, known: Sequence[str], required: Sequence[str], hint: str
) -> list[str]:
    """The header's column names (trimmed, lower case), checked: each known and given once,
    every required one present. An empty file is refused too."""
    source, line = csv_file.source, csv_file.header_line
    if csv_file.header is None:
        raise InvalidInput(f"{source}: the file is empty", hint=hint)
    columns = [cell.strip().lower() for cell in csv_file.header]
    for column in columns:
        if column not in known:
            raise InvalidInput(at_line(source, line, f"unknown column {column!r}"), hint=hint)
        if columns.count(column) > 1:
            raise InvalidInput(at_line(source, line, f"column {column!r} appears twice"))
    missing = [column for column in required if column not in columns]
    if missing:
        raise InvalidInput(at_line(source, line, f"missing column {missing[0]!r}"), hint=hint)
    return columns


EMAIL_HEADERS = ("email", "e-mail")
"""The names of the address column of a ``--file`` (any case): ``email`` as scripts and CSV
exports write it, ``E-mail`` as the listings print it, so a piped listing is input."""


def email_lines(stream: BinaryIO, source: str) -> Iterator[tuple[int, str]]:
    """(line, e-mail) from a ``--file`` (docs/roles-and-quota.md, "--file"): one e-mail per
    line, or a CSV with an ``email`` (or ``E-mail``) column. A first line that is one of
    :data:`EMAIL_HEADERS` (any case, quoted or not) or has a delimiter (``,`` ``;`` TAB) is a
    header."""
    import csv

    lines = Lines(stream, source, MAX_ADDRESS_LINES)
    iterator = iter(lines)
    for text in iterator:
        if not text.strip():
            continue
        delimiter = sniff_delimiter(text)
        number = lines.number
        try:
            header = next(csv.reader([text.rstrip("\r\n")], delimiter=delimiter))
        except csv.Error as exc:
            raise InvalidInput(at_line(source, number, f"malformed CSV ({exc})")) from exc
        names = [name.strip().lower() for name in header]
        if len(names) == 1 and names[0] in EMAIL_HEADERS:
            break  # a one-column header: plain lines follow
        if len(names) == 1:
            yield number, _plain_email(text)
            break
        column = next((n for n, name in enumerate(names) if name in EMAIL_HEADERS), None)
        if column is None:
            raise InvalidInput(
                at_line(source, number, "the CSV header has no 'email' column"),
                hint="name the column with the addresses 'email' (or 'E-mail')",
            )
        yield from _email_column(lines, iterator, column, delimiter)
        return
    for text in iterator:
        if text.strip():
            yield lines.number, _plain_email(text)


def _plain_email(text: str) -> str:
    """A line of a plain list: the address, unquoted when a spreadsheet quoted it."""
    email = text.strip()
    if len(email) >= 2 and email.startswith('"') and email.endswith('"'):
        email = email[1:-1].replace('""', '"').strip()
    return restore(email)


def _email_column(
    lines: Lines, iterator: Iterator[str], column: int, delimiter: str
) -> Iterator[tuple[int, str]]:
    import csv

    reader = csv.reader(iterator, delimiter=delimiter, strict=True)
    while True:
        start = lines.start_record()
        try:
            record = next(reader, None)
        except csv.Error as exc:
            raise InvalidInput(at_line(lines.source, start, f"malformed CSV ({exc})")) from exc
        if record is None:
            return
        if not any(cell.strip() for cell in record):
            continue
        if column >= len(record):
            raise InvalidInput(at_line(lines.source, start, "the row has no e-mail field"))
        yield start, restore(record[column].strip())


# --- TOML ---------------------------------------------------------------------------------

# What the scan skips (strings of all four kinds; comments, with the line ends and blank
# lines around them as one token) and what it counts.
_TOML_TOKEN = re.compile(
    r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\''
    r"|(?P<newline>(?:[ \t\r]*(?:#[^\n]*)?\n)+)|#[^\n]*"
    r"|(?P<open>[\[{])|(?P<close>[\]}])|(?P<mark>[,=.])",
    re.DOTALL,
)
# tomllib's messages end in "(at line L, column C)" or "(at end of document)".
_TOML_WHERE = re.compile(
    r"\s*\(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$"
)


class TomlShape(NamedTuple):
    """What tomllib would build from a TOML text, counted before it runs."""

    depth: int  # the deepest nesting of arrays and inline tables (a [[table]] header: 2)
    parts: int  # the most parts of one key: `a.b.c = 1` and `[a.b.c]` have 3
    keys: int  # every part of every key
    tables: int  # table headers ([x], [[x]]) and inline tables ({…})
    items: int  # the values in arrays (an upper bound: an empty array counts one)


def toml_shape(text: str, *, source: str | None = None) -> TomlShape:
    """Count what a TOML text holds outside strings and comments, in one pass of a regular
    expression over its brackets, commas, equals signs and dots. With ``source``, stop at
    the first limit exceeded (InvalidInput naming it): tomllib builds several hundred bytes
    of dictionaries and flags for each key, table and array item, and a key of many parts
    costs time and memory by the square of its parts (in tomllib and in the line finder
    of ``apply``), so the size of a file alone bounds neither (docs/reliability.md,
    "Limits")."""
    check = source is not None
    most_deep, most_parts, most_keys = MAX_TOML_DEPTH, MAX_TOML_KEY_PARTS, MAX_TOML_KEYS
    most_tables, most_items = MAX_TOML_TABLES, MAX_TOML_ITEMS
    deepest = longest = keys = tables = items = 0
    parts = 0  # the parts of the key being read, so far
    stack: list[str] = []  # the open arrays and inline tables
    in_key = True  # at the start of a line, or after { or a comma in an inline table
    header = 0  # brackets open of a [table] or [[table]] header
    header_key = False  # the header's key is complete (its first ] was read)
    for match in _TOML_TOKEN.finditer(text):
        kind = match.lastgroup
        if kind is None:  # a string or a comment
            continue
        char = match.group()[0]
        if kind == "newline":
            if not stack:
                in_key, parts = True, 0
            continue
        if kind == "open":
            if char == "[" and not stack and (in_key or (header and not header_key)):
                header += 1  # a header: [[ counts two deep, as tomllib nests it
                in_key = False
                if header == 1:
                    tables += 1
                deepest = max(deepest, header)
            else:
                if char == "{":
                    tables += 1
                    in_key = True
                else:
                    items += 1  # the array's first value (or none, for [])
                    in_key = False
                stack.append(char)
                deepest = max(deepest, len(stack))
        elif kind == "close":
            if header:
                if not header_key:  # the header's last key
                    keys, longest, parts = keys + 1, max(longest, parts + 1), 0
                    header_key = True
                header -= 1
                if not header:
                    header_key = in_key = False
            elif stack:
                stack.pop()
                in_key = False
        elif char == "=":
            if in_key:  # the last part of a key
                keys, longest, parts = keys + 1, max(longest, parts + 1), 0
            in_key = False
        elif char == ".":
            if in_key or (header and not header_key):
                keys, parts = keys + 1, parts + 1  # a part of a dotted key, before its last
                longest = max(longest, parts)
        elif stack:  # a comma
            if stack[-1] == "[":
                items += 1
            else:
                in_key = True
        if check and (
            deepest > most_deep
            or longest > most_parts
            or keys > most_keys
            or tables > most_tables
            or items > most_items
        ):
            _refuse_shape(TomlShape(deepest, longest, keys, tables, items), str(source))
    return TomlShape(deepest, longest, keys, tables, items)


def _refuse_shape(shape: TomlShape, source: str) -> None:
    if shape.depth > MAX_TOML_DEPTH:
        raise _too_deep(source)
    for count, limit, what in (
        (shape.parts, MAX_TOML_KEY_PARTS, "parts in one dotted key"),
        (shape.keys, MAX_TOML_KEYS, "keys (each part of a dotted key counts)"),
        (shape.tables, MAX_TOML_TABLES, "tables (headers and inline tables)"),
        (shape.items, MAX_TOML_ITEMS, "array items"),
    ):
        if count > limit:
            raise InvalidInput(
                f"{source}: more than {limit:,} {what}, the most a TOML file may hold",
                hint="split it into smaller files (docs/reliability.md, 'Limits')",
            )


def toml_document(data: bytes, source: str) -> tuple[dict[str, Any], str]:
    """(the parsed TOML file, its text); InvalidInput for anything that is not valid TOML,
    naming the line where tomllib names one, and for a file beyond the limits of
    :func:`toml_shape`."""
    import tomllib

    text = decode(data, source)
    toml_shape(text, source=source)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(_toml_error(str(exc), text, source)) from exc
    except RecursionError as exc:  # should the depth check ever miss a way to nest
        raise _too_deep(source) from exc


def _too_deep(source: str) -> InvalidInput:
    return InvalidInput(
        f"{source}: arrays or tables nest more than {MAX_TOML_DEPTH} levels deep",
        hint="is this the right file? (docs/reliability.md, 'Limits')",
    )


def _toml_error(message: str, text: str, source: str) -> str:
    """tomllib's message in the form of every file error: ``FILE, line N: …``."""
    where = _TOML_WHERE.search(message)
    if where is None:
        return f"{source}: not valid TOML: {message}"
    what = message[: where.start()]
    if where["line"] is None:  # at the end of the file: name its last line
        last = max(1, len(text.splitlines()))
        return at_line(source, last, f"not valid TOML: {what} (at the end of the file)")
    return at_line(source, int(where["line"]), f"not valid TOML: {what} (column {where['column']})")


_BARE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def toml_key(name: str) -> str:
    """A TOML key as written: bare when it is a plain word, else quoted in plain ASCII, so no
    character of a name can act on a terminal (TOML spells characters beyond U+FFFF as
    ``\\UXXXXXXXX``; JSON's surrogate pairs are not valid TOML)."""
    if _BARE_KEY.fullmatch(name):
        return name
    escaped = []
    for char in name:
        code = ord(char)
        if char in '"\\':
            escaped.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            escaped.append(char)
        elif code <= 0xFFFF:
            escaped.append(f"\\u{code:04x}")
        else:
            escaped.append(f"\\U{code:08x}")
    return '"' + "".join(escaped) + '"'


KeyPath = tuple[str | int, ...]
"""Where a value is in a TOML document: keys, and positions in arrays (from 0)."""


def key_path(path: KeyPath) -> str:
    """``organisations."1001".submitter[2]``: a key path as people read it. Array entries
    are counted from 1, as people count them."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += ("." if text else "") + toml_key(part)
    return text
