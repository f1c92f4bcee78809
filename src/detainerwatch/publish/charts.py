"""Charts and maps drawn as SVG directly in Python; PNG rasterised from that SVG.

No JavaScript engine runs: a chart is a small description (`trend_spec`, `map_spec`) that
`svg()` draws in a few milliseconds and `png()` rasterises (resvg, through vl-convert's
`svg_to_png`, no Vega). Nothing loads at view time: the SVG is inlined into pages, the PNG is
written beside them. What issue 11 asks of the charts holds here: one label a year on long time
axes, declines on their own panel and scale, partial first and last periods marked, policy
dates drawn, a single period as bars; maps zoom to the covered states and draw every other
state as grey "no data (not covered)". Map paths are projected and thinned to the pixel, so a
map stays small (tens of KB).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Sequence
from html import escape
from pathlib import Path
from typing import Any

from . import maps

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
COLORS = {"issued": "#5a6570", "booked": "#0b5cad", "declined": "#c0392b"}
POLICY_COLOR = "#7a4fa0"
NO_DATA = "#cfd4d9"
NO_DETAINERS = "#eef0f2"
REDS = ((254, 229, 217), (252, 174, 145), (251, 106, 74), (222, 45, 38), (165, 15, 21))

Spec = dict[str, Any]
Row = dict[str, Any]


def _number(value: object) -> float | None:
    """A published count, or None for a cell withheld by the disclosure rules (a gap)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return None


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _t(value: object) -> str:
    return escape(str(value), quote=True)


# ---- trend chart -------------------------------------------------------------------------------


def trend_spec(
    series: list[Row],
    title: str,
    *,
    partial: tuple[bool, bool] = (False, False),
    policies: list[Row] | None = None,
) -> Spec:
    """Issued and booked on one panel, declined on its own panel and scale below (a few dozen
    declines are not a flat line under thousands issued). One label a year on long time axes;
    a single period is a bar; partial first and last periods are marked; policy dates (profile
    charts) are drawn as rules."""
    return {
        "kind": "trend",
        "title": title,
        "series": series,
        "partial": partial,
        "policies": policies or [],
    }


def _subtitle(partial: tuple[bool, bool], policies: list[Row] | None) -> str:
    notes = []
    if any(partial):
        notes.append("triangles: periods the data cover only in part")
    if policies:
        notes.append("dashed lines: policy instruments taking effect")
    return "; ".join(notes)


