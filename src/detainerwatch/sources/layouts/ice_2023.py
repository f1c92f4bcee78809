"""ICE detainers, release of 2023: the 2025 fields in alphabetical order, with
"Detainer Prepared Date" and "Anonymized Unique Identifier".

Column order does not matter to recognition; names of either later release are accepted
for the other fields because the 2023 names are documented only as "the same fields".
"""

from ..layout import Layout
from . import ice_2025, ice_2026

_ALIASES = dict(ice_2026.HEADER)
_ALIASES.update(dict(ice_2025.HEADER))  # 2025 meaning wins where a name is shared
_ALIASES.pop("Detainer Prepare Date")
_ALIASES.pop("Unique Identifier")
_ALIASES.pop("Anonymized Identifier")
_ALIASES["Detainer Prepared Date"] = "prepare_date"
_ALIASES["Anonymized Unique Identifier"] = "person_id"

# Alphabetical as a spreadsheet sorts: case does not count ("Most Serious..." before "MSC ...").
HEADER = sorted(
    [(h, c) for h, c in ice_2025.HEADER if h not in ("Detainer Prepare Date", "Unique Identifier")]
    + [("Detainer Prepared Date", "prepare_date"), ("Anonymized Unique Identifier", "person_id")],
    key=lambda hc: hc[0].lower(),
)

LAYOUT = Layout(
    name="ice_detainers_2023",
    kind="detainers",
    format="xlsx",
    release="ice-2023",
    description="ICE detainer workbook, release of 2023 (alphabetical columns)",
    columns=_ALIASES,
    required=("prepare_date", "facility_state", "facility_name", "lift_reason"),
    signature=("Detainer Prepared Date", "Anonymized Unique Identifier"),
)
