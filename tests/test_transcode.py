"""CP932 made UTF-8 by the C extension (register/transcode.py): byte for byte what Python's codec makes, in any blocks."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notices.register import transcode
from notices.register.read import read_register


def python(data: bytes) -> bytes | None:
    """Python's codec: the UTF-8 of DATA, or None where it refuses it."""
    try:
        return data.decode("cp932").encode("utf-8")
    except UnicodeDecodeError:
        return None


def extension(data: bytes, sizes: list[int] | None = None) -> bytes | None:
    """The transform in blocks of SIZES (then the rest), as pyarrow's reader asks for them; None where it refuses."""
    stream = pa.TransformInputStream(pa.BufferReader(data), transcode.Utf8From932())
    parts = []
    try:
        for size in sizes or []:
            parts.append(stream.read(size))
        parts.append(stream.read())
    except transcode.NotCp932:
        return None
    return b"".join(parts)


def test_the_extension_is_built() -> None:
    # make setup builds it (gcc, from make system-deps). Without a C compiler the package installs and reads CP932
    # all the same, with Python's codec, but this fails: CI must test the extension the servers run.
    assert transcode.available()


def test_every_byte_and_every_pair_is_what_pythons_codec_makes() -> None:
    singles, pairs = transcode.tables()
    out = bytearray(16)
    for first in range(0x100):
        for data in [bytes([first])] + [bytes([first, second]) for second in range(0x100)]:
            consumed, written, bad = transcode._cp932.transcode(data, out, singles, pairs, True)
            expected = python(data)
            if expected is None:
                assert bad >= 0, data
            else:
                assert (bad, consumed, bytes(out[:written])) == (-1, len(data), expected), data


pieces = st.sampled_from([b"a", b",", b"\\", b"\n", b"\r\n", "山".encode("cp932"), "ソ".encode("cp932"),  # trail 0x5C
                          "表".encode("cp932"), "髙".encode("cp932"), "ｱ".encode("cp932"), "①".encode("cp932"),
                          b"\x80", b"\xa0", b"\xfd", b"\x81", b"\x81\x20", b"\x85\x40", b"\xef\x40", b"\xfc\xfc"])


@settings(max_examples=500, deadline=None)
@given(st.lists(pieces, max_size=60).map(b"".join), st.lists(st.integers(1, 9), max_size=8))
def test_any_text_in_any_blocks_is_what_pythons_codec_makes(data: bytes, sizes: list[int]) -> None:
    assert extension(data, sizes) == python(data)


def test_a_refused_byte_is_told_by_its_offset_only() -> None:
    data = "山田 太郎,".encode("cp932") + b"\x81\x20" + "東京都".encode("cp932")
    stream = pa.TransformInputStream(pa.BufferReader(data), transcode.Utf8From932())
    with pytest.raises(transcode.NotCp932) as raised:  # a ValueError: read_plain leaves the lines to csvfile
        stream.read(7)
        stream.read()
    assert str(raised.value) == "not cp932: a byte at offset 10 of the register's body"


def test_a_cp932_register_reads_the_same_without_the_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(__file__).parents[1] / "data" / "register-cp932.csv"  # the bundled sample, rows of every kind
    blocks: list[int] = []
    made = transcode.Utf8From932.__call__
    monkeypatch.setattr(transcode.Utf8From932, "__call__", lambda self, block: blocks.append(len(block)) or made(self, block))
    fast = read_register(path)
    assert blocks and blocks[-1] == 0  # read through the extension, to the end
    monkeypatch.setattr(transcode, "_cp932", None)
    codec = read_register(path)
    assert (fast.encoding, fast.rows_read, fast.bulk_rows) == ("cp932", 300, codec.bulk_rows) and fast.bulk_rows > 250
    assert (fast.rejects, fast.residents, fast.quality, fast.protected_households) == \
        (codec.rejects, codec.residents, codec.quality, codec.protected_households)  # fmt: skip
