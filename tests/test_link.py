"""Attribution rules, each with real names from the releases and the ICE facility lists."""
from __future__ import annotations

import csv
import io

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from conftest import run
from detainerwatch.link import gazetteer as gz
from detainerwatch.link.dictionary import build
from detainerwatch.link.resolver import CONFIDENT, Resolver


@pytest.fixture(scope="module")
def resolver(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    try:
        return Resolver(build(con))
    finally:
        con.close()


@pytest.mark.parametrize("name,state,city,code,kind,fips,method", [
    # county words: COUNTY / CO. / CNTY, with the state suffix some names carry
    ("FRANKLIN COUNTY JAIL", "PENNSYLVANIA", "CHAMBERSBURG", None, "county", "42055", "parse"),
    ("CHESTER CNTY JAIL, PA", "PENNSYLVANIA", "WEST CHESTER", None, "county", "42029", "parse"),
    ("DAKOTA CO. JAIL, MN", "MN", "HASTINGS", None, "county", "27037", "parse"),
    ("HENNEPIN COUNTY ADC", "MN", "MINNEAPOLIS", None, "county", "27053", "parse"),
    # misspelt county names: fuzzy within the state only
    ("STERNS CO. JAIL", "MN", "ST. CLOUD", None, "county", "27145", "fuzzy"),
    ("LACKAWANA CNTY JAIL, PA", "PENNSYLVANIA", "SCRANTON", None, "county", "42069", "fuzzy"),
    # state prisons
    ("MINN.C.F.,ST.CLOUD", "MN", "ST. CLOUD", "MNCFSTC", "state", "27", "parse"),
    ("CAMPHILL SCI, PA", "PENNSYLVANIA", "CAMP HILL", None, "state", "42", "parse"),
    ("S.C.I. FOREST", "PENNSYLVANIA", "MARIENVILLE", None, "state", "42", "parse"),
    ("SRCF MERCER", "PENNSYLVANIA", "MERCER", None, "state", "42", "parse"),
    # federal: BOP and the Marshals, no county government
    ("USP CANAAN", "PENNSYLVANIA", "WAYMART", None, "federal", "42", None),
    ("LEWISBURG U.S. PEN.", "PENNSYLVANIA", "LEWISBURG", None, "federal", "42", "parse"),
    ("MCKEAN FED.CORR.INST.", "PENNSYLVANIA", "BRADFORD", None, "federal", "42", "parse"),
    ("ALLENWOOD (LOW) FCI", "PENNSYLVANIA", "WHITE DEER", None, "federal", "42", "parse"),
    ("US MARSHALS, MINNESOTA", "MN", None, None, "federal", "27", "parse"),
    ("US MARSHALS, E.DIST.PA", "PENNSYLVANIA", "PHILADELPHIA", None, "federal", "42", "parse"),
    # ICE's own
    ("PHI DISTRICT OFFICE", "PENNSYLVANIA", "PHILADELPHIA", None, "ice", "42", "parse"),
    # cities: police districts of a consolidated city-county, a suburb's police department
    ("PHILADELPHIA 15TH POLICE DIST.", "PENNSYLVANIA", "PHILADELPHIA", None, "city", "4260000", "parse"),
    ("BLOOMINGTON POLICE DEPT.", "MN", "BLOOMINGTON", None, "city", "2706616", "parse"),
    # reviewed overrides win over every rule
    ("CURRAN FROMHOLD CORR.FAC.", "PENNSYLVANIA", "PHILADELPHIA", None, "city", "4260000", "override"),
    ("MOSHANNON VALLEY CORRECTIONAL", "PENNSYLVANIA", "PHILIPSBURG", None, "private", "42", "override"),
    # the facility code gives context; the list's wrong county is not trusted
    ("ALBANY COUNTY JAIL", "NY", "ALBANY", "ALBCONY", "county", "36001", "code+parse"),
    ("SAN FRANCISCO COUNTY JAIL", "CA", "SAN FRANCISCO", "SFCOJCA", "county", "06075", "code+parse"),
])
def test_rules_on_real_names(resolver, name, state, city, code, kind, fips, method):
    a = resolver.resolve(name, state, city, code)
    assert a.jurisdiction_type == kind, a
    got = {"county": a.county_fips, "city": a.place_fips}.get(kind, a.state_fips)
    assert got == fips, a
    if method:
        assert a.method == method, a
    assert a.confidence >= CONFIDENT and not a.needs_review, a


def test_federal_marshals_have_no_county():
    a = Resolver().resolve("US MARSHALS, MINNESOTA", "MN")
    assert a.jurisdiction_type == "federal" and a.county_fips is None


def test_philadelphia_police_are_the_city_county(resolver):
    a = resolver.resolve("PHILADELPHIA 25TH POLICE DIST.", "PENNSYLVANIA", "PHILADELPHIA")
    assert (a.jurisdiction_name, a.county_fips, a.place_fips) == ("Philadelphia, PA", "42101", "4260000")


def test_same_name_in_three_states_is_three_counties(resolver):
    got = {resolver.resolve("FRANKLIN COUNTY JAIL", s).county_fips for s in ("PA", "NY", "IA")}
    assert got == {"42055", "36033", "19069"}


def test_a_name_that_contradicts_its_city_goes_to_review(resolver):
    # Potter County's prison is in Coudersport; Wellsboro lies in Tioga County.
    a = resolver.resolve("POTTER COUNTY PRISON", "PENNSYLVANIA", "WELLSBORO")
    assert a.needs_review and a.confidence < CONFIDENT and "Wellsboro".upper() in a.review_reason.upper()


def test_a_code_from_another_state_is_rejected(resolver):
    a = resolver.resolve("SOME COUNTY JAIL", "PA", None, "ALBCONY")
    assert "code" not in a.method
    assert any(c.get("rejected") for c in a.candidates)


def test_a_name_suffix_naming_another_state_is_reviewed():
    a = Resolver().resolve("CHESTER CNTY JAIL, PA", "NJ")
    assert a.needs_review and a.county_fips is None


def test_close_fuzzy_candidates_are_not_confident():
    # Two Pennsylvania counties are equally near: never pick one.
    a = Resolver().resolve("LEHANON COUNTY JAIL", "PA")
    assert a.needs_review or a.county_fips in ("42075",)


def test_unknown_names_go_to_review():
    a = Resolver().resolve("BETHEL CAMP", "PA")
    assert a.needs_review and a.jurisdiction_type == "unknown"


def test_dictionary_flags_contradicting_counties(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    entries = build(con)
    albany = entries["ALBCONY"]
    assert albany.county_fips is None and "KINGS" in albany.county_flag
    assert entries["SFCOJCA"].county_fips == "06075"


def test_gazetteer_has_recent_county_changes():
    assert gz.county_by_fips("09110").name == "Capitol Planning Region"
    assert gz.county_by_fips("02063") is not None and gz.county_by_fips("02158") is not None
    assert gz.counties_named("NM", "DONA ANA")[0].fips == "35013"


STATES = sorted({s.abbr for s in [gz.state(a) for a in
                 "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO "
                 "MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()]})
NAMES = ["FRANKLIN COUNTY JAIL", "MONTGOMERY CNTY JAIL", "WASHINGTON CO. JAIL", "JEFFERSON PARISH",
         "ORANGE COUNTY JAIL", "LINCOLN COUNTY DETENTION", "US MARSHALS", "COUNTY JAIL",
         "SPRINGFIELD POLICE DEPT.", "STATE PRISON", "JACKSON CITY JAIL", "STERNS CO. JAIL"]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(NAMES), st.sampled_from(STATES), st.sampled_from([None, "ALBANY", "SPRINGFIELD"]))
def test_never_across_a_state_line(name, state, city):
    a = Resolver().resolve(name, state, city)
    fips = gz.state(state).fips
    assert a.state_fips == fips
    for code in (a.county_fips, a.place_fips):
        assert code is None or code.startswith(fips), (name, state, a)


def test_resolve_command(pa_store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("facility,state,city\nFRANKLIN COUNTY JAIL,PENNSYLVANIA,CHAMBERSBURG\n"
                    "USP CANAAN,PA,WAYMART\n")
    result = run(pa_store, "resolve", path)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["county_fips"] == "42055" and rows[0]["jurisdiction_type"] == "county"
    assert rows[1]["jurisdiction_type"] == "federal" and rows[1]["city"] == "WAYMART"


def test_resolve_command_errors(pa_store, tmp_path):
    path = tmp_path / "nostate.csv"
    path.write_text("facility\nX\n")
    result = run(pa_store, "resolve", path)
    assert result.exit_code == 2 and "column 'state'" in result.stderr
    path.write_text("facility,state\nX,ATLANTIS\n")
    result = run(pa_store, "resolve", path)
    assert result.exit_code == 2 and "row 2" in result.stderr


def test_review_queue_command(pa_store):
    result = run(pa_store, "resolve", "--review")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["facility"] for r in rows] == ["POTTER COUNTY PRISON"]


def test_franklin_county_pa_in_the_store_has_its_397(pa_store):
    con = duckdb.connect(str(pa_store), read_only=True)
    rows = con.execute("SELECT jurisdiction_name, county_fips, detainers FROM facility_attribution "
                       "WHERE facility_name = 'FRANKLIN COUNTY JAIL'").fetchall()
    assert rows == [("Franklin County, PA", "42055", 397)]
