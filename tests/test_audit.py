"""`detainerwatch audit`: every entry of a published list gets a verdict with its evidence."""
from __future__ import annotations

import csv
import json

import duckdb
import pytest

from conftest import ROOT, run, snapshot
from detainerwatch.publish import audit as audit_mod

DOJ_LIST = ROOT / "src/detainerwatch/data/lists/doj_sanctuary_jurisdictions_2025-08-05.csv"


@pytest.fixture(scope="module")
def doj_audit(pa_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    result = run(pa_store, "audit", DOJ_LIST, "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads((out / "audit.json").read_text()), out


def test_all_35_doj_entries_get_a_verdict_with_evidence_and_rule(doj_audit):
    audit, out = doj_audit
    assert len(audit["entries"]) == 35
    for e in audit["entries"]:
        assert e["verdict"] in ("supported", "contradicted", "no evidence")
        assert e["rule"] and e["explanation"] and e["evidence"] is not None
    rows = list(csv.DictReader(open(out / "audit.csv")))
    assert len(rows) == 35
    assert "Methodology" in (out / "index.html").read_text()


def test_philadelphia_is_supported_by_its_recorded_declines(doj_audit):
    audit, _ = doj_audit
    philly = next(e for e in audit["entries"] if e["name"] == "Philadelphia")
    assert (philly["verdict"], philly["rule"]) == ("supported", "declines_recorded")
    assert philly["evidence"]["declined"] == 190
    assert philly["evidence"]["records_from"] == "2007-10-03"
    assert "county:42101" in philly["covers"]  # city and county are one


def test_entries_without_data_or_policy_are_no_evidence_not_errors(doj_audit):
    audit, _ = doj_audit
    seattle = next(e for e in audit["entries"] if e["name"] == "Seattle")
    assert (seattle["verdict"], seattle["rule"]) == ("no evidence", "no_records")


def test_a_state_entry_covers_its_local_governments(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    from detainerwatch.publish.report import resolve_period

    period = resolve_period(con, whole=True)
    result = audit_mod.build_audit(con, [{"row": 2, "jurisdiction_type": "state",
                                          "name": "Pennsylvania", "state": "PA"}], period, "t")
    con.close()
    entry = result["entries"][0]
    # 225 declines in the extract, 5 of them recorded at federal or private facilities:
    # those never count toward a state's local governments.
    assert entry["evidence"]["declined"] == 220
    assert entry["verdict"] == "supported" and result["converse"] == []


def test_consolidated_city_counties_cover_the_county_jail():
    sf = audit_mod.resolve_entry({"jurisdiction_type": "city", "name": "San Francisco", "state": "CA"})
    assert set(sf["covers"]) == {"city:0667000", "county:06075"}
    nyc = audit_mod.resolve_entry({"jurisdiction_type": "city", "name": "New York City", "state": "NY"})
    assert {"county:36005", "county:36047", "county:36061", "county:36081", "county:36085"} <= set(nyc["covers"])
    denver = audit_mod.resolve_entry({"jurisdiction_type": "county", "name": "Denver", "state": "CO"})
    assert "city:0820000" in denver["covers"]
    boston = audit_mod.resolve_entry({"jurisdiction_type": "city", "name": "Boston", "state": "MA"})
    assert boston["covers"] == ["city:2507000"]  # Suffolk County's jail is the sheriff's


def _rule_ids(values):
    config = audit_mod.load_rules()
    params = config["parameters"]
    return next(r["id"] for r in config["rules"] if audit_mod._evaluate(r["when"], {**values, **params}))


@pytest.mark.parametrize("values,rule", [
    (dict(issued=10, booked=2, declined=3, open=1, limiting_instruments=0, requiring_state_instruments=1), "declines_recorded"),
    (dict(issued=0, booked=0, declined=0, open=0, limiting_instruments=1, requiring_state_instruments=0), "limiting_policy_in_force"),
    (dict(issued=0, booked=0, declined=0, open=0, limiting_instruments=0, requiring_state_instruments=1), "state_law_requires_cooperation"),
    (dict(issued=5, booked=4, declined=0, open=1, limiting_instruments=0, requiring_state_instruments=0), "honored_none_declined"),
    (dict(issued=0, booked=0, declined=0, open=0, limiting_instruments=0, requiring_state_instruments=0), "no_records"),
    (dict(issued=3, booked=0, declined=0, open=3, limiting_instruments=0, requiring_state_instruments=0), "records_inconclusive"),
])
def test_each_verdict_rule(values, rule):
    assert _rule_ids(values) == rule


def test_the_rule_language_runs_nothing_else():
    with pytest.raises(ValueError):
        audit_mod._evaluate("__import__('os').system('true')", {})


def test_an_entry_that_cannot_be_resolved_is_reported(pa_store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("jurisdiction_type,name,state\ncounty,Atlantis County,PA\ncity,Philadelphia,PA\n")
    out = tmp_path / "out"
    assert run(pa_store, "audit", path, "--out", out).exit_code == 0
    entries = json.loads((out / "audit.json").read_text())["entries"]
    assert entries[0]["verdict"] == "unresolved" and "Atlantis" in entries[0]["explanation"]
    assert entries[1]["verdict"] == "supported"


@pytest.mark.parametrize("content,part", [
    ("type,name,state\ncounty,Cook County,IL\n", "column 'jurisdiction_type'"),
    ("jurisdiction_type,name,state\nplanet,Mars,IL\n", "row 2"),
    ("jurisdiction_type,name,state\ncounty,Cook County,ZZ\n", "column 'state'"),
    ("jurisdiction_type,name,state\n", "at least one entry"),
])
def test_a_malformed_list_is_rejected(pa_store, tmp_path, content, part):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = snapshot(pa_store)
    result = run(pa_store, "audit", path, "--out", tmp_path / "o")
    assert result.exit_code == 2 and part in result.stderr and "bad.csv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(pa_store) == before


def test_converse_lists_jurisdictions_the_list_left_out(doj_audit):
    audit, _ = doj_audit
    names = [c["name"] for c in audit["converse"]]
    assert names[0] == "Dauphin County, PA" and "Philadelphia, PA" not in names
