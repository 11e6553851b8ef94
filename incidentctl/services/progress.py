"""What a long use case tells about its progress, and what it asks before a large change.

Services define these and the command line implements them (docs/concepts.md, "Progress and
questions"): a service never draws a bar or reads an answer itself, so it stays the same for
a script, a test and a person at a terminal. Both are optional; without them a service works
as before, silently and without asking.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    """Told about the steps of a long use case and the units each has done.

    A service calls :meth:`step` when a step starts and :meth:`advance` as units get done,
    in chunks (never once per row of a large batch: a call costs as much as a row's work).
    """

    def step(
        self, name: str, total: int | None = None, *, unit: str = "rows", of_input: bool = False
    ) -> None:
        """A step starts, counting from 0: ``name`` ("reading", "checking", "writing"),
        ``total`` units when known, and whether it reads the command's input file (whose
        size then tells how far it got)."""

    def advance(self, done: int) -> None:
        """``done`` more units of the current step are done."""


class NoProgress:
    """The progress of a use case nobody watches."""

    def step(
        self, name: str, total: int | None = None, *, unit: str = "rows", of_input: bool = False
    ) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()

Confirm = Callable[[str], bool]
"""Asks a person a yes/no question about a large change (the text names what would change,
with counts) and answers whether they said yes. A service that is given one asks it after it
planned and before it takes the write lock; one that is given None does not ask."""
