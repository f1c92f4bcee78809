"""DDP processed ICE encounters (``encounters-latest``, Feather), 2025 release."""

from ..layout import Layout
from . import _ddp, ice_encounters_2025

LAYOUT = Layout(
    name="ddp_encounters",
    kind="encounters",
    format="parquet",
    release=ice_encounters_2025.LAYOUT.release,
    description="Deportation Data Project processed ICE encounters (release of 2025)",
    columns=dict(_ddp.cleaned(ice_encounters_2025.HEADER)),
    required=("event_date", "upstream_row"),
    signature=("event_date", "lead_event_type", *_ddp.SIGNATURE_TAIL),
    null_text=_ddp.NULL_TEXT,
)
