"""What every Deportation Data Project (DDP) processed table shares, for its adapters.

DDP (deportationdata.org; code CC0 at github:deportationdata/ice, ``code/*-latest.R``) reads
ICE's workbooks, cleans the column names (R ``janitor::clean_names``: "MSC Charge" ->
``msc_charge``), drops columns that are entirely blank or redacted, nulls redaction markers,
renames some columns to the names of ICE's October 2025 release, and appends
``file_original``, ``sheet_original`` and ``row_original`` (the ICE file, sheet and Excel row
the record came from, header on row 7) and ``duplicate_likely`` (their own duplicate rule).
Files written by R's ``write.csv`` hold ``NA`` for a missing value.
"""

from __future__ import annotations

import re

# Upstream provenance, kept beside the store's own file, hash, sheet and row.
UPSTREAM = [
    ("file_original", "upstream_file"),
    ("sheet_original", "upstream_sheet"),
    ("row_original", "upstream_row"),
    ("duplicate_likely", "upstream_duplicate_likely"),
]

# What R writes for a missing value in CSV (write.csv and readr::write_csv both write NA).
NULL_TEXT = ("NA",)

SIGNATURE_TAIL = ("file_original", "sheet_original", "row_original")


def clean_name(header: str) -> str:
    """An ICE header as janitor::clean_names spells it, for the plain ASCII headers ICE uses:
    lower case, every run of other characters one underscore ("Most Serious Conviction (MSC)
    Charge" -> "most_serious_conviction_msc_charge")."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


def cleaned(
    header: list[tuple[str, str]], renames: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """(DDP name, canonical field) for an ICE header; ``renames`` maps a cleaned name to the
    name DDP renamed it to (both are accepted: files of either generation exist)."""
    out = [(clean_name(h), c) for h, c in header]
    by_name = dict(out)
    for old, new in (renames or {}).items():
        out.append((new, by_name[old]))
    return out + UPSTREAM
