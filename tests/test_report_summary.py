"""The report's counts from the per-month summary (issue 16) are exactly the counts from the
facts: every section, for whole months, parts of months, a state, and a store made before the
summary existed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import run
from detainerwatch.publish import queries
from detainerwatch.publish.queries import summary
from detainerwatch.publish.queries.base import scalar
from detainerwatch.publish.report import Period, build_report, resolve_period


def _report(db: Path, period: Period | None, state: str | None, use_summary: bool) -> str:
    with queries.connect_read(db) as store:
        con = store.con
        if period is None:
            period = resolve_period(con, whole=True)
        if not use_summary:
            original = summary.summary_usable
            summary.summary_usable = lambda reader: False  # type: ignore[assignment]
            try:
                built = build_report(con, period, state=state)
            finally:
                summary.summary_usable = original  # type: ignore[assignment]
        else:
            built = build_report(con, period, state=state)
    return json.dumps(built, default=str, sort_keys=True)


def test_ingest_makes_the_summary_of_its_facts(pa_store: Path) -> None:
    with queries.connect_read(pa_store) as store:
        assert summary.summary_usable(store)
        rows = scalar(store, "SELECT sum(issued) FROM detainer_facts_summary")
        facts = scalar(store, "SELECT count(*) FROM detainer_facts")
    assert rows == facts > 0


@pytest.mark.parametrize(
    "span,state",
    [
        (None, None),  # the whole store: whole months and two part-months
        ((dt.date(2014, 3, 17), dt.date(2014, 11, 4)), None),
        ((dt.date(2014, 1, 1), dt.date(2014, 12, 31)), None),  # one whole year
        ((dt.date(2011, 5, 1), dt.date(2014, 10, 31)), None),  # whole years and months
        ((dt.date(2011, 5, 9), dt.date(2014, 10, 30)), "PA"),  # years, months, days, a state
        ((dt.date(2014, 6, 3), dt.date(2014, 6, 20)), None),  # within one month
        (None, "PA"),
    ],
)
def test_summary_counts_equal_the_facts(
    pa_store: Path, span: tuple[dt.date, dt.date] | None, state: str | None
) -> None:
    period = Period(span[0], span[1], "test") if span else None
    assert _report(pa_store, period, state, True) == _report(pa_store, period, state, False)


def test_whole_months_of_a_period() -> None:
    d = dt.date
    assert summary.whole_months(d(2014, 3, 17), d(2014, 11, 4)) == (d(2014, 4, 1), d(2014, 11, 1))
    assert summary.whole_months(d(2014, 1, 1), d(2014, 12, 31)) == (d(2014, 1, 1), d(2015, 1, 1))
    assert summary.whole_months(d(2014, 6, 3), d(2014, 6, 30)) is None
    assert summary.whole_months(d(2014, 2, 1), d(2014, 2, 28)) == (d(2014, 2, 1), d(2014, 3, 1))


def test_whole_years_of_whole_months() -> None:
    d = dt.date
    assert summary.whole_years(d(2012, 11, 1), d(2026, 3, 1)) == (d(2013, 1, 1), d(2026, 1, 1))
    assert summary.whole_years(d(2013, 1, 1), d(2014, 1, 1)) == (d(2013, 1, 1), d(2014, 1, 1))
    assert summary.whole_years(d(2013, 2, 1), d(2014, 1, 1)) is None
    assert summary.whole_years(d(2013, 1, 1), d(2013, 12, 1)) is None


def test_a_store_without_the_summary_reports_the_same(pa_store: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    shutil.copy(pa_store, old)
    con = duckdb.connect(str(old))
    con.execute("DROP TABLE detainer_facts_summary_year")
    con.execute("DROP TABLE detainer_facts_summary")
    con.execute("DROP TABLE detainer_coverage_summary")
    con.execute("DELETE FROM meta WHERE key = 'summary_state'")
    con.close()
    outputs: dict[str, Any] = {}
    for name, db in (("new", pa_store), ("old", old)):
        out = tmp_path / name
        result = run(db, "report", "--all", "--out", out)
        assert result.exit_code == 0, result.output
        outputs[name] = {
            p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }
    assert outputs["new"] == outputs["old"]
    with queries.connect_read(old) as store:
        assert not summary.summary_usable(store)
        assert summary.coverage_rows_summary(store) is None


def test_coverage_from_the_summary_equals_the_detainers(pa_store: Path) -> None:
    with queries.connect_read(pa_store) as store:
        kept = summary.coverage_rows_summary(store)
        original = summary.coverage_rows_summary
        summary.coverage_rows_summary = lambda reader: None  # type: ignore[assignment]
        try:
            scanned = queries.coverage_rows(store)
        finally:
            summary.coverage_rows_summary = original  # type: ignore[assignment]
    assert kept is not None
    key = lambda r: (r.state or "", r.release or "")  # noqa: E731
    assert sorted(kept, key=key) == sorted(scanned, key=key)


@pytest.mark.parametrize("use_summary", [True, False])
@pytest.mark.parametrize(
    "span,state",
    [(None, None), ((dt.date(2011, 5, 9), dt.date(2014, 10, 30)), None), (None, "42")],
)
def test_each_question_answers_as_over_the_facts(
    pa_store: Path, use_summary: bool, span: tuple[dt.date, dt.date] | None, state: str | None
) -> None:
    """Every question of the report from the cells equals counts.py's question over
    detainer_facts (the questions the report asked before the summary)."""
    with queries.connect_read(pa_store) as store:
        if span is None:
            first = queries.prepare_date_span(store)
            assert first is not None
            span = (first.first, first.last)
        scope = queries.issued_between(span[0], span[1], state)
        counted = scope.counted()
        original = summary.summary_usable
        if not use_summary:
            summary.summary_usable = lambda reader: False  # type: ignore[assignment]
        try:
            summary.report_cells(store, span[0], span[1], state)
        finally:
            summary.summary_usable = original  # type: ignore[assignment]
        pairs = [
            (summary.cells_totals(store), queries.counted_totals(store, counted)),
            (summary.cells_duplicates(store), queries.count(store, scope.duplicates())),
            (summary.cells_jurisdictions(store), queries.jurisdiction_counts(store, counted)),
            (
                summary.cells_declined_mix_by_jurisdiction(store),
                queries.declined_mix_by_jurisdiction(store, counted),
            ),
            (summary.cells_declined_mix(store), queries.declined_mix(store, counted)),
            (summary.cells_issued_mix(store), queries.issued_mix(store, counted)),
            (summary.cells_release_evidence(store), queries.release_evidence(store, scope)),
            (summary.cells_doubtful_facilities(store), queries.doubtful_facilities(store, scope)),
            (summary.cells_doubtful_detainers(store), queries.doubtful_detainers(store, scope)),
            (summary.cells_trend_by_month(store), queries.trend(store, scope, "month")),
            (summary.cells_county_counts(store), queries.county_counts(store, counted)),
            (summary.cells_facility_counts(store), queries.facility_counts(store, counted)),
        ]
    for i, (cells, facts) in enumerate(pairs):
        assert cells == facts, i
    assert pairs[0][0]["issued"] > 0


def test_a_summary_made_by_other_code_is_not_used(
    pa_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the stamp carries a digest of the summary's definitions and the facts' SELECT: a count
    # added or changed in code makes a store's summary (and stored facts) stale, counted from
    # the rows instead, never read with a missing column or an old rule
    from detainerwatch.derive import facts

    with queries.connect_read(pa_store) as store:
        assert summary.summary_usable(store) and summary.coverage_rows_summary(store) is not None
        monkeypatch.setattr(summary, "definition", lambda: "other code")
        assert not summary.summary_usable(store)
        assert summary.coverage_rows_summary(store) is None
        monkeypatch.undo()
        assert summary.summary_usable(store)
    before = facts.hand_hash()
    monkeypatch.setattr(facts, "_facts_select", lambda: "SELECT 1 AS other_rule")
    assert facts.hand_hash() != before
