"""Hostile input, found by hypothesis (docs/reliability.md).

Arbitrary text and bytes, and near-misses of what is valid, go to the CSV importer, the
``--file`` reader, the TOML policy and apply files, TIME and DURATION options and e-mail
arguments. Whatever comes in, the command ends in success or in its documented refusal (exit
2, or 3 for an unknown contact or organisation) with one ``Error:`` line and no traceback, and
a refused command changes nothing. Names full of quotes, semicolons, rich markup, control
characters and right-to-left text are stored and shown exactly.

Each example gets a fresh copy of the session's small store (``store_template``), in a
temporary folder of its own: hypothesis examples and function-scoped fixtures don't mix.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Cli, Run, dump
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from reliability_support import FIGURES

from incidentctl.csvcells import neutralise, restore
from incidentctl.output import printable

# Modest for CI; INCIDENTCTL_HOSTILE_EXAMPLES=2000 searches deeper on a quiet machine.
EXAMPLES = int(os.environ.get("INCIDENTCTL_HOSTILE_EXAMPLES", "60"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KNOWN = ("jan@acme.nl", "piet@acme.nl", "admin@acme.nl", "gina@globex.nl")


@contextmanager
def fresh_store(template: Path, tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """(a copy of the template store, a folder for input files), removed afterwards."""
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        db = Path(folder) / "store.db"
        shutil.copy2(template, db)
        yield db, Path(folder)


def invoke(db: Path, *args: str) -> Run:
    return Cli()("--db", str(db), *args)


def count_events(db: Path, *actions: str) -> int:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        marks = ", ".join("?" * len(actions))
        return int(
            conn.execute(
                f"SELECT count(*) FROM events WHERE action IN ({marks})", actions
            ).fetchone()[0]
        )
    finally:
        conn.close()


def ends_cleanly(run: Run, allowed: set[int], db: Path, before: str) -> None:
    """Success, or a documented refusal: one Error line, no traceback, nothing changed."""
    event(f"exit {run.exit_code}")
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    assert run.exit_code in allowed, f"exit {run.exit_code}\n{run.stdout}\n{run.stderr}"
    if run.exit_code == 0:
        assert not run.error_lines, run.stderr
    else:
        run.failed(run.exit_code)
        assert dump(db) == before, "a refused command changed the store"


# --- strategies -----------------------------------------------------------------------------------

# Characters that mean something to CSV, TOML, SQL, rich, terminals or e-mail parsers.
SPECIAL = list(",;\"'`\\[]{}()=#@.:+-_*/ \t\n\r\x00\x1b\x7f\x85\u200b\u2028\u202e\ufeff")
TOKEN_TEXT = st.text(alphabet=st.sampled_from([*SPECIAL, *"aAzZ0179éß漢"]), max_size=80) | st.text(
    max_size=80
)
RAW_BYTES = st.binary(max_size=200)
EMAILISH = st.builds(
    lambda local, domain, case: (local + "@" + domain).upper() if case else local + "@" + domain,
    st.text(alphabet=st.sampled_from([*"ajz09._+-'!#", *SPECIAL]), max_size=12),
    st.text(alphabet=st.sampled_from([*"acmez09.-", *SPECIAL]), max_size=12),
    st.booleans(),
)
EMAILS = st.sampled_from([*KNOWN, "JAN@ACME.NL", " piet@acme.nl ", "new@acme.nl"]) | EMAILISH
EMAIL_TEXT = EMAILS | TOKEN_TEXT


def encoded(text: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return text.map(lambda t: t.encode("utf-8", "surrogatepass"))


@st.composite
def contacts_csv(draw: st.DrawFn) -> tuple[bytes, list[dict[str, str]] | None]:
    """A CSV for ``contacts import``: near-valid with hostile cells (its rows returned), or
    anything at all (None)."""
    if draw(st.integers(0, 3)) == 0:
        return draw(RAW_BYTES | encoded(TOKEN_TEXT)), None
    optional = draw(
        st.lists(st.sampled_from(["portal_admin", "expert_until", "active"]), unique=True)
    )
    columns = draw(st.permutations(["email", "org", "name", *optional]))
    if draw(st.integers(0, 9)) == 0:
        columns = [*columns, draw(st.sampled_from(["email", "bogus", "", "Name"]))]
    cells = {
        "email": EMAILS | TOKEN_TEXT,
        "org": st.sampled_from(["1001", "2002", "9999", " 1001 "]) | TOKEN_TEXT,
        "name": st.sampled_from(["Kees", "O'Brien; DROP TABLE contacts;--"]) | TOKEN_TEXT,
        "portal_admin": st.sampled_from(["true", "No", "1", "", "maybe"]) | TOKEN_TEXT,
        "expert_until": st.sampled_from(["2030-01-01", "", "2030-02-30", "none"]) | TOKEN_TEXT,
        "active": st.sampled_from(["yes", "FALSE", "0", ""]) | TOKEN_TEXT,
    }
    rows = draw(
        st.lists(
            st.fixed_dictionaries({c: cells.get(c, TOKEN_TEXT) for c in set(columns)}), max_size=4
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
    )
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[c] for c in columns])
    return buffer.getvalue().encode("utf-8", "surrogatepass"), rows


@st.composite
def emails_file(draw: st.DrawFn) -> bytes:
    """A ``--file`` for grant: e-mail lines, a CSV with an email column, or anything."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(RAW_BYTES | encoded(TOKEN_TEXT))
    lines = draw(st.lists(EMAIL_TEXT, max_size=5))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    if kind == 1:
        head = draw(st.sampled_from([[], ["email"], ["EMAIL"]]))
        return ending.join([*head, *lines]).encode("utf-8", "surrogatepass")
    header = draw(st.sampled_from(["email,note", "note,Email", "e-mail,note", "email"]))
    body = [f"{line},{draw(TOKEN_TEXT)}" if draw(st.booleans()) else line for line in lines]
    return ending.join([header, *body]).encode("utf-8", "surrogatepass")


