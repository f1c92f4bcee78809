"""Disclosure control: one function on every way out, and an audit that can fail."""

from __future__ import annotations

import ast
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
    "web/app.py:_api_route": "requires the handler's answer",
    "web/app.py:create_app": "pages require their tables in page(); the API docs and OpenAPI "
    "document hold no counts; downloads come from views.download",
    "web/app.py:SecurityHeaders": "headers only",
    "publish/csvsafe.py:Writer": "the escaping CSV writer; each caller writes checked data",
    "publish/csvsafe.py:DictWriter": "the escaping CSV writer; each caller writes checked data",
    "publish/csvsafe.py:write_dicts": "called by output.write_csv, whose callers are checked",
    "publish/csvsafe.py:dicts_to_bytes": "called by views.download, which requires its data",
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


SYNTH_ROWS = (
    20_000  # the issue asks for 200,000; measured by hand (see the report), too slow for the suite
)


@pytest.fixture(scope="module")
def national_outputs(pa_store, tmp_path_factory):
    """A synthetic 2026-layout release added to the demo store, and its published outputs."""
    import shutil

    from detainerwatch.synth import synthesize

    folder = tmp_path_factory.mktemp("national")
    db = folder / "n.duckdb"
    shutil.copy(pa_store, db)
    synthesize("2026", SYNTH_ROWS, folder / "n.xlsx", seed=11)
    assert run(db, "ingest", "--quiet", folder / "n.xlsx").exit_code == 0
    out = folder / "out"
    assert run(db, "report", "--all", "--out", out / "all").exit_code == 0
    assert run(db, "report", "--week", "2026-02-01", "--out", out / "week").exit_code == 0
    top = json.loads((out / "week" / "report.json").read_text())["jurisdictions"][0]["id"]
    assert run(db, "profile", top.split(":")[1], "--out", out / "profile").exit_code == 0
    from detainerwatch.web.static_site import write_sqlite

    write_sqlite(db, out / "detainerwatch.sqlite")
    return db, out


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
