"""``settings show|set``: the settings every user of the store shares."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from incidentctl import timeutil
from incidentctl.domain import Actor, parse_setting, require_operator
from incidentctl.store import Store, audit
from incidentctl.vocabulary import SETTING_HELP


class SettingView(NamedTuple):
    key: str
    value: str
    is_default: bool
    description: str


def settings(store: Store, actor: Actor) -> list[SettingView]:
    """``settings show``."""
    require_operator(actor, "settings show")
    current = store.settings
    stored = store.setting_keys()
    values = {
        "timezone": current.timezone.key,
        "propagation_delay": timeutil.format_duration(current.propagation_delay),
        "enforcement_date": timeutil.to_iso(current.enforcement_date),
    }
    return [
        SettingView(key, values[key], key not in stored, SETTING_HELP[key])
        for key in sorted(SETTING_HELP)
    ]


def set_setting(store: Store, actor: Actor, now: datetime, key: str, value: str) -> tuple[str, str]:
    """``settings set KEY VALUE``: (before, after) as stored, audited."""
    require_operator(actor, "settings set")
    key = key.strip().lower()
    stored = parse_setting(key, value, now=now, tz=store.settings.timezone)
    with store.write() as conn:
        before = {view.key: view.value for view in settings(store, actor)}[key]
        store.put_setting(key, stored)
        after = {view.key: view.value for view in settings(store, actor)}[key]
        if before != after:
            audit.append(
                conn,
                at=timeutil.to_iso(now),
                actor=actor.name,
                action="settings.set",
                before={key: before},
                after={key: after},
            )
    return before, after
