"""The cron line and the systemd units call the real command with real options and absolute paths."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import typer.main

from notices.cli import app

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def run_options() -> set[str]:
    command = typer.main.get_command(app).commands["run"]  # type: ignore[attr-defined]
    return {opt for param in command.params for opt in param.opts}


def commands() -> list[list[str]]:
    cron = [line for line in (DEPLOY / "notices.cron").read_text().splitlines() if re.match(r"^[0-9*]", line)]
    service = re.search(r"^ExecStart=(.+)$", (DEPLOY / "notices.service").read_text(), re.MULTILINE)
    assert len(cron) == 1 and service
    return [shlex.split(cron[0].split(" notices ", 1)[1].split(">>")[0]), shlex.split(service[1])]


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
