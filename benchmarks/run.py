"""incidentctl's benchmark suite: each target against a floor measured in the same run.

    python benchmarks/run.py            # 1M contacts in 10k organisations (several minutes)
    python benchmarks/run.py --quick    # 400k contacts in 4 000 organisations (about a minute)

Absolute times drift on shared machines, so every case is compared, by the ratio of
medians of interleaved runs, with the least its dependencies allow on the same machine in
the same run (docs/performance.md, "How it is measured"):

- Typer floor: a Typer app with incidentctl's shape (as many groups and commands, each
  with a few typed options) running one trivial command, or its --help;
- write floor: stdlib sqlite3 ``executemany`` writing, in one transaction with foreign
  keys on, one change row and one audit row per contact into two indexed tables that
  reference the contacts table: the least a bulk grant must write;
- query floor: the ``sqlite3`` shell running, on the same file, the GROUP BY that yields
  the figures a recount publishes (maximum, used and experts of every organisation);
- export floor: stdlib sqlite3 + ``csv.writer`` streaming the seven contract columns of
  the same contacts (docs/json.md);
- ``--csv`` of the same listing: the floor of the listings drawn as tables for a terminal
  (docs/concepts.md, "Output"), whose first screen is also timed against an absolute 0.5 s.

A shell-completion query (TAB after an address prefix, as bash asks for it) is a start-up
case against the Typer floor too.

Results go to docs/performance.md (the full run) or are printed (--quick, unless
--write). The store is built once per size and cached in benchmarks/data/.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "data"
REPORT = ROOT / "docs" / "performance.md"
BIN = Path(sys.executable).parent
INCIDENTCTL = str(BIN / "incidentctl")
BUILD_VERSION = 3  # bump when the generated data changes


@dataclass(frozen=True)
class Size:
    name: str
    contacts: int
    orgs: int
    grants: tuple[int, ...]
    runs: int  # interleaved pairs per case (after one warm-up pair)
    startup_runs: int  # pairs per start-up case: short runs are noisier
    grant_runs: int  # pairs per bulk grant: each needs a fresh copy of the store


FULL = Size("full", 1_000_000, 10_000, (100_000, 1_000_000), runs=5, startup_runs=25, grant_runs=3)
QUICK = Size("quick", 400_000, 4_000, (10_000, 30_000), runs=1, startup_runs=5, grant_runs=1)


# --- measuring ------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float
    max_rss_mib: float


# Linux keeps a process's peak memory across fork and exec, so a child forked by this
# runner (which holds the imported Typer app and a million e-mail addresses) would report
# the runner's size as its own. Children are therefore started by a small spawner process,
# launched before anything heavy is imported; it times each child and reads its peak from
# wait4.
_SPAWNER = """
import json, os, subprocess, sys, time
for request in sys.stdin:
    job = json.loads(request)
    stdin = open(job["stdin"], "rb") if job["stdin"] else subprocess.DEVNULL
    env = {**os.environ, **job["env"]}
    start = time.perf_counter()
    child = subprocess.Popen(job["argv"], stdin=stdin, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, env=env)
    errors = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if job["stdin"]:
        stdin.close()
    print(json.dumps({"seconds": elapsed, "max_rss_kib": usage.ru_maxrss,
                      "code": child.returncode, "errors": errors.decode(errors="replace")}),
          flush=True)
