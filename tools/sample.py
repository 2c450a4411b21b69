"""Write the synthetic sample registers (deterministic): `make sample`, or from the project's folder
`.venv/bin/python -m tools.sample --out data --as-of 2026-11-26`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from .errors import errors_to_exit_codes
from .synth import write_sample

app = typer.Typer(add_completion=False)


def _as_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date of the form YYYY-MM-DD", param_hint="--as-of") from None


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Folder for the sample registers.")] = Path("data"),
    as_of: Annotated[str, typer.Option(help="The run date the sample is made for.")] = "2026-11-26",
) -> None:
    """Write the synthetic town's registers (deterministic) for demonstrations and tests."""
    day = _as_date(as_of)
    with errors_to_exit_codes():
        for path in write_sample(out, day):
            typer.echo(f"wrote {path}")


if __name__ == "__main__":
    app()
