"""The Declined Detainer Outcome Report: numbers from the store, checked independently."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from conftest import PA_EXTRACT, run
from detainerwatch.handfiles import read_csv
from detainerwatch.synth import synthesize

OUTCOME_OF = {
    r["lift_reason"].strip().lower(): r["outcome_class"] for r in read_csv("lift_reasons.csv")
}
OUTCOMES = [
    "booked",
    "declined",
    "released",
    "withdrawn",
    "transferred",
    "died",
    "wrongly_issued",
    "open",
]


@pytest.fixture(scope="module")
def pa_report(pa_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("pa-report")
    result = run(pa_store, "report", "--all", "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_facilities_csv_matches_an_independent_tabulation_of_the_extract(pa_report):
    expected = Counter()
    with open(PA_EXTRACT, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            outcome = OUTCOME_OF[r["lift_reason"].strip().lower()]
            expected[(r["det_facility"], r["city"], outcome)] += 1
    # Published cells equal the independent count; deaths are folded into releases at facility
    # grain and cells of people the disclosure rules protect are "<5" (1-4) or withheld ("x").
    expected_rows = Counter()
    for (facility, city, outcome), n in expected.items():
        expected_rows[(facility, city, "released" if outcome == "died" else outcome)] += n
    with open(pa_report / "facilities.csv", newline="", encoding="utf-8") as fh:
        assert fh.readline().startswith("# coverage: Pennsylvania, 2007-10-02 to 2015-07-18")
        rows = list(csv.DictReader(fh))
    published = 0
    for r in rows:
        assert r["died"] == "x"
        for o in OUTCOMES:
            if o == "died":
                continue
            want = expected_rows[(r["facility"], r["city"], o)]
            if r[o] == "<5":
                assert 1 <= want <= 4
            elif r[o] != "x":
                assert int(r[o]) == want, (r["facility"], o)
                published += 1
        if r["issued"] not in ("<5", "x") and all(
            r[o] not in ("<5", "x") for o in OUTCOMES if o != "died"
        ):
            assert sum(int(r[o]) for o in OUTCOMES if o != "died") == int(r["issued"])
    assert published > 0.9 * len(rows) * (len(OUTCOMES) - 1)
    franklin = [r for r in rows if r["facility"] == "FRANKLIN COUNTY JAIL"]
    assert len(franklin) == 1
    assert (franklin[0]["state"], franklin[0]["county_fips"], franklin[0]["issued"]) == (
        "PA",
        "42055",
        "397",
    )


def test_key_figures_recomputed_with_independent_sql(pa_store, pa_report):
    report = json.loads((pa_report / "report.json").read_text())
    con = duckdb.connect(str(pa_store), read_only=True)
    issued, declined, booked, open_ = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE lift_reason = 'Detainer Declined by LEA'),
               count(*) FILTER (WHERE lift_reason = 'Booked into Detention'),
               count(*) FILTER (WHERE lift_reason IS NULL) FROM detainers""").fetchone()
    t = report["totals"]
    assert (t["issued"], t["declined"], t["booked"], t["open"]) == (issued, declined, booked, open_)
    assert declined == 225
    # Philadelphia: city police districts and the city's prisons, one government.
    philly = con.execute("""
        SELECT count(*) FILTER (WHERE d.lift_reason = 'Detainer Declined by LEA') FROM detainers d
        JOIN facility_attribution a USING (facility_name, facility_city, facility_state)
        WHERE a.place_fips = '4260000'""").fetchone()[0]
    row = next(j for j in report["jurisdictions"] if j["id"] == "city:4260000")
    assert row["declined"] == philly
    # Declines of county, city and state governments are always published; a federal, private
    # or unresolved row's may be withheld ("x") so that a protected cell cannot be worked out.
    assert all(isinstance(j["declined"], int) for j in report["jurisdictions"])
    shown = [j["declined"] for j in report["jurisdictions"] + report["other_custody"]]
    assert sum(v for v in shown if isinstance(v, int)) <= declined
    if all(isinstance(v, int) for v in shown):
        assert sum(shown) == declined


