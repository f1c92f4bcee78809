"""What followed a detainer, as published: the counts of derive.outcomes with every cell of
people under five withheld (and the cells that would give one away), shares as percentages,
and the censoring and coverage said in words.

All withholding goes through ``withhold`` (one rule, one place), written so it can later route
through the project's shared disclosure function (publish/disclosure.py) unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..derive.outcomes import EVENTS, outcomes
from duckdb import DuckDBPyConnection

MIN_CELL = 5  # the project's rule: no cell of 1-4 people at any grain
WITHHELD = "withheld"
EVENT_LABELS = {
    "booked_in": "booked into ICE custody",
    "arrested_any": "arrested by ICE",
    "arrested_in_jail": "arrested by ICE in a jail or prison",
    "arrested_at_large": "arrested by ICE at large",
    "arrested_other": "arrested by ICE elsewhere (probation office, port, border)",
    "arrested_not_classified": "arrested by ICE, method not classified",
    "removed": "removed",
}


def withhold(count: int | None, total: int | None = None) -> int | str | None:
    """A count as published: itself, or WITHHELD when it counts 1-4 people, or when the rest of
    its total does (total - count of 1-4 would give the small cell away). None (not covered)
    stays None; 0 stays 0 unless the total is small."""
    if count is None:
        return None
    if total is not None and 0 < total < MIN_CELL:
        return WITHHELD
    if 0 < count < MIN_CELL:
        return WITHHELD
    if total is not None and 0 < total - count < MIN_CELL:
        return WITHHELD
    return count


def published_outcomes(
    con: DuckDBPyConnection, release: str | None = None, **options: Any
) -> dict[str, Any]:
    """derive.outcomes with small cells withheld: the one entry point of the CLI and the API."""
    raw = outcomes(con, release, **options)
    rows, withheld = [], 0
    for row in raw["rows"]:
        people = withhold(row["people"])
        out = {k: row[k] for k in ("group_id", "group", "period", "outcome")}
        out["detainers"] = withhold(row["detainers"])
        out["people"] = people
        out["detainers_without_identifier"] = withhold(
            row["detainers_without_identifier"], row["detainers"]
        )
        out["windows"] = {}
        for w, cell in row["windows"].items():
            observable = withhold(cell["observable"], row["people"])
            pub = {"observable": observable, "censored": withhold(cell["censored"], row["people"])}
            for event in EVENTS:
                n = cell[event]
                value: int | str | None
                if observable == WITHHELD or people == WITHHELD:
                    value = None if n is None else WITHHELD
                else:
                    value = withhold(n, cell["observable"])
                pub[event] = value
                pub[event + "_pct"] = (
                    round(100 * n / cell["observable"], 1)
                    if isinstance(value, int) and cell["observable"]
                    else (None if value is None or not cell["observable"] else WITHHELD)
                )
            for setting in ("at_large", "in_jail"):
                key = f"median_days_{setting}"
                n = cell[f"arrested_{setting}"]
                pub[key] = (
                    cell[key]
                    if isinstance(pub[f"arrested_{setting}"], int) and n and n >= MIN_CELL
                    else None
                )
            out["windows"][w] = pub
        withheld += sum(1 for v in _values(out) if v == WITHHELD)
        rows.append(out)
    notes = [
        raw["censoring"],
        "Within one release only: person identifiers are re-anonymized in every release, "
        "so nothing here links across releases.",
        "Counts are of people (distinct identifiers) with a detainer of the class in the "
        "cell; 'later' means on or after their first such detainer in the cell. Detainers "
        "without an identifier cannot be followed and are counted apart.",
        f"Cells of 1-{MIN_CELL - 1} people, and cells that would reveal one, are withheld "
        f"({withheld:,} values withheld here).",
        "Arrests are split by ICE's apprehension method (hand/apprehension_methods.csv): in "
        "a jail or prison vs at large; methods the table does not class are counted apart.",
    ]
    for kind, cover in raw["coverage"].items():
        if not cover["covered"] or cover.get("subset"):
            notes.append(f"{kind}: {cover['note']}")
    from .disclosure import protect

    # Cells of people are withheld above, cell by cell with their complements; the object then
    # passes the one disclosure function like every published output (web and CLI require it).
    return protect(
        {
            **{
                k: raw[k]
                for k in (
                    "release",
                    "last_date",
                    "windows",
                    "by",
                    "period",
                    "issued_from",
                    "issued_to",
                    "state",
                    "coverage",
                )
            },
            "rows": rows,
            "withheld_values": withheld,
            "min_cell": MIN_CELL,
            "unclassified_methods": [
                m for m in raw["unclassified_methods"] if withhold(m["arrests"]) != WITHHELD
            ],
            "notes": notes,
        },
        "tables",
    )


def _values(row: dict[str, Any]) -> Iterator[Any]:
    for k, v in row.items():
        if k == "windows":
            for cell in v.values():
                yield from cell.values()
        else:
            yield v


def flat_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per cell and window, for CSV and tables."""
    out = []
    for row in result["rows"]:
        for w, cell in row["windows"].items():
            out.append(
                {
                    "group_id": row["group_id"],
                    "group": row["group"],
                    "period": row["period"],
                    "outcome": row["outcome"],
                    "detainers": row["detainers"],
                    "people": row["people"],
                    "window_days": int(w),
                    **cell,
                }
            )
    return out
