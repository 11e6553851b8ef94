"""The JSON contract, pinned: every document of docs/json.md, in both of its forms.

Keys may be added but never renamed or removed. Adding one is a deliberate change: add it to
the sets below and to docs/json.md in the same commit. Every document is checked twice: as a
script gets it (stdout not a terminal: one line, so appended runs make JSON Lines) and as a
person at a terminal does (indented); both parse to the same shape. The examples in
docs/json.md are held to the same key sets, so the page cannot drift from the code.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Cli

from incidentctl.output import FORCE_TTY

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"
TERMINAL: dict[str, str | None] = {FORCE_TTY: "100"}

CONTACT_KEYS = {"email", "org", "name", "active", "portal_admin", "expert_until", "roles"}
CONTACT_FIELDS = CONTACT_KEYS - {"roles"}
QUOTA_KEYS = {"org", "maximum", "used", "remaining", "experts", "over_quota", "published"}
PUBLISHED_KEYS = {"business_date", "maximum", "used"}
LOG_SPEC_KEYS = {"at", "actor", "action", "org", "contact", "role", "reason"}
LOG_KEYS = LOG_SPEC_KEYS | {"id", "before", "after"}  # documented additions (docs/json.md)
BATCH_KEYS = {"applied", "dry_run", "action", "role", "results", "summary"}
RESULT_KEYS = {"email", "role", "status", "effective_at", "reason"}
SUMMARY_KEYS = {"granted", "revoked", "unchanged", "refused"}
CHECK_KEYS = {"email", "at", "submit", "view_all", "advice"}
PERMISSION_KEYS = {"status", "allowed", "effective_at", "reason"}
PENDING_KEYS = {"email", "org", "role", "action", "requested_at", "effective_at"}
RECOUNT_KEYS = {
    "business_date",
    "status",
    "forced",
    "organisations",
    "over_quota",
    "lapsed_experts",
    "lapsed_since",
    "without_admin",
    "nobody_can_submit",
    "pending_changes",
}
APPLY_KEYS = {"applied", "dry_run", "prune", "grant", "revoke", "unchanged", "not_in_file"}
APPLY_ITEM_KEYS = {"email", "role", "org"}
INIT_KEYS = {"path", "created", "demo_added"}
ORG_ADD_KEYS = {"id", "name", "employees", "sector", "created"}
ORG_SET_KEYS = {
    "id",
    "changed",
    "name",
    "employees",
    "sector",
    "quota_override",
    "quota_override_reason",
    "domains",
}
ORG_KEYS = {
    "id",
    "name",
    "employees",
    "sector",
    "quota_override",
    "quota_override_reason",
    "contacts",
    "active_contacts",
    "portal_admins",
    "quota",
    "domains",
}
ORG_SHOW_KEYS = ORG_KEYS | {"admins"}  # org show names the portal admins
ORG_IMPORT_KEYS = {"added", "updated", "unchanged", "dry_run"}
CONTACT_ADD_KEYS = CONTACT_FIELDS | {"created"}
CONTACT_SET_KEYS = CONTACT_FIELDS | {"changed", "revoked"}
CONTACT_SHOW_KEYS = CONTACT_FIELDS | {"expert", "roles", "role_changes", "restricted"}
CONTACT_MOVE_KEYS = CONTACT_FIELDS | {"from_org", "moved", "revoked"}
ROLE_CHANGE_KEYS = {"role", "action", "requested_at", "effective_at", "actor", "reason"}
IMPORT_KEYS = {"added", "updated", "unchanged", "revoked", "dry_run"}
EXPLAIN_KEYS = {
    "org",
    "employees",
    "sector",
    "maximum",
    "source",
    "policy_sector",
    "policy_maximum",
    "band",
    "override",
}
POLICY_SHOW_KEYS = {"default", "policy"}
POLICY_LOAD_KEYS = {"loaded", "dry_run", "policy", "maxima"}
SETTINGS_KEYS = {"enforcement_date", "propagation_delay", "timezone", "clock"}
SETTING_SET_KEYS = {"key", "before", "after"}
CLOCK_KEYS = {"now", "source", "simulated"}
LOGIN_KEYS = {"email", "at"}
SUBMIT_KEYS = {"id", "email", "org", "submitted_at"}
INCIDENT_KEYS = {"id", "submitted_at", "org", "email", "subject", "body"}
READINESS_KEYS = {
    "enforcement_date",
    "before_enforcement",
    "days",
    "organisations_without_submitter",
    "contacts_without_role",
}
DOCTOR_KEYS = {"healthy", "checks"}
BACKUP_KEYS = {"path", "bytes", "pages"}
WHERE_KEYS = {"path", "source", "exists"}

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

# The documents of docs/json.md, by heading: the keys of each example on the page, in order
# (of an array, of its first item).
DOCUMENTED: dict[str, list[set[str]]] = {
    "`contacts list --json`": [CONTACT_KEYS],
    "`quota ID --json`": [QUOTA_KEYS],
    "`log --json`": [LOG_KEYS],
    "grant and revoke": [BATCH_KEYS],
    "`check EMAIL --json`": [CHECK_KEYS],
    "`pending --json`": [PENDING_KEYS],
    "`recount --json`": [RECOUNT_KEYS],
    "`apply FILE --json`": [APPLY_KEYS],
    "`init --json`": [INIT_KEYS],
    "`org add ID … --json`": [ORG_ADD_KEYS],
    "`org set ID … --json`": [ORG_SET_KEYS],
    "`org import FILE --json`": [ORG_IMPORT_KEYS],
    "`org show ID --json` and `org list --json`": [ORG_SHOW_KEYS],
    "`contacts add EMAIL … --json`": [CONTACT_ADD_KEYS],
    "`contacts set EMAIL … --json`": [CONTACT_SET_KEYS],
    "`contacts show EMAIL --json`": [CONTACT_SHOW_KEYS],
    "`contacts move EMAIL --org ID --reason TEXT --json`": [CONTACT_MOVE_KEYS],
    "`contacts import FILE --json`": [IMPORT_KEYS],
    "`quota explain ID --json`": [EXPLAIN_KEYS],
    "`policy show --json` and `policy load FILE --json`": [POLICY_LOAD_KEYS],
    "`settings show --json` and `settings set KEY VALUE --json`": [
        SETTINGS_KEYS,
        SETTING_SET_KEYS,
    ],
    "`clock show --json` (and `clock set TIME`, `clock advance DURATION`, `clock reset`)": [
        CLOCK_KEYS
    ],
    "`login EMAIL --json`": [LOGIN_KEYS],
    "`incidents submit --subject S --json` and `incidents list --json`": [
        SUBMIT_KEYS,
        INCIDENT_KEYS,
    ],
    "`readiness --json`": [READINESS_KEYS],
    "`doctor --json`": [DOCTOR_KEYS],
    "`backup DEST --json`": [BACKUP_KEYS],
    "`where --json`": [WHERE_KEYS],
}


# --- running a command in both forms ----------------------------------------------------------


def _shape(value: Any) -> Any:
    """The structure of a document: keys and value types, not the values."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _assert_no_empty_text(value: Any, where: str = "") -> None:
    """No value is an empty string: null says there is none (docs/json.md)."""
    if isinstance(value, dict):
        for key, item in value.items():
            _assert_no_empty_text(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _assert_no_empty_text(item, f"{where}[{index}]")
    else:
        assert value != "", f"{where} is an empty string, not null"


def _files(db_path: Path) -> list[Path]:
    return [Path(f"{db_path}{suffix}") for suffix in ("", "-wal", "-shm")]


def _document(
    cli: Cli,
    *args: str,
    codes: tuple[int, ...] = (0,),
    between: Callable[[], None] | None = None,
) -> Any:
    """``ARGS --json`` as a script gets it (one line) and as a terminal shows it (indented),
    both from the same store: the command runs twice, on a copy of the store as it was."""
    import os

    db_path = Path(os.environ["INCIDENTCTL_DB"])
    saved = []
    for path in _files(db_path):
        if path.exists():
            copy = path.with_name(path.name + ".before")
            shutil.copy2(path, copy)
            saved.append((path, copy))
    piped = cli(*args, "--json")
    assert piped.exit_code in codes, f"exit {piped.exit_code}\n{piped.stdout}\n{piped.stderr}"
    for path in _files(db_path):
        path.unlink(missing_ok=True)
    for path, copy in saved:
        shutil.move(copy, path)
    if between is not None:
        between()  # undo what the first run did outside the store
    shown = cli(*args, "--json", env=TERMINAL)
    assert shown.exit_code == piped.exit_code, shown.stderr

    assert piped.stdout.endswith("\n")
    assert "\n" not in piped.stdout[:-1], "piped JSON is one line (JSON Lines when appended)"
    document = json.loads(piped.stdout)
    indented = json.loads(shown.stdout)
    assert _shape(indented) == _shape(document)
    if document and isinstance(document, dict | list):
        assert shown.stdout.count("\n") > 1, "a terminal gets the document indented"
        assert shown.stdout.startswith(("{\n", "[\n"))
    _assert_no_empty_text(document)
    return document


def _is_int(value: object) -> bool:
    return type(value) is int  # bool is an int subclass: true/false is not a count


def _is_optional_str(value: object) -> bool:
    return value is None or isinstance(value, str)


def _assert_date(text: object) -> None:
    assert isinstance(text, str), text
    assert len(text) == 10, text
    date.fromisoformat(text)


def _assert_utc_time(text: object) -> None:
    """ISO 8601 with an explicit offset, in UTC (docs/json.md)."""
    assert isinstance(text, str), text
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), text
    assert text.endswith("+00:00"), text


