"""The layers of the house (docs/architecture.md, "Layers"): which module may import which,
no import cycles, and SQL only in the store.

Every import counts: at module level, inside a function (the command line imports its
services lazily) and under ``TYPE_CHECKING`` (a type names the module it comes from).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "incidentctl"

PRESENTATION = frozenset({"output", "tables", "pager", "interactive"})
"""What people see and answer: terminal output, tables, the pager, questions and bars."""

MAY_IMPORT = {
    "cli": {"cli", "services", "presentation", "shared"},
    "presentation": {"presentation", "shared"},
    "services": {"services", "store", "shared"},
    "store": {"store", "shared"},
    "shared": {"shared"},
}
"""The layers each layer may import; ``shared`` is the pure rules and helpers below them all
(domain, permissions, policy, timeutil, files, errors, vocabulary, paths, ...)."""

EXCEPTIONS = {
    # The one place where exceptions become error lines also names the store's conditions
    # behind a SQLite error (docs/exit-codes.md, exit 6).
    ("incidentctl.cli", "incidentctl.store"),
    # The questions and progress bars implement the protocols the services define.
    ("incidentctl.interactive", "incidentctl.services.progress"),
}


def layer(module: str) -> str:
    """The layer of a module of the package, by its dotted name."""
    parts = module.split(".")
    if len(parts) == 1:
        return "shared"  # the package itself: __version__
    if parts[1] in ("cli", "__main__"):
        return "cli"
    if parts[1] == "services":
        return "services"
    if parts[1] in ("store", "migrations"):
        return "store"
    if parts[1] in PRESENTATION:
        return "presentation"
    return "shared"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    """Whether ``incidentctl.a.b`` is a module or package of the source tree (rather than a
    name defined in one)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, module) for every module of the package that ``source`` imports."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "incidentctl":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            if base.split(".")[0] != "incidentctl":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if is_module(candidate) else base


def sources() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in sources():
        found = imported_modules(path.read_text(), module, path.name == "__init__.py")
        graph[module] = {name for _, name in found if name != module}
    return graph


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` (its ``source``) that cross the layers the wrong way."""
    allowed = MAY_IMPORT[layer(module)]
    return [
        f"{module}:{line} imports {name} ({layer(module)} may not import {layer(name)})"
        for line, name in imported_modules(source, module, is_package)
        if layer(name) not in allowed and (module, name) not in EXCEPTIONS
    ]


def test_every_import_respects_the_layers() -> None:
    found = [
        problem
        for module, path in sources()
        for problem in violations(module, path.read_text(), path.name == "__init__.py")
    ]
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "crossing"),
    [
        ("incidentctl.cli.orgs", "from incidentctl.store import Store", "store"),
        ("incidentctl.cli.orgs", "from incidentctl.store.contacts import LISTING_COLUMNS", "store"),
        ("incidentctl.cli.orgs", "import incidentctl.store.roles", "store"),
        ("incidentctl.services.orgs", "from incidentctl import output", "presentation"),
        ("incidentctl.services.orgs", "from incidentctl.cli import common", "cli"),
        ("incidentctl.store.orgs", "from incidentctl.services import lookups", "services"),
        ("incidentctl.domain", "from incidentctl.store import audit", "store"),
        ("incidentctl.permissions", "from incidentctl.services.portal import Access", "services"),
        ("incidentctl.output", "from incidentctl.services import quota", "services"),
        ("incidentctl.cli.orgs", "def f():\n    from ..store import Store\n", "store"),
        (
            "incidentctl.cli.orgs",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from incidentctl.store "
            "import Store\n",
            "store",
        ),
    ],
)
def test_the_check_sees_an_import_across_the_layers(
    module: str, source: str, crossing: str
) -> None:
    (problem,) = violations(module, source)
    assert problem.endswith(f"may not import {crossing})")


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("incidentctl.cli.orgs", "from incidentctl.services import orgs"),
        ("incidentctl.cli.orgs", "from incidentctl import output, timeutil"),
        ("incidentctl.cli", "from incidentctl.store import describe_sqlite_error"),
        ("incidentctl.services.orgs", "from incidentctl.store import Store, audit"),
        ("incidentctl.services.orgs", "from incidentctl import migrations"),
        ("incidentctl.store.orgs", "from incidentctl.domain import Organisation"),
    ],
)
def test_the_check_lets_the_layers_import_downwards(module: str, source: str) -> None:
    assert violations(module, source) == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles of ``graph`` (each as the modules along it)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for name in sorted(graph.get(module, ())):
            # A package's __init__ importing its own modules is how it registers them.
            if name.startswith(module + "."):
                continue
            if state.get(name) == "open":
                found.append([*path[path.index(name) :], name])
            elif name not in state:
                visit(name, [*path, name])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return found


def test_no_import_cycles() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]


SQL = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH)\s"
)
EXECUTE = frozenset({"execute", "executemany", "executescript"})


def sql_outside_the_store(module: str, source: str) -> list[str]:
    """SQL text and statements run by ``module`` when it is not in the store layer."""
    if layer(module) == "store":
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.match(node.value):
            found.append(f"{module}:{node.lineno} holds SQL: {node.value[:40]!r}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in EXECUTE
        ):
            found.append(f"{module}:{node.lineno} runs a statement ({node.func.attr})")
    return found


def test_sql_lives_only_in_the_store() -> None:
    found = [
        problem
        for module, path in sources()
        for problem in sql_outside_the_store(module, path.read_text())
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        'conn.execute("SELECT 1 FROM organisations LIMIT 1")',
        'rows = "SELECT key FROM settings"',
        "store.conn.executemany(statement, rows)",
        'sql = """\n    INSERT INTO events (at) VALUES (?)"""',
    ],
)
def test_the_sql_check_sees_sql_in_a_service(source: str) -> None:
    assert sql_outside_the_store("incidentctl.services.demo", source) != []
    assert sql_outside_the_store("incidentctl.store.orgs", source) == []
