"""`detainerwatch audit`: evidence for every name on a published list."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from . import cli
from .report import _date


@cli.command()
@click.argument("list_file", metavar="LIST.csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "start", callback=_date, help="First issue date of the evidence period.")
@click.option("--to", "end", callback=_date, help="Last issue date of the evidence period.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("audit"),
              show_default=True, help="Folder for index.html, audit.csv and audit.json.")
@click.pass_obj
def audit(obj, list_file, start, end, out):
    """Audit a list of jurisdictions (CSV columns jurisdiction_type, name, state) against the
    records and the law: each entry's evidence and a verdict with the rule that produced it
    (supported, contradicted, no evidence), and the jurisdictions the list left out whose
    records show declines. Default period: everything in the store."""
    from ..publish.audit import build_audit, read_list
    from ..publish.disclosure import protect
    from ..publish.output import write_audit
    from ..publish.report import resolve_period
    from ..store import connect

    entries = read_list(list_file)
    con = connect(obj["db"], read_only=True)
    try:
        period = resolve_period(con, start=start, end=end, whole=not (start or end))
        result = protect(build_audit(con, entries, period, list_file.name), "audit")
    finally:
        con.close()
    write_audit(result, out)
    summary = ", ".join(f"{n} {v}" for v, n in sorted(result["verdicts"].items()))
    click.echo(f"{list_file.name}: {len(entries)} entries ({summary}); "
               f"{len(result['converse'])} jurisdictions not listed show declines -> {out}/index.html")
