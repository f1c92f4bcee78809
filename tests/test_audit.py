"""`detainerwatch audit`: every entry of a published list gets a verdict with its evidence."""
from __future__ import annotations

import csv
import json

import datetime as dt

import duckdb
import pytest

from conftest import PA_EXTRACT, ROOT, run, snapshot
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
    values = {"entry_is_state": 0, **values}  # a local entry unless the case says otherwise
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


def test_a_state_entry_is_contradicted_by_its_own_state_law_despite_local_declines():
    state = dict(issued=400, booked=150, declined=13, open=90, limiting_instruments=0,
                 requiring_state_instruments=1, entry_is_state=1)
    assert _rule_ids(state) == "state_law_requires_cooperation_statewide"
    # A county in the same state that declines is still supported by its own declines.
    assert _rule_ids({**state, "entry_is_state": 0}) == "declines_recorded"
    # A state whose own law also limits cooperation is judged on the usual rules.
    assert _rule_ids({**state, "limiting_instruments": 1}) == "declines_recorded"


def _policy(**overrides):
    row = {"policy_id": "t:2", "short_title": "t", "jurisdiction_type": "state",
           "effect": "limits_cooperation", "in_force_from": dt.date(2020, 1, 1),
           "detainer_holds": "unspecified", "notification": "unspecified",
           "jail_access": "unspecified", "agreements_287g": "unspecified"}
    row.update(overrides)
    return row


def test_instruments_count_only_with_a_date_and_an_effect_on_detainers_on_either_side():
    config = audit_mod.load_rules()
    cases = [
        (_policy(detainer_holds="prohibited"), "limiting"),
        (_policy(notification="limited"), "limiting"),
        (_policy(agreements_287g="prohibited"), None),  # a 287(g) ban alone: not about detainers
        (_policy(detainer_holds="prohibited", in_force_from=None), None),  # undated
        (_policy(effect="requires_cooperation", detainer_holds="required"), "requiring"),
        (_policy(effect="requires_cooperation", agreements_287g="required"), None),
        (_policy(effect="requires_cooperation", detainer_holds="required",
                 jurisdiction_type="county"), None),
        (_policy(effect="mixed", detainer_holds="limited"), None),
    ]
    for policy, expected in cases:
        limiting, requiring, not_counted = audit_mod._count_instruments([policy], config)
        got = "limiting" if limiting else "requiring" if requiring else None
        assert got == expected, policy
        assert (not_counted == []) == (expected is not None)
        if not_counted:
            assert not_counted[0]["reason"]


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    """A store with one detainer at a PA facility, so that audits run on policy evidence."""
    db = tmp_path_factory.mktemp("one") / "one.duckdb"
    path = db.parent / "one.csv"
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)[:2]
    path.write_text("".join(lines))
    assert run(db, "ingest", "--quiet", path).exit_code == 0
    return db


def _audit(db, tmp_path, rows, *period):
    path = tmp_path / "list.csv"
    path.write_text("jurisdiction_type,name,state\n" + "".join(f"{r}\n" for r in rows))
    out = tmp_path / "out"
    result = run(db, "audit", path, *period, "--out", out)
    assert result.exit_code == 0, result.output
    return {e["name"]: e for e in json.loads((out / "audit.json").read_text())["entries"]}, out


def test_a_local_policy_ends_where_a_later_state_law_requires_compliance(empty_store, tmp_path):
    rows = ["county,Travis County,TX", "county,Miami-Dade County,FL", "city,New Orleans,LA"]
    before, _ = _audit(empty_store, tmp_path, rows, "--from", "2015-01-01", "--to", "2015-12-31")
    assert before["Travis County"]["rule"] == "limiting_policy_in_force"
    assert before["Miami-Dade County"]["rule"] == "limiting_policy_in_force"
    after, out = _audit(empty_store, tmp_path, rows, "--from", "2024-06-01", "--to", "2024-12-31")
    travis = after["Travis County"]
    assert (travis["verdict"], travis["rule"]) == ("contradicted", "state_law_requires_cooperation")
    assert all("Sheriff" not in i["short_title"] for i in travis["evidence"]["instruments"])
    assert after["Miami-Dade County"]["verdict"] == "contradicted"
    # A federal consent decree is not ended by state law.
    orleans = after["New Orleans"]
    assert (orleans["verdict"], orleans["rule"]) == ("supported", "limiting_policy_in_force")
    # Across the change, the local policy counts and says when it ended and why.
    across, _ = _audit(empty_store, tmp_path, rows[:1], "--from", "2016-01-01", "--to", "2018-12-31")
    text = " ".join(across["Travis County"]["evidence"]["for"])
    assert "to 2017-04-30" in text and "superseded by Texas SB 4" in text


def test_undated_and_287g_only_instruments_do_not_decide_a_verdict(empty_store, tmp_path):
    entries, out = _audit(empty_store, tmp_path, ["state,Delaware,DE", "state,District of Columbia,DC"],
                          "--from", "2008-01-01", "--to", "2008-12-31")
    dc = entries["District of Columbia"]  # its 2020 act has no date on file: not in force in 2008
    assert (dc["verdict"], dc["rule"]) == ("no evidence", "no_records")
    not_counted = [n["short_title"] for n in dc["evidence"]["not_counted"]]
    assert not_counted == ["Sanctuary Values Amendment Act of 2020"]
    later, out = _audit(empty_store, tmp_path, ["state,Delaware,DE"], "--from", "2025-08-01",
                        "--to", "2025-12-31")
    delaware = later["Delaware"]  # a ban on 287(g) agreements says nothing about detainers
    assert (delaware["verdict"], delaware["rule"]) == ("no evidence", "no_records")
    assert "not counted" in (out / "index.html").read_text()
