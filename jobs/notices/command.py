"""The `notices` command's entry point, light to import.

A run's worker processes import the command's script again (multiprocessing does so with the main module of the
process that starts them): through this module, what they import is this, not the command line's own modules
(Typer, Rich and every command: some 0.3 s a worker, for nothing).
"""

from __future__ import annotations


def main() -> None:
    """Run the `notices` command (cli.main) with the process's arguments."""
    from .cli import main as command

    command()