def _nice_ticks(top: float, count: int = 4) -> list[float]:
    """0 and round steps (1, 2, 2.5, 5 x 10^k) up to at least top."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if step < 1:
        step = 1
    n = math.ceil(top / step)
    return [i * step for i in range(n + 1)]


def _day(period: str) -> dt.date:
    return dt.date.fromisoformat(period[:10])


def _x_ticks(first: dt.date, last: dt.date, unit: str) -> list[tuple[dt.date, str]]:
    """Tick dates and labels: one a year (every second year past 12) on spans of 2+ years,
    else months or weeks, at most eight labels."""
    years = last.year - first.year
    if years >= 2:
        step = 1 if years <= 12 else 2
        return [
            (dt.date(y, 1, 1), str(y))
            for y in range(first.year + 1, last.year + 1)
            if (y - first.year - 1) % step == 0 and dt.date(y, 1, 1) <= last
        ]
    months = []
    day = first.replace(day=1)
    while day <= last:
        if day >= first:
            months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    if unit == "month" or len(months) >= 3:
        every = max(1, math.ceil(len(months) / 8))
        return [(d, d.strftime("%b %Y")) for d in months[::every]]
    span = (last - first).days
    every_days = max(7, 7 * math.ceil(span / 7 / 6))
    out, day = [], first
    while day <= last:
        out.append((day, day.strftime("%b %d, %Y")))
        day += dt.timedelta(days=every_days)
    return out


class _Svg:
    def __init__(self, width: int, height: int, label: str) -> None:
        self.width, self.height = width, height
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{_t(label)}" '
            f'font-family="{FONT}" font-size="11">',
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        ]

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, s: object, **attrs: object) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{_t(v)}"' for k, v in attrs.items())
        self.parts.append(f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{_t(s)}</text>')

    def done(self) -> str:
        return "".join(self.parts) + "</svg>"


def _legend(svg: _Svg, x: float, y: float, keys: list[str], partial: bool) -> None:
    for i, k in enumerate(keys):
        yy = y + i * 16
        svg.add(f'<rect x="{x}" y="{yy - 8}" width="10" height="10" fill="{COLORS[k]}"/>')
        svg.text(x + 15, yy + 1, k)
    if partial:
        yy = y + len(keys) * 16
        svg.add(_triangle(x + 5, yy - 3, "#333333"))
        svg.text(x + 15, yy + 1, "partial period")


def _triangle(x: float, y: float, color: str) -> str:
    return (
        f'<path d="M{x:.1f} {y - 5:.1f}L{x + 5:.1f} {y + 4:.1f}L{x - 5:.1f} {y + 4:.1f}Z" '
        f'fill="none" stroke="{color}" stroke-width="1.2"/>'
    )


def _trend_svg(spec: Spec) -> str:
    series: list[Row] = spec["series"]
    partial: tuple[bool, bool] = tuple(spec["partial"])
    policies: list[Row] = spec["policies"]
    title: str = spec["title"]
    unit = series[0]["unit"] if series else "week"
    single = sum(1 for r in series if _number(r.get("issued")) is not None) <= 1
    subtitle = _subtitle(partial, policies if not single else None)
    width, left, right = 760, 64, 120
    top = 44 if subtitle else 30
    panels = [(["issued", "booked"], 170, "detainers"), (["declined"], 90, "declined")]
    gap, axis = 26, 40
    height = top + 170 + gap + 90 + axis
    svg = _Svg(width, height, title)
    svg.text(left, 18, title, font_size="13", font_weight="bold")
    if subtitle:
        svg.text(left, 34, subtitle, fill="#555555")
    plot_w = width - left - right
    if not series:
        svg.text(left, top + 60, "no detainers in this period", fill="#555555")
        return svg.done()
    days = [_day(r["period"]) for r in series]
    first, last = days[0], days[-1]
    span = max((last - first).days, 1)

    def x_of(d: dt.date) -> float:
        return left + (d - first).days / span * plot_w

    y0 = top
    for p, (keys, h, y_title) in enumerate(panels):
        values = [_number(r.get(k)) for r in series for k in keys]
        ticks = _nice_ticks(max([v for v in values if v is not None] or [0]))
        y_max = ticks[-1]

        def y_of(v: float, y0: float = y0, h: int = h, y_max: float = y_max) -> float:
            return y0 + h - v / y_max * h

        for tv in ticks:
            yy = y_of(tv)
            svg.add(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{yy:.1f}" y2="{yy:.1f}" '
                'stroke="#e3e6e9" stroke-width="1"/>'
            )
            svg.text(left - 6, yy + 4, _fmt(tv), text_anchor="end", fill="#444444")
        svg.text(
            14,
            y0 + h / 2,
            y_title,
            text_anchor="middle",
            transform=f"rotate(-90 14 {y0 + h / 2:.1f})",
            fill="#444444",
        )
        if single:
            bw = min(60.0, plot_w / (len(keys) * 2 + 1))
            for i, k in enumerate(keys):
                v = _number(series[-1].get(k)) if series else None
                x = left + plot_w / 2 - len(keys) * bw / 2 + i * bw
                if v is None:
                    continue
                svg.add(
                    f'<rect x="{x:.1f}" y="{y_of(v):.1f}" width="{bw - 4:.1f}" '
                    f'height="{y0 + h - y_of(v):.1f}" fill="{COLORS[k]}">'
                    f"<title>{_t(k)}: {_fmt(v)}</title></rect>"
                )
                svg.text(x + (bw - 4) / 2, y_of(v) - 4, _fmt(v), text_anchor="middle")
        else:
            for k in keys:
                segments: list[list[tuple[float, float]]] = [[]]
                for d, r in zip(days, series, strict=False):
                    v = _number(r.get(k))
                    if v is None:
                        if segments[-1]:
                            segments.append([])
                        continue
                    segments[-1].append((x_of(d), y_of(v)))
                for seg in segments:
                    if len(seg) == 1:
                        x, y = seg[0]
                        svg.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{COLORS[k]}"/>')
                    elif seg:
                        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in seg)
                        svg.add(
                            f'<polyline points="{pts}" fill="none" stroke="{COLORS[k]}" '
                            'stroke-width="1.6" stroke-linejoin="round"/>'
                        )
                if len(series) < 60:
                    for d, r in zip(days, series, strict=False):
                        v = _number(r.get(k))
                        if v is not None:
                            svg.add(
                                f'<circle cx="{x_of(d):.1f}" cy="{y_of(v):.1f}" r="2.4" '
                                f'fill="{COLORS[k]}"><title>{_t(r["period"])} {_t(k)}: '
                                f"{_fmt(v)}</title></circle>"
                            )
                for i in (0, len(series) - 1):
                    v = _number(series[i].get(k))
                    if partial[0 if i == 0 else 1] and v is not None:
                        svg.add(_triangle(x_of(days[i]), y_of(v) - 8, COLORS[k]))
            for pol in policies:
                try:
                    d = _day(str(pol["date"]))
                except ValueError:
                    continue
                if first <= d <= last:
                    x = x_of(d)
                    svg.add(
                        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + h}" '
                        f'stroke="{POLICY_COLOR}" stroke-dasharray="4 3" stroke-width="1.2">'
                        f"<title>{_t(pol.get('title') or '')} ({_t(pol['date'])})</title></line>"
                    )
        svg.add(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y0 + h}" y2="{y0 + h}" '
            'stroke="#888888" stroke-width="1"/>'
        )
        if p == 0:
            _legend(svg, left + plot_w + 16, y0 + 10, keys, any(partial) and not single)
        else:
            _legend(svg, left + plot_w + 16, y0 + 10, keys, False)
        y0 += h + gap
    # the one labelled time axis, under the declines panel
    axis_y = y0 - gap
    if single:
        svg.text(
            left + plot_w / 2,
            axis_y + 16,
            f"{unit} of {series[-1]['period']}",
            text_anchor="middle",
        )
    else:
        for d, label in _x_ticks(first, last, unit):
            x = x_of(d)
            svg.add(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{axis_y}" y2="{axis_y + 4}" '
                'stroke="#888888"/>'
            )
            svg.text(x, axis_y + 16, label, text_anchor="middle", fill="#444444")
        svg.text(left + plot_w / 2, axis_y + 32, f"{unit} of issue", text_anchor="middle")
    return svg.done()


def _step(period: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return period + dt.timedelta(days=7)
    return (period.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def filled_series(series: list[Row], covered: Callable[[str], bool] | None = None) -> list[Row]:
    """Every period from the first to the last. A period missing from the series is 0 when the
    store holds records for it (covered), else null: the line breaks there instead of drawing a
    slope across a span the store has no records for."""
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


def profile_trend_spec(profile: Row) -> Spec:
    """The profile chart, the same in every face (CLI page, web app, static site): months of
    issue filled from the first to the last (0 where the store covers the month), declines on
    their own panel, the store's partial first and last months marked, policy dates drawn."""
    cov = profile.get("coverage") or {}
    first, last = str(cov.get("first") or ""), str(cov.get("last") or "")
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
    covered: Callable[[str], bool] | None = None
    if first and last:
        lo, hi = str(first)[:7], str(last)[:7]
        covered = lambda key: lo <= key[:7] <= hi  # noqa: E731
    filled = filled_series(series, covered)
    partial = (
        bool(filled) and bool(first) and filled[0]["period"][:7] == first[:7] and first[8:] != "01",
        bool(filled) and bool(last) and filled[-1]["period"][:7] == last[:7],
    )
    start = filled[0]["period"] if filled else None
    end = filled[-1]["period"] if filled else None
    policies = [
        {"date": p["in_force_from"], "title": p.get("short_title") or p.get("policy_id")}
        for p in profile.get("policies") or []
        if p.get("in_force_from") and start and start <= p["in_force_from"] <= (end or "9")
    ]
    return trend_spec(
        filled,
        f"{profile['name']}: detainers by month of issue",
        partial=partial,
        policies=policies,
    )


