"""Disclosure control: one function on every way out, and an audit that can fail."""

from __future__ import annotations

import ast
import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import run
from detainerwatch.publish import disclosure

SRC = Path(__file__).resolve().parents[1] / "src" / "detainerwatch"


@pytest.fixture
def rules_off():
    disclosure.set_enabled(False)
    yield
    disclosure.set_enabled(True)


def _aberdeen(published: bool) -> dict:
    """Section II of the issue's Aberdeen, WA case: 7 declined, threat levels 1, 0, 1, 5; the
    pooled row holds 11 with no threat level, all jurisdictions 16."""
    tiers = ["not_recorded"]
    row_keys = tiers + [
        "threat_level_1",
        "threat_level_2",
        "threat_level_3",
        "threat_level_none",
        "aggravated_felony",
    ]
    aberdeen = {
        "not_recorded": 7,
        "threat_level_1": 1,
        "threat_level_2": 0,
        "threat_level_3": 1,
        "threat_level_none": 5,
        "aggravated_felony": 0,
    }
    other = {
        "not_recorded": 9,
        "threat_level_1": 0,
        "threat_level_2": 0,
        "threat_level_3": 0,
        "threat_level_none": 9,
        "aggravated_felony": 0,
    }
    pooled = {
        "not_recorded": 11,
        "threat_level_1": 0,
        "threat_level_2": 0,
        "threat_level_3": 0,
        "threat_level_none": 11,
        "aggravated_felony": 0,
    }
    total = {k: aberdeen[k] + other[k] + pooled[k] for k in aberdeen}
    if published:  # as the old code published it: the column step skipped threat_level_none
        aberdeen = {
            **aberdeen,
            "threat_level_1": "<5",
            "threat_level_3": "<5",
            "threat_level_none": "x",
        }
    return {
        "title": "t",
        "totals": {"issued": 100, "declined": 27},
        "jurisdictions": [],
        "other_custody": [],
        "facilities": [],
        "declined": {
            "total": 27,
            "tiers": tiers,
            "row_keys": row_keys,
            "mix": total,
            "by_jurisdiction": [
                {"id": "city:5300220", "name": "Aberdeen, WA", "declined": 7, "mix": aberdeen},
                {
                    "id": "county:53027",
                    "name": "Grays Harbor County, WA",
                    "declined": 9,
                    "mix": other,
                },
            ],
            "pooled": {"jurisdictions": 3, "declined": 11, "mix": pooled},
        },
    }


def test_aberdeen_subtraction_is_found_and_prevented():
    found = disclosure.check_object(_aberdeen(published=True), "aberdeen")
    assert any("Aberdeen" in f.location and "threat_level_1" in f.location for f in found), found
    assert any("recoverable by subtraction" in f.problem for f in found)
    protected = disclosure.protect(_aberdeen(published=False), "report", coarse_deaths=True)
    assert disclosure.is_checked(protected)
    row = protected["declined"]["by_jurisdiction"][0]["mix"]
    assert row["threat_level_1"] in ("<5", "x") and row["threat_level_3"] in ("<5", "x")
    assert disclosure.check_object(json.loads(json.dumps(protected)), "aberdeen") == []


def test_a_person_attribute_cell_of_1_to_4_is_found():
    found = disclosure.check_object(
        {
            "by_month": [{"month": "2011-05", "issued": 40, "died": 1}],
            "totals": {"issued": 40, "died": 1},
        },
        "x",
    )
    assert any(".died" in f.location and "cell of 1" in f.problem for f in found)


def test_a_county_whose_one_facility_is_for_children():
    """Its counts are the facility's: the county's declined count of 1 (and its years' and
    months') would give the children's home away, so the last resort withholds them; a case the
    rounds once left unsolved (a 200,000-row store's static site stopped on it)."""
    zero = dict.fromkeys(["transferred", "died", "wrongly_issued", "open"], 0)
    years = [
        {"year": 2024, "issued": 10, "booked": 5, "declined": 1, "released": 4, **zero},
        {"year": 2025, "issued": 10, "booked": 6, "declined": 0, "released": 4, **zero},
    ]
    months = [
        {**{k: v for k, v in y.items() if k != "year"}, "month": f"{y['year']}-03"} for y in years
    ]
    totals = {"issued": 20, "booked": 11, "declined": 1, "released": 8, "withdrawn": 0, **zero}
    for row in years + months:
        row["withdrawn"] = 0
    profile = {
        "name": "Lino County, MN",
        "jurisdiction_type": "county",
        "totals": dict(totals),
        "by_year": years,
        "by_month": months,
        "facilities": [
            {
                "facility": "LINO COUNTY JUVENILE",
                "city": "LINO",
                "protected_facility": True,
                **totals,
            }
        ],
    }
    assert disclosure.check_object(json.loads(json.dumps(profile)), "lino")  # unprotected: found
    protected = disclosure.protect(profile, "profile")
    assert protected["facilities"][0]["declined"] in ("<5", "x")
    assert disclosure.check_object(json.loads(json.dumps(protected)), "lino") == []


