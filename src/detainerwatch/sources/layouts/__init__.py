"""One declarative adapter per file layout. Adding a layout = adding a module here and to ALL."""
from . import (
    ice_2023,
    ice_2025,
    ice_2026,
    ice_facility_list,
    npr_fy2008_2015,
    npr_fy2008_2015_extract,
)

ALL = [
    ice_2026.LAYOUT,
    ice_2025.LAYOUT,
    ice_2023.LAYOUT,
    npr_fy2008_2015.LAYOUT,
    npr_fy2008_2015_extract.LAYOUT,
    ice_facility_list.LAYOUT,
]
BY_NAME = {layout.name: layout for layout in ALL}
