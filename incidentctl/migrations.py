"""The store's schema, as append-only named steps run by ``sqlite_utils.Migrations``.

Never edit or reorder a step once released: add a new one. :data:`STEPS` is read without
importing sqlite-utils, so opening an up-to-date store stays cheap; sqlite-utils is imported
only when a step is pending.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "incidentctl"
MIGRATIONS_TABLE = "_sqlite_migrations"

# Every state is derived from the latest change of a contact's role (the highest id of its
# (contact_id, role) entries). Covering action and effective_at, the recount's count of
# holders per organisation reads the first index alone: twice as fast as a bare
# (contact_id, role). Both steps that make role_changes make these.
_ROLE_CHANGES_INDEXES = """
CREATE INDEX role_changes_contact_role ON role_changes(contact_id, role, action, effective_at);
CREATE INDEX role_changes_effective_at ON role_changes(effective_at);
"""

_INITIAL_SCHEMA = """
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- The quota policy (policy load); no rows: the built-in default. Sector '' = general bands.
CREATE TABLE policy_bands (
    sector TEXT NOT NULL,
    from_employees INTEGER NOT NULL CHECK (from_employees >= 0),
    maximum INTEGER NOT NULL CHECK (maximum >= 0),
    PRIMARY KEY (sector, from_employees)
) WITHOUT ROWID;

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    employees INTEGER NOT NULL CHECK (employees >= 0),
    sector TEXT,
    quota_override INTEGER CHECK (quota_override >= 0),
    quota_override_reason TEXT,
    created_at TEXT NOT NULL,
    CHECK ((quota_override IS NULL) = (quota_override_reason IS NULL))
);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    portal_admin INTEGER NOT NULL DEFAULT 0 CHECK (portal_admin IN (0, 1)),
    expert_until TEXT,
    created_at TEXT NOT NULL
);
-- Listing per organisation in e-mail order streams from this index without sorting.
CREATE INDEX contacts_org_email ON contacts(org_id, email);
-- Small: reports look up experts and portal admins without scanning every contact.
CREATE INDEX contacts_expert_until ON contacts(expert_until) WHERE expert_until IS NOT NULL;
CREATE INDEX contacts_admins ON contacts(org_id) WHERE portal_admin = 1 AND active = 1;

-- Role changes are history: the state of a role at any time is derived from them.
CREATE TABLE role_changes (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    role TEXT NOT NULL CHECK (role IN ('submitter', 'manager')),
    action TEXT NOT NULL CHECK (action IN ('grant', 'revoke')),
    requested_at TEXT NOT NULL,
    effective_at TEXT NOT NULL CHECK (effective_at >= requested_at),
    actor TEXT NOT NULL,
    reason TEXT
);
{role_changes_indexes}

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    org_id TEXT,
    contact TEXT,
    role TEXT,
    before TEXT,
    after TEXT,
    reason TEXT
);
CREATE INDEX events_org ON events(org_id);
CREATE INDEX events_contact ON events(contact COLLATE NOCASE);
CREATE INDEX events_at ON events(at);

CREATE TABLE logins (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    at TEXT NOT NULL
);
CREATE INDEX logins_contact_at ON logins(contact_id, at);

CREATE TABLE incidents (
    id INTEGER PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations(id),
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    subject TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    submitted_at TEXT NOT NULL
);
CREATE INDEX incidents_org ON incidents(org_id, submitted_at);
CREATE INDEX incidents_contact ON incidents(contact_id, submitted_at);

CREATE TABLE recount_runs (
    id INTEGER PRIMARY KEY,
    business_date TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    forced INTEGER NOT NULL CHECK (forced IN (0, 1)),
    organisations INTEGER NOT NULL,
    report TEXT NOT NULL
);
CREATE INDEX recount_runs_date ON recount_runs(business_date);

