"""Indented JSON, byte for byte what `json.dumps(obj, indent=N, default=str)` writes, faster.

With an indent, Python's json module gives up its C encoder and walks the value through a chain
of Python generators, one per nesting level, yielding every separator apart: most of writing a
national report.json (hundreds of thousands of cells). This writer keeps the same output and
the C pieces the json module has (string escaping, number formatting), but builds each container
with one join instead of generators: about three times faster.

The output is the json module's exactly (tests/test_jsonout.py compares them on generated values
and real reports): keys as json writes them (str, int, float, bool, None; any other key is a
TypeError, as there), ASCII-only escaping, NaN and infinities as json writes them, tuples as
lists, subclasses of str/int/float/list/dict as their base type, `default` for anything else
(its result encoded in turn). A value that contains itself is refused (ValueError), as json does.
"""

from __future__ import annotations

import json.encoder
from collections.abc import Callable
from typing import Any

_encode_str: Callable[[str], str] = json.encoder.encode_basestring_ascii
_c_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)  # None: no C accelerator
_PLAIN = frozenset({str, int, float, bool, type(None)})
_int_repr = int.__repr__
_float_repr = float.__repr__
INFINITY = float("inf")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value == INFINITY:
        return "Infinity"
    if value == -INFINITY:
        return "-Infinity"
    return _float_repr(value)


def _key(key: object) -> str:
    if isinstance(key, str):
        return _encode_str(key)
    if isinstance(key, float):
        return _encode_str(_float(key))
    if key is True:
        return '"true"'
    if key is False:
        return '"false"'
    if key is None:
        return '"null"'
    if isinstance(key, int):
        return _encode_str(_int_repr(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {key.__class__.__name__}")


def dumps(obj: Any, *, indent: int = 1, default: Callable[[Any], Any] = str) -> str:
    """`json.dumps(obj, indent=indent, default=default)`, the same string."""
    unit = " " * indent
    pads = ["\n"]
    markers: set[int] = set()
    flat: dict[int, Any] = {}  # level -> the C encoder writing a flat dict's items there

    def flat_items(o: dict[Any, Any] | list[Any], level: int) -> str | None:
        """A dict of str keys and plain values (a row of a table: most of a report), or a list of
        plain values, written by json's C encoder with the newline and indent of this level as
        its item separator: the bytes json's Python encoder writes (the same string escaping
        and float repr). None when it is not flat or the accelerator is missing."""
        if _c_make_encoder is None:
            return None
        if type(o) is dict:
            for k, v in o.items():
                if type(k) is not str or type(v) not in _PLAIN:
                    return None
        else:
            for v in o:
                if type(v) not in _PLAIN:
                    return None
        enc = flat.get(level)
        if enc is None:
            enc = flat[level] = _c_make_encoder(
                None, default, _encode_str, None, ": ", "," + pad(level), False, False, True
            )
        return "".join(enc(o, 0))[1:-1]

    def pad(level: int) -> str:
        while len(pads) <= level:
            pads.append(pads[-1] + unit)
        return pads[level]

    def encode(o: Any, level: int) -> str:
        t = type(o)
        if t is str:
            return _encode_str(o)
        if t is int:
            return _int_repr(o)
        if t is float:
            return _float(o)
        if o is None:
            return "null"
        if o is True:
            return "true"
        if o is False:
            return "false"
        if t is dict or t is list or t is tuple:
            return container(o, level)
        if isinstance(o, str):
            return _encode_str(o)
        if isinstance(o, int):
            return _int_repr(o)
        if isinstance(o, float):
            return _float(o)
        if isinstance(o, (list, tuple, dict)):
            return container(o, level)
        marker = id(o)
        if marker in markers:
            raise ValueError("Circular reference detected")
        markers.add(marker)
        try:
            return encode(default(o), level)
        finally:
            markers.discard(marker)

    def container(o: Any, level: int) -> str:
        if not o:
            return "{}" if isinstance(o, dict) else "[]"
        marker = id(o)
        if marker in markers:
            raise ValueError("Circular reference detected")
        markers.add(marker)
        inner = level + 1
        nl = pad(inner)
        sep = "," + nl
        if type(o) is dict:
            text = flat_items(o, inner)
            if text is not None:
                markers.discard(marker)
                return "{" + nl + text + pad(level) + "}"
        if isinstance(o, dict):
            items = []
            for k, v in o.items():
                t = type(v)
                if t is str:
                    value = _encode_str(v)
                elif t is int:
                    value = _int_repr(v)
                else:
                    value = encode(v, inner)
                items.append(_key(k) + ": " + value)
            text = "{" + nl + sep.join(items) + pad(level) + "}"
        else:
            flat_text = flat_items(o, inner) if type(o) is list else None
            if flat_text is not None:
                text = "[" + nl + flat_text + pad(level) + "]"
            else:
                text = "[" + nl + sep.join([encode(v, inner) for v in o]) + pad(level) + "]"
        markers.discard(marker)
        return text

    return encode(obj, 0)
