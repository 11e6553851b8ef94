"""The last day of a certification (docs/concepts.md, "Contacts": "inclusive: still an expert
on that date in the store's timezone"), in fast tests.

An expert is granted into a full quota at 23:59 Amsterdam time on its ``expert_until`` date,
and refused one minute after midnight. 00:01 in Amsterdam is still the previous day in UTC
(22:01 in summer), so a rule that looked at the UTC date would let the second grant through.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Cli

from incidentctl.errors import QUOTA_EXCEEDED

UNTIL = "2024-06-30"
LAST_MINUTE = "2024-06-30T23:59"  # no offset: the store's timezone, Europe/Amsterdam (CEST)
NEXT_DAY = "2024-07-01T00:01"
EXPERT = "eva@acme.nl"


@pytest.fixture
def full(store: Cli) -> Cli:
    """Acme (30 employees: a maximum of 3) with its three non-expert submitters, and an
    expert certified until UNTIL who holds no role yet."""
    store.ok("--now", "2024-06-01T09:00", "grant", "submitter", "admin@acme.nl", "jan@acme.nl")
    store.ok("--now", "2024-06-01T09:00", "contacts", "add", "kees@acme.nl", "--org", "1001",
             "--name", "Kees")  # fmt: skip
    store.ok("--now", "2024-06-01T09:00", "grant", "submitter", "kees@acme.nl")
    store.ok("--now", "2024-06-01T09:00", "contacts", "add", EXPERT, "--org", "1001",
             "--name", "Eva", "--expert-until", UNTIL)  # fmt: skip
    quota = store.json("--now", LAST_MINUTE, "quota", "1001")
    assert (quota["maximum"], quota["used"], quota["remaining"]) == (3, 3, 0)
    return store


def show(cli: Cli, now: str) -> dict[str, Any]:
    document = cli.json("--now", now, "contacts", "show", EXPERT)
    assert isinstance(document, dict)
    return document


def test_still_an_expert_at_23_59_on_the_last_day(full: Cli) -> None:
    assert show(full, LAST_MINUTE)["expert"] is True
    result = full.json("--now", LAST_MINUTE, "grant", "submitter", EXPERT)
    assert result["summary"]["granted"] == 1
    quota = full.json("--now", LAST_MINUTE, "quota", "1001")
    assert (quota["used"], quota["experts"], quota["over_quota"]) == (3, 1, False)


def test_no_longer_an_expert_one_minute_after_midnight(full: Cli) -> None:
    assert show(full, NEXT_DAY)["expert"] is False
    run = full("--now", NEXT_DAY, "grant", "submitter", EXPERT, "--json")
    assert run.exit_code == QUOTA_EXCEEDED, run.stderr
    assert "quota exceeded" in run.error_lines[0]
    document = run.json()
    assert isinstance(document, dict)
    assert document["applied"] is False
    assert [row["status"] for row in document["results"]] == ["refused"]
    quota = full.json("--now", NEXT_DAY, "quota", "1001")
    assert (quota["used"], quota["experts"]) == (3, 0)


def test_granted_on_the_last_day_it_counts_from_the_next(full: Cli) -> None:
    """Never revoked automatically (docs/concepts.md, rule 4): the lapsed expert keeps the role
    and the organisation is over quota from the next day on."""
    full.ok("--now", LAST_MINUTE, "grant", "submitter", EXPERT)
    quota = full.json("--now", NEXT_DAY, "quota", "1001")
    assert (quota["used"], quota["experts"], quota["over_quota"]) == (4, 0, True)
    assert show(full, NEXT_DAY)["roles"] == ["submitter"]