@pytest.fixture(scope="module")
def demo_outputs(pa_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo-outputs")
    assert run(pa_store, "report", "--week", "2012-05-20", "--out", out / "week").exit_code == 0
    assert run(pa_store, "report", "--all", "--out", out / "all").exit_code == 0
    assert (
        run(
            pa_store, "report", "--from", "2011-05-01", "--to", "2011-05-31", "--out", out / "may"
        ).exit_code
        == 0
    )
    assert run(pa_store, "profile", "Dauphin County, PA", "--out", out / "dauphin").exit_code == 0
    assert (
        run(pa_store, "profile", "Philadelphia, PA", "--out", out / "philadelphia").exit_code == 0
    )
    from detainerwatch.web.static_site import write_sqlite

    write_sqlite(pa_store, out / "detainerwatch.sqlite")
    return out


def test_check_disclosure_finds_nothing_in_the_demo_store_outputs(pa_store, demo_outputs):
    result = run(pa_store, "check-disclosure", demo_outputs)
    assert result.exit_code == 0, result.output
    week = json.loads((demo_outputs / "week" / "report.json").read_text())
    bethany = [f for f in week["facilities"] if "BETHANY" in f["facility"]]
    assert bethany and bethany[0]["issued"] == "<5"
    dauphin = json.loads((demo_outputs / "dauphin" / "profile.json").read_text())
    assert all(m["died"] == "x" for m in dauphin["by_month"])


def test_check_disclosure_fails_on_a_build_with_the_rules_off(pa_store, tmp_path, rules_off):
    assert (
        run(pa_store, "report", "--week", "2012-05-20", "--out", tmp_path / "week").exit_code == 0
    )
    assert (
        run(pa_store, "profile", "Dauphin County, PA", "--out", tmp_path / "dauphin").exit_code == 0
    )
    from detainerwatch.web.static_site import write_sqlite

    write_sqlite(pa_store, tmp_path / "detainerwatch.sqlite")
    result = run(pa_store, "check-disclosure", tmp_path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("BETHANY" in line.upper() and "week" in line for line in lines)
    assert any("dauphin" in line and "2011-05" in line and ".died" in line for line in lines)
    assert any("detainerwatch.sqlite" in line and ".died" in line for line in lines)
    assert run(pa_store, "check-disclosure", tmp_path / "week" / "facilities.csv").exit_code == 1


def test_writers_refuse_data_that_did_not_pass_the_disclosure_function(tmp_path):
    from detainerwatch.publish.output import render_report_html, write_audit, write_report
    from detainerwatch.publish.profile import write_profile
    from detainerwatch.web.static_site import write_sqlite_tables

    for call in (
        lambda: write_report({"title": "t"}, tmp_path / "r"),
        lambda: render_report_html({"title": "t"}),
        lambda: write_profile({"name": "p"}, tmp_path / "p"),
        lambda: write_audit({"entries": []}, tmp_path / "a"),
        lambda: write_sqlite_tables({"t": [{"issued": 1}]}, tmp_path / "x.sqlite"),
    ):
        with pytest.raises(disclosure.DisclosureError):
            call()
    assert not any(tmp_path.iterdir())


def test_every_api_answer_passed_the_disclosure_function(pa_store):
    from detainerwatch.store import connect
    from detainerwatch.web import app, views

    con = connect(pa_store, read_only=True)
    samples = {
        "/jurisdictions/{id}": {"id": "city:4260000"},
        "/audits/{name}": {"name": views.list_names()[0]},
    }
    for endpoint in app.ENDPOINTS:
        answer = endpoint.handler(con, **samples.get(endpoint.path, {}))
        assert disclosure.is_checked(answer), endpoint.path
    answer = app.get_jurisdiction(con, "private:42:bethany-children-s-home")
    assert disclosure.is_checked(answer)
    con.close()


# Functions in publish/ and web/ that write a file or send a response. Each must refuse data that
# did not pass the disclosure function (it calls require()), or is listed here with the reason
# it needs no check.
SINKS = {
    "write_text",
    "write_bytes",
    "JSONResponse",
    "HTMLResponse",
    "Response",
    "executemany",
    "writerow",
    "writerows",
    "copytree",
}
NO_DATA = {
    "publish/output.py:write_csv": "called only by write_report, which requires its report",
    "publish/audit.py:write_audit": "issue 12's writer; reached only through output.write_audit",
    "publish/profile.py:write_profile": "requires via disclosure.require",
    "web/static_site.py:publish_site": "writes the app's own responses, each checked by the app",
    "web/static_site.py:_metadata": "titles and row counts only",
    "web/site_crawl.py:fetch_pages": "writes the app's own responses, each checked by the app",
    "web/site_crawl.py:write_search_page": "writes the app's own list page, checked by the app",
    "web/app.py:_api_route": "requires the handler's answer",
    "web/app.py:create_app": "pages require their tables in page(); the API docs and OpenAPI "
    "document hold no counts; downloads come from views.download",
    "web/app.py:SecurityHeaders": "headers only",
    "publish/csvsafe.py:Writer": "the escaping CSV writer; each caller writes checked data",
    "publish/csvsafe.py:DictWriter": "the escaping CSV writer; each caller writes checked data",
    "publish/csvsafe.py:write_dicts": "called by output.write_csv, whose callers are checked",
    "publish/csvsafe.py:dicts_to_bytes": "called by views.download, which requires its data",
    "publish/filecache.py:text": "keeps map outlines and policy records: no counts",
    "publish/filecache.py:precompile": "writes map outlines and policy records at install",
}


def _sink_functions():
    for path in sorted((SRC / "publish").glob("*.py")) + sorted((SRC / "web").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                continue
            names = {
                n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                for n in ast.walk(node)
                if isinstance(n, ast.Call)
            }
            if names & SINKS:
                yield f"{path.parent.name}/{path.name}:{node.name}", names


def test_no_way_out_around_the_disclosure_function():
    found = dict(_sink_functions())
    assert (
        "publish/output.py:write_report" in found
        and "publish/export.py:write_sqlite_tables" in found
    )
    for name, calls in found.items():
        assert "require" in calls or name in NO_DATA, f"{name} writes or responds without require()"


SYNTH_ROWS = 20_000  # the 200,000: test_check_disclosure_on_a_200k_store (slow)


def _national_store(pa_store, folder: Path, rows: int) -> Path:
    """A synthetic 2026-layout release added to the demo store."""
    import shutil

    from detainerwatch.synth import synthesize

    db = folder / "n.duckdb"
    shutil.copy(pa_store, db)
    synthesize("2026", rows, folder / "n.xlsx", seed=11)
    assert run(db, "ingest", "--quiet", folder / "n.xlsx").exit_code == 0
    return db


def _publish_all(db: Path, out: Path) -> None:
    """The outputs check-disclosure reads: report folders (a synthetic week, the whole store, the
    Bethany week), profiles (the synthetic week's top jurisdiction, Dauphin's died-1 month), the
    audit of the DOJ list, the SQLite export, and saved API answers."""
    assert run(db, "report", "--all", "--out", out / "all").exit_code == 0
    assert run(db, "report", "--week", "2026-02-01", "--out", out / "week").exit_code == 0
    assert run(db, "report", "--week", "2012-05-20", "--out", out / "bethany").exit_code == 0
    top = json.loads((out / "week" / "report.json").read_text())["jurisdictions"][0]["id"]
    assert run(db, "profile", top.split(":")[1], "--out", out / "profile").exit_code == 0
    assert run(db, "profile", "Dauphin County, PA", "--out", out / "dauphin").exit_code == 0
    doj = SRC / "data" / "lists" / "doj_sanctuary_jurisdictions_2025-08-05.csv"
    assert run(db, "audit", doj, "--out", out / "audit").exit_code == 0
    from detainerwatch.store import connect
    from detainerwatch.web import app
    from detainerwatch.web.static_site import write_sqlite

    write_sqlite(db, out / "detainerwatch.sqlite")
    con = connect(db, read_only=True)
    try:
        api = out / "api"
        api.mkdir()
        answers = {
            "report-week": app.get_report(con, week=dt.date(2026, 2, 1)),
            "dauphin": app.get_jurisdiction(con, "county:42043"),
            "jurisdictions": app.list_jurisdictions(con, limit=500),
        }
        for name, answer in answers.items():
            text = json.dumps(disclosure.json_safe(answer), default=str)
            (api / f"{name}.json").write_text(text)
    finally:
        con.close()


@pytest.fixture(scope="module")
def national_outputs(pa_store, tmp_path_factory):
    """A synthetic national store and its published outputs, rules on."""
    folder = tmp_path_factory.mktemp("national")
    db = _national_store(pa_store, folder, SYNTH_ROWS)
    _publish_all(db, folder / "out")
    return db, folder / "out"


def test_check_disclosure_finds_nothing_on_a_synthetic_national_store(national_outputs):
    db, out = national_outputs
    result = run(db, "check-disclosure", out)
    assert result.exit_code == 0, result.output[:3000]
    # The rules did act somewhere (which cells depends on the generated rows).
    cells = [
        v
        for name in ("week", "all")
        for table in ("facilities", "jurisdictions")
        for row in json.loads((out / name / "report.json").read_text())[table]
        for v in row.values()
    ]
    assert "<5" in cells


@pytest.fixture
def complements_off():
    disclosure.set_enabled(True, complementary=False)
    yield
    disclosure.set_enabled(True)


def test_check_disclosure_fails_on_the_national_store_with_the_rules_off(
    national_outputs, tmp_path, rules_off
):
    """Bethany (a children's home, 1 issued) and Dauphin's died-1 month, published from the
    national store with every rule off: each is found, with its file and place."""
    db, _ = national_outputs
    _publish_all(db, tmp_path)
    result = run(db, "check-disclosure", tmp_path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("bethany" in line and "BETHANY" in line.upper() for line in lines)
    assert any("dauphin" in line and "2011-05" in line and ".died" in line for line in lines)
    assert any("api/dauphin.json" in line and ".died" in line for line in lines)


def test_check_disclosure_finds_subtraction_without_complementary_suppression(
    national_outputs, tmp_path, complements_off
):
    """The Aberdeen case on the national store: each small cell is shown as "<5" but nothing is
    withheld beside it, so a reader subtracts the published cells of a row or a column from its
    total. check-disclosure names each such cell; with the rules on (the fixture's own build of
    the same outputs) it finds nothing."""
    db, out_on = national_outputs
    _publish_all(db, tmp_path)
    result = run(db, "check-disclosure", tmp_path)
    assert result.exit_code == 1
    found = [line for line in result.output.splitlines() if "recoverable by subtraction" in line]
    assert found
    # Section II of a report (tiers and threat levels of declined detainers, as in Aberdeen's
    # row), named by file, table and jurisdiction.
    section_ii = [line for line in found if "/report.json II[" in line]
    assert section_ii, found[:20]
    # No person-attribute cell of 1-4 is shown: what is found is found by subtraction alone.
    assert not any("person-attribute cell" in line for line in result.output.splitlines())
    assert run(db, "check-disclosure", out_on).exit_code == 0


def test_a_national_report_page_stays_small(national_outputs):
    """A whole-store report of the national store: long tables show their first rows on the page
    and point to the files that hold every row; the page less its map stays under 350 KB (the
    county map is simplified apart). Column headers are the hand file's labels."""
    import re

    from detainerwatch.publish.labels import outcome_label, page_rows

    _, out = national_outputs
    html = (out / "all" / "index.html").read_text(encoding="utf-8")
    svg = sum(len(m) for m in re.findall(r"<svg.*?</svg>", html, re.S))
    assert len(html.encode("utf-8")) - svg < 350_000, (len(html), svg)
    report = json.loads((out / "all" / "report.json").read_text())
    assert len(report["jurisdictions"]) > page_rows()  # the page shows a part of them
    assert f"The first {page_rows()} of {len(report['jurisdictions']):,} jurisdictions" in html
    assert "every row is in jurisdictions.csv" in html.lower()
    csv_rows = (out / "all" / "jurisdictions.csv").read_text().splitlines()
    assert len(csv_rows) == 2 + len(report["jurisdictions"]) + len(report["other_custody"])
    assert f'<th class="n">{outcome_label("wrongly_issued")}</th>' in html
    assert '<th class="n">wrongly_issued</th>' not in html


def test_one_presentation_layer_in_the_web_app():
    """The web app renders the library's page bodies from the one Jinja environment: no second
    environment, and no page cut out of another's HTML."""
    for path in sorted((SRC / "web").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", "")
                assert name != "Environment", f"{path.name}: a second Jinja environment"
        assert "<body" not in path.read_text(), f"{path.name} cuts HTML apart"
    pages = SRC / "web" / "templates"
    for page, body in (
        ("report_page.html", "report_body.html"),
        ("audit_page.html", "audit_body.html"),
    ):
        assert f'{{% include "{body}" %}}' in (pages / page).read_text()
