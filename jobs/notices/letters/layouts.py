"""Layouts kept on disk: what the fast path lays out (a letter's background, a paragraph with a date), shared by
a run's workers and kept from one night to the next, beside the ledger (`var/layouts/`).

A night lays out the same shapes of letter as the night before (the letter's date is a drawn value, like the
residents'; slots.py) and nearly the same paragraphs (its dates shift by a day). What is kept is addressed by
its content (the HTML laid out) together with a fingerprint of everything else that decides a layout: the
templates' files, the fonts fontconfig can give (each file's size and time), fontconfig's own configuration,
the code that reads a layout (this package's letters/), the versions of WeasyPrint and the Python libraries
around it, Pango's, and the files of the shared libraries that shape text (HarfBuzz, FreeType, …). Change any
of them and nothing kept before is found: a stale layout would be a wrong letter.
Each entry carries the SHA-256 of its data, checked as it is read (a torn or damaged file is a miss, and
removed); entries are written atomically, 0600 in a 0700 folder, and those not used for PRUNE_DAYS are removed;
an entry, or a folder of it, that is not the user's own or that others may write is not used (what is kept is
drawn into letters, and Jinja's compiled templates, kept here too, are code).
They hold no resident's value: a background has empty slots, a paragraph the dates of a letter, and a layout is
written only once two residents' letters have needed it (a template that prints a name outside its slot makes a
background a resident's: not written, unless two residents of that name are mailed the same shape; the README
asks for every value in a slot). The shapes of box values (values.py), learnt from residents' values, are not
kept. Where fontconfig or the loaded libraries cannot be told (fc-list or /proc failing), nothing is kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.bccache import Bucket

_MAGIC = b"notices-layout 1\n"
_ENTRY = re.compile("[0-9a-f]{64}")  # an entry's folder and name: its SHA-256, cut after two digits
PRUNE_DAYS = 60  # a layout not used for two months (a season's shapes come back within a year: laid out again)
# The libraries that shape and break text, loaded with Pango as WeasyPrint is imported (name up to ".so")
_LAYOUT_LIBRARIES = re.compile(r"lib(pango-1\.0|pangoft2-1\.0|harfbuzz|freetype|fontconfig|fribidi|thai|datrie|graphite2|"
                               r"glib-2\.0)\.so")  # GLib: the characters' line-break classes and scripts Pango uses
_PACKAGES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools", "uharfbuzz", "pillow")


class Layouts:
    """A folder of kept layouts (FOLDER None: nothing kept), under FINGERPRINT."""

    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        """Entries are found only under the FINGERPRINT they were kept with."""
        self.folder, self.fingerprint = folder, fingerprint
        self.found = self.kept = 0  # entries read and written by this process
        self._first: dict[tuple[str, str], str] = {}  # the first resident who needed each layout
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
        raw = self._read_own(path)
        if raw is None:
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

    def _read_own(self, path: Path) -> bytes | None:
        """The entry at PATH if it and its folders are this user's and writable by no one else (what is kept is drawn
        into letters, and compiled templates are code: an entry another could have written is not used); the file is
        checked as opened (not followed if a link), so that nothing put in its place after the check is read."""
        assert self.folder is not None
        try:
            if not all(_own(os.stat(place)) for place in (path.parent, self.folder)):
                return None
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        try:
            with os.fdopen(handle, "rb") as entry:
                return entry.read() if _own(os.fstat(entry.fileno())) else None
        except OSError:
            return None

    def offer(self, kind: str, key: str, resident: str, data: Callable[[], bytes]) -> None:
        """RESIDENT's letter needs the layout KEY of KIND (its DATA made when asked): kept once a second resident's
        has, so that no layout of one resident's own (a name a template left outside its slot) is written down,
        however many nights the same process renders."""
        if self.folder is None or (kind, key) in self._done or self._first.setdefault((kind, key), resident) == resident:
            return
        self._done.add((kind, key))
        self.put(kind, key, data())

    def put(self, kind: str, key: str, data: bytes) -> None:
        """Keep DATA for KEY of KIND (atomically; a folder that cannot be written only keeps nothing)."""
        if self.folder is None:
            return
        path = self._path(kind, key)
        temporary = None
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.parent.mkdir(mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as out:
                out.write(_MAGIC + hashlib.sha256(data).hexdigest().encode("ascii") + b"\n" + data)
            os.replace(temporary, path)
        except OSError:  # a full disk, a folder not ours: nothing kept, nothing half-written left
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            return
        self.kept += 1


class Compiled(jinja2.BytecodeCache):
    """Jinja's compiled templates kept among the layouts of FOLDER (None: nothing kept), so that a worker or the run's
    report compiles each template once, not each night (0.1 to 0.2 s a process). Found by the template's name and
    source and by what else ENV's code depends on (below); loaded as code only from entries and folders of the
    run's user alone (Layouts.get: 0700 folders, 0600 entries, no one else's)."""

    def __init__(self, folder: Path | None, env: jinja2.Environment) -> None:
        autoescape = getattr(env.autoescape, "__qualname__", env.autoescape)  # a function: by its name, not address
        # What compiled code depends on besides the source: Jinja's and Python's versions (Jinja's own check is only
        # its bytecode format and Python's major.minor), the settings, which filters and tests exist and what they
        # are passed (a filter made @pass_context is called otherwise), and this package's code (Jinja's optimiser
        # runs filters on constants as it compiles: `{{ "layout"|review_label }}` is compiled to its label).
        passed = [(kind, name, str(getattr(function, "jinja_pass_arg", ""))) for kind, functions in
                  (("filter", env.filters), ("test", env.tests)) for name, function in sorted(functions.items())]  # fmt: skip
        settings = (_package_code(), jinja2.__version__, sys.implementation.cache_tag, sorted(env.extensions), autoescape,
                    env.trim_blocks, env.lstrip_blocks, env.keep_trailing_newline, env.newline_sequence,
                    env.block_start_string, env.block_end_string, env.variable_start_string, env.variable_end_string,
                    env.comment_start_string, env.comment_end_string, env.line_statement_prefix,
                    env.line_comment_prefix, env.optimized, env.is_async, passed)  # fmt: skip
        self._kept = Layouts(folder, hashlib.sha256(f"compiled\0{settings!r}".encode("utf-8")).hexdigest())

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill BUCKET with its template's code, if kept."""
        data = self._kept.get("template", f"{bucket.key}\0{bucket.checksum}")
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep BUCKET's newly compiled code."""
        self._kept.put("template", f"{bucket.key}\0{bucket.checksum}", bucket.bytecode_to_string())


