"""A disclosure audit of published output: report folders, profiles, the static site, the
SQLite export and saved API answers.

Each JSON answer, CSV, SQLite table and HTML table is read back into the grid of
``publish.disclosure`` from its published values ("<5" is 1-4, "x" any count) and solved with
its margins: every person-attribute cell of 1-4 that is shown, and every withheld cell a reader
can work out by subtraction, is a finding with its file and place.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

from ..errors import UsageError
from . import disclosure
from .disclosure import Finding
from .labels import outcome_key

SUFFIXES = (".json", ".csv", ".sqlite", ".db", ".html")


def scan(path: Path) -> list[Finding]:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    files = (
        [path]
        if path.is_file()
        else sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
    )
    out: list[Finding] = []
    for f in files:
        out += scan_file(f)
    return out


def scan_file(path: Path) -> list[Finding]:
    where = str(path)
    if path.suffix == ".json":
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            return []
        return disclosure.check_object(obj, where)
    if path.suffix == ".csv":
        return _csv(path, where)
    if path.suffix in (".sqlite", ".db"):
        return _sqlite(path, where)
    if path.suffix == ".html":
        return _html(path, where)
    return []


def _cell(value: object) -> object:
    if value is None:
        return None
    text = str(value).strip().lstrip("'")
    if text in (disclosure.small_label(), disclosure.withheld_label()):
        return text
    try:
        return int(text.replace(",", ""))
    except ValueError:
        try:
            return int(float(text))
        except ValueError:
            return value


def _csv(path: Path, where: str) -> list[Finding]:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    rows = [
        {k: _cell(v) for k, v in r.items()} for r in csv.DictReader(io.StringIO("".join(lines)))
    ]
    return disclosure.findings(disclosure.rows_grid(rows), where) if rows else []


def _sqlite(path: Path, where: str) -> list[Finding]:
    try:
        lite = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = {}
        for (name,) in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            cur = lite.execute(f'SELECT * FROM "{name}"')
            cols = [d[0] for d in cur.description]
            tables[name] = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        lite.close()
    except sqlite3.DatabaseError:
        return []
    out = disclosure.findings(disclosure.export_grid(tables), where)
    for name, rows in tables.items():
        if name not in ("jurisdiction_years", "facilities") and rows:
            out += disclosure.findings(disclosure.rows_grid(rows, name), f"{where} table {name}")
    return out


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
            self._depth += 1
        elif tag == "tr" and self._depth:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self.tables:
            self.tables[-1].append(self._row)
            self._row = None
        elif tag == "table":
            self._depth = max(0, self._depth - 1)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _people_columns() -> set[str]:
    from ..derive.facts import OUTCOMES

    return {"issued", "detainers", *OUTCOMES}


def _html(path: Path, where: str) -> list[Finding]:
    """Tables of a page: a person-attribute column (by its header) or a row naming a facility
    for children or a hospital showing a count of 1-4."""
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    out = []
    for t, table in enumerate(parser.tables):
        if not table:
            continue
        header = [outcome_key(h) or h.lower().replace(" ", "_") for h in table[0]]
        for r, row in enumerate(table[1:], start=1):
            protected = bool(row) and disclosure.protected_facility_name(row[0])
            for c, value in enumerate(row):
                if c == 0:
                    continue
                n = _cell(value)
                if not isinstance(n, int) or not 1 <= n <= disclosure.small_max():
                    continue
                column = header[c] if c < len(header) else ""
                counts_people = column in _people_columns() or disclosure.is_person_attribute(
                    column
                )
                if (protected and counts_people) or disclosure.is_person_attribute(column):
                    out.append(
                        Finding(
                            f"{where} table {t + 1} row {r} ({row[0][:60]}) column {column or c}",
                            f"person-attribute cell of {n} published",
                        )
                    )
    return out
