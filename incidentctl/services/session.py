"""One command's session with the store: the store opened (and migrated), the time the
command runs at, and the settings its output is shown in (docs/architecture.md).

The command line holds a :class:`Session` and hands ``session.store`` to the use cases; it
never opens, reads or types the store itself, so the store can change behind the services.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from incidentctl import timeutil
from incidentctl.store import Store

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from incidentctl.domain import Settings


class Session:
    """An open store with the clock of one command: ``--now``, else the simulated clock,
    else the system clock."""

    __slots__ = ("_clock", "_now", "store")

    def __init__(self, store: Store, now: str | None) -> None:
        self.store = store
        self._now = now
        self._clock: timeutil.Clock | None = None

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        now: str | None,
        create: bool = False,
        explicit: bool = True,
        notify: Callable[[str], None] | None = None,
    ) -> Session:
        """Open (with ``create``, make) and migrate the store at ``path``.

        The clock is resolved at once, so a bad ``--now`` is reported by every command that
        uses the store. ``explicit`` and ``notify`` are :meth:`Store.open`'s.
        """
        session = cls(Store.open(path, create=create, explicit=explicit, notify=notify), now)
        try:
            session.clock  # noqa: B018 - resolved for its error
        except BaseException:
            session.close()
            raise
        return session

    @property
    def settings(self) -> Settings:
        """The store's settings, as they are now (read again after a change)."""
        return self.store.settings

    @property
    def timezone(self) -> ZoneInfo:
        """The store's timezone: the one people see times in."""
        return self.store.settings.timezone

    @property
    def clock(self) -> timeutil.Clock:
        """The time this command runs at, and where it comes from."""
        if self._clock is None:
            settings = self.store.settings
            self._clock = timeutil.resolve_clock(
                self._now, settings.simulated_clock, settings.timezone
            )
        return self._clock

    def reset_clock(self) -> None:
        """Resolve the clock again (after the simulated clock was changed)."""
        self._clock = None

    def close(self) -> None:
        self.store.close()
