"""The clock, and parsing and display of times (docs/concepts.md, "Time").

This is the only module that reads the system time. Everything is computed and stored in
UTC; the store's timezone setting is used only to read times without an offset and to show
times to people, so a daylight-saving change never shifts a delay.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidentctl.errors import InvalidInput
from incidentctl.vocabulary import DURATION_HELP, TIME_HELP

UTC = UTC
DEFAULT_TIMEZONE = "Europe/Amsterdam"

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# About a century: far enough for any real use, near enough never to overflow datetime.
_MAX_SECONDS = 36_600 * 86_400
# Times from 1900 until 9000: beyond any real use, and so far from datetime's limits (years 1
# and 9999) that adding a delay of a century or showing the time in any timezone never
# overflows (a clock set at 9999-12-31 made every later command fail).
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_RANGE_HINT = "times from 1900 until 9000 are supported"

_DURATION = re.compile(r"(\d{1,12})([smhd])", re.ASCII)
_RELATIVE = re.compile(r"([+-])(\d{1,12})([smhd])", re.ASCII)
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def system_now() -> datetime:
    """The real time in UTC, to whole seconds (what is stored and shown)."""
    return datetime.now(UTC).replace(microsecond=0)


def load_timezone(name: str) -> ZoneInfo:
    """The IANA timezone ``name``; InvalidInput when it is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"unknown timezone {name!r}",
            hint="use an IANA name such as Europe/Amsterdam or UTC",
        ) from exc


def parse_duration(text: str) -> timedelta:
    """A DURATION: a whole number with a unit (``10m``, ``1d``)."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        raise InvalidInput(f"not a duration: {text!r}", hint=f"a DURATION is {DURATION_HELP}")
    return _seconds(int(match.group(1)), match.group(2), text)


def _seconds(amount: int, unit: str, text: str) -> timedelta:
    seconds = amount * _UNIT_SECONDS[unit]
    if seconds > _MAX_SECONDS:
        raise InvalidInput(f"{text!r} is too long", hint="use at most 36600d (about a century)")
    return timedelta(seconds=seconds)


def parse_time(text: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """A TIME as an aware UTC datetime; ``now`` anchors 'now' and the relative forms."""
    value = text.strip()
    if value.lower() == "now":
        return now
    relative = _RELATIVE.fullmatch(value)
    if relative is not None:
        sign, amount, unit = relative.groups()
        delta = _seconds(int(amount), unit, text)
        try:
            moment = now + delta if sign == "+" else now - delta
        except OverflowError as exc:
            raise InvalidInput(f"{text!r} is out of range", hint=_RANGE_HINT) from exc
        return require_in_range(moment, repr(text))
    if _ISO_START.match(value) is None:
        raise InvalidInput(f"not a time: {text!r}", hint=f"a TIME is {TIME_HELP}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"not a time: {text!r}", hint=f"a TIME is {TIME_HELP}") from exc
    if parsed.tzinfo is None:
        parsed = _localize(parsed, tz, text)
    try:
        moment = parsed.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(f"{text!r} is out of range", hint=_RANGE_HINT) from exc
    return require_in_range(moment, repr(text))


def require_in_range(moment: datetime, what: str) -> datetime:
    """``moment``, or InvalidInput (exit 2) when it is not from EARLIEST until LATEST."""
    if not EARLIEST <= moment < LATEST:
        raise InvalidInput(f"{what} is out of range", hint=_RANGE_HINT)
    return moment


def _localize(naive: datetime, tz: ZoneInfo, text: str) -> datetime:
    # In the autumn the hour 02:00-03:00 happens twice; fold=0 takes the first (summer
    # time), which is what an administrator reading a wall clock usually means.
    aware = naive.replace(tzinfo=tz)
    try:
        round_trip = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    except OverflowError as exc:
        raise InvalidInput(f"{text!r} is out of range") from exc
    if round_trip != naive:
        raise InvalidInput(
            f"{text!r} does not exist in {tz.key}: the clocks skip that hour",
            hint="give a time outside the daylight-saving gap, or add an offset (+01:00)",
        )
    return aware


def parse_date(text: str) -> date:
    """A calendar date ``YYYY-MM-DD``."""
    value = text.strip()
    if _DATE.fullmatch(value) is None:
        raise InvalidInput(f"not a date: {text!r}", hint="dates are YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"not a date: {text!r}", hint="dates are YYYY-MM-DD") from exc


def to_iso(moment: datetime) -> str:
    """How times are stored and put in JSON: ISO 8601, UTC, with offset, whole seconds."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    """Read back a time written by :func:`to_iso`."""
    return datetime.fromisoformat(text)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """The calendar date of ``moment`` in ``tz`` (business dates, expert certificates)."""
    return moment.astimezone(tz).date()


def format_local(moment: datetime, tz: ZoneInfo) -> str:
    """A time for people: ``2024-01-01 10:00:00 CET`` in the store's timezone."""
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def is_stored_time(value: object) -> bool:
    """Whether ``value`` is a time as :func:`to_iso` writes it (in the audit log's
    before/after values, the settings), so that people can be shown it in local time."""
    return (
        isinstance(value, str)
        and len(value) == 25
        and value.endswith("+00:00")
        and value[4] == value[7] == "-"
        and value[10] == "T"
        and value[13] == value[16] == ":"
        and (
            value[:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:19]
        ).isascii()
        and (
            value[:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:19]
        ).isdigit()
    )


