"""Writing a report or profile to a folder: index.html (self-contained), CSVs, JSON, PNG charts."""

from __future__ import annotations

from typing import Any

from pathlib import Path

from functools import lru_cache

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from ..derive.facts import OUTCOMES
from . import charts, csvsafe, jsonout
from .filecache import bytecode_cache
from .disclosure import require
from .labels import fmt, outcome_label, page_rows


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment: publish's templates (report, profile, audit, methodology and
    their bodies) and the web app's frame and list pages, which include the same bodies."""
    from .. import __version__

    env = Environment(
        loader=ChoiceLoader(
            [
                PackageLoader("detainerwatch.publish", "templates"),
                PackageLoader("detainerwatch.web", "templates"),
            ]
        ),
        autoescape=select_autoescape(["html"]),
        bytecode_cache=bytecode_cache(),  # templates compiled once, not on every command
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        fmt=fmt,
        pct=pct,
        outcomes=OUTCOMES,
        outcome_label=outcome_label,
        page_rows=page_rows,
        version=__version__,
        css=f"/static/detainerwatch-{__version__}.css",
        site=False,
    )
    return env


def methodology_context() -> dict[str, Any]:
    from .methodology import methodology

    return {"m": methodology()}


def render_methodology_html() -> str:
    return environment().get_template("methodology.html").render(**methodology_context())


def render_profile_html(profile: dict[str, Any]) -> str:
    require(profile, "profile page")
    return (
        environment()
        .get_template("profile.html")
        .render(p=profile, trend_svg=charts.profile_trend(profile))
    )


def chart_specs(report: dict[str, Any]) -> dict[str, Any]:
    if not report.get("covered", True):
        return {}
    state_fips = None
    if report.get("state"):
        from ..link import gazetteer as gz

        st = gz.state(report["state"])
        state_fips = st.fips if st else None
    return {
        "trend": charts.trend_spec(
            report["trend"], "Detainers by issue date: issued, booked, declined"
        ),
        "map": charts.map_spec(
            report["map"],
            state_fips,
            "Detainers recorded as declined, by county of the facility",
            covered=[s["fips"] for s in report["store_coverage"]["states"]],
        ),
    }


def render_report_html(report: dict[str, Any], specs: dict[str, Any] | None = None) -> str:
    require(report, "report page")
    specs = specs if specs is not None else chart_specs(report)
    return (
        environment()
        .get_template("report.html")
        .render(
            r=report,
            trend_svg=charts.svg(specs["trend"]) if specs else "",
            map_svg=charts.svg(specs["map"]) if specs else "",
            **methodology_context(),
        )
    )


def write_csv(
    path: Path, rows: list[dict[str, Any]], columns: list[str], coverage: str | None = None
) -> None:
    """A CSV whose first line, a comment, names what the store covers; cells a spreadsheet would
    evaluate are escaped by the one safe writer."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        if coverage:
            fh.write(f"# coverage: {coverage}\n")
        writer = csvsafe.DictWriter(fh, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


class StartedCharts:
    """A report's chart specs, with its PNGs started (charts.pngs): by the command as soon as
    the report is built, so the helper process that rasterises them (publish/pngworker.py) works
    while the command finishes its queries and writes the folder."""

    def __init__(self, report: dict[str, Any]) -> None:
        require(report, "report charts")
        self.report = report
        self.specs = chart_specs(report)
        covered = report.get("covered", True)
        self.pngs = charts.pngs([self.specs["trend"], self.specs["map"]]) if covered else None


def write_report(
    report: dict[str, Any], out: Path, started: StartedCharts | None = None
) -> list[Path]:
    require(report, "report folder")
    out.mkdir(parents=True, exist_ok=True)
    if started is None or started.report is not report:
        started = StartedCharts(report)
    specs, pngs = started.specs, started.pngs
    (out / "index.html").write_text(render_report_html(report, specs), encoding="utf-8")
    (out / "report.json").write_text(jsonout.dumps(report, indent=1), encoding="utf-8")
    if pngs is None:  # not covered: the page says so; no table of zeros
        return sorted(out.iterdir())
    jcols = [
        "id",
        "name",
        "jurisdiction_type",
        "state",
        "state_fips",
        "county_fips",
        "place_fips",
        "issued",
        *OUTCOMES,
        "hold_requests",
        "notification_requests",
        "type_not_recorded",
        "declined_hold_requests",
        "declined_notification_requests",
        "declined_share_of_issued",
        "declined_share_of_closed",
        "facilities",
        "doubtful_facilities",
        "can_decline",
        "protected_facility",
    ]
    write_csv(
        out / "jurisdictions.csv",
        report["jurisdictions"] + report["other_custody"],
        jcols,
        report.get("coverage"),
    )
    fcols = [
        "facility",
        "city",
        "state",
        "code",
        "county_fips",
        "place_fips",
        "jurisdiction",
        "jurisdiction_type",
        "jurisdiction_id",
        "method",
        "confidence",
        "needs_review",
        "protected_facility",
        "issued",
        *OUTCOMES,
    ]
    write_csv(out / "facilities.csv", report["facilities"], fcols, report.get("coverage"))
    trend_png, map_png = pngs()
    (out / "trend.png").write_bytes(trend_png)
    (out / "map.png").write_bytes(map_png)
    return sorted(out.iterdir())


def write_audit(audit: dict[str, Any], out: Path) -> None:
    """The audit's folder, written only from an audit that passed the disclosure function."""
    from .audit import write_audit as write_checked

    require(audit, "audit folder")
    write_checked(audit, out)