def _keys(document: object, keys: set[str]) -> dict[str, Any]:
    assert isinstance(document, dict), document
    assert set(document) == keys, sorted(document)
    return document


# --- contacts list --json ---------------------------------------------------------------


def _assert_contact(row: object) -> None:
    row = _keys(row, CONTACT_KEYS)
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
    # A grant still propagating is listed (docs/json.md, `contacts list --json`).
    assert by_email["jeroen@oosterwold.nl"]["roles"] == ["submitter"]


def test_contacts_list_json_filtered_and_empty(demo: Cli) -> None:
    rows = _document(demo, "contacts", "list", "--org", "1001")
    assert {row["org"] for row in rows} == {"1001"}
    for row in rows:
        _assert_contact(row)
    assert _document(demo, "contacts", "list", "--org", "1004", "--role", "manager") == []


# --- quota ID --json ----------------------------------------------------------------------


def _assert_quota(document: object) -> dict[str, Any]:
    document = _keys(document, QUOTA_KEYS)
    assert isinstance(document["org"], str)
    for key in ("maximum", "used", "remaining", "experts"):
        assert _is_int(document[key]), (key, document[key])
        assert document[key] >= 0, (key, document[key])
    assert isinstance(document["over_quota"], bool)
    assert document["remaining"] == max(document["maximum"] - document["used"], 0)
    assert document["over_quota"] == (document["used"] > document["maximum"])
    published = document["published"]
    if published is not None:
        _keys(published, PUBLISHED_KEYS)
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


