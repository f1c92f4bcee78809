"""`detainerwatch resolve`: attribute facilities in a CSV, or write the review queue."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
import click

from ..errors import InputError, UsageError
from ..publish import csvsafe
from . import cli

OUTPUT_FIELDS = [
    "jurisdiction_type",
    "jurisdiction_name",
    "state_fips",
    "county_fips",
    "place_fips",
    "confidence",
    "method",
    "needs_review",
    "review_reason",
    "candidates",
]


@cli.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--review",
    is_flag=True,
    help="Write the review queue (doubtful facilities in the store) instead.",
)
@click.pass_obj
def resolve(obj, file, review):
    """Resolve facilities in FILE.csv (columns facility, state; optional city, code) to the
    government responsible; writes CSV to stdout with the attribution fields added.

    The store's facility dictionary (ICE facility lists) is used when a store exists."""
    from ..link import gazetteer as gz
    from ..link.resolver import Resolver

    db = Path(obj["db"])
    if review:
        return _review_queue(db)
    if file is None:
        raise UsageError("give a CSV file to resolve, or --review")
    resolver = Resolver()
    if db.exists():
        from ..link import dictcache

        resolver = Resolver(dictcache.for_store(db))
    try:
        # opened apart from the `with` so that only open()'s OSError becomes an InputError
        fh = open(file, newline="", encoding="utf-8-sig")  # noqa: SIM115
    except OSError as exc:
        raise InputError(file, "a readable CSV file", found=exc.strerror) from None
    with fh:
        number = 1
        try:
            reader = csv.DictReader(fh)
            header = [(h or "").strip() for h in (reader.fieldnames or [])]
            # Column names in any case ('Facility', 'STATE'); the output keeps them as given.
            column = {h.lower(): h for h in reversed(header) if h}
            for required in ("facility", "state"):
                if required not in column:
                    raise InputError(file, f"a column {required!r}", row=1, column=required)
            # Written only once every row is read: a failure on row 20 must not leave 19
            # rows in a redirected file that looks whole.
            buffer = io.StringIO()
            writer = csvsafe.DictWriter(
                buffer,
                header + [f for f in OUTPUT_FIELDS if f not in header],
                lineterminator="\n",
                extrasaction="ignore",
            )
            writer.writeheader()
            for number, row in enumerate(reader, start=2):
                row = {(k or "").strip(): v for k, v in row.items()}
                value = {
                    key: row.get(column[key]) if key in column else None
                    for key in ("facility", "state", "city", "code")
                }
                if gz.state(value["state"]) is None:
                    raise InputError(
                        file,
                        "a state (two-letter code or full name)",
                        row=number,
                        column=column["state"],
                        found=value["state"],
                    )
                a = resolver.resolve(
                    value["facility"], value["state"], value["city"], value["code"]
                )
                writer.writerow({**row, **a.as_dict()})
            sys.stdout.write(buffer.getvalue())
        except UnicodeDecodeError:
            raise InputError(file, "UTF-8 text", row=number) from None
        except csv.Error as exc:
            raise InputError(file, "CSV text", row=number, found=str(exc)) from None


def _review_queue(db: Path) -> None:
    from ..publish.queries import REVIEW_COLUMNS, connect_read, review_queue

    with connect_read(db, facts_view=False) as store:
        items = review_queue(store)
    writer = csvsafe.writer(sys.stdout)
    writer.writerow(REVIEW_COLUMNS)
    writer.writerows([getattr(item, c) for c in REVIEW_COLUMNS] for item in items)