-- One row per organisation per run. Keyed by run first: a run's rows are appended in one
-- sweep, and an organisation's current figure is one probe into the latest run. org_id is
-- history, copied from organisations by the same statement (which are never deleted): a
-- foreign key would add a lookup to each of a run's ten thousand rows.
CREATE TABLE published_counts (
    run_id INTEGER NOT NULL REFERENCES recount_runs(id),
    org_id TEXT NOT NULL,
    maximum INTEGER NOT NULL,
    used INTEGER NOT NULL,
    experts INTEGER NOT NULL,
    PRIMARY KEY (run_id, org_id)
) WITHOUT ROWID;
"""

# What may never be edited or deleted through any client: the audit log and the role
# history it matches, and what was published to customers.
_APPEND_ONLY_TABLES = {
    "events": ("id",),
    "role_changes": ("id",),
    "published_counts": ("run_id", "org_id"),
    "recount_runs": ("id",),
}


def _append_only_triggers(tables: dict[str, tuple[str, ...]]) -> str:
    statements = []
    for table, key in tables.items():
        refuse = f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
        for verb in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} {refuse}"
            )
        # INSERT OR REPLACE deletes the old row without firing DELETE triggers (unless
        # recursive_triggers is on), so an insert may not meet an existing key either.
        same_key = " AND ".join(f"old.{column} = NEW.{column}" for column in key)
        statements.append(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} AS old WHERE {same_key}) {refuse}"
        )
    return "\n".join(statements)


def initial_schema(db: Database) -> None:
    """Organisations, contacts, role history, audit log, sessions, incidents, recounts."""
    schema = _INITIAL_SCHEMA.replace("{role_changes_indexes}", _ROLE_CHANGES_INDEXES.strip())
    _execute_script(db.conn, schema + _append_only_triggers(_APPEND_ONLY_TABLES))


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT the transaction Migrations opened; run one by one.
    for statement in _split_statements(script):
        conn.execute(statement)


def _split_statements(script: str) -> list[str]:
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        statements.append(pending.strip())
    return statements


def organisation_domains(db: Database) -> None:
    """The e-mail domains of an organisation (``org set --domains``): its addresses' domains
    in lower case, separated by one blank; NULL for none."""
    db.conn.execute(
        "ALTER TABLE organisations ADD COLUMN domains TEXT "
        "CHECK (domains IS NULL OR (domains <> '' AND domains = lower(domains)))"
    )


Step = Callable[["Database"], None]

# The role column as 0003 makes it: a reference to the roles table, so that a new role is a
# row (:func:`add_role`) rather than a new CHECK, which SQLite can change only by rebuilding
# the append-only table of every role change ever made.
_ROLE_CHANGES = """
CREATE TABLE role_changes (
    id INTEGER PRIMARY KEY,
    contact_id INTEGER NOT NULL REFERENCES contacts(id),
    role TEXT NOT NULL REFERENCES roles(name),
    action TEXT NOT NULL CHECK (action IN ('grant', 'revoke')),
    requested_at TEXT NOT NULL,
    effective_at TEXT NOT NULL CHECK (effective_at >= requested_at),
    actor TEXT NOT NULL,
    reason TEXT
)
"""

_ROLE_CHANGE_COLUMNS = "id, contact_id, role, action, requested_at, effective_at, actor, reason"


def roles_table(db: Database) -> None:
    """The roles the store may hold (one row each, :mod:`incidentctl.roles` defines what
    they are), and role_changes rebuilt once to reference them instead of checking for the
    two names of 0001: the same rows, indexes and append-only triggers."""
    conn = db.conn
    conn.execute("CREATE TABLE roles (name TEXT PRIMARY KEY) WITHOUT ROWID")
    for name in ("submitter", "manager"):  # the roles 0001 allowed; later ones: add_role
        _add_role(conn, name)
    # Renamed first, so the new table is made under its own name; dropping the old one
    # drops its indexes and triggers (and fires none: DROP TABLE deletes no rows one by one).
    conn.execute("ALTER TABLE role_changes RENAME TO role_changes_before_0003")
    conn.execute(_ROLE_CHANGES.strip())
    conn.execute(
        f"INSERT INTO role_changes ({_ROLE_CHANGE_COLUMNS}) "
        f"SELECT {_ROLE_CHANGE_COLUMNS} FROM role_changes_before_0003 ORDER BY id"
    )
    conn.execute("DROP TABLE role_changes_before_0003")
    _execute_script(
        conn,
        _ROLE_CHANGES_INDEXES
        + _append_only_triggers({"role_changes": _APPEND_ONLY_TABLES["role_changes"]}),
    )


def _add_role(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("INSERT INTO roles (name) VALUES (?)", (name,))


def add_role(name: str) -> Step:
    """The migration step that lets the store hold a new role: append
    ``("NNNN_role_NAME", add_role("NAME"))`` to :data:`STEPS` when :mod:`incidentctl.roles`
    defines the role (docs/architecture.md, "Adding a role")."""

    def step(db: Database) -> None:
        _add_role(db.conn, name)

    step.__doc__ = f"The role {name}."
    return step


# The latest change of each contact's role, kept beside the history (docs/concepts.md, "The
# store"): what every common read wants (the holders now, the counts of an organisation, the
# roles column of a listing) is then one row per contact and role, however long the history
# grows. The store writes it in the transaction of each change (incidentctl/store/roles.py)
# and doctor compares it with the history. The organisation is copied from the contact (a
# move updates it), so the holders of a role in an organisation, and per organisation, are a
# range of role_state_holders; no foreign keys: every row is checked against the history,
# whose rows have them, and a bulk grant writes one row per contact.
_ROLE_STATE = """
CREATE TABLE role_state (
    contact_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    org_id TEXT NOT NULL,
    change_id INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('grant', 'revoke')),
    requested_at TEXT NOT NULL,
    effective_at TEXT NOT NULL,
    PRIMARY KEY (contact_id, role)
) WITHOUT ROWID;
"""

# What the state table holds for the history as it is: the latest change of each contact's
# role (the highest id of its entries of role_changes_contact_role, read from that index alone),
# with its contact's organisation. doctor compares the table with this query.
ROLE_STATE_FROM_HISTORY = """
SELECT r.contact_id, r.role, c.org_id, r.id, r.action, r.requested_at, r.effective_at
FROM (SELECT contact_id, role, max(id) AS id FROM role_changes GROUP BY contact_id, role) AS latest
JOIN role_changes r ON r.id = latest.id
JOIN contacts c ON c.id = r.contact_id
"""

_ROLE_STATE_INDEXES = """
CREATE INDEX role_state_holders ON role_state(role, action, org_id, effective_at);
CREATE INDEX contacts_org_inactive ON contacts(org_id) WHERE active = 0;
CREATE INDEX contacts_org_expert ON contacts(org_id, expert_until) WHERE expert_until IS NOT NULL;
"""


def role_state(db: Database) -> None:
    """The current state of every contact's roles (the latest change of each), built from the
    history in one statement; and the small indexes that count an organisation's inactive
    contacts and certified experts."""
    conn = db.conn
    _execute_script(conn, _ROLE_STATE)
    # Filled before its index is made: one sorted build instead of a million inserts into it.
    conn.execute(
        "INSERT INTO role_state (contact_id, role, org_id, change_id, action, requested_at, "
        f"effective_at) {ROLE_STATE_FROM_HISTORY.strip()} ORDER BY r.contact_id, r.role"
    )
    _execute_script(conn, _ROLE_STATE_INDEXES)


STEPS: tuple[tuple[str, Step], ...] = (
    ("0001_initial_schema", initial_schema),
    ("0002_organisation_domains", organisation_domains),
    ("0003_roles_table", roles_table),
    ("0004_role_state", role_state),
)
"""Every step, oldest first; the name is what the store records as applied."""


def applied_names(conn: sqlite3.Connection) -> list[str]:
    """The steps this store records as applied, oldest first (plain sqlite3, no import)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
    ).fetchone()
    if exists is None:
        return []
    rows = conn.execute(
        f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid",
        (MIGRATION_SET,),
    )
    return [name for (name,) in rows]


def unknown_steps(applied: list[str]) -> list[str]:
    """Applied steps this version does not know: the store was written by a newer version."""
    known = {name for name, _ in STEPS}
    return [name for name in applied if name not in known]


def pending_steps(applied: list[str]) -> list[str]:
    """Steps of this version the store has not applied yet."""
    done = set(applied)
    return [name for name, _ in STEPS if name not in done]


def apply_pending(conn: sqlite3.Connection) -> None:
    """Apply every pending step, each in its own transaction (sqlite-utils savepoints).

    The caller holds ``BEGIN IMMEDIATE`` so two processes opening a new store at once
    cannot both migrate it.
    """
    import sqlite_utils

    migrations = sqlite_utils.Migrations(MIGRATION_SET)
    for name, step in STEPS:
        migrations(name=name)(step)
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False))
