"""Human output that tells the truth (docs/concepts.md, "Output"): the latest 50 events in a
terminal with a footer, empty results said in words, every time in the store's timezone in one
format, both names of a role, and no text that can reorder or restyle a terminal."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from conftest import Cli, events

from incidentctl import output
from incidentctl.errors import INVALID_INPUT

TERMINAL: dict[str, str | None] = {output.FORCE_TTY: "200", "NO_COLOR": "1"}
LOCAL_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z]{3,4}")
UTC_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def many_events(cli: Cli, count: int) -> None:
    for n in range(count):
        cli.ok("--now", f"+{n}s", "login", "koen@snel.nl")


# --- log: the latest 50 in a terminal -----------------------------------------------------


def test_log_in_a_terminal_shows_the_latest_50_and_says_how_to_see_more(
    demo: Cli, db_path: Path
) -> None:
    many_events(demo, 60)
    total = len(events(db_path))
    text = demo.ok("log", env=TERMINAL).stdout
    lines = text.splitlines()
    assert lines[-1] == (
        "Showing the latest 50 events: --limit N shows the latest N, --all every one."
    )
    rows = [line for line in lines[2:-1] if LOCAL_TIME.match(line)]
    assert len(rows) == 50
    last = demo.json("log", "--limit", "1")[0]
    assert rows[-1].split()[3] == last["actor"], "the newest event is the last row"
    everything = demo.ok("log", "--all", env=TERMINAL).stdout
    assert len([line for line in everything.splitlines() if LOCAL_TIME.match(line)]) == total
    assert "Showing the latest" not in everything
    limited = demo.ok("log", "--limit", "70", env=TERMINAL).stdout
    assert len([line for line in limited.splitlines() if LOCAL_TIME.match(line)]) == 70
    assert "Showing the latest" not in limited


def test_log_piped_prints_every_matching_event(demo: Cli, db_path: Path) -> None:
    many_events(demo, 60)
    lines = demo.ok("log").stdout.splitlines()
    assert len(lines) == 1 + len(events(db_path))
    assert demo.ok("log", "--all").stdout.splitlines() == lines


def test_log_with_few_events_has_no_footer(demo: Cli) -> None:
    assert "Showing the latest" not in demo.ok("log", env=TERMINAL).stdout


def test_all_and_limit_exclude_each_other(demo: Cli) -> None:
    run = demo.fails(INVALID_INPUT, "log", "--all", "--limit", "5")
    assert "--all" in run.stderr


# --- empty results ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "words", "header"),
    [
        (
            ("contacts", "list", "--org", "1004", "--role", "manager"),
            "No contacts match.",
            "E-mail",
        ),
        (("pending", "--org", "1001"), "No pending changes.", "E-mail"),
        (("log", "--org", "1001", "--since", "+1d"), "No events match.", "At"),
        (("incidents", "list"), "No incidents.", "ID"),
    ],
)
def test_an_empty_result_says_so(
    demo: Cli, command: tuple[str, ...], words: str, header: str
) -> None:
    shown = demo.ok(*command, env=TERMINAL).stdout
    assert words in shown
    assert header not in shown, "words, not a header with no rows"
    piped = demo.ok(*command).stdout
    assert piped.splitlines()[0].split("\t")[0] == header
    assert len(piped.splitlines()) == 1, "piped: the header line alone, zero rows"


def test_no_organisations_yet(cli: Cli) -> None:
    cli.ok("init")
    assert cli.ok("org", "list", env=TERMINAL).stdout == "No organisations yet.\n"
    assert "No organisations yet." in cli.ok("quota", env=TERMINAL).stdout


# --- times in the store's timezone ----------------------------------------------------------


def test_settings_show_and_set_use_the_timezone(demo: Cli) -> None:
    answer = demo.ok("settings", "set", "enforcement_date", "2024-01-01").stdout
    assert answer == "Unchanged: enforcement_date is 2024-01-01 00:00:00 CET\n"
    changed = demo.ok("settings", "set", "enforcement_date", "2024-02-01T09:00").stdout
    assert changed == (
        "Changed enforcement_date: 2024-01-01 00:00:00 CET -> 2024-02-01 09:00:00 CET\n"
    )
    shown = demo.ok("settings", "show").stdout
    assert "2024-02-01 09:00:00 CET" in shown
    assert not UTC_TIME.search(shown)
    assert demo.json("settings", "show")["enforcement_date"] == "2024-02-01T08:00:00+00:00"


def test_a_grant_in_the_log_takes_effect_after_it_was_made(demo: Cli) -> None:
    demo.ok("--now", "2024-03-01T10:00", "grant", "submitter", "dirk@vandijk.nl")
    rows = [line.split("\t") for line in demo.ok("log", "--action", "grant").stdout.splitlines()]
    header, dirk = rows[0], next(row for row in rows if "dirk@vandijk.nl" in row)
    event = dict(zip(header, dirk, strict=True))
    assert event["At"] == "2024-03-01 10:00:00 CET"
    assert event["Change"] == "effective_at: - -> 2024-03-01 10:10:00 CET, holds: no -> yes"
    for line in demo.ok("log").stdout.splitlines():
        assert not UTC_TIME.search(line), line
    document = next(e for e in demo.json("log") if e["contact"] == "dirk@vandijk.nl")
    assert document["after"]["effective_at"] == "2024-03-01T09:10:00+00:00", "JSON keeps UTC"


def test_every_time_people_see_has_one_format(demo: Cli) -> None:
    demo.ok("clock", "set", "2024-03-01T10:00")
    demo.ok("grant", "submitter", "dirk@vandijk.nl")
    for command in (
        ("pending",),
        ("log",),
        ("contacts", "show", "dirk@vandijk.nl"),
        ("check", "dirk@vandijk.nl"),
        ("readiness",),
        ("settings", "show"),
        ("clock", "show"),
    ):
        text = demo(*command).stdout + demo(*command, env=TERMINAL).stdout
        assert LOCAL_TIME.search(text), command
        assert not UTC_TIME.search(text), command


# --- roles by both names ----------------------------------------------------------------------


def test_roles_are_shown_by_both_names(demo: Cli) -> None:
    demo.ok("grant", "manager", "dirk@vandijk.nl")
    pending = demo.ok("pending").stdout
    assert "\tsubmitter (Incidentenbeheer)\t" in pending
    assert "\tmanager (Incidentmanagement)\t" in pending
    assert re.search(r"\tsubmitter\t", pending) is None
    assert "\tmanager (Incidentmanagement)\t" in demo.ok("log").stdout
    assert (
        "submitter (Incidentenbeheer), manager (Incidentmanagement)"
        in demo.ok("contacts", "list").stdout
    )
    readiness = demo.ok("readiness").stdout
    assert "submitter (Incidentenbeheer)" in readiness


# --- text that would drive the terminal -------------------------------------------------------

RLO = "\u202e"
TROJAN = f"Jan {RLO}gnp.exe{RLO} \u2066x\u2069"


@pytest.fixture
def trojan(demo: Cli, db_path: Path) -> Cli:
    """Names holding bidirectional controls, written into the store directly: input checks
    may refuse them at the door, but a store written before them can hold them,
    and output must be safe whatever the store holds."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE contacts SET name = ? WHERE email = 'dirk@vandijk.nl'", (TROJAN,))
        conn.execute("UPDATE organisations SET name = ? WHERE id = '1004'", (TROJAN,))
        conn.execute(
            "INSERT INTO events (at, actor, action, org_id, contact, reason) "
            "VALUES ('2030-01-01T00:00:00+00:00', 'operator', 'contact.set', '1001', "
            "'dirk@vandijk.nl', ?)",
            (TROJAN,),
        )
    conn.close()
    return demo


