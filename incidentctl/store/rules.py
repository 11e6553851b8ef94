"""Rules of the domain written as SQL, for the queries that apply them to many rows at once.

Each expression here has a Python twin, and a property test (``tests/test_rules_sql.py``)
holds the two together: change one and the test shows where the other differs. Each is
written once and used by every query that needs it (docs/architecture.md says where each
rule lives).
"""

from __future__ import annotations


def expert_sql(contact: str) -> str:
    """Whether the contact row aliased ``contact`` is a certified expert on ``:today`` (an
    ISO date): 1 or 0. The twin of :meth:`incidentctl.domain.Contact.is_expert` (the last day
    of the certificate counts); held to it by ``tests/test_rules_sql.py``. Dates are stored as
    ``YYYY-MM-DD`` text, so comparing the text compares the dates."""
    return f"coalesce({expert_condition_sql(contact)}, 0)"


def expert_condition_sql(contact: str) -> str:
    """:func:`expert_sql` as a condition of a WHERE clause (NULL for no certificate, which a
    WHERE takes as false): written so, a query finds an organisation's experts as a range of
    the small partial index on (org_id, expert_until)."""
    return f"{contact}.expert_until >= :today"


def effective_at_sql(previous_effective_at: str) -> str:
    """When a change made now takes effect: ``:effective_at`` (now plus the propagation
    delay, ISO text in UTC), but never before ``previous_effective_at``, the effective time of
    the latest change of the same contact and role (NULL for none). The twin of
    :func:`incidentctl.domain.effective_at`; held to it by ``tests/test_rules_sql.py``. Times
    are stored as UTC ISO text of one length, so the larger text is the later time."""
    return f"max(:effective_at, coalesce({previous_effective_at}, ''))"


def remaining_sql(maximum: str, used: str) -> str:
    """The seats left for non-expert submitters, 0 when over quota. The twin of
    :attr:`incidentctl.services.quota.QuotaStatus.remaining`; held to it by
    ``tests/test_rules_sql.py``."""
    return f"max({maximum} - {used}, 0)"


def over_quota_sql(maximum: str, used: str) -> str:
    """Whether more non-expert submitters hold the role than the maximum allows: 1 or 0. The
    twin of :attr:`incidentctl.services.quota.QuotaStatus.over_quota`; held to it by
    ``tests/test_rules_sql.py``."""
    return f"({used} > {maximum})"
