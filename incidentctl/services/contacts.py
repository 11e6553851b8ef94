"""Contacts: add, change, move, import from CSV, list, show (docs/concepts.md, "Contacts")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple

from incidentctl import files, timeutil
from incidentctl.domain import (
    Actor,
    Contact,
    Organisation,
    RoleChange,
    email_in_domains,
    parse_email,
    parse_name,
    parse_org_id,
    require_operator,
    shown_actor,
)
from incidentctl.errors import Declined, InvalidInput, NotAuthorized, NotFound, StoreChanged
from incidentctl.roles import Role, defined
from incidentctl.services import roles as role_service
from incidentctl.services.imports import stage_rows
from incidentctl.services.lookups import (
    ask_portal_admin,
    listing_scope,
    require_contact,
    require_org,
    require_portal_admin,
)
from incidentctl.services.progress import NO_PROGRESS, Confirm, Progress
from incidentctl.store import Store, audit
from incidentctl.store import contacts as contact_store
from incidentctl.store import imports as import_store
from incidentctl.store import roles as role_store

# The forms and columns of the listing, for the command line (docs/json.md, "CSV").
from incidentctl.store.contacts import ListingForm as ListingForm

DEACTIVATED = "contact deactivated"


class ContactPatch(NamedTuple):
    """What ``contacts set`` (or an import row) changes; None leaves a field as it is."""

    name: str | None = None
    portal_admin: bool | None = None
    active: bool | None = None
    expert_until: date | None = None
    set_expert_until: bool = False  # True with expert_until None removes the certification

    def applied_to(self, contact: Contact) -> Contact:
        changed = contact
        if self.name is not None:
            changed = changed._replace(name=self.name)
        if self.portal_admin is not None:
            changed = changed._replace(portal_admin=self.portal_admin)
        if self.active is not None:
            changed = changed._replace(active=self.active)
        if self.set_expert_until:
            changed = changed._replace(expert_until=self.expert_until)
        return changed


def _authorize_change(
    actor: Actor,
    org_id: str,
    patch: ContactPatch,
    conn: Any | None = None,
    current: Contact | None = None,
) -> None:
    """A portal user changes contacts only as an active portal admin of their organisation
    (another organisation does not exist for it), and never a certification: a patch that
    gives the certification ``current`` (the contact as stored, None for a new one) already
    has changes nothing, so an exported list imports again (docs/concepts.md, "Contacts")."""
    if actor.contact is None:
        return
    if not actor.sees_org(org_id):
        raise NotFound(
            f"no organisation {org_id!r}", hint="see the list with: incidentctl org list"
        )
    if conn is not None:
        require_portal_admin(conn, actor, "change contacts")
    elif not actor.contact.portal_admin:
        raise NotAuthorized(
            f"{actor.name} is not a portal admin (klantportalbeheerder) and may not change "
            "contacts",
            hint="ask a portal admin of your organisation",
        )
    stored = current.expert_until if current is not None else None
    if patch.set_expert_until and patch.expert_until != stored:
        raise NotAuthorized(
            "certifications are recorded by the operator, not by portal users",
            hint="ask the vendor to record the AFAS Expert certification",
        )


def _fields(contact: Contact) -> dict[str, Any]:
    return {
        "name": contact.name,
        "active": contact.active,
        "portal_admin": contact.portal_admin,
        "expert_until": contact.expert_until.isoformat() if contact.expert_until else None,
    }


def create(conn: Any, actor: Actor, now: datetime, contact: Contact) -> Contact:
    """Insert a new contact and its audit event, inside the caller's transaction."""
    at = timeutil.to_iso(now)
    stored = contact_store.insert(conn, contact, at)
    audit.append(
        conn,
        at=at,
        actor=actor.name,
        action="contact.add",
        org=contact.org_id,
        contact=contact.email,
        after={"org": contact.org_id, **_fields(contact)},
    )
    return stored


