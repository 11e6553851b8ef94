"""Who runs a command: the operator, or the portal user named by ``--as`` (docs/concepts.md,
"Who may do what"). The one place that turns ``--as EMAIL`` into an :class:`Actor`."""

from __future__ import annotations

from incidentctl.domain import OPERATOR, Actor
from incidentctl.errors import NotAuthorized
from incidentctl.services.lookups import activate_hint
from incidentctl.store import Store
from incidentctl.store import contacts as contact_store


def operator() -> Actor:
    """The local operator, recorded as ``operator:LOGIN`` (or ``operator`` without a login)."""
    import getpass

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name in a bare container
        return Actor(name=OPERATOR)
    return Actor(name=f"{OPERATOR}:{user}")


def portal_user(store: Store, email: str) -> Actor:
    """The active contact ``--as EMAIL`` names; anyone else may do nothing here (exit 4)."""
    contact = contact_store.get_by_email(store.conn, email.strip())
    if contact is None:
        raise NotAuthorized(
            f"--as {email}: no such contact, so it may do nothing here",
            hint="give the e-mail address of a contact in the store",
        )
    if not contact.active:
        raise NotAuthorized(
            f"--as {email}: the contact is inactive and cannot use the portal",
            hint=activate_hint(store.conn, contact, None),
        )
    return Actor(name=contact.email, contact=contact)
