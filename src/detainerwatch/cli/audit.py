"""`detainerwatch audit`: evidence for every name on a published list."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from . import cli
from .report import RELEASE_HELP, _date


@cli.command()
@click.argument("list_file", metavar="LIST.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", callback=_date, help="First issue date of the evidence period.")
@click.option("--to", "end", callback=_date, help="Last issue date of the evidence period.")
@click.option("--release", "release", metavar="NAME", help=RELEASE_HELP)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("audit"),
              show_default=True, help="Folder for index.html, audit.csv and audit.json.")
@click.pass_obj
def audit(obj, list_file, start, end, release, out):
    """Audit a list of jurisdictions (CSV columns jurisdiction_type, name, state) against the
    records and the law: each entry's evidence and a verdict with the rule that produced it
    (supported, contradicted, no evidence), and the jurisdictions the list left out whose
    records show declines. Default period: everything in the store."""
    from ..derive.releases import coverage_line, release_span, use_release
    from ..publish.audit import build_audit, read_list, write_audit
    from ..publish.report import resolve_period
    from ..store import connect

    entries = read_list(list_file)
    con = connect(obj["db"], read_only=True)
    try:
        use_release(con, release)
        if release and not (start or end):
            start, end = release_span(con, release)
        period = resolve_period(con, start=start, end=end, whole=not (start or end))
        result = build_audit(con, entries, period, list_file.name)
        counted = coverage_line(con, period.start, period.end)
    finally:
        con.close()
    write_audit(result, out)
    summary = ", ".join(f"{n} {v}" for v, n in sorted(result["verdicts"].items()))
    click.echo(f"{list_file.name}: {len(entries)} entries ({summary}); "
               f"{len(result['converse'])} jurisdictions not listed show declines -> {out}/index.html")
    click.echo(counted)
