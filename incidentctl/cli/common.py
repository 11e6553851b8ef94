"""What every command shares: the global options' state, the session with the store (a
service opens it), the clock, the actor, and the option types used across commands.

The command modules import only this, typer and the vocabulary at start-up; each command
imports the services it runs, so ``--help`` and a quick ``check`` load no more than they use.
"""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from incidentctl.cli.completion import contact_emails, org_ids
from incidentctl.paths import store_path

if TYPE_CHECKING:
    from datetime import datetime

    from incidentctl import timeutil
    from incidentctl.domain import Actor
    from incidentctl.services.session import Session

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout (keys: docs/json.md).")
]
OrgId = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="The organisation id (customer number).", autocompletion=org_ids
    ),
]
OrgFilter = Annotated[
    str | None,
    typer.Option("--org", metavar="ID", help="Only this organisation.", autocompletion=org_ids),
]
Email = Annotated[
    str,
    typer.Argument(
        metavar="EMAIL",
        help="The contact's e-mail address (any case).",
        autocompletion=contact_emails,
    ),
]


class AppState:
    """The global options of one invocation, and what they resolve to (lazily)."""

    __slots__ = ("_actor", "_session", "as_email", "db", "debug", "now")

    def __init__(self, db: str | None, as_email: str | None, now: str | None, debug: bool):
        self.db = db
        self.as_email = as_email
        self.now = now
        self.debug = debug
        self._session: Session | None = None
        self._actor: Actor | None = None

    @property
    def path(self) -> Path:
        return store_path(self.db)

    def open_session(self, *, create: bool = False) -> "Session":
        """The session with the store, opened (and the store migrated) on first use; with
        ``create``, the store is made when it is not there (init)."""
        if self._session is None:
            from incidentctl.output import notice
            from incidentctl.services.session import Session

            self._session = Session.open(
                self.path, now=self.now, create=create, explicit=self.db is not None, notify=notice
            )
        return self._session

    @property
    def session(self) -> "Session":
        """The session with an existing store (see :meth:`open_session`)."""
        return self.open_session()

    @property
    def clock(self) -> "timeutil.Clock":
        """The time this command runs at: --now, else the simulated clock, else the system."""
        return self.session.clock

    def reset_clock(self) -> None:
        """Resolve the clock again (after the simulated clock was changed)."""
        self.session.reset_clock()

    @property
    def actor(self) -> "Actor":
        """The operator, or the portal user named by --as (who must be an active contact)."""
        if self._actor is None:
            from incidentctl.services import actors

            if self.as_email:
                self._actor = actors.portal_user(self.session.store, self.as_email)
            else:
                self._actor = actors.operator()
        return self._actor

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


def state(ctx: typer.Context) -> AppState:
    """The AppState the root callback put on the context."""
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def clock_notice(app: AppState) -> None:
    """Tell people (on stderr) when the time is simulated or pinned."""
    from incidentctl.output import notice

    text = app.clock.notice(app.session.timezone)
    if text:
        notice(text)


def show_time(app: AppState, moment: "datetime | None") -> str:
    """A time in the store's timezone for people ('-' for none)."""
    if moment is None:
        return "-"
    from incidentctl import timeutil

    return timeutil.format_local(moment, app.session.timezone)