def _apply_patch(
    conn: Any, store: Store, actor: Actor, now: datetime, before: Contact, patch: ContactPatch
) -> tuple[Contact, list[tuple[Role, datetime]]]:
    """Change one contact (audited); deactivating it revokes its incident roles."""
    after = patch.applied_to(before)
    if after == before:
        return after, []
    old, new = audit.changed(_fields(before), _fields(after))
    contact_store.update(conn, after)
    audit.append(
        conn,
        at=timeutil.to_iso(now),
        actor=actor.name,
        action="contact.set",
        org=before.org_id,
        contact=before.email,
        before=old,
        after=new,
    )
    revoked: list[tuple[Role, datetime]] = []
    if before.active and not after.active:
        revoked = role_service.revoke_all(conn, after, actor, now, store.settings, DEACTIVATED)
    return after, revoked


def _require_an_admin_left(conn: Any, actor: Actor) -> None:
    """Under --as, a change (``contacts set``, a whole ``contacts import``) may not leave the
    user's own organisation without an active portal admin. Checked once the change is made
    in full, inside its transaction, so that no order of rows can get around it: unmaking a
    colleague admin and then oneself fails as unmaking oneself alone does. The operator may
    (docs/concepts.md, "The last active portal admin stays")."""
    if actor.contact is None:
        return
    org_id = actor.contact.org_id
    if not contact_store.portal_admins(conn, org_id):
        raise InvalidInput(
            f"organisation {org_id} would be left without an active portal admin: under --as, "
            "the last active portal admin cannot remove its own admin role or deactivate "
            "itself",
            hint="make another contact portal admin first, or ask the operator (the vendor); "
            "nothing was written",
        )


def add(
    store: Store,
    actor: Actor,
    now: datetime,
    *,
    email: str,
    org_id: str,
    name: str,
    portal_admin: bool = False,
    expert_until: date | None = None,
) -> tuple[Contact, bool]:
    """``contacts add``: (the contact, whether it was created). Adding the same contact
    again is a no-op; an existing e-mail with other values is refused (use contacts set)."""
    contact = Contact(
        id=0,
        email=parse_email(email),
        org_id=parse_org_id(org_id),
        name=parse_name(name),
        active=True,
        portal_admin=portal_admin,
        expert_until=expert_until,
    )
    with store.write() as conn:
        org = require_org(conn, contact.org_id, actor)
        _authorize_change(
            actor,
            contact.org_id,
            ContactPatch(expert_until=expert_until, set_expert_until=bool(expert_until)),
            conn,
        )
        # Checked before the address is looked up: an address outside the domains gets one
        # answer, whoever holds it.
        _require_domain(actor, org, contact.email)
        existing = contact_store.get_by_email(conn, contact.email)
        if existing is not None and not actor.sees_org(existing.org_id):
            # Addresses are unique across the portal, so that much cannot be hidden; whose
            # address it is, is.
            raise InvalidInput(
                f"cannot add {contact.email}: the address is already in use",
                hint="the vendor can move a contact between organisations (contacts move)",
            )
        if existing is not None:
            if existing._replace(id=0, email=contact.email) == contact:
                return existing, False
            if existing.org_id != contact.org_id:
                raise InvalidInput(
                    f"contact {existing.email} already exists, in organisation {existing.org_id}",
                    hint=f"move it with: incidentctl contacts move {existing.email} --org "
                    f"{contact.org_id} --reason TEXT",
                )
            raise InvalidInput(
                f"contact {existing.email} already exists with other values",
                hint=f"change it with: incidentctl contacts set {existing.email} …",
            )
        return create(conn, actor, now, contact), True


def update(
    store: Store, actor: Actor, now: datetime, email: str, patch: ContactPatch
) -> tuple[Contact, Contact, list[tuple[Role, datetime]]]:
    """``contacts set``: (before, after, the role revokes a deactivation caused)."""
    if patch.name is not None:
        patch = patch._replace(name=parse_name(patch.name))
    with store.write() as conn:
        before = require_contact(conn, parse_email(email), actor)
        _authorize_change(actor, before.org_id, patch, conn, before)
        after, revoked = _apply_patch(conn, store, actor, now, before, patch)
        _require_an_admin_left(conn, actor)
    return before, after, revoked


