"""The web app and JSON API, in process: every page and endpoint, bad parameters, headers."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from detainerwatch.web.app import create_app


@pytest.fixture(scope="module")
def client(pa_store):
    with TestClient(create_app(pa_store)) as c:
        yield c


PAGES = [
    "/",
    "/search",
    "/search?q=franklin",
    "/sources",
    "/review",
    "/api/docs",
    "/jurisdiction/county:42055",
    "/jurisdiction/city:4260000",
    "/report",
    "/report?start=2014-01-01",
    "/audits",
    "/audits/doj_sanctuary_jurisdictions_2025-08-05.csv",
    "/downloads",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_with_csp_and_no_external_reference(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    for url in re.findall(r'(?:src|href|action)="([^"]+)"', response.text):
        assert not re.match(r"^(https?:)?//", url), f"{path} references {url}"


def test_sources_page_shows_hashes_and_licences(client, pa_store):
    text = client.get("/sources").text
    assert "pa_detainers.csv" in text and "eads/geocode-pa-detainers" in text
    assert re.search(r"[0-9a-f]{64}", text)


def test_static_assets_are_versioned(client):
    from detainerwatch import __version__

    assert client.get(f"/static/detainerwatch-{__version__}.css").status_code == 200


def test_the_stylesheet_is_answered_from_memory_with_its_validators(client):
    # web/static_memory.py: the file's bytes, compressed or not as asked, ETag and 304
    from detainerwatch import __version__
    from detainerwatch.web.app import STATIC_DIR

    name = f"detainerwatch-{__version__}.css"
    body = (STATIC_DIR / name).read_bytes()
    for encoding in ("gzip", "identity"):
        r = client.get(f"/static/{name}", headers={"accept-encoding": encoding})
        assert r.status_code == 200 and r.content == body
        assert r.headers["content-type"] == "text/css; charset=utf-8"
        assert r.headers["x-content-type-options"] == "nosniff"  # the security headers too
        assert (r.headers.get("content-encoding") == "gzip") == (encoding == "gzip")
        again = client.get(f"/static/{name}", headers={"if-none-match": r.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
    assert client.head(f"/static/{name}").content == b""
    assert client.get("/static/nothing.css").status_code == 404


def test_pages_of_the_jurisdictions_list_cut_from_the_whole_list_equal_the_query(pa_store):
    # web: the unfiltered list's pages are cut from the whole list kept by the app
    from detainerwatch.publish import catalog, queries

    with queries.connect_read(pa_store) as reader:
        con = reader.con
        whole = catalog.jurisdiction_listing(con)
        assert len(whole) > 60
        for limit, offset in (
            (50, 0),
            (10, 10),
            (50, 40),
            (5, len(whole) - 2),
            (5, len(whole) + 3),
        ):
            assert catalog.jurisdictions(
                con, limit=limit, offset=offset, ordered=whole
            ) == catalog.jurisdictions(con, limit=limit, offset=offset), (limit, offset)
        # a filtered page is asked of the store, whatever the whole list holds
        assert catalog.jurisdictions(con, state="PA", ordered=[]) == catalog.jurisdictions(
            con, state="PA"
        )


def test_api_endpoints(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in spec["paths"]:
        if "{" in path:
            continue
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "application/json"
    totals = client.get("/api/v1/totals").json()
    assert totals["detainers"] == 32_757
    sources = client.get("/api/v1/sources").json()
    assert {s["file_name"] for s in sources} >= {"pa_detainers.csv"}


@pytest.mark.parametrize(
    "query,parameter",
    [
        ("/api/v1/jurisdictions?limit=abc", "limit"),
        ("/api/v1/jurisdictions?limit=0", "limit"),
        ("/api/v1/jurisdictions?limit=100000", "limit"),
        ("/api/v1/jurisdictions?type=planet", "type"),
        ("/api/v1/jurisdictions?state=PENNSYLVANIA", "state"),
        ("/api/v1/jurisdictions?state=ZZ", "state"),
        ("/api/v1/report?week=2015-02-30", "week"),
        ("/api/v1/report?start=0001-01-01", "start"),
        ("/api/v1/facilities?needs_review=maybe", "needs_review"),
        ("/api/v1/facilities?offset=-1", "offset"),
        ("/api/v1/facilities?bogus=1", "bogus"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(client, query, parameter):
    response = client.get(query)
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter and body["error"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.json()


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "<html" in response.text


def test_injection_is_only_ever_a_parameter(client):
    response = client.get("/api/v1/facilities", params={"q": "'; DROP TABLE detainers; --"})
    assert response.status_code == 200 and response.json() == []
    assert client.get("/api/v1/totals").json()["detainers"] == 32_757


def test_no_endpoint_returns_person_level_fields(client):
    from detainerwatch.sources.fields import IDENTIFIER_FIELDS

    spec = client.get("/api/v1/openapi.json").json()
    for path in spec["paths"]:
        if "{" in path:
            continue
        text = client.get(path).text
        for name in IDENTIFIER_FIELDS | {"row_number", "birth_date", "birth_year"}:
            assert f'"{name}"' not in text, f"{path} exposes {name}"


def test_profile_page_and_api(client):
    page = client.get("/jurisdiction/county:42055").text
    assert "Franklin County, PA" in page and "397" in page and 'id="evidence"' in page
    data = client.get("/api/v1/jurisdictions/county:42055").json()
    assert data["totals"]["issued"] == 397 and data["evidence"][0]["first_row"] >= 2
    assert client.get("/api/v1/jurisdictions/county:99999").status_code == 404
    assert client.get("/jurisdiction/county:99999").status_code == 404


def test_federal_custody_page(client):
    assert client.get("/jurisdiction/federal:42:federal-bureau-of-prisons").status_code == 200


def test_report_and_audit_api(client):
    report = client.get(
        "/api/v1/report", params={"start": "2007-01-01", "end": "2016-01-01"}
    ).json()
    assert report["totals"]["issued"] == 32_757 and report["totals"]["declined"] == 225
    names = [a["list"] for a in client.get("/api/v1/audits").json()]
    audit = client.get(f"/api/v1/audits/{names[0]}").json()
    assert len(audit["entries"]) == 35
    assert client.get("/api/v1/audits/nope.csv").status_code == 404


def test_downloads_are_aggregates(client):
    import io

    import pyarrow.parquet as pq

    text = client.get("/downloads/facilities.csv").text
    assert text.splitlines()[0].startswith("facility,") and "FRANKLIN COUNTY JAIL" in text
    table = pq.read_table(io.BytesIO(client.get("/downloads/jurisdictions.parquet").content))
    assert "issued" in table.column_names and "person_id" not in table.column_names
    assert client.get("/downloads/secret.db").status_code == 404


def test_publish_writes_the_pages_and_an_aggregate_sqlite(pa_store, tmp_path):
    import sqlite3

    from conftest import run

    out = tmp_path / "site"
    result = run(pa_store, "publish", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "index.html").exists() and (out / "static").is_dir()
    assert (out / "jurisdiction" / "county:42055" / "index.html").exists()
    assert (out / "audits" / "doj_sanctuary_jurisdictions_2025-08-05.csv" / "index.html").exists()
    lite = sqlite3.connect(out / "detainerwatch.sqlite")
    tables = {r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"jurisdiction_years", "facilities", "sources", "policies"}
    # Counts at a juvenile home or hospital of 1-4 are "<5" (disclosure rules): bracket the total.
    shown, small, withheld = lite.execute(
        "SELECT sum(issued) FILTER (WHERE typeof(issued) = 'integer'), count(*) FILTER (WHERE "
        "issued = '<5'), count(*) FILTER (WHERE issued = 'x') FROM jurisdiction_years"
    ).fetchone()
    assert withheld == 0 and shown + small <= 32_757 <= shown + 4 * small
    columns = {r[1] for t in tables for r in lite.execute(f"PRAGMA table_info({t})")}
    assert not columns & {"person_id", "row_number", "birth_date", "birth_year", "gender"}
    _check_static_site(out, lite)


def _check_static_site(out, lite):
    """The published site opens from disk or from any folder: every link is relative and names
    a file that was written; pages are HTML, API answers JSON; the SQLite file carries each
    source's hash and licence, and metadata.json describes its tables."""
    import json
    import posixpath
    from html import unescape
    from urllib.parse import unquote

    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 10
    broken, absolute = [], []
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert text.lstrip().startswith("<!doctype html>"), page
        for url in re.findall(r'\b(?:href|src|action)="([^"]*)"', text):
            if url.startswith(("data:", "#")):
                continue
            if url.startswith("/") or re.match(r"^[a-z]+:", url):
                absolute.append((page, url))
                continue
            target = unquote(unescape(url).split("#")[0])
            if not (page.parent / target).resolve().is_file():
                broken.append((str(page.relative_to(out)), url))
    assert not absolute, absolute[:5]
    assert not broken, broken[:5]
    assert (out / "api" / "docs" / "index.html").exists()
    assert (out / "report" / "index.html").exists()
    home = (out / "index.html").read_text(encoding="utf-8")
    period = re.search(r'href="(\./report/start=[^"]+/index\.html)"', home)
    assert period and (out / posixpath.normpath(period.group(1))).is_file()
    for answer in (out / "api").rglob("index.json"):
        json.loads(answer.read_text(encoding="utf-8"))
    profile = (out / "jurisdiction" / "county:42055" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../sources/index.html#sha-' in profile
    assert 'href="../../static/detainerwatch-' in profile
    licences = dict(lite.execute("SELECT file_name, licence FROM sources"))
    assert "FOIA" in licences["pa_detainers.csv"]  # as the sources page shows it
    sha = dict(lite.execute("SELECT file_name, sha256 FROM sources"))
    assert re.fullmatch(r"[0-9a-f]{64}", sha["pa_detainers.csv"])
    metadata = json.loads((out / "metadata.json").read_text())
    tables = metadata["databases"]["detainerwatch"]["tables"]
    assert set(tables) == {"jurisdiction_years", "facilities", "sources", "policies"}
    assert metadata["license"] and metadata["title"]


# ---- review fixes: every point checked by running the app ------------------------------

NAV = ('href="/jurisdictions"', 'action="/search"')


def test_api_docs_page_lists_each_operation_with_its_parameters(client):
    spec = client.get("/api/v1/openapi.json").json()
    text = client.get("/api/docs").text
    for path, ops in spec["paths"].items():
        assert f"GET {path}" in text
        assert ops["get"]["summary"].split(".")[0].replace("'", "&#39;") in text, path
        for p in ops["get"]["parameters"]:
            assert f"<code>{p['name']}</code>" in text, (path, p["name"])
    for url in re.findall(r'(?:src|href)="([^"]+)"', text):
        assert not re.match(r"^(https?:)?//", url)


@pytest.mark.parametrize(
    "path",
    ["/report", "/report?start=2014-01-01", "/audits/doj_sanctuary_jurisdictions_2025-08-05.csv"],
)
def test_report_and_audit_pages_sit_inside_the_site(client, path):
    text = client.get(path).text
    assert all(n in text for n in NAV), "no navigation: the page is a dead end"
    assert text.count("<html") == 1 and text.count("<body") == 1
    assert "<style>" not in text  # the site's stylesheet styles it; no second body rule
    assert re.search(r"<title>[^<]*(Report|Audit)[^<]*- detainerwatch</title>", text)


def test_bad_periods_name_the_parameter(client):
    response = client.get("/api/v1/report", params={"start": "2015-05-01", "end": "2015-01-01"})
    assert response.status_code == 400
    assert response.json()["parameter"] == "end" and "before start" in response.json()["error"]
    page = client.get("/report", params={"start": "2015-05-01", "end": "2015-01-01"})
    assert page.status_code == 400 and "end:" in page.text and "--from" not in page.text


@pytest.mark.parametrize(
    "path,status",
    [
        ("/search?q=%00", 400),
        ("/jurisdiction/", 404),
        ("/jurisdiction/%00", 404),
        ("/jurisdiction/" + "9" * 300, 404),
        ("/jurisdiction/%27%20OR%201%3D1--", 404),
        ("/jurisdiction/%E2%9C%93", 404),
        ("/jurisdiction/..%2F..%2Fetc%2Fpasswd", 404),
        ("/audits/..%2F..%2Fetc%2Fpasswd", 404),
        ("/downloads/..%2Fapp.py", 404),
        ("/static/..%2Fapp.py", 404),
        ("/static/%2e%2e/app.py", 404),
        ("/static/", 404),
        ("/report?week=2015-13-01", 400),
        ("/report?state=%27", 400),
    ],
)
def test_bad_page_parameters_are_errors_not_pages(client, path, status):
    response = client.get(path)
    assert response.status_code == status, response.text[:300]
    assert "<html" in response.text and "Traceback" not in response.text
    assert "\x00" not in response.text


@pytest.mark.parametrize(
    "path,parameter",
    [
        ("/api/v1/jurisdictions/%27%20OR%201%3D1", "id"),
        ("/api/v1/jurisdictions/%E2%9C%93", "id"),
        ("/api/v1/jurisdictions/county:99999", "id"),
        ("/api/v1/jurisdictions/city:42:nowhere", "id"),
        ("/api/v1/jurisdictions/unknown:00:nothing-here", "id"),
        ("/api/v1/audits/x.csv", "name"),
    ],
)
def test_unknown_resources_get_a_json_404_naming_the_parameter(client, path, parameter):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["parameter"] == parameter and response.json()["error"]


def test_every_listed_jurisdiction_id_resolves_in_the_api(client):
    """The ids /jurisdictions lists (federal, ICE, private, unresolved included) all open."""
    from detainerwatch.sources.fields import IDENTIFIER_FIELDS

    listed = client.get("/api/v1/jurisdictions", params={"limit": 1000}).json()
    kinds = {j["jurisdiction_type"] for j in listed}
    assert {"county", "federal"} <= kinds
    for j in listed:
        response = client.get(f"/api/v1/jurisdictions/{j['id']}")
        assert response.status_code == 200, (j["id"], response.text[:200])
        body = response.json()
        # a count at a juvenile home or hospital of 1-4 is "<5" (disclosure rules)
        assert body["id"] == j["id"] and (
            body["totals"]["issued"] in ("<5", "x") or body["totals"]["issued"] >= 1
        )
        for name in IDENTIFIER_FIELDS | {"row_number", "birth_date", "birth_year"}:
            assert f'"{name}"' not in response.text
    bop = client.get("/api/v1/jurisdictions/federal:42:federal-bureau-of-prisons").json()
    assert bop["jurisdiction_type"] == "federal" and len(bop["facilities"]) > 1
    page = client.get("/jurisdiction/federal:42:federal-bureau-of-prisons").text
    assert "never counted as declining" in page and "None</td>" not in page


def test_sources_page_lists_each_files_hash_and_licence(client):
    text = client.get("/sources").text
    for s in client.get("/api/v1/sources").json():
        block = text[text.index(f'id="sha-{s["sha256"]}"') :]
        block = block[: block.index("</tbody>")]
        assert s["file_name"] in block and s["sha256"] in block
        assert s["licence"].replace("'", "&#39;") in block and s["licence"] != ""


def test_trend_series_are_filled_month_by_month():
    from detainerwatch.web.views import filled_series

    series = [
        {"period": p, "unit": "month", "issued": 3, "declined": 0, "booked": 1}
        for p in ("2014-11-01", "2015-01-01", "2023-01-01")
    ]
    filled = filled_series(series, lambda key: key < "2016")
    periods = [r["period"] for r in filled]
    assert periods[:3] == ["2014-11-01", "2014-12-01", "2015-01-01"] and periods[-1] == "2023-01-01"
    assert len(filled) == 12 * 8 + 3
    by = {r["period"]: r for r in filled}
    assert by["2014-12-01"]["issued"] == 0  # the store has records that month: none here
    assert by["2019-06-01"]["issued"] is None  # the store has none: a gap, not a slope
    weekly = filled_series(
        [
            {"period": "2026-02-23", "unit": "week", "issued": 1, "declined": 0, "booked": 0},
            {"period": "2026-03-09", "unit": "week", "issued": 1, "declined": 0, "booked": 0},
        ]
    )
    assert [r["issued"] for r in weekly] == [1, None, 1]


def test_profile_chart_counts_empty_months_as_zero_and_labels_each_year_once(client):
    data = client.get("/api/v1/jurisdictions/county:42055").json()
    months = {m["month"] for m in data["by_month"]}
    assert "2008-01" not in months  # a month Franklin County had no detainer
    page = client.get("/jurisdiction/county:42055").text
    svg = page[page.index("<figure>") : page.index("</figure>")]
    labels = re.findall(r"<text[^>]*>(\d{4})</text>", svg)
    assert labels and len(labels) == len(set(labels)), labels
    # a month with no detainer is plotted at zero, not bridged by a slope
    from detainerwatch.web import views

    series = views.filled_series(
        [
            {
                "period": f"{m['month']}-01",
                "unit": "month",
                "issued": m["issued"],
                "declined": m["declined"],
                "booked": m["booked"],
            }
            for m in data["by_month"]
        ],
        lambda key: True,
    )
    assert {r["period"]: r["issued"] for r in series}["2008-01-01"] == 0


def test_profile_header_reads_cleanly(client):
    text = client.get("/jurisdiction/county:42055").text
    assert "</code> · issued" in text


def test_large_pages_are_compressed(client):
    response = client.get("/", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("content-encoding") == "gzip"
    assert "default-src 'self'" in response.headers["content-security-policy"]


@pytest.fixture(scope="module")
def city_store(tmp_path_factory):
    """A store with a city the gazetteer has no place code for (Aberdeen, WA)."""
    import datetime as dt

    from conftest import FACILITY_LISTS, detainer_row, run, write_detainer_workbook

    tmp = tmp_path_factory.mktemp("city")
    rows = [
        detainer_row(
            **{
                "Detainer Prepare Date": dt.date(2025, 10, 6 + i % 20),
                "Facility State": "WA",
                "Detainer Facility": "ABERDEEN CITY JAIL",
                "Detainer Facility Code": "ABRDNWA",
                "Facility City": "ABERDEEN",
                "Anonymized Identifier": f"P{i}",
                "Detainer Lift Reason": "Detainer Declined by LEA" if i < 4 else None,
            }
        )
        for i in range(12)
    ]
    book = write_detainer_workbook(tmp / "aberdeen.xlsx", rows)
    db = tmp / "city.duckdb"
    result = run(db, "ingest", "--quiet", book, *FACILITY_LISTS)
    assert result.exit_code == 0, result.output
    return db


def test_a_city_without_a_place_code_gets_its_profile(city_store):
    with TestClient(create_app(city_store)) as c:
        listed = c.get("/api/v1/jurisdictions", params={"q": "aberdeen"}).json()
        city = next(j for j in listed if j["jurisdiction_type"] == "city")
        # Issue 13: the gazetteer has every Census place, so Aberdeen, WA has its place code now.
        assert city["place_fips"] == "5300100" and city["id"] == "city:5300100"
        data = c.get(f"/api/v1/jurisdictions/{city['id']}").json()
        assert data["name"] == "Aberdeen, WA" and data["totals"]["issued"] == 12
        assert data["totals"]["declined"] == 4 and data["evidence"][0]["rows"] == 12
        page = c.get(f"/jurisdiction/{city['id']}").text
        assert 'id="evidence"' in page and "never counted as declining" not in page
        assert "Keep Washington Working" in page  # its state's policy applies


def test_search_wildcards_are_literal(client):
    # "%" and "_" are searched for as text, not as LIKE wildcards that match every row.
    assert client.get("/api/v1/jurisdictions", params={"q": "%"}).json() == []
    assert client.get("/api/v1/facilities", params={"q": "_"}).json() == []
    found = client.get("/api/v1/facilities", params={"q": "franklin"}).json()
    assert any("FRANKLIN" in f["facility"] for f in found)
