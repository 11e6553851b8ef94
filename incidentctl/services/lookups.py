"""Finding what a command names, as the actor may see it, or saying it does not exist (3).

A portal user (``--as``) sees only its own organisation: an organisation or contact outside it
is answered exactly as one that does not exist, with the same exit code and the same words,
and the words repeat what the user typed, never what is stored (docs/concepts.md, "Who may do
what"). Refusals that send someone to a portal admin name one.
"""

from __future__ import annotations

import sqlite3

from incidentctl.domain import Actor, Contact, Organisation, not_a_portal_admin
from incidentctl.errors import NotFound
from incidentctl.store import Store
from incidentctl.store import contacts as contact_store
from incidentctl.store import orgs as org_store

_ADMINS_NAMED = 3


def require_org(conn: sqlite3.Connection, org_id: str, actor: Actor | None = None) -> Organisation:
    """The organisation, or NotFound (exit 3), also for one outside a portal user's own."""
    org = org_store.get(conn, org_id) if actor is None or actor.sees_org(org_id) else None
    if org is None:
        raise NotFound(
            f"no organisation {org_id!r}", hint="see the list with: incidentctl org list"
        )
    return org


def require_contact(conn: sqlite3.Connection, email: str, actor: Actor | None = None) -> Contact:
    """The contact with this e-mail (any case), or NotFound (exit 3); for a portal user also
    a contact of another organisation, in the same words as one that does not exist."""
    contact = contact_store.get_by_email(conn, email)
    if actor is not None and actor.contact is not None:
        if contact is None or not actor.sees_org(contact.org_id):
            raise not_in_your_organisation(email)
        return contact
    if contact is None:
        raise NotFound(
            f"no contact {email}",
            hint="see the contacts with: incidentctl contacts list",
        )
    return contact


def not_in_your_organisation(email: str) -> NotFound:
    """What a portal user hears of an address that is not one of its organisation's."""
    return NotFound(
        f"no contact {email} in your organisation",
        hint="see your organisation's contacts with: incidentctl contacts list",
    )


def ask_portal_admin(conn: sqlite3.Connection, org_id: str, purpose: str = "") -> str:
    """Whom to ask (``purpose``: "to grant the … role"): the organisation's portal admins by
    name and address (the seed: "Weet je niet wie de klantportalbeheerders zijn?"), else the
    vendor."""
    admins = contact_store.portal_admins(conn, org_id)
    purpose = f" {purpose}" if purpose else ""
    if not admins:
        return f"your organisation has no active portal admin: ask the vendor{purpose}"
    named = " or ".join(f"{name} <{email}>" for email, name in admins[:_ADMINS_NAMED])
    more = len(admins) - _ADMINS_NAMED
    others = f" (or one of {more} more)" if more > 0 else ""
    return f"ask a portal admin{purpose}: {named}{others}"


def activate_hint(conn: sqlite3.Connection, contact: Contact, actor: Actor | None) -> str:
    """What to do about an inactive contact: the command that activates it, with its
    address, for whoever may run it (the operator, a portal admin of its organisation);
    anyone else (``actor`` None: the inactive portal user itself) is sent to the portal
    admins who may, by name and address."""
    command = f"incidentctl contacts set {contact.email} --active"
    if actor is not None and (
        actor.contact is None or (actor.contact.portal_admin and actor.sees_org(contact.org_id))
    ):
        return f"activate it first: {command}"
    return ask_portal_admin(conn, contact.org_id, f"to activate it ({command})")


def listing_scope(store: Store, actor: Actor, org_id: str | None) -> tuple[str | None, int | None]:
    """(organisation, contact) a listing is limited to: a portal user lists its own
    organisation, and one that is not a portal admin only itself. A given organisation is
    checked here, before any output (NotFound, as for one that does not exist)."""
    contact_id = None
    if actor.contact is not None:
        org_id = org_id or actor.contact.org_id
        if not actor.contact.portal_admin:
            contact_id = actor.contact.id
    if org_id is not None:
        with store.read() as conn:
            require_org(conn, org_id, actor)
    return org_id, contact_id


def require_portal_admin(conn: sqlite3.Connection, actor: Actor, doing: str) -> None:
    """Only the operator or an active portal admin (klantportalbeheerder) may ``doing``; the
    refusal names the portal admins to ask. (An inactive contact never gets this far: the
    actor of an inactive contact is refused when --as is resolved.)"""
    contact = actor.contact
    if contact is not None and not contact.portal_admin:
        raise not_a_portal_admin(actor, doing, ask_portal_admin(conn, contact.org_id))
