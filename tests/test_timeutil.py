"""TIME, DURATION and dates, and the clock (docs/concepts.md, "Time").

The parsing functions take ``now`` and the timezone as parameters, so these tests need no
time mocking; the last tests pin the clock through the CLI (``--now``, ``INCIDENTCTL_NOW``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Cli, Snapshot
from hypothesis import assume, given
from hypothesis import strategies as st

from incidentctl import timeutil
from incidentctl.errors import INVALID_INPUT, InvalidInput

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2024, 6, 15, 12, 0, 0, tzinfo=UTC)


def parse(text: str, now: datetime = NOW, tz: ZoneInfo = AMSTERDAM) -> datetime:
    return timeutil.parse_time(text, now=now, tz=tz)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- TIME -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T10:00+02:00", utc(2024, 1, 1, 8, 0)),
        ("2024-01-01T10:00:30-05:00", utc(2024, 1, 1, 15, 0, 30)),
        ("2024-01-01T10:00Z", utc(2024, 1, 1, 10, 0)),
        ("2024-01-01T10:00+00:00", utc(2024, 1, 1, 10, 0)),
        ("2024-01-01 10:00+01:00", utc(2024, 1, 1, 9, 0)),
    ],
)
def test_iso_with_an_offset_keeps_that_offset(text: str, expected: datetime) -> None:
    parsed = parse(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T10:00", utc(2024, 1, 1, 9, 0)),  # CET, +01:00
        ("2024-07-01T10:00", utc(2024, 7, 1, 8, 0)),  # CEST, +02:00
        ("2024-01-01T00:00:00", utc(2023, 12, 31, 23, 0)),
        ("2024-01-01", utc(2023, 12, 31, 23, 0)),  # a date is its midnight
    ],
)
def test_iso_without_offset_is_in_the_store_timezone(text: str, expected: datetime) -> None:
    assert parse(text) == expected


def test_iso_without_offset_follows_the_timezone_given() -> None:
    assert parse("2024-01-01T10:00", tz=ZoneInfo("UTC")) == utc(2024, 1, 1, 10, 0)
    assert parse("2024-01-01T10:00", tz=ZoneInfo("America/New_York")) == utc(2024, 1, 1, 15, 0)


@pytest.mark.parametrize("text", ["now", "NOW", " now ", "Now"])
def test_now_is_the_now_given(text: str) -> None:
    assert parse(text) == NOW
    other = utc(2030, 2, 3, 4, 5, 6)
    assert parse(text, now=other) == other


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("+10m", timedelta(minutes=10)),
        ("-2h", timedelta(hours=-2)),
        ("+1d", timedelta(days=1)),
        ("-1d", timedelta(days=-1)),
        ("+30s", timedelta(seconds=30)),
        ("+0m", timedelta(0)),
        (" +5m ", timedelta(minutes=5)),
    ],
)
def test_relative_times_count_from_now(text: str, delta: timedelta) -> None:
    assert parse(text) == NOW + delta


def test_relative_days_are_24_hours_across_a_dst_change() -> None:
    """Arithmetic is in UTC: the night the clocks go forward, +1d is still 24 hours."""
    before_spring = utc(2024, 3, 30, 12, 0)
    assert parse("+1d", now=before_spring) == before_spring + timedelta(hours=24)
    before_autumn = utc(2024, 10, 26, 12, 0)
    assert parse("+1d", now=before_autumn) == before_autumn + timedelta(hours=24)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "10",  # a bare number
        "1704103200",  # a Unix timestamp is a bare number too
        "+10",  # relative without a unit
        "10m",  # a DURATION is not a TIME
        "+1w",
        "+1.5h",
        "+ 10m",
        "+10 m",
        "++10m",
        "tomorrow",
        "yesterday",
        "2024-13-01T10:00",
        "2024-02-30T10:00",
        "2024-01-01T25:00",
        "2024-01-01T10:00+25:00",
        "01-01-2024",
        "2024/01/01",
        "now+10m",
        "garbage",
        "+99999999999d",  # overflows any datetime
        "9999-12-31T23:59:59-10:00",  # out of range once in UTC
    ],
)
def test_anything_else_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse(text)
    assert raised.value.exit_code == INVALID_INPUT
    assert raised.value.message


def test_a_time_in_the_spring_dst_gap_is_refused() -> None:
    """On 31 March 2024 Amsterdam's clocks jump from 02:00 to 03:00: 02:30 never happens."""
    with pytest.raises(InvalidInput) as raised:
        parse("2024-03-31T02:30")
    assert "does not exist" in raised.value.message
    assert raised.value.hint is not None
    # With an offset it is a real moment, and the hours around the gap are fine.
    assert parse("2024-03-31T02:30+01:00") == utc(2024, 3, 31, 1, 30)
    assert parse("2024-03-31T01:59") == utc(2024, 3, 31, 0, 59)
    assert parse("2024-03-31T03:00") == utc(2024, 3, 31, 1, 0)


