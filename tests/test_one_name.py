"""One jurisdiction id, one name (derive/ids.py named_attribution_sql) on every page and output.

Two spellings of an unresolved facility, "ZZQ HOLDING" and "ZZQ-HOLDING", share the id
unknown:42:zzq-holding. Before, each page chose among the rows it counted: the report the least
name of its period's rows, the search the least of the facilities it matched, the custody page
the facility with most detainers, the export and audit any_value. Here the spelling with most
detainers, the only one in the weekly period and the only one the search matches is
"ZZQ-HOLDING", while the id's name (the least of all its attribution rows) comes from
"ZZQ HOLDING": every page must show that one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import run
from release_fixtures import Rows, write_release

from detainerwatch.derive import facts, incremental, summary
from detainerwatch.derive.ids import named_attribution_sql

JID = "unknown:42:zzq-holding"
NAME = "unresolved: ZZQ HOLDING"
PERIOD_A = (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
PERIOD_B = (dt.date(2024, 1, 1), dt.date(2024, 4, 30))
WEEK = "2024-03-20"  # only "ZZQ-HOLDING" rows that week


def _zzq(day: dt.date, name: str, n: int, lift: str) -> list[dict]:
    return [
        {
            "prepare_date": day,
            "facility_name": name,
            "facility_code": "ZZQ" + name[3],
            "facility_city": "ZZQVILLE",
            "facility_state": "PA",
            "criminality": "3 Other Immigration Violator",
            "gender": "Male",
            "citizenship_country": "MEXICO",
            "birth_year": 1970 + i,
            "detainer_type": "I247A - Immigration Detainer - Notice of Action (as of May 2025)",
            "lift_reason": lift,
            "person_id": f"{name[3]}{day:%m%d}{i:04d}",
        }
        for i in range(n)
    ]


def _rows(seed: int) -> list[dict]:
    rows = Rows(seed).days(*PERIOD_A, 1)
    rows += _zzq(dt.date(2024, 1, 10), "ZZQ HOLDING", 6, "Detainer Declined by LEA")
    for day in (dt.date(2024, 2, 14), dt.date(2024, 3, 20)):
        rows += _zzq(day, "ZZQ-HOLDING", 8, "Detainer Declined by LEA")
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Release A (2025 layout) and release B (2026 layout, the same rows and a month more):
    both hold both spellings, so the release diff counts the id too."""
    tmp = tmp_path_factory.mktemp("one_name")
    rows = _rows(31)
    more = Rows(32).days(dt.date(2024, 4, 1), PERIOD_B[1], 1)
    return {
        "a": write_release(tmp / "a.xlsx", "2025", rows, *PERIOD_A),
        "b": write_release(tmp / "b.xlsx", "2026", [dict(r) for r in rows] + more, *PERIOD_B),
        # A later source whose only new spelling is less than the id's name.
        "c": write_release(
            tmp / "c.xlsx",
            "2026",
            _zzq(dt.date(2024, 6, 3), "ZZQ (HOLDING)", 5, "Booked into Detention"),
            dt.date(2024, 6, 1),
            dt.date(2024, 6, 30),
            title="2026-ICLI-00777 Detainers",
        ),
    }


