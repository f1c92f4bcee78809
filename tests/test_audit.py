"""`detainerwatch audit`: every entry of a published list gets a verdict with its evidence.

Practice (the records) and law (the instruments that bind that government) are kept apart; the
verdict follows from both by the rules of hand/verdict_rules.yaml and carries its rate."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import duckdb
import pytest
import yaml

from conftest import PA_EXTRACT, ROOT, run, snapshot
from detainerwatch.publish import audit as audit_mod
from detainerwatch.publish.report import Period

DOJ_LIST = ROOT / "src/detainerwatch/data/lists/doj_sanctuary_jurisdictions_2025-08-05.csv"
VERDICTS = ("supported", "contradicted", "isolated declines", "mixed", "no evidence")
ISSUE_LIST = [
    "county,Franklin County,PA",
    "city,Pittsburgh,PA",
    "county,Chester County,PA",
    "state,Pennsylvania,PA",
]


def read_audit_csv(path) -> tuple[list[str], list[dict]]:
    """audit.csv: comment lines (#) at the top, then the table."""
    lines = path.read_text().splitlines(keepends=True)
    comments = [line.rstrip("\n") for line in lines if line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("".join(ln for ln in lines if not ln.startswith("#")))))
    return comments, rows


@pytest.fixture(scope="module")
def doj_audit(pa_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    result = run(pa_store, "audit", DOJ_LIST, "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads((out / "audit.json").read_text()), out, result.output


def _audit(db, tmp_path, rows, *args, name="list.csv"):
    path = tmp_path / name
    path.write_text("jurisdiction_type,name,state\n" + "".join(f"{r}\n" for r in rows))
    out = tmp_path / "out"
    result = run(db, "audit", path, *args, "--out", out)
    assert result.exit_code == 0, result.output
    audit = json.loads((out / "audit.json").read_text())
    return {e["name"]: e for e in audit["entries"]}, audit, out


# ---- the issue's list on the demo store -------------------------------------------------------


@pytest.fixture(scope="module")
def issue_audit(pa_store, tmp_path_factory):
    return _audit(pa_store, tmp_path_factory.mktemp("issue"), ISSUE_LIST)


def test_franklin_county_pa_honored_296_declined_0_is_not_supported(issue_audit):
    entries, _, _ = issue_audit
    franklin = entries["Franklin County"]
    assert (franklin["evidence"]["booked"], franklin["evidence"]["declined"]) == (296, 0)
    assert (franklin["verdict"], franklin["rule"]) == ("contradicted", "honored_none_declined")
    # Galarza (a federal ruling that detainers are requests) is listed, not counted.
    galarza = [
        i for i in franklin["evidence"]["not_counted"] if i["short_title"] == "Galarza v. Szalczyk"
    ]
    assert galarza and "binds no local government" in galarza[0]["reason"]
    assert franklin["evidence"]["instruments"] == []


def test_chester_county_one_decline_among_933_honored_is_isolated_not_a_practice(issue_audit):
    entries, _, _ = issue_audit
    chester = entries["Chester County"]
    assert (chester["evidence"]["booked"], chester["evidence"]["declined"]) == (933, 1)
    assert chester["verdict"] != "supported"
    assert (chester["verdict"], chester["rule"]) == ("isolated declines", "isolated_declines")
    assert chester["rate"].startswith("declined 1 of 934 with a recorded outcome (0.1%, 95% CI")


def test_pittsburgh_without_records_is_no_evidence(issue_audit):
    entries, _, _ = issue_audit
    pittsburgh = entries["Pittsburgh"]
    assert (pittsburgh["verdict"], pittsburgh["rule"]) == ("no evidence", "no_records")
    assert pittsburgh["rate"] == "no detainer records"


def test_pennsylvania_is_not_supported_by_philadelphias_declines(issue_audit):
    entries, audit, _ = issue_audit
    pa = entries["Pennsylvania"]
    assert pa["verdict"] != "supported"
    assert (pa["verdict"], pa["rule"]) == ("contradicted", "state_facilities_honor")
    names = [j["name"] for j in pa["evidence"]["local_governments_declining"]]
    assert "Philadelphia, PA" in names and "Dauphin County, PA" in names
    assert "Chester County, PA" not in names  # one decline is not a practice
    # The state's own facilities are its evidence; local declines are counted apart.
    assert (
        pa["evidence"]["declined"] == 1 and pa["evidence"]["local_totals"]["local_declined"] >= 207
    )
    # The converse list is computed at county and city level, whatever state entries the list holds.
    assert "Dauphin County, PA" in [c["name"] for c in audit["converse"]]
    assert "Philadelphia, PA" in [c["name"] for c in audit["converse"]]


@pytest.mark.parametrize(
    "start,end,supported", [("2014-04-01", "2015-07-18", True), ("2008-01-01", "2012-12-31", False)]
)
def test_philadelphia_supported_after_its_2014_policy_and_not_before(
    pa_store, tmp_path, start, end, supported
):
    entries, _, _ = _audit(
        pa_store, tmp_path, ["city,Philadelphia,PA"], "--from", start, "--to", end
    )
    philly = entries["Philadelphia"]
    assert (philly["verdict"] == "supported") is supported
    if supported:
        assert philly["rule"] == "practice_of_declining"
        assert philly["rate"].startswith("declined 149 of 171 with a recorded outcome (87%")
    else:
        # 11 declines among 2,186 recorded outcomes, years before any policy.
        assert (philly["verdict"], philly["rule"]) == ("isolated declines", "isolated_declines")
        assert (philly["evidence"]["declined"], philly["evidence"]["with_outcome"]) == (11, 2186)
        reasons = {i["short_title"]: i["reason"] for i in philly["evidence"]["not_counted"]}
        assert reasons["Mayoral Executive Order"].startswith("not in force in the period")


def test_a_policy_adopted_mid_period_shows_in_the_latest_months(doj_audit):
    audit, _, _ = doj_audit
    philly = next(e for e in audit["entries"] if e["name"] == "Philadelphia")
    assert (philly["verdict"], philly["rule"]) == ("supported", "practice_of_declining")
    assert philly["evidence"]["declined"] == 190 and philly["evidence"]["with_outcome"] == 2718
    assert philly["evidence"]["practice_window"] == "latest months"
    assert philly["evidence"]["recent"]["from"] == "2014-07-19"
    assert philly["evidence"]["records_from"] == "2007-10-03"
    assert "county:42101" in philly["covers"]  # city and county are one


# ---- the DOJ list: period honesty and the rate beside every verdict ---------------------------


def test_all_35_doj_entries_get_a_verdict_with_evidence_and_rule(doj_audit):
    audit, out, _ = doj_audit
    assert len(audit["entries"]) == 35
    for e in audit["entries"]:
        assert e["verdict"] in VERDICTS
        assert e["rule"] and e["explanation"] and e["figures"] and e["evidence"] is not None
    _, rows = read_audit_csv(out / "audit.csv")
    assert len(rows) == 35
    assert "Methodology" in (out / "index.html").read_text()


def test_doj_list_of_2025_carries_the_period_warning_on_every_output(doj_audit):
    audit, out, output = doj_audit
    assert audit["list_date"] == "2025-08-05"
    assert next(iter(audit)) == "period_warning"  # the first key of the JSON
    assert (
        "2025-08-05" in audit["period_warning"]
        and "2007-10-02 to 2015-07-18" in audit["period_warning"]
    )
    assert all(e["period_note"] == "evidence from another period" for e in audit["entries"])
    comments, rows = read_audit_csv(out / "audit.csv")
    assert comments[0].startswith("# audit of") and "list date: 2025-08-05" in comments[0]
    assert "evidence period: 2007-10-02 to 2015-07-18" in comments[0]
    assert comments[1].startswith("# WARNING: Evidence from another period")
    assert all(r["period_note"] == "evidence from another period" for r in rows)
    html = (out / "index.html").read_text()
    assert html.index("Evidence from another period") < html.index("<h1>")
    assert html.count("(evidence from another period)") == 35
    assert "WARNING: Evidence from another period" in output
    # The web app serves build_audit's dict as JSON (period_warning first) and renders the same
    # template without links (it references nothing outside itself).
    from detainerwatch.publish.output import environment

    page = environment().get_template("audit.html").render(a=audit)
    assert page.index("Evidence from another period") < page.index("<h1>")
    assert "declined 190 of 2,718" in page
    assert not re.search(r'href="https?:', page)


def test_every_doj_entry_row_carries_share_and_denominator(doj_audit):
    audit, out, _ = doj_audit
    _, rows = read_audit_csv(out / "audit.csv")
    assert {r["records"] for r in rows} == {"covered", "not covered"}
    for row, entry in zip(rows, audit["entries"], strict=True):
        assert row["rate"] == entry["rate"] and row["verdict"] == entry["verdict"]
        ev = entry["evidence"]
        if row["records"] == "not covered":
            # The store holds no record for the entry's state: not covered, never 0.
            assert row["rate"].startswith("not covered: the store holds no detainer records for")
            assert row["with_outcome"] == row["declined"] == "" and ev["with_outcome"] is None
            continue
        assert row["with_outcome"] != "" and row["declined"] != ""
        assert ev["with_outcome"] == ev["booked"] + ev["declined"]
        if ev["with_outcome"]:
            assert row["declined_share"] and row["ci95_low"] and row["ci95_high"]
            assert f"of {ev['with_outcome']:,} with a recorded outcome" in row["rate"]
        assert row["rate"] == entry["rate"]
    html = (out / "index.html").read_text()
    assert "declined 190 of 2,718 with a recorded outcome (7.0%, 95% CI 6.1%-8.0%)" in html


def test_a_list_date_inside_the_period_gives_no_warning(pa_store, tmp_path):
    _, audit, out = _audit(
        pa_store, tmp_path, ["city,Philadelphia,PA"], "--list-date", "2015-06-01"
    )
    assert audit["period_warning"] is None and audit["list_date"] == "2015-06-01"
    assert audit["entries"][0]["period_note"] is None
    comments, _ = read_audit_csv(out / "audit.csv")
    assert len(comments) == 1 and "WARNING" not in (out / "index.html").read_text()
    # --list-date wins over nothing; a list that gives no date says its date is not known.
    _, audit, _ = _audit(pa_store, tmp_path, ["city,Philadelphia,PA"])
    assert audit["list_date"] is None and "not known" in audit["dates"]["note"]
    # A date a decade after the evidence: the same warning as the DOJ list's.
    _, audit, _ = _audit(pa_store, tmp_path, ["city,Philadelphia,PA"], "--list-date", "2025-05-29")
    assert audit["period_warning"].startswith("Evidence from another period")


# ---- instruments: counted, and not counted with the reason ------------------------------------


def _policy(**overrides):
    row = {
        "policy_id": "t:2",
        "short_title": "t",
        "jurisdiction_type": "state",
        "jurisdiction_name": "Texas",
        "instrument_type": "statute",
        "effect": "limits_cooperation",
        "in_force_from": dt.date(2020, 1, 1),
        "in_force_to": None,
        "date_precision": "day",
        "detainer_holds": "unspecified",
        "notification": "unspecified",
        "jail_access": "unspecified",
        "agreements_287g": "unspecified",
        "source_url": None,
    }
    row.update(overrides)
    return row


PERIOD_2020 = Period(dt.date(2020, 1, 1), dt.date(2020, 12, 31), "2020")


@pytest.mark.parametrize(
    "policy,kind,expected",
    [
        (_policy(detainer_holds="prohibited"), "local", "limits"),
        (_policy(notification="limited"), "local", "limits"),
        (_policy(effect="requires_cooperation", detainer_holds="required"), "local", "requires"),
        # a local government's own requiring instrument binds it
        (
            _policy(
                effect="requires_cooperation", detainer_holds="required", jurisdiction_type="county"
            ),
            "local",
            "requires",
        ),
        (_policy(agreements_287g="prohibited"), "local", "287(g) only"),
        (_policy(detainer_holds="prohibited", in_force_from=None), "local", "undated"),
        (
            _policy(detainer_holds="prohibited", in_force_from=dt.date(2021, 1, 1)),
            "local",
            "not in force",
        ),
        (
            _policy(
                detainer_holds="prohibited",
                in_force_from=dt.date(2015, 1, 1),
                in_force_to=dt.date(2019, 12, 31),
            ),
            "local",
            "not in force",
        ),
        (_policy(effect="mixed", detainer_holds="limited"), "local", "mixed effect"),
        (
            _policy(effect="declares_voluntary", instrument_type="court_ruling"),
            "local",
            "binds no local government",
        ),
        (
            _policy(effect="declares_voluntary", instrument_type="court_ruling"),
            "state",
            "binds no local government",
        ),
        (
            _policy(
                effect="restricts_ice", instrument_type="court_ruling", detainer_holds="limited"
            ),
            "local",
            "binds ICE",
        ),
        # a governor's order binds state agencies: counted for the state, not for its counties
        (
            _policy(
                effect="requires_cooperation",
                instrument_type="executive_order",
                detainer_holds="required",
            ),
            "local",
            "binds the state's own agencies",
        ),
        (
            _policy(
                effect="requires_cooperation",
                instrument_type="executive_order",
                detainer_holds="required",
            ),
            "state",
            "requires",
        ),
        (_policy(detainer_holds="limited", jurisdiction_type="counties"), "local", "limits"),
        (
            _policy(detainer_holds="limited", jurisdiction_type="counties"),
            "state",
            "not to the state",
        ),
    ],
)
def test_instruments_are_counted_only_where_they_bind_and_apply(policy, kind, expected):
    limiting, requiring, not_counted = audit_mod.classify_instruments(
        [policy], kind, PERIOD_2020, audit_mod.load_rules()
    )
    got = "limits" if limiting else "requires" if requiring else not_counted[0]["reason"]
    assert expected in got, got
    assert len(limiting) + len(requiring) + len(not_counted) == 1


@pytest.fixture(scope="module")
def empty_store(tmp_path_factory):
    """A store with one detainer at a PA facility, so that audits run on policy evidence."""
    db = tmp_path_factory.mktemp("one") / "one.duckdb"
    path = db.parent / "one.csv"
    lines = PA_EXTRACT.read_text().splitlines(keepends=True)[:2]
    path.write_text("".join(lines))
    assert run(db, "ingest", "--quiet", path).exit_code == 0
    return db


def test_a_local_policy_ends_where_a_later_state_law_requires_compliance(empty_store, tmp_path):
    rows = ["county,Travis County,TX", "county,Miami-Dade County,FL", "city,New Orleans,LA"]
    before, _, _ = _audit(empty_store, tmp_path, rows, "--from", "2015-01-01", "--to", "2015-12-31")
    assert before["Travis County"]["rule"] == "binding_law_limits"
    assert before["Miami-Dade County"]["rule"] == "binding_law_limits"
    after, _, _ = _audit(empty_store, tmp_path, rows, "--from", "2024-06-01", "--to", "2024-12-31")
    travis = after["Travis County"]
    assert (travis["verdict"], travis["rule"]) == ("contradicted", "binding_law_requires")
    assert all("Sheriff" not in i["short_title"] for i in travis["evidence"]["instruments"])
    sheriff = [i for i in travis["evidence"]["not_counted"] if "Sheriff" in i["short_title"]]
    assert sheriff and sheriff[0]["reason"].startswith("not in force in the period")
    assert after["Miami-Dade County"]["verdict"] == "contradicted"
    # A federal consent decree is not ended by state law: both bind, and point both ways.
    orleans = after["New Orleans"]
    assert (orleans["verdict"], orleans["rule"]) == ("mixed", "law_both_ways")
    assert {i["counted_as"] for i in orleans["evidence"]["instruments"]} == {
        "limits cooperation",
        "requires cooperation",
    }
    # Across the change, the local policy counts and says when it ended and why.
    across, _, _ = _audit(
        empty_store, tmp_path, rows[:1], "--from", "2016-01-01", "--to", "2018-12-31"
    )
    text = " ".join(across["Travis County"]["evidence"]["for"])
    assert "to 2017-04-30" in text and "superseded by Texas SB 4" in text


def test_undated_and_287g_only_instruments_do_not_decide_a_verdict(empty_store, tmp_path):
    entries, _, out = _audit(
        empty_store,
        tmp_path,
        ["state,Delaware,DE", "state,District of Columbia,DC"],
        "--from",
        "2008-01-01",
        "--to",
        "2008-12-31",
    )
    dc = entries["District of Columbia"]
    assert (dc["verdict"], dc["rule"]) == ("no evidence", "state_not_covered")
    reasons = {i["short_title"]: i["reason"] for i in dc["evidence"]["not_counted"]}
    assert reasons["Sanctuary Values Amendment Act of 2020"].startswith("undated")
    assert reasons["Immigration Detainer Compliance Amendment Act of 2012"].startswith(
        "not in force"
    )
    # One row per instrument: D.C.'s detainer act once, not twice with two dates.
    titles = [i["short_title"] for i in dc["evidence"]["not_counted"]]
    assert sum("Detainer" in t and "Compliance" in t for t in titles) == 1
    later, _, out = _audit(
        empty_store, tmp_path, ["state,Delaware,DE"], "--from", "2025-08-01", "--to", "2025-12-31"
    )
    delaware = later["Delaware"]  # a ban on 287(g) agreements says nothing about detainers
    assert (delaware["verdict"], delaware["rule"]) == ("no evidence", "state_not_covered")
    assert any(i["reason"].startswith("287(g) only") for i in delaware["evidence"]["not_counted"])
    assert "not counted" in (out / "index.html").read_text()
    _, rows = read_audit_csv(out / "audit.csv")
    assert (
        rows[0]["instruments_counted"] == "" and "287(g) only" in rows[0]["instruments_not_counted"]
    )


def test_colorado_county_jails_apply_to_each_county_not_to_the_state(empty_store, tmp_path):
    entries, _, out = _audit(
        empty_store,
        tmp_path,
        ["state,Colorado,CO", "county,Weld County,CO"],
        "--from",
        "2015-01-01",
        "--to",
        "2015-12-31",
    )
    colorado, weld = entries["Colorado"], entries["Weld County"]
    assert colorado["verdict"] == "no evidence" and colorado["evidence"]["instruments"] == []
    jails = [i for i in colorado["evidence"]["not_counted"] if i["jurisdiction_type"] == "counties"]
    assert len(jails) == 1 and "not to the state" in jails[0]["reason"]
    assert (weld["verdict"], weld["rule"]) == ("supported", "binding_law_limits")
    assert [i["jurisdiction_name"] for i in weld["evidence"]["instruments"]] == [
        "County jails of Colorado"
    ]


def test_state_law_sources_are_links_in_the_page(empty_store, tmp_path):
    _, _, out = _audit(
        empty_store, tmp_path, ["state,California,CA"], "--from", "2015-01-01", "--to", "2015-12-31"
    )
    html = (out / "index.html").read_text()
    assert '<a href="https://leginfo.legislature.ca.gov' in html or '<a href="http' in html
    _, rows = read_audit_csv(out / "audit.csv")
    assert "<http" in rows[0]["instruments_counted"]


# ---- the rules of the hand file ---------------------------------------------------------------


def _values(**overrides):
    """Figures of an entry for the rule language: practice figures and instrument counts."""
    base = dict(
        issued=0,
        booked=0,
        declined=0,
        open=0,
        other_outcomes=0,
        with_outcome=0,
        declined_share=0.0,
        ci95_low=0.0,
        ci95_high=0.0,
        declined_share_low=0.0,
        declining_practice=0,
        limiting_instruments=0,
        requiring_instruments=0,
        local_issued=0,
        local_booked=0,
        local_declined=0,
        local_governments_declining=0,
        local_governments_with_records=0,
        covered=1,
    )
    base.update(overrides)
    return base


RULE_CASES = [
    (
        "local",
        dict(
            issued=300,
            booked=20,
            declined=150,
            with_outcome=170,
            declining_practice=1,
            requiring_instruments=1,
        ),
        "practice_of_declining",
    ),
    ("local", dict(limiting_instruments=1), "binding_law_limits"),
    ("local", dict(issued=400, booked=300, requiring_instruments=1), "binding_law_requires"),
    ("local", dict(issued=397, booked=296, with_outcome=296), "honored_none_declined"),
    ("local", dict(issued=1385, booked=933, declined=1, with_outcome=934), "isolated_declines"),
    ("local", dict(limiting_instruments=1, requiring_instruments=1), "law_both_ways"),
    ("local", dict(covered=0), "not_covered"),
    ("local", dict(), "no_records"),
    ("local", dict(issued=3, booked=2, with_outcome=2, open=1), "records_inconclusive"),
    ("state", dict(limiting_instruments=1, issued=50, booked=50), "state_law_limits"),
    ("state", dict(requiring_instruments=1, local_governments_declining=3), "state_law_requires"),
    ("state", dict(limiting_instruments=1, requiring_instruments=1), "state_law_both_ways"),
    ("state", dict(covered=0), "state_not_covered"),
    (
        "state",
        dict(issued=40, declined=30, with_outcome=35, declining_practice=1),
        "state_facilities_decline",
    ),
    (
        "state",
        dict(
            issued=2279, booked=1031, declined=1, with_outcome=1032, local_governments_declining=2
        ),
        "state_facilities_honor",
    ),
    (
        "state",
        dict(local_governments_declining=2, local_declined=207),
        "only_local_governments_decline",
    ),
    ("state", dict(local_booked=900, local_issued=1200), "no_local_government_declines"),
    ("state", dict(), "no_records"),
]


@pytest.mark.parametrize("kind,values,rule", RULE_CASES, ids=[f"{k}-{r}" for k, _, r in RULE_CASES])
def test_each_verdict_rule(kind, values, rule):
    config = audit_mod.load_rules()
    assert audit_mod.decide(kind, _values(**values), config)["id"] == rule


def test_every_rule_of_the_hand_file_has_a_test():
    config = audit_mod.load_rules()
    in_file = {(kind, r["id"]) for kind, rules in config["rules"].items() for r in rules}
    assert in_file == {(k, r) for k, _, r in RULE_CASES}
    for rules in config["rules"].values():
        for r in rules:
            assert r["verdict"] in VERDICTS
            r["explain"].format(**config["parameters"])  # every explanation renders


@pytest.mark.parametrize(
    "declined,with_outcome,practice",
    [
        (5, 6, True),  # five of six decisions declined
        (4, 4, False),  # fewer than min_declines: never a practice
        (5, 600, False),  # five among hundreds honored: isolated
        (17, 236, False),  # Dauphin County over 2007-2015: 7% ...
        (11, 14, True),  # ... and over its latest 12 months
    ],
)
def test_the_practice_definition(declined, with_outcome, practice):
    config = audit_mod.load_rules()
    low, high = audit_mod.wilson(declined, with_outcome)
    stats = dict(
        declined=declined,
        with_outcome=with_outcome,
        declined_share=declined / with_outcome,
        ci95_low=low,
        ci95_high=high,
        issued=with_outcome,
        booked=with_outcome - declined,
        open=0,
        other_outcomes=0,
    )
    none = dict(
        stats, declined=0, with_outcome=0, declined_share=None, ci95_low=None, ci95_high=None
    )
    assert audit_mod.is_declining_practice(stats, none, config)[0] is practice
    assert audit_mod.is_declining_practice(none, stats, config) == (
        practice,
        "latest months" if practice else None,
    )


def test_wilson_interval():
    assert audit_mod.wilson(0, 0) == (None, None)
    low, high = audit_mod.wilson(0, 10)
    assert low == 0 and round(high, 4) == 0.2775
    low, high = audit_mod.wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)


def test_a_changed_parameter_in_the_hand_file_changes_the_verdicts(pa_store, tmp_path, monkeypatch):
    rows = ["county,Dauphin County,PA", "state,Pennsylvania,PA"]
    entries, audit, _ = _audit(pa_store, tmp_path, rows)
    assert (entries["Dauphin County"]["verdict"], entries["Dauphin County"]["rule"]) == (
        "supported",
        "practice_of_declining",
    )  # 17 declines; 11 of 14 in the latest 12 months
    assert "Dauphin County, PA" in [
        j["name"] for j in entries["Pennsylvania"]["evidence"]["local_governments_declining"]
    ]
    config = audit_mod.load_rules()
    config["parameters"]["min_declines"] = 20
    changed = tmp_path / "verdict_rules.yaml"
    changed.write_text(yaml.safe_dump(config, sort_keys=False))
    real = audit_mod.hand_path
    monkeypatch.setattr(
        audit_mod, "hand_path", lambda name: changed if name == "verdict_rules.yaml" else real(name)
    )
    entries, audit, out = _audit(pa_store, tmp_path, rows)
    dauphin = entries["Dauphin County"]
    assert (dauphin["verdict"], dauphin["rule"]) == ("isolated declines", "isolated_declines")
    assert "Dauphin County, PA" not in [
        j["name"] for j in entries["Pennsylvania"]["evidence"]["local_governments_declining"]
    ]
    assert (
        audit["parameters"]["min_declines"] == 20
        and "min_declines = 20" in (out / "index.html").read_text()
    )


def test_the_rule_language_runs_nothing_else():
    with pytest.raises(ValueError):
        audit_mod._evaluate("__import__('os').system('true')", {})


# ---- entries, lists, errors --------------------------------------------------------------------


def test_entries_without_data_or_policy_are_no_evidence_not_errors(doj_audit):
    audit, _, _ = doj_audit
    seattle = next(e for e in audit["entries"] if e["name"] == "Seattle")
    assert (seattle["verdict"], seattle["rule"]) == ("no evidence", "not_covered")
    assert seattle["evidence"]["issued"] is None  # not covered, not 0
    washington = next(e for e in audit["entries"] if e["name"] == "Washington")
    assert (washington["verdict"], washington["rule"]) == ("no evidence", "state_not_covered")


def test_consolidated_city_counties_cover_the_county_jail():
    sf = audit_mod.resolve_entry(
        {"jurisdiction_type": "city", "name": "San Francisco", "state": "CA"}
    )
    assert set(sf["covers"]) == {"city:0667000", "county:06075"}
    nyc = audit_mod.resolve_entry(
        {"jurisdiction_type": "city", "name": "New York City", "state": "NY"}
    )
    assert {"county:36005", "county:36047", "county:36061", "county:36081", "county:36085"} <= set(
        nyc["covers"]
    )
    denver = audit_mod.resolve_entry(
        {"jurisdiction_type": "county", "name": "Denver", "state": "CO"}
    )
    assert "city:0820000" in denver["covers"]
    boston = audit_mod.resolve_entry({"jurisdiction_type": "city", "name": "Boston", "state": "MA"})
    assert boston["covers"] == ["city:2507000"]  # Suffolk County's jail is the sheriff's


def test_an_entry_that_cannot_be_resolved_is_reported(pa_store, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "jurisdiction_type,name,state\ncounty,Atlantis County,PA\ncity,Philadelphia,PA\n"
    )
    out = tmp_path / "out"
    assert run(pa_store, "audit", path, "--out", out).exit_code == 0
    entries = json.loads((out / "audit.json").read_text())["entries"]
    assert entries[0]["verdict"] == "unresolved" and "Atlantis" in entries[0]["explanation"]
    assert entries[1]["verdict"] == "supported"


@pytest.mark.parametrize(
    "content,part",
    [
        ("type,name,state\ncounty,Cook County,IL\n", "column 'jurisdiction_type'"),
        ("jurisdiction_type,name,state\nplanet,Mars,IL\n", "row 2"),
        ("jurisdiction_type,name,state\ncounty,Cook County,ZZ\n", "column 'state'"),
        ("jurisdiction_type,name,state\n", "at least one entry"),
        (
            "jurisdiction_type,name,state,list_date\ncounty,Cook County,IL,5 Aug 2025\n",
            "column 'list_date'",
        ),
        (
            "jurisdiction_type,name,state,list_date\ncounty,Cook County,IL,2025-08-05\n"
            "city,Chicago,IL,2025-05-29\n",
            "row 3",
        ),
    ],
)
def test_a_malformed_list_is_rejected(pa_store, tmp_path, content, part):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    before = snapshot(pa_store)
    result = run(pa_store, "audit", path, "--out", tmp_path / "o")
    assert result.exit_code == 2 and part in result.stderr and "bad.csv" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(pa_store) == before


def test_converse_lists_jurisdictions_the_list_left_out(doj_audit):
    audit, _, _ = doj_audit
    names = [c["name"] for c in audit["converse"]]
    assert names == ["Dauphin County, PA"]  # Philadelphia is on the list
    assert all(c["declining_practice"] and c["rate"] for c in audit["converse"])
    isolated = [c["name"] for c in audit["converse_isolated"]]
    assert "Chester County, PA" in isolated and "Dauphin County, PA" not in isolated


def test_a_state_entry_is_judged_on_its_own_facilities_not_its_counties(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    from detainerwatch.publish.report import resolve_period

    period = resolve_period(con, whole=True)
    result = audit_mod.build_audit(
        con,
        [{"row": 2, "jurisdiction_type": "state", "name": "Pennsylvania", "state": "PA"}],
        period,
        "t",
    )
    con.close()
    entry = result["entries"][0]
    # 225 declines in the extract: 220 at county and city facilities, 1 at the state's own
    # prisons, 4 at federal or private ones (which never count).
    assert entry["evidence"]["declined"] == 1
    assert entry["evidence"]["local_totals"]["local_declined"] == 219
    assert entry["verdict"] == "contradicted"
    assert [c["name"] for c in result["converse"]] == ["Philadelphia, PA", "Dauphin County, PA"]


def test_a_store_with_old_policy_records_says_so(pa_store, tmp_path):
    """A store loaded before Galarza was recoded keeps the old coding until refreshed: the
    audit says so at the top instead of silently repeating the 2017 error."""
    import shutil

    db = tmp_path / "old.duckdb"
    shutil.copy(pa_store, db)
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE policies SET effect = 'limits_cooperation', detainer_holds = 'limited' "
        "WHERE short_title = 'Galarza v. Szalczyk'"
    )
    con.close()
    _, audit, out = _audit(db, tmp_path, ["county,Franklin County,PA"])
    assert (
        audit["policy_warning"] and "Policy records out of date" in (out / "index.html").read_text()
    )
    comments, _ = read_audit_csv(out / "audit.csv")
    assert any("differ from the ones this version ships" in c for c in comments)
    _, audit, _ = _audit(pa_store, tmp_path, ["county,Franklin County,PA"])
    assert audit["policy_warning"] is None
