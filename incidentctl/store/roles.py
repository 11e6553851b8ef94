"""Queries on the role history and the current state kept beside it.

Role changes are appended to ``role_changes`` and never changed. ``role_state`` holds the
latest change of each contact's role (docs/concepts.md, "The store"): every function here that
appends a change writes it in the same statement group, and the common reads (who holds a
role now, the counts of an organisation, a listing's roles) read it, so their cost does not
grow with the history. What depends on a moment other than the latest change (``check --at``,
changes still propagating) is read from the history of the few contacts concerned.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, NamedTuple

from incidentctl import timeutil
from incidentctl.documents import RESULT_KEYS
from incidentctl.domain import RoleChange
from incidentctl.errors import INVALID_INPUT, NOT_FOUND
from incidentctl.roles import Role, defined
from incidentctl.store.rules import effective_at_sql, expert_condition_sql, expert_sql


def latest_action_sql(contact: str, role: Role) -> str:
    """SQL for the latest action ('grant'/'revoke'/NULL) of ``role`` for the contact row
    aliased ``contact``: one probe of the state table's primary key. A role's name is a plain
    word (:class:`incidentctl.roles.Roles` checks it), so it can stand in the text."""
    return (
        f"(SELECT s.action FROM role_state s WHERE s.contact_id = {contact}.id "
        f"AND s.role = '{role.name}')"
    )


def _submitter() -> str:
    """The name of the role the quota counts, which is the one role that gives submitting."""
    return defined().quota_role.name


def _change(row: tuple[Any, ...]) -> RoleChange:
    return RoleChange(
        id=row[0],
        contact_id=row[1],
        role=defined().named(row[2]),
        action=row[3],
        requested_at=timeutil.from_iso(row[4]),
        effective_at=timeutil.from_iso(row[5]),
        actor=row[6],
        reason=row[7],
    )


_CHANGE_COLUMNS = "id, contact_id, role, action, requested_at, effective_at, actor, reason"


def history(conn: sqlite3.Connection, contact_id: int) -> list[RoleChange]:
    """Every role change of one contact, in the order they were made."""
    rows = conn.execute(
        f"SELECT {_CHANGE_COLUMNS} FROM role_changes WHERE contact_id = ? ORDER BY id",
        (contact_id,),
    )
    return [_change(row) for row in rows]


def latest(conn: sqlite3.Connection, contact_id: int, role: Role) -> RoleChange | None:
    """The latest change of one contact's role (the state table names it)."""
    row = conn.execute(
        f"SELECT {_CHANGE_COLUMNS} FROM role_changes WHERE id = "
        "(SELECT change_id FROM role_state WHERE contact_id = ? AND role = ?)",
        (contact_id, role.name),
    ).fetchone()
    return None if row is None else _change(row)


def holders(conn: sqlite3.Connection, org_id: str, role: Role) -> list[tuple[int, str]]:
    """(id, e-mail) of the organisation's contacts who hold ``role`` as last granted."""
    rows = conn.execute(
        "SELECT c.id, c.email FROM role_state s CROSS JOIN contacts c ON c.id = s.contact_id "
        "WHERE s.role = ? AND s.action = 'grant' AND s.org_id = ? ORDER BY c.email",
        (role.name, org_id),
    )
    return [(int(i), str(e)) for i, e in rows]


# The submitter counts of one organisation, each from a range of an index: its holders from
# role_state_holders, and, to take out, those who are inactive or certified experts today from
# the small partial indexes on contacts (docs/performance.md). A deactivation revokes every
# role, so inactive holders are rare, but counted exactly. CROSS JOIN keeps the order of the
# tables as written (SQLite's rule), whatever statistics the store has.
_ORG_COUNTS_SQL = f"""
SELECT
    (SELECT count(*) FROM role_state s
        WHERE s.role = :role AND s.action = 'grant' AND s.org_id = :org),
    (SELECT count(*) FROM contacts c
        CROSS JOIN role_state s ON s.contact_id = c.id AND s.role = :role
        WHERE c.org_id = :org AND c.active = 0 AND s.action = 'grant'),
    (SELECT count(*) FROM contacts c
        CROSS JOIN role_state s ON s.contact_id = c.id AND s.role = :role
        WHERE c.org_id = :org AND {expert_condition_sql("c")} AND c.active = 1
        AND s.action = 'grant')
"""


