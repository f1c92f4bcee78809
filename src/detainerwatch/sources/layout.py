"""What a layout adapter declares. Each file under ``sources/layouts/`` is one of these."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from .fields import FIELDS_BY_KIND


@functools.lru_cache(maxsize=4096)
def normalise_header(text: str) -> str:
    """Header text as compared: case, runs of spaces, line breaks and underscores folded, and a
    trailing footnote asterisk dropped ("Detainer Prepare Date *" == "detainer_prepare_date").
    Memoised: finding a sheet's layout folds the same few headers for every layout (about
    30,000 calls, 0.4 s, per workbook)."""
    return re.sub(r"[\s_]+", " ", str(text)).strip().rstrip("*").strip().lower()


@dataclass(frozen=True)
class Layout:
    name: str
    kind: str  # "detainers" or "facilities"
    format: str  # "xlsx" or "delimited", as documented; recognised by header in either
    release: str  # default release tag for rows of this layout
    description: str
    columns: dict[str, str]  # header as released -> canonical field
    required: tuple[str, ...]  # canonical fields that must be present
    signature: tuple[str, ...]  # headers (as released) that identify the layout
    date_formats: tuple[str, ...] = ()
    multi_sheet: bool = True  # every matching sheet is data (fiscal years, continuations)
    header_search_rows: int = 30
    null_text: tuple[str, ...] = ()  # whole-cell texts that mean "missing" (R's NA in CSV)
    _norm: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        known = {f.name for f in FIELDS_BY_KIND[self.kind]}
        for header, canonical in self.columns.items():
            if canonical not in known:
                raise ValueError(
                    f"layout {self.name}: {header!r} maps to unknown field {canonical!r}"
                )
        for name in self.required:
            if name not in self.columns.values():
                raise ValueError(f"layout {self.name}: required field {name!r} has no header")
        for header, canonical in self.columns.items():
            key = normalise_header(header)
            if self._norm.get(key, canonical) != canonical:
                raise ValueError(
                    f"layout {self.name}: {header!r} folds onto the header of "
                    f"{self._norm[key]!r} but maps to {canonical!r}"
                )
            self._norm[key] = canonical

    def canonical(self, header: str) -> str | None:
        return self._norm.get(normalise_header(header))

    def matches(self, headers: list[str]) -> bool:
        present = {normalise_header(h) for h in headers}
        return all(normalise_header(s) in present for s in self.signature)

    def overlap(self, headers: list[str]) -> float:
        present = {normalise_header(h) for h in headers if str(h).strip()}
        if not present:
            return 0.0
        return len(present & set(self._norm)) / len(set(self._norm.values()))

    def header_for(self, canonical: str) -> str:
        for h, c in self.columns.items():
            if c == canonical:
                return h
        return canonical