class LocalTimes:
    """:func:`format_local` of stored times (:func:`to_iso` text), fast enough for a
    million audit events: the local hour of each UTC hour is worked out once, and within a
    whole-hour offset the minutes and seconds are the same in both."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._hours: dict[str, tuple[str, str] | None] = {}

    def __call__(self, text: str) -> str:
        if len(text) == 25 and text.endswith("+00:00"):
            key = text[:13]
            try:
                hour = self._hours[key]
            except KeyError:
                hour = self._hour(key)
            if hour is not None:
                return hour[0] + text[13:19] + hour[1]
        return format_local(from_iso(text), self.tz)

    def _hour(self, key: str) -> tuple[str, str] | None:
        hour: tuple[str, str] | None = None
        try:
            start = datetime.fromisoformat(key + ":00:00+00:00")
            first = start.astimezone(self.tz)
            last = (start + timedelta(seconds=3599)).astimezone(self.tz)
        except (ValueError, OverflowError):
            return None
        offset = first.utcoffset()
        if (
            offset is not None
            and offset == last.utcoffset()
            and first.tzname() == last.tzname()
            and offset % timedelta(hours=1) == timedelta()
        ):
            hour = (f"{first:%Y-%m-%d %H}", f" {first.tzname()}")
        if len(self._hours) > 100_000:
            self._hours.clear()
        self._hours[key] = hour
        return hour


def format_duration(delta: timedelta) -> str:
    """``1h 5m`` style, largest units first, at most two of them."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts = []
    for unit in ("d", "h", "m", "s"):
        amount, seconds = divmod(seconds, _UNIT_SECONDS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + " ".join(parts[:2])


ClockSource = Literal["system", "simulated", "pinned"]


class Clock(NamedTuple):
    """The time a command runs at, and where that time came from."""

    now: datetime
    source: ClockSource

    def notice(self, tz: ZoneInfo) -> str | None:
        """A line for people when the time is not the real one; None when it is."""
        if self.source == "system":
            return None
        what = (
            "simulated clock"
            if self.source == "simulated"
            else "clock pinned by --now or INCIDENTCTL_NOW"
        )
        return f"Note: {what}: {format_local(self.now, tz)}"


def resolve_clock(pinned: str | None, simulated: str | None, tz: ZoneInfo) -> Clock:
    """Precedence: --now / INCIDENTCTL_NOW > the store's simulated clock > the system clock.

    A relative --now (``+10m``) counts from the simulated clock when one is set.
    """
    base = from_iso(simulated) if simulated else system_now()
    if pinned is not None:
        return Clock(parse_time(pinned, now=base, tz=tz), "pinned")
    return Clock(base, "simulated" if simulated else "system")
