"""The SQLite store: the only package with SQL (docs/architecture.md; the file: docs/concepts.md,
"The store").

:class:`Store` opens the file (created 0600), sets the pragmas, applies pending migrations,
and hands out transactions: :meth:`Store.write` is ``BEGIN IMMEDIATE`` so a read that decides
a write (a quota check) can never race another process. The modules beside this one hold the
queries of each part of the domain.

Before SQLite sees a path, :func:`check_store_file` makes sure it names a regular file (or a
place where one can be created): SQLite would block forever on a FIFO and leave ``-journal``
and ``-wal`` files beside a device. An existing store that group or others may read is made
private when it is opened (docs/concepts.md, "The store").
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

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


Row = TypeVar("Row")


class Store:
    """An open store: one connection, settings read once per command."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._settings: Settings | None = None
        self._closed = False

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        create: bool = False,
        explicit: bool = True,
        notify: Callable[[str], None] | None = None,
    ) -> Store:
        """Open the store at ``path``; with ``create``, make it (and its folders) first.

        ``explicit`` says the path was given (``--db``, ``INCIDENTCTL_DB``) rather than the
        default: a missing store is then a path to check, never a reason to suggest ``init``.
        ``notify`` receives a one-line notice when the store's permissions were fixed.

        Raises StoreUnavailable (exit 6) for a missing store, a path that is not a regular
        file, a file that is not an incidentctl store, a store written by a newer version
        (left untouched), or one open to others that cannot be made private.
        """
        created = False
        if not check_store_file(path):
            if not create:
                raise StoreUnavailable(f"no store at {path}", hint=missing_hint(path, explicit))
            created = _create_file(path)
        try:
            conn = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
        except sqlite3.Error as exc:
            raise _unavailable(exc, path) from exc
        store = cls(path, conn)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            store._migrate(create=create, created=created, explicit=explicit, notify=notify)
        except sqlite3.Error as exc:
            conn.close()
            raise _unavailable(exc, path) from exc
        except IncidentctlError:
            conn.close()
            raise
        return store

    def _migrate(
        self,
        *,
        create: bool,
        created: bool,
        explicit: bool,
        notify: Callable[[str], None] | None,
    ) -> None:
        applied = migrations.applied_names(self.conn)
        newer = migrations.unknown_steps(applied)
        if newer:
            raise StoreUnavailable(
                f"the store at {self.path} was written by a newer incidentctl "
                f"(unknown schema step {newer[-1]})",
                hint="upgrade incidentctl to use this store; it has not been changed",
            )
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
            if not create:
                raise StoreUnavailable(
                    f"no store at {self.path} (the file is empty)",
                    hint=missing_hint(self.path, explicit),
                )
        if not created:
            # Only a file known to be ours (or about to be) is changed: never another's.
            make_private(self.path, notify)
        if not migrations.pending_steps(applied):
            return
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

    def stream(self, query: Callable[[sqlite3.Connection], Iterable[Row]]) -> Iterator[Row]:
        """The rows of ``query``, read inside one snapshot that starts when the first row is
        asked for and ends after the last: a listing is checked first (its errors come
        before any output), then streamed without holding its rows in memory."""
        with self.read() as conn:
            yield from query(conn)

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

    def setting_keys(self) -> set[str]:
        """The settings the store holds a value for; the others have their default."""
        return {str(key) for (key,) in self.conn.execute("SELECT key FROM settings")}

    def backup(self, dest: Path) -> int:
        """Copy the store into the empty file ``dest`` through SQLite's online backup API,
        which writers may use meanwhile; the copy's number of pages. A copy that fails
        SQLite's quick_check is removed (StoreUnavailable), and so is one left unfinished."""
        target = sqlite3.connect(dest)
        try:
            self.conn.backup(target)
            pages = int(target.execute("PRAGMA page_count").fetchone()[0])
            ok = target.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        except BaseException:
            target.close()
            dest.unlink(missing_ok=True)
            raise
        target.close()
        if not ok:
            dest.unlink(missing_ok=True)
            raise StoreUnavailable("the backup did not pass SQLite's quick_check; it was removed")
        return pages