@pytest.mark.parametrize(
    "command",
    [
        ("contacts", "list"),
        ("contacts", "show", "dirk@vandijk.nl"),
        ("org", "list"),
        ("org", "show", "1004"),
        ("readiness",),
        ("check", "dirk@vandijk.nl"),
        ("log",),
    ],
)
def test_bidirectional_controls_never_reach_a_terminal(
    trojan: Cli, command: tuple[str, ...]
) -> None:
    for env in (None, TERMINAL):
        text = trojan(*command, env=env).stdout
        for control in (RLO, "\u2066", "\u2069"):
            assert control not in text, command
        assert "\\u202e" in text, command


MARKS = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u200e": "\\u200e", "\u200f": "\\u200f",
         "\u061c": "\\u061c"}  # fmt: skip


def test_line_separators_and_direction_marks_never_reach_a_terminal(demo: Cli) -> None:
    """Names may hold them (right-to-left names use the marks), so they are taken as given
    and kept exactly; shown to a person they are escaped, so a row stays one line (U+2028 is a
    line end to many terminals and to str.splitlines) and reads in the order it is stored."""
    name = "Lijn\u2028Alinea\u2029 \u200eLRM\u200f \u061cALM"
    demo.ok("contacts", "add", "marks@vandijk.nl", "--org", "1001", "--name", name)
    demo.ok("contacts", "set", "marks@vandijk.nl", "--name", name + " 2")
    assert demo.json("contacts", "show", "marks@vandijk.nl")["name"] == name + " 2"
    for command in (
        ("contacts", "list", "--org", "1001"),
        ("contacts", "show", "marks@vandijk.nl"),
        ("log", "--contact", "marks@vandijk.nl"),
    ):
        for env in (None, TERMINAL):
            text = demo.ok(*command, env=env).stdout
            for mark, shown in MARKS.items():
                assert mark not in text, (command, env)
                assert shown in text, (command, env)


