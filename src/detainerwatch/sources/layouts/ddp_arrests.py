"""DDP processed ICE arrests (``arrests-latest``), from the arrests workbook of March 2026.

Cleaned ICE names, four of them renamed by DDP to the October 2025 names (both accepted);
DDP's own derived columns (``apprehension_state_filled_in``, ``duplicate_episode_*``,
``duplicate_drop_row``) are not ICE's and are kept in extras.
"""

from ..layout import Layout
from . import _ddp, ice_arrests_2026

RENAMES = {
    "state": "apprehension_state_original",
    "toa_current_duty_aor": "apprehension_aor",
    "apprehension_final_program": "final_program",
    "anonymized_identifier": "unique_identifier",
}

LAYOUT = Layout(
    name="ddp_arrests",
    kind="arrests",
    format="parquet",
    release=ice_arrests_2026.LAYOUT.release,
    description="Deportation Data Project processed ICE arrests (release of March 2026)",
    columns=dict(_ddp.cleaned(ice_arrests_2026.HEADER, RENAMES)),
    required=("apprehension_date", "apprehension_method", "upstream_row"),
    signature=("apprehension_date", "apprehension_type", *_ddp.SIGNATURE_TAIL),
    null_text=_ddp.NULL_TEXT,
)