TOML_VALUE = st.one_of(
    st.integers(-5, 10**10).map(str),
    st.sampled_from(["0", "3", "-1", "1.5", "true", '"3"', "[]", "{}", "1e3", "0x10", "inf"]),
    TOKEN_TEXT.map(lambda t: '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'),
)


@st.composite
def policy_toml(draw: st.DrawFn) -> bytes:
    """A policy: bands with odd numbers, sectors with odd names, stray keys, or anything."""
    if draw(st.integers(0, 3)) == 0:
        return draw(RAW_BYTES | encoded(TOKEN_TEXT))

    def bands() -> str:
        items = draw(st.lists(st.tuples(TOML_VALUE, TOML_VALUE), min_size=0, max_size=4))
        if draw(st.booleans()):
            items = [("0", "2"), *items]
        return ", ".join(f"{{ from_employees = {a}, maximum = {b} }}" for a, b in items)

    lines = [f"bands = [{bands()}]"] if draw(st.integers(0, 5)) else []
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(["zorg", "Zorg", "a b", ""]) | TOKEN_TEXT)
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines += [f"[sectors.{quoted}]", f"bands = [{bands()}]"]
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(TOKEN_TEXT))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def apply_toml(draw: st.DrawFn) -> bytes:
    """An apply file: odd organisations, role keys and addresses, or anything."""
    if draw(st.integers(0, 3)) == 0:
        return draw(RAW_BYTES | encoded(TOKEN_TEXT))
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        org = draw(st.sampled_from(["1001", "2002", "9999", "'1001'", "1001.x"]) | TOKEN_TEXT)
        if not org.startswith("'") and "." not in org:
            org = '"' + org.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"[organisations.{org}]")
        for _ in range(draw(st.integers(0, 3))):
            role = draw(
                st.sampled_from(["submitter", "manager", "Incidentenbeheer", "bogus", '"x y"'])
            )
            emails = draw(st.lists(EMAILS | TOKEN_TEXT, max_size=4))
            quoted = ", ".join(
                '"' + e.replace("\\", "\\\\").replace('"', '\\"') + '"' for e in emails
            )
            value = f"[{quoted}]" if draw(st.integers(0, 5)) else draw(TOML_VALUE)
            lines.append(f"{role} = {value}")
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), draw(TOKEN_TEXT))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


