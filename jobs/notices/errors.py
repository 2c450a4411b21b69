"""The one error base class, and its named kinds. cli.py maps them to exit codes."""

from __future__ import annotations


class NoticesError(Exception):
    """Base of every error the program reports to an operator."""

    exit_code = 10


class ConfigError(NoticesError):
    """The municipality's configuration is missing, unreadable or wrong."""

    exit_code = 3


class RegisterError(NoticesError):
    """The register file cannot be read at all (as opposed to a bad row)."""

    exit_code = 4


class LockedError(NoticesError):
    """Another run holds the ledger's lock."""

    exit_code = 5


class OutputError(NoticesError):
    """The hand-off folder could not be written (full disk, permissions)."""

    exit_code = 6


class FontError(NoticesError):
    """A font the letters need is not installed."""

    exit_code = 7


class RenderError(NoticesError):
    """A letter could not be laid out on its pages (a template or data problem)."""

    exit_code = 9


class PreflightError(NoticesError):
    """A lot fails the preflight (delivery/preflight.py): the vendor's machines would not take it as it is."""

    exit_code = 15


class NotFoundError(NoticesError):
    """What the operator asked for is not there: a ledger, a resident, a file."""

    exit_code = 11


class LedgerError(NoticesError):
    """The ledger is unreadable or of a newer schema than this program."""

    exit_code = 8


class InputError(NoticesError):
    """An input file other than the register cannot be read as what it should be."""

    exit_code = 4


class InvalidIdError(NoticesError):
    """An ID typed by an operator is not valid (an application ID whose check digit does not match)."""

    exit_code = 1


class RefusedError(NoticesError):
    """What was asked would undo something the vendor has confirmed (a recall of an acknowledged folder)."""

    exit_code = 14
