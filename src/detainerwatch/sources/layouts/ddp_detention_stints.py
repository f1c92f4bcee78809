"""DDP processed ICE detention stints (``detention-stints-latest``), March 2026 release.

Cleaned ICE names, four renamed by DDP (both accepted); DDP's ``stay_ID``, ``stint_ID`` and
``duplicate_*`` helpers other than ``duplicate_likely`` are kept in extras.
"""

from ..layout import Layout
from . import _ddp, ice_detention_stints_2026

RENAMES = {
    "aggravated_felon_yes_no": "felon",
    "apprehension_final_program": "final_program",
    "msc_charge_code": "most_serious_conviction_code",
    "anonymized_identifier": "unique_identifier",
}

LAYOUT = Layout(
    name="ddp_detention_stints",
    kind="stints",
    format="parquet",
    release=ice_detention_stints_2026.LAYOUT.release,
    description="Deportation Data Project processed ICE detention stints (March 2026)",
    columns=dict(_ddp.cleaned(ice_detention_stints_2026.HEADER, RENAMES)),
    required=("book_in_date", "facility_name", "upstream_row"),
    signature=("book_in_date_time", "detention_facility", *_ddp.SIGNATURE_TAIL),
    null_text=_ddp.NULL_TEXT,
)
