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


@pytest.mark.parametrize(
    "name,state,city,code,kind,fips,method",
    [
        # county words: COUNTY / CO. / CNTY, with the state suffix some names carry
        ("FRANKLIN COUNTY JAIL", "PENNSYLVANIA", "CHAMBERSBURG", None, "county", "42055", "parse"),
        ("CHESTER CNTY JAIL, PA", "PENNSYLVANIA", "WEST CHESTER", None, "county", "42029", "parse"),
        ("DAKOTA CO. JAIL, MN", "MN", "HASTINGS", None, "county", "27037", "parse"),
        ("HENNEPIN COUNTY ADC", "MN", "MINNEAPOLIS", None, "county", "27053", "parse"),
        # misspelt county names: fuzzy within the state only
        ("STERNS CO. JAIL", "MN", "ST. CLOUD", None, "county", "27145", "fuzzy"),
        ("LACKAWANA CNTY JAIL, PA", "PENNSYLVANIA", "SCRANTON", None, "county", "42069", "fuzzy"),
        # state prisons
        ("MINN.C.F.,ST.CLOUD", "MN", "ST. CLOUD", "MNCFSTC", "state", "27", "parse+reference"),
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
        (
            "PHILADELPHIA 15TH POLICE DIST.",
            "PENNSYLVANIA",
            "PHILADELPHIA",
            None,
            "city",
            "4260000",
            "parse",
        ),
        ("BLOOMINGTON POLICE DEPT.", "MN", "BLOOMINGTON", None, "city", "2706616", "parse"),
        # reviewed overrides win over every rule
        (
            "CURRAN FROMHOLD CORR.FAC.",
            "PENNSYLVANIA",
            "PHILADELPHIA",
            None,
            "city",
            "4260000",
            "override",
        ),
        (
            "MOSHANNON VALLEY CORRECTIONAL",
            "PENNSYLVANIA",
            "PHILIPSBURG",
            None,
            "private",
            "42",
            "override",
        ),
        # the facility code gives context; the list's wrong county is not trusted
        ("ALBANY COUNTY JAIL", "NY", "ALBANY", "ALBCONY", "county", "36001", "code+parse"),
        (
            "SAN FRANCISCO COUNTY JAIL",
            "CA",
            "SAN FRANCISCO",
            "SFCOJCA",
            "county",
            "06075",
            "code+parse",
        ),
    ],
)
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
    assert (a.jurisdiction_name, a.county_fips, a.place_fips) == (
        "Philadelphia, PA",
        "42101",
        "4260000",
    )


def test_same_name_in_three_states_is_three_counties(resolver):
    got = {resolver.resolve("FRANKLIN COUNTY JAIL", s).county_fips for s in ("PA", "NY", "IA")}
    assert got == {"42055", "36033", "19069"}


def test_a_name_that_contradicts_its_city_goes_to_review(resolver):
    # Potter County's prison is in Coudersport; Wellsboro lies in Tioga County.
    a = resolver.resolve("POTTER COUNTY PRISON", "PENNSYLVANIA", "WELLSBORO")
    assert (
        a.needs_review
        and a.confidence < CONFIDENT
        and "Wellsboro".upper() in a.review_reason.upper()
    )


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


STATES = sorted(
    {
        s.abbr
        for s in [
            gz.state(a)
            for a in "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO "
            "MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
        ]
    }
)
NAMES = [
    "FRANKLIN COUNTY JAIL",
    "MONTGOMERY CNTY JAIL",
    "WASHINGTON CO. JAIL",
    "JEFFERSON PARISH",
    "ORANGE COUNTY JAIL",
    "LINCOLN COUNTY DETENTION",
    "US MARSHALS",
    "COUNTY JAIL",
    "SPRINGFIELD POLICE DEPT.",
    "STATE PRISON",
    "JACKSON CITY JAIL",
    "STERNS CO. JAIL",
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(NAMES),
    st.sampled_from(STATES),
    st.sampled_from([None, "ALBANY", "SPRINGFIELD"]),
)
def test_never_across_a_state_line(name, state, city):
    a = Resolver().resolve(name, state, city)
    fips = gz.state(state).fips
    assert a.state_fips == fips
    for code in (a.county_fips, a.place_fips):
        assert code is None or code.startswith(fips), (name, state, a)


def test_resolve_command(pa_store, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        "facility,state,city\nFRANKLIN COUNTY JAIL,PENNSYLVANIA,CHAMBERSBURG\n"
        "USP CANAAN,PA,WAYMART\n"
    )
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
    rows = con.execute(
        "SELECT jurisdiction_name, county_fips, detainers FROM facility_attribution "
        "WHERE facility_name = 'FRANKLIN COUNTY JAIL'"
    ).fetchall()
    assert rows == [("Franklin County, PA", "42055", 397)]


