"""The simulated clock (docs/concepts.md, "Time"): kept in the store so every command, cron
included, sees the same time until it is reset. It stands still until set or advanced."""

from __future__ import annotations

from datetime import datetime, timedelta

from incidentctl import timeutil
from incidentctl.domain import Actor, require_operator
from incidentctl.store import Store, audit

CLOCK_SETTING = "clock"


def set_clock(store: Store, actor: Actor, now: datetime, to: datetime | None) -> datetime | None:
    """Set the simulated clock to ``to`` (None: back to the system clock); audited."""
    require_operator(actor, "clock")
    with store.write() as conn:
        before = store.get_setting(CLOCK_SETTING)
        after = timeutil.to_iso(to) if to is not None else None
        if before != after:
            store.put_setting(CLOCK_SETTING, after)
            audit.append(
                conn,
                at=timeutil.to_iso(now),
                actor=actor.name,
                action="clock.set",
                before={"clock": before},
                after={"clock": after},
            )
    return to


def advance(store: Store, actor: Actor, now: datetime, by: timedelta) -> datetime:
    """Move the simulated clock on by ``by``, starting from the current time if none is set."""
    moved = timeutil.require_in_range(
        now + by, f"the clock advanced by {timeutil.format_duration(by)}"
    )
    set_clock(store, actor, now, moved)
    return moved