def profile_trend(profile: Row) -> str:
    return svg(profile_trend_spec(profile))


# ---- maps --------------------------------------------------------------------------------------


def map_spec(
    rows: list[Row], state_fips: str | None, title: str, covered: list[str] | None = None
) -> Spec:
    """Counties coloured by declines. On a national map of a store that does not cover every
    state, the map zooms to the covered states, whose counties are drawn, and every other state
    is one grey shape marked "no data" in the legend (not zero: not covered). A national map of
    every state is drawn by state (declines summed over each state's counties)."""
    return {
        "kind": "map",
        "rows": rows,
        "state_fips": state_fips,
        "title": title,
        "covered": covered,
    }


Point = tuple[float, float]


def _mercator(lon: float, lat: float) -> Point:
    lat = max(min(lat, 85.0), -85.0)
    if lon > 0:  # the Aleutians past 180 degrees (U.S. shapes are otherwise west of Greenwich)
        lon -= 360
    return math.radians(lon), -math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _inverse_mercator(p: Point) -> Point:
    return math.degrees(p[0]), math.degrees(2 * math.atan(math.exp(-p[1])) - math.pi / 2)


def _albers(lon0: float, lat0: float, p1: float, p2: float) -> Callable[[float, float], Point]:
    """Albers equal-area conic (the projection of U.S. national maps)."""
    phi1, phi2, phi0 = map(math.radians, (p1, p2, lat0))
    n = (math.sin(phi1) + math.sin(phi2)) / 2
    c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
    rho0 = math.sqrt(max(c - 2 * n * math.sin(phi0), 0)) / n

    def project(lon: float, lat: float) -> Point:
        lam = math.radians(lon - lon0)
        if lam > math.pi:  # the Aleutians past 180 degrees
            lam -= 2 * math.pi
        rho = math.sqrt(max(c - 2 * n * math.sin(math.radians(lat)), 0)) / n
        theta = n * lam
        return rho * math.sin(theta), -(rho0 - rho * math.cos(theta))

    return project


