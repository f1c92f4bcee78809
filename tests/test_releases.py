"""Releases reconciled: each day counted from one release, one release alone on request, and
what changed between two releases. Checked against the generated rows, never the library."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter

import duckdb
import pytest

from conftest import run
from release_fixtures import A_PERIOD, B_PERIOD, Rows, outcome, write_release
from release_fixtures import two_releases as make_two_releases

DAY = dt.timedelta(days=1)
PERSON_VALUES = ("MEXICO", "GUATEMALA", "HONDURAS", "Female", "Convicted", "Pending")


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("two-releases")
    plan = make_two_releases(tmp)
    db = tmp / "s.duckdb"
    result = run(db, "ingest", "--quiet", plan["a_file"], plan["b_file"])
    assert result.exit_code == 0, result.output
    plan["db"] = db
    plan["tmp"] = tmp
    return plan


def _report(db, out, *args):
    result = run(db, "report", "--out", out, *args)
    assert result.exit_code == 0, result.output
    return json.loads((out / "report.json").read_text()), result.output


def _by_rule(releases: list[tuple[str, tuple[dt.date, dt.date], list[dict]]]) -> list[dict]:
    """The precedence rule, done again: each day from the newest release covering it (newest =
    latest end of period), else from the newest with rows that day."""
    newest = sorted(releases, key=lambda r: r[1][1], reverse=True)
    days = {r["prepare_date"] for _, _, rows in releases for r in rows}
    days |= {p[0] + DAY * i for _, p, _ in releases for i in range((p[1] - p[0]).days + 1)}
    counted = []
    for day in sorted(days):
        pick = next((r for r in newest if r[1][0] <= day <= r[1][1]), None) or next(
            (r for r in newest if any(x["prepare_date"] == day for x in r[2])), None
        )
        counted += [x for x in pick[2] if x["prepare_date"] == day]
    return counted


def test_two_releases_load_and_each_day_is_counted_once(two, tmp_path):
    report, output = _report(two["db"], tmp_path / "all", "--all")
    expected = _by_rule(
        [("ice-2025", A_PERIOD, two["a_rows"]), ("ice-2026-03", B_PERIOD, two["b_rows"])]
    )
    naive = len(two["a_rows"]) + len(two["b_rows"])
    assert report["totals"]["issued"] == len(expected) == len(two["b_rows"]) < naive
    assert report["totals"]["declined"] == sum(outcome(r) == "declined" for r in expected)
    assert report["totals"]["open"] == sum(outcome(r) == "open" for r in expected)
    # Both releases named with their periods: the one counted, and the one it supersedes.
    assert "ice-2026-03 (2023-08-01 to 2025-10-31)" in output
    assert "ice-2025 (2023-10-01 to 2025-03-31)" in output
    used = {r["release"]: r for r in report["releases_counted"]["releases"]}
    assert used["ice-2026-03"]["used"] and not used["ice-2025"]["used"]
    assert used["ice-2025"]["covers"] == [{"from": "2023-10-01", "to": "2025-03-31"}]
    assert {r["release"] for r in report["fidelity"]["releases"]} == {"ice-2026-03"}


def test_releases_lists_periods_rows_layouts_and_days_supplied(two):
    result = run(two["db"], "releases", "--format", "json")
    assert result.exit_code == 0, result.output
    found = {r["release"]: r for r in json.loads(result.output)}
    a, b = found["ice-2025"], found["ice-2026-03"]
    assert a["covers"] == [{"from": "2023-10-01", "to": "2025-03-31"}]
    assert b["covers"] == [{"from": "2023-08-01", "to": "2025-10-31"}]
    assert (a["rows"], b["rows"]) == (len(two["a_rows"]), len(two["b_rows"]))
    assert (a["layouts"], b["layouts"]) == (["ice_detainers_2025"], ["ice_detainers_2026"])
    assert a["whole"] and b["whole"] and a["days_supplied"] == 0
    assert a["warnings"] == b["warnings"] == []
    assert b["days_supplied"] == (B_PERIOD[1] - B_PERIOD[0]).days + 1
    assert b["rows_supplied"] == len(two["b_rows"])
    table = run(two["db"], "releases")
    assert table.exit_code == 0 and "superseded" in table.output


def test_report_of_the_older_release_reproduces_its_own_counts(two, tmp_path):
    report, output = _report(two["db"], tmp_path / "old", "--all", "--release", "ice-2025")
    counts = Counter(outcome(r) for r in two["a_rows"])
    assert report["totals"]["issued"] == len(two["a_rows"])
    for name in ("declined", "booked", "open"):
        assert report["totals"][name] == counts[name], name
    assert report["period"]["start"] == "2023-10-01" and report["period"]["end"] == "2025-03-31"
    assert "Counted from ice-2025 (2023-10-01 to 2025-03-31)" in output
    # And the newer one alone over the same period: the planted changes and nothing else.
    newer, _ = _report(
        two["db"],
        tmp_path / "new",
        "--from",
        "2023-10-01",
        "--to",
        "2025-03-31",
        "--release",
        "ice-2026-03",
    )
    assert newer["totals"]["issued"] == len(two["a_rows"]) - len(two["removed"]) + len(two["added"])


def test_diff_reports_exactly_the_planted_changes(two, tmp_path):
    out = tmp_path / "diff"
    result = run(two["db"], "diff", "ice-2025", "ice-2026-03", "--out", out)
    assert result.exit_code == 0, result.output
    d = json.loads((out / "diff.json").read_text())
    assert d["common_period"] == [{"from": "2023-10-01", "to": "2025-03-31"}]
    moved = {(m["outcome_in_a"], m["outcome_in_b"]): m["detainers"] for m in d["moved"]}
    assert moved == {("open", "declined"): two["to_declined"], ("open", "booked"): two["to_booked"]}
    assert two["to_declined"] + two["to_booked"] == round(0.05 * two["common_rows"])
    m = d["match"]
    assert (m["only_in_a"], m["only_in_b"]) == (len(two["removed"]), len(two["added"]))
    assert m["matched"] == len(two["a_rows"]) - len(two["removed"])
    assert m["match_rate_a"] == round(m["matched"] / len(two["a_rows"]), 4)
    assert "prepare_date" in m["key_fields"] and "person_id" not in m["key_fields"]
    t = d["totals"]
    assert t["a_issued"] == len(two["a_rows"])
    assert t["issued_difference"] == len(two["added"]) - len(two["removed"])
    added_declined = sum(outcome(r) == "declined" for r in two["added"])
    removed_declined = sum(outcome(r) == "declined" for r in two["removed"])
    assert t["declined_difference"] == two["to_declined"] + added_declined - removed_declined
    # Per jurisdiction and month, summed by month, against the rows themselves.
    by_month = Counter()
    for row in d["jurisdiction_months"]:
        by_month[row["month"], "a"] += row["a_issued"]
        by_month[row["month"], "b"] += row["b_issued"]
        by_month[row["month"], "moved"] += row["moved_open_to_declined"]
    b_common = [r for r in two["b_rows"] if A_PERIOD[0] <= r["prepare_date"] <= A_PERIOD[1]]
    for side, rows in (("a", two["a_rows"]), ("b", b_common)):
        assert {k[0]: v for k, v in by_month.items() if k[1] == side} == dict(
            Counter(f"{r['prepare_date']:%Y-%m}" for r in rows)
        )
    assert sum(v for k, v in by_month.items() if k[1] == "moved") == two["to_declined"]
    # Page, CSV and JSON; counts of detainers only, no person attribute anywhere.
    html = (out / "index.html").read_text()
    csv_text = (out / "jurisdiction_months.csv").read_text()
    assert "open" in (out / "moved.csv").read_text() and "ice-2026-03" in html
    for text in (html, csv_text, json.dumps(d)):
        assert not any(v in text for v in PERSON_VALUES)


def test_diff_needs_two_releases_with_a_common_period(two, pa_store):
    result = run(two["db"], "diff", "ice-2025", "ice-2099")
    assert (
        result.exit_code == 2 and "ice-2099" in result.output and "Traceback" not in result.output
    )
    result = run(two["db"], "diff", "ice-2025", "ice-2025")
    assert result.exit_code == 2
    result = run(pa_store, "diff", "ice-fy2008-2015", "ice-2025")
    assert result.exit_code == 2 and "1 release" in result.output
    result = run(two["db"], "report", "--all", "--release", "ice-2099")
    assert result.exit_code == 2 and "no such release" in result.output


def test_profile_takes_a_release(two, tmp_path):
    report, _ = _report(two["db"], tmp_path / "old", "--all", "--release", "ice-2025")
    target = next(j for j in report["jurisdictions"] if j["issued"])
    name = target["name"]
    result = run(two["db"], "profile", name, "--release", "ice-2025")
    assert result.exit_code == 0, result.output
    assert f"{target['issued']:,} detainers issued" in result.output
    assert "Counted from ice-2025" in result.output


def test_facts_computed_live_agree_with_the_stored_facts(two, tmp_path, monkeypatch):
    """A store whose stored facts and segments are stale computes both on the connection."""
    from detainerwatch.derive import facts, releases

    copy = tmp_path / "copy.duckdb"
    shutil.copy(two["db"], copy)
    con = duckdb.connect(str(copy))
    con.execute("DELETE FROM meta WHERE key IN ('facts_hand_hash', 'release_segments_state')")
    con.execute("DELETE FROM release_segments")
    facts.register(con)
    live = con.execute("SELECT release, count(*) FROM detainer_facts GROUP BY 1").fetchall()
    assert live == [("ice-2026-03", len(two["b_rows"]))]
    releases.use_release(con, "ice-2025")
    facts.register(con)
    assert con.execute("SELECT count(*) FROM detainer_facts").fetchall()[0][0] == len(two["a_rows"])
    releases.use_release(con, None)
    facts.register(con)
    assert con.execute("SELECT count(*) FROM detainer_facts").fetchall()[0][0] == len(two["b_rows"])
    con.close()


def test_releases_meeting_at_a_seam_count_each_detainer_once(tmp_path):
    """Two deliveries in one layout (their preambles name different requests) overlapping by
    five days: the detainers of those days are in both and counted once, from the newer; a row
    the older one holds after its stated end is not counted; a row before every stated period
    is (nothing lost)."""
    gen = Rows(7)
    old_period = (dt.date(2023, 1, 1), dt.date(2023, 10, 5))
    new_period = (dt.date(2023, 10, 1), dt.date(2024, 1, 31))
    old = gen.days(*old_period, 2)
    seam = [r for r in old if r["prepare_date"] >= new_period[0]]
    stray_late, stray_early = gen.row(dt.date(2023, 10, 7)), gen.row(dt.date(2022, 12, 30))
    new = [dict(r, person_id=r["person_id"][::-1]) for r in seam]
    new += gen.days(dt.date(2023, 10, 6), new_period[1], 2)
    write_release(
        tmp_path / "old.xlsx",
        "2026",
        old + [stray_late, stray_early],
        *old_period,
        title="2026-ICLI-00005 Detainers",
    )
    write_release(
        tmp_path / "new.xlsx",
        "2026",
        new,
        *new_period,
        title="2026-ICLI-00123 Detainers (second delivery)",
    )
    db = tmp_path / "s.duckdb"
    assert run(db, "ingest", "--quiet", tmp_path / "old.xlsx", tmp_path / "new.xlsx").exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT DISTINCT release FROM detainers ORDER BY 1").fetchall() == [
        ("ice-2026-03",),
        ("ice-2026-icli-00123",),
    ]
    assert con.execute(
        "SELECT release, day_from, day_to, basis FROM release_segments ORDER BY day_from"
    ).fetchall() == [
        (
            "ice-2026-03",
            dt.date(2022, 12, 30),
            dt.date(2022, 12, 30),
            "rows outside every release's stated period: newest release with rows that day",
        ),
        (
            "ice-2026-03",
            dt.date(2023, 1, 1),
            dt.date(2023, 9, 30),
            "newest whole release covering the day",
        ),
        (
            "ice-2026-icli-00123",
            dt.date(2023, 10, 1),
            dt.date(2024, 1, 31),
            "newest whole release covering the day",
        ),
    ]
    con.close()
    report, _ = _report(db, tmp_path / "all", "--all")
    expected = _by_rule(
        [
            ("ice-2026-03", old_period, old + [stray_late, stray_early]),
            ("ice-2026-icli-00123", new_period, new),
        ]
    )
    assert report["totals"]["issued"] == len(expected) == len(old) - len(seam) + 1 + len(new)
    assert len(seam) == 10
    # The older delivery alone still holds its seam days and its strays.
    alone, _ = _report(db, tmp_path / "old", "--all", "--release", "ice-2026-03")
    assert alone["totals"]["issued"] == len(old) + 2


def test_the_pa_extract_alone_is_one_release_that_supplies_every_day(pa_store):
    result = run(pa_store, "releases", "--format", "json")
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.output)
    assert only["release"] == "ice-fy2008-2015" and only["rows"] == only["rows_supplied"] == 32757
    assert not only["whole"] and only["covers"] == [{"from": "2007-10-02", "to": "2015-07-18"}]
    con = duckdb.connect(str(pa_store), read_only=True)
    assert con.execute("SELECT count(*) FROM detainer_facts_stored").fetchall()[0][0] == 32757


def test_preamble_names_the_request_the_period_and_the_fiscal_year():
    from detainerwatch.sources import preamble as pre

    text = (
        "ERO-LESA\n2026-ICLI-00005 Detainers FY2023 - FY2026\n\nDetainers: 10/01/2025 - 03/10/2026"
    )
    assert pre.request_number(text) == "2026-ICLI-00005"
    assert pre.date_range(text) == (dt.date(2025, 10, 1), dt.date(2026, 3, 10))
    assert pre.date_range("Detainers 2023-08-01 to 2025-10-31") == (
        dt.date(2023, 8, 1),
        dt.date(2025, 10, 31),
    )
    assert pre.fiscal_year("FY2026 (2)") == (dt.date(2025, 10, 1), dt.date(2026, 9, 30))
    assert pre.fiscal_year("Footnotes") is None
    assert pre.file_stamp("2026-ICLI-00005_Detainers_FY26_20260311_Redacted.xlsx") == dt.date(
        2026, 3, 11
    )
    assert pre.default_release_tag(["2026-ICLI-00005 Detainers"], "x") == "ice-2026-03"
    assert pre.default_release_tag(["2026-ICLI-00077 Detainers"], "x") == "ice-2026-icli-00077"
    assert pre.default_release_tag(["Detainers FY2026"], "ice-2026-03") == "ice-2026-03"


def test_a_whole_file_of_a_release_wins_over_a_filtered_subset_of_it(pa_store, tmp_path):
    """The PA extract (a subset) and a whole file under the same release tag: where the whole
    file covers a day, only its rows count; elsewhere the extract's rows still do."""
    db = tmp_path / "s.duckdb"
    shutil.copy(pa_store, db)
    period = (dt.date(2013, 1, 1), dt.date(2013, 3, 31))
    whole = Rows(3).days(*period, 1)
    write_release(tmp_path / "whole.xlsx", "2026", whole, *period, title="Detainers (whole)")
    result = run(db, "ingest", "--quiet", "--release", "ice-fy2008-2015", tmp_path / "whole.xlsx")
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    pa_in_period = con.execute(
        "SELECT count(*) FROM detainers WHERE source_file = 'pa_detainers.csv' AND "
        "prepare_date::DATE BETWEEN ? AND ?",
        list(period),
    ).fetchall()[0][0]
    assert pa_in_period > 0
    stored = con.execute(
        "SELECT source_file, count(*) FROM detainer_facts_stored GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert stored == [("pa_detainers.csv", 32757 - pa_in_period), ("whole.xlsx", len(whole))]
    con.close()


def test_two_whole_files_of_one_release_holding_the_same_weeks_are_pointed_out():
    from detainerwatch.derive.releases import _overlapping_files

    def c(sid, name, a, b):
        return {"source_id": sid, "file_name": name, "whole": True, "rows_from": a, "rows_to": b}

    fiscal_years = [
        c(1, "fy23.xlsx", dt.date(2022, 10, 1), dt.date(2023, 9, 30)),
        c(2, "fy24.xlsx", dt.date(2023, 10, 1), dt.date(2024, 9, 30)),
    ]
    assert _overlapping_files(fiscal_years) == []
    again = fiscal_years + [c(3, "redelivery.xlsx", dt.date(2023, 8, 1), dt.date(2025, 1, 31))]
    warnings = _overlapping_files(again)
    assert len(warnings) == 2 and "--release" in warnings[0]


def test_answers_kept_per_connection_are_the_stores(two, tmp_path):
    """releases.sources_count is kept only for a connection opened read-only (nothing can add
    a source while it is open); releases.override is kept as use_release set it. Both answer
    as asking the store does."""
    from detainerwatch.derive import releases

    copy = tmp_path / "copy.duckdb"
    shutil.copy(two["db"], copy)
    asked = "SELECT count(*), max(source_id) FROM sources"
    con = duckdb.connect(str(copy))
    first = releases.sources_count(con)
    assert first == con.execute(asked).fetchall()[0] and con not in releases._SOURCES
    con.execute("CREATE TEMP TABLE dw_probe AS SELECT * FROM sources LIMIT 1")
    con.execute("UPDATE dw_probe SET source_id = source_id + 1000, sha256 = 'probe'")
    con.execute("INSERT INTO sources SELECT * FROM dw_probe")  # a writable store changes
    assert releases.sources_count(con) == con.execute(asked).fetchall()[0] != first
    assert releases.override(con) is None  # asked of the catalog: no table
    assert con in releases._ALONE  # kept: only use_release makes the table, and says so
    releases.use_release(con, "ice-2025")
    assert con in releases._ALONE and releases.override(con) == "ice-2025"
    assert con.execute("SELECT release FROM dw_release_override").fetchall() == [("ice-2025",)]
    with pytest.raises(Exception, match="no such release"):
        releases.use_release(con, "no-such")
    assert releases.override(con) is None  # the table was made again, empty
    assert con.execute("SELECT count(*) FROM dw_release_override").fetchall() == [(0,)]
    con.close()
    ro = duckdb.connect(str(copy), read_only=True)
    assert releases.sources_count(ro) == ro.execute(asked).fetchall()[0]
    assert ro in releases._SOURCES
    cur = ro.cursor()  # a connection of its own: asks for itself
    assert cur not in releases._SOURCES and releases.override(cur) is None
    ro.close()