def test_quota_json_published(demo: Cli) -> None:
    published = demo.json("recount")
    demo.ok("revoke", "submitter", "bram@vandijk.nl")
    document = _assert_quota(_document(demo, "quota", "1001"))
    assert document["published"] == {
        "business_date": published["business_date"],
        "maximum": 3,
        "used": 2,
    }
    assert document["used"] == 1  # live, next to the published figure


# --- log --json ---------------------------------------------------------------------------


def _assert_event(event: object) -> None:
    event = _keys(event, LOG_KEYS)
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


def test_log_json_in_a_terminal_is_every_event_too(demo: Cli) -> None:
    """The latest 50 is for the human table; --json always lists every matching event."""
    for n in range(60):
        demo.ok("--now", f"+{n}s", "login", "anouk@vandijk.nl")
    assert len(_document(demo, "log")) > 60


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


# --- grant / revoke, check, pending, recount, apply ----------------------------------------


def _assert_batch(document: object) -> dict[str, Any]:
    document = _keys(document, BATCH_KEYS)
    for result in document["results"]:
        _keys(result, RESULT_KEYS)
        assert result["role"] in ROLES
        assert result["status"] in {"granted", "revoked", "unchanged", "refused"}
        if result["effective_at"] is not None:
            _assert_utc_time(result["effective_at"])
        assert _is_optional_str(result["reason"])
    _keys(document["summary"], SUMMARY_KEYS)
    assert all(_is_int(n) for n in document["summary"].values())
    return document


