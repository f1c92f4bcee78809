"""`detainerwatch check-disclosure`: a disclosure audit of published output."""

from __future__ import annotations

from pathlib import Path

import click

from . import cli


@cli.command("check-disclosure")
@click.argument("path", type=click.Path(path_type=Path))
def check_disclosure(path):
    """Scan published output (a report or profile folder, the static site, the SQLite export,
    saved API answers) for person-attribute cells of 1-4 and for withheld cells a reader can work
    out by subtraction. Exit 1 with each finding's place; 0 when nothing is found."""
    from ..publish.disclosure_check import scan

    found = scan(path)
    for f in found:
        click.echo(str(f))
    if found:
        click.echo(f"{len(found)} disclosure findings in {path}", err=True)
        raise SystemExit(1)
    click.echo(f"no disclosure finding in {path}")