def test_transfers_and_withdrawals_are_not_declines(pa_report):
    report = json.loads((pa_report / "report.json").read_text())
    assert report["totals"]["transferred"] > 0 and report["totals"]["withdrawn"] > 0
    assert report["totals"]["declined"] == 225


def test_federal_and_private_custody_are_apart(pa_report):
    report = json.loads((pa_report / "report.json").read_text())
    kinds = {j["jurisdiction_type"] for j in report["jurisdictions"]}
    other = {j["jurisdiction_type"] for j in report["other_custody"]}
    assert kinds <= {"county", "city", "state"} and {"federal", "private"} <= other


def test_default_period_is_the_latest_full_week(pa_store, tmp_path):
    result = run(pa_store, "report", "--out", tmp_path)
    assert result.exit_code == 0
    period = json.loads((tmp_path / "report.json").read_text())["period"]
    assert (period["start"], period["end"]) == (
        "2015-07-11",
        "2015-07-17",
    )  # Sat-Fri; data end Sat 07-18


def test_bad_period_and_state(pa_store, tmp_path):
    assert (
        run(
            pa_store, "report", "--from", "2015-01-01", "--to", "2014-01-01", "--out", tmp_path
        ).exit_code
        == 2
    )
    assert run(pa_store, "report", "--all", "--state", "ZZ", "--out", tmp_path).exit_code == 2
    assert run(pa_store, "report", "--week", "yesterday", "--out", tmp_path).exit_code == 2


def test_unmapped_lift_reason_fails_at_ingest_or_is_shown_unclassified(tmp_path):
    """Issue 17 item 3: a new lift reason stops the ingest that brought it, with its location;
    with --accept-unmapped it is stored, listed in the load report, and reports show it as
    unclassified with a warning instead of failing."""
    path = tmp_path / "odd.csv"
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)[:30]
    assert "Case Closed" in lines[1]
    lines[1] = lines[1].replace("Case Closed", "Beamed Up", 1)
    path.write_text("".join(lines))
    db = tmp_path / "s.duckdb"
    result = run(db, "ingest", "--quiet", path)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "odd.csv, row 2, column 'lift_reason'" in result.stderr
    assert "'Beamed Up'" in result.stderr and "lift_reasons.csv" in result.stderr
    assert not db.exists()  # a failed first ingest leaves no store behind
    result = run(db, "ingest", "--accept-unmapped", path)
    assert result.exit_code == 0
    assert (
        "unmapped (accepted, shown as unclassified): lift_reason = 'Beamed Up': 1 rows"
        in result.output
    )
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT row_number, field, raw_value FROM load_anomalies").fetchall() == [
        (2, "lift_reason", "Beamed Up")
    ]
    con.close()
    result = run(db, "report", "--all", "--out", tmp_path / "r")
    assert result.exit_code == 0, result.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    warning = report["fidelity"]["notes"][0]
    assert "'Beamed Up'" in warning and '"unclassified"' in warning
    assert "Beamed Up" in (tmp_path / "r" / "index.html").read_text()


def test_unmapped_values_read_from_the_ingest_value_counts_equal_a_scan(pa_store, tmp_path):
    """The check for values the hand tables do not map reads the value counts the ingest made
    (store/schema.py VALUE_COUNTS) while they were made from the sources in the store, and
    answers as a scan of every detainer does, here with most lift reasons and types unmapped."""
    from detainerwatch.derive import facts

    db = tmp_path / "s.duckdb"
    db.write_bytes(pa_store.read_bytes())
    con = duckdb.connect(str(db))
    facts.register(con)
    assert facts._value_counts_current(con)
    con.execute("DELETE FROM dw_lift WHERE lift_key < 'm'")
    con.execute("DELETE FROM dw_types WHERE type_key > 'f'")
    for column, lookup, key in (
        ("lift_reason", "dw_lift", "lift_key"),
        ("detainer_type", "dw_types", "type_key"),
    ):
        counted = facts._unmapped(con, column, lookup, key, counted=True)
        assert counted and counted == facts._unmapped(con, column, lookup, key)
    # a source added after the counts were made: they are no longer current, the check scans
    con.execute(
        "INSERT INTO sources (source_id, file_name, sha256, kind, layout, release, sheets, "
        "rows_in, rows_out, preamble, ingested_at, tool_version) SELECT max(source_id) + 1, "
        "'x.csv', repeat('1', 64), 'detainers', 'x', 'x', 1, 0, 0, '', now()::TIMESTAMP, 't' "
        "FROM sources"
    )
    assert not facts._value_counts_current(con)
    con.close()


