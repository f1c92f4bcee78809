"""ICE ERO encounters, release of 2025 (2025-ICLI-00019 / 2024-ICFO-39357).

Preamble rows 1-6, header on row 7, one sheet per fiscal year. Column list as in DDP's
code/encounters-latest.R (commit 533ccce9).
"""

from ..layout import Layout

HEADER = [
    ("Event Date", "event_date"),
    ("Responsible AOR", "responsible_aor"),
    ("Responsible Site", "responsible_site"),
    ("Lead Event Type", "lead_event_type"),
    ("Lead Source", "lead_source"),
    ("Event Type", "event_type"),
    ("Final Program", "final_program"),
    ("Final Program Group", "final_program_group"),
    ("Encounter Criminality", "criminality"),
    ("Processing Disposition", "processing_disposition"),
    ("Case Status", "case_status"),
    ("Case Category", "case_category"),
    ("Departed Date", "departed_date"),
    ("Departure Country", "departure_country"),
    ("Final Order Yes No", "final_order"),
    ("Final Order Date", "final_order_date"),
    ("Birth Date", "birth_date"),
    ("Birth Year", "birth_year"),
    ("Citizenship Country", "citizenship_country"),
    ("Gender", "gender"),
    ("Event Landmark", "event_landmark"),
    ("Alien File Number", "alien_file_number"),
    ("EID Case ID", "eid_case_id"),
    ("EID Subject ID", "eid_subject_id"),
    ("Unique Identifier", "person_id"),
]

LAYOUT = Layout(
    name="ice_encounters_2025",
    kind="encounters",
    format="xlsx",
    release="ice-2025",
    description="ICE ERO encounters workbook, release of 2025 (2025-ICLI-00019)",
    columns=dict(HEADER),
    required=("event_date",),
    signature=("Event Date", "Lead Event Type", "Responsible AOR"),
)