def test_an_ambiguous_autumn_time_is_the_first_one() -> None:
    """On 27 October 2024 02:00-03:00 happens twice; without an offset it is the first
    (summer time, +02:00); an offset picks either."""
    assert parse("2024-10-27T02:30") == utc(2024, 10, 27, 0, 30)
    assert parse("2024-10-27T02:30+02:00") == utc(2024, 10, 27, 0, 30)
    assert parse("2024-10-27T02:30+01:00") == utc(2024, 10, 27, 1, 30)


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(UTC),
    )
)
def test_stored_times_read_back_exactly(moment: datetime) -> None:
    moment = moment.replace(microsecond=0)
    text = timeutil.to_iso(moment)
    assert text.endswith("+00:00")
    assert timeutil.from_iso(text) == moment
    assert parse(text) == moment


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from("smhd"), st.booleans())
def test_relative_forms_are_exact(amount: int, unit: str, forward: bool) -> None:
    seconds = amount * {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    sign = "+" if forward else "-"
    expected = NOW + timedelta(seconds=seconds if forward else -seconds)
    assert parse(f"{sign}{amount}{unit}") == expected


@given(st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_wall_clock_time_reads_back_as_that_wall_clock_time(naive: datetime) -> None:
    naive = naive.replace(microsecond=0)
    aware = naive.replace(tzinfo=AMSTERDAM)
    # Skip the hour that does not exist (the spring gap): it must be refused instead.
    assume(aware.astimezone(UTC).astimezone(AMSTERDAM).replace(tzinfo=None) == naive)
    parsed = parse(naive.isoformat())
    assert parsed.astimezone(AMSTERDAM).replace(tzinfo=None) == naive


# --- DURATION and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10m", timedelta(minutes=10)),
        ("1d", timedelta(days=1)),
        ("90s", timedelta(seconds=90)),
        ("2h", timedelta(hours=2)),
        ("0m", timedelta(0)),
        (" 5m ", timedelta(minutes=5)),
        ("36600d", timedelta(days=36600)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert timeutil.parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "10", "m", "+10m", "-10m", "1.5h", "10 m", "10min", "1w", "ten minutes", "36601d"],
)
def test_bad_durations_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        timeutil.parse_duration(text)


def test_dates() -> None:
    assert timeutil.parse_date("2024-02-29") == date(2024, 2, 29)
    assert timeutil.parse_date(" 2025-01-01 ") == date(2025, 1, 1)
    for bad in ("", "2023-02-29", "2024-1-1", "2024-01-01T10:00", "01-01-2024", "none"):
        with pytest.raises(InvalidInput):
            timeutil.parse_date(bad)


def test_times_are_shown_in_the_timezone_with_its_abbreviation() -> None:
    assert timeutil.format_local(utc(2024, 1, 1, 9, 0), AMSTERDAM) == "2024-01-01 10:00:00 CET"
    assert timeutil.format_local(utc(2024, 7, 1, 8, 0), AMSTERDAM) == "2024-07-01 10:00:00 CEST"


def test_local_date_is_the_calendar_date_in_the_timezone() -> None:
    late_evening_utc = utc(2024, 1, 1, 23, 30)  # already 2 January in Amsterdam
    assert timeutil.local_date(late_evening_utc, AMSTERDAM) == date(2024, 1, 2)
    assert timeutil.local_date(late_evening_utc, ZoneInfo("UTC")) == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("delta", "short"),
    [
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=1), "1h"),
        (timedelta(days=2), "2d"),
        (timedelta(hours=1, minutes=5), "1h 5m"),
        (timedelta(days=1, hours=2, minutes=3), "1d 2h"),
        (timedelta(0), "0s"),
    ],
)
def test_durations_are_shown_briefly(delta: timedelta, short: str) -> None:
    assert timeutil.format_duration(delta) == short


def test_unknown_timezone_is_invalid_input() -> None:
    assert timeutil.load_timezone("Europe/Amsterdam") == AMSTERDAM
    for bad in ("Mars/Olympus", "", "../etc/passwd"):
        with pytest.raises(InvalidInput):
            timeutil.load_timezone(bad)


# --- the clock ------------------------------------------------------------------------------


