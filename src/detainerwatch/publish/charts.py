"""Charts as Vega-Lite specifications rendered offline (vl-convert) to SVG and PNG.

No chart loads anything at view time: the SVG is inlined into pages, the PNG is written beside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import vl_convert as vlc

from . import maps

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier, never fetched
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


COLORS = {"issued": "#5a6570", "booked": "#0b5cad", "declined": "#c0392b"}


def _number(value: object) -> int | float | None:
    """A published count, or None for a cell withheld by the disclosure rules (a gap)."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def trend_spec(
    series: list[dict[str, Any]],
    title: str,
    *,
    partial: tuple[bool, bool] = (False, False),
    policies: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Issued and booked on one panel, declined on its own panel and scale below (a few dozen
    declines are not a flat line under thousands issued). One label a year on long time axes;
    a single period is a bar; partial first and last periods are marked; policy dates (profile
    charts) are drawn as rules."""
    unit = series[0]["unit"] if series else "week"
    rows = []
    for i, r in enumerate(series):
        is_partial = (i == 0 and partial[0]) or (i == len(series) - 1 and partial[1])
        for k in ("issued", "booked", "declined"):
            rows.append(
                {
                    "period": r["period"],
                    "series": k,
                    "detainers": _number(r.get(k)),
                    "partial": "partial period" if is_partial else "full period",
                }
            )
    x: dict[str, Any] = {
        "field": "period",
        "type": "temporal",
        "title": f"{unit} of issue",
        "axis": {"format": "%b %d, %Y", "labelOverlap": True},
    }
    if len(series) >= 2:
        first, last = series[0]["period"], series[-1]["period"]
        years = int(last[:4]) - int(first[:4])
        if years >= 2:  # one label a year
            x["axis"] = {
                "format": "%Y",
                "labelOverlap": True,
                "tickCount": {"interval": "year", "step": 1 if years <= 12 else 2},
            }
        elif unit == "month":
            x["axis"] = {"format": "%b %Y", "labelOverlap": True}
    single = sum(1 for r in series if _number(r.get("issued")) is not None) <= 1
    color = {
        "field": "series",
        "type": "nominal",
        "title": None,
        "scale": {"domain": list(COLORS), "range": list(COLORS.values())},
    }

    def panel(keys: list[str], height: int, y_title: str, labels: bool) -> dict[str, Any]:
        data = [r for r in rows if r["series"] in keys]
        px = (
            x
            if labels
            else {**x, "title": None, "axis": {**x["axis"], "labels": False, "ticks": True}}
        )
        line = (
            {
                "mark": {"type": "bar"},
                "encoding": {
                    "x": {**px, "type": "ordinal", "timeUnit": "yearmonthdate"},
                    "xOffset": {"field": "series"},
                    "y": {"field": "detainers", "type": "quantitative", "title": y_title},
                    "color": color,
                },
            }
            if single
            else {
                "mark": {"type": "line", "point": len(series) < 60},
                "encoding": {
                    "x": px,
                    "y": {"field": "detainers", "type": "quantitative", "title": y_title},
                    "color": color,
                },
            }
        )
        layers = [line]
        if not single and any(partial):
            layers.append(
                {
                    "transform": [{"filter": "datum.partial == 'partial period'"}],
                    "mark": {"type": "point", "shape": "triangle-up", "size": 70, "filled": False},
                    "encoding": {
                        "x": px,
                        "y": {"field": "detainers", "type": "quantitative"},
                        "shape": {"field": "partial", "type": "nominal", "title": None},
                    },
                }
            )
        if policies and not single:
            layers.append(
                {
                    "data": {"values": policies},
                    "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#7a4fa0"},
                    "encoding": {
                        "x": {"field": "date", "type": "temporal"},
                        "tooltip": [{"field": "title"}, {"field": "date"}],
                    },
                }
            )
        return {"width": 640, "height": height, "data": {"values": data}, "layer": layers}

    return {
        "$schema": SCHEMA,
        "title": {
            "text": title,
            "font": FONT,
            "subtitle": _subtitle(partial, policies),
            "subtitleFont": FONT,
        },
        "config": {"font": FONT},
        "vconcat": [
            panel(["issued", "booked"], 170, "detainers", labels=single),
            panel(["declined"], 90, "declined", labels=True),
        ],
        "resolve": {"scale": {"y": "independent"}},
    }


def _subtitle(partial: Sequence[bool], policies: Sequence[Any] | None) -> str:
    notes = []
    if any(partial):
        notes.append("triangles: periods the data cover only in part")
    if policies:
        notes.append("dashed lines: policy instruments taking effect")
    return "; ".join(notes)


def _step(period: dt.date, unit: str) -> dt.date:
    import datetime as dt

    if unit == "week":
        return period + dt.timedelta(days=7)
    return (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def filled_series(
    series: list[dict[str, Any]], covered: Callable[[str], bool] | None = None
) -> list[dict[str, Any]]:
    """Every period from the first to the last. A period missing from the series is 0 when the
    store holds records for it (covered), else null: the line breaks there instead of drawing a
    slope across a span the store has no records for."""
    import datetime as dt

    if len(series) < 2:
        return series
    unit = series[0]["unit"]
    have = {r["period"]: r for r in series}
    out = []
    day = dt.date.fromisoformat(series[0]["period"])
    last = dt.date.fromisoformat(series[-1]["period"])
    while day <= last:
        key = day.isoformat()
        if key in have:
            out.append(have[key])
        else:
            value = 0 if covered is not None and covered(key) else None
            out.append(
                {"period": key, "unit": unit, "issued": value, "declined": value, "booked": value}
            )
        day = _step(day, unit)
    return out


def profile_trend(profile: dict[str, Any]) -> str:
    """The profile chart, the same in every face (CLI page, web app, static site): months of
    issue filled from the first to the last (0 where the store covers the month), declines on
    their own panel, the store's partial first and last months marked, policy dates drawn."""
    cov = profile.get("coverage") or {}
    first, last = cov.get("first"), cov.get("last")
    series = [
        {
            "period": f"{m['month']}-01",
            "unit": "month",
            "issued": m["issued"],
            "declined": m["declined"],
            "booked": m["booked"],
        }
        for m in profile["by_month"]
    ]
    covered = (lambda key: first[:7] <= key[:7] <= last[:7]) if first and last else None
    filled = filled_series(series, covered)
    partial = (
        bool(filled and first and filled[0]["period"][:7] == first[:7] and first[8:] != "01"),
        bool(filled and last and filled[-1]["period"][:7] == last[:7]),
    )
    start = filled[0]["period"] if filled else None
    end = filled[-1]["period"] if filled else None
    policies = [
        {"date": p["in_force_from"], "title": p.get("short_title") or p.get("policy_id")}
        for p in profile.get("policies") or []
        if p.get("in_force_from") and start and start <= p["in_force_from"] <= (end or "9")
    ]
    spec = trend_spec(
        filled,
        f"{profile['name']}: detainers by month of issue",
        partial=partial,
        policies=policies,
    )
    return svg(spec)


