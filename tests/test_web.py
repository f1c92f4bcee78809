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


PAGES = ["/", "/search", "/search?q=franklin", "/sources", "/review", "/api/docs",
         "/jurisdiction/county:42055", "/jurisdiction/city:4260000", "/report", "/report?start=2014-01-01",
         "/audits", "/audits/doj_sanctuary_jurisdictions_2025-08-05.csv", "/downloads"]


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


@pytest.mark.parametrize("query,parameter", [
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
])
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
    report = client.get("/api/v1/report", params={"start": "2007-01-01", "end": "2016-01-01"}).json()
    assert report["totals"]["issued"] == 32_757 and report["totals"]["declined"] == 225
    names = [a["list"] for a in client.get("/api/v1/audits").json()]
    audit = client.get(f"/api/v1/audits/{names[0]}").json()
    assert len(audit["entries"]) == 35
    assert client.get("/api/v1/audits/nope.csv").status_code == 404


def test_downloads_are_aggregates(client):
    import io

    import pyarrow.parquet as pq

    text = client.get("/downloads/facilities.csv").text
    assert text.splitlines()[0].startswith('"facility"') and "FRANKLIN COUNTY JAIL" in text
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
    assert lite.execute("SELECT sum(issued) FROM jurisdiction_years").fetchone()[0] == 32_757
    columns = {r[1] for t in tables for r in lite.execute(f"PRAGMA table_info({t})")}
    assert not columns & {"person_id", "row_number", "birth_date", "birth_year", "gender"}
