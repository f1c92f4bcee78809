"""FOIA redaction markers (exemption codes put in place of withheld values).

Seen in ICE releases: ``b(6), b(7)c``, ``b(6), b(7)C``, ``(b)(6)(b)(7)(c)``,
``(b)(6),(b)(7)c)``, ``(b)(7)e)``, ``b(7)(e)``, ``(B)(3)``. A marker is one or more
exemption tokens and nothing else; after the first, a token may leave out the ``b``
(``(b)(6)(7)(c)``, ``(b)(6), (7)(c)``). A bare ``b6`` is not a marker. The pattern is RE2-compatible so the store can apply it
in SQL, column by column, without a Python loop.
"""
from __future__ import annotations

import re

_TOKEN = r"\(?\s*b\s*\)?\s*\(\s*[0-9]\s*\)\s*(?:\(?\s*[a-f]\s*\)?)?"
_MORE = r"\(\s*[0-9]\s*\)\s*(?:\(?\s*[a-f]\s*\)?)?"  # a later token without its "b"
MARKER_PATTERN = rf"(?i)^\s*{_TOKEN}(?:\s*[,;&/]?\s*(?:and\s+)?(?:{_TOKEN}|{_MORE}))*\s*$"
_MARKER = re.compile(MARKER_PATTERN)


def is_redaction(value: str | None) -> bool:
    return value is not None and bool(_MARKER.match(value))
