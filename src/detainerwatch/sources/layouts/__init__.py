"""One declarative adapter per file layout. Adding a layout = adding a module here and to ALL.

Order matters where one header folds onto another's: the Deportation Data Project's tables
carry ICE's names in snake_case, which compare equal to ICE's own headers, so their adapters
(recognised by the upstream provenance columns) come first.
"""

from . import (
    ddp_arrests,
    ddp_detainers_2026,
    ddp_detention_stints,
    ddp_encounters,
    ddp_removals,
    ice_2023,
    ice_2025,
    ice_2026,
    ice_arrests_2026,
    ice_detention_stints_2026,
    ice_encounters_2025,
    ice_facility_list,
    ice_removals_2025,
    lesa_stu,
    npr_fy2008_2015,
    npr_fy2008_2015_extract,
)

ALL = [
    ddp_detainers_2026.LAYOUT,
    ddp_arrests.LAYOUT,
    ddp_detention_stints.LAYOUT,
    ddp_removals.LAYOUT,
    ddp_encounters.LAYOUT,
    ice_2026.LAYOUT,
    ice_2025.LAYOUT,
    ice_2023.LAYOUT,
    npr_fy2008_2015.LAYOUT,
    npr_fy2008_2015_extract.LAYOUT,
    ice_facility_list.LAYOUT,
    ice_arrests_2026.LAYOUT,
    ice_detention_stints_2026.LAYOUT,
    ice_removals_2025.LAYOUT,
    ice_encounters_2025.LAYOUT,
    *lesa_stu.LAYOUTS,
]
BY_NAME = {layout.name: layout for layout in ALL}
