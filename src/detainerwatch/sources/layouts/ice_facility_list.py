"""ICE ERO facility lists (Custody Management Division): the facility dictionary.

Banner rows then a header with DETLOC, Name, Address, City, [County], State, Zip, ...
(header on row 9 in the Nov 2017 list, row 7 in the Jul 2017 and 2019 lists). Only the
first matching sheet of a workbook is the list; later sheets are breakouts of it.
"""

from ..layout import Layout

HEADER = [
    ("DETLOC", "detloc"),
    ("Name", "name"),
    ("Address", "address"),
    ("City", "city"),
    ("County", "county"),
    ("State", "state"),
    ("ST", "state"),
    ("Zip", "zip"),
    ("Circuit", "circuit"),
    ("AOR", "aor"),
    ("Docket", "docket"),
    ("Type", "type"),
    ("Type Detailed", "type_detailed"),
    ("Facility Operator", "operator"),
    ("Facility Owner", "owner"),
]

LAYOUT = Layout(
    name="ice_facility_list",
    kind="facilities",
    format="xlsx",
    release="ice-facility-list",
    description="ICE ERO facility list (DETLOC codes, names, addresses, types)",
    columns=dict(HEADER),
    required=("detloc", "name", "city", "state"),
    signature=("DETLOC", "Name", "City"),
    multi_sheet=False,
)
