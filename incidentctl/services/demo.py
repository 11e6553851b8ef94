"""``init --demo``: a small, realistic data set to try incidentctl on."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from incidentctl import timeutil
from incidentctl.domain import Actor, Contact, Organisation, Role
from incidentctl.errors import InvalidInput
from incidentctl.services import roles as role_service
from incidentctl.store import Store, audit
from incidentctl.store import contacts as contact_store
from incidentctl.store import orgs as org_store

DEMO_MARKER = "demo"

_ORGS = (
    ("1001", "Bakkerij Van Dijk B.V.", 35, "retail"),
    ("1002", "Zorggroep De Linde", 620, "zorg"),
    ("1003", "Gemeente Oosterwold", 1400, "overheid"),
    ("1004", "Fietsenmakerij Snel", 6, None),
)

# email, org, name, portal admin, expert for this many more days (None: no certificate),
# active, roles granted a day ago
_CONTACTS: tuple[tuple[str, str, str, bool, int | None, bool, tuple[Role, ...]], ...] = (
    (
        "anouk@vandijk.nl",
        "1001",
        "Anouk van Dijk",
        True,
        None,
        True,
        (Role.SUBMITTER, Role.MANAGER),
    ),
    ("bram@vandijk.nl", "1001", "Bram de Vries", False, None, True, (Role.SUBMITTER,)),
    ("chantal@vandijk.nl", "1001", "Chantal Bakker", False, 200, True, (Role.SUBMITTER,)),
    ("dirk@vandijk.nl", "1001", "Dirk Jansen", False, None, True, ()),
    ("els@delinde.nl", "1002", "Els Visser", True, None, True, (Role.MANAGER,)),
    ("fatima@delinde.nl", "1002", "Fatima El Amrani", False, None, True, (Role.SUBMITTER,)),
    ("gert@delinde.nl", "1002", "Gert Mulder", False, -3, True, (Role.SUBMITTER,)),
    ("hanna@delinde.nl", "1002", "Hanna de Boer", False, None, False, ()),
    ("ilse@oosterwold.nl", "1003", "Ilse Smit", True, None, True, (Role.SUBMITTER,)),
    ("jeroen@oosterwold.nl", "1003", "Jeroen Bos", False, None, True, ()),
    ("koen@snel.nl", "1004", "Koen Snel", False, None, True, ()),
)


def add_demo(store: Store, actor: Actor, now: datetime) -> bool:
    """Fill an empty store with the demo set; False when it is already there."""
    today = timeutil.local_date(now, store.settings.timezone)
    yesterday = now - timedelta(days=1)
    delay = store.settings.propagation_delay
    with store.write() as conn:
        if store.get_setting(DEMO_MARKER) is not None:
            return False
        if conn.execute("SELECT 1 FROM organisations LIMIT 1").fetchone():
            raise InvalidInput(
                "the store already holds organisations; --demo only fills an empty store",
                hint="use another store for the demo: incidentctl --db demo.db init --demo",
            )
        at = timeutil.to_iso(yesterday)
        for org_id, name, employees, sector in _ORGS:
            org = Organisation(org_id, name, employees, sector, None, None)
            org_store.insert(conn, org, at)
            audit.append(
                conn,
                at=at,
                actor=actor.name,
                action="org.add",
                org=org_id,
                after={"name": name, "employees": employees, "sector": sector},
            )
        for email, org_id, name, admin, expert_days, active, roles in _CONTACTS:
            expert: date | None = None if expert_days is None else today + timedelta(expert_days)
            contact = contact_store.insert(
                conn, Contact(0, email, org_id, name, active, admin, expert), at
            )
            audit.append(
                conn,
                at=at,
                actor=actor.name,
                action="contact.add",
                org=org_id,
                contact=email,
                after={
                    "name": name,
                    "portal_admin": admin,
                    "expert_until": expert.isoformat() if expert else None,
                    "active": active,
                },
            )
            for role in roles:
                role_service.record_change(
                    conn,
                    contact,
                    role,
                    "grant",
                    now=yesterday,
                    delay=delay,
                    actor=actor.name,
                    reason="demo data",
                )
        # One change still propagating, to show 'pending' and 'check'.
        jeroen = contact_store.get_by_email(conn, "jeroen@oosterwold.nl")
        assert jeroen is not None
        role_service.record_change(
            conn,
            jeroen,
            Role.SUBMITTER,
            "grant",
            now=now,
            delay=delay,
            actor=actor.name,
            reason="demo data: still propagating",
        )
        store.put_setting(DEMO_MARKER, timeutil.to_iso(now))
    return True
