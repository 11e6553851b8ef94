"""The documentation keeps up with the code: docs/cli.md is what --help says, every command
with --json has its document in docs/json.md, and links between the docs resolve."""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import typer

from incidentctl.cli import app
from incidentctl.cli.reference import PROG_NAME, iter_commands, render

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CLI_MD = DOCS / "cli.md"
JSON_MD = DOCS / "json.md"
REGENERATE = "python scripts/gen_cli_docs.py"


def _drift(checked_in: str, wanted: str) -> str:
    diff = difflib.unified_diff(
        checked_in.splitlines(keepends=True),
        wanted.splitlines(keepends=True),
        fromfile="docs/cli.md",
        tofile="--help of the code",
        n=1,
    )
    return f"docs/cli.md is out of date; run: {REGENERATE}\n" + "".join(list(diff)[:80])


def test_cli_reference_matches_help() -> None:
    checked_in = CLI_MD.read_text(encoding="utf-8")
    wanted = render()
    assert checked_in == wanted, _drift(checked_in, wanted)


def test_cli_reference_has_every_command() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    for ctx, _ in iter_commands(app):
        assert f"\n## {ctx.command_path}\n" in text, f"{ctx.command_path} missing; {REGENERATE}"


def test_reference_ignores_the_callers_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("TERMINAL_WIDTH", "40")
    narrow = render()
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("TERMINAL_WIDTH", "250")
    monkeypatch.setenv("INCIDENTCTL_AS", "someone@example.nl")
    assert render() == narrow


def test_reference_picks_up_commands_added_later() -> None:
    extra = typer.Typer(rich_markup_mode=None, add_completion=False)

    @extra.callback()
    def root() -> None:
        """A tool."""

    @extra.command("greet")
    def greet(name: str) -> None:
        """Say hello to NAME."""

    things = typer.Typer(name="things", help="Things.", rich_markup_mode=None)

    @things.command("add")
    def add() -> None:
        """Add a thing."""

    @things.command("secret", hidden=True)
    def secret() -> None:
        """Not for the docs."""

    extra.add_typer(things)
    text = render(extra)
    for path in (PROG_NAME, f"{PROG_NAME} greet", f"{PROG_NAME} things", f"{PROG_NAME} things add"):
        assert f"\n## {path}\n" in text
    assert "Say hello to NAME." in text
    assert "secret" not in text


def test_reference_refuses_rich_help() -> None:
    rich = typer.Typer(add_completion=False, rich_markup_mode="rich")

    @rich.command()
    def only() -> None:
        """Formatted by rich."""

    with pytest.raises(RuntimeError, match="plain"):
        render(rich)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_docs", ROOT / "scripts/gen_cli_docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    generator = _generator()
    target = tmp_path / "cli.md"
    assert generator.main(["--check", str(target)]) == 1  # missing
    assert generator.main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render()
    assert generator.main(["--check", str(target)]) == 0
    target.write_text(render().replace("Usage:", "Usage :", 1), encoding="utf-8")
    assert generator.main(["--check", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_every_json_command_is_in_json_md() -> None:
    """A command that takes --json has its document in docs/json.md (its keys are a contract)."""
    text = JSON_MD.read_text(encoding="utf-8")
    missing = []
    for ctx, command in iter_commands(app):
        if not any("--json" in param.opts for param in command.params):
            continue
        path = ctx.command_path.removeprefix(f"{PROG_NAME} ")
        if f"`{path} " not in text and f"`{path}`" not in text:
            missing.append(path)
    assert not missing, f"commands with --json not documented in docs/json.md: {missing}"


_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(`{3,}).*?^\1", re.MULTILINE | re.DOTALL)


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize(
    "page",
    [ROOT / "README.md", *sorted(DOCS.glob("*.md"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_links_between_docs_resolve(page: Path) -> None:
    text = _FENCE.sub("", page.read_text(encoding="utf-8"))
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file_part, _, anchor = target.partition("#")
        linked = (page.parent / file_part).resolve() if file_part else page
        missing_anchor = bool(anchor) and linked.suffix == ".md" and anchor not in _anchors(linked)
        if not linked.exists() or missing_anchor:
            broken.append(target)
    assert not broken, f"{page.name}: broken links {broken}"


# The contract the project started from is not in the repository, and issues live elsewhere:
# a reader of the code finds every rule in docs/ (docs/architecture.md, "Where each rule lives").
# (The words are escaped here, so that this file does not cite them itself.)
SPEC_WORD = "\x53PEC"
ISSUE_WORD = "\x69ssue"
_OUTSIDE_REFERENCE = re.compile(rf"\b{SPEC_WORD}\b|\b[Ii]{ISSUE_WORD[1:]}s? \d")


def outside_references(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if _OUTSIDE_REFERENCE.search(line)]


@pytest.mark.parametrize("folder", ["incidentctl", "tests", "benchmarks", "scripts"])
def test_code_cites_docs_not_the_spec_or_issues(folder: str) -> None:
    found = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in sorted((ROOT / folder).rglob("*.py"))
        for line in outside_references(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_reference_check_sees_the_spec_and_issues() -> None:
    cited = f'"""Quota ({SPEC_WORD} §2 rule 3)."""'
    text = f"{cited}\nx = 1\n# see {ISSUE_WORD} 12\n# {ISSUE_WORD.title()}s 5 and 13\n"
    issues = f"# {ISSUE_WORD.title()}s 5 and 13"
    assert outside_references(text) == [cited, f"# see {ISSUE_WORD} 12", issues]
    assert outside_references(f"{SPEC_WORD}_EXAMPLE = 1  # the example of docs/apply.md") == []