MAX_COUNTIES = 700  # more on one national map, and it is drawn by state (page size)
TERRITORIES = ("60", "66", "69", "72", "78")  # drawn on no national map (nor by Vega's albersUsa)
LOWER48 = _albers(-96, 37.5, 29.5, 45.5)
ALASKA = _albers(-154, 50, 55, 65)
HAWAII = _albers(-157, 3, 8, 18)


class _Frame:
    """Projected shapes fitted into a pixel box (uniform scale, centred)."""

    def __init__(self, shapes: list[list[list[Point]]], box: tuple[float, float, float, float]):
        xs = [x for s in shapes for r in s for x, _ in r]
        ys = [y for s in shapes for r in s for _, y in r]
        self.x0, self.y0 = (min(xs), min(ys)) if xs else (0.0, 0.0)
        w, h = (max(xs) - self.x0, max(ys) - self.y0) if xs else (1.0, 1.0)
        bx, by, bw, bh = box
        self.k = min(bw / max(w, 1e-9), bh / max(h, 1e-9))
        self.dx = bx + (bw - w * self.k) / 2
        self.dy = by + (bh - h * self.k) / 2

    def __call__(self, p: Point) -> Point:
        return (self.dx + (p[0] - self.x0) * self.k, self.dy + (p[1] - self.y0) * self.k)


def _thin(ring: Sequence[Point], tol: float) -> Sequence[Point]:
    """Points at least tol (degrees, on either axis) from the last kept one, and the last."""
    if tol <= 0 or len(ring) < 8:
        return ring
    kept = [ring[0]]
    lx, ly = ring[0]
    for x, y in ring[1:-1]:
        if abs(x - lx) >= tol or abs(y - ly) >= tol:
            kept.append((x, y))
            lx, ly = x, y
    kept.append(ring[-1])
    return kept


