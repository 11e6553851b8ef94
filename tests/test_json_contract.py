"""The JSON contract of SPEC §3a, pinned: the documents scripts rely on (docs/json.md).

Keys may be added but never renamed or removed. Adding one is a deliberate change: add it to
the sets below and to docs/json.md in the same commit. Every test runs the CLI on a store made
with ``incidentctl init --demo``.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Cli

CONTACT_KEYS = {"email", "org", "name", "active", "portal_admin", "expert_until", "roles"}
QUOTA_KEYS = {"org", "maximum", "used", "remaining", "experts", "over_quota", "published"}
PUBLISHED_KEYS = {"business_date", "maximum", "used"}
LOG_SPEC_KEYS = {"at", "actor", "action", "org", "contact", "role", "reason"}
LOG_KEYS = LOG_SPEC_KEYS | {"id", "before", "after"}  # documented additions (docs/json.md)
ROLES = {"submitter", "manager"}
SPEC_ACTIONS = {
    "org.add",
    "org.set",
    "contact.add",
    "contact.set",
    "grant",
    "revoke",
    "policy.load",
    "settings.set",
    "clock.set",
    "recount",
    "login",
    "incident.submit",
}


def _document(cli: Cli, *args: str) -> Any:
    return cli.ok(*args, "--json").json()


def _is_int(value: object) -> bool:
    return type(value) is int  # bool is an int subclass: true/false is not a count


def _is_optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def _assert_date(text: object) -> None:
    assert isinstance(text, str), text
    assert len(text) == 10, text
    date.fromisoformat(text)


def _assert_utc_time(text: object) -> None:
    """ISO 8601 with an explicit offset, in UTC (SPEC §3)."""
    assert isinstance(text, str), text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), text
    assert text.endswith("+00:00"), text


# --- contacts list --json ---------------------------------------------------------------


def _assert_contact(row: object) -> None:
    assert isinstance(row, dict), row
    assert set(row) == CONTACT_KEYS, sorted(row)
    assert isinstance(row["email"], str)
    assert "@" in row["email"]
    assert isinstance(row["org"], str)
    assert isinstance(row["name"], str)
    assert isinstance(row["active"], bool)
    assert isinstance(row["portal_admin"], bool)
    if row["expert_until"] is not None:
        _assert_date(row["expert_until"])
    roles = row["roles"]
    assert isinstance(roles, list)
    assert set(roles) <= ROLES, roles
    assert len(set(roles)) == len(roles), roles


def test_contacts_list_json(demo: Cli) -> None:
    rows = _document(demo, "contacts", "list")
    assert isinstance(rows, list)
    assert len(rows) == 11
    for row in rows:
        _assert_contact(row)
    by_email = {row["email"]: row for row in rows}
    assert set(by_email["anouk@vandijk.nl"]["roles"]) == ROLES
    assert by_email["anouk@vandijk.nl"]["portal_admin"] is True
    assert by_email["dirk@vandijk.nl"]["roles"] == []
    assert by_email["hanna@delinde.nl"]["active"] is False
    assert by_email["chantal@vandijk.nl"]["expert_until"] is not None
    assert by_email["koen@snel.nl"]["expert_until"] is None
    # A grant still propagating is listed (SPEC §3a).
    assert by_email["jeroen@oosterwold.nl"]["roles"] == ["submitter"]


def test_contacts_list_json_filtered_and_empty(demo: Cli) -> None:
    rows = _document(demo, "contacts", "list", "--org", "1001")
    assert {row["org"] for row in rows} == {"1001"}
    for row in rows:
        _assert_contact(row)
    assert _document(demo, "contacts", "list", "--org", "1004", "--role", "manager") == []


# --- quota ID --json ----------------------------------------------------------------------


def _assert_quota(document: object) -> dict[str, Any]:
    assert isinstance(document, dict), document
    assert set(document) == QUOTA_KEYS, sorted(document)
    assert isinstance(document["org"], str)
    for key in ("maximum", "used", "remaining", "experts"):
        assert _is_int(document[key]), (key, document[key])
        assert document[key] >= 0, (key, document[key])
    assert isinstance(document["over_quota"], bool)
    assert document["remaining"] == max(document["maximum"] - document["used"], 0)
    assert document["over_quota"] == (document["used"] > document["maximum"])
    published = document["published"]
    if published is not None:
        assert isinstance(published, dict)
        assert set(published) == PUBLISHED_KEYS, sorted(published)
        _assert_date(published["business_date"])
        assert _is_int(published["maximum"])
        assert _is_int(published["used"])
    return document


def test_quota_json(demo: Cli) -> None:
    document = _assert_quota(_document(demo, "quota", "1001"))
    # Bakkerij Van Dijk: 35 employees (maximum 3 by the default policy), submitters Anouk,
    # Bram and Chantal, of whom Chantal is a certified expert and does not count.
    assert document == {
        "org": "1001",
        "maximum": 3,
        "used": 2,
        "remaining": 1,
        "experts": 1,
        "over_quota": False,
        "published": None,
    }


def test_quota_of_every_organisation_json(demo: Cli) -> None:
    documents = _document(demo, "quota")
    assert isinstance(documents, list)
    assert [d["org"] for d in documents] == ["1001", "1002", "1003", "1004"]
    for document in documents:
        _assert_quota(document)


def test_quota_remaining_is_never_negative(demo: Cli) -> None:
    demo.ok("org", "set", "1001", "--quota", "0", "--reason", "contract test")
    document = _assert_quota(_document(demo, "quota", "1001"))
    assert document["maximum"] == 0
    assert document["used"] == 2
    assert document["remaining"] == 0
    assert document["over_quota"] is True


def _publish(db_path: Path, org: str, business_date: str, maximum: int, used: int) -> None:
    """A published figure as the nightly recount stores it. Written directly because the
    recount command is not there yet; replace this with ``cli.ok("recount")`` once it is."""
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            run = conn.execute(
                "INSERT INTO recount_runs (business_date, started_at, finished_at, forced, "
                "organisations, report) VALUES (?, ?, ?, 0, 1, '{}')",
                (
                    business_date,
                    f"{business_date}T01:00:00+00:00",
                    f"{business_date}T01:00:01+00:00",
                ),
            ).lastrowid
            conn.execute(
                "INSERT INTO published_counts (run_id, org_id, maximum, used, experts) "
                "VALUES (?, ?, ?, ?, 0)",
                (run, org, maximum, used),
            )
    finally:
        conn.close()


def test_quota_json_published(demo: Cli, db_path: Path) -> None:
    _publish(db_path, "1001", "2024-02-29", 3, 1)
    document = _assert_quota(_document(demo, "quota", "1001"))
    assert document["published"] == {"business_date": "2024-02-29", "maximum": 3, "used": 1}
    assert document["used"] == 2  # live, next to the published figure


# --- log --json ---------------------------------------------------------------------------


def _assert_event(event: object) -> None:
    assert isinstance(event, dict), event
    assert set(event) == LOG_KEYS, sorted(event)
    _assert_utc_time(event["at"])
    assert isinstance(event["actor"], str)
    assert event["actor"]
    assert isinstance(event["action"], str)
    assert event["action"]
    for key in ("org", "contact", "role", "reason"):
        assert _is_optional_str(event[key]), (key, event[key])
    if event["role"] is not None:
        assert event["role"] in ROLES
    for key in ("before", "after"):
        assert event[key] is None or isinstance(event[key], dict), (key, event[key])


def test_log_json(demo: Cli) -> None:
    events = _document(demo, "log")
    assert isinstance(events, list)
    assert events
    for event in events:
        _assert_event(event)
    assert {event["action"] for event in events} <= SPEC_ACTIONS
    assert {"org.add", "contact.add", "grant"} <= {event["action"] for event in events}
    times = [datetime.fromisoformat(event["at"]) for event in events]
    assert times == sorted(times), "log --json is in chronological order"
    grant = next(e for e in events if e["action"] == "grant")
    assert grant["role"] in ROLES
    assert grant["contact"]
    assert grant["org"]


def test_log_json_limit_gives_the_last_events_oldest_first(demo: Cli) -> None:
    everything = _document(demo, "log")
    assert _document(demo, "log", "--limit", "3") == everything[-3:]


def test_log_json_filters(demo: Cli) -> None:
    events = _document(demo, "log", "--org", "1002")
    assert events
    assert {event["org"] for event in events} == {"1002"}
    for event in events:
        _assert_event(event)
    events = _document(demo, "log", "--contact", "ANOUK@vandijk.nl")
    assert events
    assert {event["contact"] for event in events} == {"anouk@vandijk.nl"}
    assert _document(demo, "log", "--org", "1001", "--since", "+1d") == []
