"""docs/cron.md: its crontab lines and systemd units stay well-formed, pass
--db explicitly and run at 04:15, outside the daylight-saving hour; and they work as written
when run as cron runs them (``env -i PATH=/usr/bin:/bin HOME=… SHELL=/bin/sh``, the installed
incidentctl by its full path): silent on a quiet night, the report when something needs
attention, loud on a mistyped store path or a store without organisations."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ENV_VARS, Cli
from reliability_support import require_installed

CRON_MD = Path(__file__).resolve().parent.parent / "docs" / "cron.md"
PROGRAM = "/opt/incidentctl/bin/incidentctl"


def _text() -> str:
    return CRON_MD.read_text(encoding="utf-8")


def crontab() -> str:
    return "".join(re.findall(r"```crontab\n(.*?)```", _text(), re.DOTALL))


def units() -> dict[str, str]:
    """The systemd units of the page by file name."""
    return dict(
        re.findall(r"`(incidentctl-recount\.\w+)`:\n\n```ini\n(.*?)```", _text(), re.DOTALL)
    )


def _unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string(text)
    return parser


def test_the_crontab_jobs_run_at_04_15_with_an_explicit_store() -> None:
    jobs = [
        line.split(None, 5)
        for line in crontab().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]
    assert jobs
    for minute, hour, day, month, weekday, command in jobs:
        assert (minute, hour, day, month, weekday) == ("15", "4", "*", "*", "*")
        assert command.startswith(f"{PROGRAM} --db /")
        assert " recount" in command
        assert "%" not in command  # cron would turn it into a newline
    assert "recount --quiet" in jobs[0][5]


def test_the_systemd_timer_and_service() -> None:
    found = units()
    assert set(found) == {"incidentctl-recount.service", "incidentctl-recount.timer"}
    timer = _unit(found["incidentctl-recount.timer"])
    assert timer["Timer"]["OnCalendar"] == "*-*-* 04:15:00"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    service = _unit(found["incidentctl-recount.service"])
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].startswith(f"{PROGRAM} --db /")
    assert service["Service"]["ExecStart"].endswith(" recount --quiet")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    paths = []
    for name, text in units().items():
        path = tmp_path / name
        # verify wants ExecStart to exist: any executable will do for the syntax.
        path.write_text(text.replace(PROGRAM, "/bin/true"), encoding="utf-8")
        paths.append(str(path))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *paths],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "incidentctl-recount" not in result.stderr, result.stderr


@pytest.mark.skipif(shutil.which("crontab") is None, reason="needs cron's crontab")
def test_cron_accepts_the_crontab(tmp_path: Path) -> None:
    path = tmp_path / "recount.cron"
    path.write_text(crontab(), encoding="utf-8")
    help_text = subprocess.run(["crontab", "-h"], capture_output=True, text=True, check=False)
    if "dry run" not in help_text.stdout + help_text.stderr:  # Debian's cron has -n for it
        pytest.skip("this crontab has no dry run")
    result = subprocess.run(
        ["crontab", "-n", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr


# --- the documented lines, run as cron runs them --------------------------------------------

STORE = "/var/lib/incidentctl/incidentctl.db"
JSON_LOG = "/var/log/incidentctl/recount.jsonl"


def jobs() -> list[str]:
    """The command of every crontab line of the page, as cron hands it to /bin/sh."""
    return [
        line.split(None, 5)[5]
        for line in crontab().splitlines()
        if line.strip() and not line.startswith("#") and "=" not in line.split()[0]
    ]


def cron_variables() -> dict[str, str]:
    """The NAME=value lines of the page's crontab (cron puts them in the job's environment)."""
    lines = [line for line in crontab().splitlines() if re.match(r"\w+=", line)]
    return dict(line.split("=", 1) for line in lines)


class CronJob:
    """Runs a documented command line as cron would: ``env -i`` with cron's few variables,
    through ``/bin/sh -c``, with the installed incidentctl and a test store put in place of
    the page's example paths."""

    def __init__(self, tmp_path: Path) -> None:
        self.program = str(require_installed().absolute())
        self.home = tmp_path / "cron-home"
        self.home.mkdir()
        self.store = tmp_path / "var" / "incidentctl.db"
        self.json_log = tmp_path / "log" / "recount.jsonl"
        self.json_log.parent.mkdir()

    def command(self, documented: str, store: Path | None = None) -> str:
        return (
            documented.replace(PROGRAM, self.program)
            .replace(STORE, str(store or self.store))
            .replace(JSON_LOG, str(self.json_log))
        )

    def __call__(
        self, documented: str, store: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        cron_env = [
            "PATH=/usr/bin:/bin",
            f"HOME={self.home}",
            "SHELL=/bin/sh",
            *(f"{name}={value}" for name, value in cron_variables().items()),
        ]
        return subprocess.run(
            ["/usr/bin/env", "-i", *cron_env, "/bin/sh", "-c", self.command(documented, store)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )


@pytest.fixture
def cron(tmp_path: Path) -> CronJob:
    return CronJob(tmp_path)


def _store(cron: CronJob, *commands: tuple[str, ...]) -> None:
    env: dict[str, str | None] = dict.fromkeys(ENV_VARS)
    env["INCIDENTCTL_DB"] = str(cron.store)
    runner = Cli()
    for command in (("init",), *commands):
        runner.ok(*command, env=env)


HEALTHY = (
    ("org", "add", "1001", "--name", "Acme", "--employees", "30"),
    ("contacts", "add", "admin@acme.nl", "--org", "1001", "--name", "Ada", "--portal-admin"),
    ("--now", "-1h", "grant", "submitter", "admin@acme.nl"),
)


def test_the_quiet_job_says_nothing_on_a_quiet_night(cron: CronJob) -> None:
    _store(cron, *HEALTHY)
    for _ in range(2):  # the second run finds the date published: silent too
        done = cron(jobs()[0])
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_the_quiet_job_prints_the_report_when_something_needs_attention(cron: CronJob) -> None:
    _store(cron, *HEALTHY, ("org", "add", "1002", "--name", "Nobody B.V.", "--employees", "3"))
    done = cron(jobs()[0])
    assert done.returncode == 0, done.stderr
    assert "Without an active portal admin (1): 1002" in done.stdout
    assert done.stderr == ""


def test_a_mistyped_store_path_fails_loudly_and_creates_nothing(
    cron: CronJob, tmp_path: Path
) -> None:
    _store(cron, *HEALTHY)
    typo = tmp_path / "var" / "incidnetctl.db"
    done = cron(jobs()[0], store=typo)
    assert done.returncode == 6
    error, hint = done.stderr.splitlines()
    assert error == f"Error: no store at {typo}"
    assert hint.startswith("Hint: check the path")
    assert "init" not in done.stderr
    assert not typo.exists()


def test_a_store_without_organisations_is_mailed_a_warning(cron: CronJob) -> None:
    _store(cron)
    for job in jobs():  # the --quiet job and the --json job alike
        done = cron(job)
        assert done.returncode == 0
        (warning,) = done.stderr.splitlines()
        assert warning.startswith(f"Warning: the store at {cron.store} has no organisations")
        assert done.stdout == ""


def test_the_json_job_appends_one_document_per_run(cron: CronJob) -> None:
    import json

    _store(cron, *HEALTHY)
    (job,) = [job for job in jobs() if "--json" in job]
    for _ in range(2):
        done = cron(job)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    text = cron.json_log.read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    documents, position = [], 0
    while position < len(text.rstrip()):
        document, position = decoder.raw_decode(text, position)
        documents.append(document)
        while position < len(text) and text[position].isspace():
            position += 1
    assert [d["status"] for d in documents] == ["done", "skipped"]


def test_the_systemd_service_runs_in_a_bare_environment(cron: CronJob) -> None:
    _store(cron, *HEALTHY)
    command = _unit(units()["incidentctl-recount.service"])["Service"]["ExecStart"]
    done = cron(command)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