def map_spec(
    rows: list[dict[str, Any]], state_fips: str | None, title: str, covered: list[str] | None = None
) -> dict[str, Any]:
    """Counties coloured by declines. On a national map of a store that does not cover every
    state, the map zooms to the covered states, whose counties are drawn, and every other state
    is one grey shape marked "no data" in the legend (not zero: not covered)."""
    if state_fips is None and covered is not None and len(covered) < 50:
        return _covered_map(rows, covered, title)
    if state_fips is None:
        return _state_map(rows, title)
    features = maps.counties_geojson(state_fips)
    values = {r["county_fips"]: r for r in rows}
    for f in features:
        r = values.get(f["properties"]["fips"], {})
        f["properties"]["issued"] = r.get("issued", 0)
        f["properties"]["declined"] = r.get("declined", 0)
    projection = {"type": "albersUsa"} if state_fips is None else {"type": "mercator"}
    return {
        "$schema": SCHEMA,
        "width": 640,
        "height": 400 if state_fips is None else 360,
        "title": {"text": title, "font": FONT},
        "config": {"font": FONT, "view": {"stroke": None}},
        "projection": projection,
        "data": {
            "values": {"type": "FeatureCollection", "features": features},
            "format": {"type": "json", "property": "features"},
        },
        "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.2},
        "encoding": {
            "color": {
                "condition": {"test": "datum.properties.issued == 0", "value": "#e6e8eb"},
                "field": "properties.declined",
                "type": "quantitative",
                "title": "declined",
                "scale": {"scheme": "reds", "domainMin": 0},
            },
            "tooltip": [
                {"field": "properties.name", "title": "county"},
                {"field": "properties.issued", "title": "issued"},
                {"field": "properties.declined", "title": "declined"},
            ],
        },
    }


def svg(spec: dict[str, Any]) -> str:
    text = vlc.vegalite_to_svg(spec)
    return text[text.find("<svg") :]


def png(spec: dict[str, Any]) -> bytes:
    return vlc.vegalite_to_png(spec, scale=1.5)


