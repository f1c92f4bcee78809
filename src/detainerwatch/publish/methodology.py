"""The methodology: what the terms mean and how each number is made, built from the reviewed hand
files, so the page cannot drift from the rules the code applies. Rendered as its own page (web app,
static site) and as the last section of every report."""

from __future__ import annotations

from typing import Any

import csv

from ..handfiles import hand_path, read_yaml
from .labels import outcome_label, outcome_meaning

FORMS = [
    ("I-247", "Immigration Detainer - Notice of Action (before 2013; 2013-2015 edition)", "hold"),
    ("I-247D", "Immigration Detainer - Request for Action (2015-2017)", "hold"),
    ("I-247A", "Immigration Detainer - Notice of Action (2017 on; new edition May 2025)", "hold"),
    (
        "I-247N",
        "Request for Voluntary Notification: asks only to be told of the release date",
        "notification (no hold)",
    ),
    (
        "I-247X",
        "Request for Voluntary Transfer (2015-2017 priority enforcement): asks for "
        "transfer at release",
        "notification (no hold)",
    ),
]

ERRORS_2017 = [
    (
        "Attribution by name: detainers credited to Franklin County in three states.",
        "A facility is keyed by name, city, state and code, never by name alone; a doubtful "
        "attribution goes to the review queue and is flagged, not guessed.",
    ),
    (
        "Transfers counted as declines (Williamson and Bastrop counties, TX).",
        "Transferred is its own outcome class (hand/lift_reasons.csv), never declined.",
    ),
    (
        "Detainers sent to the wrong place counted as declines (Chester County, PA).",
        'Only ICE\'s lift reason "Detainer Declined by LEA" is a decline; wrongly issued '
        "detainers (U.S. citizens) are their own class.",
    ),
    (
        "ICE inside the jail (Kern County, CA) read as non-cooperation.",
        "Reports show detainers issued and outcomes, never rank a low count as refusal; 287(g) "
        "agreements and policies are shown as context in section III.",
    ),
    (
        "Retroactive declines (Travis County) shown as declines of the week.",
        "Counts are by issue date, and every page says the releases hold no decline date.",
    ),
]


def lift_reasons() -> list[dict[str, Any]]:
    """Read fresh (not cached): the page always shows the file as it is."""
    with open(hand_path("lift_reasons.csv"), newline="", encoding="utf-8") as fh:
        return [
            {
                "lift_reason": r["lift_reason"].strip() or "(blank)",
                "outcome": r["outcome_class"],
                "note": r.get("note") or "",
            }
            for r in csv.DictReader(fh)
        ]


def detainer_types() -> list[dict[str, Any]]:
    with open(hand_path("detainer_types.csv"), newline="", encoding="utf-8") as fh:
        return [
            {
                "detainer_type": r["detainer_type"].strip() or "(blank)",
                "request_kind": r["request_kind"],
                "note": r.get("note") or "",
            }
            for r in csv.DictReader(fh)
        ]


def methodology() -> dict[str, Any]:
    rules = read_yaml("disclosure.yaml")  # kept parsed by handfiles; read, never changed
    from ..derive.facts import OUTCOMES

    return {
        "forms": [{"form": f, "what": w, "kind": k} for f, w, k in FORMS],
        "outcomes": [
            {"outcome": o, "label": outcome_label(o), "meaning": outcome_meaning(o)}
            for o in OUTCOMES
        ],
        "lift_reasons": lift_reasons(),
        "detainer_types": detainer_types(),
        "errors_2017": [{"error": e, "prevented": p} for e, p in ERRORS_2017],
        "disclosure": {
            "small_max": rules["small_cell_max"],
            "small_label": rules["small_cell_label"],
            "withheld_label": rules["withheld_label"],
            "person_attribute_columns": rules["person_attribute_columns"],
            "subject_columns": rules["subject_columns"],
            "protected_facility_types": rules["protected_facility_types"],
        },
    }
