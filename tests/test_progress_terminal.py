"""The progress bar of ``grant``/``revoke --file`` (docs/concepts.md, "Progress and
questions"): drawn on stderr when stderr is a terminal, never on stdout, and never when
stderr is not a terminal.

The installed incidentctl runs with its stderr on a pseudo-terminal (``pty``), a pipe, or
with stdout on the terminal instead. Each batch waits about a second and a half for the
write lock another connection holds, so it runs long enough for any bar, including one that
appears only for work longer than a second. The assertions are about behaviour (something
is drawn, and where), not about the bar's text, which may change.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import sqlite3
import struct
import subprocess
import termios
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import build_store
from reliability_support import installed_env, require_installed

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CONTACTS = 1500
HOLD = 1.5  # seconds the write lock is held while the batch starts
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
_HIDE_CURSOR = b"\x1b[?25l"  # what a live display (the bar) writes first


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    rows = "".join(f"c{i:04d}@bar.example.nl,1,Contact {i}\n" for i in range(CONTACTS))
    (folder / "contacts.csv").write_text("email,org,name\n" + rows, encoding="utf-8")
    (folder / "emails.txt").write_text(
        "".join(f"c{i:04d}@bar.example.nl\n" for i in range(CONTACTS)), encoding="utf-8"
    )
    return build_store(
        folder / "bar.db",
        (
            ("init",),
            ("org", "add", "1", "--name", "Bar", "--employees", "9"),
            ("contacts", "import", str(folder / "contacts.csv")),
        ),
    )


def _terminal() -> tuple[int, int]:
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    return main, child


def _drain(fd: int, into: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return
        if not chunk:
            return
        into.append(chunk)


def run(store: Path, *args: str, terminal: str | None) -> tuple[int, bytes, bytes]:
    """``incidentctl ARGS`` with ``terminal`` ("stderr", "stdout" or None) on a pty, while
    another connection holds the write lock for HOLD seconds; (exit code, stdout, stderr)."""
    env = installed_env(store, TERM="xterm-256color")
    for name in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "COLUMNS", "LINES"):
        env.pop(name, None)
    holder = sqlite3.connect(store, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    main = child = None
    streams: dict[str, int] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    if terminal is not None:
        main, child = _terminal()
        streams[terminal] = child
    try:
        process = subprocess.Popen(
            [str(require_installed()), *args], env=env, stdin=subprocess.DEVNULL, **streams
        )
        if child is not None:
            os.close(child)
        on_terminal: list[bytes] = []
        reader = None
        if main is not None:
            reader = threading.Thread(target=_drain, args=(main, on_terminal))
            reader.start()
        time.sleep(HOLD)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    piped_out, piped_err = process.communicate(timeout=60)
    if reader is not None and main is not None:
        reader.join(30)
        os.close(main)
    drawn = b"".join(on_terminal)
    stdout = drawn if terminal == "stdout" else piped_out
    stderr = drawn if terminal == "stderr" else piped_err
    return process.returncode, stdout, stderr


def visible(text: bytes) -> bytes:
    return _ANSI.sub(b"", text).replace(b"\r", b"").strip()


@pytest.mark.parametrize("action", ["grant", "revoke"])
def test_the_bar_is_drawn_on_stderr_only_when_it_is_a_terminal(
    action: str, template: Path, tmp_path: Path
) -> None:
    emails = str(template.parent / "emails.txt")

    def attempt(terminal: str | None) -> tuple[int, bytes, bytes]:
        store = tmp_path / f"{terminal}.db"
        shutil.copy2(template, store)
        if action == "revoke":
            done = subprocess.run(
                [str(require_installed()), "grant", "manager", "--file", emails],
                env=installed_env(store),
                capture_output=True,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        return run(store, action, "manager", "--file", emails, terminal=terminal)

    # Each on its own store and lock, at the same time: the waits overlap.
    with ThreadPoolExecutor(max_workers=3) as pool:
        terminals = ("stderr", None, "stdout")
        results = dict(zip(terminals, pool.map(attempt, terminals), strict=True))

    code, stdout, stderr = results["stderr"]
    assert code == 0, stderr
    assert visible(stderr), "stderr is a terminal: a bar is drawn there"
    assert b"\x1b" not in stdout, "never on stdout"
    assert b"\r" not in stdout, "(no line redrawn there either)"

    code, piped_stdout, piped_stderr = results[None]
    assert code == 0
    assert piped_stderr == b"", "stderr is not a terminal: no bar"
    digits = re.compile(rb"\d")  # the times each change takes effect differ between runs
    assert digits.sub(b"0", piped_stdout) == digits.sub(b"0", stdout), "same results, bar or not"
    assert piped_stdout.count(b"@bar.example.nl") == CONTACTS

    code, terminal_stdout, piped_stderr = results["stdout"]
    assert code == 0
    assert piped_stderr == b"", "only stdout is a terminal: still no bar"
    assert _HIDE_CURSOR not in terminal_stdout, "and none on stdout either"