def missing_hint(path: Path, explicit: bool) -> str:
    """What to do about a missing store: check a path that was given, init the default one."""
    if explicit:
        # A mistyped path in a crontab must not become an empty store that recounts nothing
        # every night: point at the path, never at init (docs/cron.md).
        return (
            "check the path given with --db or INCIDENTCTL_DB "
            "('incidentctl where' shows the store in use)"
        )
    return "create one with: incidentctl init"


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def check_store_file(path: Path) -> bool:
    """Whether a store file exists at ``path``; False when nothing is there yet (a dangling
    symbolic link included), so that one can be created.

    Raises StoreUnavailable (exit 6) when ``path`` names something SQLite must not open:
    a folder, a device, a FIFO, a socket, or a path under a regular file.
    """
    try:
        mode = path.stat().st_mode  # follows a symbolic link to what it names
    except FileNotFoundError:
        return False
    except NotADirectoryError:
        raise StoreUnavailable(
            f"{path} cannot be a store: a part of the path is a file, not a folder",
            hint="give --db the path of a store file (for init: of a new file in a folder)",
        ) from None
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot use the store at {path}: {exc.strerror}",
            hint="check the path given with --db or INCIDENTCTL_DB and its permissions",
        ) from exc
    if stat.S_ISREG(mode):
        return True
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise StoreUnavailable(
        f"{path} is {kind}, not a store file",
        hint="give --db the path of a store file (for init: of a new file in a folder)",
    )


def _create_file(path: Path) -> bool:
    """Create an empty store file readable only by its owner, and any missing folders
    private too; False if the file appeared meanwhile."""
    # O_EXCL refuses a dangling symbolic link, and SQLite would then create what it names
    # with the umask's mode: create the file it names, privately.
    target = path.resolve() if path.is_symlink() else path
    try:
        _make_folders(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        raise StoreUnavailable(
            f"cannot create the store at {path}: {exc.strerror}",
            hint="choose another place with --db, or fix the folder's permissions",
        ) from exc
    try:
        os.fchmod(fd, 0o600)  # a umask may take away more than group and others' bits
    finally:
        os.close(fd)
    return True


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each 0700 whatever the umask."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=0o700)
        except FileExistsError:
            continue
        new.chmod(0o700)


STORE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal")
"""The store file and the files SQLite keeps beside it."""


def store_files(path: Path) -> list[tuple[Path, os.stat_result]]:
    """The store's file and those of :data:`STORE_FILE_SUFFIXES` that exist, with their
    status (the path resolved: a link's target is what is read and written)."""
    real = path.resolve()
    found = []
    for suffix in STORE_FILE_SUFFIXES:
        name = real.with_name(real.name + suffix)
        try:
            found.append((name, name.stat()))
        except FileNotFoundError:
            continue
    return found


def make_private(path: Path, notify: Callable[[str], None] | None = None) -> None:
    """Take group's and others' permissions from the store and its -wal, -shm and
    -journal files, telling ``notify`` in one line; StoreUnavailable (exit 6) if that is
    not possible (not the owner)."""
    if os.name != "posix":  # elsewhere the mode bits do not say who may read the file
        return
    fixed: list[tuple[Path, int]] = []
    for name, status in store_files(path):
        mode = stat.S_IMODE(status.st_mode)
        if not mode & 0o077:
            continue
        try:
            name.chmod(mode & 0o700)
        except OSError as exc:
            owner = "" if status.st_uid == os.geteuid() else "you are not its owner: "
            raise StoreUnavailable(
                f"{name} is open to group or others (mode {mode:04o}) and cannot be made "
                f"private: {owner}{exc.strerror}",
                hint=f"its owner can fix it with: chmod 600 {name}; nothing was written",
            ) from exc
        if not stat.S_IMODE(name.stat().st_mode) & 0o077:  # a file system may ignore modes
            fixed.append((name, mode))
    if fixed and notify is not None:
        _, mode = fixed[0]
        notify(
            f"Note: the store at {path} was open to group or others (mode {mode:04o}); "
            f"made it private (mode {mode & 0o700:04o})"
        )


def open_query_only(path: Path, *, timeout: float | None = None) -> sqlite3.Connection:
    """A connection that reads the store as it is: no migration, no permission fix, no
    write (``doctor``, shell completion). StoreUnavailable when it cannot be opened."""
    if not check_store_file(path):
        raise StoreUnavailable(f"no store at {path}")
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout() if timeout is None else timeout, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise _unavailable(exc, path) from exc
    try:
        conn.execute("PRAGMA query_only = ON")
    except sqlite3.Error as exc:
        conn.close()
        raise _unavailable(exc, path) from exc
    return conn


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
