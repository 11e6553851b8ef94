"""The layers of the house (docs/architecture.md, "Layers"): which module may import which,
no import cycles, and SQL only in the store.

Every import counts: at module level, inside a function (the command line imports its
services lazily) and under ``TYPE_CHECKING`` (a type names the module it comes from). One
shared module may name the services' values for the type checker only: see
:data:`TYPE_NAMES`.
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

TYPE_NAMES = {"incidentctl.documents": frozenset({"services"})}
"""Shared modules that may import a higher layer under ``TYPE_CHECKING`` only. documents.py
turns the values the services return into the documents of docs/json.md, so its functions
name those values' types; when it runs it imports nothing above the shared modules, and the
store and the services use its keys (docs/architecture.md, "Layers"). Such a type-only
import is no edge of the import graph: it closes no cycle."""


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


def _type_checking_imports(tree: ast.AST) -> set[ast.AST]:
    """The import statements inside an ``if TYPE_CHECKING:`` block (not its ``else``)."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            for statement in node.body:
                found.update(
                    inner
                    for inner in ast.walk(statement)
                    if isinstance(inner, ast.Import | ast.ImportFrom)
                )
    return found


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str, bool]]:
    """(line, module, for the type checker only) for every module of the package that
    ``source`` imports."""
    tree = ast.parse(source)
    type_only = _type_checking_imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "incidentctl":
                    yield node.lineno, alias.name, node in type_only
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
                yield node.lineno, candidate if is_module(candidate) else base, node in type_only


def sources() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path


def names_type(module: str, name: str, type_only: bool) -> bool:
    """Whether an import of ``name`` by ``module`` only names a type of :data:`TYPE_NAMES`."""
    return type_only and layer(name) in TYPE_NAMES.get(module, frozenset())


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in sources():
        found = imported_modules(path.read_text(), module, path.name == "__init__.py")
        graph[module] = {
            name
            for _, name, type_only in found
            if name != module and not names_type(module, name, type_only)
        }
    return graph


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """The imports of ``module`` (its ``source``) that cross the layers the wrong way."""
    allowed = MAY_IMPORT[layer(module)]
    return [
        f"{module}:{line} imports {name} ({layer(module)} may not import {layer(name)})"
        for line, name, type_only in imported_modules(source, module, is_package)
        if layer(name) not in allowed
        and (module, name) not in EXCEPTIONS
        and not names_type(module, name, type_only)
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
        ("incidentctl.roles", "from incidentctl.services.roles import BatchOutcome", "services"),
        # documents.py may name the services' types, but never import them when it runs
        ("incidentctl.documents", "from incidentctl.services.quota import QuotaStatus", "services"),
        (
            "incidentctl.documents",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from incidentctl.store."
            "audit import Event\n",
            "store",
        ),
        (
            "incidentctl.documents",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    pass\nelse:\n"
            "    from incidentctl.services.quota import QuotaStatus\n",
            "services",
        ),
        (
            "incidentctl.documents",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from incidentctl.cli."
            "common import AppState\n",
            "cli",
        ),
        (
            "incidentctl.policy",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from incidentctl.services."
            "quota import QuotaStatus\n",
            "services",
        ),
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
        ("incidentctl.store.roles", "from incidentctl.documents import RESULT_KEYS"),
        (
            "incidentctl.documents",
            "import typing\nif typing.TYPE_CHECKING:\n    from incidentctl.services.quota "
            "import QuotaStatus\n",
        ),
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


def test_a_type_named_by_documents_is_no_edge_of_the_graph() -> None:
    graph = import_graph()
    documents = graph["incidentctl.documents"]
    assert "incidentctl.timeutil" in documents  # imported when it runs
    assert not any(layer(name) == "services" for name in documents)
    # ...while the services and the store use documents.py when they run
    assert "incidentctl.documents" in graph["incidentctl.services.recount"]
    assert "incidentctl.documents" in graph["incidentctl.store.roles"]


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
