"""The lower-case extract of the FY2008-FY2015 release (eads/geocode-pa-detainers):
``date,lift_reason,det_facility,city,state,detainer_type``. Same release, renamed columns.
"""

from ..layout import Layout

HEADER = [
    ("date", "prepare_date"),
    ("lift_reason", "lift_reason"),
    ("det_facility", "facility_name"),
    ("city", "facility_city"),
    ("state", "facility_state"),
    ("detainer_type", "detainer_type"),
]

LAYOUT = Layout(
    name="ice_detainers_fy2008_2015_extract",
    kind="detainers",
    format="delimited",
    release="ice-fy2008-2015",
    description="Lower-case extract of the FY2008-FY2015 detainer release",
    columns=dict(HEADER),
    required=("prepare_date", "lift_reason", "facility_name", "facility_state"),
    signature=("date", "lift_reason", "det_facility"),
    date_formats=("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%y", "%m/%d/%Y"),
)
