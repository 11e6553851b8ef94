"""The SQLite store: the only package with SQL (SPEC §6).

:class:`Store` opens the file (created 0600), sets the pragmas, applies pending migrations,
and hands out transactions: :meth:`Store.write` is ``BEGIN IMMEDIATE`` so a read that decides
a write (a quota check) can never race another process. The modules beside this one hold the
queries of each part of the domain.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from incidentctl import migrations
from incidentctl.domain import Settings
from incidentctl.errors import IncidentctlError, StoreUnavailable

BUSY_TIMEOUT_ENV = "INCIDENTCTL_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 30.0
"""Seconds a command waits for another process's write lock before giving up (exit 6)."""


def busy_timeout() -> float:
    """The busy timeout in seconds, from ``INCIDENTCTL_BUSY_TIMEOUT`` or the default."""
    text = os.environ.get(BUSY_TIMEOUT_ENV, "")
    try:
        value = float(text) if text else DEFAULT_BUSY_TIMEOUT
    except ValueError:
        value = DEFAULT_BUSY_TIMEOUT
    return max(value, 0.0)


class Store:
    """An open store: one connection, settings read once per command."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._settings: Settings | None = None
        self._closed = False

    @classmethod
    def open(cls, path: Path, *, create: bool = False) -> Store:
        """Open the store at ``path``; with ``create``, make it (and its folder) first.

        Raises StoreUnavailable (exit 6) for a missing store, a file that is not an
        incidentctl store, or a store written by a newer version, which is left untouched.
        """
        created = False
        if not path.exists():
            if not create:
                raise StoreUnavailable(
                    f"no store at {path}",
                    hint=f"create one with: incidentctl --db {path} init",
                )
            created = _create_file(path)
        elif path.is_dir():
            raise StoreUnavailable(f"{path} is a directory, not a store file")
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
        except sqlite3.Error as exc:
            raise _unavailable(exc, path) from exc
        store = cls(path, conn)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            store._migrate(create=create, created=created)
        except sqlite3.Error as exc:
            conn.close()
            raise _unavailable(exc, path) from exc
        except IncidentctlError:
            conn.close()
            raise
        return store

    def _migrate(self, *, create: bool, created: bool) -> None:
        applied = migrations.applied_names(self.conn)
        newer = migrations.unknown_steps(applied)
        if newer:
            raise StoreUnavailable(
                f"the store at {self.path} was written by a newer incidentctl "
                f"(unknown schema step {newer[-1]})",
                hint="upgrade incidentctl to use this store; it has not been changed",
            )
        if not migrations.pending_steps(applied):
            return
        if not applied:
            # Migrations are transactional, so tables without our applied steps belong to
            # another application: never add ours to it, not even for init.
            has_tables = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1"
            ).fetchone()
            if has_tables:
                raise StoreUnavailable(
                    f"{self.path} is a SQLite database but not an incidentctl store",
                    hint="point --db at an incidentctl store, or create one with init",
                )
        if not applied and not create:
            raise StoreUnavailable(
                f"no store at {self.path} (the file is empty)",
                hint=f"create one with: incidentctl --db {self.path} init",
            )
        if created or not applied:
            # WAL lets readers (listings, the recount's snapshot) run beside a writer.
            self.conn.execute("PRAGMA journal_mode = WAL")
        with self.write():
            # Re-read under the write lock: another process may have just migrated.
            if migrations.pending_steps(migrations.applied_names(self.conn)):
                migrations.apply_pending(self.conn)

    def close(self) -> None:
        self.conn.close()
        self._closed = True

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write transaction, holding the write lock from its start."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextmanager
    def trial(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that is always rolled back: a dry run that must see the
        effect of its own writes (a quota after revokes) and then leave no trace."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for a command that reads several things (WAL: no lock)."""
        self.conn.execute("BEGIN")
        try:
            yield self.conn
        finally:
            # A listing abandoned half-way (the reader of a pipe went away) is finalised by
            # the garbage collector, possibly after the store was closed: nothing to end then.
            if not self._closed and self.conn.in_transaction:
                self.conn.execute("COMMIT")

    @property
    def settings(self) -> Settings:
        """The store's settings, read once."""
        if self._settings is None:
            stored = dict(self.conn.execute("SELECT key, value FROM settings").fetchall())
            self._settings = Settings.from_stored(stored)
        return self._settings

    def put_setting(self, key: str, value: str | None) -> None:
        """Store (or, with None, remove) a setting; inside a write transaction."""
        if value is None:
            self.conn.execute("DELETE FROM settings WHERE key = ?", (key,))
        else:
            self.conn.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        self._settings = None

    def get_setting(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])


def _create_file(path: Path) -> bool:
    """Create an empty store file readable only by its owner; False if it appeared meanwhile."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot create the store at {path}: {exc.strerror}",
            hint="choose another place with --db, or fix the folder's permissions",
        ) from exc
    os.close(fd)
    return True


def _unavailable(exc: sqlite3.Error, path: Path) -> IncidentctlError:
    translated = describe_sqlite_error(exc, path)
    if translated is not None:
        return translated
    return StoreUnavailable(f"cannot use the store at {path}: {exc}")


# Extended result codes of a write that the disk refused: out of space (ENOSPC is SQLITE_FULL,
# but a short write or EFBIG past a file size limit is one of these), or a failing disk. The
# store itself is intact: the transaction is rolled back from the WAL.
_WRITE_FAILURES = frozenset(
    {
        "SQLITE_IOERR_WRITE",
        "SQLITE_IOERR_FSYNC",
        "SQLITE_IOERR_DIR_FSYNC",
        "SQLITE_IOERR_TRUNCATE",
        "SQLITE_IOERR_SHMSIZE",
    }
)


def describe_sqlite_error(exc: sqlite3.Error, path: Path | None = None) -> IncidentctlError | None:
    """The store condition behind a SQLite error (exit 6), or None for a bug (exit 1)."""
    text = str(exc).lower()
    code = getattr(exc, "sqlite_errorname", None)
    where = f" at {path}" if path else ""
    if "locked" in text or "busy" in text:
        return StoreUnavailable(
            f"the store{where} is busy: another process held it for more than {busy_timeout():g} s",
            hint=f"try again; a longer wait can be set with {BUSY_TIMEOUT_ENV}=SECONDS",
        )
    if "readonly" in text or "read-only" in text:
        return StoreUnavailable(
            f"the store{where} is read-only",
            hint="check the permissions of the store file and its folder; nothing was written",
        )
    if "disk is full" in text or "database or disk is full" in text:
        return StoreUnavailable(
            f"the disk holding the store{where} is full",
            hint="free some space and try again; nothing was written",
        )
    if code in _WRITE_FAILURES:
        return StoreUnavailable(
            f"cannot write to the store{where}: the disk is full, a file size limit was "
            f"reached, or the disk failed ({exc})",
            hint="free some space (or raise the limit) and try again; nothing was written",
        )
    if "not a database" in text or "malformed" in text or "disk i/o" in text:
        return StoreUnavailable(
            f"the store{where} is not a readable SQLite database ({exc})",
            hint="restore it from a backup (incidentctl backup), or point --db elsewhere",
        )
    if "unable to open" in text:
        return StoreUnavailable(
            f"cannot open the store{where} ({exc})",
            hint="check that the file and its folder exist, that you may read the file and "
            "write to its folder (SQLite keeps the store's -wal and -shm files beside it)",
        )
    return None
