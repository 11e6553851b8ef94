"""``log``: the audit log, as the operator and as a portal user may see it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from incidentctl import timeutil
from incidentctl.domain import (
    OPERATOR,
    OTHER_ORGANISATION,
    SHOWN_TO_PORTAL_USERS,
    Actor,
    shown_actor,
)
from incidentctl.errors import InvalidInput
from incidentctl.services.lookups import require_org, require_portal_admin
from incidentctl.store import Store, audit
from incidentctl.store.audit import Event as Event  # what log() returns, for the command line


def log(
    store: Store,
    actor: Actor,
    *,
    org: str | None,
    contact: str | None,
    since: datetime | None,
    action: str | None,
    limit: int | None,
) -> Iterator[Event]:
    """``log``: matching events, oldest first; a portal user sees its own organisation's."""
    if limit is not None and limit < 1:
        raise InvalidInput(f"--limit must be at least 1, got {limit}")
    if limit is not None:
        limit = min(limit, 2**63 - 1)  # SQLite's largest integer; no log holds more events
    if actor.contact is not None:
        with store.read() as conn:
            if org is not None:
                require_org(conn, org, actor)
            require_portal_admin(conn, actor, "read the audit log")
        org = actor.contact.org_id
    events = store.stream(
        lambda conn: audit.iter_events(
            conn,
            org=org,
            contact=contact,
            since=timeutil.to_iso(since) if since else None,
            action=action,
            limit=limit,
        )
    )
    if actor.contact is None:
        return events
    return (shown_event(actor, event) for event in events)


# Operator-written reasons a portal user does not see (an override's, a move's).
_INTERNAL_REASONS = frozenset({"org.set", "contact.move"})


def shown_event(viewer: Actor, event: Event) -> Event:
    """An event of the viewer's own organisation as a portal user may see it: not the
    operator's login, not the operator's internal reasons, and no other organisation's id
    (a contact moved in or out) (docs/concepts.md, "Who may do what")."""
    own = viewer.org_id
    reason = event.reason
    if (
        reason is not None
        and event.action in _INTERNAL_REASONS
        and event.actor.startswith(OPERATOR)
    ):
        reason = SHOWN_TO_PORTAL_USERS
    return event._replace(
        actor=shown_actor(viewer, event.actor),
        reason=reason,
        before=_shown_values(event.before, own),
        after=_shown_values(event.after, own),
    )


def _shown_values(text: str | None, own: str | None) -> str | None:
    if text is None or ('"org"' not in text and '"quota_override_reason"' not in text):
        return text
    import json

    values = json.loads(text)
    if not isinstance(values, dict):
        return text
    if values.get("org") not in (None, own):
        values["org"] = OTHER_ORGANISATION
    if values.get("quota_override_reason") is not None:
        values["quota_override_reason"] = SHOWN_TO_PORTAL_USERS
    return audit.encode(values)
