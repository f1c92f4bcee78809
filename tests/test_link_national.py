"""Attribution of national names (issue 13): the bundled facility dictionary and Census places,
unified-corrections states, renamed counties, look-alikes, type words, codes and overrides
without a city. Every name here is a real facility name as ICE or a state writes it."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from detainerwatch.link import gazetteer as gz
from detainerwatch.link import reference
from detainerwatch.link.resolver import CONFIDENT, Resolver

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def r():
    return Resolver()


def confident(a) -> bool:
    return a.confidence >= CONFIDENT and not a.needs_review


@pytest.mark.parametrize(
    "state,fips",
    [("PA", "42055"), ("OH", "39049"), ("ME", "23007"), ("NY", "36033"), ("IA", "19069")],
)
def test_franklin_county_is_a_different_county_in_each_state(r, state, fips):
    a = r.resolve("FRANKLIN COUNTY JAIL", state)
    assert (a.jurisdiction_type, a.county_fips) == ("county", fips) and confident(a)
    assert a.jurisdiction_name == f"Franklin County, {state}"


def test_franklin_county_in_a_unified_state_is_the_states(r):
    a = r.resolve("FRANKLIN COUNTY JAIL", "VT")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "state",
        "Vermont",
        "50011",
    )


def test_alexander_city_is_not_alexandria(r):
    # Alexander City (Tallapoosa County) is a city; Alexandria, AL is a census-designated place
    # in Calhoun County with no police or jail of its own.
    a = r.resolve("ALEXANDRIA CITY JAIL", "AL")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "city",
        "Alexander City, AL",
        "01123",
    ) and confident(a)
    assert a.county_fips != "01015"
    a = r.resolve("ALEXANDER CITY JAIL", "AL")
    assert (a.place_fips, a.county_fips) == ("0101132", "01123")
    # Alexandria, VA is an independent city: its own county-equivalent.
    a = r.resolve("ALEXANDRIA CITY JAIL", "VA")
    assert (a.jurisdiction_type, a.county_fips) == ("city", "51510")


def test_a_renamed_county_gets_its_current_code(r):
    # Dade County became Miami-Dade in 1997; its FIPS code changed from 12025 to 12086.
    assert gz.current_fips("12025") == "12086"
    a = r.resolve("DADE COUNTY CORRECTIONAL", "FL")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "12086") and confident(a)
    a = r.resolve("DADE COUNTY JAIL", "GA")  # Georgia's Dade County was never renamed
    assert a.county_fips == "13083"


@pytest.mark.parametrize(
    "name,state,county",
    [
        ("KENT COUNTY SHERIFF", "DE", "10001"),
        ("ADDISON COUNTY JAIL", "VT", "50001"),
        ("HONOLULU SHERIFF", "HI", "15003"),
        ("HARTFORD COUNTY JAIL", "CT", "09003"),
    ],
)
def test_unified_corrections_states_run_every_jail(r, name, state, county):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "state",
        gz.state(state).name,
        county,
    ) and confident(a)
    a = r.resolve("COUNTY JAIL", "VT")
    assert a.jurisdiction_type == "state" and confident(a)


def test_an_enclave_town_is_in_its_own_county(r):
    # Glendale, CO is an enclave inside Denver but lies in Arapahoe County (Census place list);
    # ZIP majorities put it in Denver.
    a = r.resolve("GLENDALE POLICE DEPT", "CO")
    assert (a.jurisdiction_type, a.place_fips, a.county_fips) == ("city", "0830340", "08005")
    assert confident(a)


def test_a_place_spanning_counties_names_them_all(r):
    a = r.resolve("KANSAS CITY POLICE DEPT", "MO")
    assert (a.jurisdiction_type, a.place_fips, a.county_fips) == ("city", "2938000", None)
    assert {
        "step": "place",
        "place": "Kansas City",
        "counties": ["29037", "29047", "29095", "29165"],
    } in a.candidates


def test_a_texas_state_jail_is_the_states(r):
    a = r.resolve("TRAVIS COUNTY STATE JAIL", "TX")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == ("state", "Texas", "48453")
    assert confident(a)
    assert r.resolve("TRAVIS COUNTY JAIL", "TX").jurisdiction_type == "county"


def test_a_federal_contract_prison_is_not_a_state_prison(r):
    # Rivers Correctional Institution (Winton, NC): GEO Group under contract with the BOP.
    a = r.resolve("RIVERS CORRECTIONAL INSTITUTION", "NC")
    assert a.jurisdiction_type in ("federal", "private") and a.county_fips == "37091"
    assert any(c["step"] == "reference" for c in a.candidates)
    # ICE's lists say who operates a contract detention facility.
    a = r.resolve("NORTHWEST DETENTION CENTER", "WA")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "private",
        "GEO Group",
        "53053",
    )


@pytest.mark.parametrize(
    "name,state,kind,county",
    [
        ("BEAUMONT FCC", "TX", "federal", "48245"),
        ("CARSWELL FED.MED.CTR", "TX", "federal", "48439"),
        ("LEWISBURG U.S. PEN.", "PA", "federal", "42119"),
        ("POLLOCK F.C.I.", "LA", "federal", "22043"),
        ("HUNTSVILLE STATE P.", "TX", "state", "48471"),
        ("ASPC ALHAMBRA", "AZ", "state", "04013"),
        ("ADIRONDACK CF", "NY", "state", "36031"),
        ("DOWNSTATE CF, FISHKILL", "NY", "state", "36027"),
        ("FOLSOM STATE PRISON", "CA", "state", "06067"),
        ("CMF-VACAVILLE", "CA", "state", "06095"),
        ("MCI CONCORD", "MA", "state", "25017"),
        ("SANTA RITA JAIL", "CA", "county", "06001"),
        ("WEST VALLEY", "CA", "county", "06071"),
        ("HAMPTON ROADS REGIONAL JAIL", "VA", "regional", "51740"),
    ],
)
def test_names_without_the_words_the_rules_expect(r, name, state, kind, county):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == (kind, county) and confident(a), a
    assert a.method.endswith("reference") and a.candidates


def test_marshals_misspelt_are_federal_with_no_county(r):
    a = r.resolve("US MARSHALL", "TX")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "federal",
        "U.S. Marshals Service",
        None,
    )


def test_a_misspelt_county_beyond_the_ratio(r):
    a = r.resolve("HENNIPEN COUNTY JAIL", "MN")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "27053")


def test_rikers_island_by_name_and_by_code(r):
    for name, code in (("RIKERS ISLAND", None), ("RIKERS ISLAND, QUEENS", None), ("", "RIKISNY")):
        a = r.resolve(name, "NY", None, code)
        assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
            "city",
            "New York City, NY",
            "36005",
        ), (name, a)


def test_a_code_resolves_to_the_government_not_the_facility_name(r):
    a = r.resolve("NORTHWEST DETENTION CENTER, TACOMA, WA", "WA", None, "CSCNWWA")
    assert a.jurisdiction_type == "private" and a.jurisdiction_name == "GEO Group"
    assert "NORTHWEST" not in (a.jurisdiction_name or "").upper()


def test_a_code_listed_in_another_state_is_not_used(r):
    a = r.resolve("", "NJ", None, "RIKISNY")
    assert a.county_fips is None and not confident(a)


def test_overrides_match_without_a_city_when_the_name_is_unique(r):
    a = r.resolve("MOSHANNON VALLEY CORRECTIONAL", "PA")
    assert (a.method, a.jurisdiction_type, a.county_fips) == ("override", "private", "42033")
    a = r.resolve("PHILADELPHIA DETENTION CT", "PA")
    assert (a.method, a.jurisdiction_type, a.county_fips) == ("override", "city", "42101")
    # never across a state line
    assert r.resolve("MOSHANNON VALLEY CORRECTIONAL", "OH").method != "override"


def test_the_dictionary_never_crosses_a_state_line():
    assert (
        reference.lookup("SANTA RITA JAIL", "AZ") is None
        or reference.lookup("SANTA RITA JAIL", "AZ").county_fips[:2] == "04"
    )
    m = reference.lookup("WEST VALLEY", "CA")
    assert all(ref.state == "CA" for ref in m.refs)


def test_a_county_name_never_matches_a_state_prison():
    # 'KERN COUNTY JAIL' must not become Kern Valley State Prison.
    m = reference.lookup("KERN COUNTY JAIL", "CA")
    assert m is None or all(ref.kind != "state" for ref in m.refs)


def test_conflicting_facilities_go_to_review(r):
    a = r.resolve("QUEENS HOUSE OF DETENTION", "NY")
    assert a.needs_review or a.county_fips == "36081"


def test_reference_data_is_deterministic_and_has_provenance():
    ref = ROOT / "src/detainerwatch/data/reference"
    assert (ref / "SOURCES.md").exists()
    sources = {row.source.split(" ")[0] for row in reference._refs()}
    assert {
        "hifld-2024",
        "ice-2017",
        "ice-2015",
        "ice-detention-stats",
        "ice-over72",
        "usms-2025",
        "stiles-texas",
        "stiles-federal",
    } <= sources


def test_resolve_command_without_a_store_uses_the_bundled_data(tmp_path):
    src = tmp_path / "in.csv"
    with open(src, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["facility", "state"])
        w.writerows([("SANTA RITA JAIL", "CA"), ("TRAVIS COUNTY STATE JAIL", "TX")])
    exe = Path(sys.executable).with_name("detainerwatch")
    out = subprocess.run(
        [str(exe), "--db", str(tmp_path / "none.duckdb"), "resolve", str(src)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = list(csv.DictReader(out.splitlines()))
    assert [(x["jurisdiction_type"], x["county_fips"]) for x in rows] == [
        ("county", "06001"),
        ("state", "48453"),
    ]


def test_did_you_mean_where_a_name_is_typed():
    from detainerwatch.errors import UsageError
    from detainerwatch.link.names import split_name_state, suggest
    from detainerwatch.publish.profile import parse_jurisdiction

    assert suggest("Philadelfia, PA") == ["Philadelphia, PA"]
    with pytest.raises(UsageError, match="did you mean Philadelphia, PA"):
        parse_jurisdiction("Philadelfia, PA")
    # No state: every Franklin County, with its state.
    found = suggest("Franklin County")
    assert {
        "Franklin County, PA",
        "Franklin County, OH",
        "Franklin County, NY",
        "Franklin County, IA",
    } <= set(found)
    with pytest.raises(UsageError, match="Franklin County, PA; Franklin County, TN"):
        parse_jurisdiction("Franklin County")
    # No comma, any case, a state code or name.
    assert split_name_state("dauphin county pa")[1].abbr == "PA"
    assert parse_jurisdiction("dauphin county pa")["fips"] == "42043"
    assert parse_jurisdiction("Dauphin County Pennsylvania")["fips"] == "42043"
    # Ids shown by the web app.
    assert parse_jurisdiction("county:48453")["name"] == "Travis County, TX"
    assert suggest("Travis Cty, TX") == ["Travis County, TX"]


@pytest.mark.parametrize(
    "name,state,county",
    [
        # a type word misspelt by one letter, and CT for CENTER (Illinois' correctional centers)
        ("PENDLETON CORRECTONAL FACILITY", "IN", "18095"),
        ("STATEVILLE CORRECTONAL CT", "IL", "17197"),
        ("MENARD CORRECTIONAL CT", "IL", "17157"),
    ],
)
def test_misspelt_and_cut_type_words(r, name, state, county):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == ("state", county) and confident(a)


def test_a_name_that_says_only_prison_matches_only_prisons():
    from detainerwatch.link import reference

    # The words of a prison's name held by a facility whose own name says no prison (a reentry
    # or juvenile centre of the same town) are no match.
    assert reference.lookup("MCFARLAND CORRECTIONAL FACILITY", "CA") is None
    # A prison that holds them is one ('BIG MUDDY' in Big Muddy River Correctional Center).
    match = reference.lookup("BIG MUDDY PENITENTIARY", "IL")
    assert match is not None and match.county_fips == "17081"


@pytest.mark.parametrize(
    "name,state,county",
    [
        ("NAPLES SHERIFF", "FL", "12021"),  # Naples lies in Collier County alone
        ("CANTON COUNTY JAIL", "OH", "39151"),  # Canton, the seat of Stark County
    ],
)
def test_a_sheriff_named_after_its_town_is_that_towns_county(r, name, state, county):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == ("county", county) and confident(a)
    assert a.method == "place"


def test_a_town_in_several_counties_names_no_sheriff(r):
    # Kansas City, MO spans four counties: which sheriff is not known from the town.
    a = r.resolve("KANSAS CITY SHERIFF", "MO")
    assert not confident(a) or a.county_fips is None


def test_hifld_local_and_ice_city_are_one_kind_of_government(r):
    # Seal Beach's jail: HIFLD types it 'local', ICE's list 'city'; no conflict between them.
    a = r.resolve("SEAL BEACH DETENTION CENTER", "CA")
    assert (a.jurisdiction_type, a.place_fips, a.county_fips) == ("city", "0670686", "06059")
    assert confident(a)


@pytest.mark.parametrize(
    "name,state,kind,county",
    [
        # HIFLD's LAWTON CITY JAIL shares only the core word with the state prison
        ("LAWTON CORRECTIONAL FACILITY", "OK", "state", "40031"),
        # Missouri's reception centres: WESTERN MISSOURI CORRECTIONAL CENTER shares the words
        ("WESTERN RECEPTION DIAGNOSTIC CORRECTIONAL CENTER", "MO", "state", "29021"),
    ],
)
def test_the_facility_of_exactly_the_name_decides_a_conflict_of_look_alikes(
    r, name, state, kind, county
):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == (kind, county) and confident(a)


def test_the_same_facility_under_a_longer_name_keeps_its_conflict(r):
    # ICE lists MCNEIL ISLAND CORRECTIONS as a county's, HIFLD the McNeil Island Corrections
    # Center as the state's (closed): one facility, two types, so it stays doubtful.
    a = r.resolve("MCNEIL ISLAND CORRECTIONS", "WA")
    assert not confident(a)


@pytest.mark.parametrize(
    "name,state",
    [
        ("TEXAS BOARD OF PARDONS AND PAROLES", "TX"),
        ("OFFENDER INFORMATION AND SENTENCE COMPUTATION", "OR"),  # Oregon DOC's unit
        ("ADULT PAROLE OPERATIONS", "CA"),
    ],
)
def test_parole_and_sentence_computation_are_state_agencies(r, name, state):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == ("state", None) and confident(a)


def test_an_abbreviated_prison_name_matches_the_one_listed_prison_it_abbreviates(r):
    # 'RUSTBURG CORR. UNIT #9' is HIFLD's RUSTBURG CORRECTIONAL UNIT (Campbell County, VA)
    a = r.resolve("RUSTBURG CORR. UNIT #9", "VA")
    assert (a.jurisdiction_type, a.county_fips) == ("state", "51031") and confident(a)


@pytest.mark.parametrize(
    "name,county",
    [
        ("CALIF. INST. FOR MEN/WEST", "06071"),  # California Institution for Men, Chino
        ("CALIF. REHAB. CTR./WOMEN", "06065"),  # California Rehabilitation Center, Norco
    ],
)
def test_a_unit_after_a_slash_leaves_the_facility_before_it(r, name, county):
    a = r.resolve(name, "CA")
    assert (a.jurisdiction_type, a.county_fips) == ("state", county) and confident(a)


def test_a_place_after_a_slash_is_not_a_unit(r):
    # Alameda County's North County Jail is not a jail in Palo Alto (Santa Clara County)
    a = r.resolve("NO COUNTY JAIL/PALO ALTO", "CA")
    assert a.county_fips != "06001"


def test_an_ice_custody_case_unit_is_ices(r):
    # ICE's 2017 list types its custody-case units 'federal'; the custody is ICE's
    a = r.resolve("VENTURA CUSTODY CASE", "CA")
    assert a.jurisdiction_type == "ice" and confident(a)


@pytest.mark.parametrize(
    "name,state", [("TEXAS YOUTH COMMISSION", "TX"), ("CALIFORNIA YOUTH AUTHORITY", "CA")]
)
def test_a_youth_authority_or_commission_is_a_state_agency(r, name, state):
    a = r.resolve(name, state)
    assert a.jurisdiction_type == "state" and confident(a)


def test_a_county_named_by_its_first_words_is_the_one_that_begins_so(r):
    a = r.resolve("ST JOHN PARISH SHERIFF", "LA")  # St. John the Baptist Parish
    assert (a.jurisdiction_type, a.county_fips) == ("county", "22095") and confident(a)
    assert r.resolve("SAN COUNTY JAIL", "CA").county_fips is None  # one word: not cut names


@pytest.mark.parametrize(
    "name,state,kind",
    [
        ("MCI - CONCORD", "MA", "state"),  # the Marshals' list: MCI-Concord, a state prison
        ("DODGE CORR INSTITUTE WAU", "WI", "state"),  # ICE 2017: Dodge CI, Waupun
        ("JOE CORLEY PROCESSING CTR", "TX", "ice"),  # ICE's statistics: PROCESSING CTR
    ],
)
def test_the_rules_read_abbreviated_type_words_written_out(r, name, state, kind):
    a = r.resolve(name, state)
    assert a.jurisdiction_type == kind and confident(a)
    assert any("expanded" in c for c in a.candidates)


def test_cit_is_a_misspelt_city(r):
    a = r.resolve("RICHMOND CIT JAIL", "VA")  # the independent city's jail
    assert (a.jurisdiction_type, a.county_fips) == ("city", "51760") and confident(a)


def test_a_state_named_at_the_end_says_where_not_whose(r):
    # The Corrections Center of Northwest Ohio is several counties' jail, not the state's
    for name in ("CORR. CTR OF NORTHWEST OH", "CORR. CTR OF NORTHWEST OHIO"):
        assert r.resolve(name, "OH").jurisdiction_type != "state"
    # before the type words the state's name says whose (Eastern Missouri Correctional Center)
    a = r.resolve("E. MO CORR. CENTER", "MO")
    assert a.jurisdiction_type == "state" and confident(a)


def test_st_before_jail_is_not_read_as_state_by_the_rules(r):
    # Boston's Nashua Street Jail is Suffolk County's; MUN. is a city's workhouse
    assert r.resolve("NASHUA ST. JAIL", "MA").jurisdiction_type != "state"
    assert r.resolve("MUN. CORRECT. INSTITUTION", "MO").jurisdiction_type != "state"


@pytest.mark.parametrize(
    "name,state,fips",
    [
        ("HIGHLAND PARK DPS", "TX", "48113"),  # the town's Department of Public Safety
        ("DES PERES DPS", "MO", "29189"),
        ("SUNSET HILLS POILICE DEPT.", "MO", "29189"),  # POLICE misspelt
    ],
)
def test_a_towns_dps_or_misspelt_police_is_the_towns(r, name, state, fips):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == ("city", fips) and confident(a)


def test_the_states_dps_is_never_a_city(r):
    a = r.resolve("TEXAS DPS", "TX")
    assert not confident(a)


def test_a_reception_centre_named_for_its_state_is_the_states(r):
    # HIFLD: Powhatan Reception Center, Central Florida Reception Center (FDC intake prisons)
    a = r.resolve("CENTRAL FLORIDA RECEPTION CTR", "FL")
    assert a.jurisdiction_type == "state" and confident(a)
    # without the state's word it is the dictionary's to say: LA County's Inmate Reception Center
    a = r.resolve("INMATE RECEPTION CENTER", "CA")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "06037")


@pytest.mark.parametrize(
    "name,state",
    [
        ("HAVINS PRE-RELEASE", "TX"),  # HIFLD: Havins Pre-Release Facility (TDCJ)
        ("POPLAR HILL PRERELEASE UNIT", "MD"),  # HIFLD: Poplar Hill Pre-Release Unit
        ("NEV STATE PRISON", "NV"),  # Nev. is Nevada
        ("ASP COMP. LEWIS", "AZ"),  # Arizona State Prison Complex-Lewis
    ],
)
def test_pre_release_units_and_state_abbreviations_are_the_states(r, name, state):
    a = r.resolve(name, state)
    assert a.jurisdiction_type == "state" and confident(a)


def test_a_county_pre_release_centre_is_the_countys(r):
    a = r.resolve("ERIE COUNTY PRE-RELEASE CENTER", "PA")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "42049")


def test_a_regional_name_is_left_to_the_dictionary(r):
    # Hampden County's Western Massachusetts Regional Women's Correctional Center
    a = r.resolve("WESTERN MASSACHUSETTS REGIONAL WOMEN'S CORR", "MA")
    assert a.jurisdiction_type != "state"


def test_a_state_code_before_the_type_words_is_the_states_name(r):
    a = r.resolve("NH CORRECTIONAL FACILITY FOR WOMEN", "NH")  # HIFLD, the state's
    assert a.jurisdiction_type == "state" and confident(a)


def test_a_federal_prison_camp_abbreviated(r):
    a = r.resolve("YANKTON FED.PRIS.CAMP", "SD")  # FPC Yankton
    assert (a.jurisdiction_type, a.county_fips) == ("federal", "46135") and confident(a)


def test_a_city_marshal_is_the_citys(r):
    a = r.resolve("LAREDO CITY MARSHAL", "TX")
    assert (a.jurisdiction_type, a.county_fips) == ("city", "48479") and confident(a)


def test_a_pretrial_facility_is_the_states_only_in_a_unified_state(r):
    a = r.resolve("FAIRBANKS PRETRIAL", "AK")  # Alaska DOC's Fairbanks Correctional Center
    assert a.jurisdiction_type == "state" and confident(a)
    # elsewhere the words say nothing of whose: Duval County's John E. Goode facility
    a = r.resolve("JOHN E GOODE PRETRIAL DETENTION FACILITY", "FL")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "12031")