@pytest.fixture(scope="module")
def synthetic_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synth-report")
    path = folder / "s.xlsx"
    synthesize("2026", 20_000, path, seed=3)
    db = folder / "s.duckdb"
    assert run(db, "ingest", "--quiet", path).exit_code == 0
    out = folder / "report"
    result = run(db, "report", "--from", "2022-10-01", "--to", "2026-03-10", "--out", out)
    assert result.exit_code == 0, result.output
    profile = folder / "profile"
    top = json.loads((out / "report.json").read_text())["jurisdictions"][0]["id"]
    code = top.split(":")[1]
    assert run(db, "profile", code, "--out", profile).exit_code == 0
    return db, out, profile


def test_every_section_is_populated_on_a_synthetic_2026_workbook(synthetic_report):
    _, out, _ = synthetic_report
    report = json.loads((out / "report.json").read_text())
    assert report["jurisdictions"] and report["declined"]["by_jurisdiction"]
    assert any(p["instruments"] for p in report["policy"])
    assert report["fidelity"]["releases"] and report["trend"] and report["map"]
    assert report["totals"]["excluded_likely_duplicates"] > 0
    html = (out / "index.html").read_text()
    for section in ("section-1", "section-2", "section-3", "section-4"):
        assert f'id="{section}"' in html
    assert html.count("<svg") >= 2
    for name in (
        "index.html",
        "jurisdictions.csv",
        "facilities.csv",
        "report.json",
        "trend.png",
        "map.png",
    ):
        assert (out / name).stat().st_size > 0


def _bracket(cells):
    """(low, high) of a sum whose "<5" cells are each 1-4."""
    ints = sum(v for v in cells if isinstance(v, int))
    small = sum(1 for v in cells if v == "<5")
    return ints + small, (ints + 4 * small if "x" not in cells else float("inf"))


def test_criminal_history_mix_sums_to_the_declined_total(synthetic_report):
    db, out, _ = synthetic_report
    report = json.loads((out / "report.json").read_text())
    declined = report["declined"]
    assert declined["total"] == report["totals"]["declined"] > 100
    tiers = [declined["mix"][t] for t in declined["tiers"]]
    low, high = _bracket(tiers)
    assert low <= declined["total"] <= high
    crim = [
        declined["mix"][k]
        for k in ("convicted", "pending_charges", "no_conviction", "criminality_not_recorded")
    ]
    low, high = _bracket(crim)
    assert low <= declined["total"] <= high
    for row in declined["by_jurisdiction"]:
        low, high = _bracket([row["mix"][t] for t in declined["tiers"]])
        assert low <= row["declined"] <= high, row
    # Unsuppressed, from the store: the tiers partition the declined detainers exactly.
    from detainerwatch.derive import facts

    con = duckdb.connect(str(db), read_only=True)
    facts.register(con)
    by_tier = dict(
        con.execute(
            "SELECT tier, count(*) FROM detainer_facts WHERE outcome = 'declined' AND NOT likely_duplicate "
            "AND issued BETWEEN '2022-10-01' AND '2026-03-10' GROUP BY 1"
        ).fetchall()
    )
    assert sum(by_tier.values()) == declined["total"]
    assert set(by_tier) <= set(declined["tiers"])
    for tier, n in by_tier.items():
        # "x": withheld so that no "<5" beside it can be worked out (publish.disclosure)
        assert declined["mix"][tier] in ((n if n >= 5 else "<5"), "x")


IDENTIFIER_COLUMNS = [
    "person_id",
    "alien_file_number",
    "eid_case_id",
    "eid_subject_id",
    "eid_dta_id",
]


def _outputs(*folders):
    for folder in folders:
        for path in Path(folder).iterdir():
            if path.suffix in (".html", ".csv", ".json"):
                yield path


