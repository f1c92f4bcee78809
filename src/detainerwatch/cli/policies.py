"""`detainerwatch policies`: the policy records (state laws, local policies, 287(g))."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import cli

if TYPE_CHECKING:
    from rich.table import Table


@cli.group()
def policies():
    """Policy records that govern cooperation with detainers, with their sources."""


@policies.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def policies_add(obj, files):
    """Validate policy records in FILES (format: hand/policies/README.md) and add them to the
    store. A bad record stops everything with its file, row and column; nothing is added."""
    from ..derive.policies import add_policy_files

    total = add_policy_files(obj["db"], list(files))
    click.echo(f"{len(files)} file(s) added; {total} policy records loaded with the built-in ones")


@policies.command("list")
@click.option("--state", help="Only this state (USPS code).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "table"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def policies_list(obj: dict[str, Any], state: str | None, fmt: str) -> None:
    """List the policy records in the store (built-in and added)."""
    from ..link import gazetteer as gz
    from ..publish.queries import POLICY_LIST_COLUMNS, connect_read, policy_list
    from . import out_console

    if state:
        st = gz.state(state)
        if st is None:
            raise click.UsageError(f"--state {state!r} is not a state (use a code such as PA)")
        state = st.abbr
    with connect_read(obj["db"], facts_view=False) as store:
        records = policy_list(store, state)
    cols = POLICY_LIST_COLUMNS
    rows = [[getattr(p, c) for c in cols] for p in records]
    if fmt == "csv":
        from ..publish import csvsafe

        writer = csvsafe.writer(sys.stdout)
        writer.writerow(cols)
        writer.writerows(rows)
        return
    from rich.text import Text

    table = plain_table(cols)
    for r in rows:
        table.add_row(*[Text("" if v is None else str(v)) for v in r])  # never markup
    out_console.print(table)


def plain_table(columns: list[str]) -> Table:
    """A rich Table whose cells are plain Text (no styles, no markup), printed exactly as
    rich.table.Table prints them but with its columns measured from the cells' text alone: rich
    measures each cell through its generic renderable machinery, half of the 0.5 s that drawing
    the 235 built-in policy records took (issue 16). It overrides a private method of rich
    (Table._measure_column, as in rich 13 to 15): should a later rich rename it, rich's own
    measure is used (slower, the same output); should it rename what it reads, the same."""
    from rich.cells import cell_len
    from rich.measure import Measurement
    from rich.table import Table
    from rich.text import Text

    class PlainTable(Table):
        def _measure_column(self, console: Any, options: Any, column: Any) -> Measurement:
            max_width = options.max_width
            try:  # rich's own (private) names: another rich version measures its own way
                pad = self._get_padding_width(column._index)
                cells = column._cells
            except AttributeError:
                return super()._measure_column(console, options, column)
            plain = all(type(c) is Text and not c.spans and not c.style for c in cells)
            if (
                max_width - pad < 1
                or column.width is not None
                or not plain
                or (self.padding, self.pad_edge, self.collapse_padding)
                != ((0, 1, 0, 1), True, False)
                or self.show_footer
            ):
                return super()._measure_column(console, options, column)
            # What Measurement.get answers for each cell (a Text in its Padding): the widest
            # word and the widest line, each capped at max_width, plus the padding, capped again.
            # All are whole numbers >= 0 with low <= high, so normalize() changes none of them.
            low = high = 0
            for cell in cells:
                text = cell.plain
                lines = text.splitlines()
                widest = max(map(cell_len, lines)) if lines else 0
                words = text.split()
                least = max(map(cell_len, words)) if words else widest
                low, high = max(low, min(least, widest)), max(high, widest)
            mins = [min(min(low, max_width) + pad, max_width)] if cells else []
            maxs = [min(min(high, max_width) + pad, max_width)] if cells else []
            if self.show_header:  # measured as rich measures it (a str, read as markup)
                head = Measurement.get(console, options, column.header)
                head = Measurement(head.minimum + pad, head.maximum + pad).with_maximum(max_width)
                head = head.normalize().with_maximum(max_width)
                head = head.normalize() if head.maximum >= 1 else Measurement(0, 0)
                mins.append(head.minimum)
                maxs.append(head.maximum)
            measurement = Measurement(
                max(mins) if mins else 1, max(maxs) if maxs else max_width
            ).with_maximum(max_width)
            return measurement.clamp(
                None if column.min_width is None else column.min_width + pad,
                None if column.max_width is None else column.max_width + pad,
            )

    return PlainTable(*columns)
