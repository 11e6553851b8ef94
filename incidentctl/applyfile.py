"""The desired-state file of ``apply`` (SPEC §4): which contacts of each organisation
should hold each role, read from TOML with the line of every entry, so errors can name it.

    [organisations."1001"]
    submitter = ["jan@acme.nl", "piet@acme.nl"]
    manager = ["els@acme.nl"]

tomllib checks the syntax; a small scanner of the same text finds the line of each table,
key and string, matched to the parsed values by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from incidentctl import files
from incidentctl.domain import Role, is_valid_email, parse_role
from incidentctl.errors import INVALID_INPUT, InvalidInput


class Entry(NamedTuple):
    """One e-mail listed for a role, with the line it is on."""

    email: str
    line: int


@dataclass
class OrgSection:
    """The roles one organisation's table lists (a role missing from it is left alone)."""

    org_id: str
    line: int
    roles: dict[Role, list[Entry]] = field(default_factory=dict)


class Problem(NamedTuple):
    """Something wrong with the file: where, what, and the exit code it leads to."""

    line: int
    message: str
    exit_code: int


_KEY = r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_-]+'
_HEADER = re.compile(rf"\s*\[\s*(?P<table>{_KEY})\s*(?:\.\s*(?P<key>{_KEY})\s*)?\]")
_ASSIGN = re.compile(rf"\s*(?P<key>{_KEY})\s*=")
_ARRAY_HEADER = re.compile(rf"\s*\[\[\s*(?P<table>{_KEY})")
# tomllib's messages end in "(at line L, column C)" or "(at end of document)".
_TOML_WHERE = re.compile(
    r"\s*\(at (?:line (?P<line>\d+), column (?P<column>\d+)|end of document)\)$"
)


def _unquote(key: str) -> str:
    if key.startswith('"'):
        import json

        try:
            return str(json.loads(key))
        except ValueError:
            return key[1:-1]
    if key.startswith("'"):
        return key[1:-1]
    return key


def _strings(text: str) -> list[str]:
    """The string literals on a line, up to a comment."""
    found = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            break
        if char in "\"'":
            end = i + 1
            while end < len(text) and text[end] != char:
                end += 2 if char == '"' and text[end] == "\\" else 1
            found.append(_unquote(text[i : end + 1]))
            i = end + 1
            continue
        i += 1
    return found


@dataclass
class _Lines:
    top: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    keys: dict[tuple[str, str], int] = field(default_factory=dict)
    strings: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def _scan(text: str) -> _Lines:
    lines = _Lines()
    table: str | None = None  # the top-level table of the current section, None before any
    org: str | None = None
    key: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        array_header = _ARRAY_HEADER.match(line)
        if array_header:
            table, org, key = _unquote(array_header["table"]), None, None
            lines.top.setdefault(table, number)
            continue
        header = _HEADER.match(line)
        if header:
            table, sub = _unquote(header["table"]), header["key"]
            lines.top.setdefault(table, number)
            org = _unquote(sub) if table == "organisations" and sub else None
            if org is not None:
                lines.tables.setdefault(org, number)
            key = None
            continue
        rest = line
        assign = _ASSIGN.match(line)
        if assign and table is None:
            lines.top.setdefault(_unquote(assign["key"]), number)
        elif assign and table == "organisations" and org is None:
            # [organisations] with inline tables: ID = { submitter = [...] }
            lines.tables.setdefault(_unquote(assign["key"]), number)
        if assign and org is not None:
            key = _unquote(assign["key"])
            lines.keys.setdefault((org, key), number)
            rest = line[assign.end() :]
        if org is not None and key is not None:
            for _ in _strings(rest):
                lines.strings.setdefault((org, key), []).append(number)
    return lines


def parse(data: bytes, source: str) -> tuple[list[OrgSection], list[Problem]]:
    """The organisations of the file and every problem of form (not of content: whether
    contacts exist is the service's question). Raises InvalidInput for bad TOML."""
    import tomllib

    text = files.decode(data, source)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(_toml_error(str(exc), text, source)) from exc
    lines = _scan(text)
    problems: list[Problem] = []
    for key in document:
        if key != "organisations":
            problems.append(
                Problem(
                    lines.top.get(key, 1),
                    f"unknown top-level key {key!r} (expected [organisations.ID])",
                    INVALID_INPUT,
                )
            )
    organisations: Any = document.get("organisations", {})
    if not isinstance(organisations, dict):
        problems.append(
            Problem(
                lines.top.get("organisations", 1),
                "'organisations' must be a table of organisations",
                INVALID_INPUT,
            )
        )
        organisations = {}
    sections: list[OrgSection] = []
    for org_id, roles in organisations.items():
        section = OrgSection(org_id, lines.tables.get(org_id, 1))
        if not isinstance(roles, dict):
            problems.append(
                Problem(section.line, f"organisation {org_id!r} must be a table", INVALID_INPUT)
            )
            continue
        seen: dict[str, int] = {}
        role_lines: dict[Role, int] = {}
        for role_key, emails in roles.items():
            key_line = lines.keys.get((org_id, role_key), section.line)
            try:
                role = parse_role(role_key)
            except InvalidInput:
                problems.append(
                    Problem(
                        key_line, f"unknown role {role_key!r} (submitter or manager)", INVALID_INPUT
                    )
                )
                continue
            if role in role_lines:
                problems.append(
                    Problem(
                        key_line,
                        f"role {role.value} is listed twice (first on line {role_lines[role]})",
                        INVALID_INPUT,
                    )
                )
                continue
            role_lines[role] = key_line
            if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
                problems.append(
                    Problem(
                        key_line, f"{role_key} must be a list of e-mail addresses", INVALID_INPUT
                    )
                )
                continue
            string_lines = lines.strings.get((org_id, role_key), [])
            if len(string_lines) != len(emails):
                string_lines = [key_line] * len(emails)  # an unusual layout: name the key
            entries = []
            for email, line in zip(emails, string_lines, strict=True):
                email = email.strip()
                if not is_valid_email(email):
                    problems.append(
                        Problem(line, f"not a valid e-mail address: {email!r}", INVALID_INPUT)
                    )
                    continue
                duplicate = seen.get(f"{role.value}:{email.lower()}")
                if duplicate is not None:
                    problems.append(
                        Problem(
                            line,
                            f"{email} is listed twice (first on line {duplicate})",
                            INVALID_INPUT,
                        )
                    )
                    continue
                seen[f"{role.value}:{email.lower()}"] = line
                entries.append(Entry(email, line))
            section.roles[role] = entries
        sections.append(section)
    return sections, problems


def _toml_error(message: str, text: str, source: str) -> str:
    """tomllib's message in the form of every file error: ``FILE, line N: …``."""
    where = _TOML_WHERE.search(message)
    if where is None:
        return f"{source}: not valid TOML: {message}"
    what = message[: where.start()]
    if where["line"] is None:  # at the end of the file: name its last line
        last = max(1, len(text.splitlines()))
        return files.at_line(source, last, f"not valid TOML: {what} (at the end of the file)")
    return files.at_line(
        source, int(where["line"]), f"not valid TOML: {what} (column {where['column']})"
    )
