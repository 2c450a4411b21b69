"""Layouts kept on disk: what the fast path lays out (a letter's background, a paragraph with a date), shared by
a run's workers and kept from one night to the next, beside the ledger (`var/layouts/`).

A night lays out the same shapes of letter as the night before (the letter's date is a drawn value, like the
residents'; slots.py) and nearly the same paragraphs (its dates shift by a day). What is kept is addressed by
its content (the HTML laid out) together with a fingerprint of everything else that decides a layout: the
templates' files, the fonts fontconfig can give (each file's size and time), fontconfig's own configuration,
the code that reads a layout (this package's letters/) and the versions of WeasyPrint, Pango, HarfBuzz and
their libraries. Change any of them and nothing kept before is found: a stale layout would be a wrong letter.
Each entry carries the SHA-256 of its data, checked as it is read (a torn or damaged file is a miss, and
removed); entries are written atomically, 0600 in a 0700 folder, and those not used for PRUNE_DAYS are removed.
They hold no resident's value: a background has empty slots, a paragraph the dates of a letter, and a layout is
written only once two pieces have needed it (a template that prints a name outside its slot makes a background a
resident: never written). The shapes of box values (values.py) are learnt from a resident's values: not kept.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_MAGIC = b"notices-layout 1\n"
PRUNE_DAYS = 60  # a layout not used for two months (a season's shapes come back within a year: laid out again)
_FONT_DIRS = ("/etc/fonts",)  # fontconfig's configuration (the font files themselves: fc-list)
_PACKAGES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools", "uharfbuzz", "pillow")


class Layouts:
    """A folder of kept layouts (FOLDER None: nothing kept), under FINGERPRINT."""

    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        """Entries are found only under the FINGERPRINT they were kept with."""
        self.folder, self.fingerprint = folder, fingerprint
        self.found = self.kept = 0  # entries read and written by this process
        self._first: dict[tuple[str, str], str] = {}  # the first piece that needed each layout
        self._done: set[tuple[str, str]] = set()  # the layouts found or written

    def _path(self, kind: str, key: str) -> Path:
        assert self.folder is not None
        name = hashlib.sha256(f"{self.fingerprint}\0{kind}\0{key}".encode("utf-8")).hexdigest()
        return self.folder / name[:2] / name[2:]

    def get(self, kind: str, key: str) -> bytes | None:
        """The data kept for KEY of KIND, or None (never kept, kept under another fingerprint, or damaged)."""
        if self.folder is None:
            return None
        path = self._path(kind, key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        head, _, data = raw[len(_MAGIC):].partition(b"\n")
        if not raw.startswith(_MAGIC) or head.decode("ascii", "replace") != hashlib.sha256(data).hexdigest():
            path.unlink(missing_ok=True)  # torn or damaged: laid out again
            return None
        try:
            os.utime(path)  # used: kept from pruning
        except OSError:
            pass
        self.found += 1
        self._done.add((kind, key))
        return data

    def offer(self, kind: str, key: str, piece: str, data: Callable[[], bytes]) -> None:
        """PIECE needs the layout KEY of KIND (its DATA made when asked): kept once a second piece has needed it,
        so that no layout of one resident's own (a name a template left outside its slot) is ever written down."""
        if self.folder is None or (kind, key) in self._done or self._first.setdefault((kind, key), piece) == piece:
            return
        self._done.add((kind, key))
        self.put(kind, key, data())

    def put(self, kind: str, key: str, data: bytes) -> None:
        """Keep DATA for KEY of KIND (atomically; a folder that cannot be written only keeps nothing)."""
        if self.folder is None:
            return
        path = self._path(kind, key)
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(data).hexdigest().encode("ascii") + b"\n" + data)
            os.replace(temporary, path)
        except OSError:
            return
        self.kept += 1


def prune(folder: Path, days: int = PRUNE_DAYS, now: float | None = None) -> int:
    """Remove the entries of FOLDER not used for DAYS, and the temporary files a crash left a day ago: how many."""
    now = time.time() if now is None else now
    removed = 0
    for entry in folder.glob("*/*") if folder.is_dir() else ():
        try:
            used = entry.stat().st_mtime
            if used < now - days * 86400 or (entry.name.startswith(".tmp-") and used < now - 86400):
                entry.unlink()
                removed += 1
        except OSError:
            continue
    return removed


@functools.cache
def fingerprint(templates_dir: Path) -> str:
    """What decides a layout besides the HTML laid out, as a digest (computed once a process)."""
    digest = hashlib.sha256(_MAGIC)
    code = Path(__file__).resolve().parent
    for path in sorted(code.glob("*.py")) + sorted(p for p in templates_dir.rglob("*") if p.is_file()):
        digest.update(f"{path.name}\0{path.stat().st_size}\0".encode("utf-8") + path.read_bytes())
    for package in _PACKAGES:
        try:
            digest.update(f"{package}={importlib.metadata.version(package)}\0".encode("utf-8"))
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package}=none\0".encode("utf-8"))
    from weasyprint.text.ffi import pango  # the workers' (WeasyPrint loads Pango)

    import uharfbuzz

    digest.update(f"pango={pango.pango_version()}\0harfbuzz={uharfbuzz.__version__}\0".encode("utf-8"))
    digest.update(_fonts().encode("utf-8"))
    return digest.hexdigest()


def _fonts() -> str:
    """The fonts fontconfig can give, each file with its size and time, and fontconfig's configuration files."""
    env = "".join(f"{name}={os.environ.get(name, '')}\0" for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT"))
    try:
        listed = subprocess.run(["fc-list", "--format", "%{file}\\n"], capture_output=True, text=True, check=False,
                                timeout=60).stdout.split("\n")  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        listed = ["fc-list failed"]  # then this fingerprint differs from any where fontconfig answered
    files = set(filter(None, listed))
    for folder in _FONT_DIRS:
        files.update(str(p) for p in Path(folder).rglob("*") if p.is_file())
    lines = []
    for name in sorted(files):
        try:
            stat = os.stat(name)
            lines.append(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}")
        except OSError:
            lines.append(f"{name}\0missing")
    return env + "\n".join(lines)
