"""The command line: arguments in, exit codes out (common.errors_to_exit_codes is the one place errors become
exit codes). `notices` is `main`; the commands register themselves on `app` when imported."""

from . import desk, nightly  # noqa: F401  (their commands register on app)
from .common import app, main, today_in_tokyo
from .nightly import _summary_line

__all__ = ["_summary_line", "app", "main", "today_in_tokyo"]
