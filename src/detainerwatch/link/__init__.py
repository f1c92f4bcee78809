"""Attribution: which government each detainer was sent to, with the evidence for it."""

from .attribution import refresh_attribution, resolver_for
from .resolver import Attribution, Resolver

__all__ = ["Attribution", "Resolver", "refresh_attribution", "resolver_for"]
