"""County and state shapes for the maps, simplified once and read from a compact packaged file.

The shapes are the Census cartographic boundaries (2016, 1:500k) shipped by the plotly-geo
package; `scripts/build_shapes.py` reads its shapefiles (the readers below), simplifies every ring
once and writes `data/shapes/us_shapes.bin.gz` (provenance in `data/shapes/SOURCES.md`). At run
time only that file is read, once per process, in a few tens of milliseconds; a page's map is then
projected and thinned to its pixels by `publish/charts.py`.

Rings are kept as released (outer boundaries and holes alike); the SVG paths are filled with the
even-odd rule, so orientation does not matter.
"""

from __future__ import annotations

import gzip
import json
import struct
import sys
from array import array
from itertools import accumulate
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..data_paths import DATA_DIR

SHAPES_FILE = DATA_DIR / "shapes" / "us_shapes.bin.gz"
COUNTY_TOLERANCE = 0.01  # degrees: a county ring keeps no point closer than this to the last kept
STATE_TOLERANCE = 0.02
SCALE = 1000  # coordinates are stored as integers of 1/1000 degree, delta-encoded per ring

Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Shape:
    fips: str
    name: str
    state_fips: str
    rings: tuple[Ring, ...]

    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees."""
        xs = [x for r in self.rings for x, _ in r]
        ys = [y for r in self.rings for _, y in r]
        return min(xs), min(ys), max(xs), max(ys)


# ---- reading the packaged file (run time) ------------------------------------------------------


@lru_cache(maxsize=1)
def _index() -> tuple[dict[str, Any], array[int]]:
    """The packaged file, read once per process (constant data, not results): per kind the
    shapes' fips, name, state and ring offsets, and every coordinate as int32 deltas."""
    with gzip.open(SHAPES_FILE, "rb") as fh:
        blob = fh.read()
    size = int.from_bytes(blob[:4], "little")
    data = json.loads(blob[4 : 4 + size])
    coords = array("i")
    coords.frombytes(blob[4 + size :])
    if sys.byteorder != "little":
        coords.byteswap()
    return data, coords


def _decode(coords: array[int], start: int, end: int) -> Ring:
    xs = [x / SCALE for x in accumulate(coords[start:end:2])]
    ys = [y / SCALE for y in accumulate(coords[start + 1 : end : 2])]
    return tuple(zip(xs, ys, strict=True))


Box = tuple[float, float, float, float]


def _overlaps(a: list[float], b: Box) -> bool:
    return not (a[2] < b[0] or a[0] > b[2] or a[3] < b[1] or a[1] > b[3])


@lru_cache(maxsize=128)
def _kind(kind: str, state_fips: str | None, within: Box | None = None) -> tuple[Shape, ...]:
    data, coords = _index()
    out = []
    for fips, name, state, offsets, bbox in data[kind]:
        if state_fips is not None and state != state_fips:
            continue
        if within is not None and not _overlaps(bbox, within):
            continue
        rings = tuple(_decode(coords, a, b) for a, b in zip(offsets, offsets[1:], strict=False))
        out.append(Shape(str(fips), str(name), str(state), rings))
    return tuple(out)


def county_shapes(state_fips: str | None = None) -> tuple[Shape, ...]:
    return _kind("counties", state_fips)


def count_counties(states: list[str]) -> int:
    """How many county shapes the states have (from the index, nothing decoded)."""
    wanted = set(states)
    return sum(1 for row in _index()[0]["counties"] if row[2] in wanted)


def state_shapes(within: Box | None = None) -> tuple[Shape, ...]:
    """Every state, or those whose bounding box meets within (west, south, east, north)."""
    return _kind("states", None, within)


# ---- building the packaged file (scripts/build_shapes.py) --------------------------------------


def _package_data() -> Path:
    import _plotly_geo

    return Path(_plotly_geo.__file__).resolve().parent / "package_data"


def _read_dbf(path: Path) -> list[dict[str, str]]:
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
        points = list(zip(coords[0::2], coords[1::2], strict=False))
        rings = [points[a:b] for a, b in zip(parts, parts[1:] + [n_points], strict=False)]
        shapes.append(rings)
    return shapes


def simplify(ring: list[tuple[float, float]], tolerance: float) -> list[tuple[int, int]]:
    """Drop points closer than tolerance (degrees, on either axis) to the last kept point;
    integer 1/1000 degrees; a ring left with fewer than four points is dropped ([])."""
    kept = [ring[0]]
    for x, y in ring[1:-1]:
        lx, ly = kept[-1]
        if abs(x - lx) >= tolerance or abs(y - ly) >= tolerance:
            kept.append((x, y))
    kept.append(ring[-1])
    if len(kept) < 4:
        return []
    return [(round(x * SCALE), round(y * SCALE)) for x, y in kept]


def _encode(ring: list[tuple[int, int]], coords: array[int]) -> None:
    px = py = 0  # the first point is absolute, every later one the step from the one before
    for x, y in ring:
        coords.extend((x - px, y - py))
        px, py = x, y


def build(out: Path = SHAPES_FILE) -> dict[str, int]:
    """Read the Census shapefiles of plotly-geo, simplify once, write the compact file."""
    base = _package_data()
    data: dict[str, object] = {
        "source": "U.S. Census Bureau cartographic boundary files 2016, 1:500,000 "
        "(cb_2016_us_county_500k, cb_2016_us_state_500k), as shipped by plotly-geo 1.0.0",
        "simplified": f"points closer than {COUNTY_TOLERANCE} (counties) / {STATE_TOLERANCE} "
        "(states) degree to the last kept point dropped",
        "format": "gzip of: header length (4 bytes, little-endian), this JSON header, then "
        "coords: little-endian int32 pairs in 1/1000 degree, each ring's first point absolute "
        "and the rest steps from the point before; per shape [fips, name, state fips, ring "
        "offsets into coords, bbox west/south/east/north]",
    }
    counts = {}
    coords = array("i")
    for kind, stem, tolerance, key in (
        ("counties", "cb_2016_us_county_500k", COUNTY_TOLERANCE, "GEOID"),
        ("states", "cb_2016_us_state_500k", STATE_TOLERANCE, "STATEFP"),
    ):
        rows = []
        records = zip(
            _read_dbf(base / f"{stem}.dbf"), _read_shp(base / f"{stem}.shp"), strict=False
        )
        for record, rings in sorted(records, key=lambda r: r[0][key]):
            kept = [k for k in (simplify(r, tolerance) for r in rings) if k]
            if not kept:
                continue
            offsets = [len(coords)]
            for ring in kept:
                _encode(ring, coords)
                offsets.append(len(coords))
            xs = [x / SCALE for r in kept for x, _ in r]
            ys = [y / SCALE for r in kept for _, y in r]
            bbox = [min(xs), min(ys), max(xs), max(ys)]
            rows.append([record[key], record["NAME"], record["STATEFP"], offsets, bbox])
        data[kind] = rows
        counts[kind] = len(rows)
    if sys.byteorder != "little":
        coords.byteswap()
    out.parent.mkdir(parents=True, exist_ok=True)
    header = json.dumps(data, separators=(",", ":")).encode("utf-8")
    with gzip.GzipFile(out, "wb", mtime=0) as fh:  # deterministic bytes
        fh.write(len(header).to_bytes(4, "little") + header + coords.tobytes())
    return counts
