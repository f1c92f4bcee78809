"""Facilities and landmarks of an area workbook (ICE LESA-STU), whose rows name no state: the
area's states (hand/aor_states.csv) are weighed one at a time, an answer only when exactly one
fits, else review; no lookup crosses a state line."""

from __future__ import annotations

import json

import duckdb
import pytest

from conftest import run
from detainerwatch.link.area import area_named_in, areas, resolve_in_area
from detainerwatch.link.resolver import Resolver
from detainerwatch.synth_release import synthesize_lesa

SEATTLE = ("AK", "OR", "WA", "ID")


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver()


def test_the_area_is_read_from_the_title_and_its_states_from_the_hand_file() -> None:
    seattle = area_named_in("Seattle AOR Enforcement Statistics, FY2012 - FY2019 YTD")
    assert seattle is not None and seattle.code == "SEA"
    assert set(seattle.states) == set(SEATTLE)
    assert area_named_in("SEA Area of Responsibility") == seattle
    assert area_named_in("Enforcement Statistics, FY2012 - FY2019") is None
    assert area_named_in("Washington State Patrol") is None  # a state is no area
    assert len(areas()) == 24


@pytest.mark.parametrize(
    "name, state, county",
    [
        ("KING COUNTY JAIL", "WA", "53033"),  # King County is only in Washington
        ("JACKSON COUNTY JAIL", "OR", "41029"),
        ("KOOTENAI COUNTY JAIL", "ID", "16055"),  # the jail across the line in Idaho
        ("NEZ PERCE COUNTY JAIL", "ID", "16069"),
        ("MULTNOMAH COUNTY DETENTION CENTER", "OR", "41051"),
        ("NORTHWEST DETENTION CENTER", "WA", "53053"),  # the facility dictionary, Tacoma
        ("ANCHORAGE CORRECTIONAL COMPLEX", "AK", "02020"),
    ],
)
def test_a_facility_that_fits_one_state_of_the_area_is_attributed_there(
    resolver: Resolver, name: str, state: str, county: str
) -> None:
    a = resolve_in_area(resolver, name, SEATTLE)
    assert (a.state_abbr, a.county_fips, a.needs_review) == (state, county, False), a
    assert a.method.startswith("area+")
    weighed = a.candidates[-1]
    assert weighed["step"] == "area" and [w["state"] for w in weighed["weighed"]] == list(SEATTLE)


@pytest.mark.parametrize(
    "name, states",
    [
        ("COLUMBIA COUNTY JAIL", "OR, WA"),  # a Columbia County in both
        ("DOUGLAS COUNTY JAIL", "OR, WA"),
        ("JEFFERSON COUNTY JAIL", "ID, OR, WA"),
    ],
)
def test_a_name_that_fits_several_states_goes_to_review(
    resolver: Resolver, name: str, states: str
) -> None:
    a = resolve_in_area(resolver, name, SEATTLE)
    assert a.needs_review and a.state_abbr is None and a.county_fips is None
    assert a.review_reason == f"the name fits more than one state of the area ({states})"
    assert a.confidence < 0.9


def test_a_name_no_state_places_goes_to_review(resolver: Resolver) -> None:
    # ICE's own words fit every state (ICE is federal) but place it in none: never guessed.
    for name in ("ICE HOLD ROOM", "NON-SPECIFIC LANDMARK"):
        a = resolve_in_area(resolver, name, SEATTLE, landmark=name.startswith("NON"))
        assert a.needs_review and a.state_abbr is None, a
        assert a.review_reason.startswith("the name fits no state of the area")


def test_a_generic_prison_name_is_not_given_to_alaska_for_its_unified_jails(
    resolver: Resolver,
) -> None:
    # Alaska's state runs every jail, so 'X CORRECTIONAL' reads as Alaska's there, but nothing
    # places it in Alaska; Spokane County, WA is where the facility dictionary has it.
    a = resolve_in_area(resolver, "SPOKANE CORRECTIONAL", SEATTLE)
    assert (a.state_abbr, a.county_fips, a.needs_review) == ("WA", "53063", False)


def test_a_doubt_in_one_state_stays_a_doubt(resolver: Resolver) -> None:
    a = resolve_in_area(resolver, "NORCOR", SEATTLE)  # Northern Oregon Regional Corrections
    assert a.needs_review and a.state_abbr == "OR"
    assert a.review_reason.startswith("doubtful in OR:")


@pytest.mark.parametrize(
    "landmark, state, place",
    [
        ("SEATTLE, WA", "WA", "5363000"),
        ("YAKIMA GENERAL AREA", "WA", "5380010"),
        (" TACOMA", "WA", "5370000"),
        ("EUGENE GENERAL AREA", "OR", "4123850"),
        ("VANCOUVER", "WA", "5374060"),  # no Vancouver in Oregon, Alaska or Idaho
        ("ANCHORAGE, AK", "AK", "0203000"),
    ],
)
def test_a_landmark_is_a_place_of_one_state(
    resolver: Resolver, landmark: str, state: str, place: str
) -> None:
    a = resolve_in_area(resolver, landmark, SEATTLE, landmark=True)
    assert (a.state_abbr, a.place_fips, a.needs_review) == (state, place, False), a


def test_a_landmark_naming_its_state_is_weighed_in_that_state_only(resolver: Resolver) -> None:
    a = resolve_in_area(resolver, "COLUMBIA, OR", SEATTLE, landmark=True)
    assert a.state_abbr == "OR" and a.county_fips == "41009"
    assert a.candidates[-1]["states"] == ["OR"]
    assert resolve_in_area(resolver, "COLUMBIA", SEATTLE, landmark=True).needs_review


def test_the_lesa_workbook_attributes_its_facilities_and_landmarks(tmp_path) -> None:
    path = tmp_path / "lesa.xlsx"
    synthesize_lesa(path, 400, seed=1)
    db = tmp_path / "l.duckdb"
    result = run(db, "ingest", path)
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(db), read_only=True)
    got = {
        (table, name): (state, review, area, rows)
        for table, name, state, review, area, rows in con.execute(
            "SELECT event_table, name, state_abbr, needs_review, area, rows FROM area_attribution"
        ).fetchall()
    }
    stints = dict(
        con.execute("SELECT facility_name, count(*) FROM detention_stints GROUP BY 1").fetchall()
    )
    # every facility named in the Book Ins sheet, with its rows
    assert {n: r for (t, n), (*_, r) in got.items() if t == "detention_stints"} == stints
    assert got[("detention_stints", "KING COUNTY JAIL")][:3] == ("WA", False, "SEA")
    assert got[("detention_stints", "JACKSON COUNTY JAIL")][:2] == ("OR", False)
    assert got[("detention_stints", "KOOTENAI COUNTY JAIL")][:2] == ("ID", False)
    assert got[("detention_stints", "COLUMBIA COUNTY JAIL")][:2] == (None, True)
    assert got[("detention_stints", "DOUGLAS COUNTY JAIL")][:2] == (None, True)
    assert got[("arrests", "YAKIMA GENERAL AREA")][:2] == ("WA", False)
    assert got[("arrests", "PORTLAND, OR")][:2] == ("OR", False)
    # what was weighed is kept as evidence
    evidence = con.execute(
        "SELECT candidates FROM area_attribution WHERE name = 'COLUMBIA COUNTY JAIL'"
    ).fetchone()[0]
    weighed = json.loads(evidence)[-1]["weighed"]
    assert {w["state"]: w["county_fips"] for w in weighed} == {
        "AK": None,
        "OR": "41009",
        "WA": "53013",
        "ID": None,
    }