def _composite(
    box: tuple[float, float, float, float],
) -> Callable[[maps.Shape, float], list[list[Point]]]:
    """The national layout: the lower 48 states fitted into box, Alaska and Hawaii inset in its
    lower left, each in its own Albers projection; frames fitted to the state shapes."""
    states = [s for s in maps.state_shapes() if s.fips not in TERRITORIES]
    proj = {"02": ALASKA, "15": HAWAII}

    def rings(s: maps.Shape, state: str, tol: float) -> list[list[Point]]:
        f = proj.get(state, LOWER48)
        return [[f(x, y) for x, y in _thin(ring, tol)] for ring in s.rings]

    bx, by, bw, bh = box
    frames = {
        "": _Frame(
            [rings(s, s.fips, 0.1) for s in states if s.fips not in proj], (bx, by, bw, bh * 0.92)
        ),
        "02": _Frame(
            [rings(s, s.fips, 0.1) for s in states if s.fips == "02"],
            (bx, by + bh * 0.68, bw * 0.22, bh * 0.3),
        ),
        "15": _Frame(
            [rings(s, s.fips, 0.1) for s in states if s.fips == "15"],
            (bx + bw * 0.24, by + bh * 0.8, bw * 0.14, bh * 0.18),
        ),
    }

    def fit(s: maps.Shape, tol: float) -> list[list[Point]]:
        frame = frames.get(s.state_fips, frames[""])
        return [[frame(p) for p in ring] for ring in rings(s, s.state_fips, tol)]

    return fit


def _path(rings: Iterable[Sequence[Point]], scale: float = 2.0) -> str:
    """SVG path data in a viewBox twice the pixel size (integers = half-pixel precision),
    relative steps, points closer than a pixel to the last kept one dropped."""
    out = []
    for ring in rings:
        pts: list[tuple[int, int]] = []
        for x, y in ring:
            q = (round(x * scale), round(y * scale))
            if not pts or abs(q[0] - pts[-1][0]) + abs(q[1] - pts[-1][1]) >= 2:
                pts.append(q)
        if len(pts) < 3:
            continue
        d = [f"M{pts[0][0]} {pts[0][1]}l"]
        steps = []
        for (ax, ay), (bx, by) in zip(pts, pts[1:], strict=False):
            steps.append(f"{bx - ax} {by - ay}")
        d.append(" ".join(steps))
        d.append("z")
        out.append("".join(d))
    return "".join(out).replace(" -", "-")


def _red(share: float) -> str:
    share = min(max(share, 0.0), 1.0) * (len(REDS) - 1)
    i = min(int(share), len(REDS) - 2)
    f = share - i
    a, b = REDS[i], REDS[i + 1]
    return "#" + "".join(f"{round(a[j] + (b[j] - a[j]) * f):02x}" for j in range(3))


def _color_legend(
    svg: _Svg, x: float, y: float, top: float, title: str, extra: list[tuple[str, str]]
) -> None:
    svg.text(x, y, title, font_weight="bold")
    stops = "".join(
        f'<stop offset="{i / (len(REDS) - 1):.2f}" stop-color="{_red(i / (len(REDS) - 1))}"/>'
        for i in range(len(REDS))
    )
    svg.add(
        f'<defs><linearGradient id="reds" x1="0" x2="0" y1="1" y2="0">{stops}</linearGradient>'
        "</defs>"
    )
    svg.add(f'<rect x="{x}" y="{y + 8}" width="12" height="100" fill="url(#reds)"/>')
    svg.text(x + 18, y + 16, _fmt(top))
    svg.text(x + 18, y + 108, "0")
    for i, (color, label) in enumerate(extra):
        yy = y + 128 + i * 18
        svg.add(f'<rect x="{x}" y="{yy - 10}" width="12" height="12" fill="{color}"/>')
        svg.text(x + 18, yy, label)


MAP_SIZE = (760, 430, 150)  # width, height, legend width


def _partial_cover(state_fips: str | None, covered: list[str] | None) -> bool:
    """Whether the map is a national map of a store covering part of the nation (the only map
    whose shapes depend on the covered states)."""
    return state_fips is None and covered is not None and len(covered) < 50


