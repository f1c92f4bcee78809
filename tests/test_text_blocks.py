"""Delimited text is decoded a block of lines at a time (bench/text.py): an undecodable byte
past the first block is still reported at its own row, and rows keep their record numbers."""

from __future__ import annotations

import pytest

from conftest import PA_EXTRACT
from detainerwatch.errors import InputError
from detainerwatch.sources import readers
from detainerwatch.sources.layouts import ALL


def _lines(n):
    lines = PA_EXTRACT.read_bytes().splitlines(keepends=True)
    return lines[:1] + (lines[1:] * (n // len(lines) + 1))[:n]


def _rows(path):
    wb = readers.open_source(path, ALL)
    return [n for b in wb.sheets[0].batches() for n in b.column("row_number").to_pylist()]


def test_undecodable_byte_far_into_the_file_names_its_row(tmp_path):
    lines = _lines(6000)
    lines[4999] = lines[4999].replace(b"PENNSYLVANIA", b"PENNSYLV\xe9NIA", 1)
    path = tmp_path / "late.csv"
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputError, match="row 5000"):
        _rows(path)


def test_record_numbers_across_blocks_with_blank_lines_and_a_bom(tmp_path):
    lines = _lines(5000)
    lines[3000] = b"\n"  # a blank record: skipped, still counted
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + b"".join(lines))
    numbers = _rows(path)
    assert len(numbers) == 4999 and numbers[0] == 2 and numbers[-1] == 5001
    assert 3001 not in numbers and 3002 in numbers
