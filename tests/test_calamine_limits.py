"""The calamine fallback (used when the C scanner is not built) keeps the scanner's limits: a
cell beyond XFD, a row number past Excel's last, a huge cell, row or attribute, a zip bomb are
refused in the same one line, exit 2, store unchanged, before calamine parses a sheet whole."""

from __future__ import annotations

import importlib.util
import random
import sys
import zipfile
from pathlib import Path

import pytest

import detainerwatch.sources
import detainerwatch.sources.readers
from conftest import ROOT, run

_spec = importlib.util.spec_from_file_location("damage", ROOT / "scripts" / "damage.py")
damage = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(damage)

CASES = [
    "ref-beyond-XFD",
    "ref-four-letters",
    "ref-twenty-letters",
    "row-number-past-last",
    "row-number-huge",
    "huge-cell",
    "huge-row",
    "huge-attribute",
    "zip-bomb-sheet",
    "zip-bomb-rows",
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("damaged")
    damage.make(folder, seed=10)
    found = {}
    for path in folder.glob("*.xlsx"):
        label = path.stem.split("-", 1)[-1]
        if label in CASES:
            found[label] = path
    assert set(found) == set(CASES)
    return found


def _ingest(tmp_path: Path, path: Path, fallback: bool, monkeypatch) -> tuple[int, str, Path]:
    db = tmp_path / f"{path.stem}-{fallback}.duckdb"
    with monkeypatch.context() as m:
        if fallback:  # as on a machine where the C extension was not compiled
            m.setitem(sys.modules, "detainerwatch.sources.xlsx_stream", None)
            m.delattr(detainerwatch.sources, "xlsx_stream", raising=False)
            m.setattr(
                detainerwatch.sources.readers,
                "read_xlsx_calamine",
                _spy(detainerwatch.sources.readers.read_xlsx_calamine),
            )
        result = run(db, "ingest", path)
    if fallback:
        assert calls, "the calamine fallback was not used"
        calls.clear()
    return result.exit_code, result.output.strip(), db


calls: list[Path] = []


def _spy(read):
    def spied(path, layouts):
        calls.append(path)
        return read(path, layouts)

    return spied


@pytest.mark.parametrize("case", CASES)
def test_the_fallback_refuses_with_the_scanners_line(corpus, tmp_path, monkeypatch, case):
    path = corpus[case]
    code, line, db = _ingest(tmp_path, path, True, monkeypatch)
    assert code == 2, line
    assert "\n" not in line and "Traceback" not in line, line
    assert not db.exists()  # a failed first ingest leaves no store
    pytest.importorskip("detainerwatch.sources._xlsxscan")
    code_c, line_c, _ = _ingest(tmp_path, path, False, monkeypatch)
    assert (code_c, line_c) == (2, line)


def test_the_fallback_still_reads_an_undamaged_workbook(tmp_path, monkeypatch):
    path = damage.base_workbook(tmp_path / "base.xlsx", random.Random(1))
    code, line, db = _ingest(tmp_path, path, True, monkeypatch)
    assert code == 0, line
    assert "40 rows stored" in line


def test_a_sheet_too_large_for_calamines_rectangle_is_refused(tmp_path, monkeypatch):
    # Two cells far apart: the scanner holds two, calamine the whole rectangle between them.
    members = damage.parts(damage.base_workbook(tmp_path / "b.xlsx", random.Random(1)))
    sheet = members[damage.SHEET].decode()
    far = '<row r="1048000"><c r="CZ1048000" t="inlineStr"><is><t>x</t></is></c></row>'
    members[damage.SHEET] = sheet.replace("</sheetData>", far + "</sheetData>").encode()
    path = damage.write_parts(tmp_path / "wide.xlsx", members, zipfile.ZIP_DEFLATED)
    code, line, db = _ingest(tmp_path, path, True, monkeypatch)
    assert code == 2 and "\n" not in line, line
    assert "1,048,000 rows by 104 columns" in line and "without the C scanner" in line
