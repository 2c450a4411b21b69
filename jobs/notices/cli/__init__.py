"""The command line: arguments in, exit codes out (common.errors_to_exit_codes is the one place errors become
exit codes). `notices` is `main`; the commands register themselves on `app` when imported, the nightly
ones first, so that `notices --help` lists `run` at the top."""

from . import nightly  # noqa: F401  (its commands register on app)
from . import desk  # noqa: F401
from .common import app, main, today_in_tokyo
from .nightly import _summary_line

__all__ = ["_summary_line", "app", "main", "today_in_tokyo"]
