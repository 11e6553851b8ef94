"""Progress bars (docs/concepts.md, "Progress and questions"): work that runs longer than about
a second shows, on stderr and only when stderr is a terminal, the count done, the total when
known (or how much of the input file was read), the rate and the time left; the line is cleared
at the end, and nothing of it reaches stdout. The services tell a protocol they define
(incidentctl/services/progress.py) and never import the output layer.

The bars are watched on a real pseudo-terminal (tests/terminal_support.py) at 80 and 200
columns, fed by a pipe the test holds open, so a command runs as long as the test wants and
no test depends on how fast the machine is.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Cli, build_store, dump
from reliability_support import installed_env, require_installed
from terminal_support import Terminal, visible
from test_files_contacts_import import RecordedProgress

from incidentctl import interactive, timeutil
from incidentctl.domain import Actor
from incidentctl.interactive import DELAY, progress_line
from incidentctl.roles import MANAGER
from incidentctl.services import apply as apply_service
from incidentctl.services import recount as recount_service
from incidentctl.services import roles as role_service
from incidentctl.services.progress import NO_PROGRESS
from incidentctl.store import Store

CONTACTS = 25_000
WIDTHS = (80, 200)
OPERATOR = Actor("operator:test")


# --- the line -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", [30, 40, 60, 80, 120, 200])
@pytest.mark.parametrize(
    "counts",
    [
        {"done": 201_000, "total": 1_000_000},
        {"done": 201_000, "total": None, "read": 2_100_000, "size": 4_700_000},
        {"done": 201_000, "total": None},
        {"done": 0, "total": None},
    ],
)
def test_the_line_never_reaches_the_last_column(width: int, counts: dict[str, int]) -> None:
    """A line as wide as the terminal would wrap, and the next redraw could not erase it."""
    line = progress_line(
        "granting submitter", "reading", unit="rows", elapsed=1.8, width=width, **counts
    )
    assert len(line) <= width - 1
    assert line.startswith("granting submitter"[: width - 1])


def test_a_wide_line_shows_everything() -> None:
    line = progress_line(
        "granting submitter",
        "writing",
        done=201_000,
        total=1_000_000,
        unit="rows",
        elapsed=2.0,
        width=200,
    )
    # 100,500 rows a second; the 799,000 left take 7.95 s.
    assert re.fullmatch(
        r"granting submitter: writing  ━{8}─{32}  201,000/1,000,000 rows  20%  0:07 left  "
        r"100,500/s",
        line,
    ), line


def test_at_80_columns_the_numbers_stay_and_the_bar_goes() -> None:
    line = progress_line(
        "granting submitter",
        "writing",
        done=201_000,
        total=1_000_000,
        unit="rows",
        elapsed=2.0,
        width=80,
    )
    assert line == "granting submitter: writing  201,000/1,000,000 rows  20%  0:07 left  100,500/s"


def test_reading_a_file_counts_rows_and_measures_bytes() -> None:
    line = progress_line(
        "importing contacts",
        "reading",
        done=30_000,
        total=None,
        unit="rows",
        elapsed=1.0,
        read=2_500_000,
        size=10_000_000,
        width=200,
        unicode=False,
    )
    assert line == (
        "importing contacts: reading  ##########------------------------------  30,000 rows  "
        "25%  0:03 left  30,000/s  2.5 MB of 10.0 MB"
    )


def test_without_an_end_the_time_taken_is_shown() -> None:
    line = progress_line(
        "revoking manager", "reading", done=5_000, total=None, unit="rows", elapsed=65, width=200
    )
    assert line == "revoking manager: reading  5,000 rows  1:05  77/s"
    quiet = progress_line(
        "recounting", "publishing", done=0, total=None, unit="steps", elapsed=3, width=200
    )
    assert quiet == "recounting: publishing  0:03", "a step that counts nothing shows its time"


# --- the services tell, and never draw -----------------------------------------------------------


def test_no_service_imports_the_output_layer() -> None:
    """Services define the protocol; the command line implements it (docs/architecture.md)."""
    services = Path(__file__).parent.parent / "incidentctl" / "services"
    for module in services.glob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert not name.startswith(("incidentctl.output", "incidentctl.interactive")), (
                    module.name,
                    name,
                )


def test_a_batch_tells_its_steps(store: Cli, db_path: Path) -> None:
    told = RecordedProgress()
    opened = Store.open(db_path)
    try:
        role_service.change(
            opened,
            OPERATOR,
            timeutil.system_now(),
            action="grant",
            role=MANAGER,
            rows=role_service.batch_rows(["jan@acme.nl", "piet@acme.nl"]),
            progress=told,
        )
    finally:
        opened.close()
    # The write counts its changes: the bar shows done / total, the rate and the time left.
    assert told.steps == {
        ("reading", None, True): [2],
        ("checking", None, False): [],
        ("writing", 2, False): [2],
    }


def test_apply_tells_each_organisation_it_checked(store: Cli, db_path: Path) -> None:
    told = RecordedProgress()
    data = (
        b'[organisations."1001"]\nmanager = ["jan@acme.nl"]\n'
        b'[organisations."2002"]\nmanager = ["gina@globex.nl"]\n'
    )
    opened = Store.open(db_path)
    try:
        apply_service.apply(opened, OPERATOR, timeutil.system_now(), data, "r.toml", progress=told)
    finally:
        opened.close()
    assert told.steps == {("checking", 2, False): [1, 1], ("writing", 2, False): [2]}


def test_the_recount_tells_each_query(store: Cli, db_path: Path) -> None:
    told = RecordedProgress()
    opened = Store.open(db_path)
    try:
        recount_service.recount(opened, OPERATOR, timeutil.system_now(), progress=told)
    finally:
        opened.close()
    assert told.steps == {("counting", 7, False): [1] * 7, ("publishing", None, False): []}


def test_a_listing_for_the_terminal_gets_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """A listing shown on the terminal is its own progress; only one written to a file or a
    pipe gets a bar (on stderr)."""
    monkeypatch.setenv("INCIDENTCTL_FORCE_TTY", "80")
    with interactive.listing_progress("listing contacts", "contacts") as bar:
        assert bar is NO_PROGRESS
    rows = iter([1, 2, 3])
    assert interactive.counted(rows, NO_PROGRESS) is rows, "nothing between rows and output"


# --- on a terminal ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the usual few contacts and 25,000 more in organisation 1001."""
    from conftest import STORE_COMMANDS

    folder = tmp_path_factory.mktemp("big")
    csv = folder / "contacts.csv"
    csv.write_text(
        "email,org,name\n" + "".join(f"u{n}@acme.nl,1001,User {n}\n" for n in range(CONTACTS))
    )
    return build_store(folder / "store.db", (*STORE_COMMANDS, ("contacts", "import", str(csv))))


