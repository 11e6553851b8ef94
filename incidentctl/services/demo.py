"""``init --demo``: a small, realistic data set to try incidentctl on."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from incidentctl import timeutil
from incidentctl.domain import Actor, Contact, Organisation
from incidentctl.errors import InvalidInput
from incidentctl.roles import defined
from incidentctl.services import contacts as contact_service
from incidentctl.services import orgs as org_service
from incidentctl.services import roles as role_service
from incidentctl.store import Store
from incidentctl.store import orgs as org_store

DEMO_MARKER = "demo"

DEMO_HINT = (
    "give the demo a store of its own: incidentctl --db demo.db init --demo "
    "(and rm demo.db* when you are done with it)"
)


def require_own_store(path: Path, *, given: bool) -> None:
    """Refuse the demo in the default store, the one real work uses (docs/concepts.md, "The
    store"): demo contacts in it would later be counted, recounted and granted as real ones.

    ``given`` is whether --db or INCIDENTCTL_DB chose ``path``; a given path that is the
    default store's file is refused too.
    """
    from incidentctl.paths import default_store_path

    default = default_store_path()
    if not given or path.expanduser().resolve() == default.resolve():
        raise InvalidInput(
            f"the demo data does not go into the default store ({default}), which real work uses",
            hint=DEMO_HINT,
        )


def holds_demo(store: Store) -> bool:
    """Whether ``init --demo`` filled this store."""
    return store.get_setting(DEMO_MARKER) is not None


_ORGS = (
    ("1001", "Bakkerij Van Dijk B.V.", 35, "retail"),
    ("1002", "Zorggroep De Linde", 620, "zorg"),
    ("1003", "Gemeente Oosterwold", 1400, "overheid"),
    ("1004", "Fietsenmakerij Snel", 6, None),
)

# email, org, name, portal admin, expert for this many more days (None: no certificate),
# active, the names of the roles granted a day ago (of incidentctl.roles)
_CONTACTS: tuple[tuple[str, str, str, bool, int | None, bool, tuple[str, ...]], ...] = (
    ("anouk@vandijk.nl", "1001", "Anouk van Dijk", True, None, True, ("submitter", "manager")),
    ("bram@vandijk.nl", "1001", "Bram de Vries", False, None, True, ("submitter",)),
    ("chantal@vandijk.nl", "1001", "Chantal Bakker", False, 200, True, ("submitter",)),
    ("dirk@vandijk.nl", "1001", "Dirk Jansen", False, None, True, ()),
    ("els@delinde.nl", "1002", "Els Visser", True, None, True, ("manager",)),
    ("fatima@delinde.nl", "1002", "Fatima El Amrani", False, None, True, ("submitter",)),
    ("gert@delinde.nl", "1002", "Gert Mulder", False, -3, True, ("submitter",)),
    ("hanna@delinde.nl", "1002", "Hanna de Boer", False, None, False, ()),
    ("ilse@oosterwold.nl", "1003", "Ilse Smit", True, None, True, ("submitter",)),
    ("jeroen@oosterwold.nl", "1003", "Jeroen Bos", False, None, True, ()),
    ("koen@snel.nl", "1004", "Koen Snel", False, None, True, ()),
)


def add_demo(store: Store, actor: Actor, now: datetime) -> bool:
    """Fill an empty store with the demo set; False when it is already there."""
    today = timeutil.local_date(now, store.settings.timezone)
    yesterday = now - timedelta(days=1)
    with store.write() as conn:
        if holds_demo(store):
            return False
        if org_store.any_exist(conn):
            raise InvalidInput(
                "the store already holds organisations; --demo only fills an empty store",
                hint=DEMO_HINT,
            )
        for org_id, name, employees, sector in _ORGS:
            org_service.create(
                conn, actor, yesterday, Organisation(org_id, name, employees, sector, None, None)
            )
        for email, org_id, name, admin, expert_days, active, _ in _CONTACTS:
            expert: date | None = None if expert_days is None else today + timedelta(expert_days)
            contact_service.create(
                conn, actor, yesterday, Contact(0, email, org_id, name, active, admin, expert)
            )
        settings = store.settings
        roles = defined()
        for role in roles:
            role_service.apply_emails(
                conn,
                actor,
                yesterday,
                settings,
                action="grant",
                role=role,
                emails=[row[0] for row in _CONTACTS if role.name in row[6]],
                reason="demo data",
            )
        # One change still propagating, to show 'pending' and 'check'.
        role_service.apply_emails(
            conn,
            actor,
            now,
            settings,
            action="grant",
            role=roles.quota_role,
            emails=["jeroen@oosterwold.nl"],
            reason="demo data: still propagating",
        )
        store.put_setting(DEMO_MARKER, timeutil.to_iso(now))
    return True