ISO_LIKE = st.builds(
    lambda y, mo, d, h, mi, sep, zone: f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}{zone}",
    st.integers(1, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.integers(0, 61),
    st.sampled_from(["T", " ", "t"]),
    st.sampled_from(["", "Z", "+00:00", "+01:00", "-05:00", "+14:00", "-23:59", "+24:00"]),
)
RELATIVE = st.builds(
    lambda sign, n, unit: f"{sign}{n}{unit}",
    st.sampled_from(["+", "-", "", "++"]),
    st.integers(0, 10**13),
    st.sampled_from(["s", "m", "h", "d", "w", "", "M"]),
)
EXTREMES = st.sampled_from(
    [
        "9999-12-31T23:59:59+00:00",
        "9999-12-31T23:59",
        "9999-12-31",
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:30",
        "+36600d",
        "-36600d",
        "+36601d",
        "2024-03-31T02:30",  # in the daylight-saving gap of Europe/Amsterdam
        "2024-10-27T02:30",  # in the hour that happens twice
        "now",
        "NOW",
        "",
        " ",
        "10",
    ]
)
TIMES = EXTREMES | ISO_LIKE | RELATIVE | TOKEN_TEXT
DURATIONS = (
    st.builds(
        lambda n, unit, pad: f"{pad}{n}{unit}{pad}",
        st.integers(0, 10**13),
        st.sampled_from(["s", "m", "h", "d", "", "w", "D", "ms"]),
        st.sampled_from(["", " ", "\t"]),
    )
    | st.sampled_from(["36600d", "36601d", "52704000m", "0s", "-1m", "+1m", "1.5h", "1h30m"])
    | TOKEN_TEXT
)


# --- files ----------------------------------------------------------------------------------------


@SETTINGS
@given(contacts_csv())
def test_any_contacts_csv_imports_exactly_or_is_refused_cleanly(
    store_template: Path, tmp_path: Path, given_csv: tuple[bytes, list[dict[str, str]] | None]
) -> None:
    data, rows = given_csv
    with fresh_store(store_template, tmp_path) as (db, folder):
        path = folder / "contacts.csv"
        path.write_bytes(data)
        before = dump(db)

        run = invoke(db, "contacts", "import", str(path), "--json")

        ends_cleanly(run, {0, 2, 3}, db, before)
        if run.exit_code == 0 and rows:
            for row in rows:
                shown = invoke(db, "contacts", "show", row["email"], "--json").json()
                assert isinstance(shown, dict)
                assert shown["name"] == row["name"], "names are stored exactly"
                assert shown["org"] == row["org"].strip()
    FIGURES["hostile: contacts import inputs"] += 1


@SETTINGS
@given(emails_file())
def test_any_grant_file_grants_exactly_or_is_refused_cleanly(
    store_template: Path, tmp_path: Path, data: bytes
) -> None:
    with fresh_store(store_template, tmp_path) as (db, folder):
        path = folder / "emails.txt"
        path.write_bytes(data)
        before = dump(db)
        grants = count_events(db, "grant")

        run = invoke(db, "grant", "manager", "--file", str(path), "--json")

        ends_cleanly(run, {0, 2, 3}, db, before)
        if run.stdout:  # a refused batch still prints its document (docs/json.md)
            document = run.json()
            assert isinstance(document, dict)
            assert document["applied"] is (run.exit_code == 0)
            assert count_events(db, "grant") - grants == (
                document["summary"]["granted"] if run.exit_code == 0 else 0
            )
    FIGURES["hostile: grant --file inputs"] += 1


@SETTINGS
@given(policy_toml())
def test_any_policy_file_loads_exactly_or_is_refused_cleanly(
    store_template: Path, tmp_path: Path, data: bytes
) -> None:
    with fresh_store(store_template, tmp_path) as (db, folder):
        path = folder / "policy.toml"
        path.write_bytes(data)
        before = dump(db)

        run = invoke(db, "policy", "load", str(path), "--json")

        ends_cleanly(run, {0, 2}, db, before)
        if run.exit_code == 0:
            document = tomllib.loads(data.decode("utf-8-sig"))  # a BOM is accepted
            shown = invoke(db, "policy", "show", "--json").json()
            assert isinstance(shown, dict)
            assert shown["policy"]["bands"] == document["bands"]
            assert set(shown["policy"].get("sectors", {})) == set(document.get("sectors", {}))
            assert invoke(db, "quota", "--json").exit_code == 0, "the policy is usable"
    FIGURES["hostile: policy load inputs"] += 1