@pytest.fixture
def big(big_template: Path, db_path: Path) -> Path:
    shutil.copy2(big_template, db_path)
    return db_path


def _addresses(first: int, last: int) -> bytes:
    return "".join(f"u{n}@acme.nl\n" for n in range(first, last)).encode()


def _frames(text: str) -> list[str]:
    """Every state of the bar's line: what was drawn between two carriage returns."""
    return [part for line in text.split("\n") for part in line.split("\r") if part.strip()]


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("columns", WIDTHS)
def test_a_long_revoke_shows_its_progress_and_leaves_nothing(
    big: Path, tmp_path: Path, columns: int
) -> None:
    require_installed()
    read_end, write_end = os.pipe()
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        terminal = Terminal(
            ["revoke", "submitter", "--file", "-"],
            installed_env(big),
            columns=columns,
            stdin=read_end,
            stdout=stdout,
        )
    os.close(read_end)
    try:
        os.write(write_end, _addresses(0, 12_000))
        terminal.wait_for(r"revoking submitter: reading +(━+─* +)?10,000 rows")
        os.write(write_end, _addresses(12_000, 25_000))
        terminal.wait_for(r"20,000 rows")
    finally:
        os.close(write_end)
    code, text = terminal.finish()
    assert code == 0
    for frame in _frames(text):
        assert len(frame.rstrip(" ")) <= columns - 1, frame
    assert re.search(r"[0-9,]+/s", text), "the rate"
    assert "revoking" not in visible(text, columns), "the bar was cleared"
    written = out.read_text()
    assert "revoking" not in written
    assert written.splitlines()[-1] == "0 granted, 0 revoked, 25,000 unchanged, 0 refused; done"


@pytest.mark.e2e
@pytest.mark.slow
def test_an_import_from_a_slow_source_shows_its_progress(big: Path, tmp_path: Path) -> None:
    """A FIFO the test writes into stands for a slow share: the import counts the rows it
    read, a thousand at a time."""
    require_installed()
    fifo = tmp_path / "contacts.csv"
    os.mkfifo(fifo)
    terminal = Terminal(
        ["contacts", "import", str(fifo)],
        installed_env(big),
        columns=200,
        stdout=subprocess.DEVNULL,
    )
    with fifo.open("wb") as feed:
        feed.write(b"email,org,name\n" + b"".join(b"x%d@acme.nl,1001,X\n" % n for n in range(2500)))
        feed.flush()
        terminal.wait_for(r"importing contacts: reading +2,000 rows")
    code, text = terminal.finish()
    assert code == 0, text
    assert "importing contacts" not in visible(text, 200)


