"""Name forms read by general rules (issue 13, last names): a state's DOC written as one word,
ST before PRISON, words written together or abbreviated in county names, a territory's police.
Real names as ICE writes them; each with a case where the rule must not answer."""

from __future__ import annotations

import pytest

from detainerwatch.link.resolver import CONFIDENT, Attribution, Resolver


@pytest.fixture(scope="module")
def r() -> Resolver:
    return Resolver()


def confident(a: Attribution) -> bool:
    return a.confidence >= CONFIDENT and not a.needs_review


@pytest.mark.parametrize(
    "name,state",
    [("ADOC MARANA", "AZ"), ("IDOC", "IL"), ("PADOC", "PA"), ("ST.PRISON AT CLALLUM BAY", "WA")],
)
def test_the_states_doc_in_one_word_and_st_prison_are_the_states(
    r: Resolver, name: str, state: str
) -> None:
    a = r.resolve(name, state)
    assert a.jurisdiction_type == "state" and confident(a)


def test_a_doc_of_other_letters_is_not_the_states(r: Resolver) -> None:
    # MCDOC: a county's department (Montgomery County's in Maryland), not Maryland's.
    assert not confident(r.resolve("MCDOC", "MD"))


def test_st_before_jail_stays_a_street(r: Resolver) -> None:
    # NASHUA ST. JAIL is Boston's Nashua Street Jail (Suffolk County's), never a state jail.
    a = r.resolve("NASHUA ST. JAIL", "MA")
    assert not (a.jurisdiction_type == "state" and confident(a))


@pytest.mark.parametrize(
    "name,state,fips",
    [("MIDSTATE CORRECTIONAL", "NY", "36065"), ("MIDSTATE CORRECTIONAL", "NJ", "34005")],
)
def test_midstate_written_as_one_word(r: Resolver, name: str, state: str, fips: str) -> None:
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == ("state", fips) and confident(a)


def test_sw_is_southwest(r: Resolver) -> None:
    a = r.resolve("SW MULTI-COUNTY CORR. CTR", "ND")
    assert a.county_fips == "38089" and confident(a)


@pytest.mark.parametrize(
    "name,state,fips",
    [
        ("PT COUPEE PAR DETEN. CNTS", "LA", "22077"),
        ("PR GEORGES CO DET CTR", "MD", "24033"),
        ("GR TRAVERSE CO JAIL", "MI", "26055"),
    ],
)
def test_abbreviated_words_of_county_names(r: Resolver, name: str, state: str, fips: str) -> None:
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == ("county", fips) and confident(a)


def test_a_territorys_police_is_the_territorys(r: Resolver) -> None:
    a = r.resolve("GUAM POLICE DEPT", "GU")
    assert (a.jurisdiction_type, a.jurisdiction_name, a.county_fips) == (
        "state",
        "Guam",
        "66010",
    ) and confident(a)


def test_a_county_named_for_a_city_is_not_a_territory(r: Resolver) -> None:
    # Outside a territory a county's name before POLICE stays doubtful (Ward, TX is a county).
    assert not confident(r.resolve("WARD CITY JAIL", "TX"))


@pytest.mark.parametrize(
    "name,state,kind,fips",
    [
        # cut before its last word: the one listed name that is it and CENTER more
        ("CORRECTIONAL RECEPTION", "OH", "state", "39129"),
        ("ADULT DIAGNOSTIC & TRTMNT", "NJ", "state", "34023"),
        # JA: JAIL cut at the column width (ICE's 'TURNER GUILFORD KNIGHT (TGK) JAIL')
        ("TURNER GUIFORD KNIGHT (TGK) JA", "FL", "county", "12086"),
        # FSL, federal satellite: a BOP unit beside an FCI
        ("LA TUNA FEDERAL SATTELITE, LOW", "TX", "federal", "48141"),
        # ST read as STREET when no STATE or SAINT reading finds a facility
        ("NASHUA ST. JAIL", "MA", "county", "25025"),
    ],
)
def test_cut_and_abbreviated_names(
    r: Resolver, name: str, state: str, kind: str, fips: str
) -> None:
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips) == (kind, fips) and confident(a)


def test_type_words_alone_that_begin_no_one_listed_name_abstain(r: Resolver) -> None:
    assert not confident(r.resolve("CORRECTIONAL", "OH"))
    assert not confident(r.resolve("COUNTY JAIL", "OH"))


def test_deportation_custody_is_ices(r: Resolver) -> None:
    # Only ICE deports: 'U.S. DETENTION AND DEPORTATION H' (ICE's St. Paul hold room, listed
    # by ICE as US INS/DETENTION & DEPORTATION) is ICE's, never the Bureau of Prisons'.
    for name in ("U.S. DETENTION AND DEPORTATION H", "US INS/DETENTION & DEPORTATION"):
        a = r.resolve(name, "MN")
        assert a.jurisdiction_type == "ice" and confident(a)


@pytest.mark.parametrize(
    "name,fips",
    [
        ("N.A. CHADERJIAN YCF", "06077"),
        ("HERMAN G. STARKS YTS", "06071"),  # ICE lists it IGSA; HIFLD the state's
        ("SRCC YOUTH COR. CTR&CLNC", None),
    ],
)
def test_youth_correctional_facilities_are_the_states(
    r: Resolver, name: str, fips: str | None
) -> None:
    a = r.resolve(name, "CA")
    assert (a.jurisdiction_type, a.county_fips) == ("state", fips) and confident(a)


def test_a_countys_youth_facility_stays_the_countys(r: Resolver) -> None:
    a = r.resolve("LOS ANGELES COUNTY YOUTH CORRECTIONAL CENTER", "CA")
    assert (a.jurisdiction_type, a.county_fips) == ("county", "06037")


def test_a_name_of_type_words_only_takes_no_county_from_a_city_elsewhere(r: Resolver) -> None:
    """'CORRECTIONAL RECEPTION' is cut from Ohio's one CORRECTIONAL RECEPTION CENTER (Orient,
    Pickaway County) only when the row's city does not lie elsewhere: with CLEVELAND it goes to
    review with Cleveland's county, never Pickaway's."""
    assert r.resolve("CORRECTIONAL RECEPTION", "OH", city="ORIENT").county_fips == "39129"
    a = r.resolve("CORRECTIONAL RECEPTION", "OH", city="CLEVELAND")
    assert a.county_fips != "39129" and not confident(a)