@pytest.fixture(scope="module")
def store(files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("one_name_store") / "s.duckdb"
    result = run(db, "ingest", "--quiet", files["a"], files["b"])
    assert result.exit_code == 0, result.output
    return db


def _read(db: Path):
    return duckdb.connect(str(db), read_only=True)


def test_the_spellings_share_the_id_and_the_store_carries_one_name(store: Path) -> None:
    con = _read(store)
    try:
        own = con.execute(
            f"SELECT facility_name, jurisdiction_id, jurisdiction_display_name "
            f"FROM ({named_attribution_sql()}) WHERE facility_name LIKE 'ZZQ%' ORDER BY 1"
        ).fetchall()
        assert own == [("ZZQ HOLDING", JID, NAME), ("ZZQ-HOLDING", JID, NAME)]
        for table in ("detainer_facts_stored", "detainer_facts_summary"):
            names = con.execute(
                f"SELECT DISTINCT jurisdiction_display_name, jurisdiction_name FROM {table} "
                "WHERE jurisdiction_id = ?",
                [JID],
            ).fetchall()
            assert names == [(NAME, None)], table
    finally:
        con.close()


def _report_names(out: Path) -> set[str]:
    data = json.loads((out / "report.json").read_text())
    names = {
        j["name"] for key in ("jurisdictions", "other_custody") for j in data[key] if j["id"] == JID
    }
    with open(out / "jurisdictions.csv", newline="", encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    names |= {r["name"] for r in csv.DictReader(lines) if r["id"] == JID}
    return names


@pytest.mark.parametrize("period", [["--all"], ["--week", WEEK]])
def test_report_json_and_csv(store: Path, tmp_path: Path, period: list[str]) -> None:
    result = run(store, "report", *period, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert _report_names(tmp_path / "r") == {NAME}


def test_report_from_the_facts_as_from_the_summary(store: Path) -> None:
    """The report's two paths (summary cells, facts) name the id alike."""
    from detainerwatch.publish import queries

    con = _read(store)
    try:
        facts.register(con)
        for start, end in ((dt.date(2024, 3, 16), dt.date(2024, 3, 22)), PERIOD_B):
            scope = queries.issued_between(start, end)
            named = {j["name"] for j in queries.jurisdiction_counts(con, scope) if j["id"] == JID}
            assert named == {NAME}
    finally:
        con.close()


def test_search_custody_page_export_and_audit(store: Path) -> None:
    from detainerwatch.publish import catalog, queries
    from detainerwatch.web import views

    con = _read(store)
    try:
        found = catalog.jurisdictions(con, q="ZZQ-")  # matches only "ZZQ-HOLDING"
        assert [(j["id"], j["name"]) for j in found] == [(JID, NAME)]
        assert {j["name"] for j in catalog.jurisdiction_listing(con) if j["id"] == JID} == {NAME}
        kind, page = views.jurisdiction(con, JID)
        assert (kind, page["name"]) == ("custody", NAME)
        facts.register(con)
        years = queries.export_tables(con)["jurisdiction_years"]
        # the export's name column is the id's government name: none for an unresolved id (a
        # data column, as before: never a label in place of a name)
        assert {r["jurisdiction_name"] for r in years if r["jurisdiction_id"] == JID} == {None}
        # the audit's facility lists name the government (none: unresolved) as the facts do
        scope = queries.of_jurisdictions([JID])
        listed = queries.audit_facilities(con, scope, *PERIOD_B)
        assert {f.facility for f in listed} == {"ZZQ HOLDING", "ZZQ-HOLDING"}
        assert {f.jurisdiction for f in listed} == {None}
    finally:
        con.close()


def test_release_diff(store: Path, tmp_path: Path) -> None:
    from detainerwatch.derive import release_diff

    con = duckdb.connect(str(store), read_only=True)
    try:
        releases = [
            r[0] for r in con.execute("SELECT DISTINCT release FROM sources ORDER BY 1").fetchall()
        ]
        diff = release_diff.diff_releases(con, releases[0], releases[1])
    finally:
        con.close()
    by = [r for r in diff["jurisdiction_months"] if r["jurisdiction_id"] == JID]
    assert len({r["month"] for r in by}) == 3  # January's rows are "ZZQ HOLDING"'s alone
    assert {r["jurisdiction"] for r in by} == {NAME}


def test_static_site(store: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = run(store, "publish", "--out", site)
    assert result.exit_code == 0, result.output
    seen = []
    for path in site.rglob("*"):
        if path.suffix in (".json", ".html", ".csv") and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if "zzq-holding" in text and "ZZQ" in text:
                seen.append(path)
                assert "unresolved: ZZQ-HOLDING" not in text, path
    assert seen
    page = [p for p in seen if "zzq-holding" in p.as_posix() and p.suffix == ".json"]
    assert page and all(json.loads(p.read_text())["name"] == NAME for p in page), page


SCRIPT = """
import sys, duckdb
from detainerwatch.publish import catalog, queries
from detainerwatch.derive import facts
con = duckdb.connect(sys.argv[1], read_only=True)
facts.register(con)
names = [j["name"] for j in catalog.jurisdiction_listing(con) if j["id"] == sys.argv[2]]
names += [str(r["jurisdiction_name"]) for r in queries.export_tables(con)["jurisdiction_years"]
          if r["jurisdiction_id"] == sys.argv[2]]
print("|".join(sorted(set(names))))
"""


def test_the_same_name_from_two_processes(store: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    outs = set()
    for db in (store, copy):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(db), JID],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": str(len(outs) + 1)},
        )
        outs.add(done.stdout.strip())
    assert outs == {f"None|{NAME}"}


def test_a_resolved_id_of_two_spellings_takes_the_least_government_name() -> None:
    """A city without a place code spelled two ways: the least government name, never the
    unresolved form while any row of the id is resolved."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE fa AS SELECT * FROM (VALUES "
        "('JAIL A', 'city', 'St. Marys, PA', '42', NULL, NULL), "
        "('JAIL B', 'city', 'St Marys, PA', '42', NULL, NULL), "
        "('JAIL C', 'city', NULL, '42', NULL, NULL)) "
        "t(facility_name, jurisdiction_type, jurisdiction_name, state_fips, county_fips, "
        "place_fips)"
    )
    got = con.execute(
        f"SELECT DISTINCT jurisdiction_id, jurisdiction_name, jurisdiction_display_name "
        f"FROM ({named_attribution_sql('fa')}) WHERE facility_name <> 'JAIL C'"
    ).fetchall()
    assert got == [("city:42:st-marys-pa", "St Marys, PA", "St Marys, PA")]


def test_a_new_spelling_that_renames_an_old_id_rebuilds_whole(
    files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later source bringing "ZZQ (HOLDING)" (less than "ZZQ HOLDING") changes the name of rows
    stored before: the ingest derives whole, and the tables equal a whole rebuild."""
    calls: list[bool] = []
    extend = incremental.extend
    monkeypatch.setattr(incremental, "extend", lambda con, b: (calls.append(True), extend(con, b)))
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", files["a"]).exit_code == 0
    assert run(db, "ingest", "--quiet", files["c"]).exit_code == 0
    assert not calls
    con = duckdb.connect(str(db))
    try:
        stored = con.execute(
            "SELECT DISTINCT jurisdiction_display_name FROM detainer_facts_stored "
            "WHERE jurisdiction_id = ?",
            [JID],
        ).fetchall()
        assert stored == [("unresolved: ZZQ (HOLDING)",)]
        tables = ("detainer_facts_stored", "detainer_facts_summary", "detainer_facts_summary_year")
        before = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        con.execute("BEGIN")
        facts.materialize(con)
        summary.materialize(con)
        after = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
        con.execute("ROLLBACK")
        assert before == after
    finally:
        con.close()
    # A source whose spellings leave the names as they are is still appended.
    db2 = tmp_path / "s2.duckdb"
    assert run(db2, "ingest", "--quiet", files["c"]).exit_code == 0
    calls.clear()
    assert run(db2, "ingest", "--quiet", files["a"]).exit_code == 0
    assert calls == [True]


CITY = "city:42:zzq-holding-pa"


@pytest.fixture(scope="module")
def city_store(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store with the two facilities attributed to a city without a place code, spelled
    two ways ("Zzq Holding, PA" the one with most detainers and the only one in the weekly
    period; "ZZQ Holding, PA" the least), the derived tables made again."""
    db = tmp_path_factory.mktemp("one_name_city") / "s.duckdb"
    shutil.copy(store, db)
    con = duckdb.connect(str(db))
    try:
        con.execute("BEGIN")
        con.execute(
            "UPDATE facility_attribution SET jurisdiction_type = 'city', needs_review = false, "
            "jurisdiction_name = CASE facility_name WHEN 'ZZQ HOLDING' THEN 'ZZQ Holding, PA' "
            "ELSE 'Zzq Holding, PA' END WHERE facility_name LIKE 'ZZQ%'"
        )
        facts.materialize(con)
        summary.materialize(con)
        incremental.stamp(con)
        con.execute("COMMIT")
    finally:
        con.close()
    return db


def test_a_city_of_two_spellings_in_the_audit_and_the_report(
    city_store: Path, tmp_path: Path
) -> None:
    from detainerwatch.publish import queries

    listed = Path(__file__).resolve().parents[1] / "src/detainerwatch/data/lists"
    audit = tmp_path / "audit"
    csv_list = listed / "doj_sanctuary_jurisdictions_2025-08-05.csv"
    result = run(city_store, "audit", csv_list, "--out", audit)
    assert result.exit_code == 0, result.output
    data = json.loads((audit / "audit.json").read_text())
    named = {c["name"] for c in data["converse"] + data["converse_isolated"] if c["id"] == CITY}
    assert named == {"ZZQ Holding, PA"}
    con = _read(city_store)
    try:
        facts.register(con)
        practices = queries.local_practices(
            con, dt.date(2024, 3, 16), dt.date(2024, 3, 22), dt.date(2024, 3, 16), ["declined"]
        )
        assert {p.name for p in practices if p.id == CITY} == {"ZZQ Holding, PA"}
    finally:
        con.close()
    result = run(city_store, "report", "--week", WEEK, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert {j["name"] for j in data["jurisdictions"] if j["id"] == CITY} == {"ZZQ Holding, PA"}
    assert {f["jurisdiction"] for f in data["facilities"] if f["jurisdiction_id"] == CITY} == {
        "ZZQ Holding, PA"
    }


def test_either_spelling_of_a_city_without_a_place_code_scopes_all_its_rows(
    city_store: Path,
) -> None:
    """A profile or an audit entry of such a city (publish/queries/base.py of_city_named) finds
    every row of its id by either spelling, not only the rows whose stored name it matches."""
    from detainerwatch.publish import queries

    con = _read(city_store)
    try:
        facts.register(con)
        everything = queries.count(con, queries.of_jurisdictions([CITY]))
        assert everything > 0
        for spelling in ("ZZQ Holding, PA", "Zzq Holding, PA", "ZZQ-Holding, PA"):
            assert queries.count(con, queries.of_city_named("42", spelling)) == everything
        assert queries.count(con, queries.of_city_named("41", "ZZQ Holding, PA")) == 0
    finally:
        con.close()
