"""docs/cron.md (issue 5): its crontab lines and systemd units stay well-formed, pass --db
explicitly and run at 04:15, outside the daylight-saving hour."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
from pathlib import Path

import pytest

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
