"""ICE removals, release of 2025 (2025-ICLI-00019 / 2024-ICFO-39357), one "Removals" sheet.

Preamble rows 1-6, header on row 7. Column list as in DDP's code/removals-7-25.R (commit
533ccce9). Identifier columns (Alien File Number, EID Case ID, EID Subject ID) are redacted.
"""

from ..layout import Layout

HEADER = [
    ("Departed Date", "departed_date"),
    ("Port of Departure", "port_of_departure"),
    ("Departure Country", "departure_country"),
    ("Docket AOR", "docket_aor"),
    ("Apprehension State", "apprehension_state"),
    ("Apprehension County", "apprehension_county"),
    ("Case Status", "case_status"),
    ("Gender", "gender"),
    ("Birth Country", "birth_country"),
    ("Citizenship Country", "citizenship_country"),
    ("Birth Date", "birth_date"),
    ("Birth Year", "birth_year"),
    ("Entry Date", "entry_date"),
    ("Entry Status", "entry_status"),
    ("MSC NCIC Charge", "msc_charge"),
    ("MSC NCIC Charge Code", "msc_charge_code"),
    ("MSC Charge Date", "msc_charge_date"),
    ("MSC Criminal Charge Status", "msc_charge_status"),
    ("MSC Criminal Charge Status Code", "msc_charge_status_code"),
    ("MSC Conviction Date", "msc_conviction_date"),
    ("Case Threat Level", "threat_level"),
    ("Case Criminality", "criminality"),
    ("Felon", "aggravated_felon"),
    ("Processing Disposition", "processing_disposition"),
    ("Case Category", "case_category"),
    ("Final Program", "final_program"),
    ("Final Program Code", "final_program_code"),
    ("Case Category Time of Arrest", "toa_case_category"),
    ("Latest Arrest Program Current", "latest_arrest_program"),
    ("Latest Arrest Program Current Code", "latest_arrest_program_code"),
    ("Latest Person Apprehension Date", "latest_apprehension_date"),
    ("Final Order Yes No", "final_order"),
    ("Final Order Date", "final_order_date"),
    ("Final Charge Code", "final_charge_code"),
    ("Final Charge Section Code", "final_charge_section_code"),
    ("Prior Deport Yes No", "prior_deport"),
    ("Latest Person Departed Date", "latest_departed_date"),
    ("Alien File Number", "alien_file_number"),
    ("EID Case ID", "eid_case_id"),
    ("EID Subject ID", "eid_subject_id"),
    ("Unique Identifier", "person_id"),
]

LAYOUT = Layout(
    name="ice_removals_2025",
    kind="removals",
    format="xlsx",
    release="ice-2025",
    description="ICE removals workbook, release of 2025 (2025-ICLI-00019)",
    columns=dict(HEADER),
    required=("departed_date",),
    signature=("Departed Date", "Port of Departure", "Latest Person Departed Date"),
)
