"""The "Summary" sheet of an ICE LESA-STU area workbook: small stacked tables of totals by
fiscal year (arrests; book-ins; removals split Expedited / Other / Total), read as numbers to
check the rows of the other sheets against. Not rows: nothing here is stored as an event.

A table starts at a row whose first cell is "Fiscal Year" (or "FY"); the cells to its right
name the counts ("Arrests", "Book Ins", "Expedited Removals", "Other Removals", "Total ...").
Rows below it whose first cell is a fiscal year ("FY2012", "FY2019 YTD") or "Total" hold the
counts, until a blank row.
"""

from __future__ import annotations

from typing import Any

import re
from pathlib import Path

from ..errors import InputError

SUMMARY_SHEET = re.compile(r"(?i)^\s*summary\s*$")
_FY = re.compile(r"(?i)^\s*FY\s*'?(\d{4}|\d{2})\b(\s*YTD)?")
_HEAD = re.compile(r"(?i)^\s*(fiscal\s*year|fy)\s*$")


def _series(title: str) -> str | None:
    t = title.lower()
    if "expedited" in t:
        return "removals_expedited"
    if "other" in t:
        return "removals_other"
    if "book" in t:
        return "book_ins"
    if "arrest" in t:
        return "arrests"
    if "removal" in t or "total" in t:
        return "removals_total"
    return None


def _number(text: object) -> int | None:
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return int(text)
    digits = str(text).replace(",", "").strip()
    return int(float(digits)) if re.fullmatch(r"-?\d+(\.0+)?", digits) else None


def parse_summary(rows: list[list[Any]]) -> dict[str, dict[str, int]]:
    """{series: {"FY2012": n, ..., "total": n}} from the sheet's rows (cells as read)."""
    out: dict[str, dict[str, int]] = {}
    columns: list[tuple[int, str]] = []
    for row in rows:
        cells = [c if c is not None and str(c).strip() else None for c in row]
        first = str(cells[0]).strip() if cells and cells[0] is not None else None
        if first is None:
            columns = [] if not any(cells) else columns
            continue
        if _HEAD.match(first):
            columns = [
                (i, s)
                for i, c in enumerate(cells[1:], start=1)
                if c is not None and (s := _series(str(c)))
            ]
            continue
        if not columns:
            continue
        fy = _FY.match(first)
        if fy:
            year = int(fy.group(1))
            key = f"FY{year + 2000 if year < 100 else year}"
        elif first.lower().startswith("total"):
            key = "total"
        else:
            continue
        for i, series in columns:
            value = _number(cells[i]) if i < len(cells) else None
            if value is not None:
                out.setdefault(series, {})[key] = value
    return out


def read_summary(path: Path) -> tuple[str, dict[str, dict[str, int]]] | None:
    """(sheet name, totals) of the workbook's Summary sheet, or None when it has none."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        name = next((n for n in book.sheet_names if SUMMARY_SHEET.match(n)), None)
        if name is None:
            return None
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InputError(
            path, "a readable Summary sheet", sheet="Summary", found=str(exc)[:120]
        ) from None
    return name, parse_summary(rows)