MOVED = "contact moved to another organisation"
"""The reason of the revokes a move makes: the operator's own reason stays in the move event."""


class Moved(NamedTuple):
    """What ``contacts move`` did: the contact before and after, and the roles it revoked."""

    before: Contact
    after: Contact
    revoked: list[tuple[Role, datetime]]


def move(store: Store, actor: Actor, now: datetime, email: str, org_id: str, reason: str) -> Moved:
    """``contacts move``: put a contact in another organisation, in one transaction. Its
    roles there are revoked (each with its event), and it is no longer a portal admin: both
    belong to the organisation it leaves. Operator only; audited in both organisations.

    The revokes take effect at once, not after the propagation delay: the roles were the old
    organisation's, and a contact must not hold them in the new one, seeing its incidents or
    submitting there (docs/concepts.md, "Moving a contact"). Changes keep their order all
    the same: a revoke never takes effect before the previous change of its role."""
    require_operator(actor, "contacts move")
    reason = parse_name(reason, "reason")
    at_once = store.settings._replace(propagation_delay=timedelta(0))
    with store.write() as conn:
        before = require_contact(conn, parse_email(email))
        target = require_org(conn, parse_org_id(org_id))
        if before.org_id == target.id:
            return Moved(before, before, [])
        revoked = role_service.revoke_all(conn, before, actor, now, at_once, MOVED)
        after = before._replace(org_id=target.id, portal_admin=False)
        contact_store.move(conn, before.id, target.id)
        if before.portal_admin:
            contact_store.update(conn, after)
        change = {"org": before.org_id, "portal_admin": before.portal_admin}
        moved = {"org": target.id, "portal_admin": after.portal_admin}
        for org in (before.org_id, target.id):
            audit.append(
                conn,
                at=timeutil.to_iso(now),
                actor=actor.name,
                action="contact.move",
                org=org,
                contact=before.email,
                before=change,
                after=moved,
                reason=reason,
            )
    return Moved(before, after, revoked)


# --- import -----------------------------------------------------------------------------

IMPORT_COLUMNS = ("email", "org", "name", "portal_admin", "expert_until", "active", "roles")
_REQUIRED_COLUMNS = ("email", "org", "name")
# ``contacts list --csv`` writes the roles too; an import reads them as what they are, a
# listing, and leaves roles to grant, revoke and apply (so export → import round-trips).
_IGNORED_COLUMNS = ("roles",)
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ImportRow(NamedTuple):
    """One validated CSV row; a field is None when its column is absent."""

    line: int
    email: str
    org_id: str
    name: str
    patch: ContactPatch

    def staged(self) -> import_store.ContactRow:
        patch = self.patch
        return (
            self.line,
            self.email,
            self.org_id,
            self.name,
            None if patch.portal_admin is None else int(patch.portal_admin),
            None if patch.active is None else int(patch.active),
            patch.expert_until.isoformat() if patch.expert_until else None,
            int(patch.set_expert_until),
        )

    @classmethod
    def from_staged(cls, row: import_store.ContactRow) -> ImportRow:
        line, email, org_id, name, admin, active, expert, expert_given = row
        patch = ContactPatch(
            name=name,
            portal_admin=None if admin is None else bool(admin),
            active=None if active is None else bool(active),
            expert_until=date.fromisoformat(expert) if expert else None,
            set_expert_until=bool(expert_given),
        )
        return cls(line=line, email=email, org_id=org_id, name=name, patch=patch)


class ImportResult(NamedTuple):
    added: int
    updated: int  # deactivated contacts included
    unchanged: int
    revoked: int  # roles revoked by deactivations
    deactivated: int = 0
    deactivated_orgs: int = 0  # the organisations of the deactivated contacts