def submitter_counts(conn: sqlite3.Connection, org_id: str, today: date) -> tuple[int, int]:
    """(used, experts) of one organisation, live: active contacts whose latest submitter
    change is a grant (in effect or still propagating), split by certification today."""
    holders, inactive, experts = conn.execute(
        _ORG_COUNTS_SQL, {"org": org_id, "role": _submitter(), "today": today.isoformat()}
    ).fetchone()
    return int(holders - inactive - experts), int(experts)


def submitter_counts_sql() -> str:
    """Per organisation with submitters: used, experts, in_effect (see :class:`OrgCounts`);
    parameters ``today`` (a date) and ``now`` (a time), both ISO text. One row per current
    holder: the holders are a range of the state table's index, in organisation order."""
    return (
        "SELECT s.org_id AS org_id, "
        f"count(*) FILTER (WHERE NOT {expert_sql('c')}) AS used, "
        f"count(*) FILTER (WHERE {expert_sql('c')}) AS experts, "
        "count(*) FILTER (WHERE s.effective_at <= :now) AS in_effect "
        "FROM role_state s CROSS JOIN contacts c ON c.id = s.contact_id "
        f"WHERE s.role = '{_submitter()}' AND s.action = 'grant' AND c.active = 1 "
        "GROUP BY s.org_id"
    )


class OrgCounts(NamedTuple):
    """An organisation's submitters, live (docs/roles-and-quota.md, "The quota")."""

    used: int  # active non-expert holders, as last granted (propagating included)
    experts: int  # active holders who are certified experts today
    in_effect: int  # active holders whose latest grant is in effect (see below)


def submitter_counts_by_org(
    conn: sqlite3.Connection, today: date, now: str
) -> dict[str, OrgCounts]:
    """:class:`OrgCounts` of every organisation with submitters, in ONE pass over the
    current holders: the whole-store form of :func:`submitter_counts`, for the recount, the
    quota of every organisation and batches touching many organisations.

    ``in_effect`` counts holders whose latest change is a grant already in effect; a holder
    whose latest change is still propagating is decided by :func:`orgs_held_through_pending`.
    """
    rows = conn.execute(submitter_counts_sql(), {"today": today.isoformat(), "now": now})
    return {org_id: OrgCounts(*counts) for org_id, *counts in rows}


def orgs_held_through_pending(conn: sqlite3.Connection, now: str) -> set[str]:
    """Organisations where an active contact whose submitter change is still propagating
    holds the role in effect now (a revoke not yet in effect, or a grant after a grant):
    the few contacts :func:`submitter_counts_by_org` cannot decide, from the history of the
    pending ones (a range of the index on effective_at)."""
    rows = conn.execute(
        "SELECT DISTINCT c.org_id FROM contacts c WHERE c.id IN (SELECT p.contact_id "
        "FROM role_changes p WHERE p.effective_at > :now AND p.role = :role) AND c.active = 1 "
        "AND (SELECT r.action FROM role_changes r WHERE r.contact_id = c.id "
        "AND r.role = :role AND r.effective_at <= :now ORDER BY r.id DESC LIMIT 1) = 'grant'",
        {"now": now, "role": _submitter()},
    )
    return {org_id for (org_id,) in rows}


def action_by_sql(contact: str, role: str, at: str) -> str:
    """SQL for the action of the latest change of ``role`` (SQL text) of the contact row
    aliased ``contact`` made by ``at`` (SQL text), NULL for none: the state table's, unless
    that change was made later (a clock set back); then the contact's history says."""
    return (
        f"(SELECT CASE WHEN s.requested_at <= {at} THEN s.action ELSE "
        f"(SELECT r.action FROM role_changes r WHERE r.contact_id = s.contact_id "
        f"AND r.role = s.role AND r.requested_at <= {at} ORDER BY r.id DESC LIMIT 1) END "
        f"FROM role_state s WHERE s.contact_id = {contact}.id AND s.role = {role})"
    )


