"""The desired-state file of ``apply`` (docs/apply.md, "The file"): which contacts of each
organisation should hold each role, read from TOML with the key path and line of every
entry, so errors can name them.

    [organisations."1001"]
    submitter = ["jan@acme.nl", "piet@acme.nl"]
    manager = ["els@acme.nl"]

tomllib checks the syntax and gives the values; :func:`locate` walks the same text once more
and finds the line on which each key, table and array entry begins. An error names the key
path (``organisations."1001".submitter[2]``) always, and a line only where it is certain: a
line the walk found for that very path, in an array whose length agrees with tomllib's.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from incidentctl import files
from incidentctl.domain import is_valid_email
from incidentctl.errors import INVALID_INPUT
from incidentctl.files import KeyPath, key_path
from incidentctl.roles import Role, defined, either


class Entry(NamedTuple):
    """One e-mail listed for a role, where it is (its line when certain)."""

    email: str
    line: int | None
    path: KeyPath


@dataclass
class OrgSection:
    """The roles one organisation's table lists (a role missing from it is left alone)."""

    org_id: str
    line: int | None
    path: KeyPath
    roles: dict[Role, list[Entry]] = field(default_factory=dict)


class Problem(NamedTuple):
    """Something wrong with the file: where (line when certain, key path), what, and the
    exit code it leads to."""

    line: int | None
    path: KeyPath | None
    message: str
    exit_code: int
    hint: str | None = None  # what to do about it, where there is more to say than "fix it"

    def describe(self, source: str) -> str:
        """``FILE, line N: message (at KEY PATH)``, or ``FILE: …`` without a certain line."""
        text = self.message if self.path is None else f"{self.message} (at {key_path(self.path)})"
        return f"{source}: {text}" if self.line is None else files.at_line(source, self.line, text)


def parse(data: bytes, source: str) -> tuple[list[OrgSection], list[Problem]]:
    """The organisations of the file and every problem of form (not of content: whether
    contacts exist is the service's question). Raises InvalidInput for bad TOML."""
    document, text = files.toml_document(data, source)
    where = locate(text)
    problems: list[Problem] = []
    for key in document:
        if key != "organisations":
            problems.append(
                Problem(
                    where.line((key,)),
                    (key,),
                    f"unknown top-level key {key!r} (expected [organisations.ID])",
                    INVALID_INPUT,
                )
            )
    organisations: Any = document.get("organisations", {})
    if not isinstance(organisations, dict):
        problems.append(
            Problem(
                where.line(("organisations",)),
                ("organisations",),
                "'organisations' must be a table of organisations",
                INVALID_INPUT,
            )
        )
        organisations = {}
    sections: list[OrgSection] = []
    for org_id, roles in organisations.items():
        path: KeyPath = ("organisations", org_id)
        section = OrgSection(org_id, where.line(path), path)
        if not isinstance(roles, dict):
            problems.append(
                Problem(
                    section.line, path, f"organisation {org_id!r} must be a table", INVALID_INPUT
                )
            )
            continue
        problems += _roles(section, roles, where)
        sections.append(section)
    return sections, problems


def _roles(section: OrgSection, roles: dict[str, Any], where: Locations) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, Entry] = {}
    role_keys: dict[Role, KeyPath] = {}
    for role_key, emails in roles.items():
        path = (*section.path, role_key)
        line = where.line(path)
        role = defined().find(role_key)
        if role is None:
            names = either(list(defined().names))
            problems.append(
                Problem(line, path, f"unknown role {role_key!r} ({names})", INVALID_INPUT)
            )
            continue
        if role in role_keys:
            problems.append(
                Problem(
                    line,
                    path,
                    f"role {role.name} is listed twice ({_first(role_keys[role], where)})",
                    INVALID_INPUT,
                )
            )
            continue
        role_keys[role] = path
        if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
            problems.append(
                Problem(line, path, f"{role_key} must be a list of e-mail addresses", INVALID_INPUT)
            )
            continue
        certain = where.lengths.get(path) == len(emails)
        entries = []
        for index, given in enumerate(emails):
            entry_path = (*path, index)
            entry = Entry(given.strip(), where.line(entry_path) if certain else None, entry_path)
            if not is_valid_email(entry.email):
                problems.append(
                    Problem(
                        entry.line,
                        entry_path,
                        f"not a valid e-mail address: {entry.email!r}",
                        INVALID_INPUT,
                    )
                )
                continue
            key = f"{role.name}:{entry.email.lower()}"
            duplicate = seen.get(key)
            if duplicate is not None:
                problems.append(
                    Problem(
                        entry.line,
                        entry_path,
                        f"{entry.email} is listed twice ({_first(duplicate.path, where)})",
                        INVALID_INPUT,
                    )
                )
                continue
            seen[key] = entry
            entries.append(entry)
        section.roles[role] = entries
    return problems