def test_grant_and_revoke_json(demo: Cli) -> None:
    granted = _assert_batch(_document(demo, "grant", "submitter", "dirk@vandijk.nl"))
    assert granted["applied"] is True
    assert granted["summary"] == {"granted": 1, "revoked": 0, "unchanged": 0, "refused": 0}
    revoked = _assert_batch(_document(demo, "revoke", "manager", "els@delinde.nl", "--dry-run"))
    assert (revoked["applied"], revoked["dry_run"]) == (False, True)
    assert revoked["summary"]["revoked"] == 1


def test_a_refused_batch_still_prints_its_document(demo: Cli) -> None:
    refused = _assert_batch(
        _document(demo, "grant", "submitter", "koen@snel.nl", "nobody@snel.nl", codes=(3,))
    )
    assert refused["applied"] is False
    assert [r["status"] for r in refused["results"]] == ["granted", "refused"]


def _assert_permission(document: object) -> None:
    document = _keys(document, PERMISSION_KEYS)
    assert document["status"] in {"allowed", "pending", "relogin", "denied"}
    assert document["allowed"] is (document["status"] == "allowed")
    if document["effective_at"] is not None:
        _assert_utc_time(document["effective_at"])
    assert isinstance(document["reason"], str)


def test_check_json(demo: Cli) -> None:
    for email, code in (("dirk@vandijk.nl", 4), ("jeroen@oosterwold.nl", 4)):
        document = _keys(_document(demo, "check", email, codes=(code,)), CHECK_KEYS)
        assert document["email"] == email
        _assert_utc_time(document["at"])
        _assert_permission(document["submit"])
        _assert_permission(document["view_all"])


def test_pending_json(demo: Cli) -> None:
    rows = _document(demo, "pending")
    assert [row["email"] for row in rows] == ["jeroen@oosterwold.nl"]
    for row in rows:
        _keys(row, PENDING_KEYS)
        assert row["role"] in ROLES
        assert row["action"] in {"grant", "revoke"}
        _assert_utc_time(row["requested_at"])
        _assert_utc_time(row["effective_at"])
    assert _document(demo, "pending", "--org", "1001") == []


def test_recount_json(demo: Cli) -> None:
    document = _keys(_document(demo, "recount"), RECOUNT_KEYS)
    _assert_date(document["business_date"])
    assert document["status"] == "done"
    assert _is_int(document["organisations"])
    assert _is_int(document["pending_changes"])
    for item in document["over_quota"]:
        _keys(item, {"org", "used", "maximum"})
    for item in document["lapsed_experts"]:
        _keys(item, {"email", "org", "expert_until", "submitter"})
    assert all(isinstance(org, str) for org in document["without_admin"])
    assert all(isinstance(org, str) for org in document["nobody_can_submit"])
    assert _keys(_document(demo, "recount"), RECOUNT_KEYS)["status"] == "skipped"