# -- independent cities, consolidated and unified governments, boroughs and parishes -----------


@pytest.mark.parametrize(
    "name,state,city,code,county",
    [
        # Virginia's independent cities are their own county-equivalents, never the county of the
        # same name (Richmond County 51159, Roanoke County 51161); real names from the ICE list
        ("RICHMOND CITY JAIL", "VA", "RICHMOND", "RICHMVA", "51760"),
        ("NORFOLK CITY JAIL", "VA", "NORFOLK", "NORFOVA", "51710"),
        ("ALEXANDRIA CITY JAIL", "VA", "ALEXANDRIA", "ALEXAVA", "51510"),
        ("ROANOKE CITY JAIL", "VA", "ROANOKE", "RONKEVA", "51770"),  # the list says ROANOKE county
        ("PORTSMOUTH CITY JAIL", "VA", "PORTSMOUTH", None, "51740"),
        # Baltimore, St. Louis and Carson City likewise; Alaska's unified city-boroughs
        ("BALTIMORE CITY JAIL", "MD", "BALTIMORE", None, "24510"),
        ("ST LOUIS CITY JAIL", "MO", "SAINT LOUIS", None, "29510"),
        ("CARSON CITY JAIL", "NV", "CARSON CITY", None, "32510"),
        ("CARSON CITY SHERIFF", "NV", "CARSON CITY", None, "32510"),
        ("SITKA CITY JAIL", "AK", "SITKA", "SITKAAK", "02220"),
        ("JUNEAU POLICE DEPT", "AK", "JUNEAU", None, "02110"),
    ],
)
def test_independent_cities_are_their_own_county(resolver, name, state, city, code, county):
    a = resolver.resolve(name, state, city, code)
    assert (a.jurisdiction_type, a.county_fips) == ("city", county), a
    assert a.confidence >= CONFIDENT and not a.needs_review, a


def test_a_county_and_an_independent_city_of_one_name_stay_apart():
    r = Resolver()
    assert r.resolve("RICHMOND COUNTY JAIL", "VA", "WARSAW").county_fips == "51159"
    assert r.resolve("ST. LOUIS COUNTY JAIL", "MO", "CLAYTON").county_fips == "29189"
    assert r.resolve("BALTIMORE COUNTY DETENTION CENTER", "MD", "TOWSON").county_fips == "24005"
    assert (
        r.resolve("FAIRFAX COUNTY ADULT DETENTION CENTER", "VA", "FAIRFAX").county_fips == "51059"
    )
    assert r.resolve("FAIRFAX CITY POLICE", "VA", "FAIRFAX").county_fips == "51600"


def test_a_borough_is_a_county_in_alaska_only():
    r = Resolver()
    a = r.resolve("MATANUSKA-SUSITNA BOROUGH JAIL", "AK", "PALMER")
    # The borough word names the county-equivalent; Alaska's jails are the state's (issue 13).
    assert (a.jurisdiction_type, a.county_fips) == ("state", "02170") and not a.needs_review
    # In Pennsylvania and New Jersey a borough is a municipality: Indiana Borough is not
    # Indiana County's government, though it lies in Indiana County.
    a = r.resolve("INDIANA BOROUGH POLICE DEPT", "PA", "INDIANA")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "city",
        "Indiana, PA",
        "42063",
    )
    a = r.resolve("FORT LEE BOROUGH POLICE", "NJ", "FORT LEE")
    assert (a.jurisdiction_type, a.county_fips) == ("city", "34003")


def test_a_parish_outside_louisiana_is_reviewed():
    r = Resolver()
    a = r.resolve("JEFFERSON PARISH CORRECTIONAL CENTER", "LA", "GRETNA")
    assert (a.jurisdiction_type, a.county_fips, a.needs_review) == ("county", "22051", False)
    a = r.resolve("JEFFERSON PARISH JAIL", "AL")
    assert a.needs_review and a.confidence < CONFIDENT


def test_connecticut_has_no_county_government():
    r = Resolver()
    a = r.resolve("HARTFORD COUNTY JAIL", "CT", "HARTFORD")
    # No county government: the jail is the state's; the county word says where it is.
    assert (a.jurisdiction_type, a.county_fips, a.needs_review) == ("state", "09003", False)
    assert {
        "step": "parse",
        "unified_corrections": "CT",
        "county_named": "Hartford County",
    } in a.candidates
    # Its jails are the state's (one state system, like AK, DE, HI, RI, VT); its police the towns'.
    a = r.resolve("HARTFORD CORRECTIONAL CENTER", "CT", "HARTFORD")
    assert a.jurisdiction_type == "state" and not a.needs_review
    a = r.resolve("NEW HAVEN POLICE DEPT", "CT", "NEW HAVEN")
    assert a.jurisdiction_type == "city" and not a.needs_review


