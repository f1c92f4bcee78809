"""`detainerwatch report` and `detainerwatch profile`."""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path

import click

from . import cli


def _date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}") from None


REPORT_THREADS = 1  # DuckDB worker threads for `report` (see report() below)

RELEASE_HELP = (
    "Count this release alone (see `detainerwatch releases`) instead of each day's "
    "release under hand/release_precedence.yaml."
)


@cli.command()
@click.option(
    "--week", callback=_date, help="The DDOR week (Saturday-Friday) containing this date."
)
@click.option(
    "--from", "start", callback=_date, help="First issue date of the period (YYYY-MM-DD)."
)
@click.option("--to", "end", callback=_date, help="Last issue date of the period (YYYY-MM-DD).")
@click.option("--all", "whole", is_flag=True, help="Every detainer in the store.")
@click.option("--state", help="Only facilities in this state (USPS code).")
@click.option("--release", "release", metavar="NAME", help=RELEASE_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("report"),
    show_default=True,
    help="Folder for index.html, CSVs, report.json and charts.",
)
@click.pass_obj
def report(obj, week, start, end, whole, state, release, out):
    """The Declined Detainer Outcome Report for a period (default: the latest full week in the
    store, as the DDOR did): outcomes by jurisdiction, declines with criminal history, policy
    context and data fidelity, with a trend chart and a county map."""
    from . import CONSOLE

    if CONSOLE:  # forked now, before DuckDB is imported: rasterises the charts meanwhile
        from ..publish import pngworker

        pngworker.start()
        # No cyclic garbage collection for the rest of the command (a process of its own): a
        # report's rows, grid and pages are acyclic and live until it writes its folder, and the
        # collections walked them anyway (a 4M weekly report: 39 -> 22 collections, those left
        # during the CLI's import; 20-40 ms by gc.callbacks on a machine at load 3-4, ~5M of
        # the process's 3,278M instructions by callgrind, issue 16). Peak memory unchanged
        # within its goal (4M: weekly ~155 MB, --all ~190 MB).
        gc.disable()
    from ..derive.releases import coverage_line, coverage_releases, release_span, use_release
    from ..publish.output import StartedCharts, write_report
    from ..publish.queries import connect_read
    from ..publish.report import build_report, resolve_period, week_of

    if sum(bool(x) for x in (week, start or end, whole)) > 1:
        raise click.UsageError("give one of --week, --from/--to, --all")
    # The read model (facts view registered once), on one DuckDB thread: a report's ~55
    # statements are small (a week's rows, the summary tables), and a second worker thread cost
    # more than it gained: the 4M weekly report 1.10 -> 1.01 s CPU, --all 1.63 -> 1.44 s (medians
    # of 6 and 3 alternated runs at load ~2.7; 48M fewer instructions by callgrind, where
    # threads do not compete), and it leaves the other core to the PNG helper (issue 16).
    con = connect_read(obj["db"], threads=REPORT_THREADS).con
    try:
        use_release(con, release)
        if release and whole:  # all of that release: its own period, not the store's
            (start, end), whole = release_span(con, release), False
        elif release and not (week or start or end):  # the release's latest full week
            last = release_span(con, release)[1]
            week = last if week_of(last).end <= last else week_of(last).start - dt.timedelta(days=1)
        period = resolve_period(con, week=week, start=start, end=end, whole=whole)
        result = build_report(con, period, state=state)
        charts = StartedCharts(result)  # the PNGs started now (a helper rasterises them)
        counted = coverage_line(con, period.start, period.end)
        result.setdefault(
            "releases_counted",
            {"line": counted, "releases": coverage_releases(con, period.start, period.end)},
        )
    finally:
        con.close()
    write_report(result, out, charts)
    from ..publish.output import fmt

    if not result.get("covered", True):
        click.echo(f"{result['title']}: {result['not_covered']} -> {out}/index.html")
        click.echo(f"note: {result['not_covered']}", err=True)
        return

    t = result["totals"]
    click.echo(
        f"{result['title']}, {period.label} (by issue date): {fmt(t['issued'])} issued, of "
        f"which {fmt(t['declined'])} recorded as declined, {fmt(t['booked'])} booked, "
        f"{fmt(t['open'])} open -> {out}/index.html"
    )
    click.echo(counted)
    if result["period"]["coverage_warning"]:
        click.echo(f"note: {result['period']['coverage_warning']}", err=True)


@cli.command()
@click.argument("jurisdiction")
@click.option("--release", "release", metavar="NAME", help=RELEASE_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write index.html, profile.json and facilities.csv to this folder.",
)
@click.pass_obj
def profile(obj, jurisdiction, release, out):
    """One jurisdiction over time ("Travis County, TX", "Philadelphia, PA", or a FIPS code):
    its detainers and outcomes by year, facilities, policies, and the source files and row
    ranges behind it."""
    from ..derive.releases import coverage_line, use_release
    from ..publish.profile import build_profile, write_profile
    from ..publish.queries import connect_read

    con = connect_read(obj["db"]).con  # the read model: facts view registered once
    try:
        use_release(con, release)
        result = build_profile(con, jurisdiction)
        counted = coverage_line(con)
    finally:
        con.close()
    from ..publish.labels import fmt

    t = result["totals"]
    span = (
        f"{result['first_issued']} to {result['last_issued']}"
        if result["first_issued"]
        else "(no detainers for it in the store)"
    )
    click.echo(
        f"{result['name']} ({result['jurisdiction_type']}, {result['id']}): "
        f"{fmt(t['issued'])} detainers issued {span}; {fmt(t['declined'])} declined, "
        f"{fmt(t['booked'])} booked, {fmt(t['open'])} open; "
        f"{len(result['facilities'])} facilities"
    )
    for year in result["by_year"]:
        click.echo(
            f"  {year['year']}: {fmt(year['issued'])} issued, {fmt(year['declined'])} "
            f"declined, {fmt(year['booked'])} booked"
        )
    click.echo(counted)
    if out:
        write_profile(result, out)
        click.echo(f"-> {out}/index.html")