def orgs_with_submitter(conn: sqlite3.Connection, at: str) -> set[str]:
    """Organisations where an active contact holds the submitter role as last granted or
    revoked by ``at`` (in effect or not; log-ins don't count): the holders of the state
    table whose latest change was made by then, and, from their history, the few contacts
    whose latest change was made after ``at`` (it takes effect after it too)."""
    rows = conn.execute(
        "SELECT s.org_id FROM role_state s CROSS JOIN contacts c ON c.id = s.contact_id "
        "WHERE s.role = :role AND s.action = 'grant' AND s.requested_at <= :at AND c.active = 1 "
        "UNION "
        "SELECT c.org_id FROM contacts c WHERE c.active = 1 AND c.id IN "
        "(SELECT p.contact_id FROM role_changes p WHERE p.effective_at > :at AND p.role = :role) "
        f"AND {action_by_sql('c', ':role', ':at')} = 'grant'",
        {"at": at, "role": _submitter()},
    )
    return {org_id for (org_id,) in rows}


def pending_count(conn: sqlite3.Connection, now: str) -> int:
    """How many changes made by ``now`` are not yet in effect."""
    row = conn.execute(
        "SELECT count(*) FROM role_changes WHERE effective_at > ? AND requested_at <= ?",
        (now, now),
    ).fetchone()
    return int(row[0])


def pending(
    conn: sqlite3.Connection, now: str, org_id: str | None = None, contact_id: int | None = None
) -> Iterator[tuple[str, str, str, str, str, str]]:
    """Changes made by ``now`` but not yet in effect, soonest first, of one organisation or
    one contact (or all): (email, org, role, action, requested_at, effective_at)."""
    sql = (
        "SELECT c.email, c.org_id, r.role, r.action, r.requested_at, r.effective_at "
        "FROM role_changes r JOIN contacts c ON c.id = r.contact_id "
        "WHERE r.effective_at > :now AND r.requested_at <= :now"
    )
    params: dict[str, object] = {"now": now}
    if org_id is not None:
        sql += " AND c.org_id = :org"
        params["org"] = org_id
    if contact_id is not None:
        sql += " AND r.contact_id = :contact"
        params["contact"] = contact_id
    sql += " ORDER BY r.effective_at, r.id"
    return iter(conn.execute(sql, params))


def move_state(conn: sqlite3.Connection, contact_id: int, org_id: str) -> None:
    """The contact's rows of the state table follow it to organisation ``org_id`` (a move,
    inside the caller's transaction)."""
    conn.execute("UPDATE role_state SET org_id = ? WHERE contact_id = ?", (org_id, contact_id))


# --- batches: one grant or revoke of many contacts, planned and applied set-based --------------
#
# The rows of a batch go into a temporary table; one query classifies them all (unknown,
# duplicate, other organisation, inactive, unchanged, to change), and the changes and their
# audit events are written with INSERT … SELECT. The temporary tables live on after the
# transaction, so the per-row results stream from them to the output, until the next batch
# on the same connection replaces them (each batch has a number, and reading the rows of an
# earlier one is refused rather than answered with another batch's rows).


def start_batch(conn: sqlite3.Connection) -> int:
    """An empty batch table (temporary: private to this connection), and the batch's number."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS batch "
        "(pos INTEGER PRIMARY KEY, origin TEXT NOT NULL, line INTEGER NOT NULL, "
        "email TEXT NOT NULL)"
    )
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS batch_number (number INTEGER NOT NULL)")
    conn.execute("DELETE FROM temp.batch")
    number = _batch_number(conn) + 1
    conn.execute("DELETE FROM temp.batch_number")
    conn.execute("INSERT INTO temp.batch_number (number) VALUES (?)", (number,))
    return number


def _batch_number(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(number) FROM temp.batch_number").fetchone()
    return int(row[0] or 0)


def add_to_batch(conn: sqlite3.Connection, rows: Iterable[tuple[str, int, str]]) -> None:
    """Add rows to the batch: (where it came from, such as 'argument' or 'line', its number
    there, the e-mail as given). Outside a transaction they are added in one of their own,
    which writes only the temporary table: other processes may write the store meanwhile."""
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        conn.executemany("INSERT INTO temp.batch (origin, line, email) VALUES (?, ?, ?)", rows)
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if own:
        conn.execute("COMMIT")


# Reasons are data, so they are bound as parameters like any value.
_PLAN_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS plan (
    pos INTEGER PRIMARY KEY, origin TEXT, line INTEGER, given TEXT, contact_id INTEGER,
    email TEXT, org_id TEXT, expert INTEGER, status TEXT, cause INTEGER, reason TEXT,
    effective_at TEXT
)
"""

