"""`detainerwatch releases` and `detainerwatch diff RELEASE_A RELEASE_B`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import cli


def _spans(periods) -> str:
    return (
        ", ".join(
            p["from"] if p["from"] == p["to"] else f"{p['from']} to {p['to']}" for p in periods
        )
        or "-"
    )


@cli.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def releases(obj, fmt):
    """The releases in the store: the periods they cover (and where that was read), rows,
    layouts, whole or subset, and the days each one currently supplies under
    hand/release_precedence.yaml (each day is counted from one release only)."""
    from ..derive.releases import releases_table
    from ..publish.queries import connect_read

    con = connect_read(obj["db"], facts_view=False).con
    try:
        found = releases_table(con)
    finally:
        con.close()
    if fmt == "json":
        click.echo(json.dumps(found, indent=1, default=str))
        return
    if fmt == "csv":
        from ..publish import csvsafe

        writer = csvsafe.writer(sys.stdout)
        writer.writerow(
            [
                "release",
                "layouts",
                "files",
                "covers",
                "covers_basis",
                "whole",
                "rows",
                "rows_from",
                "rows_to",
                "supplies",
                "days_supplied",
                "rows_supplied",
            ]
        )
        for r in found:
            writer.writerow(
                [
                    r["release"],
                    ";".join(r["layouts"]),
                    ";".join(r["files"]),
                    _spans(r["covers"]),
                    ";".join(r["covers_basis"]),
                    r["whole"],
                    r["rows"],
                    r["rows_from"],
                    r["rows_to"],
                    _spans(r["supplies"]),
                    r["days_supplied"],
                    r["rows_supplied"],
                ]
            )
        return
    if not found:
        click.echo("no detainer releases in the store")
        return
    from rich.table import Table

    from . import out_console

    table = Table(
        "release",
        "layouts",
        "files",
        "covers",
        "whole",
        "rows",
        "supplies (days)",
        "days",
        "rows counted",
    )
    for r in found:
        table.add_row(
            r["release"],
            ", ".join(r["layouts"]),
            str(len(r["files"])),
            _spans(r["covers"]) + f" ({'; '.join(r['covers_basis'])})",
            "whole" if r["whole"] else "subset",
            f"{r['rows']:,}",
            _spans(r["supplies"]) if r["supplies"] else "none (superseded)",
            f"{r['days_supplied']:,}",
            f"{r['rows_supplied']:,}",
        )
    out_console.print(table)
    for r in found:
        for warning in r["warnings"]:
            click.echo(f"warning: {r['release']}: {warning}", err=True)


@cli.command()
@click.argument("release_a")
@click.argument("release_b")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("diff"),
    show_default=True,
    help="Folder for index.html, jurisdiction_months.csv, moved.csv and diff.json.",
)
@click.pass_obj
def diff(obj, release_a, release_b, out):
    """What changed from RELEASE_A to RELEASE_B over the period both cover: per jurisdiction
    and month detainers, declines and outcome classes in each and the difference; rows in one
    release only (matched by facility, prepare date and the attributes both carry, with the
    match rate); outcomes that moved (open in A, declined in B)."""
    from ..derive.release_diff import diff_releases
    from ..publish.queries import connect_read
    from ..publish.release_diff import protect_diff, write_diff

    con = connect_read(obj["db"]).con  # the read model: facts view registered once
    try:
        result = protect_diff(diff_releases(con, release_a, release_b))
    finally:
        con.close()
    write_diff(result, out)
    t, m = result["totals"], result["match"]
    moved = (
        ", ".join(
            f"{r['detainers']:,} {r['outcome_in_a']} -> {r['outcome_in_b']}"
            for r in result["moved"]
        )
        or "none"
    )
    click.echo(
        f"{release_a} against {release_b}, {_spans(result['common_period'])}: "
        f"{t['a_issued']:,} against {t['b_issued']:,} detainers "
        f"({t['issued_difference']:+,}), declined {t['a_declined']:,} against "
        f"{t['b_declined']:,} ({t['declined_difference']:+,}); matched {m['matched']:,} "
        f"(rate {'-' if m['match_rate_a'] is None else format(m['match_rate_a'], '.1%')} of A), "
        f"{m['only_in_a']:,} in A only, "
        f"{m['only_in_b']:,} in B only; outcomes moved: {moved} -> {out}/index.html"
    )
