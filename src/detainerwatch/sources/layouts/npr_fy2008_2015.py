"""ICE detainers FY2008-FY2015, delimited text, raw release headers (as published by NPR, 2016).

State is the full name in upper case; Prepare Date is m/d/yy. No facility codes.
"""

from ..layout import Layout

HEADER = [
    ("Prepare Date", "prepare_date"),
    ("Detainer Lift Reason", "lift_reason"),
    ("Detainer Detention Facility", "facility_name"),
    ("City", "facility_city"),
    ("State", "facility_state"),
    ("Detainer Type", "detainer_type"),
    ("Area Of Responsibility", "facility_aor"),
    ("OSC Served", "osc_served"),
    ("Detainer Lift Reason 2 Code", "lift_reason_code"),
]

LAYOUT = Layout(
    name="ice_detainers_fy2008_2015",
    kind="detainers",
    format="delimited",
    release="ice-fy2008-2015",
    description="ICE detainers FY2008-FY2015, delimited text with the release's own headers",
    columns=dict(HEADER),
    required=("prepare_date", "lift_reason", "facility_name", "facility_state"),
    signature=("Prepare Date", "Detainer Detention Facility", "Detainer Lift Reason"),
    date_formats=("%m/%d/%y", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"),
)