def test_recount_json_appended_makes_json_lines(demo: Cli, tmp_path: Path) -> None:
    """docs/cron.md: ``recount --json >> recount.jsonl``; each run is one line."""
    log = tmp_path / "recount.jsonl"
    for args in (("recount",), ("recount", "--force")):
        with log.open("a") as f:
            f.write(demo.ok(*args, "--json").stdout)
    lines = log.read_text().splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["forced"] for line in lines] == [False, True]


def test_apply_json(demo: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "roles.toml"
    plan.write_text('[organisations."1001"]\nsubmitter = ["anouk@vandijk.nl", "dirk@vandijk.nl"]\n')
    document = _keys(_document(demo, "apply", str(plan), "--dry-run"), APPLY_KEYS)
    assert document["grant"] == [{"email": "dirk@vandijk.nl", "role": "submitter", "org": "1001"}]
    for key in ("grant", "revoke", "not_in_file"):
        for item in document[key]:
            _keys(item, APPLY_ITEM_KEYS)
    assert _is_int(document["unchanged"])


# --- the other documents ----------------------------------------------------------------------


def test_init_json(cli: Cli) -> None:
    document = _keys(_document(cli, "init"), INIT_KEYS)
    assert document["created"] is True
    assert document["demo_added"] is False


def test_org_documents(demo: Cli, tmp_path: Path) -> None:
    added = _keys(
        _document(demo, "org", "add", "2001", "--name", "Acme B.V.", "--employees", "30"),
        ORG_ADD_KEYS,
    )
    assert added["sector"] is None
    changed = _keys(
        _document(demo, "org", "set", "2001", "--quota", "4", "--reason", "pilot"),
        ORG_SET_KEYS,
    )
    assert changed["quota_override"] == 4
    shown = _keys(_document(demo, "org", "show", "1001"), ORG_SHOW_KEYS)
    _assert_quota(shown["quota"])
    assert [_keys(admin, {"email", "name"}) for admin in shown["admins"]]
    data = tmp_path / "orgs.csv"
    data.write_text("id,name,employees\n2002,Globex,5\n")
    imported = _keys(_document(demo, "org", "import", str(data), "--dry-run"), ORG_IMPORT_KEYS)
    assert imported["dry_run"] is True
    listed = _document(demo, "org", "list")
    assert [org["id"] for org in listed] == ["1001", "1002", "1003", "1004", "2001"]
    for org in listed:
        _assert_quota(_keys(org, ORG_KEYS)["quota"])


def test_contact_documents(demo: Cli, tmp_path: Path) -> None:
    added = _keys(
        _document(demo, "contacts", "add", "nieuw@snel.nl", "--org", "1004", "--name", "Nieuw"),
        CONTACT_ADD_KEYS,
    )
    assert added["created"] is True
    changed = _keys(
        _document(demo, "contacts", "set", "bram@vandijk.nl", "--inactive"), CONTACT_SET_KEYS
    )
    assert [set(item) for item in changed["revoked"]] == [{"role", "effective_at"}]
    shown = _keys(_document(demo, "contacts", "show", "anouk@vandijk.nl"), CONTACT_SHOW_KEYS)
    assert shown["roles"] == ["submitter", "manager"]
    for change in shown["role_changes"]:
        _keys(change, ROLE_CHANGE_KEYS)
    data = tmp_path / "contacts.csv"
    data.write_text("email,org,name\nnog@snel.nl,1004,Nog een\n")
    _keys(_document(demo, "contacts", "import", str(data)), IMPORT_KEYS)
    moved = _keys(
        _document(demo, "contacts", "move", "nog@snel.nl", "--org", "1003", "--reason", "x"),
        CONTACT_MOVE_KEYS,
    )
    assert moved["from_org"] == "1004"


def test_quota_explain_and_policy_documents(demo: Cli, tmp_path: Path) -> None:
    explained = _keys(_document(demo, "quota", "explain", "1002"), EXPLAIN_KEYS)
    _keys(explained["band"], {"from_employees", "until_employees", "maximum"})
    assert explained["override"] is None
    shown = _keys(_document(demo, "policy", "show"), POLICY_SHOW_KEYS)
    assert shown["default"] is True
    policy = tmp_path / "policy.toml"
    policy.write_text("[[bands]]\nfrom_employees = 0\nmaximum = 3\n")
    loaded = _keys(_document(demo, "policy", "load", str(policy)), POLICY_LOAD_KEYS)
    assert loaded["policy"]["bands"] == [{"from_employees": 0, "maximum": 3}]
    maxima = _keys(loaded["maxima"], {"lower", "higher", "over_quota"})
    assert all(isinstance(count, int) for count in maxima.values())


def test_settings_and_clock_documents(demo: Cli) -> None:
    settings = _keys(_document(demo, "settings", "show"), SETTINGS_KEYS)
    _assert_utc_time(settings["enforcement_date"])
    assert settings["clock"] is None
    changed = _keys(
        _document(demo, "settings", "set", "enforcement_date", "2024-01-01"), SETTING_SET_KEYS
    )
    _assert_utc_time(changed["after"])
    for args in (("clock", "show"), ("clock", "set", "2024-03-01T10:00"), ("clock", "reset")):
        clock = _keys(_document(demo, *args), CLOCK_KEYS)
        _assert_utc_time(clock["now"])


def test_login_and_incident_documents(demo: Cli) -> None:
    login = _keys(
        _document(demo, "--as", "anouk@vandijk.nl", "login", "anouk@vandijk.nl"), LOGIN_KEYS
    )
    _assert_utc_time(login["at"])
    submitted = _keys(
        _document(demo, "--as", "anouk@vandijk.nl", "incidents", "submit", "--subject", "Printer"),
        SUBMIT_KEYS,
    )
    _assert_utc_time(submitted["submitted_at"])
    listed = _document(demo, "--as", "anouk@vandijk.nl", "incidents", "list")
    assert [_keys(item, INCIDENT_KEYS)["subject"] for item in listed] == ["Printer"]
    assert listed[0]["body"] is None, "no value is null, never an empty string"


def test_readiness_doctor_and_backup_documents(demo: Cli, tmp_path: Path) -> None:
    report = _keys(_document(demo, "readiness"), READINESS_KEYS)
    _assert_utc_time(report["enforcement_date"])
    for item in report["organisations_without_submitter"]:
        _keys(item, {"org", "name"})
    doctor = _keys(_document(demo, "doctor"), DOCTOR_KEYS)
    for check in doctor["checks"]:
        _keys(check, {"name", "ok", "detail"})
    copy = tmp_path / "copy.db"
    backup = _keys(_document(demo, "backup", str(copy), between=copy.unlink), BACKUP_KEYS)
    assert _is_int(backup["bytes"])
    where = _keys(_document(demo, "where"), WHERE_KEYS)
    assert where["exists"] is True


# --- the page itself --------------------------------------------------------------------------


def _examples() -> dict[str, list[Any]]:
    """The JSON examples of docs/json.md, by the heading they are under."""
    found: dict[str, list[Any]] = {}
    heading = ""
    for match in re.finditer(r"^### ([^\n]+)$|^```json\n(.*?)^```", DOC.read_text(), re.M | re.S):
        if match.group(1):
            heading = match.group(1).strip()
            found[heading] = []
        elif heading:
            found[heading].append(json.loads(match.group(2)))
    return found


def _top_keys(example: Any) -> set[str]:
    item = example[0] if isinstance(example, list) else example
    assert isinstance(item, dict), example
    return set(item)


def test_every_document_of_the_page_is_pinned() -> None:
    examples = _examples()
    documents = {h: e for h, e in examples.items() if "--csv" not in h and "CSV" not in h}
    assert set(documents) == set(DOCUMENTED), "a document on the page without a test, or gone"
    for heading, keys in DOCUMENTED.items():
        assert [_top_keys(example) for example in documents[heading]] == keys, heading


def test_the_page_states_the_one_line_rule() -> None:
    text = DOC.read_text()
    assert "one line" in text
    assert "JSON Lines" in text
