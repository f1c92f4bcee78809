"""ICE ERO administrative arrests, release of March 2026 (2026-ICLI-00005), FY2023-FY2026.

Layout of the detainer workbooks: preamble rows 1-6, header on row 7, one sheet per fiscal
year, last sheet "Footnotes". Column list as in DDP's code/arrests-latest.R (commit 533ccce9).
"Apprehension Method" says where ICE made the arrest (in a jail, e.g. "CAP Local
Incarceration", or at large, e.g. "Located"): see hand/apprehension_methods.csv.
"""

from ..layout import Layout

HEADER = [
    ("Apprehension Date", "apprehension_date"),
    ("Apprehension Type", "apprehension_type"),
    ("State", "apprehension_state"),
    ("County", "apprehension_county"),
    ("TOA Current Duty AOR", "apprehension_aor"),
    ("Apprehension Final Program", "final_program"),
    ("Arresting Agency", "arresting_agency"),
    ("Apprehension Method", "apprehension_method"),
    ("Apprehension Criminality", "criminality"),
    ("Case Status", "case_status"),
    ("Case Category", "case_category"),
    ("Departure Country", "departure_country"),
    ("Final Order Yes No", "final_order"),
    ("Birth Date", "birth_date"),
    ("Birth Year", "birth_year"),
    ("Citizenship Country", "citizenship_country"),
    ("Gender", "gender"),
    ("Departed Date", "departed_date"),
    ("Final Order Date", "final_order_date"),
    ("Apprehension Site Landmark", "apprehension_landmark"),
    ("Operation", "operation"),
    ("TOA Current Duty Site", "tod_current_duty_site"),
    ("Case Criminality", "case_criminality"),
    ("Case Threat Level", "threat_level"),
    ("Anonymized Identifier", "person_id"),
]

LAYOUT = Layout(
    name="ice_arrests_2026",
    kind="arrests",
    format="xlsx",
    release="ice-2026-03",
    description="ICE ERO administrative arrests workbook, release of March 2026",
    columns=dict(HEADER),
    required=("apprehension_date", "apprehension_method"),
    signature=("Apprehension Date", "Apprehension Type", "Arresting Agency"),
)
