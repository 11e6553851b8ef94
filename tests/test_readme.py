"""The README works when typed: its first two commands are the ones a new machine
needs (and .ci/run runs the second exactly), its demo and first-day walk-through run as
written on a fresh store through the installed incidentctl, with the output it shows, its
crontab line runs as cron runs it, and every other incidentctl line it shows is one the
CLI accepts."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from help_support import command_lines, parse

from incidentctl.cli.clickapi import ClickException

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"
EXAMPLES = ROOT / "examples"
SCRIPT = Path(sys.executable).parent / "incidentctl"

SHOWN_HOME = "/home/you"
"""The home folder the README's output shows; the test's own is put in its place."""

TERMINAL = {"INCIDENTCTL_FORCE_TTY": "80", "NO_COLOR": "1"}
"""The README shows what a terminal 80 columns wide shows (without bold)."""

_BLOCK = re.compile(r"^```(?P<kind>\w*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(kind: str | None = None) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [m["body"] for m in _BLOCK.finditer(text) if kind is None or m["kind"] == kind]


def console_steps() -> list[tuple[str, list[str]]]:
    """(command, the output lines shown under it) of every console block, in order."""
    steps: list[tuple[str, list[str]]] = []
    for body in blocks("console"):
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                assert steps, f"output before any command: {line!r}"
                steps[-1][1].append(line.rstrip())
    return steps


def shown_matches(shown: list[str], printed: list[str]) -> bool:
    """Whether the lines ``shown`` are the lines ``printed``: a line that is only ``…``
    stands for any number of lines, a ``…`` within a line for any text (a time)."""
    patterns = []
    for line in shown:
        if line.strip() == "…":
            patterns.append(r"(?:[^\n]*\n)*?")
        else:
            parts = (re.escape(part) for part in line.split("…"))
            patterns.append(".*?".join(parts) + r"\n")
    return re.fullmatch("".join(patterns), "".join(f"{p}\n" for p in printed)) is not None


# --- the first two commands ---------------------------------------------------------------


def test_the_readme_starts_with_the_two_commands_of_a_new_machine() -> None:
    text = README.read_text(encoding="utf-8")
    first = _BLOCK.search(text)
    assert first is not None
    assert text[: first.start()].strip() == "# incidentctl", "the commands come first"
    demo, tests = first["body"].splitlines()
    assert demo == (
        "pip install . && incidentctl --db demo.db init --demo"
        " && incidentctl --db demo.db contacts list"
    )
    assert tests == "pip install '.[test]' && pytest"


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    tests = blocks()[0].splitlines()[1]
    script = CI_RUN.read_text(encoding="utf-8").splitlines()
    heading = script.index('echo "== the README\'s test command"')
    assert script[heading + 1] == tests
    assert sum(line.strip() == tests for line in script) == 1


# --- the walk-through, as typed -----------------------------------------------------------


@pytest.fixture
def newcomer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, str]]:
    """A fresh machine: a folder with the repository's examples, a home folder without a
    store, none of incidentctl's variables; returns the folder and the environment."""
    work = tmp_path / "incidentctl"
    work.mkdir()
    shutil.copytree(EXAMPLES, work / "examples")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTCTL_")}
    env.pop("XDG_DATA_HOME", None)
    env["HOME"] = str(home)
    monkeypatch.chdir(work)
    return work, env


