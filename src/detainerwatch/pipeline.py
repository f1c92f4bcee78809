"""What runs after rows are stored, inside the same transaction as the ingest: derived tables
that reports read (facility attribution, policy records). Sits above store, link and derive."""
from __future__ import annotations


def after_ingest(con) -> None:
    from .derive import facts
    from .derive.policies import refresh_policies

    try:
        from .link import refresh_attribution
    except ImportError:  # the link layer is optional until it lands
        refresh_attribution = None
    if refresh_attribution is not None:
        refresh_attribution(con)
    refresh_policies(con)
    facts.materialize(con)