@SETTINGS
@given(apply_toml(), st.booleans())
def test_any_apply_file_applies_exactly_or_is_refused_cleanly(
    store_template: Path, tmp_path: Path, data: bytes, prune: bool
) -> None:
    with fresh_store(store_template, tmp_path) as (db, folder):
        path = folder / "roles.toml"
        path.write_bytes(data)
        before = dump(db)
        changes = count_events(db, "grant", "revoke")

        run = invoke(db, "apply", str(path), "--json", *(["--prune"] if prune else []))

        ends_cleanly(run, {0, 2, 3, 5}, db, before)
        if run.exit_code == 0:
            plan = run.json()
            assert isinstance(plan, dict)
            done = count_events(db, "grant", "revoke") - changes
            assert done == len(plan["grant"]) + len(plan["revoke"])
    FIGURES["hostile: apply inputs"] += 1


# --- TIME and DURATION ----------------------------------------------------------------------------

TIME_COMMANDS: dict[str, tuple[tuple[str, ...], set[int]]] = {
    "--now": (("--now", "{}", "quota", "1001", "--json"), {0, 2}),
    "check --at": (("check", "jan@acme.nl", "--at", "{}", "--json"), {0, 2, 4}),
    "clock set": (("clock", "set", "{}", "--json"), {0, 2}),
    "log --since": (("log", "--since", "{}", "--json"), {0, 2}),
    "settings set enforcement_date": (("settings", "set", "enforcement_date", "{}"), {0, 2}),
    "clock advance": (("clock", "advance", "{}", "--json"), {0, 2}),
    "settings set propagation_delay": (("settings", "set", "propagation_delay", "{}"), {0, 2}),
}
DURATION_COMMANDS = {"clock advance", "settings set propagation_delay"}
# After a TIME or DURATION was accepted, the store must still serve every kind of command.
AFTERWARDS = (
    ("quota", "1001", "--json"),
    ("check", "jan@acme.nl", "--json"),
    ("grant", "submitter", "jan@acme.nl", "--dry-run", "--json"),
    ("pending", "--json"),
    ("recount", "--json"),
    ("log", "--limit", "1"),
    ("clock", "show"),
)


@SETTINGS
@given(st.sampled_from(sorted(TIME_COMMANDS)), st.data())
def test_any_time_or_duration_is_accepted_and_usable_or_refused_cleanly(
    store_template: Path, tmp_path: Path, command: str, data: st.DataObject
) -> None:
    text = data.draw(DURATIONS if command in DURATION_COMMANDS else TIMES, label="text")
    args, allowed = TIME_COMMANDS[command]
    with fresh_store(store_template, tmp_path) as (db, _):
        before = dump(db)

        run = invoke(db, *(text if arg == "{}" else arg for arg in args))

        if command == "check --at" and run.exit_code == 4:  # may not submit then: an answer
            assert run.json()["submit"]["allowed"] is False  # type: ignore[index]
        else:
            ends_cleanly(run, allowed, db, before)
        if run.exit_code in (0, 4):
            for after in AFTERWARDS:
                later = invoke(db, *after)
                assert later.exit_code in (0, 4), f"{after}: exit {later.exit_code}\n{later.stderr}"
                assert "Traceback" not in later.stderr
    FIGURES["hostile: TIME and DURATION inputs"] += 1


@pytest.mark.parametrize("text", ["", " ", "10", "-5", "1.5", "10 m", "tomorrow", "2024-13-01"])
def test_empty_bare_numbers_and_words_are_not_times(
    store_template: Path, tmp_path: Path, text: str
) -> None:
    with fresh_store(store_template, tmp_path) as (db, _):
        invoke(db, "check", "jan@acme.nl", "--at", text).failed(2)
        invoke(db, "clock", "advance", text).failed(2)


# --- e-mail arguments -----------------------------------------------------------------------------

EMAIL_COMMANDS: dict[str, tuple[tuple[str, ...], set[int]]] = {
    "contacts add": (("contacts", "add", "{}", "--org", "1001", "--name", "Kees"), {0, 2}),
    "contacts set": (("contacts", "set", "{}", "--name", "Kees"), {0, 2, 3}),
    "contacts show": (("contacts", "show", "{}", "--json"), {0, 2, 3}),
    "grant": (("grant", "submitter", "{}", "--json"), {0, 2, 3}),
    "revoke": (("revoke", "manager", "{}"), {0, 2, 3}),
    "check": (("check", "{}", "--json"), {0, 2, 3, 4}),
    "login": (("login", "{}"), {0, 2, 3}),
    # A contact of another organisation than 1001 is told that 1001 does not exist (3).
    "--as": (("--as", "{}", "quota", "1001", "--json"), {0, 2, 3, 4}),
    "log --contact": (("log", "--contact", "{}", "--json"), {0, 2}),
}


