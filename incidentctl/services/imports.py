"""What ``contacts import`` and ``org import`` share: reading the rows of a CSV file into a
staging table, a chunk at a time, so a file of any size is read in bounded memory and the
first problem by line is the one reported (docs/concepts.md, "Files")."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from incidentctl.errors import InvalidInput
from incidentctl.services.progress import NO_PROGRESS, Progress

CHUNK = 1000
"""Rows validated and staged at a time."""

Row = TypeVar("Row", bound=Sequence[Any])


def stage_rows(
    rows: Iterator[Row],
    stage: Callable[[list[Row]], tuple[int, int] | None],
    repeated: Callable[[Row, int], InvalidInput],
    progress: Progress = NO_PROGRESS,
) -> int:
    """Stage every row of ``rows`` (each a staged tuple starting with its line) with
    ``stage``, which answers (line, first line) for the first row whose key an earlier row
    already had. A row that fails validation (InvalidInput from ``rows``) is reported only
    after the rows before it were staged, so a repeat on an earlier line is reported first.
    ``progress`` is told the size of each chunk staged. Answers how many rows were staged.
    """
    staged = 0
    while True:
        chunk: list[Row] = []
        failure: InvalidInput | None = None
        try:
            for row in rows:
                chunk.append(row)
                if len(chunk) == CHUNK:
                    break
        except InvalidInput as exc:
            failure = exc
        repeat = stage(chunk) if chunk else None
        if repeat is not None:
            line, first = repeat
            raise repeated(next(row for row in chunk if row[0] == line), first)
        if failure is not None:
            raise failure
        staged += len(chunk)
        if chunk:
            progress.advance(len(chunk))
        if len(chunk) < CHUNK:
            return staged
