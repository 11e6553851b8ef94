"""How ``contacts import`` reads and writes (docs/concepts.md, "Files"): the file is streamed
into a staging table before the write lock is taken, so a slow stdin holds nobody up; new
contacts are written a run at a time, with the same audit events, in the file's order, as one
``contacts add`` per row would write."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import Cli, events
from reliability_support import installed_env, one_error, require_installed


def test_the_events_are_those_of_contacts_add(store: Cli, tmp_path: Path, db_path: Path) -> None:
    store.ok("contacts", "add", "one@acme.nl", "--org", "1001", "--name", "Één \"1\"\t'x'")
    store.ok(
        "contacts",
        "add",
        "two@acme.nl",
        "--org",
        "1001",
        "--name",
        "Twee",
        "--portal-admin",
        "--expert-until",
        "2030-02-03",
    )
    by_add = [(e["action"], e["org_id"], e["before"], e["after"]) for e in events(db_path)[-2:]]
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email,org,name,portal_admin,expert_until\n"
        'three@acme.nl,1001,"Één ""1""\t\'x\'",,\n'
        "four@acme.nl,1001,Twee,yes,2030-02-03\n",
        encoding="utf-8",
    )
    store.ok("contacts", "import", str(path))
    by_import = [(e["action"], e["org_id"], e["before"], e["after"]) for e in events(db_path)[-2:]]
    assert by_import == by_add


def test_events_keep_the_order_of_the_file(store: Cli, tmp_path: Path, db_path: Path) -> None:
    count = len(events(db_path))
    path = tmp_path / "contacts.csv"
    path.write_text(
        "email,org,name\n"
        "a@acme.nl,1001,A\nb@acme.nl,1001,B\n"
        "jan@acme.nl,1001,Jan Renamed\n"
        "c@acme.nl,1001,C\n"
        "piet@acme.nl,1001,Piet Pieters\n"  # unchanged: no event
        "d@globex.nl,2002,D\n",
        encoding="utf-8",
    )
    store.ok("contacts", "import", str(path))
    assert [(e["action"], e["contact"]) for e in events(db_path)[count:]] == [
        ("contact.add", "a@acme.nl"),
        ("contact.add", "b@acme.nl"),
        ("contact.set", "jan@acme.nl"),
        ("contact.add", "c@acme.nl"),
        ("contact.add", "d@globex.nl"),
    ]
    listed = {row["email"]: row for row in store.json("contacts", "list")}
    assert (listed["c@acme.nl"]["active"], listed["c@acme.nl"]["portal_admin"]) == (True, False)


def test_progress_is_told_per_chunk(store: Cli, db_path: Path) -> None:
    """The loop a progress bar hooks into: the service reports each chunk it read, then the
    rows it wrote, a thousand at a time."""
    import io

    from incidentctl import files, timeutil
    from incidentctl.domain import Actor
    from incidentctl.services import contacts as contact_service
    from incidentctl.services.imports import CHUNK
    from incidentctl.store import Store

    rows = "".join(f"u{n}@acme.nl,1001,U{n}\n" for n in range(2 * CHUNK + 5))
    stream = io.BytesIO(("email,org,name\n" + rows).encode())
    told = RecordedProgress()
    opened = Store.open(db_path)
    try:
        result = contact_service.import_csv(
            opened,
            Actor("operator:test"),
            timeutil.system_now(),
            files.CsvFile(stream, "rows.csv"),
            progress=told,
        )
    finally:
        opened.close()
    assert told.steps == {
        ("reading", None, True): [CHUNK, CHUNK, 5],
        ("writing", 2 * CHUNK + 5, False): [1000, 1000],
    }
    assert result.added == 2 * CHUNK + 5


class RecordedProgress:
    """A :class:`incidentctl.services.progress.Progress` that remembers what it was told:
    per (step, total, reads the input), the amounts advanced."""

    def __init__(self) -> None:
        self.steps: dict[tuple[str, int | None, bool], list[int]] = {}
        self._current: list[int] = []

    def step(
        self, name: str, total: int | None = None, *, unit: str = "rows", of_input: bool = False
    ) -> None:
        self._current = self.steps.setdefault((name, total, of_input), [])

    def advance(self, done: int) -> None:
        self._current.append(done)


@pytest.mark.e2e
@pytest.mark.slow
def test_a_slow_stdin_holds_no_lock(store: Cli, db_path: Path) -> None:
    """While an import waits for the rest of its input, another process writes freely."""
    exe = require_installed()
    env = installed_env(db_path, INCIDENTCTL_BUSY_TIMEOUT="1")
    importer = subprocess.Popen(
        [str(exe), "contacts", "import", "-", "--json"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert importer.stdin is not None
    importer.stdin.write(b"email,org,name\nkees@acme.nl,1001,Kees\n")
    importer.stdin.flush()
    time.sleep(0.5)  # the importer has read what there is, and waits
    writer = subprocess.run(
        [str(exe), "org", "add", "3003", "--name", "Initech", "--employees", "5"],
        env=env,
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert writer.returncode == 0, writer.stderr
    importer.stdin.write(b"lot@acme.nl,1001,Lot\n")
    importer.stdin.close()
    assert importer.stdout is not None
    assert importer.stderr is not None
    stdout, stderr = importer.stdout.read(), importer.stderr.read()
    assert importer.wait(timeout=30) == 0, stderr
    assert b'"added": 2' in stdout


@pytest.mark.e2e
@pytest.mark.slow
def test_a_portal_user_is_refused_before_stdin_is_read(store: Cli, db_path: Path) -> None:
    exe = require_installed()
    read_end, write_end = os.pipe()  # a stdin that never ends nor closes
    try:
        done = subprocess.run(
            [str(exe), "--as", "jan@acme.nl", "contacts", "import", "-"],
            env=installed_env(db_path),
            stdin=read_end,
            capture_output=True,
            timeout=30,
            check=False,
        )
    finally:
        os.close(read_end)
        os.close(write_end)
    assert done.returncode == 4
    assert "not a portal admin" in one_error(done.stderr.decode())
