"""Charts as Vega-Lite specifications rendered offline (vl-convert) to SVG and PNG.

No chart loads anything at view time: the SVG is inlined into pages, the PNG is written beside.
"""
from __future__ import annotations

import vl_convert as vlc

from . import maps

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"  # an identifier, never fetched
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


def trend_spec(series: list[dict], title: str) -> dict:
    rows = [{"period": r["period"], "series": k, "detainers": r[k]}
            for r in series for k in ("issued", "booked", "declined")]
    unit = series[0]["unit"] if series else "week"
    return {
        "$schema": SCHEMA, "width": 640, "height": 220,
        "title": {"text": title, "font": FONT},
        "config": {"font": FONT},
        "data": {"values": rows},
        "mark": {"type": "line", "point": len(series) < 60},
        "encoding": {
            "x": {"field": "period", "type": "temporal", "title": f"{unit} of issue",
                  "axis": {"format": "%Y" if unit == "month" else "%b %d, %Y", "labelOverlap": True}},
            "y": {"field": "detainers", "type": "quantitative", "title": "detainers"},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": ["issued", "booked", "declined"],
                                "range": ["#5a6570", "#0b5cad", "#c0392b"]}},
        },
    }


def map_spec(rows: list[dict], state_fips: str | None, title: str) -> dict:
    features = maps.counties_geojson(state_fips)
    values = {r["county_fips"]: r for r in rows}
    for f in features:
        r = values.get(f["properties"]["fips"], {})
        f["properties"]["issued"] = r.get("issued", 0)
        f["properties"]["declined"] = r.get("declined", 0)
    projection = {"type": "albersUsa"} if state_fips is None else {"type": "mercator"}
    return {
        "$schema": SCHEMA, "width": 640, "height": 400 if state_fips is None else 360,
        "title": {"text": title, "font": FONT}, "config": {"font": FONT, "view": {"stroke": None}},
        "projection": projection,
        "data": {"values": {"type": "FeatureCollection", "features": features},
                 "format": {"type": "json", "property": "features"}},
        "mark": {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.2},
        "encoding": {
            "color": {"condition": {"test": "datum.properties.issued == 0", "value": "#e6e8eb"},
                      "field": "properties.declined", "type": "quantitative",
                      "title": "declined", "scale": {"scheme": "reds", "domainMin": 0}},
            "tooltip": [{"field": "properties.name", "title": "county"},
                        {"field": "properties.issued", "title": "issued"},
                        {"field": "properties.declined", "title": "declined"}],
        },
    }


def svg(spec: dict) -> str:
    text = vlc.vegalite_to_svg(spec)
    return text[text.find("<svg"):]


def png(spec: dict) -> bytes:
    return vlc.vegalite_to_png(spec, scale=1.5)
