"""What a release says about itself: the FOIA request number and the period in its preamble,
the fiscal year in a sheet name, the date stamp in a file name. Used for release tags (ingest)
and for the period each release covers (derive.releases)."""

from __future__ import annotations

import datetime as dt
import re

REQUEST = re.compile(r"(?<![0-9A-Za-z])(\d{4}-IC[A-Z]{2}-\d{5})(?![0-9])")
_SLASH = r"(\d{1,2})/(\d{1,2})/(\d{4})"
_ISO = r"(\d{4})-(\d{2})-(\d{2})"
RANGES = [
    re.compile(_SLASH + r"\s*(?:-|–|to|through)\s*" + _SLASH, re.I),
    re.compile(_ISO + r"\s*(?:-|–|to|through)\s*" + _ISO, re.I),
]
FISCAL_YEAR = re.compile(r"^\s*FY\s*(\d{4}|\d{2})\b", re.I)
FILE_STAMP = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")


def request_number(text: str | None) -> str | None:
    """The first FOIA request number (e.g. 2026-ICLI-00005) in the text."""
    hit = REQUEST.search(text or "")
    return hit.group(1).upper() if hit else None


def date_range(text: str | None) -> tuple[dt.date, dt.date] | None:
    """The first date range stated in the text ("Detainers: 10/01/2025 - 03/10/2026")."""
    for line in (text or "").splitlines():
        for k, pattern in enumerate(RANGES):
            hit = pattern.search(line)
            if not hit:
                continue
            g = [int(x) for x in hit.groups()]
            try:
                if k == 0:
                    start, end = dt.date(g[2], g[0], g[1]), dt.date(g[5], g[3], g[4])
                else:
                    start, end = dt.date(g[0], g[1], g[2]), dt.date(g[3], g[4], g[5])
            except ValueError:
                continue
            if start <= end:
                return start, end
    return None


def fiscal_year(sheet: str | None) -> tuple[dt.date, dt.date] | None:
    """The federal fiscal year a sheet is named for ("FY2026", "FY2026 (2)", "FY26")."""
    hit = FISCAL_YEAR.match(sheet or "")
    if not hit:
        return None
    year = int(hit.group(1))
    year += 2000 if year < 100 else 0
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


def file_stamp(name: str | None) -> dt.date | None:
    """The date stamp in an ICE file name (..._FY26_20260311_Redacted.xlsx)."""
    for hit in FILE_STAMP.finditer(name or ""):
        try:
            return dt.date(*map(int, hit.groups()))
        except ValueError:
            continue
    return None


def _request_tags() -> dict[str, str]:
    from ..handfiles import read_yaml

    rules = read_yaml("release_precedence.yaml") or {}  # kept while unchanged (handfiles)
    return {str(k).upper(): str(v) for k, v in (rules.get("request_tags") or {}).items()}


def default_release_tag(preamble: list[str], layout_default: str) -> str:
    """The tag of a file ingested without --release: the tag of the FOIA request its preamble
    names (hand/release_precedence.yaml, request_tags), "ice-<request>" for a request not listed
    there, else the layout's default. Two deliveries in one layout then stay apart."""
    request = request_number("\n".join(preamble))
    if request is None:
        return layout_default
    return _request_tags().get(request, "ice-" + request.lower())
