"""``settings show|set``: the settings every user of the store shares."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

import pytest
from conftest import Cli, Snapshot, events

from incidentctl.errors import INVALID_INPUT, NOT_AUTHORIZED

OPERATOR = f"operator:{getpass.getuser()}"


def test_settings_show_the_defaults(cli: Cli) -> None:
    cli.ok("init")
    document = cli.json("settings", "show")
    assert document["timezone"] == "Europe/Amsterdam"
    assert document["propagation_delay"] == "10m"
    # 1 January 2024, 00:00 in Amsterdam (docs/concepts.md, rule 1), in UTC.
    assert document["enforcement_date"] == "2023-12-31T23:00:00+00:00"
    assert document["clock"] is None
    out = cli.ok("settings", "show").stdout
    assert "(default)" in out
    assert "propagation_delay" in out


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("timezone", "UTC", "UTC"),
        ("timezone", " America/New_York ", "America/New_York"),
        ("propagation_delay", "5m", "5m"),
        ("propagation_delay", "1h", "1h"),
        ("propagation_delay", "0s", "0s"),
        ("enforcement_date", "2024-02-01T00:00", "2024-01-31T23:00:00+00:00"),
        ("enforcement_date", "2024-02-01T00:00Z", "2024-02-01T00:00:00+00:00"),
        ("TIMEZONE", "UTC", "UTC"),
    ],
)
def test_settings_set_is_stored_and_audited(
    store: Cli, db_path: Path, key: str, value: str, shown: str
) -> None:
    count = len(events(db_path))
    document = store.json("settings", "set", key, value)
    assert document["after"] == shown
    assert store.json("settings", "show")[key.lower()] == shown
    (event,) = events(db_path)[count:]
    assert event["action"] == "settings.set"
    assert event["actor"] == OPERATOR
    assert json.loads(event["after"]) == {key.lower(): shown}
    assert "(default)" not in next(
        line for line in store.ok("settings", "show").stdout.splitlines() if key.lower() in line
    )


def test_settings_set_to_the_current_value_is_not_an_event(store: Cli, db_path: Path) -> None:
    store.ok("settings", "set", "propagation_delay", "15m")
    count = len(events(db_path))
    run = store.ok("settings", "set", "propagation_delay", "15m")
    assert "Unchanged" in run.stdout
    assert len(events(db_path)) == count


def test_the_timezone_setting_changes_how_times_are_shown(store: Cli) -> None:
    store.ok("--now", "2024-05-01T12:00Z", "org", "set", "2002", "--name", "Globex Corp")
    assert "2024-05-01 14:00:00 CEST" in store.ok("log", "--action", "org.set").stdout
    store.ok("settings", "set", "timezone", "UTC")
    assert "2024-05-01 12:00:00 UTC" in store.ok("log", "--action", "org.set").stdout


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("timezone", "Mars/Olympus_Mons", "timezone"),
        ("timezone", "", "timezone"),
        ("timezone", "CEST+2", "timezone"),
        ("propagation_delay", "10", "duration"),
        ("propagation_delay", "ten minutes", "duration"),
        ("propagation_delay", "-5m", "duration"),
        ("propagation_delay", "", "duration"),
        ("enforcement_date", "soon", "time"),
        ("enforcement_date", "", "time"),
        ("enforcement_date", "2024-03-31T02:30", "exist"),
        ("quota", "5", "unknown setting"),
        ("clock", "2024-01-01T00:00", "unknown setting"),
        ("", "x", "unknown setting"),
    ],
)
def test_bad_settings_are_exit_2_and_change_nothing(
    store: Cli, snapshot: Snapshot, key: str, value: str, words: str
) -> None:
    before = snapshot()
    # "--": a value such as -5m is a value here, not an option.
    error = store.fails(INVALID_INPUT, "settings", "set", "--", key, value).error_lines[0]
    assert words in error
    assert snapshot() == before


def test_settings_set_as_a_portal_user_is_refused(store: Cli, snapshot: Snapshot) -> None:
    before = snapshot()
    store.fails(NOT_AUTHORIZED, "--as", "admin@acme.nl", "settings", "set", "timezone", "UTC")
    assert snapshot() == before


def test_settings_set_needs_key_and_value(store: Cli) -> None:
    store.fails(INVALID_INPUT, "settings", "set", "timezone")
    store.fails(INVALID_INPUT, "settings", "set")
    store.fails(INVALID_INPUT, "settings", "unknown-subcommand")
