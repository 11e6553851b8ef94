"""TAB in a real bash (README, "Shell completion"): completion installed as the README says
(``incidentctl --install-completion`` in bash), then a new interactive bash on a
pseudo-terminal: ``incidentctl gr<TAB>`` gives ``grant``, and
``incidentctl contacts show an<TAB><TAB>`` lists the matching addresses of the store."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest
from conftest import build_store
from reliability_support import require_installed

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash"),
]

ADDRESSES = ("anouk@vandijk.nl", "ann@delinde.nl", "anton@snel.nl", "bob@snel.nl")
OTHERS = ("bram@vandijk.nl,1,Bram", "bea@linde.nl,2,Bea")  # 1 and another organisation
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")
_BACKSPACE = re.compile(r"[^\x08\n]\x08")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bash")
    rows = "".join(f"{email},1,{email.split('@')[0].title()}\n" for email in ADDRESSES)
    others = "".join(f"{row}\n" for row in OTHERS)
    (folder / "contacts.csv").write_text("email,org,name\n" + rows + others, encoding="utf-8")
    return build_store(
        folder / "store.db",
        (
            ("init",),
            ("org", "add", "1", "--name", "Een", "--employees", "5"),
            ("org", "add", "2", "--name", "Twee", "--employees", "5"),
            ("contacts", "import", str(folder / "contacts.csv")),
            ("contacts", "set", "anouk@vandijk.nl", "--portal-admin"),
        ),
    )


class Bash:
    """An interactive bash on a pseudo-terminal of 200 columns."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.main, child = pty.openpty()
        fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        self.process = subprocess.Popen(
            ["bash", "-i"],
            stdin=child,
            stdout=child,
            stderr=child,
            env=env,
            cwd=cwd,  # no file names to complete instead (-o default)
            start_new_session=True,
        )
        os.close(child)
        self.screen = ""
        self.expect("READY> ")

    def send(self, text: str) -> None:
        os.write(self.main, text.encode())

    def expect(self, pattern: str, timeout: float = 20.0) -> str:
        """Read until ``pattern`` (a regular expression) shows; what was read since the last
        match, without terminal control sequences."""
        deadline = time.monotonic() + timeout
        while True:
            match = re.search(pattern, self.screen)
            if match:
                seen, self.screen = self.screen[: match.end()], self.screen[match.end() :]
                return seen
            if time.monotonic() > deadline:
                shown = self.screen
                raise AssertionError(f"{pattern!r} did not show; the terminal shows:\n{shown}")
            ready, _, _ = select.select([self.main], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.main, 65536)
            except OSError:  # EIO: bash is gone
                chunk = b""
            if not chunk:
                time.sleep(0.01)
                continue
            self.screen += _ANSI.sub("", chunk.decode(errors="replace")).replace("\r", "")
            # bash replaces a word by moving back over it (BS) and writing the new text.
            while _BACKSPACE.search(self.screen):
                self.screen = _BACKSPACE.sub("", self.screen)

    def close(self) -> None:
        self.send("exit\n")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self.main)


def bash_home(store: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A home folder whose .bashrc sets a prompt to wait for, and the environment of a bash
    that finds the installed incidentctl and uses ``store``."""
    exe = require_installed()
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("PS1='READY> '\nbind 'set bell-style none'\n")
    env = {
        "PATH": f"{exe.parent}:/usr/bin:/bin",
        "HOME": str(home),
        "TERM": "xterm",
        "INPUTRC": "/dev/null",
        "INCIDENTCTL_DB": str(store),
    }
    return home, env


def test_tab_completes_commands_and_addresses(store: Path, tmp_path: Path) -> None:
    home, env = bash_home(store, tmp_path)
    # As the README says: in bash, once; it detects the shell it runs in.
    installed = subprocess.run(
        ["bash", "-c", "incidentctl --install-completion"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "bash completion installed" in installed.stdout
    assert ".bash_completions/incidentctl.sh" in (home / ".bashrc").read_text()

    bash = Bash(env, home)  # a new terminal: reads ~/.bashrc and so the completion
    try:
        bash.send("incidentctl gr\t")
        bash.expect(r"incidentctl grant ")
        bash.send("\x15")  # Ctrl-U: clear the line

        bash.send("incidentctl contacts show an\t\t")
        listed = bash.expect(r"anton@snel\.nl[^\n]*\n(?:.|\n)*READY> ")
        for address in ADDRESSES[:3]:
            assert address in listed
        assert "bob@snel.nl" not in listed
        bash.send("\x15")

        bash.send("incidentctl contacts show anto\t")
        bash.expect(r"incidentctl contacts show anton@snel\.nl ")
        bash.send("\x15")

        bash.send("incidentctl grant Incidentenb\t")
        bash.expect(r"incidentctl grant Incidentenbeheer ")
        bash.send("\x15")

        # bash splits words at @ (COMP_WORDBREAKS): an address is completed as typed ...
        bash.send("incidentctl contacts show anouk@va\t")
        bash.expect(r"incidentctl contacts show anouk@vandijk\.nl ")
        bash.send("\x15")
        bash.send("incidentctl contacts show anouk@\t")
        bash.expect(r"incidentctl contacts show anouk@vandijk\.nl ")
        bash.send("\x15")
        # ... and an --as before it no longer throws off what follows.
        anouk = "incidentctl --as anouk@vandijk.nl"
        bash.send(f"{anouk} grant sub\t")
        bash.expect(r"--as anouk@vandijk\.nl grant submitter ")
        bash.send("\x15")
        bash.send(f"{anouk} contacts show br\t")
        bash.expect(r"--as anouk@vandijk\.nl contacts show bram@vandijk\.nl ")
        bash.send("\x15")
        bash.send("incidentctl --as=anouk@vandijk.nl contacts show br\t")
        bash.expect(r"--as=anouk@vandijk\.nl contacts show bram@vandijk\.nl ")
        bash.send("\x15")
    finally:
        bash.close()


def test_tab_completes_only_what_the_portal_user_may_see(store: Path, tmp_path: Path) -> None:
    """Completion acts as the portal user of --as (or INCIDENTCTL_AS): another
    organisation's contacts and ids are not offered, and nothing at all to a user who may
    do nothing. A sentinel typed after TAB shows what TAB inserted."""
    home, env = bash_home(store, tmp_path)
    script = subprocess.run(
        ["incidentctl", "--show-completion", "bash"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    (home / ".bashrc").write_text((home / ".bashrc").read_text() + script + "\n")
    bash = Bash(env, home)
    try:
        bash.send("incidentctl contacts show be\t")
        bash.expect(r"incidentctl contacts show bea@linde\.nl ")  # the operator sees all
        bash.send("\x15")
        for line in (
            "incidentctl --as anouk@vandijk.nl contacts show be",
            "incidentctl --as anouk@vandijk.nl org show 2",
            "incidentctl --as nobody@vandijk.nl contacts show an",
        ):
            bash.send(line + "\t\t|")
            seen = bash.expect(re.escape(line) + r"\|")
            assert "bea@linde.nl" not in seen, line
            bash.send("\x15")
        bash.send("incidentctl --as anouk@vandijk.nl org show \t")
        bash.expect(r"org show 1 ")
        bash.send("\x15")
        bash.send("export INCIDENTCTL_AS=anouk@vandijk.nl\n")
        bash.expect("READY> ")
        bash.send("incidentctl contacts show be\t|")
        bash.expect(r"incidentctl contacts show be\|")
        bash.send("\x15")
    finally:
        bash.close()
