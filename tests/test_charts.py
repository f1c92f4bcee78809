"""Charts and maps drawn in Python (issue 16), with what issue 11 asks of them."""

from __future__ import annotations

import re

from detainerwatch.publish import charts, maps


def _months(first_year: int, last_year: int) -> list[dict]:
    return [
        {
            "period": f"{y}-{m:02d}-01",
            "unit": "month",
            "issued": 100 + m,
            "booked": 50,
            "declined": m % 3,
        }
        for y in range(first_year, last_year + 1)
        for m in range(1, 13)
    ]


def test_trend_labels_each_year_once_and_marks_partial_periods_and_policies() -> None:
    spec = charts.trend_spec(
        _months(2010, 2015),
        "t",
        partial=(True, True),
        policies=[{"date": "2013-04-01", "title": "A local policy"}],
    )
    svg = charts.svg(spec)
    years = re.findall(r"<text[^>]*>(\d{4})</text>", svg)
    assert years == [str(y) for y in range(2011, 2016)]  # one label a year, each once
    assert svg.count('stroke-dasharray="4 3"') == 2  # the policy date on both panels
    assert "A local policy" in svg and "partial period" in svg
    assert ">declined</text>" in svg  # declines on their own panel, with its own axis title
    assert charts.png(spec)[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_single_week_is_drawn_as_bars_and_a_gap_breaks_the_line() -> None:
    week = [{"period": "2015-07-11", "unit": "week", "issued": 40, "booked": 1, "declined": 0}]
    svg = charts.svg(charts.trend_spec(week, "t"))
    assert svg.count("<rect") >= 3 and "<polyline" not in svg and "week of 2015-07-11" in svg
    series = _months(2012, 2013)
    series[5]["issued"] = series[5]["booked"] = series[5]["declined"] = None
    assert charts.svg(charts.trend_spec(series, "t")).count("<polyline") == 6  # 3 lines, broken


def test_maps_stay_small_and_say_what_is_not_covered() -> None:
    counties = maps.county_shapes()
    rows = [
        {"county_fips": s.fips, "issued": 10, "declined": i % 5} for i, s in enumerate(counties)
    ]
    states = sorted({s.state_fips for s in counties})
    for covered in (["42"], ["02", "53"], states[:8], states[:30], states):
        svg = charts.svg(charts.map_spec(rows, None, "m by county", covered=covered))
        assert len(svg) < 150_000, (covered, len(svg))
        if len(covered) < 50:
            assert "no data (not covered)" in svg
    one_state = charts.svg(charts.map_spec(rows, "42", "m by county"))
    assert one_state.count("<path") >= 67 and "Philadelphia" in one_state
