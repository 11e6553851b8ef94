"""Every document of docs/json.md has one home, incidentctl/documents.py (docs/architecture.md,
"One home for each document"): the commands print what it builds, and where SQLite builds a
document the store takes its keys from there. tests/test_json_contract.py and
tests/test_csv_contract.py hold the documents themselves to docs/json.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from test_csv_contract import COLUMNS
from test_json_contract import (
    CONTACT_FIELDS,
    CONTACT_KEYS,
    INCIDENT_KEYS,
    PENDING_KEYS,
    RESULT_KEYS,
    SUMMARY_KEYS,
)

from incidentctl import documents

CLI = Path(documents.__file__).parent / "cli"

# What prints a document or a listing's CSV: each gets what it prints from documents.py.
PRINTERS = {"emit_json", "stream_json_array", "emit_streamed", "write_csv"}


def _printer_calls() -> list[tuple[str, int, ast.Call]]:
    calls = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in PRINTERS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "output"
            ):
                calls.append((path.name, node.lineno, node))
    return calls


def _names_documents(node: ast.AST) -> bool:
    return any(
        isinstance(inner, ast.Attribute)
        and isinstance(inner.value, ast.Name)
        and inner.value.id == "documents"
        for inner in ast.walk(node)
    )


def test_the_commands_print_only_documents_built_by_documents_py() -> None:
    calls = _printer_calls()
    assert len(calls) > 20, "every command that prints a document is found"
    built_elsewhere = [
        f"{name}:{line}" for name, line, call in calls if not _names_documents(call.args[0])
    ]
    assert built_elsewhere == []


def test_no_command_builds_a_dict_for_output() -> None:
    """A dict or list of dicts written in a command module is a document in the wrong home."""
    for name, line, call in _printer_calls():
        for inner in ast.walk(call):
            assert not isinstance(inner, ast.Dict), f"{name}:{line} builds a document itself"


@pytest.mark.parametrize(
    ("keys", "pinned"),
    [
        (documents.CONTACT_KEYS, CONTACT_FIELDS),
        (documents.CONTACT_LISTING_KEYS, CONTACT_KEYS),
        (documents.RESULT_KEYS, RESULT_KEYS),
        (documents.SUMMARY_KEYS, SUMMARY_KEYS),
        (documents.PENDING_KEYS, PENDING_KEYS),
        (documents.INCIDENT_KEYS, INCIDENT_KEYS),
    ],
)
def test_the_keys_of_documents_py_are_the_pinned_ones(
    keys: tuple[str, ...], pinned: set[str]
) -> None:
    assert set(keys) == pinned
    assert len(keys) == len(pinned)


@pytest.mark.parametrize(
    ("columns", "command"),
    [
        (documents.CONTACT_LISTING_KEYS, ("contacts", "list")),
        (documents.ORG_CSV_COLUMNS, ("org", "list")),
        (documents.QUOTA_CSV_COLUMNS, ("quota",)),
        (documents.PENDING_KEYS, ("pending",)),
        (documents.LOG_CSV_COLUMNS, ("log",)),
        (documents.READINESS_COLUMNS, ("readiness",)),
        (documents.INCIDENT_KEYS, ("incidents", "list")),
    ],
)
def test_the_csv_columns_of_documents_py_are_the_pinned_ones(
    columns: tuple[str, ...], command: tuple[str, ...]
) -> None:
    assert list(columns) == COLUMNS[command]
