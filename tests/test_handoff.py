"""The hand-off folder: spreadsheet-safe CSVs, owner-only files, SHA256SUMS and READY last."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from notices.errors import OutputError
from notices.delivery.handoff import RunFolder, csv_bytes, neutralise, verify


@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+81", "'+81"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("山田", "山田"), ("2026-11-26", "2026-11-26"), (3, "3"), (None, ""),
])  # fmt: skip
def test_formulas_are_neutralised(cell: object, expected: str) -> None:
    assert neutralise(cell) == expected


def test_csv_has_a_bom_and_crlf() -> None:
    data = csv_bytes(["a", "b"], [["=1", "x,y"]])
    assert data == "\ufeffa,b\r\n'=1,\"x,y\"\r\n".encode()


def test_sealed_folder(tmp_path: Path) -> None:
    folder = RunFolder(tmp_path / "out" / "2026-11-26_run00001")
    assert folder.path.name.startswith(".building-")
    folder.write("lot-0001.pdf", b"%PDF-1.7 test")
    folder.write_csv("manifest.csv", ["piece_id"], [["1"]])
    assert not folder.final.exists()
    sums = folder.write_sums()
    assert not folder.final.exists() and (folder.path / "SHA256SUMS").read_text() == sums
    final = folder.publish()
    assert folder.renamed
    assert sorted(p.name for p in final.iterdir()) == ["READY", "SHA256SUMS", "lot-0001.pdf", "manifest.csv"]
    assert not folder.path.exists() and verify(final) == []
    assert stat.S_IMODE(final.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in final.iterdir())
    assert (final / "SHA256SUMS").read_text().count("\n") == 2  # every file but itself and READY
    (final / "manifest.csv").write_bytes(b"changed")
    assert verify(final) == ["manifest.csv"]


def test_an_existing_folder_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    with pytest.raises(OutputError, match="already exists"):
        RunFolder(tmp_path / "run")


def test_unwritable_output_is_an_output_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot create the run folder"):
        RunFolder(blocker / "run")
