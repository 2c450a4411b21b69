"""`python -m notices` is the `notices` command."""

from .cli import main

main()
