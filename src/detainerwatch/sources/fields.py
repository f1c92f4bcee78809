"""Canonical fields: one name per field across every release, with the type we give it.

Types: ``text`` (kept as released), ``date`` (stored as TIMESTAMP so a time of day is never
lost), ``int``. Value sets for text fields live in ``hand/value_sets.csv``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "text"
    identifier: bool = False  # person-level identifier: never published


def _f(names: str, type_: str = "text", identifier: bool = False) -> list[Field]:
    return [Field(n, type_, identifier) for n in names.split()]


DETAINER_FIELDS: list[Field] = [
    *_f("prepare_date", "date"),
    *_f("facility_state facility_aor port_of_departure departure_country"),
    *_f("departed_date", "date"),
    *_f("case_status criminality facility_name facility_code facility_city threat_level gender"
        " citizenship_country birth_country"),
    *_f("birth_date", "date"),
    *_f("birth_year", "int"),
    *_f("entry_status msc_charge"),
    *_f("msc_sentence_days msc_sentence_months msc_sentence_years", "int"),
    *_f("msc_charge_code"),
    *_f("msc_charge_date msc_conviction_date", "date"),
    *_f("aggravated_felon processing_disposition case_category final_program toa_case_category"
        " toa_current_program apprehension_method final_order"),
    *_f("final_order_date apprehension_date entry_date", "date"),
    *_f("prior_felony multiple_prior_misd violent_misdemeanor illegal_entry illegal_reentry"
        " immigration_fraud significant_risk other_removal_reason_flag other_removal_reason"
        " criminal_street_gang aggravated_felony deportation_ordered osc_served"),
    *_f("osc_served_date", "date"),
    *_f("biometric_match statements_made unlawful_attempt unlawful_entry visa"
        " federal_register_notice final_order_flag federal_interest resume_custody lift_reason"
        " lift_reason_code active_investigation"),
    *_f("arrest_warrant_served_date", "date"),
    *_f("detainer_type notify_release_request tod_current_duty_site"),
    *_f("alien_file_number eid_case_id eid_subject_id eid_dta_id person_id", identifier=True),
]

FACILITY_FIELDS: list[Field] = _f(
    "detloc name address city county state zip circuit aor docket type type_detailed"
    " operator owner"
)

FIELDS_BY_KIND = {"detainers": DETAINER_FIELDS, "facilities": FACILITY_FIELDS}

IDENTIFIER_FIELDS = frozenset(f.name for f in DETAINER_FIELDS if f.identifier)
