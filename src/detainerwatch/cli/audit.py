"""`detainerwatch audit`: evidence for every name on a published list."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli
from .report import RELEASE_HELP, _date


@cli.command()
@click.argument("list_file", metavar="LIST.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", callback=_date, help="First issue date of the evidence period.")
@click.option("--to", "end", callback=_date, help="Last issue date of the evidence period.")
@click.option(
    "--list-date",
    "list_date",
    callback=_date,
    help="The day the list was published (else its list_date column). When the "
    "evidence period does not meet the year before it, every output says so.",
)
@click.option("--release", "release", metavar="NAME", help=RELEASE_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("audit"),
    show_default=True,
    help="Folder for index.html, audit.csv and audit.json.",
)
@click.pass_obj
def audit(obj, list_file, start, end, list_date, release, out):
    """Audit a list of jurisdictions (CSV columns jurisdiction_type, name, state; optional
    list_date) against the records and the law: each entry's practice (the share declined among
    detainers with a recorded outcome, with its interval) and the instruments that bind it, and
    a verdict with the rule that produced it (supported, contradicted, isolated declines, mixed,
    no evidence); and the counties and cities the list left out whose records show a practice
    of declining. Default period: everything in the store."""
    from ..derive.releases import coverage_line, release_span, use_release
    from ..publish.audit import build_audit, read_list
    from ..publish.disclosure import protect
    from ..publish.output import write_audit
    from ..publish.queries import connect_read
    from ..publish.report import resolve_period

    entries = read_list(list_file)
    con = connect_read(obj["db"]).con  # the read model: facts view registered once
    try:
        use_release(con, release)
        if release and not (start or end):
            start, end = release_span(con, release)
        period = resolve_period(con, start=start, end=end, whole=not (start or end))
        result = protect(
            build_audit(con, entries, period, list_file.name, list_date=list_date), "audit"
        )
        counted = coverage_line(con, period.start, period.end)
    finally:
        con.close()
    write_audit(result, out)
    summary = ", ".join(f"{n} {v}" for v, n in sorted(result["verdicts"].items()))
    click.echo(
        f"list date {result['list_date'] or 'not given'}; evidence period "
        f"{result['period']['start']} to {result['period']['end']}"
    )
    for warning in (result["period_warning"], result["policy_warning"]):
        if warning:
            click.echo("WARNING: " + warning)
    click.echo(
        f"{list_file.name}: {len(entries)} entries ({summary}); "
        f"{len(result['converse'])} counties and cities not listed show a practice of declining "
        f"-> {out}/index.html"
    )
    click.echo(counted)