def test_a_step_that_reads_a_file_is_measured_by_its_size(tmp_path: Path) -> None:
    """The bar reads the position of the input file's descriptor: no call per line."""
    path = tmp_path / "leavers.txt"
    path.write_bytes(b"x" * 100_000 + b"\n")
    with path.open("rb", buffering=0) as source:  # the position is what was read
        bar = interactive.ProgressBar("revoking submitter", source)  # type: ignore[arg-type]
        bar.step("reading", of_input=True)
        source.read(40_000)
        bar.advance(10_000)
        halfway = bar._text(200)
        bar.step("checking")
        after = bar._text(200)
    assert re.search(r"10,000 rows  40%  .* 40\.0 kB of 100\.0 kB", halfway), halfway
    assert "%" not in after, "only the step that reads is measured"
    assert "kB" not in after


@pytest.mark.e2e
def test_a_short_command_shows_no_bar(store: Cli, db_path: Path) -> None:
    require_installed()
    code, text = Terminal(
        ["grant", "manager", "jan@acme.nl", "piet@acme.nl"], installed_env(db_path)
    ).finish()
    assert code == 0
    assert "granting" not in text
    assert "\r" not in text.replace("\r\n", "\n"), "nothing was drawn in place"


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize("quiet", [False, True])
def test_no_bar_without_a_terminal_or_with_quiet(big: Path, quiet: bool) -> None:
    """stderr a pipe (cron, CI): never a bar; --quiet: not on a terminal either. The input
    is held open past the moment a bar would appear."""
    exe = require_installed()
    args = [str(exe), "revoke", "manager", "--file", "-", *(["--quiet"] if quiet else [])]
    read_end, write_end = os.pipe()
    if quiet:
        terminal = Terminal(args[1:], installed_env(big), stdin=read_end)
        os.close(read_end)
        os.write(write_end, _addresses(0, 100))
        time.sleep(DELAY * 2)
        os.close(write_end)
        code, text = terminal.finish()
        assert text.strip().splitlines() == ["0 granted, 0 revoked, 100 unchanged, 0 refused; done"]
    else:
        process = subprocess.Popen(
            args,
            env=installed_env(big),
            stdin=read_end,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.close(read_end)
        os.write(write_end, _addresses(0, 100))
        time.sleep(DELAY * 2)
        os.close(write_end)
        _, errors = process.communicate(timeout=60)
        code = process.returncode
        assert errors == b""
    assert code == 0


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "label"),
    [
        (["contacts", "list", "--csv"], "listing contacts +[0-9,]+ contacts"),
        (["log", "--json"], "listing events +[0-9,]+ events"),
    ],
)
def test_a_listing_written_to_a_pipe_shows_its_progress(
    big: Path, args: list[str], label: str
) -> None:
    """``contacts list --csv > contacts.csv``: stdout is not the terminal, stderr is. The
    test reads the pipe only once the bar is there, so the listing waits for it."""
    require_installed()
    read_end, write_end = os.pipe()
    terminal = Terminal(args, installed_env(big), columns=80, stdout=write_end)
    os.close(write_end)
    terminal.wait_for(label)
    with os.fdopen(read_end, "rb") as pipe:
        listed = pipe.read()
    code, text = terminal.finish()
    assert code == 0
    assert "listing" not in visible(text, 80)
    assert b"listing" not in listed
    assert listed.count(b"u24999@acme.nl") == 1, "every row reached the pipe"


@pytest.mark.e2e
@pytest.mark.slow
def test_ctrl_c_clears_the_bar_and_writes_nothing(big: Path) -> None:
    require_installed()
    before = dump(big)
    read_end, write_end = os.pipe()
    terminal = Terminal(
        ["grant", "manager", "--file", "-"],
        installed_env(big),
        stdin=read_end,
        stdout=subprocess.DEVNULL,
    )
    os.close(read_end)
    try:
        os.write(write_end, _addresses(0, 12_000))
        terminal.wait_for(r"granting manager: reading +10,000 rows")
        terminal.interrupt()
        code, text = terminal.finish()
    finally:
        os.close(write_end)
    assert code == 130
    shown = visible(text, 80)
    assert "granting" not in shown, "the bar was cleared before the error line"
    assert shown.splitlines()[-1].startswith("Error: interrupted")
    assert dump(big) == before