"""
_spawner: subprocess.Popen[str] | None = None


def start_spawner() -> None:
    global _spawner
    _spawner = subprocess.Popen(
        [sys.executable, "-c", _SPAWNER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def measure(
    argv: Sequence[str],
    *,
    stdin: Path | None = None,
    codes: set[int] | None = None,
    env: dict[str, str] | None = None,
) -> Sample:
    """Run one process to completion, with ``env`` added to the environment: wall time and
    its peak resident memory. Exit codes other than ``codes`` (default: 0) stop the suite."""
    import json

    assert _spawner is not None
    assert _spawner.stdin is not None
    assert _spawner.stdout is not None
    _spawner.stdin.write(
        json.dumps({"argv": list(argv), "stdin": str(stdin) if stdin else None, "env": env or {}})
        + "\n"
    )
    _spawner.stdin.flush()
    result = json.loads(_spawner.stdout.readline())
    if result["code"] not in (codes or {0}):
        raise SystemExit(
            f"benchmark command failed ({result['code']}): {' '.join(argv)}\n{result['errors']}"
        )
    return Sample(result["seconds"], result["max_rss_kib"] / 1024)


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def spread(self) -> str:
        times = [s.seconds for s in self.samples]
        return f"{min(times):.3f}–{max(times):.3f}"

    @property
    def peak_mib(self) -> float:
        return max(s.max_rss_mib for s in self.samples)


def interleaved(
    runs: int,
    target: Callable[[], Sample],
    floor: Callable[[], Sample],
    prepare: Callable[[], None] | None = None,
    startup: Callable[[], Sample] | None = None,
) -> tuple[Series, Series, Series | None]:
    """Alternate target and floor (and the Typer floor, to take start-up out of a long
    case) round by round, so drift hits them alike; first a warm-up round."""
    targets, floors = Series(), Series()
    startups = Series() if startup else None
    for round_number in range(runs + 1):
        if prepare:
            prepare()
        t = target()
        if prepare:
            prepare()
        f = floor()
        s = startup() if startup else None
        if round_number == 0:
            continue  # the warm-up: caches filled, nothing recorded
        targets.samples.append(t)
        floors.samples.append(f)
        if startups is not None and s is not None:
            startups.samples.append(s)
    return targets, floors, startups


# --- the data -------------------------------------------------------------------------

_FIRST = [
    "Anouk",
    "Bram",
    "Chantal",
    "Dirk",
    "Els",
    "Fatima",
    "Gert",
    "Hanna",
    "Ilse",
    "Jeroen",
    "Koen",
    "Lotte",
    "Mohamed",
    "Noor",
    "Pieter",
    "Sanne",
    "Thijs",
    "Yara",
    "Zeynep",
    "Wim",
]
_LAST = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "El Amrani",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "Yılmaz",
    "Dekker",
]
_SECTORS = [None, None, "zorg", "onderwijs", "overheid", "retail", "bouw", "ict"]
_BANDS = [(0, 2), (10, 3), (50, 5), (250, 8), (1000, 12), (5000, 20)]  # the default policy


def _policy_maximum(employees: int) -> int:
    maximum = 2
    for start, band_max in _BANDS:
        if employees >= start:
            maximum = band_max
    return maximum


def build_store(size: Size) -> Path:
    """The benchmark store for ``size``, built once (about a minute for 1M contacts)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"store-{size.contacts}-{size.orgs}-v{BUILD_VERSION}-{_schema_key()}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in DATA.glob(partial.name + "*"):
        leftover.unlink()
    print(f"building {path.name} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [INCIDENTCTL, "--db", str(partial), "init"], check=True, stdout=subprocess.DEVNULL
    )
    rng = random.Random(20240101)
    now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

    def iso(moment: datetime) -> str:
        return moment.isoformat(timespec="seconds")

    # Organisation sizes are long-tailed: many small customers, a few very large ones;
    # each gets contacts in proportion to employees ** 0.6.
    employees = [max(1, int(rng.lognormvariate(4.2, 1.4))) for _ in range(size.orgs)]
    weights = [e**0.6 for e in employees]
    scale = size.contacts / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    counts[-1] += size.contacts - sum(counts)
    while counts[-1] < 1:  # rounding overshoot: take contacts back from the largest
        biggest = counts.index(max(counts))
        counts[biggest] -= 1
        counts[-1] += 1

    conn = sqlite3.connect(partial, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    orgs = [
        (str(100000 + i), f"Klant {100000 + i} B.V.", employees[i], rng.choice(_SECTORS))
        for i in range(size.orgs)
    ]
    conn.executemany(
        "INSERT INTO organisations (id, name, employees, sector, created_at) "
        "VALUES (?, ?, ?, ?, '2023-06-01T08:00:00+00:00')",
        orgs,
    )
    contacts = []
    changes = []
    events = []
    contact_id = 0
    for (org_id, _, org_employees, _), count in zip(orgs, counts, strict=True):
        maximum = _policy_maximum(org_employees)
        members = []
        for n in range(count):
            contact_id += 1
            email = f"c{contact_id}.{n}@klant{org_id}.nl"
            expert = None
            draw = rng.random()
            if draw < 0.02:
                expert = (now.date() + timedelta(days=rng.randint(1, 700))).isoformat()
            elif draw < 0.03:
                expert = (now.date() - timedelta(days=rng.randint(1, 400))).isoformat()
            active = 0 if rng.random() < 0.05 else 1
            admin = 1 if n < 2 or rng.random() < 0.005 else 0
            name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            contacts.append((contact_id, email, org_id, name, active, admin, expert))
            members.append((contact_id, email, active, expert))
        added = iso(now - timedelta(days=400))
        events.extend(("contact.add", org_id, email, None, added) for _, email, _, _ in members)
        active_members = [m for m in members if m[2]]
        rng.shuffle(active_members)
        submitters = active_members[
            : max(1, int(min(maximum, len(active_members)) * rng.uniform(0.5, 1.0)))
        ]
        managers = active_members[-rng.randint(1, 2) :]
        for cid, email, _, _ in submitters:
            at = now - timedelta(days=rng.randint(1, 600), minutes=rng.randint(0, 1440))
            changes.append((cid, "submitter", "grant", iso(at), iso(at + timedelta(minutes=10))))
            events.append(("grant", org_id, email, "submitter", iso(at)))
        for cid, email, _, _ in managers:
            at = now - timedelta(days=rng.randint(1, 600))
            changes.append((cid, "manager", "grant", iso(at), iso(at + timedelta(minutes=10))))
            events.append(("grant", org_id, email, "manager", iso(at)))
        # Some history: former submitters whose role was granted and later revoked.
        for cid, email, _, _ in active_members[len(submitters) : len(submitters) + 2]:
            at = now - timedelta(days=rng.randint(200, 700))
            later = at + timedelta(days=rng.randint(10, 150))
            changes.append((cid, "submitter", "grant", iso(at), iso(at + timedelta(minutes=10))))
            changes.append(
                (cid, "submitter", "revoke", iso(later), iso(later + timedelta(minutes=10)))
            )
            events.append(("grant", org_id, email, "submitter", iso(at)))
            events.append(("revoke", org_id, email, "submitter", iso(later)))
        if len(contacts) >= 50_000:
            _flush(conn, contacts, changes, events)
    _flush(conn, contacts, changes, events)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    # Last night's run, so the measured recount is a normal night, not the first ever.
    subprocess.run(
        [INCIDENTCTL, "--db", str(partial), "--now", "2026-11-26T04:15", "recount", "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def _schema_key() -> str:
    """A short hash of the schema incidentctl creates: a cached store is rebuilt when the
    schema (an index, say) changes."""
    import hashlib

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.db"
        subprocess.run(
            [INCIDENTCTL, "--db", str(path), "init"], check=True, stdout=subprocess.DEVNULL
        )
        conn = sqlite3.connect(path)
        schema = "\n".join(
            sql or "" for (sql,) in conn.execute("SELECT sql FROM sqlite_master ORDER BY name")
        )
        conn.close()
    return hashlib.sha256(schema.encode()).hexdigest()[:8]


def _flush(conn: sqlite3.Connection, contacts: list, changes: list, events: list) -> None:
    conn.executemany(
        "INSERT INTO contacts (id, email, org_id, name, active, portal_admin, expert_until, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2025-10-01T08:00:00+00:00')",
        contacts,
    )
    changes.sort(key=lambda change: change[3])  # history is written in time order
    conn.executemany(
        "INSERT INTO role_changes (contact_id, role, action, requested_at, effective_at, actor) "
        "VALUES (?, ?, ?, ?, ?, 'operator:hr')",
        changes,
    )
    conn.executemany(
        "INSERT INTO events (action, org_id, contact, role, at, actor) "
        "VALUES (?, ?, ?, ?, ?, 'operator:hr')",
        events,
    )
    contacts.clear()
    changes.clear()
    events.clear()


def sample_rows(store: Path) -> tuple[str, str]:
    """A submitter to check and the organisation with the most contacts."""
    conn = sqlite3.connect(store)
    (email,) = conn.execute(
        "SELECT c.email FROM role_changes r JOIN contacts c ON c.id = r.contact_id "
        "WHERE r.role = 'submitter' AND r.action = 'grant' AND c.active = 1 LIMIT 1"
    ).fetchone()
    (org,) = conn.execute(
        "SELECT org_id FROM contacts GROUP BY org_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    conn.close()
    return email, org


# --- the floors -----------------------------------------------------------------------


def write_typer_floor(directory: Path) -> Path:
    """A Typer app shaped like incidentctl: the same groups and number of commands."""
    import typer.main

    from incidentctl.cli import app

    command = typer.main.get_command(app)
    top = 0
    groups: list[int] = []
    for sub in command.commands.values():  # type: ignore[attr-defined]
        children = getattr(sub, "commands", None)
        if children:
            groups.append(len(children))
        else:
            top += 1
    lines = [
        '"""The Typer floor: incidentctl\'s shape, trivial commands."""',
        "from typing import Annotated",
        "import typer",
        "app = typer.Typer()",
        "def _command(name):",
        "    def run(",
        '        item: Annotated[str, typer.Argument(help="an argument")] = "x",',
        '        limit: Annotated[int, typer.Option(help="a number")] = 1,',
        '        flag: Annotated[bool, typer.Option(help="a flag")] = False,',
        '        json: Annotated[bool, typer.Option("--json", help="json")] = False,',
        "    ) -> None:",
        '        """A trivial command."""',
        '        typer.echo("ok")',
        "    run.__name__ = name",
        "    return run",
        f"for i in range({top}):",
        '    app.command(f"cmd{i}")(_command(f"cmd{i}"))',
        f"for g, size in enumerate({groups}):",
        '    group = typer.Typer(help="A group.")',
        "    for i in range(size):",
        '        group.command(f"sub{i}")(_command(f"sub{i}"))',
        '    app.add_typer(group, name=f"group{g}")',
        'if __name__ == "__main__":',
        "    app()",
    ]
    path = directory / "typer_floor.py"
    path.write_text("\n".join(lines) + "\n")
    return path


WRITE_FLOOR = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA foreign_keys = ON")
conn.execute("PRAGMA synchronous = FULL")
conn.execute("CREATE TABLE floor_changes (id INTEGER PRIMARY KEY, "
             "contact_id INTEGER NOT NULL REFERENCES contacts(id), role TEXT, action TEXT, "
             "requested_at TEXT, effective_at TEXT, actor TEXT, reason TEXT)")
conn.execute("CREATE INDEX floor_changes_contact ON floor_changes(contact_id, role)")
conn.execute("CREATE TABLE floor_events (id INTEGER PRIMARY KEY, at TEXT, actor TEXT, "
             "action TEXT, org_id TEXT REFERENCES organisations(id), contact TEXT, role TEXT, "
             "before TEXT, after TEXT, reason TEXT)")
conn.execute("CREATE INDEX floor_events_org ON floor_events(org_id)")
rows = [line.strip() for line in open(sys.argv[2])]
ids = dict(conn.execute("SELECT email, id FROM contacts"))
orgs = dict(conn.execute("SELECT id, org_id FROM contacts"))
conn.execute("BEGIN")
now, eff = "2026-11-27T10:00:00+00:00", "2026-11-27T10:10:00+00:00"
conn.executemany("INSERT INTO floor_changes (contact_id, role, action, requested_at, "
                 "effective_at, actor) VALUES (?, 'submitter', 'grant', ?, ?, 'operator')",
                 ((ids[e], now, eff) for e in rows))
conn.executemany("INSERT INTO floor_events (at, actor, action, org_id, contact, role) "
                 "VALUES (?, 'operator', 'grant', ?, ?, 'submitter')",
                 ((now, orgs[ids[e]], e) for e in rows))
conn.execute("COMMIT")
"""

EXPORT_SQL = (
    "SELECT c.email, c.org_id, c.name, c.active, c.portal_admin, c.expert_until, "
    "(SELECT r.action FROM role_changes r WHERE r.contact_id = c.id AND r.role = 'submitter' "
    "ORDER BY r.id DESC LIMIT 1) = 'grant', "
    "(SELECT r.action FROM role_changes r WHERE r.contact_id = c.id AND r.role = 'manager' "
    "ORDER BY r.id DESC LIMIT 1) = 'grant' "
    "FROM contacts c ORDER BY c.org_id, c.email"
)

EXPORT_FLOOR = f"""
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
writer = csv.writer(sys.stdout, lineterminator="\\n")
writer.writerow(("email", "org", "name", "active", "portal_admin", "expert_until", "roles"))
writer.writerows(conn.execute({EXPORT_SQL!r}))
"""

# The figures a recount publishes, as one query: every organisation's maximum (the default
# policy's bands as a CASE, or its override) and its used and expert submitters, grouped from
# the latest submitter change of each contact.
_MAXIMUM_CASE = (
    "CASE "
    + " ".join(
        f"WHEN o.employees >= {start} THEN {maximum}" for start, maximum in reversed(_BANDS[1:])
    )
    + f" ELSE {_BANDS[0][1]} END"
)
QUERY_FLOOR_SQL = (
    "WITH latest AS (SELECT contact_id, action, max(id) FROM role_changes "
    "WHERE role = 'submitter' GROUP BY contact_id), "
    "counts AS (SELECT c.org_id, "
    "count(*) FILTER (WHERE c.expert_until IS NULL OR c.expert_until < '2026-11-27') AS used, "
    "count(*) FILTER (WHERE c.expert_until >= '2026-11-27') AS experts "
    "FROM latest JOIN contacts c ON c.id = latest.contact_id "
    "WHERE latest.action = 'grant' AND c.active = 1 GROUP BY c.org_id) "
    f"SELECT o.id, coalesce(o.quota_override, {_MAXIMUM_CASE}), "
    "coalesce(counts.used, 0), coalesce(counts.experts, 0) "
    "FROM organisations o LEFT JOIN counts ON counts.org_id = o.id ORDER BY o.id;"
)


# --- the cases ------------------------------------------------------------------------


@dataclass
class Result:
    case: str
    target: Series
    floor: Series
    floor_name: str
    limit: float
    startup: Series | None = None  # the Typer floor of each round, taken out of long cases
    memory_limit_mib: float | None = None
    absolute: bool = False  # the limit is in seconds (the first screen), not a ratio

    @property
    def ratio(self) -> float:
        """The median over the interleaved rounds of target / floor, or for the long cases
        (target − Typer floor) / floor: each round ran back to back, so the drift of this
        shared machine's speed (more than the margins measured) cancels within it. For an
        absolute case, the median time of the target."""
        if self.absolute:
            return self.target.median
        if self.startup is None:
            pairs = zip(self.target.samples, self.floor.samples, strict=True)
            return statistics.median(t.seconds / f.seconds for t, f in pairs)
        rounds = zip(self.target.samples, self.floor.samples, self.startup.samples, strict=True)
        return statistics.median((t.seconds - s.seconds) / f.seconds for t, f, s in rounds)

    @property
    def passed(self) -> bool:
        memory_ok = self.memory_limit_mib is None or self.target.peak_mib <= self.memory_limit_mib
        return self.ratio <= self.limit and memory_ok


def copy_store(source: Path, destination: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(destination) + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, destination)


def run_suite(size: Size) -> tuple[list[Result], dict[str, str]]:
    store = build_store(size)
    email, org = sample_rows(store)
    results: list[Result] = []
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="incidentctl-bench-") as tmp:
        work = Path(tmp)
        floor_app = write_typer_floor(work)
        # Startup: incidentctl's commands against the Typer floor.
        db = ["--db", str(store)]
        cases = [
            ("startup: --help", [INCIDENTCTL, "--help"], [python, str(floor_app), "--help"]),
            (
                "startup: check EMAIL",
                [INCIDENTCTL, *db, "check", email],
                [python, str(floor_app), "cmd0", "x"],
            ),
            (
                "startup: quota ID",
                [INCIDENTCTL, *db, "quota", org],
                [python, str(floor_app), "cmd0", "x"],
            ),
        ]
        for name, target_argv, floor_argv in cases:
            target, floor, _ = interleaved(
                size.startup_runs,
                lambda a=target_argv: measure(a, codes={0, 4}),
                lambda a=floor_argv: measure(a),
            )
            results.append(Result(name, target, floor, "Typer floor", 1.15))

        # TAB after a prefix of an address, as bash asks for it (the script --show-completion
        # prints): at most 100 addresses of the whole store, from the index.
        words = f"incidentctl --db {store} contacts show {email[:2]}"
        completion = {
            "_INCIDENTCTL_COMPLETE": "complete_bash",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - 1),
        }
        target, floor, _ = interleaved(
            size.startup_runs,
            lambda: measure([INCIDENTCTL], env=completion),
            lambda: measure([python, str(floor_app), "cmd0", "x"]),
        )
        results.append(
            Result("completion: contacts show PREFIX<TAB>", target, floor, "Typer floor", 1.25)
        )

        def typer_floor() -> Sample:
            return measure([python, str(floor_app), "cmd0", "x"])

        # recount on the whole store against the sqlite3 shell's GROUP BY.
        recount_store = work / "recount.db"
        copy_store(store, recount_store)
        shell = shutil.which("sqlite3")
        if shell is None:
            raise SystemExit("the query floor needs the sqlite3 shell (apt install sqlite3)")
        target, floor, startup = interleaved(
            size.runs,
            lambda: measure(
                [
                    INCIDENTCTL,
                    "--db",
                    str(recount_store),
                    "--now",
                    "2026-11-27T04:15",
                    "recount",
                    "--force",
                    "--quiet",
                ]
            ),
            lambda: measure([shell, str(recount_store), QUERY_FLOOR_SQL]),
            startup=typer_floor,
        )
        results.append(Result("recount", target, floor, "query floor", 2.0, startup))

        # contacts list --csv / --json against sqlite3 + csv.writer.
        export = work / "export_floor.py"
        export.write_text(EXPORT_FLOOR)
        for fmt in ("--csv", "--json"):
            target, floor, startup = interleaved(
                size.runs,
                lambda f=fmt: measure([INCIDENTCTL, *db, "contacts", "list", f]),
                lambda: measure([python, str(export), str(store)]),
                startup=typer_floor,
            )
            results.append(
                Result(f"contacts list {fmt}", target, floor, "export floor", 2.0, startup, 100)
            )

        results.extend(human_listing_cases(size, store, typer_floor))

        # grant --file of N contacts (quota raised) against executemany of the same rows.
        writer = work / "write_floor.py"
        writer.write_text(WRITE_FLOOR)
        grant_store = work / "grant.db"
        base = work / "grant-base.db"
        copy_store(store, base)
        conn = sqlite3.connect(base)
        # Everyone may be granted: quotas raised, inactive contacts reactivated.
        conn.execute(
            "UPDATE organisations SET quota_override = 10000000, "
            "quota_override_reason = 'benchmark'"
        )
        conn.execute("UPDATE contacts SET active = 1 WHERE active = 0")
        conn.commit()
        emails = [e for (e,) in conn.execute("SELECT email FROM contacts")]
        conn.close()
        for count in size.grants:
            chosen = emails if count >= len(emails) else random.Random(count).sample(emails, count)
            listing = work / f"grant-{count}.txt"
            listing.write_text("\n".join(chosen) + "\n")
            target, floor, startup = interleaved(
                size.grant_runs,
                lambda f=listing: measure(
                    [
                        INCIDENTCTL,
                        "--db",
                        str(grant_store),
                        "--now",
                        "2026-11-27T10:00",
                        "grant",
                        "submitter",
                        "--file",
                        str(f),
                    ]
                ),
                lambda f=listing: measure([python, str(writer), str(grant_store), str(f)]),
                prepare=lambda: copy_store(base, grant_store),
                startup=typer_floor,
            )
            label = f"grant --file {_count(count)} contacts"
            limit_mib = 300 if count >= 1_000_000 else None
            results.append(Result(label, target, floor, "write floor", 3.0, startup, limit_mib))
            if count == max(size.grants):
                check_after_bulk = grant_store
        # check and quota stay index answers after a bulk grant of every contact.
        for name, argv in (
            (
                "startup after bulk grant: check EMAIL",
                [INCIDENTCTL, "--db", str(check_after_bulk), "check", email],
            ),
            (
                "startup after bulk grant: quota ID",
                [INCIDENTCTL, "--db", str(check_after_bulk), "quota", org],
            ),
        ):
            target, floor, _ = interleaved(
                size.startup_runs,
                lambda a=argv: measure(a, codes={0, 4}),
                lambda: measure([python, str(floor_app), "cmd0", "x"]),
            )
            results.append(Result(name, target, floor, "Typer floor", 1.15))
    return results, _versions(store)


TABLE_WIDTHS = (80, 120)
"""Terminal widths of the table cases: at 80 columns the contacts of the benchmark store are
shown as records, at 120 as a table whose later, longer addresses wrap: the two slow paths."""

FIRST_SCREEN_LINES = 24


def terminal_env(width: int) -> dict[str, str]:
    """The environment of a command that must draw its terminal form although its stdout
    is not a terminal: INCIDENTCTL_FORCE_TTY (docs/concepts.md, "Output")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTCTL_")}
    env["INCIDENTCTL_FORCE_TTY"] = str(width)
    env.pop("NO_COLOR", None)
    env["TERM"] = "xterm-256color"
    return env


def first_screen(argv: Sequence[str], env: dict[str, str]) -> Sample:
    """The time until a screenful of lines has arrived on stdout (then the command is
    stopped): what a person waits for before the pager shows something."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert child.stdout is not None
    for _ in range(FIRST_SCREEN_LINES):
        if not child.stdout.readline():
            break
    elapsed = time.perf_counter() - started
    child.kill()
    child.wait()
    child.stdout.close()
    return Sample(elapsed, 0.0)


def human_listing_cases(size: Size, store: Path, typer_floor: Callable[[], Sample]) -> list[Result]:
    """``contacts list`` and ``log`` drawn for a terminal: every row through the
    table renderer, against ``--csv`` of the same command in the same rounds (≤ 3×, ≤ 100 MiB),
    and the time to the first screen (≤ 0.5 s). The terminal form is forced with
    INCIDENTCTL_FORCE_TTY, the pager left out (--no-pager): what is measured is the renderer,
    not the speed at which a terminal or less can take text."""
    results: list[Result] = []
    db = ["--db", str(store), "--no-pager"]
    listings = {
        "contacts list": ["contacts", "list"],
        "log --all": ["log", "--all"],
    }
    for name, args in listings.items():
        widths = TABLE_WIDTHS if name == "contacts list" else TABLE_WIDTHS[-1:]
        for width in widths:
            env = terminal_env(width)
            target, floor, _ = interleaved(
                size.runs,
                lambda a=args, e=env: measure([INCIDENTCTL, *db, *a], env=e),
                lambda a=args: measure(
                    [INCIDENTCTL, *db, *(a[:-1] if a[-1] == "--all" else a), "--csv"]
                ),
            )
            results.append(
                Result(
                    f"{name}, table at {width} columns",
                    target,
                    floor,
                    f"{name.split(' --')[0]} --csv",
                    3.0,
                    None,
                    100,
                )
            )
        env = terminal_env(TABLE_WIDTHS[-1])
        target, floor, _ = interleaved(
            size.startup_runs,
            lambda a=args, e=env: first_screen([INCIDENTCTL, *db, *a], e),
            typer_floor,
        )
        results.append(
            Result(f"{name}: first screen", target, floor, "Typer floor", 0.5, absolute=True)
        )
    return results


def _versions(store: Path) -> dict[str, str]:
    from importlib.metadata import version

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, {memory} RAM",
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "incidentctl": version("incidentctl"),
        "typer": version("typer"),
        "rich": version("rich"),
        "sqlite-utils": version("sqlite-utils"),
        "store": f"{store.name}, {store.stat().st_size / 1024 / 1024:.0f} MiB",
    }


# --- reporting ------------------------------------------------------------------------


def table(results: list[Result]) -> list[str]:
    rows = [
        "| case | incidentctl median (min–max) s | floor | floor median (min–max) s | "
        "ratio | target | peak MiB | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        note = " ¹" if r.startup is not None else ""
        memory = f"{r.target.peak_mib:.0f}" + (
            f" (≤ {r.memory_limit_mib:.0f})" if r.memory_limit_mib else ""
        )
        ratio, limit = f"{r.ratio:.2f}{note}", f"≤ {r.limit:g}×"
        if r.absolute:
            ratio, limit = "–", f"≤ {r.limit:g} s"
            memory = "–"
        rows.append(
            f"| {r.case} | {r.target.median:.3f} ({r.target.spread}) | {r.floor_name} | "
            f"{r.floor.median:.3f} ({r.floor.spread}) | {ratio} | "
            f"{limit} | {memory} | {'PASS' if r.passed else 'FAIL'} |"
        )
    return rows


def _count(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="400k contacts, about a minute")
    parser.add_argument("--write", action="store_true", help="write docs/performance.md")
    args = parser.parse_args()
    start_spawner()
    size = QUICK if args.quick else FULL
    results, versions = run_suite(size)
    rows = table(results)
    print("\n".join(rows))
    passed = all(r.passed for r in results)
    print("\nall targets PASS" if passed else "\nsome targets FAIL")
    if args.write or not args.quick:
        _write_report(size, results, versions, rows)
    return 0 if passed else 1


def _write_report(
    size: Size, results: list[Result], versions: dict[str, str], rows: list[str]
) -> None:
    text = REPORT.read_text() if REPORT.exists() else ""
    marker_start, marker_end = "<!-- results:start -->", "<!-- results:end -->"
    block = [
        marker_start,
        f"Run of `python benchmarks/run.py{' --quick' if size is QUICK else ''}` "
        f"({_count(size.contacts)} contacts in {_count(size.orgs)} organisations) "
        f"on {versions['date']}.",
        "",
        *(f"- {key}: {value}" for key, value in versions.items() if key != "date"),
        "",
        *rows,
        "",
        "Ratios are medians over the interleaved rounds. ¹ (incidentctl − Typer floor) / floor,"
        " with the Typer floor run in the same round: the start-up every command pays is taken"
        " out.",
        marker_end,
    ]
    if marker_start in text and marker_end in text:
        head, rest = text.split(marker_start, 1)
        _, tail = rest.split(marker_end, 1)
        text = head + "\n".join(block) + tail
    else:
        text = text + ("\n" if text else "") + "\n".join(block) + "\n"
    REPORT.write_text(text)
    print(f"wrote {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