def _map_layout(state_fips: str | None, covered: list[str] | None) -> tuple[bool, bool, int]:
    """(partial cover, drawn by state, top of the map box): from the map's states alone."""
    # A national map covering only some states shows those states' counties, unless they are
    # too many for a small page: then it is drawn by state, as a map of the whole nation is.
    partial_cover = _partial_cover(state_fips, covered)
    counties = maps.count_counties(covered or []) if partial_cover else 0
    by_state = state_fips is None and (not partial_cover or counties > MAX_COUNTIES)
    return partial_cover, by_state, 44 if partial_cover else 30  # room for a subtitle


def _map_geometry(state_fips: str | None, covered: list[str] | None) -> dict[str, Any]:
    """The map's shapes projected and fitted to the page, as SVG path data: what depends on the
    map's states only, never on the counts (so it is kept between commands, _kept_geometry).
    {"layout": _map_layout's answer, "scale", "grey": [[name, path]],
    "shapes": [[fips, name, path]]}."""
    width, height, legend_w = MAP_SIZE
    partial_cover, by_state, top = _map_layout(state_fips, covered)
    box = (8.0, float(top), float(width - legend_w - 16), float(height - top - 8))
    if by_state:
        shapes = [s for s in maps.state_shapes() if not partial_cover or s.fips in (covered or [])]
    else:
        states = [state_fips] if state_fips else (covered or [])
        shapes = [s for st in states for s in maps.county_shapes(st)]

    # projection: Albers with Alaska and Hawaii inset (as national maps are drawn) for the nation
    # by state and for counties of many states or of Alaska or Hawaii; else Mercator fitted to
    # the drawn counties
    projected: list[list[list[Point]]]
    grey: list[tuple[maps.Shape, list[list[Point]]]] = []
    composite = by_state or (partial_cover and bool({"02", "15"} & set(covered or [])))
    if composite:
        fit = _composite(box)
        tol = 0.04 if by_state else 0.02
        shapes = [s for s in shapes if s.state_fips not in TERRITORIES]
        fitted = [fit(s, tol) for s in shapes]
        if partial_cover:
            grey = [
                (s, fit(s, 0.04))
                for s in maps.state_shapes()
                if s.fips not in (covered or []) and s.fips not in TERRITORIES
            ]
    else:
        # half a pixel in degrees, from the drawn counties' extent: closer points are dropped
        # before projecting (the shapes are finer than any page needs)
        tol = 0.0
        if shapes:
            boxes = [s.bbox() for s in shapes]
            extent = max(
                max(b[2] for b in boxes) - min(b[0] for b in boxes),
                max(b[3] for b in boxes) - min(b[1] for b in boxes),
            )
            tol = extent / box[2] / 2
        projected = [
            [[_mercator(x, y) for x, y in _thin(ring, tol)] for ring in s.rings] for s in shapes
        ]
        frame = _Frame(projected, box)
        fitted = [[[frame(p) for p in ring] for ring in rings] for rings in projected]
        grey = []
        if state_fips is None and shapes:
            # the drawn area in degrees (generous: Mercator stretches northward), then only the
            # states that reach into it, and of those only the rings that do
            corners = [
                _inverse_mercator(
                    (frame.x0 + (bx - frame.dx) / frame.k, frame.y0 + (by - frame.dy) / frame.k)
                )
                for bx, by in ((box[0], box[1]), (box[0] + box[2], box[1] + box[3]))
            ]
            west, north = corners[0]
            east, south = corners[1]
            pad = 0.5
            for s in maps.state_shapes((west - pad, south - pad, east + pad, north + pad)):
                if s.fips in (covered or []):
                    continue
                keep = []
                for ring in s.rings:
                    if any(
                        west - pad <= x <= east + pad and south - pad <= y <= north + pad
                        for x, y in ring
                    ):
                        keep.append([frame(_mercator(x, y)) for x, y in _thin(ring, tol)])
                if keep:
                    grey.append((s, keep))

    scale = 2.0 if len(shapes) < 800 else 1.0  # many small shapes: whole pixels are enough
    return {
        # kept with the shapes: a map drawn from kept geometry reads nothing of the shapes file
        "layout": [partial_cover, by_state, top],
        "scale": scale,
        "grey": [[s.name, _path(rings, scale)] for s, rings in grey],
        "shapes": [
            [s.fips, s.name, _path(rings, scale)] for s, rings in zip(shapes, fitted, strict=False)
        ],
    }