# One pass over the batch in input order: each row's contact (e-mail index) and the latest
# change of its role (a probe of the state table). Duplicates are settled afterwards.
# A portal user's batch joins only its own organisation's contacts, so a contact of another
# organisation is, to the end of the batch, exactly an address that does not exist. A batch
# for one organisation (``apply``) refuses, for the operator, the contacts of another.
_PLAN_SQL = f"""
INSERT INTO temp.plan
SELECT
    b.pos, b.origin, b.line, b.given, b.contact_id, b.email, b.org_id, b.expert,
    CASE
        WHEN b.contact_id IS NULL THEN 'refused'
        WHEN b.org_id <> :within_org THEN 'refused'
        WHEN :action = 'grant' AND b.active = 0 THEN 'refused'
        WHEN :action = 'grant' AND b.current = 'grant' THEN 'unchanged'
        WHEN :action = 'revoke' AND coalesce(b.current, 'revoke') = 'revoke' THEN 'unchanged'
        WHEN :action = 'grant' THEN 'granted'
        ELSE 'revoked'
    END,
    CASE
        WHEN b.contact_id IS NULL THEN :not_found
        WHEN b.org_id <> :within_org THEN :invalid_input
        WHEN :action = 'grant' AND b.active = 0 THEN :invalid_input
    END,
    CASE
        WHEN b.contact_id IS NULL THEN iif(:actor_org IS NULL, :unknown, :not_in_org)
        WHEN b.org_id <> :within_org THEN
            :other_org || ' ' || b.org_id || ', not ' || :within_org
        WHEN :action = 'grant' AND b.active = 0 THEN :inactive
        WHEN :action = 'grant' AND b.current = 'grant' THEN :holds
        WHEN :action = 'revoke' AND coalesce(b.current, 'revoke') = 'revoke' THEN :not_held
    END,
    {effective_at_sql("b.previous_effective_at")}
FROM (
    SELECT
        t.pos, t.origin, t.line, t.email AS given,
        c.id AS contact_id, c.email, c.org_id, c.active,
        {expert_sql("c")} AS expert,
        r.action AS current, r.effective_at AS previous_effective_at
    FROM temp.batch t
    LEFT JOIN contacts c ON c.email = t.email AND (:actor_org IS NULL OR c.org_id = :actor_org)
    LEFT JOIN role_state r ON r.contact_id = c.id AND r.role = :role
    ORDER BY t.pos
) AS b
"""

# A contact listed again is settled by its first row; the later ones change nothing.
_DUPLICATES_SQL = """
UPDATE temp.plan SET
    status = 'unchanged', cause = NULL,
    reason = :duplicate || ' ' || (
        SELECT f.origin || ' ' || f.line FROM temp.plan f
        WHERE f.contact_id = plan.contact_id ORDER BY f.pos LIMIT 1)
WHERE contact_id IN (
    SELECT contact_id FROM temp.plan WHERE contact_id IS NOT NULL
    GROUP BY contact_id HAVING count(*) > 1)
AND pos > (SELECT min(f.pos) FROM temp.plan f WHERE f.contact_id = plan.contact_id)
"""

REASONS = {
    "unknown": "no such contact",
    "not_in_org": "no such contact in your organisation",
    "other_org": "belongs to organisation",
    "duplicate": "listed twice, first at",
    "inactive": "the contact is inactive",
    "holds": "already holds the role",
    "not_held": "does not hold the role",
}
"""Why a row is refused or changes nothing (``other_org`` is followed by the two ids)."""


