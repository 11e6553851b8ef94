"""Exit codes (docs/exit-codes.md) and the exceptions that carry them.

Only the CLI layer turns these into text (``Error:``/``Hint:`` lines on stderr).
"""

from __future__ import annotations

OK = 0
INTERNAL_ERROR = 1
INVALID_INPUT = 2
NOT_FOUND = 3
NOT_AUTHORIZED = 4
QUOTA_EXCEEDED = 5
STORE_UNAVAILABLE = 6
INTERRUPTED = 130
"""Ctrl-C (128 + SIGINT), as shells report a command a signal ended."""
BROKEN_PIPE = 141
"""The reader of stdout went away (128 + SIGPIPE), as other Unix tools exit then."""


class IncidentctlError(Exception):
    """An error the user can act on; shown as one line, never as a traceback."""

    exit_code = INTERNAL_ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class InvalidInput(IncidentctlError):
    """A bad option value, a malformed file, an e-mail address or role that is not valid."""

    exit_code = INVALID_INPUT


class NotFound(IncidentctlError):
    """An organisation or contact that does not exist."""

    exit_code = NOT_FOUND


class NotAuthorized(IncidentctlError):
    """The portal user given by --as may not do this, or the contact may not submit now."""

    exit_code = NOT_AUTHORIZED


class QuotaExceeded(IncidentctlError):
    """A grant would give more contacts the submitter role than the organisation's maximum."""

    exit_code = QUOTA_EXCEEDED


class StoreUnavailable(IncidentctlError):
    """The store is missing, busy after retries, unreadable, damaged or from a newer version."""

    exit_code = STORE_UNAVAILABLE


class Refused(IncidentctlError):
    """A batch or file of which something was refused, so nothing was written: it exits with
    the code of the first cause (bad input, unknown contact, not authorized, quota)."""

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int) -> None:
        super().__init__(message, hint)
        self.exit_code = exit_code


class StoreChanged(StoreUnavailable):
    """The store changed between a question and its answer, so the confirmed change no longer
    holds: nothing was written (a condition of concurrent use, like a busy store)."""


class Declined(IncidentctlError):
    """The person answered no to a question: nothing was written, and that is a success."""

    exit_code = OK