def _boolean(text: str, default: bool, where: str) -> bool:
    value = text.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{where}: {text!r} is not true/false, 1/0 or yes/no")


def _header_hint() -> str:
    return (
        "the header is email,org,name and optionally portal_admin, expert_until, active "
        "(and roles, which is ignored)"
    )


def _import_row(fields: dict[str, str], line: int, source: str) -> ImportRow:
    where = files.at_line(source, line, "")[:-2]
    try:
        email = parse_email(fields["email"])
        org_id = parse_org_id(fields["org"])
        name = parse_name(fields["name"])
        expert_text = fields.get("expert_until")
        expert = timeutil.parse_date(expert_text) if expert_text and expert_text.strip() else None
        patch = ContactPatch(
            name=name,
            portal_admin=_boolean(fields["portal_admin"], False, where)
            if "portal_admin" in fields
            else None,
            active=_boolean(fields["active"], True, where) if "active" in fields else None,
            expert_until=expert,
            set_expert_until="expert_until" in fields,
        )
    except InvalidInput as exc:
        message = exc.message if exc.message.startswith(where) else f"{where}: {exc.message}"
        raise InvalidInput(message, hint=exc.hint) from exc
    return ImportRow(line=line, email=email, org_id=org_id, name=name, patch=patch)


def parse_contacts_csv(csv_file: files.CsvFile) -> Iterator[ImportRow]:
    """The rows of a contacts CSV, each validated as it is read (the header first)."""
    source = csv_file.source
    columns = files.csv_columns(csv_file, IMPORT_COLUMNS, _REQUIRED_COLUMNS, _header_hint())
    for line, record in csv_file:
        if len(record) != len(columns):
            raise InvalidInput(
                files.at_line(source, line, f"{len(record)} fields, the header has {len(columns)}")
            )
        fields = dict(zip(columns, record, strict=True))
        for ignored in _IGNORED_COLUMNS:
            fields.pop(ignored, None)
        yield _import_row(fields, line, source)


def _stage(conn: Any, csv_file: files.CsvFile, progress: Progress) -> int:
    """Validate and stage every row; the first problem by line is raised: a bad row, or a
    row whose address an earlier row already listed. Answers how many rows were staged."""
    import_store.start_contacts(conn)
    source = csv_file.source

    def repeated(row: import_store.ContactRow, first: int) -> InvalidInput:
        return InvalidInput(
            files.at_line(source, row[0], f"{row[1]} is listed twice (first on line {first})")
        )

    staged = (row.staged() for row in parse_contacts_csv(csv_file))
    return stage_rows(staged, partial(import_store.stage_contacts, conn), repeated, progress)


def import_csv(
    store: Store,
    actor: Actor,
    now: datetime,
    csv_file: files.CsvFile,
    *,
    dry_run: bool = False,
    progress: Progress = NO_PROGRESS,
    confirm: Confirm | None = None,
) -> ImportResult:
    """``contacts import``: upsert every row in one transaction, or nothing at all.

    The file is read and staged first, without the write lock (stdin may be slow); then
    one ``BEGIN IMMEDIATE`` transaction applies the staged rows, or (``dry_run``) applies
    them and rolls back, so a dry run reports exactly what a real run would do.
    ``progress`` is told the number of rows of each chunk read, then of each chunk applied.

    With ``confirm``, an import that deactivates more than one contact (revoking their
    roles) is first tried in a transaction that is rolled back and put to ``confirm`` with
    no lock held; the real run must then come to the same counts, or nothing is written
    (:class:`StoreChanged`). A "no" raises :class:`Declined`.
    """
    if actor.contact is not None:  # refused before a slow stdin is read
        with store.read() as conn:
            require_portal_admin(conn, actor, "change contacts")
    progress.step("reading", of_input=True)
    count = _stage(store.conn, csv_file, progress)
    source = csv_file.source
    if confirm is not None and not dry_run and _deactivates_several(store):
        progress.step("checking", count)
        trial = _apply_staged(store, actor, now, source, write=False, progress=progress)
        if trial.deactivated > 1:
            if not confirm(_import_question(source, trial)):
                raise Declined("Nothing changed.")
            progress.step("writing", count)
            return _apply_staged(
                store, actor, now, source, write=True, progress=progress, confirmed=trial
            )
    progress.step("checking" if dry_run else "writing", count)
    return _apply_staged(store, actor, now, source, write=not dry_run, progress=progress)


