"""What runs after rows are stored, inside the same transaction as the ingest: derived tables
that reports read (facility attribution, policy records). Sits above store, link and derive.

The attribution's reference data (gazetteer, facility dictionary) is read on first use from
its prebuilt indexes (link/prebuilt.py: a Prebuilt object owns the lazy loading), in a fraction
of a second: no background thread is started before the ingest (issue 17: no module state)."""

from __future__ import annotations

from typing import Any


def after_ingest(con: Any, whole: bool = False) -> None:
    """Every derived table brought up to date with the rows; only the new sources' facts when
    derive/incremental.py proves the others unchanged, every table made again when ``whole``
    (bench/text.py times that path alone)."""
    from .derive import facts, incremental, releases, summary
    from .derive.policies import refresh_policies

    from .link import refresh_attribution
    from .link.area import refresh_area_attribution

    before = None if whole else incremental.snapshot(con)  # what the stored facts came from
    refresh_attribution(con)
    refresh_area_attribution(con)  # facilities and landmarks of an area workbook
    refresh_policies(con)
    releases.refresh(con)  # which release supplies each day: the facts keep only its rows
    if before is not None and incremental.unaffected(con, before):
        incremental.extend(con, before)  # only the new sources' rows derived (issue 16)
    else:
        facts.materialize(con)
        summary.materialize(con)  # the report's counts by month and facility (issue 16)
    incremental.stamp(con)  # the code they were derived by (the next ingest's check)
