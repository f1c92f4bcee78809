"""`policies list` draws its table with cli.policies.plain_table (columns measured from the
cells' text alone, issue 16): every width and kind of text prints exactly as rich's Table."""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from detainerwatch.cli.policies import plain_table

WORDS = [
    "",
    "a",
    "county",
    "Sheriff's Office policy on ICE detainers",
    "https://example.org/a/very/long/address/that/cannot/wrap/anywhere/at/all/index.html",
    "two\nlines",
    "[bold]not markup[/bold]",
    "wide 漢字 text",
    "tab\tinside",
    "   spaced   out   ",
    "2019-07-01",
]


def _printed(table: Table, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(table)
    return out.getvalue()


@pytest.mark.parametrize("width", [20, 45, 80, 120, 200, 400])
@pytest.mark.parametrize("seed", range(6))
def test_prints_as_rich_table(width: int, seed: int) -> None:
    rng = random.Random(seed)
    columns = ["jurisdiction_type", "name", "policy_id", "x"][: rng.randint(1, 4)]
    rows = [[rng.choice(WORDS) for _ in columns] for _ in range(rng.randint(0, 12))]
    ours, theirs = plain_table(columns), Table(*columns)
    for row in rows:
        ours.add_row(*[Text(v) for v in row])
        theirs.add_row(*[Text(v) for v in row])
    assert _printed(ours, width) == _printed(theirs, width)