def test_privacy_no_identifier_no_person_row_no_small_cell(synthetic_report, pa_report):
    db, out, profile = synthetic_report
    con = duckdb.connect(str(db), read_only=True)
    ids = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT person_id FROM detainers WHERE person_id IS NOT NULL"
        ).fetchall()
    }
    births = {
        r[0].strftime("%m/%d/%Y")
        for r in con.execute(
            "SELECT DISTINCT birth_date FROM detainers WHERE birth_date IS NOT NULL"
        ).fetchall()
    }
    assert len(ids) > 1000
    for path in _outputs(out, profile, pa_report):
        text = path.read_text(encoding="utf-8")
        tokens = set(re.findall(r"[0-9a-f]{12}", text))
        assert not (tokens & ids), f"{path.name} contains a person identifier"
        for column in IDENTIFIER_COLUMNS + ["birth_date", "row_number"]:
            assert column not in text, f"{path.name} names {column}"
        assert not any(b in text for b in list(births)[:2000]), f"{path.name} has a birth date"
    # Person-attribute cross-tabs: no published cell of 1-4.
    for path in (out / "report.json", pa_report / "report.json"):
        declined = json.loads(path.read_text())["declined"]
        for row in [declined["mix"], declined["issued_mix"]] + [
            d["mix"] for d in declined["by_jurisdiction"]
        ]:
            assert not any(isinstance(v, int) and 0 < v < 5 for v in row.values()), row


def test_html_report_opens_in_chromium_with_no_external_request(synthetic_report, tmp_path):
    from browser import CHROMIUM, Browser, external

    if not CHROMIUM:
        pytest.skip("Debian chromium is not installed (make test installs it)")
    _, out, _ = synthetic_report
    with Browser() as browser:
        browser.goto((out / "index.html").as_uri())
        title = browser.evaluate("document.title")
        sections = browser.evaluate("document.querySelectorAll('h2').length")
        svgs = browser.evaluate("document.querySelectorAll('figure svg').length")
        shot = browser.screenshot(tmp_path / "report.png")
        requests = list(browser.requests)
    # sections I-IV, V (methodology) and the methodology's own heading
    assert "Declined Detainer Outcome Report" in title and sections == 6 and svgs >= 2
    assert external(requests) == [] and all(r.startswith("file:") for r in requests), requests
    assert shot.stat().st_size > 10_000


def _worked_out(cells, total) -> bool:
    """Whether a reader can pin a "<5" cell (1-4) of cells summing to total; "x" is any value."""
    if "x" in cells:
        return False
    hidden = sum(1 for v in cells if v == "<5")
    rest = total - sum(v for v in cells if isinstance(v, int))
    if hidden == 0:
        return 0 < rest < 5
    return hidden == 1 or rest in (hidden, 4 * hidden)


def test_no_cell_of_fewer_than_5_can_be_worked_out_of_section_2(synthetic_report, tmp_path):
    db, _, _ = synthetic_report
    con = duckdb.connect(str(db), read_only=True)
    small = {
        r[0]
        for r in con.execute(
            "SELECT prepare_date::DATE FROM detainers WHERE lift_reason = 'Detainer Declined by LEA' "
            "AND prepare_date >= '2025-06-01' LIMIT 12"
        ).fetchall()
    }
    con.close()
    threat = ["threat_level_1", "threat_level_2", "threat_level_3", "threat_level_none"]
    checked = 0
    for n, day in enumerate(sorted(small)[:6]):
        out = tmp_path / f"w{n}"
        assert run(db, "report", "--week", day.isoformat(), "--out", out).exit_code == 0
        declined = json.loads((out / "report.json").read_text())["declined"]
        rows = declined["by_jurisdiction"]
        for row in rows:
            assert row["declined"] >= 5, row  # a row of 1-4 people would show each one's history
            for keys in (declined["tiers"], threat):
                assert not _worked_out([row["mix"][k] for k in keys], row["declined"]), row
            agg = row["mix"]["aggravated_felony"]
            assert not (isinstance(agg, int) and 0 < row["declined"] - agg < 5), row
        pooled = declined["pooled"]
        if pooled and pooled["mix"]:
            assert pooled["jurisdictions"] >= 2 and pooled["declined"] >= 5
        if declined["mix"] is None:
            assert pooled and not pooled["mix"]
        elif rows:
            everyone = rows + ([{"mix": pooled["mix"], "pool": True}] if pooled else [])
            for key in declined["row_keys"]:
                cells = [r["mix"][key] for r in everyone]
                total = declined["mix"][key]
                if "x" in cells or not isinstance(total, int):
                    continue
                listed_hidden = [r for r in rows if r["mix"][key] == "<5"]
                if listed_hidden:
                    assert not _worked_out(cells, total), (key, cells, total)
        checked += 1
    assert checked == 6


