"""What the listing commands share: the ``--csv`` option and the choice of one output form
(docs/json.md, "CSV")."""

from typing import Annotated

import typer

CsvOption = Annotated[
    bool,
    typer.Option("--csv", help="Print CSV instead of a table (columns: docs/json.md)."),
]


def one_form(csv: bool, json: bool) -> None:
    """--csv and --json exclude each other (exit 2)."""
    if csv and json:
        raise typer.BadParameter("choose one of --csv and --json", param_hint="--csv/--json")
