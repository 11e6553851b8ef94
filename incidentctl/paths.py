"""Where the store lives: ``--db``/``INCIDENTCTL_DB``, else the platform's user data dir."""

from __future__ import annotations

from pathlib import Path

STORE_FILENAME = "incidentctl.db"
DB_ENV = "INCIDENTCTL_DB"

# How the store in use was chosen (``where``, docs/concepts.md "The store").
SOURCE_OPTION = "option"
SOURCE_ENVIRONMENT = "environment"
SOURCE_DEFAULT = "default"


def default_store_path() -> Path:
    """``<user data dir>/incidentctl/incidentctl.db`` as platformdirs defines it."""
    import platformdirs  # only when no --db is given: it costs start-up time

    return platformdirs.user_data_path("incidentctl", appauthor=False) / STORE_FILENAME


def store_path(given: str | None) -> Path:
    """The store path from ``--db`` (or its environment variable), else the default."""
    if given:
        return Path(given).expanduser()
    return default_store_path()