def test_declines_of_hold_and_notification_requests_are_counted_apart(synthetic_report):
    db, out, _ = synthetic_report
    report = json.loads((out / "report.json").read_text())
    con = duckdb.connect(str(db), read_only=True)
    from detainerwatch.derive import facts

    facts.register(con)
    expected = dict(
        con.execute(
            "SELECT request_kind, count(*) FROM detainer_facts WHERE outcome = 'declined' AND NOT "
            "likely_duplicate AND issued BETWEEN '2022-10-01' AND '2026-03-10' GROUP BY 1"
        ).fetchall()
    )
    t = report["totals"]
    assert t["declined_hold_requests"] == expected["hold"] > 0
    assert t["declined_notification_requests"] == expected["notification"] > 0
    with open(out / "jurisdictions.csv") as fh:
        assert fh.readline().startswith("# coverage:")
        rows = list(csv.DictReader(fh))
    # a federal, private or unresolved row whose declined count is withheld ("x", disclosure
    # rules) has its hold / notification split withheld with it
    shown = [r["declined_notification_requests"] for r in rows]
    assert sum(int(v) for v in shown if v != "x") <= expected["notification"]
    if "x" not in shown:
        assert sum(int(v) for v in shown) == expected["notification"]
    assert "hold / notification" in (out / "index.html").read_text()


def test_unresolved_facilities_are_not_called_other_governments(synthetic_report):
    _, out, _ = synthetic_report
    html = (out / "index.html").read_text()
    federal = html.index("Held by other governments")
    unresolved = html.index("Facilities not attributed to any government")
    assert "unresolved: " not in html[federal:unresolved]


def test_a_period_outside_the_store_says_so(pa_store, tmp_path):
    # A period wholly outside the store is "not covered", said plainly, with no table of zeros.
    result = run(pa_store, "report", "--from", "2030-01-01", "--out", tmp_path)
    assert result.exit_code == 0 and "not covered" in result.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["covered"] is False and "2007-10-02 to 2015-07-18" in report["not_covered"]
    assert "totals" not in report and "not covered" in result.output
    # partly outside: counted, with the note
    result = run(
        pa_store, "report", "--from", "2015-07-01", "--to", "2015-08-31", "--out", tmp_path / "p"
    )
    assert result.exit_code == 0 and "outside" in result.stderr
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    assert report["period"]["store_covers"] == ["2007-10-02", "2015-07-18"]
    assert "part of it lies outside" in report["fidelity"]["notes"][0]


def test_every_released_lift_reason_and_detainer_type_is_mapped():
    values = {}
    for r in read_csv("value_sets.csv"):
        values.setdefault(r["field"], set()).add(r["value"].strip().lower())
    lifts = set(OUTCOME_OF)
    types = {r["detainer_type"].strip().lower() for r in read_csv("detainer_types.csv")}
    assert values["lift_reason"] <= lifts, values["lift_reason"] - lifts
    assert values.get("detainer_type", set()) <= types, values.get("detainer_type", set()) - types


def test_weekly_trend_uses_the_ddor_saturday_to_friday_week(pa_store):
    from detainerwatch.publish.report import trend, week_of
    from detainerwatch.store import connect
    from detainerwatch.derive import facts

    con = connect(pa_store, read_only=True)
    facts.register(con)
    period = week_of(dt.date(2014, 6, 11))
    series = trend(con, period)
    assert len(series) == 1 and series[0]["period"] == period.start.isoformat()
    assert dt.date.fromisoformat(series[0]["period"]).weekday() == 5  # a Saturday
