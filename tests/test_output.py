"""Output for people and scripts: no escape sequences when not writing to a terminal or
when NO_COLOR is set; JSON and CSV that parse; stored text that cannot drive the terminal."""

from __future__ import annotations

import csv
import io
import json
import sys

import pytest
from conftest import Cli

from incidentctl import output

ESC = "\x1b"


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal, so rich would style what it writes."""

    def isatty(self) -> bool:
        return True


def draw_table(monkeypatch: pytest.MonkeyPatch) -> str:
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    output.table(["E-mail", "Roles"], [["ada@acme.nl", "submitter"]])
    return terminal.getvalue()


def test_a_terminal_gets_styled_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control for the test below: on a terminal rich does write escape sequences."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    for var in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(var, raising=False)
    assert ESC in draw_table(monkeypatch)


def test_no_color_means_no_escape_sequences_even_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("NO_COLOR", "1")
    text = draw_table(monkeypatch)
    assert "ada@acme.nl" in text
    assert ESC not in text


@pytest.mark.parametrize(
    "command",
    [
        ("contacts", "list"),
        ("contacts", "show", "anouk@vandijk.nl"),
        ("org", "list"),
        ("org", "show", "1001"),
        ("log",),
        ("settings", "show"),
        ("doctor",),
        ("--help",),
        ("contacts", "list", "--help"),
        ("org", "show", "9999"),
        ("contacts", "list", "--bogus"),
    ],
)
@pytest.mark.parametrize("no_color", [False, True])
def test_output_that_is_not_a_terminal_has_no_escape_sequences(
    demo: Cli, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...], no_color: bool
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    run = demo(*command)
    assert run.stdout + run.stderr
    assert ESC not in run.stdout
    assert ESC not in run.stderr


def test_a_terminal_gets_styled_output_without_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert "\x1b[1mE-mail\x1b[0m" in draw_table(monkeypatch)
    monkeypatch.setenv("TERM", "dumb")
    assert ESC not in draw_table(monkeypatch)


def test_tables_are_not_wrapped_when_not_a_terminal(demo: Cli) -> None:
    long_name = "Maximiliaan " * 20
    demo.ok("contacts", "add", "max@vandijk.nl", "--org", "1001", "--name", long_name.strip())
    lines = demo.ok("contacts", "list").stdout.splitlines()
    assert any(long_name.strip() in line for line in lines), "one row stays on one line"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "-"),
        (True, "yes"),
        (False, "no"),
        (3, "3"),
        ("plain", "plain"),
        ("red\x1b[31m", "red\\x1b[31m"),
        ("bell\x07", "bell\\x07"),
        ("two\nlines", "two\\x0alines"),
        ("c1\x9b", "c1\\x9b"),
        ("evil\u202egnp.exe", "evil\\u202egnp.exe"),
        ("\u2066isolate\u2069", "\\u2066isolate\\u2069"),
        ("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d"),
        ("\u2067\u2068", "\\u2067\\u2068"),
        ("line\u2028para\u2029", "line\\u2028para\\u2029"),
        ("\u200emarks\u200f\u061c", "\\u200emarks\\u200f\\u061c"),
        ("Zeynep Yılmaz 漢字", "Zeynep Yılmaz 漢字"),
    ],
)
def test_printable(value: object, shown: str) -> None:
    assert output.printable(value) == shown


@pytest.mark.parametrize("count", [0, 1, 3])
def test_streamed_json_arrays_parse(capsys: pytest.CaptureFixture[str], count: int) -> None:
    items = [{"n": i, "name": f"naïve {i}"} for i in range(count)]
    output.stream_json_array(iter(items))
    assert json.loads(capsys.readouterr().out) == items


def test_csv_cells(capsys: pytest.CaptureFixture[str]) -> None:
    row = [True, None, ["x", "y"], 'q"uote, comma']
    output.write_csv(["a", "b", "c", "d"], [[output.csv_cell(value) for value in row]])
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [["a", "b", "c", "d"], ["true", "", "x;y", 'q"uote, comma']]


def test_error_and_hint_lines(capsys: pytest.CaptureFixture[str]) -> None:
    output.error("something\nbroke \x1b[1m", hint="do\tthis")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == ["Error: something broke \\x1b[1m", "Hint: do this"]
