"""Non-government custody (issue 13n): hospitals, hotels, shelters and children's homes are no
government's lockup. They get the type non_government, a county only where evidence says where
they are, and are never counted as a county's or city's. Real names from ICE's facility lists
and state lists."""

from __future__ import annotations

import pytest

from detainerwatch.derive.facts import LOCAL_TYPES
from detainerwatch.derive.ids import jurisdiction_id_sql
from detainerwatch.link import custody
from detainerwatch.link.resolver import CONFIDENT, Resolver
from detainerwatch.store.schema import JURISDICTION_TYPES


@pytest.fixture(scope="module")
def r() -> Resolver:
    return Resolver()


def confident(a) -> bool:
    return a.confidence >= CONFIDENT and not a.needs_review


@pytest.mark.parametrize(
    "name,state,county",
    [
        # ICE's 2017 list names the hospital with its county and no government type
        ("PALMDALE REGIONAL MEDICAL CENTER", "CA", "06037"),
        ("REGIONS MEDICAL CENTER", "MN", "27123"),
        ("DEL AMO PSYCHIATRIC HOSPITAL", "CA", "06037"),
        ("HOLIDAY INN", "NY", "36081"),
        # a place of one county named after the custody words
        ("SOUTHWEST KEY LEMON GROVE", "CA", "06073"),
    ],
)
def test_a_located_hospital_hotel_or_shelter_is_non_government_in_its_county(
    r, name, state, county
):
    a = r.resolve(name, state)
    assert (a.jurisdiction_type, a.county_fips, a.method) == (
        "non_government",
        county,
        "non_government",
    )
    assert confident(a) and "non-government custody" in (a.jurisdiction_name or "")
    assert any(c.get("step") in ("reference", "non_government") for c in a.candidates[1:])


@pytest.mark.parametrize(
    "name,state",
    [
        ("1ST CHOICE INNS", "CO"),  # no list holds it, no place named: where is not known
        ("CATHOLIC CHARITIES (HOUSTON)", "TX"),  # Houston spans three counties
        ("CHILDREN'S VILLAGE", "NY"),
    ],
)
def test_an_unlocated_one_goes_to_review_never_to_a_county(r, name, state):
    a = r.resolve(name, state)
    assert a.jurisdiction_type == "non_government" and a.needs_review and not confident(a)
    assert a.county_fips is None and "nothing says where" in (a.review_reason or "")


@pytest.mark.parametrize(
    "name,state,kind",
    [
        ("LEMUEL SHATTUCK HOSPITAL", "MA", "state"),  # listed by HIFLD as a state facility
        ("RECEPTION AND MEDICAL CENTER-WEST", "FL", "state"),  # a DOC prison
        ("FMC ROCHESTER", "MN", "federal"),  # a federal medical center
    ],
)
def test_a_government_hospital_is_that_governments(r, name, state, kind):
    a = r.resolve(name, state)
    assert a.jurisdiction_type == kind


def test_government_words_rule_out_non_government_custody():
    assert custody.kind_of("WESTERN STATE HOSPITAL") is None
    assert custody.kind_of("HARRIS COUNTY JAIL MEDICAL") is None
    assert custody.kind_of("ST MARY'S HOSPITAL") == ("hospital", len("ST MARYS HOSPITAL"))


def test_non_government_is_never_a_local_government():
    import duckdb

    assert "non_government" in JURISDICTION_TYPES
    assert "non_government" not in LOCAL_TYPES  # never counted as declining in the report
    facility = (
        "SELECT 'non_government' AS jurisdiction_type, '06' AS state_fips, '06037' AS county_fips, "
        "NULL AS place_fips, 'DEL AMO PSYCHIATRIC HOSPITAL' AS facility_name, "
        "'hospital in Los Angeles County, CA (non-government custody)' AS jurisdiction_name"
    )
    row = f"SELECT {jurisdiction_id_sql()} AS id FROM ({facility})"
    (jid,) = duckdb.connect().execute(row).fetchone()
    # its id is type:state:name, never county:06037, so no county profile or audit counts it
    assert jid.startswith("non_government:06:") and "06037" not in jid