@SETTINGS
@given(st.sampled_from(sorted(EMAIL_COMMANDS)), EMAIL_TEXT)
def test_any_email_argument_is_used_exactly_or_refused_cleanly(
    store_template: Path, tmp_path: Path, command: str, email: str
) -> None:
    args, allowed = EMAIL_COMMANDS[command]
    with fresh_store(store_template, tmp_path) as (db, _):
        before = dump(db)

        run = invoke(db, *(email if arg == "{}" else arg for arg in args))

        if command == "check" and run.exit_code == 4 and run.stdout:  # an answer, not an error
            assert run.json()["submit"]["allowed"] is False  # type: ignore[index]
        else:
            ends_cleanly(run, allowed, db, before)
        if command == "--as" and run.exit_code == 3:
            assert run.error_lines == ["Error: no organisation '1001'"], run.stderr
        if command == "contacts add" and run.exit_code == 0:
            shown = invoke(db, "contacts", "show", email.strip(), "--json").json()
            assert isinstance(shown, dict)
            assert shown["email"].lower() == email.strip().lower()
    FIGURES["hostile: e-mail arguments"] += 1


# --- whole numbers --------------------------------------------------------------------------------

NUMBER_COMMANDS: dict[str, tuple[tuple[str, ...], set[int]]] = {
    "org add --employees": (("org", "add", "3003", "--name", "X", "--employees", "{}"), {0, 2}),
    "org set --employees": (("org", "set", "1001", "--employees", "{}"), {0, 2}),
    "org set --quota": (("org", "set", "1001", "--quota", "{}", "--reason", "r"), {0, 2}),
    "log --limit": (("log", "--limit", "{}", "--json"), {0, 2}),
    "readiness --days": (("readiness", "--days", "{}", "--json"), {0, 2}),
}
NUMBERS = (
    st.integers(-(2**70), 2**70).map(str)
    | st.sampled_from(["0", "-0", "1e3", "1_000", "0x10", " 7", "9" * 30, "", "+5"])
    | TOKEN_TEXT
)


@SETTINGS
@given(st.sampled_from(sorted(NUMBER_COMMANDS)), NUMBERS)
def test_any_whole_number_option_is_used_or_refused_cleanly(
    store_template: Path, tmp_path: Path, command: str, number: str
) -> None:
    args, allowed = NUMBER_COMMANDS[command]
    with fresh_store(store_template, tmp_path) as (db, _):
        before = dump(db)

        run = invoke(db, *(number if arg == "{}" else arg for arg in args))

        ends_cleanly(run, allowed, db, before)
        if run.exit_code == 0:
            assert invoke(db, "quota", "--json").exit_code == 0, "the store is still usable"
    FIGURES["hostile: whole-number options"] += 1


# --- names are stored and shown exactly -----------------------------------------------------------

AWKWARD_NAMES = (
    'O\'Brien "Bob"; DROP TABLE contacts;--',
    "[bold red]Alarm[/bold red] [link=https://example.com]klik[/link] [/]",
    "\\[escaped] :smile: %s {0} $(rm -rf /)",
    "\x1b[31mred\x1b[0m and a bell\x07",
    "שלום עולם",  # Hebrew, right to left
    "مرحبا بالعالم",  # Arabic
    "\u202eevil\u202c reversed",
    "Zoë van 't Hof-Ünal",
    "tab\there\nnew line\r\n",
    "zero\u200bwidth\u2028line separator",
    "  leading and trailing  ",
)
NAMES = st.sampled_from(AWKWARD_NAMES) | st.text(min_size=1, max_size=60).filter(str.strip)


def human_value(stdout: str, label: str, anchor: str) -> str:
    """The value of ``Label:   value`` in the plain output of a show command. Values start in
    one column, found on the line of ``anchor`` (whose value has no leading blanks): a
    name's own leading blanks are part of it."""
    lines = {text.split(":", 1)[0]: text for text in stdout.split("\n") if ":" in text}
    # (split on "\n", not splitlines(): a name may hold U+2028, a line break to Python)
    anchored = lines[anchor]
    column = len(anchored) - len(anchored[len(anchor) + 1 :].lstrip(" "))
    return lines[label][column:]