def plan_batch(
    conn: sqlite3.Connection,
    *,
    action: str,
    role: Role,
    today: date,
    effective_at: str,
    actor_org: str | None,
    within_org: str | None = None,
) -> None:
    """Classify every batch row into temp.plan (status, cause = exit code, reason). With
    ``within_org``, a contact of another organisation is refused (exit 2)."""
    conn.execute(_PLAN_TABLE)
    conn.execute("DELETE FROM temp.plan")
    conn.execute(
        _PLAN_SQL,
        {
            "action": action,
            "role": role.name,
            "today": today.isoformat(),
            "effective_at": effective_at,
            "actor_org": actor_org,
            "within_org": within_org,
            "not_found": NOT_FOUND,
            "invalid_input": INVALID_INPUT,
            **REASONS,
        },
    )
    duplicated = conn.execute(
        "SELECT 1 FROM temp.plan WHERE contact_id IS NOT NULL "
        "GROUP BY contact_id HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if duplicated:
        conn.execute("CREATE INDEX IF NOT EXISTS temp.plan_contact ON plan(contact_id)")
        conn.execute(_DUPLICATES_SQL, {"duplicate": REASONS["duplicate"]})
        conn.execute("DROP INDEX temp.plan_contact")


def unknown_in_plan(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(pos, e-mail as given) of the rows that matched no contact."""
    return conn.execute(
        "SELECT pos, given FROM temp.plan WHERE contact_id IS NULL ORDER BY pos"
    ).fetchall()


def refuse_in_plan(conn: sqlite3.Connection, positions: list[int], cause: int, reason: str) -> None:
    conn.executemany(
        "UPDATE temp.plan SET status = 'refused', cause = ?, reason = ? WHERE pos = ?",
        [(cause, reason, pos) for pos in positions],
    )


def new_submitters_by_org(
    conn: sqlite3.Connection, maximum: tuple[str, dict[str, Any]]
) -> list[tuple[str, int, int]]:
    """(organisation, new non-expert grants, its maximum) in a submitter grant batch;
    ``maximum`` is :func:`incidentctl.store.quota.maximum_sql`."""
    expression, params = maximum
    return conn.execute(
        f"SELECT p.org_id, count(*), {expression} FROM temp.plan p "
        "JOIN organisations o ON o.id = p.org_id "
        "WHERE p.status = 'granted' AND NOT p.expert GROUP BY p.org_id ORDER BY p.org_id",
        params,
    ).fetchall()


def refuse_org_in_plan(conn: sqlite3.Connection, org_id: str, reason: str, cause: int) -> None:
    """Refuse the new non-expert grants of one organisation (its quota is exceeded)."""
    conn.execute(
        "UPDATE temp.plan SET status = 'refused', cause = ?, reason = ? "
        "WHERE org_id = ? AND status = 'granted' AND NOT expert",
        (cause, reason, org_id),
    )


def plan_summary(
    conn: sqlite3.Connection,
) -> tuple[dict[str, int], tuple[Any, ...] | None]:
    """(count per status, the first refused row by exit code and position, or None, in the
    columns of :func:`iter_plan`)."""
    counts = dict.fromkeys(("granted", "revoked", "unchanged", "refused"), 0)
    for status, number in conn.execute("SELECT status, count(*) FROM temp.plan GROUP BY status"):
        counts[status] = number
    row = conn.execute(
        f"SELECT {_PLAN_ROW} FROM temp.plan WHERE status = 'refused' ORDER BY cause, pos LIMIT 1"
    ).fetchone()
    return counts, (None if row is None else tuple(row))


def changed_org_count(conn: sqlite3.Connection) -> int:
    """How many organisations the planned changes (granted or revoked rows) touch."""
    row = conn.execute(
        "SELECT count(DISTINCT org_id) FROM temp.plan WHERE status IN ('granted', 'revoked')"
    ).fetchone()
    return int(row[0])


def planned_changes(conn: sqlite3.Connection) -> int:
    """Number the rows the plan changes (granted or revoked), in batch order, into
    ``temp.changes``, and answer how many there are: :func:`apply_plan` writes them by
    their number, so their change ids follow from it and they can be written in chunks."""
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY, contact_id INTEGER "
        "NOT NULL, org_id TEXT NOT NULL, email TEXT NOT NULL, effective_at TEXT NOT NULL)"
    )
    conn.execute("DELETE FROM temp.changes")
    conn.execute(
        "INSERT INTO temp.changes (contact_id, org_id, email, effective_at) "
        "SELECT contact_id, org_id, email, effective_at FROM temp.plan "
        "WHERE status IN ('granted', 'revoked') ORDER BY pos"
    )
    return int(conn.execute("SELECT count(*) FROM temp.changes").fetchone()[0])


WRITE_CHUNK = 10_000
"""Changes written per statement group: a progress bar counts them (docs/performance.md)."""


def apply_plan(
    conn: sqlite3.Connection,
    *,
    role: Role,
    action: str,
    now: str,
    actor: str,
    reason: str | None,
    written: Callable[[int], None] | None = None,
    chunk: int | None = None,
) -> None:
    """Write the changes :func:`planned_changes` numbered: one change row, one audit event
    and the new state of the contact's role each, in batch order, ``chunk`` changes at a
    time, telling ``written`` how many each chunk wrote.

    The change rows get their ids from their numbers (after the highest id in use), so the
    state table is written from the same rows without reading them back."""
    holds_after = "true" if action == "grant" else "false"
    holds_before = "false" if action == "grant" else "true"
    (first_id,) = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM role_changes").fetchone()
    (total,) = conn.execute("SELECT count(*) FROM temp.changes").fetchone()
    params = {
        "role": role.name,
        "action": action,
        "now": now,
        "actor": actor,
        "reason": reason,
        "offset": first_id - 1,
    }
    size = chunk or WRITE_CHUNK
    for low in range(1, total + 1, size):
        within = {**params, "low": low, "high": min(low + size, total + 1)}
        conn.execute(
            "INSERT INTO role_changes "
            "(id, contact_id, role, action, requested_at, effective_at, actor, reason) "
            "SELECT :offset + seq, contact_id, :role, :action, :now, effective_at, :actor, "
            ":reason FROM temp.changes WHERE seq >= :low AND seq < :high ORDER BY seq",
            within,
        )
        # The same JSON as audit.append writes (sorted keys, compact separators).
        conn.execute(
            "INSERT INTO events (at, actor, action, org_id, contact, role, before, after, "
            "reason) SELECT :now, :actor, :action, org_id, email, :role, "
            f"json_object('holds', json('{holds_before}')), "
            f"json_object('effective_at', effective_at, 'holds', json('{holds_after}')), "
            ":reason FROM temp.changes WHERE seq >= :low AND seq < :high ORDER BY seq",
            within,
        )
        # In contact order: the rows of the state table are then visited in key order.
        conn.execute(
            "INSERT INTO role_state "
            "(contact_id, role, org_id, change_id, action, requested_at, effective_at) "
            "SELECT contact_id, :role, org_id, :offset + seq, :action, :now, effective_at "
            "FROM temp.changes WHERE seq >= :low AND seq < :high ORDER BY contact_id "
            "ON CONFLICT (contact_id, role) DO UPDATE SET org_id = excluded.org_id, "
            "change_id = excluded.change_id, action = excluded.action, "
            "requested_at = excluded.requested_at, effective_at = excluded.effective_at",
            within,
        )
        if written is not None:
            written(within["high"] - low)


_PLAN_ROW = (
    "coalesce(email, given), org_id, status, "
    "CASE WHEN status IN ('granted', 'revoked') THEN effective_at END, reason, "
    "origin || ' ' || line, cause"
)


def _require_batch(conn: sqlite3.Connection, batch: int) -> None:
    if _batch_number(conn) != batch:
        raise RuntimeError(f"the rows of batch {batch} were replaced by a later batch")


def iter_plan(
    conn: sqlite3.Connection, batch: int, *, refused_only: bool = False
) -> Iterator[tuple[Any, ...]]:
    """The rows of the plan of batch number ``batch`` in batch order (only the refused
    ones, with ``refused_only``): (e-mail (stored form, else as given), org, status,
    effective_at, reason, where ('argument 2', 'line 7'), exit code of a refusal)."""
    _require_batch(conn, batch)
    where = " WHERE status = 'refused'" if refused_only else ""
    return (row for row in conn.execute(f"SELECT {_PLAN_ROW} FROM temp.plan{where} ORDER BY pos"))


# The values of each key of :data:`incidentctl.documents.RESULT_KEYS`, in its order.
_RESULT_VALUES = (
    "coalesce(email, given)",
    ":role",
    "status",
    "CASE WHEN status IN ('granted', 'revoked') THEN effective_at END",
    "iif(status = 'refused', reason || ' (' || origin || ' ' || line || ')', reason)",
)
_RESULT_JSON = "json_object({})".format(
    ", ".join(f"'{key}', {value}" for key, value in zip(RESULT_KEYS, _RESULT_VALUES, strict=True))
)


def iter_plan_json(conn: sqlite3.Connection, batch: int, role: Role) -> Iterator[str]:
    """The rows of the plan of batch ``batch`` as JSON objects, made by SQLite: the
    ``results`` of the grant and revoke document, with the keys of
    :data:`incidentctl.documents.RESULT_KEYS` (a refusal names its argument or line)."""
    _require_batch(conn, batch)
    rows = conn.execute(f"SELECT {_RESULT_JSON} FROM temp.plan ORDER BY pos", {"role": role.name})
    return (text for (text,) in rows)
