"""The cron line and the systemd units call the real command with real options and absolute paths."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer.main

from notices.cli import app

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def run_options(name: str = "run") -> set[str]:
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts}


def cron_lines() -> list[list[str]]:
    cron = [line for line in (DEPLOY / "notices.cron").read_text().splitlines() if re.match(r"^[0-9*]", line)]
    return [shlex.split(line.split(" notices ", 1)[1].split(">>")[0]) for line in cron]


def commands() -> list[list[str]]:
    runs = [argv for argv in cron_lines() if argv[1] == "run"]
    service = re.search(r"^ExecStart=(.+)$", (DEPLOY / "notices.service").read_text(), re.MULTILINE)
    assert len(runs) == 1 and service
    return [runs[0], shlex.split(service[1])]


def test_deployed_commands_use_real_options_and_absolute_paths() -> None:
    known = run_options()
    for argv in commands():
        assert argv[0] == "/opt/notices/.venv/bin/notices" and argv[1] == "run"
        options = [a for a in argv[2:] if a.startswith("--")]
        assert set(options) <= known and "--register" in options and "--ledger" in options
        assert "--as-of" not in options  # the run date is today in Asia/Tokyo
        values = [b for a, b in zip(argv[2:], argv[3:]) if a in ("--register", "--out", "--ledger", "--config")]
        assert values and all(v.startswith("/") for v in values)


def test_the_timer_runs_nightly_in_tokyo_time() -> None:
    timer = (DEPLOY / "notices.timer").read_text()
    assert "OnCalendar=*-*-* 02:30:00 Asia/Tokyo" in timer and "Persistent=true" in timer


def test_the_monitoring_line_checks_the_acknowledgements_of_the_same_ledger() -> None:
    (check,) = [argv for argv in cron_lines() if argv[1] == "status"]
    assert check[0] == "/opt/notices/.venv/bin/notices" and "--check" in check
    assert {a for a in check[2:] if a.startswith("--")} <= run_options("status")
    ledger = [b for a, b in zip(check, check[1:]) if a == "--ledger"]
    assert ledger == [b for a, b in zip(commands()[0], commands()[0][1:]) if a == "--ledger"]