def test_gazetteer_has_connecticut_planning_regions_and_alaska_census_areas():
    assert [c.fips for c in gz.counties_named("CT", "Capitol Planning Region")] == ["09110"]
    assert [c.fips for c in gz.counties_named("CT", "WESTERN CONNECTICUT")] == ["09190"]
    assert [c.fips for c in gz.counties_named("AK", "CHUGACH")] == ["02063"]
    assert [c.fips for c in gz.counties_named("AK", "KUSILVAK")] == ["02158"]


# -- spelling: apostrophes, spacing, abbreviations --------------------------------------------


@pytest.mark.parametrize(
    "name,state,fips",
    [
        ("ST. MARYS COUNTY DETENTION CENTER", "MD", "24037"),  # real, St. Mary's
        ("OBRIEN COUNTY JAIL (IOWA)", "IA", "19141"),  # real, O'Brien
        ("PRINCE GEORGE'S COUNTY DETENTION CENTER", "MD", "24033"),
        ("FT BEND COUNTY JAIL", "TX", "48157"),
        ("DE KALB COUNTY JAIL", "IL", "17037"),
        ("MC LEAN COUNTY JAIL", "IL", "17113"),
        ("LASALLE PARISH JAIL", "LA", "22059"),
    ],
)
def test_county_spellings_match_exactly(name, state, fips):
    a = Resolver().resolve(name, state)
    assert (a.county_fips, a.method) == (fips, "parse"), a


# -- words that change the kind of government ---------------------------------------------------


@pytest.mark.parametrize(
    "name,state,city,kind,operator",
    [
        ("CCA, FLORENCE CORRECTIONAL CENTER", "AZ", "FLORENCE", "private", "CoreCivic"),
        ("WEBB COUNTY DETENTION CENTER (CCA)", "TX", "LAREDO", "private", "CoreCivic"),
        ("SANTA FE CORNELL DETENTION", "NM", "SANTA FE", "private", "GEO Group"),
        ("PENNSYLVANIA STATE POLICE", "PA", "HARRISBURG", "state", "Pennsylvania"),
        ("CALIFORNIA HIGHWAY PATROL", "CA", "SACRAMENTO", "state", "California"),
        ("TDCJ HUNTSVILLE UNIT", "TX", "HUNTSVILLE", "state", "Texas"),
        ("BERNALILLO COUNTY MDC", "NM", "ALBUQUERQUE", "county", "Bernalillo County"),
        ("BROOKLYN MDC", "NY", "BROOKLYN", "federal", "Federal Bureau of Prisons"),
    ],
)
def test_kind_words(name, state, city, kind, operator):
    a = Resolver().resolve(name, state, city)
    assert a.jurisdiction_type == kind and operator in a.jurisdiction_name, a
    assert a.confidence >= CONFIDENT and not a.needs_review, a


def test_contract_facility_without_operator_is_reviewed():
    a = Resolver().resolve("SOMERSET HILLS CONTRACT DETENTION FACILITY", "NJ", "ELIZABETH")
    assert a.jurisdiction_type == "private" and a.needs_review
    # ICE's own lists name the operator of a contract facility they list (evidence kept).
    a = Resolver().resolve("ELIZABETH CONTRACT DETENTION FACILITY", "NJ", "ELIZABETH")
    assert (a.jurisdiction_type, a.needs_review) == ("private", False)
    assert "CoreCivic" in a.jurisdiction_name and a.county_fips == "34039"
    assert any(c["step"] == "reference" for c in a.candidates)


@pytest.mark.parametrize(
    "name,state,city,code",
    [
        # a city word after a county's name: Comal, Guadalupe, Travis are Texas counties
        ("TRAVIS CITY JAIL", "TX", "AUSTIN", "TRAVITX"),
        ("GUADALUPE CITY JAIL", "TX", "SEGUIN", "GUADATX"),
        # CTY: Jefferson County or Jefferson City?
        ("JEFFERSON CTY JAIL", "MO", "JEFFERSON CITY", None),
        # a city's department of corrections is not the state's
        ("NYC DEPT OF CORRECTION", "NY", "NEW YORK", None),
        ("PHILADELPHIA DEPT OF CORRECTIONS", "PA", "PHILADELPHIA", None),
        # the facility list says Bureau of Prisons; the name alone would say state prison
        ("DALBY CORRECTIONAL INSTITUTE", "TX", "POST", "BOPDAL"),
        # two operators named
        ("WACKENHUT CORRECTIONS CORPORATION OF AMERICA", "CA", "SAN DIEGO", None),
        # a name that is no city of the state: the facility's city is only a suggestion
        ("CSC SOUTH FULTON MUNICIPAL JAIL", "GA", "UNION CITY", None),
    ],
)
def test_contradictions_go_to_review(resolver, name, state, city, code):
    a = resolver.resolve(name, state, city, code)
    assert a.needs_review and a.confidence < CONFIDENT, a