def _deactivates_several(store: Store) -> bool:
    """Whether the staged rows may deactivate more than one contact: only then is the import
    tried first, to ask about it."""
    with store.read() as conn:
        return import_store.staged_deactivations(conn) > 1


def _import_question(source: str, result: ImportResult) -> str:
    organisations = result.deactivated_orgs
    revoking = f" (revoking {result.revoked:,} roles)" if result.revoked else ""
    return (
        f"Import {source}: add {result.added:,}, update "
        f"{result.updated - result.deactivated:,}, deactivate {result.deactivated:,} "
        f"contacts in {organisations:,} organisation{'s' if organisations != 1 else ''}"
        f"{revoking}?"
    )


_ADVANCE_EVERY = 1000


def _apply_staged(
    store: Store,
    actor: Actor,
    now: datetime,
    source: str,
    *,
    write: bool,
    progress: Progress,
    confirmed: ImportResult | None = None,
) -> ImportResult:
    """Apply the staged rows in a write transaction (``write``) or a rolled-back trial."""
    added = updated = unchanged = revoked = 0
    deactivated_in: dict[str, int] = {}
    transaction = store.write() if write else store.trial()
    at = timeutil.to_iso(now)
    with transaction as conn:
        orgs: dict[str, Organisation] = {}
        # New contacts are written a run at a time (the rows between two existing ones), in
        # two statements, so their events keep the file's order with the updates between.
        new_run: list[int] = []

        def add_new_run() -> None:
            if new_run:
                import_store.add_staged_contacts(
                    conn, new_run[0], new_run[-1], at=at, actor=actor.name
                )
                new_run.clear()

        for number, staged in enumerate(import_store.staged_contacts(conn), start=1):
            if number % _ADVANCE_EVERY == 0:
                progress.advance(_ADVANCE_EVERY)
            row = ImportRow.from_staged(staged)
            existing = contact_store.get_by_email(conn, row.email)
            # Only a contact the user may see is compared: whether another organisation's
            # contact has this certification must not make a difference.
            mine = existing if existing is not None and actor.sees_org(existing.org_id) else None
            try:
                _authorize_change(actor, row.org_id, row.patch, conn, mine)
                org = orgs.get(row.org_id)
                if org is None:
                    org = orgs[row.org_id] = require_org(conn, row.org_id, actor)
            except (NotFound, NotAuthorized) as exc:
                raise type(exc)(files.at_line(source, row.line, exc.message), exc.hint) from exc
            if existing is None:
                _require_domain(actor, org, row.email, files.at_line(source, row.line, ""))
                if not new_run:
                    new_run.append(row.line)
                new_run[1:] = [row.line]  # [first line, last line] of the run
                added += 1
                continue
            add_new_run()
            if existing.org_id != row.org_id and actor.contact is not None:
                # As contacts add: the address is taken, and whose it is stays unsaid.
                raise InvalidInput(
                    files.at_line(
                        source, row.line, f"cannot add {row.email}: the address is already in use"
                    ),
                    hint="the vendor can move a contact between organisations (contacts move); "
                    "nothing was written",
                )
            if existing.org_id != row.org_id:
                raise InvalidInput(
                    files.at_line(
                        source,
                        row.line,
                        f"{existing.email} belongs to organisation {existing.org_id}, "
                        f"not {row.org_id}",
                    ),
                    hint="the operator moves a contact with: incidentctl contacts move "
                    f"{existing.email} --org {row.org_id} --reason TEXT",
                )
            after, changes = _apply_patch(conn, store, actor, now, existing, row.patch)
            if after == existing:
                unchanged += 1
            else:
                updated += 1
            if existing.active and not after.active:
                deactivated_in[existing.org_id] = deactivated_in.get(existing.org_id, 0) + 1
            revoked += len(changes)
        add_new_run()
        _require_an_admin_left(conn, actor)
        result = ImportResult(
            added=added,
            updated=updated,
            unchanged=unchanged,
            revoked=revoked,
            deactivated=sum(deactivated_in.values()),
            deactivated_orgs=len(deactivated_in),
        )
        if confirmed is not None and result != confirmed:
            raise StoreChanged(
                f"the store changed while you were deciding: {source} would now deactivate "
                f"{result.deactivated:,} contacts (revoking {result.revoked:,} roles) and "
                f"update {result.updated:,}, not {confirmed.deactivated:,} "
                f"({confirmed.revoked:,}) and {confirmed.updated:,}; nothing was written",
                hint="run it again",
            )
    return result