def test_clock_precedence_pinned_then_simulated_then_system() -> None:
    simulated = timeutil.to_iso(utc(2024, 5, 1, 12, 0))
    pinned = timeutil.resolve_clock("2024-02-01T10:00+00:00", simulated, AMSTERDAM)
    assert (pinned.now, pinned.source) == (utc(2024, 2, 1, 10, 0), "pinned")

    relative = timeutil.resolve_clock("+10m", simulated, AMSTERDAM)
    assert relative.now == utc(2024, 5, 1, 12, 10), "relative --now counts from the simulation"

    sim = timeutil.resolve_clock(None, simulated, AMSTERDAM)
    assert (sim.now, sim.source) == (utc(2024, 5, 1, 12, 0), "simulated")

    system = timeutil.resolve_clock(None, None, AMSTERDAM)
    assert system.source == "system"
    assert system.notice(AMSTERDAM) is None
    assert abs(system.now - datetime.now(UTC)) < timedelta(minutes=1)
    assert system.now.tzinfo is not None


def test_clock_notice_says_when_time_is_not_real() -> None:
    pinned = timeutil.resolve_clock("2024-01-01T10:00", None, AMSTERDAM)
    notice = pinned.notice(AMSTERDAM)
    assert notice is not None
    assert "2024-01-01 10:00:00 CET" in notice


# --- through the CLI ------------------------------------------------------------------------


def _last_event_at(cli: Cli) -> str:
    """The time of the most recently written event (the log itself is in time order)."""
    events = cli.json("log")
    return str(max(events, key=lambda event: event["id"])["at"])


def test_now_option_pins_the_time_of_the_audit_event(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("--now", "2024-05-01T12:00", "org", "add", "1", "--name", "A", "--employees", "1")
    assert _last_event_at(cli) == "2024-05-01T10:00:00+00:00"  # CEST, stored in UTC


def test_now_env_var_pins_the_time(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("init")
    monkeypatch.setenv("INCIDENTCTL_NOW", "2024-01-15T09:30+01:00")
    cli.ok("org", "add", "1", "--name", "A", "--employees", "1")
    assert _last_event_at(cli) == "2024-01-15T08:30:00+00:00"


def test_now_option_wins_over_the_env_var(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    cli.ok("init")
    monkeypatch.setenv("INCIDENTCTL_NOW", "2024-01-15T09:30+01:00")
    cli.ok("--now", "2024-03-01T00:00Z", "org", "add", "1", "--name", "A", "--employees", "1")
    assert _last_event_at(cli) == "2024-03-01T00:00:00+00:00"


def test_relative_now_counts_from_the_real_clock(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("--now", "-2d", "org", "add", "1", "--name", "A", "--employees", "1")
    at = datetime.fromisoformat(_last_event_at(cli))
    assert abs(at - (datetime.now(UTC) - timedelta(days=2))) < timedelta(minutes=1)


@pytest.mark.parametrize("bad", ["tomorrow", "10", "+10", "2024-03-31T02:30", "2024-13-01", "  "])
def test_a_bad_now_is_exit_2_and_writes_nothing(cli: Cli, snapshot: Snapshot, bad: str) -> None:
    cli.ok("init")
    before = snapshot()
    run = cli.fails(
        INVALID_INPUT, "--now", bad, "org", "add", "1", "--name", "A", "--employees", "1"
    )
    if bad.strip():
        assert "time" in run.error_lines[0] or "exist" in run.error_lines[0]
    else:  # like an empty --db or --as
        assert run.error_lines == ["Error: --now (or INCIDENTCTL_NOW) is empty"]
    assert snapshot() == before


def test_a_bad_now_from_the_env_var_is_exit_2(
    cli: Cli, snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.ok("init")
    before = snapshot()
    monkeypatch.setenv("INCIDENTCTL_NOW", "next tuesday")
    cli.fails(INVALID_INPUT, "org", "add", "1", "--name", "A", "--employees", "1")
    assert snapshot() == before


def test_an_empty_now_option_is_exit_2(cli: Cli) -> None:
    """An empty TIME is invalid, not 'no --now' (docs/concepts.md, "Time")."""
    cli.ok("init")
    cli.fails(INVALID_INPUT, "--now", "", "org", "list")


def test_the_timezone_setting_reads_times_without_offset(cli: Cli) -> None:
    cli.ok("init")
    cli.ok("settings", "set", "timezone", "UTC")
    cli.ok("--now", "2024-05-01T12:00", "org", "add", "1", "--name", "A", "--employees", "1")
    assert _last_event_at(cli) == "2024-05-01T12:00:00+00:00"