def _covered_map(rows: list[dict[str, Any]], covered: list[str], title: str) -> dict[str, Any]:
    values = {r["county_fips"]: r for r in rows}
    counties = []
    for fips in covered:
        for f in maps.counties_geojson(fips):
            r = values.get(f["properties"]["fips"], {})
            counties.append(
                {
                    **f,
                    "properties": {
                        **f["properties"],
                        "issued": _number(r.get("issued", 0)),
                        "declined": _number(r.get("declined", 0)),
                    },
                }
            )
    box = _bbox(counties)
    states = [
        {**f, "properties": {**f["properties"], "coverage": "no data (not covered)"}}
        for f in maps.state_features()
        if f["properties"]["fips"] not in covered
        and (box is None or _overlaps(_bbox([f]), box, pad=1.0))
    ]
    fit = {"type": "FeatureCollection", "features": counties} if counties else None
    projection: dict[str, Any] = {"type": "mercator"} if counties else {"type": "albersUsa"}
    if fit:
        projection["fit"] = fit
    return {
        "$schema": SCHEMA,
        "width": 640,
        "height": 380,
        "title": {
            "text": title,
            "font": FONT,
            "subtitle": "grey: states the store does not cover (no data, not zero)",
            "subtitleFont": FONT,
        },
        "config": {"font": FONT, "view": {"stroke": None}},
        "projection": projection,
        "layer": [
            {
                "data": {
                    "values": {"type": "FeatureCollection", "features": states},
                    "format": {"type": "json", "property": "features"},
                },
                "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.6, "clip": True},
                "encoding": {
                    "color": {
                        "field": "properties.coverage",
                        "type": "nominal",
                        "title": None,
                        "scale": {"range": ["#cfd4d9"]},
                    },
                    "tooltip": [
                        {"field": "properties.name", "title": "state"},
                        {"field": "properties.coverage", "title": "data"},
                    ],
                },
            },
            {
                "data": {
                    "values": {"type": "FeatureCollection", "features": counties},
                    "format": {"type": "json", "property": "features"},
                },
                "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.3, "clip": True},
                "encoding": {
                    "color": {
                        "field": "properties.declined",
                        "type": "quantitative",
                        "title": "declined",
                        "scale": {"scheme": "reds", "domainMin": 0},
                    },
                    "tooltip": [
                        {"field": "properties.name", "title": "county"},
                        {"field": "properties.issued", "title": "issued"},
                        {"field": "properties.declined", "title": "declined"},
                    ],
                },
            },
        ],
        "resolve": {"scale": {"color": "independent"}},
    }


def _bbox(features: Iterable[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    xs, ys = [], []
    for f in features:
        for poly in f["geometry"]["coordinates"]:
            for ring in poly:
                for x, y in ring:
                    xs.append(x)
                    ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _overlaps(
    a: tuple[float, float, float, float] | None, b: tuple[float, float, float, float], pad: float
) -> bool:
    return a is not None and not (
        a[2] < b[0] - pad or a[0] > b[2] + pad or a[3] < b[1] - pad or a[1] > b[3] + pad
    )


def _state_map(rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """The national map by state (the county map of the whole nation is 2 MB of SVG, too much
    for a page under 500 KB): declines summed over each state's counties."""
    sums: dict[str, Any] = {}
    for r in rows:
        fips = (r.get("county_fips") or "")[:2]
        got = sums.setdefault(fips, {"issued": 0, "declined": 0})
        for k in ("issued", "declined"):
            v = _number(r.get(k))
            got[k] += v or 0
    features = [
        {
            **f,
            "properties": {
                **f["properties"],
                "issued": sums.get(f["properties"]["fips"], {}).get("issued", 0),
                "declined": sums.get(f["properties"]["fips"], {}).get("declined", 0),
            },
        }
        for f in maps.state_features(0.1)
    ]
    return {
        "$schema": SCHEMA,
        "width": 640,
        "height": 400,
        "title": {"text": title.replace("by county", "by state"), "font": FONT},
        "config": {"font": FONT, "view": {"stroke": None}},
        "projection": {"type": "albersUsa"},
        "data": {
            "values": {"type": "FeatureCollection", "features": features},
            "format": {"type": "json", "property": "features"},
        },
        "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.5},
        "encoding": {
            "color": {
                "field": "properties.declined",
                "type": "quantitative",
                "title": "declined",
                "scale": {"scheme": "reds", "domainMin": 0},
            },
            "tooltip": [
                {"field": "properties.name", "title": "state"},
                {"field": "properties.issued", "title": "issued"},
                {"field": "properties.declined", "title": "declined"},
            ],
        },
    }
