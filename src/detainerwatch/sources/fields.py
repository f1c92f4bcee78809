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
    *_f(
        "case_status criminality facility_name facility_code facility_city threat_level gender"
        " citizenship_country birth_country"
    ),
    *_f("birth_date", "date"),
    *_f("birth_year", "int"),
    *_f("entry_status msc_charge"),
    *_f("msc_sentence_days msc_sentence_months msc_sentence_years", "int"),
    *_f("msc_charge_code"),
    *_f("msc_charge_date msc_conviction_date", "date"),
    *_f(
        "aggravated_felon processing_disposition case_category final_program toa_case_category"
        " toa_current_program apprehension_method final_order"
    ),
    *_f("final_order_date apprehension_date entry_date", "date"),
    *_f(
        "prior_felony multiple_prior_misd violent_misdemeanor illegal_entry illegal_reentry"
        " immigration_fraud significant_risk other_removal_reason_flag other_removal_reason"
        " criminal_street_gang aggravated_felony deportation_ordered osc_served"
    ),
    *_f("osc_served_date", "date"),
    *_f(
        "biometric_match statements_made unlawful_attempt unlawful_entry visa"
        " federal_register_notice final_order_flag federal_interest resume_custody lift_reason"
        " lift_reason_code active_investigation"
    ),
    *_f("arrest_warrant_served_date", "date"),
    *_f("detainer_type notify_release_request tod_current_duty_site"),
    *_f("alien_file_number eid_case_id eid_subject_id eid_dta_id person_id", identifier=True),
]

# Where a republished row came from upstream (the Deportation Data Project's file_original,
# sheet_original, row_original) and its own duplicate flag, kept beside the store's own
# provenance and likely_duplicate flag; null for rows read from ICE's files directly.
UPSTREAM_FIELDS: list[Field] = [
    *_f("upstream_file upstream_sheet"),
    *_f("upstream_row", "int"),
    *_f("upstream_duplicate_likely"),
]
DETAINER_FIELDS += UPSTREAM_FIELDS

# Enforcement events of the same releases, one table per kind. Field names follow the
# detainer fields where the meaning is the same (gender, case_status, person_id, ...).
ARREST_FIELDS: list[Field] = [
    *_f("apprehension_date", "date"),
    *_f(
        "apprehension_type apprehension_state apprehension_county apprehension_aor final_program"
        " arresting_agency apprehension_method criminality case_status case_category"
        " departure_country final_order"
    ),
    *_f("birth_date", "date"),
    *_f("birth_year", "int"),
    *_f("citizenship_country gender"),
    *_f("departed_date final_order_date", "date"),
    *_f(
        "apprehension_landmark operation tod_current_duty_site case_criminality threat_level"
        " most_serious_conviction"
    ),
    *_f("event_number person_id", identifier=True),
    *UPSTREAM_FIELDS,
]

STINT_FIELDS: list[Field] = [
    *_f("stay_book_in_date book_in_date", "date"),
    *_f("facility_name"),
    *_f("book_out_date stay_book_out_date", "date"),
    *_f("release_reason"),
    *_f("stay_book_out_day", "date"),
    *_f("stay_release_reason gender birth_country citizenship_country entry_status msc_charge"),
    *_f("msc_sentence_days msc_sentence_months msc_sentence_years", "int"),
    *_f("msc_charge_code aggravated_felon case_status case_category final_order"),
    *_f("final_order_date", "date"),
    *_f("threat_level detainee_classification final_charge"),
    *_f("departed_date", "date"),
    *_f("departure_country facility_code"),
    *_f("birth_date", "date"),
    *_f("birth_year", "int"),
    *_f("criminality"),
    *_f("entry_date", "date"),
    *_f("final_program"),
    *_f("msc_charge_date msc_conviction_date", "date"),
    *_f("book_in_site book_in_aor apprehension_method most_serious_conviction"),
    *_f(
        "religion marital_status ethnicity race known_terrorist suspected_gang offense_ina_236c"
        " case_ina_236c bond_posted_amount initial_bond_set_amount msc_charge_status"
        " msc_charge_status_code msc_crime_class"
    ),
    *_f("bond_posted_date initial_bond_set_date", "date"),
    *_f("person_id", identifier=True),
    *UPSTREAM_FIELDS,
]

REMOVAL_FIELDS: list[Field] = [
    *_f("departed_date", "date"),
    *_f(
        "port_of_departure departure_country docket_aor apprehension_state apprehension_county"
        " case_status gender birth_country citizenship_country"
    ),
    *_f("birth_date", "date"),
    *_f("birth_year", "int"),
    *_f("entry_date", "date"),
    *_f("entry_status msc_charge msc_charge_code"),
    *_f("msc_charge_date", "date"),
    *_f("msc_charge_status msc_charge_status_code"),
    *_f("msc_conviction_date", "date"),
    *_f(
        "threat_level criminality aggravated_felon processing_disposition case_category"
        " final_program final_program_code toa_case_category latest_arrest_program"
        " latest_arrest_program_code"
    ),
    *_f("latest_apprehension_date", "date"),
    *_f("final_order"),
    *_f("final_order_date", "date"),
    *_f("final_charge_code final_charge_section_code prior_deport"),
    *_f("latest_departed_date", "date"),
    *_f("most_serious_conviction"),
    *_f("alien_file_number eid_case_id eid_subject_id event_number person_id", identifier=True),
    *UPSTREAM_FIELDS,
]

ENCOUNTER_FIELDS: list[Field] = [
    *_f("event_date", "date"),
    *_f(
        "responsible_aor responsible_site lead_event_type lead_source event_type final_program"
        " final_program_group criminality processing_disposition case_status case_category"
    ),
    *_f("departed_date", "date"),
    *_f("departure_country final_order"),
    *_f("final_order_date", "date"),
    *_f("birth_date", "date"),
    *_f("birth_year", "int"),
    *_f("citizenship_country gender event_landmark"),
    *_f("alien_file_number eid_case_id eid_subject_id person_id", identifier=True),
    *UPSTREAM_FIELDS,
]

# The date that places each event kind in time (the detainers' is prepare_date).
EVENT_DATE = {
    "arrests": "apprehension_date",
    "stints": "book_in_date",
    "removals": "departed_date",
    "encounters": "event_date",
}
EVENT_KINDS = tuple(EVENT_DATE)

FACILITY_FIELDS: list[Field] = _f(
    "detloc name address city county state zip circuit aor docket type type_detailed operator owner"
)

FIELDS_BY_KIND = {
    "detainers": DETAINER_FIELDS,
    "facilities": FACILITY_FIELDS,
    "arrests": ARREST_FIELDS,
    "stints": STINT_FIELDS,
    "removals": REMOVAL_FIELDS,
    "encounters": ENCOUNTER_FIELDS,
}

IDENTIFIER_FIELDS = frozenset(f.name for f in DETAINER_FIELDS if f.identifier)