@functools.cache
def _package_code() -> str:
    """A digest of this package's Python files (read once a process: some 100 files, a few ms)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    _add_files(digest, package, package.rglob("*.py"))
    return digest.hexdigest()


def _add_files(digest: Any, folder: Path, paths: Iterable[Path]) -> None:
    """Add each file of PATHS (in FOLDER) to DIGEST, by its name in FOLDER, its size and its bytes, in name order."""
    for path in sorted(p for p in paths if p.is_file()):
        digest.update(f"{path.relative_to(folder)}\0{path.stat().st_size}\0".encode("utf-8") + path.read_bytes())


def _own(found: os.stat_result) -> bool:
    return found.st_uid == os.geteuid() and not found.st_mode & 0o022


def prune(folder: Path, days: int = PRUNE_DAYS, now: float | None = None) -> int:
    """Remove the entries of FOLDER not used for DAYS, and the temporary files a crash left a day ago: how many."""
    if not folder.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    with contextlib.suppress(OSError):  # not ours to change: its entries are 0600 all the same
        folder.chmod(0o700)  # its entries' names say which shapes of letter a town mails
    for entry in folder.glob("*/*"):
        if not (_ENTRY.fullmatch(entry.parent.name + entry.name) or entry.name.startswith(".tmp-")):
            continue  # not ours
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
    """What decides a layout besides the HTML laid out, as a digest (computed once a process); "" when the fonts or
    the libraries cannot be told (then nothing is kept)."""
    digest = hashlib.sha256(_MAGIC)
    code = Path(__file__).resolve().parent
    _add_files(digest, code, code.glob("*.py"))
    _add_files(digest, templates_dir, templates_dir.rglob("*"))
    for package in _PACKAGES:
        try:
            digest.update(f"{package}={importlib.metadata.version(package)}\0".encode("utf-8"))
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{package}=none\0".encode("utf-8"))
    from weasyprint.text.ffi import pango  # the workers' (WeasyPrint loads Pango and the libraries below)

    libraries, fonts = _libraries(), _font_files()
    if libraries is None or fonts is None:
        return ""
    digest.update(f"pango={pango.pango_version()}\0".encode("utf-8"))
    digest.update(_stats(libraries + fonts).encode("utf-8"))
    return digest.hexdigest()


def _libraries() -> list[str] | None:
    """The shared libraries this process has loaded that lay out text (Pango, HarfBuzz, FreeType, fontconfig,
    FriBidi, libthai, graphite2, GLib): a distribution's patch keeps their version, not their size and time."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return None
    found = {line.split(None, 5)[5] for line in maps if len(line.split(None, 5)) == 6}
    return sorted(path for path in found if _LAYOUT_LIBRARIES.match(Path(path).name))


def _font_files() -> list[str] | None:
    """The fonts fontconfig can give and its configuration: the system's, the user's and FONTCONFIG_* files."""
    try:
        done = subprocess.run(["fc-list", "--format", "%{file}\\n"], capture_output=True, text=True, check=False,
                              timeout=60)  # fmt: skip
        listed = [name for name in done.stdout.split("\n") if name] if done.returncode == 0 else []
    except (OSError, subprocess.SubprocessError):
        listed = []
    if not listed:
        return None
    home = Path.home()
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "fontconfig"
    places = [Path("/etc/fonts"), config, home / ".fonts.conf"]
    places += [Path(p) for name in ("FONTCONFIG_FILE", "FONTCONFIG_PATH") for p in os.environ.get(name, "").split(":") if p]
    files = set(listed)
    for place in places:
        files.update(str(p) for p in ([place] if place.is_file() else place.rglob("*") if place.is_dir() else ())
                     if p.is_file())  # fmt: skip
    return sorted(files) + [f"FONTCONFIG_SYSROOT={os.environ.get('FONTCONFIG_SYSROOT', '')}"]


def _stats(names: list[str]) -> str:
    """Each file named with its size and time (a name that is not a file as it is)."""
    lines = []
    for name in names:
        try:
            stat = os.stat(name)
            lines.append(f"{name}\0{stat.st_size}\0{stat.st_mtime_ns}")
        except OSError:
            lines.append(name)
    return "\n".join(lines)
