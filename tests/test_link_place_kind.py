"""A place and only kind words (link/place_kind.py, hand/resolver_settings.yaml place_kind): the
one facility of that kind the bundled lists hold in that place answers; two or more, or none,
abstain. Real names as ICE writes them (issue 13)."""

from __future__ import annotations

import pytest

from detainerwatch.link import place_kind
from detainerwatch.link.resolver import CONFIDENT, Attribution, Resolver


@pytest.fixture(scope="module")
def r() -> Resolver:
    return Resolver()


def confident(a: Attribution) -> bool:
    return a.confidence >= CONFIDENT and not a.needs_review


def test_the_one_prison_of_a_town_answers(r: Resolver) -> None:
    # Charleston, ME: Mountain View Correctional Facility (the state's) is the one prison listed
    # there (the other facility, a juvenile detention centre, is no adult prison's answer).
    a = r.resolve("CHARLESTON CORRECTIONAL F", "ME")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "state",
        "Maine",
        "23019",
    ) and confident(a)
    assert any(c.get("how") == "place" for c in a.candidates)


def test_the_one_jail_of_a_town_answers(r: Resolver) -> None:
    # Indio, CA: the John J. Benoit Detention Center (Riverside County's) is the one adult
    # jail listed there; the Indio Juvenile Hall is not an adult jail.
    a = r.resolve("INDIO JAIL", "CA")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "06065") and confident(a)


@pytest.mark.parametrize(
    "name,state",
    [
        # the Warm Springs tribes' jail: no prison is listed in Warm Springs, only a police
        # department and jail of another kind; never the state's by 'COR. FAC.'
        ("WARM SPRINGS COR. FAC.", "OR"),
        # McFarland, CA: several state and contract facilities
        ("MCFARLAND CCF", "CA"),
        # Pontiac, MI: Oakland County's jails only; the state prison of that name is closed
        ("PONTIAC CORR. FACILITY", "MI"),
        # more than a place and a kind: initials of no listed facility there (Abingdon's
        # regional jail is Southwest Virginia's, not a B.R.R.J.)
        ("B.R.R.J. ABINGDON", "VA"),
    ],
)
def test_abstains_without_exactly_one_facility_of_the_kind(
    r: Resolver, name: str, state: str
) -> None:
    assert place_kind.lookup(name, state) is None
    assert not confident(r.resolve(name, state))


def test_a_juvenile_name_never_takes_an_adult_jail() -> None:
    # Indio's only juvenile facility is its juvenile hall: a juvenile name finds it, not the jail.
    m = place_kind.lookup("INDIO JUVENILE", "CA")
    assert m is not None and m.refs and all("JUVENILE" in ref.name for ref in m.refs)


def test_a_numbered_district_is_part_of_the_facility(r: Resolver) -> None:
    # Scottsdale, AZ: the city jail is the one jail listed there (the Salt River community's
    # department of corrections is no jail by its words).
    a = r.resolve("SCOTTSDALE JAIL DIST 2", "AZ")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "city",
        "Scottsdale, AZ",
        "04013",
    ) and confident(a)


def test_a_facility_whose_name_says_a_government_is_no_answer() -> None:
    # Grand Rapids' one listed correctional facility is Kent County's, whose name says a county
    # this one does not: the state's Grand Rapids centre (closed) is not listed.
    assert place_kind.lookup("GRAND RAPIDS CORRECTIONAL CENTER", "MI") is None


@pytest.mark.parametrize(
    "name",
    ["LAS COLINAS WOMEN DET FAC", "GEORGE BAILEY DETENT FACI"],
)
def test_an_igsa_entry_takes_the_type_of_the_same_facility_listed_typed(
    r: Resolver, name: str
) -> None:
    # ICE lists both as IGSA (some government); HIFLD lists the same facilities in the same
    # city and county as the county's: San Diego County's sheriff runs them.
    a = r.resolve(name, "CA")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "06073") and confident(a)
    assert any(c.get("how") == "twin" for c in a.candidates)


def test_an_igsa_entry_with_only_common_words_shared_abstains(r: Resolver) -> None:
    # NORTHERN VIRGINIA JUVENILE DETENTION CENTER (ICE, untyped) shares only common words
    # (NORTH, JUVENILE) with HIFLD's home in Alexandria: no twin, review.
    assert not confident(r.resolve("NORTHERN VIRGINIA JUVENILE DETEN", "VA"))


def test_a_state_name_between_a_place_and_jail_says_where(r: Resolver) -> None:
    a = r.resolve("BOULDER CITY NEVADA JAIL", "NV")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "city",
        "Boulder City, NV",
        "32003",
    ) and confident(a)


def test_other_words_must_begin_words_of_the_one_facility(r: Resolver) -> None:
    # Fort Supply, OK: William S. Key Correctional Center, the one prison listed there; W and
    # KEY begin its words.
    a = r.resolve("W.KEY CC, FORT SUPPLY, OK", "OK")
    assert (a.jurisdiction_type, a.county_fips) == ("state", "40153") and confident(a)
    # Bridgewater, MA: the one listed prison is Old Colony, which SE (the closed Southeastern
    # Correctional Center) begins no word of: it abstains.
    assert place_kind.lookup("SE COR CNTR BRIDGEWATER", "MA") is None
    # Hodgen, OK: Jim E. Hamilton Correctional Center; OUACHITA is none of its words.
    assert place_kind.lookup("OUACHITA CC, HODGEN OK", "OK") is None