@pytest.mark.parametrize(
    "name,state,city,label,county",
    [
        ("KANSAS CITY JAIL", "KS", "KANSAS CITY", "Kansas City, KS", "20209"),
        ("JERSEY CITY POLICE", "NJ", "JERSEY CITY", "Jersey City, NJ", "34017"),
        ("OAKLAND CITY JAIL", "CA", "OAKLAND", "Oakland, CA", "06001"),
        ("CITY OF CHICAGO POLICE", "IL", None, "Chicago, IL", None),
        ("TEXARKANA ARKANSAS POLICE DEPARTMENT", "AR", "TEXARKANA", "Texarkana, AR", "05091"),
        (
            "VAN BUREN TOWNSHIP POLICE DEPARTMENT",
            "MI",
            "BELLEVILLE",
            "Van Buren Township, MI",
            "26163",
        ),
    ],
)
def test_city_names(name, state, city, label, county):
    a = Resolver().resolve(name, state, city)
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == ("city", label, county), a
    assert not a.needs_review


NEW_NAMES = [
    "RICHMOND CITY JAIL",
    "ST LOUIS CITY JAIL",
    "CARSON CITY SHERIFF",
    "SITKA CITY JAIL",
    "INDIANA BOROUGH POLICE",
    "JEFFERSON PARISH JAIL",
    "HARTFORD COUNTY JAIL",
    "CCA CIBOLA COUNTY CORRECTIONAL CENTER",
    "KANSAS CITY JAIL",
    "BALTIMORE CITY JAIL",
    "VAN BUREN TOWNSHIP POLICE",
    "NYC DEPT OF CORRECTION",
    "FT BEND COUNTY JAIL",
]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(NEW_NAMES),
    st.sampled_from(STATES),
    st.sampled_from([None, "RICHMOND", "KANSAS CITY", "BELLEVILLE", "SAINT LOUIS"]),
)
def test_never_across_a_state_line_for_city_rules(name, state, city):
    a = Resolver().resolve(name, state, city)
    fips = gz.state(state).fips
    assert a.state_fips == fips
    for code in (a.county_fips, a.place_fips):
        assert code is None or code.startswith(fips), (name, state, a)


def test_an_override_across_a_state_line_is_refused(tmp_path, monkeypatch):
    from detainerwatch.link import resolver as resolver_module

    bad = tmp_path / "facility_overrides.csv"
    bad.write_text(
        "facility_name,facility_city,facility_state,facility_code,jurisdiction_type,"
        "jurisdiction_name,state_fips,county_fips,place_fips,reason,reviewed_by,"
        'reviewed_on\nFRANKLIN COUNTY JAIL,,IA,,county,"Franklin County, PA",19,'
        "42055,,wrong state,someone,2026-11-25\n"
    )
    monkeypatch.setattr(resolver_module, "hand_path", lambda name: bad)
    resolver_module.overrides.cache_clear()
    try:
        with pytest.raises(ValueError, match="never crosses a state line"):
            resolver_module.overrides()
    finally:
        resolver_module.overrides.cache_clear()


def test_resolve_command_input_errors_are_one_line(pa_store, tmp_path):
    path = tmp_path / "nofacility.csv"
    path.write_text("name,state\nFRANKLIN COUNTY JAIL,PA\n")
    result = run(pa_store, "resolve", path)
    assert result.exit_code == 2 and "column 'facility'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    path = tmp_path / "latin1.csv"
    path.write_bytes("facility,state\nDOÑA ANA COUNTY DETENTION CENTER,NM\n".encode("latin-1"))
    result = run(pa_store, "resolve", path)
    assert result.exit_code == 2 and "UTF-8" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_resolve_command_reads_columns_in_any_case(pa_store, tmp_path):
    path = tmp_path / "upper.csv"
    path.write_text("Facility,State,City\nRICHMOND CITY JAIL,Virginia,RICHMOND\n")
    result = run(pa_store, "resolve", path)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows[0]["Facility"] == "RICHMOND CITY JAIL" and rows[0]["county_fips"] == "51760"