def _run(words: list[str], work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    assert words[0] == "incidentctl", words
    return subprocess.run(
        [str(SCRIPT), *words[1:]],
        cwd=work,
        env={**env, **TERMINAL},
        stdin=subprocess.DEVNULL,  # never a terminal that a question could wait on
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_walkthrough_works_as_written(newcomer: tuple[Path, dict[str, str]]) -> None:
    work, env = newcomer
    home = env["HOME"]

    # The first command, after its 'pip install .'.
    install, *commands = blocks()[0].splitlines()[0].split(" && ")
    assert install == "pip install ."
    for command in commands:
        done = _run(shlex.split(command), work, env)
        assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert "anouk@vandijk.nl" in done.stdout, "the demo's contacts"

    steps = console_steps()
    assert len(steps) >= 10
    for command, shown in steps:
        words = shlex.split(command)
        if words[0] == "rm":
            removed = [p for pattern in words[1:] for p in work.glob(pattern)]
            assert removed, command
            for path in removed:
                path.unlink()
            continue
        shows_exit = "||" in words
        if shows_exit:
            assert words[words.index("||") :] == ["||", "echo", "exit $?"], command
            words = words[: words.index("||")]
        done = _run(words, work, env)
        printed = [line for line in done.stderr.splitlines() if line.startswith("Note:")]
        printed += done.stdout.splitlines()
        printed += [line for line in done.stderr.splitlines() if not line.startswith("Note:")]
        printed = [line.rstrip().replace(home, SHOWN_HOME) for line in printed]
        if done.returncode and shows_exit:
            printed.append(f"exit {done.returncode}")
        else:
            assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stderr}"
        assert shown_matches(shown, printed), (
            f"$ {command}\n--- the README shows:\n"
            + "\n".join(shown)
            + "\n--- the command printed:\n"
            + "\n".join(printed)
        )

    assert not list(work.glob("demo.db*")), "the demo is gone"
    store = Path(home) / ".local/share/incidentctl/incidentctl.db"
    assert store.is_file(), "the first day used the default store"


def _cron(cron: list[str], job: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cron, job],
        cwd="/",
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_crontab_line_runs_as_cron_runs_it(newcomer: tuple[Path, dict[str, str]]) -> None:
    work, env = newcomer
    home = env["HOME"]
    for command in ("init", "org import examples/organisations.csv"):
        assert _run(["incidentctl", *command.split()], work, env).returncode == 0
    (line,) = [line for line in "".join(blocks("crontab")).splitlines() if line and line[0] != "#"]
    *when, program, rest = line.split(None, 6)
    assert when == ["15", "4", "*", "*", "*"]
    assert program.startswith(SHOWN_HOME)
    assert program.endswith("/bin/incidentctl")
    assert rest.startswith(f"--db {SHOWN_HOME}/"), "cron needs the store's full path"
    assert "%" not in line  # cron would turn it into a newline
    job = f"{shlex.quote(str(SCRIPT))} {rest.replace(SHOWN_HOME, home)}"
    cron = ["env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}", "SHELL=/bin/sh", "/bin/sh", "-c"]

    night = _cron(cron, job)
    assert night.returncode == 0, night.stderr
    assert night.stdout.startswith("Recount for "), "nobody can submit yet: reported"
    again = _cron(cron, job)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", ""), "the same night"


# --- every other incidentctl line of the README -------------------------------------------


def readme_command_lines() -> list[str]:
    lines = []
    for kind, body in ((m["kind"], m["body"]) for m in _BLOCK.finditer(README.read_text())):
        for line in body.splitlines():
            if kind == "console":
                line = line[2:] if line.startswith("$ ") else ""
            if command_lines(line):
                lines.append(line)
    return lines


@pytest.mark.parametrize("line", readme_command_lines())
def test_every_incidentctl_line_is_accepted(line: str) -> None:
    for argv in command_lines(line):
        if {"--install-completion", "--show-completion"} & set(argv):
            continue  # their callbacks install or print at once: only the option is checked
        try:
            parse(argv)
        except ClickException as exc:
            pytest.fail(f"README: '{line}' is refused: {exc.format_message()}")


def test_the_output_reader_matches_and_refuses() -> None:
    assert shown_matches(["a", "…", "d"], ["a", "b", "c", "d"])
    assert shown_matches(["at … CET"], ["at 2024-01-01 10:00:00 CET"])
    assert not shown_matches(["a", "d"], ["a", "b", "d"])
    assert not shown_matches(["at … CET"], ["at 10:00 CEST"])
    assert not shown_matches(["a", "…"], ["b", "a"])


def test_the_example_files_are_as_the_readme_says() -> None:
    contacts = (EXAMPLES / "contacts.csv").read_bytes()
    assert contacts.startswith(b"\xef\xbb\xbfemail;org;name;"), "Dutch Excel's CSV UTF-8"
    lines = contacts.split(b"\r\n")
    assert lines[-1] == b"", "CRLF line ends, the last one too"
    assert all(b"\n" not in line for line in lines)
    organisations = (EXAMPLES / "organisations.csv").read_text(encoding="utf-8")
    assert organisations.startswith("id,name,employees,sector,domains\n")
    text = README.read_text(encoding="utf-8")
    assert "semicolons, a byte-order mark and CRLF line ends" in text