def _first(path: KeyPath, where: Locations) -> str:
    """Where the first of two is: its line when certain, else its key path."""
    line = where.line(path)
    return f"first on line {line}" if line is not None else f"first as {key_path(path)}"


# --- where each key and entry begins ----------------------------------------------------


@dataclass
class Locations:
    """The line on which each key path first appears, and the length of each array."""

    lines: dict[KeyPath, int] = field(default_factory=dict)
    lengths: dict[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        return self.lines.get(path)


class _Unexpected(Exception):
    """The walk met something it does not know: no line is certain then."""


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_LITERAL = re.compile(r"'([^'\n]*)'")
_MULTI_BASIC = re.compile(r'"""(?:[^\\]|\\.)*?""""{0,2}', re.DOTALL)
_MULTI_LITERAL = re.compile(r"'''.*?''''{0,2}", re.DOTALL)
_SCALAR = re.compile(r"[^,\]}\n#]+")
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return _ESCAPE.sub(one, text)


def locate(text: str) -> Locations:
    """The line of every table, key and array entry of a TOML text tomllib accepted (none
    at all if the walk meets something unexpected)."""
    walk = _Walk(text)
    try:
        walk.document()
    except (_Unexpected, IndexError, ValueError):
        return Locations()
    return walk.found


class _Walk:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.found = Locations()
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self.table_arrays: dict[KeyPath, int] = {}

    def note(self, path: KeyPath, at: int) -> None:
        line = bisect.bisect_right(self.starts, at)
        for end in range(1, len(path) + 1):
            self.found.lines.setdefault(path[:end], line)

    def blanks(self, newlines: bool = False) -> None:
        """Skip blanks (and with ``newlines`` also line ends and comments)."""
        text = self.text
        while self.pos < len(text):
            char = text[self.pos]
            if char in " \t" or (newlines and char in "\r\n"):
                self.pos += 1
            elif newlines and char == "#":
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end
            else:
                return

    def expect(self, token: str) -> None:
        if not self.text.startswith(token, self.pos):
            raise _Unexpected(self.pos)
        self.pos += len(token)

    def document(self) -> None:
        table: KeyPath = ()
        while True:
            self.blanks(newlines=True)
            if self.pos >= len(self.text):
                return
            at = self.pos
            if self.text.startswith("[[", at):
                self.pos += 2
                keys = self.keys()
                self.expect("]]")
                index = self.table_arrays.get(keys, -1) + 1
                self.table_arrays[keys] = index
                table = (*keys, index)
                self.note(table, at)
            elif self.text[at] == "[":
                self.pos += 1
                table = self.keys()
                self.expect("]")
                self.note(table, at)
            else:
                self.pair(table)

    def pair(self, table: KeyPath) -> None:
        at = self.pos
        path = (*table, *self.keys())
        self.expect("=")
        self.blanks()
        self.note(path, at)
        self.value(path)

    def keys(self) -> KeyPath:
        keys: list[str] = []
        while True:
            self.blanks()
            for pattern, convert in ((_BASIC, _unescape), (_LITERAL, str), (_BARE, str)):
                match = pattern.match(self.text, self.pos)
                if match is not None:
                    keys.append(convert(match.group(1) if match.groups() else match.group()))
                    self.pos = match.end()
                    break
            else:
                raise _Unexpected(self.pos)
            self.blanks()
            if not self.text.startswith(".", self.pos):
                return tuple(keys)
            self.pos += 1

    def value(self, path: KeyPath) -> None:
        text, pos = self.text, self.pos
        if text.startswith("[", pos):
            self.array(path)
        elif text.startswith("{", pos):
            self.inline_table(path)
        else:
            for pattern in (_MULTI_BASIC, _MULTI_LITERAL, _BASIC, _LITERAL, _SCALAR):
                match = pattern.match(text, pos)
                if match is not None:
                    self.pos = match.end()
                    return
            raise _Unexpected(pos)

    def array(self, path: KeyPath) -> None:
        self.expect("[")
        count = 0
        while True:
            self.blanks(newlines=True)
            if self.text.startswith("]", self.pos):
                break
            entry = (*path, count)
            self.note(entry, self.pos)
            self.value(entry)
            count += 1
            self.blanks(newlines=True)
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif not self.text.startswith("]", self.pos):
                raise _Unexpected(self.pos)
        self.pos += 1
        self.found.lengths[path] = count

    def inline_table(self, path: KeyPath) -> None:
        self.expect("{")
        self.blanks()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return
        while True:
            self.pair(path)
            self.blanks()
            if self.text.startswith(",", self.pos):
                self.pos += 1
            elif self.text.startswith("}", self.pos):
                self.pos += 1
                return
            else:
                raise _Unexpected(self.pos)
