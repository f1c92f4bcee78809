"""The read model (issue 17): publish asks the store only through the named questions of
publish/queries/, which answer typed rows."""

from __future__ import annotations

import dataclasses
import re

from conftest import ROOT
from detainerwatch.publish import queries

PUBLISH = ROOT / "src/detainerwatch/publish"
# SQLite files of publish's own, not the store: the web cache (diskcache.py), the SQLite export
# written after the disclosure function (export.py's writer), and the check that reads such an
# export back (disclosure_check.py). Their SQL is not a question of the store.
NOT_THE_STORE = {"diskcache.py", "disclosure_check.py", "export.py"}
SQL_CALL = re.compile(r"\bexecute(many)?\(|\.sql\(")


def _calls(path):
    return [
        f"{path.relative_to(PUBLISH)}:{n}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if SQL_CALL.search(line)
    ]


def test_publish_runs_sql_only_in_queries():
    found = [
        hit
        for path in sorted(PUBLISH.rglob("*.py"))
        if "queries" not in path.relative_to(PUBLISH).parts and path.name not in NOT_THE_STORE
        for hit in _calls(path)
    ]
    assert found == []


def test_export_runs_sql_only_on_its_sqlite_file():
    # export.py reads the store through queries.export_tables; its own SQL writes the SQLite file.
    for hit in _calls(PUBLISH / "export.py"):
        line = (PUBLISH / "export.py").read_text().splitlines()[int(hit.split(":")[1]) - 1]
        assert "lite." in line, hit


def test_report_questions_answer_typed_rows(pa_store):
    with queries.connect_read(pa_store) as store:
        span = queries.prepare_date_span(store)
        assert isinstance(span, queries.DateSpan)
        scope = queries.issued_between(span.first, span.last)
        totals = queries.counted_totals(store, scope.counted())
        juris = queries.jurisdiction_counts(store, scope.counted())
        trend = queries.trend(store, scope, "month")
        practice = queries.practice(
            store,
            queries.of_jurisdictions([juris[0]["id"]]),
            span.first,
            span.last,
            span.first,
            ["booked", "declined"],
        )
        listing = queries.facility_list(store, limit=3)
        coverage = queries.coverage_rows(store)
        detainers = queries.detainer_totals(store).detainers
    assert totals["issued"] == sum(j["issued"] for j in juris) > 0
    assert set(queries.OutcomeCounts.__required_keys__) <= set(totals)
    assert set(juris[0]) == set(queries.ReportJurisdiction.__required_keys__)
    assert all(dataclasses.is_dataclass(t) for t in trend)
    assert sum(t.issued for t in trend) == totals["issued"]
    assert practice.whole[0] == juris[0]["issued"]
    assert listing and set(listing[0]) == set(queries.FacilityListing.__required_keys__)
    assert sum(c.rows for c in coverage) == detainers


def test_web_app_reads_through_the_read_model(pa_store):
    from detainerwatch.store import ReadStore
    from detainerwatch.web.app import Store

    app_source = (ROOT / "src/detainerwatch/web/app.py").read_text()
    assert "connect(" not in app_source.replace("connect_read(", "")
    store = Store(pa_store)
    try:
        assert isinstance(store.read, ReadStore)
        cur = store.cursor()
        assert cur is store.cursor()  # one prepared connection per thread, kept
        # prepared: the facts view is there without the caller registering it
        assert cur.execute("SELECT count(*) FROM detainer_facts").fetchall()[0][0] > 0
    finally:
        store.read.close()


# Files that write CREATE but not of the store: the web cache's own SQLite file and the SQLite
# export (a file of aggregates written after the disclosure function).
CREATE_NOT_THE_STORE = {"publish/diskcache.py", "publish/export.py"}


def test_every_create_is_in_the_schema_module():
    src = ROOT / "src/detainerwatch"
    found = [
        f"{path.relative_to(src)}:{n}"
        for path in sorted(src.rglob("*.py"))
        if str(path.relative_to(src)) not in {"store/schema.py", *CREATE_NOT_THE_STORE}
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bCREATE\s", line)
    ]
    assert found == []


def test_temporary_objects_are_registered():
    import duckdb
    import pytest

    from detainerwatch.store import schema

    con = duckdb.connect()
    schema.create_temp_table(con, "dw_release_override", "release VARCHAR")
    schema.create_temp_view(con, "detainer_facts", "SELECT 1 AS x")
    assert con.execute("SELECT x FROM detainer_facts").fetchall() == [(1,)]
    with pytest.raises(ValueError, match="not a temporary object"):
        schema.create_temp_view(con, "dw_something_new", "SELECT 1")
    assert all(purpose for purpose in schema.TEMP_OBJECTS.values())


def test_outcome_classes_in_code_agree_with_the_hand_file():
    # derive.facts.OUTCOMES (and the typed rows of publish/queries, one count per class) name the
    # classes of hand/outcome_classes.csv, in its order; every lift reason maps to one of them.
    from detainerwatch.derive.facts import OUTCOMES
    from detainerwatch.handfiles import read_csv

    assert OUTCOMES == [r["outcome"] for r in read_csv("outcome_classes.csv")]
    assert set(queries.OutcomeCounts.__required_keys__) == set(OUTCOMES)
    assert {r["outcome_class"] for r in read_csv("lift_reasons.csv")} <= set(OUTCOMES)


def test_hand_files_are_read_again_after_an_edit(tmp_path, monkeypatch):
    import shutil

    from detainerwatch import handfiles
    from detainerwatch.publish import labels

    hand = tmp_path / "hand"
    shutil.copytree(handfiles.HAND_DIR, hand)
    monkeypatch.setattr(handfiles, "HAND_DIR", hand)
    files = handfiles.HandFiles()
    first = files.read_csv("outcome_classes.csv")
    assert files.read_csv("outcome_classes.csv") is first  # kept while unchanged
    text = (hand / "outcome_classes.csv").read_text(encoding="utf-8")
    (hand / "outcome_classes.csv").write_text(
        text.replace("Booked (honored)", "Booked (custody taken)"), encoding="utf-8"
    )
    assert files.read_csv("outcome_classes.csv") is not first
    assert labels.outcome_label("booked") == "Booked (custody taken)"
    (hand / "presentation.yaml").write_text("report_page_rows: 7\n", encoding="utf-8")
    assert labels.page_rows() == 7
    from detainerwatch.publish import disclosure

    rules = (hand / "disclosure.yaml").read_text(encoding="utf-8")
    assert disclosure.is_person_attribute("died")
    assert not disclosure.is_person_attribute("shoe_size")
    assert "small_cell_label:" in rules
    (hand / "disclosure.yaml").write_text(
        rules.replace("person_attribute_columns:", "person_attribute_columns:\n  - shoe_size", 1),
        encoding="utf-8",
    )
    assert disclosure.is_person_attribute("shoe_size")  # the edit is followed, not cached away


def test_no_module_memoises_a_hand_file_in_publish_or_derive():
    # The hand files are read through handfiles.HandFiles (kept while unchanged, read again
    # after an edit), publish.disclosure's rules too.
    src = ROOT / "src/detainerwatch"
    found = [
        f"{path.relative_to(src)}"
        for layer in ("derive", "publish")
        for path in sorted((src / layer).rglob("*.py"))
        if "hand_path(" in path.read_text() and re.search(r"@(lru_)?cache\b", path.read_text())
    ]
    assert found == []
