"""FOIA redaction markers (exemption codes put in place of withheld values).

Seen in ICE releases: ``b(6), b(7)c``, ``b(6), b(7)C``, ``(b)(6)(b)(7)(c)``,
``(b)(6),(b)(7)c)``, ``(b)(7)e)``, ``b(7)(e)``, ``(B)(3)``. A marker is one or more
exemption tokens and nothing else. The pattern is RE2-compatible so the store can apply it
in SQL, column by column, without a Python loop.
"""
from __future__ import annotations

import re

_TOKEN = r"\(?\s*b\s*\)?\s*\(\s*[0-9]\s*\)\s*(?:\(?\s*[a-f]\s*\)?)?"
MARKER_PATTERN = rf"(?i)^\s*{_TOKEN}(?:\s*[,;&/]?\s*(?:and\s+)?{_TOKEN})*\s*$"
_MARKER = re.compile(MARKER_PATTERN)


def is_redaction(value: str | None) -> bool:
    return value is not None and bool(_MARKER.match(value))
