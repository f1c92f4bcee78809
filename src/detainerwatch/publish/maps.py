"""County and state shapes from the plotly-geo package (Census cartographic boundaries, 2016,
1:500k), read offline from its shapefiles, simplified for the page, as GeoJSON for Vega.

Shapefile rings are clockwise for outer boundaries, which is the orientation Vega's spherical
geometry expects; rings are re-oriented here anyway, so a counter-clockwise ring can never
paint the whole globe.
"""

from __future__ import annotations

from typing import Any

import struct
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

TOLERANCE = 0.05  # degrees: drop points closer than this to the last kept point (national map)


def _package_data() -> Path:
    import _plotly_geo

    return Path(_plotly_geo.__file__).resolve().parent / "package_data"


def _read_dbf(path: Path) -> list[dict[str, Any]]:
    data = path.read_bytes()
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields, offset = [], 32
    while data[offset] != 0x0D:
        name = data[offset : offset + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, data[offset + 16]))
        offset += 32
    out = []
    for i in range(n_records):
        start = header_len + i * record_len + 1
        record, pos = {}, start
        for name, length in fields:
            record[name] = data[pos : pos + length].decode("latin-1").strip()
            pos += length
        out.append(record)
    return out


def _read_shp(path: Path) -> list[list[list[tuple[float, float]]]]:
    data = path.read_bytes()
    pos = 100
    shapes: list[list[list[tuple[float, float]]]] = []
    while pos < len(data):
        _, length = struct.unpack(">II", data[pos : pos + 8])
        content = data[pos + 8 : pos + 8 + length * 2]
        pos += 8 + length * 2
        shape_type = struct.unpack("<i", content[:4])[0]
        if shape_type != 5:
            shapes.append([])
            continue
        n_parts, n_points = struct.unpack("<ii", content[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", content[44 : 44 + 4 * n_parts]))
        base = 44 + 4 * n_parts
        coords = struct.unpack(f"<{2 * n_points}d", content[base : base + 16 * n_points])
        points = list(zip(coords[0::2], coords[1::2], strict=True))
        rings = [points[a:b] for a, b in zip(parts, parts[1:] + [n_points], strict=True)]
        shapes.append(rings)
    return shapes


def _simplify(ring: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    kept = [ring[0]]
    for x, y in ring[1:-1]:
        lx, ly = kept[-1]
        if abs(x - lx) >= tolerance or abs(y - ly) >= tolerance:
            kept.append((x, y))
    kept.append(ring[-1])
    return [(round(x, 3), round(y, 3)) for x, y in kept] if len(kept) >= 4 else []


def _area(ring: list[tuple[float, float]]) -> float:
    # consecutive pairs: the shifted copy is one shorter by design (rings repeat their first point)
    return float(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)))


def _clockwise(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    return ring if _area(ring) <= 0 else ring[::-1]


def _features(
    stem: str, tolerance: float, properties: Callable[[dict[str, Any]], dict[str, Any]]
) -> tuple[dict[str, Any], ...]:
    """Shapes of one Census cartographic file, simplified once, rings clockwise for Vega."""
    base = _package_data()
    records = _read_dbf(base / f"{stem}.dbf")
    shapes = _read_shp(base / f"{stem}.shp")
    features = []
    for record, rings in zip(records, shapes, strict=True):
        polys = [_clockwise(r) for r in (_simplify(r, tolerance) for r in rings) if r]
        if not polys:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": properties(record),
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [[[list(p) for p in ring]] for ring in polys],
                },
            }
        )
    return tuple(features)


@lru_cache(maxsize=2)
def county_features(tolerance: float = TOLERANCE) -> tuple[dict[str, Any], ...]:
    return _features(
        "cb_2016_us_county_500k",
        tolerance,
        lambda r: {"fips": r["GEOID"], "name": r["NAME"], "state_fips": r["STATEFP"]},
    )


@lru_cache(maxsize=2)
def state_features(tolerance: float = TOLERANCE) -> tuple[dict[str, Any], ...]:
    return _features(
        "cb_2016_us_state_500k",
        tolerance,
        lambda r: {"fips": r["STATEFP"], "name": r["NAME"], "state_fips": r["STATEFP"]},
    )


def counties_geojson(state_fips: str | None = None) -> list[dict[str, Any]]:
    features = county_features(TOLERANCE / 5 if state_fips else TOLERANCE)
    return [
        f for f in features if state_fips is None or f["properties"]["state_fips"] == state_fips
    ]
