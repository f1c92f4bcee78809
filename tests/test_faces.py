"""One presentation layer: the CLI, the web app and the static site show the same pages; the
store's coverage is said everywhere; the methodology comes from the hand files; downloads carry
no county code for a jurisdiction over several counties."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest

from conftest import run


@pytest.fixture(scope="module")
def pa_site(pa_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = run(pa_store, "publish", "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def web(pa_store):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from detainerwatch.web.app import create_app

    with TestClient(create_app(pa_store)) as client:
        yield client


def _tables_and_sections(html: str):
    """What a reader sees of a profile: section ids, every table's cells, the chart's text."""
    body = html[html.index("<h1>") :]
    sections = re.findall(r'<h2 id="([^"]+)"', body)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip()
        for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)
    ]
    figure = re.search(r"<figure>(.*?)</figure>", body, re.S).group(1)
    chart_text = re.findall(r"<text[^>]*>([^<]*)</text>", figure)
    paths = len(re.findall(r"<path", figure))
    return sections, cells, chart_text, paths


def test_philadelphia_is_the_same_in_the_cli_the_web_app_and_the_static_site(
    pa_store, pa_site, web, tmp_path
):
    assert run(pa_store, "profile", "Philadelphia, PA", "--out", tmp_path / "cli").exit_code == 0
    cli = (tmp_path / "cli" / "index.html").read_text(encoding="utf-8")
    app = web.get("/jurisdiction/city:4260000").text
    static = (pa_site / "jurisdiction" / "city:4260000" / "index.html").read_text(encoding="utf-8")
    a, b, c = (_tables_and_sections(x) for x in (cli, app, static))
    assert a[0] == b[0] == c[0] and {"by-year", "facilities", "policies", "evidence"} <= set(a[0])
    assert a[1] == b[1] == c[1] and len(a[1]) > 50
    assert a[2] == b[2] == c[2] and a[3] == b[3] == c[3] > 5
    data = json.loads((tmp_path / "cli" / "profile.json").read_text())
    assert web.get("/api/v1/jurisdictions/city:4260000").json()["totals"] == data["totals"]


def test_texas_is_not_covered_and_says_so(pa_store, tmp_path, web):
    result = run(pa_store, "report", "--state", "TX", "--all", "--out", tmp_path)
    assert result.exit_code == 0
    assert "Texas is not covered" in result.output and "Pennsylvania" in result.output
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "Texas is not covered" in html and 'id="section-1"' not in html
    assert not (tmp_path / "jurisdictions.csv").exists()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["covered"] is False and "totals" not in report
    page = web.get("/report?state=TX").text
    assert "Texas is not covered" in page and 'id="section-1"' not in page


def test_coverage_is_named_on_pages_csv_and_json(pa_store, tmp_path, web):
    assert run(pa_store, "report", "--week", "2012-05-20", "--out", tmp_path).exit_code == 0
    text = "Pennsylvania, 2007-10-02 to 2015-07-18, release ice-fy2008-2015"
    assert text in (tmp_path / "index.html").read_text()
    assert (tmp_path / "jurisdictions.csv").read_text().startswith(f"# coverage: {text}")
    assert json.loads((tmp_path / "report.json").read_text())["coverage"] == text
    totals = web.get("/api/v1/totals").json()
    assert totals["coverage"]["text"] == text and totals["coverage"]["national"] is False
    spec = web.get("/api/v1/openapi.json").json()
    assert "National" not in spec["paths"]["/api/v1/totals"]["get"]["summary"]
    assert text in web.get("/").text


def test_criminal_history_is_not_recorded_in_the_fy2008_2015_release(pa_store, tmp_path):
    assert run(pa_store, "report", "--all", "--out", tmp_path).exit_code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    mix = report["declined"]["mix"]
    assert mix["violent_or_sex"] == "not recorded" and mix["drugs"] == "not recorded"
    assert mix["aggravated_felony"] == "not recorded" and mix["threat_level_1"] == "not recorded"
    assert report["declined"]["issued_mix"]["violent_or_sex"] == "not recorded"
    assert "0 violent" not in (tmp_path / "index.html").read_text()


def test_the_national_map_draws_uncovered_states_as_no_data(web):
    home = web.get("/").text
    assert "no data (not covered)" in home


def test_methodology_in_every_face_from_the_hand_file(
    pa_store, pa_site, web, tmp_path, monkeypatch
):
    page = web.get("/methodology").text
    assert "Detainer Declined by LEA" in page and "United States Citizen Interviewed" in page
    assert (pa_site / "methodology" / "index.html").exists()
    assert run(pa_store, "report", "--week", "2012-05-20", "--out", tmp_path / "r").exit_code == 0
    assert 'id="section-methodology"' in (tmp_path / "r" / "index.html").read_text()
    # The lift-reason table is generated from hand/lift_reasons.csv: change the file, see the page change.
    from detainerwatch import handfiles
    from detainerwatch.publish import methodology

    hand = tmp_path / "hand"
    shutil.copytree(handfiles.HAND_DIR, hand)
    with open(hand / "lift_reasons.csv", "a", encoding="utf-8") as fh:
        fh.write("Beamed Up By Scotty,withdrawn,a test row\n")
    monkeypatch.setattr(handfiles, "HAND_DIR", hand)
    from detainerwatch.publish.output import render_methodology_html

    html = render_methodology_html()
    assert "Beamed Up By Scotty" in html
    assert any(r["lift_reason"] == "Beamed Up By Scotty" for r in methodology.lift_reasons())


def test_no_download_carries_a_county_code_for_a_multi_county_jurisdiction(
    pa_store, pa_site, tmp_path, web
):
    assert run(pa_store, "report", "--all", "--out", tmp_path).exit_code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    rows = report["jurisdictions"] + report["other_custody"]
    for j in rows:
        if j["jurisdiction_type"] not in ("county", "city"):
            assert j["county_fips"] is None, j
    bop = [j for j in rows if "Bureau of Prisons" in (j["name"] or "")]
    assert bop and bop[0]["county_fips"] is None
    lite = sqlite3.connect(pa_site / "detainerwatch.sqlite")
    bad = lite.execute(
        "SELECT count(*) FROM jurisdiction_years WHERE county_fips IS NOT NULL "
        "AND jurisdiction_type NOT IN ('county', 'city')"
    ).fetchone()[0]
    assert bad == 0
    assert (
        lite.execute(
            "SELECT count(*) FROM jurisdiction_years WHERE county_fips = '42101' "
            "AND jurisdiction_type = 'federal'"
        ).fetchone()[0]
        == 0
    )
    # facility rows keep their own county
    assert lite.execute("SELECT count(*) FROM facilities").fetchone()[0] > 0
    listed = web.get("/api/v1/jurisdictions?type=state").json()
    assert listed and all(j["county_fips"] is None for j in listed)


def test_check_disclosure_finds_nothing_in_the_static_site(pa_store, pa_site):
    result = run(pa_store, "check-disclosure", pa_site)
    assert result.exit_code == 0, result.output[:2000]


def test_report_page_stays_under_500_kb(pa_store, tmp_path):
    assert run(pa_store, "report", "--all", "--out", tmp_path).exit_code == 0
    assert (tmp_path / "index.html").stat().st_size < 500_000
