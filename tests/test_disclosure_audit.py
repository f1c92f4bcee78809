"""The audit's evidence is protected like every other table: an entry's figures, the facilities
in its scope and its figures by request kind are nested in the entry, and each passes the same
rules (a count at a facility for children or a hospital is a person attribute; no withheld cell
may be worked out from the scope's totals)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from detainerwatch.publish import disclosure


def _audit() -> dict[str, Any]:
    """A county entry whose records are at the county jail (20 issued) and a juvenile detention
    centre (3 issued, 1 declined); the facility list is complete, so a reader could subtract."""
    figures = {
        "issued": 23,
        "booked": 9,
        "declined": 6,
        "open": 4,
        "other_outcomes": 4,
        "with_outcome": 15,
        "declined_share": 0.4,
        "ci95_low": 0.2,
        "ci95_high": 0.6,
    }
    evidence = {
        **figures,
        "covered": True,
        "recent": {**figures, "from": "2025-03-11", "to": "2026-03-10"},
        "facilities": [
            {"facility": "EXAMPLE COUNTY JAIL", "city": "A", "issued": 20, "declined": 5},
            {
                "facility": "EXAMPLE JUVENILE DETENTION CENTER",
                "city": "A",
                "issued": 3,
                "declined": 1,
            },
        ],
        "facilities_complete": True,
        "by_request": [
            {"request_kind": "hold", "issued": 23, "booked": 9, "declined": 6},
        ],
        "by_request_complete": True,
    }
    return {
        "entries": [{"row": 1, "verdict": "supported", "evidence": evidence}],
        "verdicts": {"supported": 1},
        "converse": [],
    }


def test_an_unprotected_audit_shows_a_childrens_facility_and_its_complement():
    found = [str(f) for f in disclosure.check_object(_audit(), "audit.json")]
    assert any("JUVENILE" in f and "person-attribute cell of 3" in f for f in found), found


def test_protect_withholds_the_facility_and_one_beside_it():
    audit = disclosure.protect(_audit(), "audit")
    facilities = audit["entries"][0]["evidence"]["facilities"]
    assert facilities[1]["issued"] == "<5" and facilities[1]["declined"] == "<5"
    # the jail's figures would give the juvenile centre's by subtraction from the county's
    assert facilities[0]["issued"] == "x" and facilities[0]["declined"] == "x"
    # the county's own figures are the report's subject and stay published
    assert audit["entries"][0]["evidence"]["issued"] == 23
    assert disclosure.check_object(disclosure.json_safe(audit), "audit.json") == []


def test_an_incomplete_facility_list_ties_nothing_to_the_totals():
    audit = _audit()
    audit["entries"][0]["evidence"]["facilities_complete"] = False
    audit = disclosure.protect(audit, "audit")
    facilities = audit["entries"][0]["evidence"]["facilities"]
    assert facilities[1]["issued"] == "<5"
    assert facilities[0]["issued"] == 20


@pytest.mark.parametrize("value", [1, 4])
def test_other_outcomes_is_not_a_person_attribute(value):
    """Detainers that ended another way (withdrawn, transferred, released...) are the remainder
    of the outcome partition, which the audit's own issued, honored, declined and open give; its
    person-attribute parts (deaths, wrongly issued) are never shown apart in an audit. The name
    no longer reads as the criminal-history tier 'other'."""
    audit = _audit()
    ev = audit["entries"][0]["evidence"]
    ev["open"], ev["other_outcomes"] = 8 - value, value
    protected = disclosure.protect(copy.deepcopy(audit), "audit")
    assert protected["entries"][0]["evidence"]["other_outcomes"] == value
    assert not disclosure.is_person_attribute("other_outcomes")


def _juvenile_only(issued: int, recent_is_period: bool) -> dict[str, Any]:
    """A city whose only facility in the period is a juvenile detention centre (the review's
    case): the scope's own figures are that facility's."""
    booked, declined = 1, issued - 1
    figures = {
        "issued": issued,
        "booked": booked,
        "declined": declined,
        "open": 0,
        "other_outcomes": 0,
        "with_outcome": issued,
        "declined_share": round(declined / issued, 4),
        "ci95_low": 0.1,
        "ci95_high": 0.9,
    }
    evidence = {
        **figures,
        "covered": True,
        "recent": {**figures, "from": "2025-03-11", "to": "2026-03-10"},
        "recent_is_period": recent_is_period,
        "facilities": [
            {
                "facility": "EXAMPLE JUVENILE DETENTION CENTER",
                "city": "A",
                "issued": issued,
                "declined": declined,
            }
        ],
        "facilities_complete": True,
        "by_request": [
            {"request_kind": "hold", "issued": issued, "booked": booked, "declined": declined}
        ],
        "by_request_complete": True,
    }
    return {
        "entries": [{"row": 1, "verdict": "supported", "evidence": evidence}],
        "verdicts": {"supported": 1},
        "practice_rule": {"outcome_classes": ["booked", "declined"]},
    }


@pytest.mark.parametrize(("issued", "same"), [(3, True), (3, False), (4, False), (2, True)])
def test_a_scope_that_is_one_childrens_facility_gives_nothing_away(issued, same):
    """Nothing of the facility's figures may be read from the scope's detainers with a recorded
    outcome, from the latest months (the same window, or a part of the period: the months before
    it count at least 0), or from the figures by request kind."""
    audit = _juvenile_only(issued, same)
    assert disclosure.check_object(copy.deepcopy(audit), "audit.json")  # unprotected: found
    protected = disclosure.json_safe(disclosure.protect(audit, "audit"))
    assert disclosure.check_object(protected, "audit.json") == []
    ev = protected["entries"][0]["evidence"]
    assert ev["facilities"][0]["issued"] in ("<5", "x")
    if ev["with_outcome"] == "x":
        assert ev["declined_share"] is None and ev["ci95_low"] is None


def test_a_scope_whose_facilities_are_all_for_children_shows_no_small_count():
    """Its honored count (1) is one child's: shown as "<5" in every window and request kind."""
    protected = disclosure.protect(_juvenile_only(3, True), "audit")
    ev = protected["entries"][0]["evidence"]
    shown = [ev["booked"], ev["recent"]["booked"], ev["by_request"][0]["booked"]]
    assert all(v in ("<5", "x") for v in shown), shown
