"""What ``contacts import`` and ``org import`` share: the CSV file read with a progress bar
on the way, and the line that sums up the import."""

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar

if TYPE_CHECKING:
    from incidentctl.files import CsvFile
    from incidentctl.services.progress import Progress

Result = TypeVar("Result")


class Counts(Protocol):
    """What every import reports."""

    @property
    def added(self) -> int: ...

    @property
    def updated(self) -> int: ...

    @property
    def unchanged(self) -> int: ...


def read_csv(
    file: str, what: str, run: "Callable[[CsvFile, Progress], Result]", *, quiet: bool
) -> tuple[Result, str]:
    """``run`` on the CSV file FILE (``-``: stdin) with a progress bar ``importing WHAT``:
    (what it returns, the file's name for messages)."""
    from incidentctl import files, interactive

    opened, source = files.open_binary(file)
    try:
        stream = interactive.announcing(opened, file, f"{what} (CSV)")
        with interactive.progress(f"importing {what}", source=stream, quiet=quiet) as bar:
            return run(files.CsvFile(stream, source), bar), source
    finally:
        files.close(opened)


def summary(source: str, counts: Counts, *, dry_run: bool, more: str = "") -> str:
    """``Imported FILE: N added, N updated, N unchanged`` (``Checked`` on a dry run), then
    ``more`` and what a dry run wrote (nothing)."""
    return (
        f"{'Checked' if dry_run else 'Imported'} {source}: {counts.added:,} added, "
        f"{counts.updated:,} updated, {counts.unchanged:,} unchanged"
        + more
        + ("; dry run: nothing was written" if dry_run else "")
    )
