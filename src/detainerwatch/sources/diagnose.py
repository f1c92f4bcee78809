"""Why a sheet's header is no known layout's, in words a user can act on: which row looks like
the header, what it holds, and the closest layout and the columns it would need."""

from __future__ import annotations

from .layout import Layout, normalise_header


def header_diagnosis(rows: list[list[str | None]], layouts: list[Layout]) -> str:
    width = [sum(1 for c in row if c is not None and str(c).strip()) for row in rows]
    if not width or max(width) < 2:
        return f"no row with two or more cells in its first {len(rows) or 30} rows"
    index = width.index(max(width))  # the widest early row: where a header would be
    names = [str(c).strip() for c in rows[index] if c is not None and str(c).strip()]
    shown = ", ".join(repr(n) for n in names[:4]) + (", ..." if len(names) > 4 else "")
    present = {normalise_header(n) for n in names}
    best, known, lacking = None, 0, 0
    for layout in layouts:  # most columns known, then fewest identifying columns lacking
        hits = len(present & set(layout._norm))
        lacks = sum(normalise_header(s) not in present for s in layout.signature)
        if hits and (hits, -lacks) > (known, -lacking):
            best, known, lacking = layout, hits, lacks
    if best is None:
        why = "no column of any known layout"
    else:
        missing = [s for s in best.signature if normalise_header(s) not in present]
        why = f"closest layout {best.name} knows {known} of them but lacks " + ", ".join(
            repr(m) for m in missing
        )
    return f"row {index + 1} holds {len(names)} column names ({shown}): {why}"