# Maps projected at install (`make install`, as the templates are compiled): the nation, each
# state's counties, and the nation as a store of one state sees it. Read before the cache folder,
# so a first report needs no projecting even with an empty cache. Never in git (.gitignore).
SHIPPED_MAPS = Path(__file__).resolve().parent / "precompiled" / "maps"


def _geometry_key(state_fips: str | None, covered: list[str] | None) -> str:
    """What a map's geometry is made from: its states (the covered ones only where they change
    the shapes: a national map of part of the nation), the drawing code and the shapes file."""
    from . import filecache

    return json.dumps(
        [
            state_fips,
            covered if _partial_cover(state_fips, covered) else None,
            MAP_SIZE,
            filecache.code_stamp(__file__, maps.__file__, maps.SHAPES_FILE),
        ]
    )


def _kept_geometry(state_fips: str | None, covered: list[str] | None) -> dict[str, Any]:
    """_map_geometry, projected at install (SHIPPED_MAPS) or kept in the cache folder
    (publish/filecache.py) by its whole input (_geometry_key). The same map (every report of
    one store, every profile of one state) is projected once."""
    from . import filecache

    kept = filecache.text(
        "maps",
        _geometry_key(state_fips, covered),
        lambda: json.dumps(_map_geometry(state_fips, covered), separators=(",", ":")),
        shipped=SHIPPED_MAPS,
    )
    try:
        geometry: dict[str, Any] = json.loads(kept)
        if not isinstance(geometry, dict) or "layout" not in geometry:
            raise ValueError("not a kept map")
    except ValueError:  # a damaged cache file: made again
        geometry = _map_geometry(state_fips, covered)
    return geometry


def shipped_maps() -> list[tuple[str | None, list[str] | None]]:
    """The maps projected at install: the nation (every national map of a store covering 50 or
    more states is this one), each state's counties (a state's report) and the nation as a store
    covering one state draws it (the demo's)."""
    states = [s.fips for s in maps.state_shapes()]
    return [(None, None), *[(f, None) for f in states], *[(None, [f]) for f in states]]


def precompile_maps(folder: Path = SHIPPED_MAPS) -> int:
    """Project every map of shipped_maps() into folder (run by `make install`); a map already
    there for the current code and shapes is kept, any other file removed. Returns how many
    were projected."""
    from . import filecache

    def maker(state_fips: str | None, covered: list[str] | None) -> Callable[[], str]:
        return lambda: json.dumps(_map_geometry(state_fips, covered), separators=(",", ":"))

    return filecache.precompile(
        folder, {_geometry_key(s, c): maker(s, c) for s, c in shipped_maps()}
    )