def test_bidirectional_controls_in_an_error_line_are_escaped(demo: Cli) -> None:
    run = demo(f"--as={RLO}x@y.nl", "contacts", "list")
    assert RLO not in run.stderr
    assert "\\u202e" in run.stderr


def test_json_and_csv_keep_the_exact_text(trojan: Cli) -> None:
    document = trojan.json("contacts", "show", "dirk@vandijk.nl")
    assert document["name"] == TROJAN
    assert TROJAN in trojan.ok("contacts", "list", "--csv").stdout


# --- JSON forms -------------------------------------------------------------------------------


def test_json_is_one_line_piped_and_indented_in_a_terminal(demo: Cli) -> None:
    piped = demo.ok("quota", "1001", "--json").stdout
    assert piped.count("\n") == 1
    shown = demo.ok("quota", "1001", "--json", env=TERMINAL).stdout
    assert shown.startswith('{\n  "org": "1001",\n')
    assert json.loads(piped) == json.loads(shown)
    stream = demo.ok("contacts", "list", "--json").stdout
    assert stream.count("\n") == 1
    assert json.loads(stream) == json.loads(
        demo.ok("contacts", "list", "--json", env=TERMINAL).stdout
    )


def test_the_time_a_terminal_shows_is_the_stored_one(demo: Cli) -> None:
    """LocalTimes (the fast path the log uses) agrees with the one format of timeutil."""
    from zoneinfo import ZoneInfo

    from hypothesis import given
    from hypothesis import strategies as st

    from incidentctl import timeutil

    @given(
        st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(8999, 12, 30)).map(
            lambda d: d.replace(microsecond=0, tzinfo=timeutil.UTC)
        ),
        st.sampled_from(
            ["Europe/Amsterdam", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "UTC"]
        ),
    )
    def agree(moment: datetime, zone: str) -> None:
        tz = ZoneInfo(zone)
        local = timeutil.LocalTimes(tz)
        assert local(timeutil.to_iso(moment)) == timeutil.format_local(moment, tz)

    agree()
