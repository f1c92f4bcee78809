"""publish/jsonout.py writes what `json.dumps(obj, indent=N, default=str)` writes, byte for byte."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detainerwatch.publish import jsonout


def reference(obj: Any, indent: int = 1) -> str:
    return json.dumps(obj, indent=indent, default=str)


class Kind(enum.IntEnum):
    A = 3


class Text(str):
    pass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.dates(),
    st.datetimes(),
    st.decimals(allow_nan=False),
)
keys = st.one_of(st.text(), st.integers(), st.floats(), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(keys, inner, max_size=5),
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(values, st.integers(min_value=0, max_value=3))
def test_same_bytes_as_json_dumps(obj: Any, indent: int) -> None:
    assert jsonout.dumps(obj, indent=indent) == reference(obj, indent)


def test_same_bytes_on_the_odd_cases() -> None:
    cases: list[Any] = [
        {},
        [],
        'é\u2028\x00"\\',
        {"a": {}, "b": [], "c": [{}], "d": ()},
        {7: "x", 2.5: "y", True: "z", False: "f", None: "n", Kind.A: Kind.A, Text("k"): Text("v")},
        [math.nan, math.inf, -math.inf, -0.0, 1e300, 0.1],
        {"when": dt.date(2015, 7, 18), "d": Decimal("1.50"), "t": dt.datetime(2020, 1, 2, 3, 4)},
        [[[[["deep"]]]]],
    ]
    for obj in cases:
        assert jsonout.dumps(obj) == reference(obj)


def test_refused_as_json_refuses() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular"):
        jsonout.dumps(loop)
    with pytest.raises(TypeError):
        jsonout.dumps({(1, 2): "tuple key"})
