"""docs/simulating-propagation.md works when typed: every ``$`` command of its console blocks
runs in order, in a fresh directory, and every output line it shows (``…`` marks trimmed
output) is what the command prints, in that order, with the exit status it shows."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from conftest import Cli
from freezegun import freeze_time

DOC = Path(__file__).resolve().parent.parent / "docs" / "simulating-propagation.md"
# The real time of the run the page shows (its last step prints the system clock).
RUN_AT = "2026-11-27T19:20:51Z"
# The page shows what a terminal of 100 columns shows (without bold, which it cannot show).
TERMINAL = {"INCIDENTCTL_FORCE_TTY": "100", "NO_COLOR": "1"}


def console_steps(text: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) of every console block, in order."""
    steps: list[tuple[str, list[str]]] = []
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line == "```console"
            continue
        if not inside:
            continue
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            assert steps, f"output before any command: {line!r}"
            steps[-1][1].append(line.rstrip())
    return steps


def is_subsequence(shown: list[str], printed: list[str]) -> bool:
    remaining = iter(printed)
    return all(any(line == candidate for candidate in remaining) for line in shown)


def test_the_page_has_the_steps_the_issue_asks_for() -> None:
    commands = [command for command, _ in console_steps(DOC.read_text(encoding="utf-8"))]
    wanted = [
        "export INCIDENTCTL_DB=training.db",
        "incidentctl init --demo",
        "incidentctl clock set 2024-03-04T09:00",
        'incidentctl grant submitter dirk@vandijk.nl --reason "training"',
        "incidentctl pending",
        "incidentctl clock advance 9m",
        "incidentctl --as dirk@vandijk.nl login dirk@vandijk.nl",
        'incidentctl --as dirk@vandijk.nl incidents submit --subject "Printer prints blank pages"',
        'incidentctl revoke submitter dirk@vandijk.nl --reason "training: left the team"',
        "incidentctl clock reset",
    ]
    assert set(wanted) <= set(commands)


def test_the_walkthrough_works_as_typed(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("INCIDENTCTL_DB")
    steps = console_steps(DOC.read_text(encoding="utf-8"))
    assert len(steps) > 30
    with freeze_time(RUN_AT):
        for command, shown in steps:
            words = shlex.split(command)
            if words[0] == "export":
                name, _, value = words[1].partition("=")
                monkeypatch.setenv(name, value)
                continue
            if words[0] == "unset":
                monkeypatch.delenv(words[1])
                continue
            if words[0] == "rm":
                removed = [p for pattern in words[1:] for p in tmp_path.glob(pattern)]
                assert removed, command
                for path in removed:
                    path.unlink()
                continue
            env = {}
            while "=" in words[0]:
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            shows_exit = "||" in words
            if shows_exit:
                assert words[words.index("||") :] == ["||", "echo", "exit $?"], command
                words = words[: words.index("||")]
            assert words[0] == "incidentctl", command

            run = cli(*words[1:], env={**TERMINAL, **env})

            # As a terminal shows it: the clock note first, then stdout, then Error/Hint.
            errors = run.stderr.splitlines()
            printed = [line for line in errors if line.startswith("Note:")]
            printed += run.stdout.splitlines()
            printed += [line for line in errors if not line.startswith("Note:")]
            printed = [line.rstrip() for line in printed]
            if run.exit_code and shows_exit:
                printed.append(f"exit {run.exit_code}")
            else:
                assert run.exit_code == 0, f"{command}: exit {run.exit_code}\n{run.stderr}"
            lines = [line for line in shown if line.strip() != "…"]
            assert is_subsequence(lines, printed), (
                f"$ {command}\n--- the page shows:\n"
                + "\n".join(lines)
                + "\n--- the command printed:\n"
                + "\n".join(printed)
            )
            if "…" not in (line.strip() for line in shown):
                assert lines == printed, command
    assert not list(tmp_path.glob("training.db*"))
