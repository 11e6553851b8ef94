"""Tables and the pager on a real pseudo-terminal, with the installed incidentctl
(docs/concepts.md, "Output"): tables fit 80 and 200 columns and hide nothing; long output goes
through the pager (git's rules); quitting it early is a normal exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Cli, build_store
from table_support import (
    SCRIPT,
    assert_fits,
    assert_records_show,
    assert_table_shows,
    is_table,
    on_terminal,
    plain,
)
from test_tables import HEADER, LONG_ADDRESS, listing_rows

pytestmark = pytest.mark.e2e

PAGER_SCRIPT = """\
import os, sys
record = sys.argv[1]
data = sys.stdin.buffer.read()
with open(record, "wb") as f:
    f.write(("LESS=%s\\n" % os.environ.get("LESS")).encode() + data)
sys.stdout.buffer.write(data)
"""


@pytest.fixture(scope="module")
def many_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with more contacts than any screen, one with a long address."""
    folder = tmp_path_factory.mktemp("many")
    rows = [f"user{i:05d}@many.example.nl,1,User number {i}" for i in range(3000)]
    rows.append(f"{LONG_ADDRESS},1,Someone with a long address")
    (folder / "many.csv").write_text("email,org,name\n" + "\n".join(rows) + "\n")
    return build_store(
        folder / "many.db",
        (
            ("init",),
            ("org", "add", "1", "--name", "Many", "--employees", "9"),
            ("contacts", "import", str(folder / "many.csv")),
        ),
    )


@pytest.fixture
def many(many_template: Path, db_path: Path, cli: Cli) -> Cli:
    shutil.copy2(many_template, db_path)
    return cli


@pytest.fixture
def env() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTCTL_")}
    environment["INCIDENTCTL_DB"] = os.environ["INCIDENTCTL_DB"]
    environment["TERM"] = "xterm-256color"
    for name in ("PAGER", "LESS", "COLUMNS", "LINES", "NO_COLOR"):
        environment.pop(name, None)
    return environment


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[str, Path]:
    """A pager that records what it was given (and $LESS), then shows it."""
    script = tmp_path / "pager.py"
    script.write_text(PAGER_SCRIPT)
    record = tmp_path / "paged.txt"
    return f"{sys.executable} {script} {record}", record


@pytest.mark.parametrize("width", [80, 200])
def test_contacts_list_on_a_terminal_fits_and_hides_nothing(
    many: Cli, env: dict[str, str], width: int
) -> None:
    code, text = on_terminal(["--no-pager", "contacts", "list"], env, width)
    assert code == 0
    assert_fits(text, width)
    expected = listing_rows(many)
    if is_table(text):
        assert_table_shows(text, HEADER, expected)
    else:
        assert_records_show(text, HEADER, expected)
    if width == 200:
        assert is_table(text)
        assert any(LONG_ADDRESS in line for line in plain(text).splitlines())


@pytest.mark.parametrize("width", [80, 200])
def test_the_demo_on_a_terminal_fits(demo: Cli, env: dict[str, str], width: int) -> None:
    for command in (
        ("contacts", "list"),
        ("log",),
        ("pending",),
        ("org", "list"),
        ("quota",),
        ("readiness",),
        ("settings", "show"),
    ):
        code, text = on_terminal(["--no-pager", *command], env, width)
        assert code == 0, text
        if command != ("readiness",):  # its sentences wrap as the terminal wraps any text
            assert_fits(text, width)
        assert "\x1b[1m" in text, "a terminal gets bold headers"
        code, text = on_terminal(["--no-pager", *command], {**env, "NO_COLOR": "1"}, width)
        assert "\x1b" not in text


def test_long_output_goes_through_the_pager(
    many: Cli, env: dict[str, str], recorder: tuple[str, Path]
) -> None:
    pager, record = recorder
    code, _ = on_terminal(["contacts", "list"], {**env, "INCIDENTCTL_PAGER": pager}, 120)
    assert code == 0
    paged = record.read_text()
    assert paged.startswith("LESS=FRX\n"), "less quits when it all fits, keeps bold and screen"
    assert "user02999@many.example.nl" in paged
    assert is_table(paged), "the pager gets the terminal's layout, for its width"
    assert_fits(paged.split("\n", 1)[1], 120)


