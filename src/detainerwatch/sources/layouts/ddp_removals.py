"""DDP processed ICE removals (``removals-latest``, Feather/xlsx), 2025 release."""

from ..layout import Layout
from . import _ddp, ice_removals_2025

LAYOUT = Layout(
    name="ddp_removals",
    kind="removals",
    format="parquet",
    release=ice_removals_2025.LAYOUT.release,
    description="Deportation Data Project processed ICE removals (release of 2025)",
    columns=dict(_ddp.cleaned(ice_removals_2025.HEADER)),
    required=("departed_date", "upstream_row"),
    signature=("departed_date", "docket_aor", *_ddp.SIGNATURE_TAIL),
    null_text=_ddp.NULL_TEXT,
)