def csv_listing(db: Path) -> list[dict[str, str]]:
    """``contacts list --csv``, read from its bytes (the text folds CR LF into LF)."""
    run = Cli().ok("--db", str(db), "contacts", "list", "--csv")
    return list(csv.DictReader(io.StringIO(run.stdout_bytes.decode("utf-8"), newline="")))


def refused_text(text: str) -> bool:
    """Whether free text holds what names may not (docs/concepts.md, "Text"): a control
    character other than TAB, or a Unicode direction control."""
    return any(
        (ord(char) < 0x20 and char != "\t")
        or 0x202A <= ord(char) <= 0x202E
        or 0x2066 <= ord(char) <= 0x2069
        for char in text
    )


@SETTINGS
@given(NAMES)
def test_awkward_names_are_stored_and_shown_exactly(
    store_template: Path, tmp_path: Path, name: str
) -> None:
    with fresh_store(store_template, tmp_path) as (db, _):
        if refused_text(name):
            before = dump(db)
            add = ("contacts", "add", "kees@acme.nl", "--org", "1001", "--name", name)
            assert "U+" in invoke(db, *add).failed(2)
            invoke(db, "org", "add", "3003", "--name", name, "--employees", "3").failed(2)
            assert dump(db) == before
            event("refused: a control or direction character")
            return
        added = invoke(db, "contacts", "add", "kees@acme.nl", "--org", "1001", "--name", name)
        assert added.exit_code == 0, added.stderr
        assert invoke(db, "org", "add", "3003", "--name", name, "--employees", "3").exit_code == 0

        # JSON, CSV and the audit log give the name back exactly.
        shown = invoke(db, "contacts", "show", "kees@acme.nl", "--json").json()
        assert isinstance(shown, dict)
        assert shown["name"] == name
        listed = invoke(db, "contacts", "list", "--org", "1001", "--json").json()
        assert isinstance(listed, list)
        assert [row["name"] for row in listed if row["email"] == "kees@acme.nl"] == [name]
        if "\r" not in name:  # see test_a_carriage_return_survives_the_csv_listing
            rows = csv_listing(db)
            # Exactly, but for the quote that keeps a spreadsheet from running a formula.
            cells = [row["name"] for row in rows if row["email"] == "kees@acme.nl"]
            assert cells == [neutralise(name)]
            assert [restore(cell) for cell in cells] == [name]
        org = invoke(db, "org", "show", "3003", "--json").json()
        assert isinstance(org, dict)
        assert org["name"] == name
        logged = invoke(db, "log", "--contact", "kees@acme.nl", "--json").json()
        assert isinstance(logged, list)
        assert logged[-1]["after"]["name"] == name

        # People see it as it is, control characters escaped (\x1b), no markup interpreted.
        expected = printable(name)
        human: dict[str, str] = {
            "contacts show": invoke(db, "contacts", "show", "kees@acme.nl").stdout,
            "org show": invoke(db, "org", "show", "3003").stdout,
            "contacts list": invoke(db, "contacts", "list", "--org", "1001").stdout,
            "org list": invoke(db, "org", "list").stdout,
        }
        assert human_value(human["contacts show"], "Name", "Contact") == expected
        assert human_value(human["org show"], "Name", "Organisation") == expected
        for command, stdout in human.items():
            assert expected.strip() in stdout, f"{command} does not show {expected!r}:\n{stdout}"
            assert "\x1b" not in stdout, f"{command} let an escape sequence through"
    FIGURES["hostile: awkward names"] += 1


def test_a_blank_or_overlong_name_is_refused(store_template: Path, tmp_path: Path) -> None:
    with fresh_store(store_template, tmp_path) as (db, _):
        for name in ("", "   ", "\t\n", "x" * 501, "a\x00b", "\u2066x"):
            invoke(db, "contacts", "add", "kees@acme.nl", "--org", "1001", "--name", name).failed(2)


def test_a_carriage_return_survives_the_csv_listing(store_template: Path, tmp_path: Path) -> None:
    """Names are refused with a carriage return now, but a store written before may hold one."""
    import sqlite3

    with fresh_store(store_template, tmp_path) as (db, _):
        name = "Kees\rde Vries"
        invoke(db, "contacts", "add", "kees@acme.nl", "--org", "1001", "--name", "Kees")
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("UPDATE contacts SET name = ? WHERE email = 'kees@acme.nl'", (name,))
        conn.close()
        rows = csv_listing(db)
        assert [row["name"] for row in rows if row["email"] == "kees@acme.nl"] == [name]