@pytest.mark.parametrize(
    "command",
    [
        ("contacts", "list"),
        ("log",),
        ("pending",),
        ("org", "list"),
        ("quota",),
        ("incidents", "list"),
        ("readiness",),
    ],
)
def test_every_listing_is_paged(
    demo: Cli, env: dict[str, str], recorder: tuple[str, Path], command: tuple[str, ...]
) -> None:
    pager, record = recorder
    code, _ = on_terminal(list(command), {**env, "INCIDENTCTL_PAGER": pager}, 100)
    assert code == 0
    assert record.exists(), command


def test_no_pager_when_not_a_terminal_or_with_no_pager(
    many: Cli, env: dict[str, str], recorder: tuple[str, Path]
) -> None:
    pager, record = recorder
    piped = subprocess.run(
        [str(SCRIPT), "contacts", "list"],
        env={**env, "INCIDENTCTL_PAGER": pager},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert not record.exists()
    assert piped.stdout.splitlines()[0].split("\t") == HEADER
    code, text = on_terminal(
        ["--no-pager", "contacts", "list"], {**env, "INCIDENTCTL_PAGER": pager}, 100
    )
    assert code == 0
    assert not record.exists()
    assert "user02999@many.example.nl" in text


def test_which_pager(demo: Cli, env: dict[str, str], recorder: tuple[str, Path]) -> None:
    pager, record = recorder
    # $PAGER when INCIDENTCTL_PAGER is not set ...
    on_terminal(["org", "list"], {**env, "PAGER": pager}, 100)
    assert record.exists()
    record.unlink()
    # ... INCIDENTCTL_PAGER before it; empty or cat turns paging off.
    for value in ("", "cat"):
        code, text = on_terminal(
            ["org", "list"], {**env, "PAGER": pager, "INCIDENTCTL_PAGER": value}, 100
        )
        assert code == 0
        assert "Bakkerij Van Dijk" in text
        assert not record.exists(), value
    # A pager that is not installed: the output comes straight to the terminal.
    code, text = on_terminal(["org", "list"], {**env, "PAGER": "no-such-pager -x"}, 100)
    assert code == 0
    assert "Bakkerij Van Dijk" in text


@pytest.mark.parametrize("pager", ["head -c 100", "true"])
def test_quitting_the_pager_early_is_a_normal_exit(
    many: Cli, env: dict[str, str], pager: str
) -> None:
    for command in (("contacts", "list"), ("log", "--all"), ("contacts", "list", "--json")):
        code, text = on_terminal(list(command), {**env, "INCIDENTCTL_PAGER": pager}, 100)
        assert code == 0, text
        assert "Traceback" not in text
        assert "Broken pipe" not in text
        assert "Error" not in text
        assert "Exception ignored" not in text


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", "incidentctl-test", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout


def wait_for(predicate: object, what: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "pager")
        if predicate(screen):  # type: ignore[operator]
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{what}; the screen:\n{screen}")


@pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("less") is None, reason="tmux")
@pytest.mark.parametrize("width", [80, 200])
def test_less_shows_the_first_screen_and_q_quits(
    many: Cli, env: dict[str, str], width: int, tmp_path: Path
) -> None:
    """The default pager, less, in a real terminal (tmux): the first screen appears, the
    command waits while it is shown, and q ends it with exit 0 and nothing on the screen but
    the listing."""
    script = tmp_path / "run.sh"
    script.write_text(f"{SCRIPT} contacts list; echo EXIT=$?\nsleep 60\n")
    environment = {**env, "PS1": "$ "}
    command = ["env", *(f"{k}={v}" for k, v in environment.items()), "sh", str(script)]
    tmux("new-session", "-d", "-s", "pager", "-x", str(width), "-y", "24", *command)
    try:
        screen = wait_for(lambda s: s.rstrip().endswith(":"), "less shows its prompt")
        lines = screen.splitlines()
        assert "E-mail" in lines[0] or "E-mail:" in screen, screen
        assert "EXIT=" not in screen, "the command runs on while the pager is shown"
        tmux("send-keys", "-t", "pager", "q")
        screen = wait_for(lambda s: "EXIT=" in s, "the command ends after q")
        assert "EXIT=0" in screen
        assert "Traceback" not in screen
        assert "Error" not in screen
    finally:
        subprocess.run(["tmux", "-L", "incidentctl-test", "kill-server"], check=False)
