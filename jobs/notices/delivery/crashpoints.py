"""Named points where the exactly-once tests kill a run, as a power cut or `kill -9` would.

Set NOTICES_CRASH_AT=<point> (or <point>:<n> for the n-th lot) in the environment of a test
run and the process (with its whole process group, workers included, when it leads one) is
killed with SIGKILL on reaching that point. Unset, a crash point does nothing.
"""

from __future__ import annotations

import os
import signal

ENV = "NOTICES_CRASH_AT"
POINTS = ("recovered", "read", "selected", "ids", "lot", "reports", "recorded", "sealing", "sums", "ready",
          "renamed")  # fmt: skip


def crash_point(name: str, number: int | None = None) -> None:
    """Die here, at once and without cleaning up, if the environment asks for this point."""
    wanted = os.environ.get(ENV)
    if not wanted or wanted not in (name, f"{name}:{number}"):
        return
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
