"""The cheaper reading of ISO dates at ingest (a cast for the plain shape) gives exactly what
try_strptime with the ISO formats gives, on generated text near and off that shape."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa

from detainerwatch.store.ingest import ISO_FORMATS, iso_expr


def _texts(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)

    def digits(top: int, width: int) -> str:
        return str(rnd.randint(0, top)).zfill(width)

    texts = []
    for _ in range(n):
        year = rnd.choice([digits(9999, 4), str(rnd.randint(1000, 2999)), "2000", "1900", "2024"])
        text = f"{year}-{digits(13, 2)}-{digits(32, 2)}"
        r = rnd.random()
        if r < 0.5:
            text += f" {digits(25, 2)}:{digits(61, 2)}:{digits(61, 2)}"
        elif r < 0.55:
            text += f" {digits(23, 2)}:{digits(59, 2)}"
        elif r < 0.6:
            text += "T10:00:00"
        elif r < 0.65:
            text += f" 10:00:00.{digits(999999, rnd.randint(1, 7))}"
        elif r < 0.7:
            text = text[: rnd.randint(0, len(text))] + rnd.choice(["x", "", " ", "-", "0"])
        texts.append(text)
    return texts + ["2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29 23:59:59", "2024-12-31"]


def test_iso_cast_agrees_with_strptime() -> None:
    reference = f"try_strptime(c, [{', '.join(repr(f) for f in ISO_FORMATS)}])"
    con = duckdb.connect()
    t = pa.table({"c": _texts(100_000, seed=16)})  # noqa: F841 - read by DuckDB
    total, differ, read = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE ({reference}) IS DISTINCT FROM "
        f"({iso_expr('c')})), count({iso_expr('c')}) FROM t"
    ).fetchall()[0]
    assert differ == 0
    assert 0 < read < total  # both kinds of text were there
