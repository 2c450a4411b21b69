"""The tools' failures as one line on stderr and an exit code (the package's own mapping is notices.cli's)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from notices.errors import NoticesError
from notices.privacy import mask

EXIT_INTERNAL = 10  # as notices.cli: anything that is not one of the package's own errors


@contextmanager
def errors_to_exit_codes() -> Iterator[None]:
    """A NoticesError exits with its code, Ctrl-C with 130, anything else with 10; the message is masked."""
    try:
        yield
    except NoticesError as exc:
        typer.echo(f"error: {mask(str(exc))}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(130) from None
    except subprocess.CalledProcessError as exc:  # a measurement in its own process failed: show why
        tail = "\n".join(str(exc.stderr or "").strip().splitlines()[-10:])
        typer.echo(f"error: {mask(' '.join(map(str, exc.cmd[1:4])))} exited with {exc.returncode}\n{mask(tail)}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        typer.echo(f"internal error ({type(exc).__name__}): {mask(str(exc))[:200]}", err=True)
        raise typer.Exit(EXIT_INTERNAL) from None