def _require_domain(actor: Actor, org: Organisation, email: str, where: str = "") -> None:
    """A portal admin adds only addresses in its organisation's e-mail domains, when it has
    any (docs/concepts.md, "E-mail domains"); the operator adds any address."""
    if actor.contact is None or email_in_domains(email, org.domains):
        return
    raise NotAuthorized(
        f"{where}{email} is not in the e-mail domains of organisation {org.id}",
        hint=f"addresses of organisation {org.id} end in: "
        + ", ".join(f"@{domain}" for domain in org.domains)
        + "; nothing was written (the operator can add other addresses)",
    )


# --- reading ----------------------------------------------------------------------------


def listing(
    store: Store,
    actor: Actor,
    now: datetime,
    form: ListingForm = "rows",
    *,
    org_id: str | None = None,
    role: Role | None = None,
    pending: bool = False,
) -> Iterator[Any]:
    """``contacts list``: checked at once, then streamed inside one read snapshot, in the
    form of :func:`incidentctl.store.contacts.listing`. A portal user lists its own
    organisation; one that is not a portal admin only itself (its organisation's portal
    admins are named by ``org show``)."""
    org_id, only_contact = listing_scope(store, actor, org_id)
    pending_at = timeutil.to_iso(now) if pending else None
    return store.stream(
        lambda conn: contact_store.listing(
            conn, form, org_id=org_id, role=role, pending_at=pending_at, contact_id=only_contact
        )
    )


class ContactDetail(NamedTuple):
    """One contact with its current role changes, for ``contacts show``. ``restricted``: the
    viewer sees only the name and address (a portal admin, seen by a colleague who is not
    one); certification and roles are then None."""

    contact: Contact
    expert_today: bool | None
    latest_changes: dict[Role, RoleChange] | None
    restricted: bool = False


def show(store: Store, actor: Actor, now: datetime, email: str) -> ContactDetail:
    """``contacts show EMAIL``: everything for the operator and a portal admin; a portal
    user who is not a portal admin sees itself, and its organisation's portal admins by name
    and address only."""
    with store.read() as conn:
        contact = require_contact(conn, parse_email(email), actor)
        if not actor.sees_details_of(contact):
            if contact.portal_admin and contact.active:
                return ContactDetail(contact._replace(expert_until=None), None, None, True)
            raise NotAuthorized(
                f"{actor.name} may see only itself and its organisation's portal admins, "
                f"not {email.strip()}",
                hint=ask_portal_admin(conn, contact.org_id, "about another contact"),
            )
        latest = {}
        for role in defined():
            change = role_store.latest(conn, contact.id, role)
            if change is not None:
                latest[role] = change._replace(actor=shown_actor(actor, change.actor))
        today = timeutil.local_date(now, store.settings.timezone)
        return ContactDetail(contact, contact.is_expert(today), latest)