def _map_svg(spec: Spec) -> str:
    rows: list[Row] = spec["rows"]
    state_fips: str | None = spec["state_fips"]
    covered: list[str] | None = spec["covered"]
    title: str = spec["title"]
    width, height, legend_w = MAP_SIZE
    geometry = _kept_geometry(state_fips, covered)
    partial_cover, by_state, top = geometry["layout"]
    subtitle = ""
    if partial_cover:
        subtitle = "grey: states the store does not cover (no data, not zero)"
    if by_state:
        title = title.replace("by county", "by state")
    svg = _Svg(width, height, title)

    values: dict[str, tuple[float | None, float | None]] = {}
    if by_state:
        sums: dict[str, list[float]] = {}
        for r in rows:
            got = sums.setdefault(str(r.get("county_fips") or "")[:2], [0, 0])
            got[0] += _number(r.get("issued")) or 0
            got[1] += _number(r.get("declined")) or 0
        values = {k: (v[0], v[1]) for k, v in sums.items()}
    else:
        for r in rows:
            values[str(r.get("county_fips"))] = (
                _number(r.get("issued", 0)),
                _number(r.get("declined", 0)),
            )
    top_declined = max([v[1] for v in values.values() if v[1] is not None] or [0])

    scale = geometry["scale"]
    svg.add(f'<g transform="scale({1 / scale})" fill-rule="evenodd">')
    grey = geometry["grey"]
    if grey:
        svg.add(f'<g fill="{NO_DATA}" stroke="#ffffff" stroke-width="1.2">')
        for name, d in grey:
            svg.add(f'<path d="{d}"><title>{_t(name)}: no data (not covered)</title></path>')
        svg.add("</g>")
    svg.add(f'<g stroke="#ffffff" stroke-width="{1.0 if by_state else 0.6}">')
    kind = "state" if by_state else "county"
    has_zero = has_withheld = False
    for fips, name, d in geometry["shapes"]:
        issued, declined = values.get(fips, (0, 0))
        if issued == 0:
            fill, note = NO_DETAINERS, "no detainers recorded"
            has_zero = True
        elif issued is None or declined is None:
            fill, note = "#bfa5a0", "declines withheld"
            has_withheld = True
        else:
            fill = _red(declined / top_declined if top_declined else 0)
            note = f"issued {_fmt(issued)}, declined {_fmt(declined)}"
        if d:
            svg.add(
                f'<path d="{d}" fill="{fill}"><title>{_t(name)} ({kind}): {note}</title></path>'
            )
    svg.add("</g></g>")
    # shapes reaching past the map's box are covered (cheaper to draw than a clip path)
    svg.add(
        f'<path d="M0 0H{width}V{height}H0ZM0 {top}V{height}H{width - legend_w}V{top}Z" '
        'fill="#ffffff" fill-rule="evenodd"/>'
    )
    svg.text(8, 18, title, font_size="13", font_weight="bold")
    if subtitle:
        svg.text(8, 34, subtitle, fill="#555555")
    extra = []
    if has_zero:
        extra.append((NO_DETAINERS, "no detainers"))
    if has_withheld:
        extra.append(("#bfa5a0", "withheld"))
    if grey:
        extra.append((NO_DATA, "no data (not covered)"))
    _color_legend(svg, width - legend_w + 10, top + 14, top_declined, "declined", extra)
    return svg.done()


# ---- output ------------------------------------------------------------------------------------


PNG_SCALE = 1.5


def svg(spec: Spec) -> str:
    """The chart's SVG, drawn once per spec (a report's page and its PNG share it)."""
    drawn = spec.get("_svg")
    if not isinstance(drawn, str):
        drawn = _map_svg(spec) if spec.get("kind") == "map" else _trend_svg(spec)
        spec["_svg"] = drawn
    return drawn


def png(spec: Spec) -> bytes:
    """The chart as PNG (rasterised from its SVG by resvg; no JavaScript engine), kept in the
    cache folder by its SVG (publish/filecache.py): the same chart is rasterised once."""
    from . import filecache
    from .pngworker import rasterise

    drawn = svg(spec)
    return filecache.png(drawn, PNG_SCALE, lambda: rasterise(drawn, PNG_SCALE))


def pngs(specs: list[Spec]) -> Callable[[], list[bytes]]:
    """The charts' PNGs, as png() makes them, started now: those not kept in the cache folder go
    to the command's helper process when it has one (publish/pngworker.py), which rasterises
    them while the caller writes the rest; the function returned gives them, in order."""
    from . import filecache
    from .pngworker import rasterise, start_batch

    drawn = [svg(spec) for spec in specs]
    kept = [filecache.png_kept(d, PNG_SCALE) for d in drawn]
    missing = [d for d, k in zip(drawn, kept, strict=True) if k is None]
    answers = start_batch(missing, PNG_SCALE)

    def made(drawn: str, got: bytes | None) -> Callable[[], bytes]:
        return lambda: got or rasterise(drawn, PNG_SCALE)  # the helper's, else drawn here

    def finish() -> list[bytes]:
        answered = iter(zip(missing, answers(), strict=True))
        out = []
        for found in kept:
            if found is None:
                d, got = next(answered)
                found = filecache.png(d, PNG_SCALE, made(d, got))
            out.append(found)
        return out

    return finish
