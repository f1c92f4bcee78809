"""Attribution: which government each detainer was sent to, with the evidence for it."""

from __future__ import annotations

from typing import Any

__all__ = ["Attribution", "Resolver", "refresh_attribution", "resolver_for"]


def __getattr__(name: str) -> Any:
    """Imported on first use: `resolve` needs the resolver, not the store's table writer (and
    its pyarrow and DuckDB imports)."""
    if name in ("refresh_attribution", "resolver_for"):
        from . import attribution

        return getattr(attribution, name)
    if name in ("Attribution", "Resolver"):
        from . import resolver

        return getattr(resolver, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
