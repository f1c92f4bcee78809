"""What runs after rows are stored, inside the same transaction as the ingest: derived tables
that reports read (facility attribution, policy records). Sits above store, link and derive."""

from __future__ import annotations

import threading

_preparing: threading.Thread | None = None


def before_ingest() -> None:
    """Load the attribution's reference data in a background thread while rows stream in:
    the readers and DuckDB leave cycles free, and after_ingest needs it at once."""
    global _preparing
    from .link import gazetteer

    def load():
        try:
            gazetteer.load()
        except Exception:  # noqa: BLE001 - after_ingest builds it again and reports the error
            pass

    _preparing = threading.Thread(target=load, daemon=True, name="gazetteer")
    _preparing.start()


def after_ingest(con) -> None:
    from .derive import facts, releases

    if _preparing is not None:
        _preparing.join()
    from .derive.policies import refresh_policies

    try:
        from .link import refresh_attribution
    except ImportError:  # the link layer is optional until it lands
        refresh_attribution = None
    if refresh_attribution is not None:
        refresh_attribution(con)
        from .link.area import refresh_area_attribution

        refresh_area_attribution(con)  # facilities and landmarks of an area workbook
    refresh_policies(con)
    releases.refresh(con)  # which release supplies each day: the facts keep only its rows
    facts.materialize(con)
