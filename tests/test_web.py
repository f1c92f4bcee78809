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


PAGES = ["/", "/search", "/search?q=franklin", "/sources", "/review", "/api/docs"]


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
