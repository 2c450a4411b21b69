"""How pyarrow and numpy take memory while a whole register is read and sorted: what costs the kernel least.

Both hand whole columns about, hundreds of megabytes. pyarrow's default allocator, mimalloc, gives
memory back and takes it again eagerly, and numpy asks the kernel for huge pages on large arrays; on
the 2-core benchmark machine (a virtual one) the kernel's work on those pages cost more than the
reading and sorting themselves. So, for the while: jemalloc for pyarrow (each buffer goes back to the
allocator it came from, so the default may return after), and plain pages for numpy.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Iterator

import pyarrow as pa

try:
    from numpy._core.multiarray import _set_madvise_hugepage
except ImportError:  # another numpy: leave it is
    _set_madvise_hugepage = None
try:
    _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc
    _malloc_trim = None


@contextlib.contextmanager
def bulk_memory() -> Iterator[None]:
    """jemalloc (else the C library's malloc) for pyarrow, no huge pages for numpy, until the block ends."""
    previous = pa.default_memory_pool()
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        pool = pa.system_memory_pool()
    pa.set_memory_pool(pool)
    huge_pages = _set_madvise_hugepage(False) if _set_madvise_hugepage else None
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
        pool.release_unused()  # what the block let go of goes back to the kernel now, not while the next one grows
        if _malloc_trim is not None:  # and what numpy and Python let go of, in every thread's arena (glibc keeps it)
            _malloc_trim(0)
        if _set_madvise_hugepage and huge_pages is not None:
            _set_madvise_hugepage(huge_pages)

