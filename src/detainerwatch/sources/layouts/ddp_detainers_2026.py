"""DDP processed detainers of ICE's March 2026 release (``detainers-latest``: Parquet, CSV with or
without R's unnamed row-number column, xlsx, filtered xlsx downloads).

Two name generations exist: the cleaned ICE names (``detainer_criminality``, ...) and, since
DDP's October 2025 renames, the older ICE names (``detainer_prepared_criminality``, ...). Both
map to the canonical fields of the raw 2026 workbook, so either gives the same table.
``federal_interest_yes_no`` in this file is ICE's "Federal Register Notice Yes No" renamed by
DDP (code/detainers-latest.R), so it maps to ``federal_register_notice`` here.
"""

from ..layout import Layout
from . import _ddp, ice_2026

# DDP's renames (detainers-latest.R, "Rename to match Oct 2025 release"; and one earlier).
RENAMES = {
    "detainer_criminality": "detainer_prepared_criminality",
    "detainer_facility": "detention_facility",
    "detainer_facility_code": "detention_facility_code",
    "detainer_threat_level": "detainer_prep_threat_level",
    "msc_charge": "most_serious_conviction_charge",
    "aggravated_felon_yes_no": "felon",
    "toa_case_category": "arrest_time_case_category",
    "toa_current_program": "arrest_time_current_program",
    "federal_register_notice_yes_no": "federal_interest_yes_no",
    "anonymized_identifier": "unique_identifier",
    "order_to_show_cause_served_yes_no": "order_show_cause_served_yes_no",
}

HEADER = _ddp.cleaned(ice_2026.HEADER, RENAMES)

LAYOUT = Layout(
    name="ddp_detainers_2026",
    kind="detainers",
    format="parquet",
    release="ice-2026-03",
    description="Deportation Data Project processed detainers, ICE release of March 2026",
    columns=dict(HEADER),
    required=("prepare_date", "facility_state", "facility_name", "lift_reason", "upstream_row"),
    signature=("detainer_prepare_date", "detainer_lift_reason", *_ddp.SIGNATURE_TAIL),
    null_text=_ddp.NULL_TEXT,
)
