"""What changed between two releases over the period both cover.

Person identifiers are re-anonymized in every release, so rows are matched by a key: the
facility, the prepare day and the non-identifying attributes both releases carry
(hand/release_precedence.yaml, diff_key_fields). Within a key, rows with the same outcome pair
first; the rest pair across outcomes (an outcome that moved, e.g. open in A, declined in B);
what is left appears in one release only. Likely duplicates are left out, as in every report.

The result holds counts of detainers only (per jurisdiction and month: issued, declined,
outcome classes, rows in one release only, outcomes moved): no person attribute is
published at any grain, and the key itself is never output.
"""

from __future__ import annotations

from typing import Any

import datetime as dt
from collections.abc import Sequence

from ..errors import UsageError
from ..sources.fields import DETAINER_FIELDS
from . import facts, releases
from .facts import OUTCOMES
from duckdb import DuckDBPyConnection
from ..store.schema import create_temp_table_as

NAME = "min(jurisdiction_display_name)"  # the id's one name (derive/ids.py), as every page


def key_fields(con: DuckDBPyConnection, a: str, b: str) -> list[str]:
    """The hand file's key fields that both releases carry (some value in each)."""
    import yaml

    from ..handfiles import hand_path

    path = hand_path(releases.PRECEDENCE_FILE)
    wanted = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("diff_key_fields") or []
    known = {f.name: f for f in DETAINER_FIELDS}
    for name in wanted:
        if name not in known or known[name].identifier or name in ("prepare_date", "person_id"):
            raise UsageError(
                f"{path}: diff_key_fields: {name!r} is not a non-identifying detainer field"
            )
    if not wanted:
        return []
    counts = con.execute(
        "SELECT "
        + ", ".join(
            f"count({n}) FILTER (WHERE release = ?) > 0 AND "
            f"count({n}) FILTER (WHERE release = ?) > 0"
            for n in wanted
        )
        + " FROM detainers WHERE release IN (?, ?)",
        [x for _ in wanted for x in (a, b)] + [a, b],
    ).fetchall()[0]
    return [n for n, both in zip(wanted, counts, strict=True) if both]


def common_period(con: DuckDBPyConnection, a: str, b: str) -> list[tuple[dt.date, dt.date]]:
    table = {r["release"]: r for r in releases.releases_table(con)}
    for name in (a, b):
        if name not in table:
            listed = ", ".join(table) or "none"
            raise UsageError(f"{name!r}: no such release in the store (releases: {listed})")
    if a == b:
        raise UsageError(f"{a!r} twice: name two different releases")

    def spans(r: dict[str, Any]) -> list[tuple[dt.date, dt.date]]:
        return [
            (dt.date.fromisoformat(p["from"]), dt.date.fromisoformat(p["to"])) for p in r["covers"]
        ]

    out = []
    for s1, e1 in spans(table[a]):
        for s2, e2 in spans(table[b]):
            if max(s1, s2) <= min(e1, e2):
                out.append((max(s1, s2), min(e1, e2)))
    if not out:
        raise UsageError(f"{a} and {b} cover no period in common: nothing to compare")
    return sorted(out)


def diff_releases(con: DuckDBPyConnection, a: str, b: str) -> dict[str, Any]:
    """Release A against release B over their common period (see the module docstring)."""
    names = releases.release_names(con)
    if len(names) < 2:
        raise UsageError(
            f"the store holds {len(names)} release{'s' if len(names) != 1 else ''} "
            f"({', '.join(names) or 'none'}): a diff needs two"
        )
    periods = common_period(con, a, b)
    facts.register(con)
    facts.check_unmapped(con)
    keys = key_fields(con, a, b)
    in_period = " OR ".join("f.issued BETWEEN ? AND ?" for _ in periods)
    pparams = [d for p in periods for d in p]
    key_expr = (
        "concat_ws('|', f.issued"
        + "".join(f", coalesce(CAST(d.{k} AS VARCHAR), '~')" for k in keys)
        + ")"
    )
    create_temp_table_as(
        con,
        "dw_diff",
        f"""SELECT CASE f.release WHEN ? THEN 'a' ELSE 'b' END AS side,
               row_number() OVER () AS rid, md5({key_expr}) AS k, f.outcome,
               f.jurisdiction_id, f.jurisdiction_display_name, f.jurisdiction_type, f.facility_name,
               coalesce(f.state_abbr, f.facility_state) AS state,
               strftime(f.issued, '%Y-%m') AS month
        FROM dw_facts_live f
        JOIN detainers d ON d.source_id = f.source_id AND d.sheet IS NOT DISTINCT FROM f.sheet
                        AND d.row_number = f.row_number
        WHERE f.release IN (?, ?) AND NOT f.likely_duplicate AND ({in_period})""",
        [a, a, b, *pparams],
    )
    # Pairs: the same outcome first, then across outcomes within the key.
    create_temp_table_as(
        con,
        "dw_diff_same",
        """WITH n AS (SELECT side, rid, k, outcome,
                          row_number() OVER (PARTITION BY side, k, outcome ORDER BY rid) AS i
                   FROM dw_diff)
        SELECT x.rid AS a_rid, y.rid AS b_rid FROM n x JOIN n y
          ON x.side = 'a' AND y.side = 'b' AND x.k = y.k AND x.outcome = y.outcome AND x.i = y.i""",
    )
    create_temp_table_as(
        con,
        "dw_diff_moved",
        """WITH rest AS (SELECT side, rid, k, outcome FROM dw_diff
                      WHERE rid NOT IN (SELECT a_rid FROM dw_diff_same)
                        AND rid NOT IN (SELECT b_rid FROM dw_diff_same)),
             n AS (SELECT *, row_number() OVER (PARTITION BY side, k ORDER BY outcome, rid) AS i
                   FROM rest)
        SELECT x.rid AS a_rid, y.rid AS b_rid, x.outcome AS a_outcome, y.outcome AS b_outcome
        FROM n x JOIN n y ON x.side = 'a' AND y.side = 'b' AND x.k = y.k AND x.i = y.i""",
    )
    create_temp_table_as(
        con,
        "dw_diff_rows",
        """SELECT d.*, CASE WHEN s.a_rid IS NOT NULL OR s2.b_rid IS NOT NULL THEN 'same'
                         WHEN m.a_rid IS NOT NULL OR m2.b_rid IS NOT NULL THEN 'moved'
                         ELSE 'only' END AS status,
               coalesce(m.b_outcome, m2.a_outcome) AS other_outcome
        FROM dw_diff d
        LEFT JOIN dw_diff_same s ON d.side = 'a' AND s.a_rid = d.rid
        LEFT JOIN dw_diff_same s2 ON d.side = 'b' AND s2.b_rid = d.rid
        LEFT JOIN dw_diff_moved m ON d.side = 'a' AND m.a_rid = d.rid
        LEFT JOIN dw_diff_moved m2 ON d.side = 'b' AND m2.b_rid = d.rid""",
    )

    def rows(sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        result = con.execute(sql, list(params))
        cols = [c[0] for c in result.description]
        return [dict(zip(cols, r, strict=True)) for r in result.fetchall()]

    side_cols = ", ".join(
        [f"count(*) FILTER (WHERE side = '{s}') AS {s}_issued" for s in "ab"]
        + [
            f"count(*) FILTER (WHERE side = '{s}' AND outcome = '{o}') AS {s}_{o}"
            for s in "ab"
            for o in OUTCOMES
        ]
        + [f"count(*) FILTER (WHERE side = '{s}' AND status = 'only') AS only_{s}" for s in "ab"]
        + [
            "count(*) FILTER (WHERE side = 'a' AND status = 'moved') AS moved",
            "count(*) FILTER (WHERE side = 'a' AND status = 'moved' AND outcome = 'open' "
            "AND other_outcome = 'declined') AS moved_open_to_declined",
        ]
    )
    totals = rows(f"SELECT {side_cols} FROM dw_diff_rows")[0]
    by_jm = rows(f"""
        SELECT jurisdiction_id, {NAME} AS jurisdiction, any_value(jurisdiction_type) AS jurisdiction_type,
               any_value(state) AS state, month, {side_cols}
        FROM dw_diff_rows GROUP BY jurisdiction_id, month ORDER BY jurisdiction_id, month""")
    for row in [totals, *by_jm]:
        row["issued_difference"] = row["b_issued"] - row["a_issued"]
        row["declined_difference"] = row["b_declined"] - row["a_declined"]
        for o in OUTCOMES:
            row[f"{o}_difference"] = row[f"b_{o}"] - row[f"a_{o}"]
    moved = rows("""
        SELECT a_outcome AS outcome_in_a, b_outcome AS outcome_in_b, count(*) AS detainers
        FROM dw_diff_moved GROUP BY 1, 2 ORDER BY detainers DESC, 1, 2""")
    matched = totals["a_issued"] - totals["only_a"]
    coverage = {r["release"]: r for r in releases.releases_table(con)}
    result = {
        "release_a": {k: coverage[a][k] for k in ("release", "layouts", "covers", "whole", "rows")},
        "release_b": {k: coverage[b][k] for k in ("release", "layouts", "covers", "whole", "rows")},
        "common_period": [{"from": s.isoformat(), "to": e.isoformat()} for s, e in periods],
        "basis": "detainer prepare (issue) date; likely duplicates left out, as in every report",
        "totals": totals,
        "match": {
            "key": [
                "facility (as released)",
                "prepare date",
                *[k for k in keys if not k.startswith("facility_")],
            ],
            "key_fields": ["prepare_date", *keys],
            "rows_a": totals["a_issued"],
            "rows_b": totals["b_issued"],
            "matched": matched,
            "matched_same_outcome": matched - totals["moved"],
            "outcome_moved": totals["moved"],
            "only_in_a": totals["only_a"],
            "only_in_b": totals["only_b"],
            "match_rate_a": round(matched / totals["a_issued"], 4) if totals["a_issued"] else None,
            "match_rate_b": round(matched / totals["b_issued"], 4) if totals["b_issued"] else None,
        },
        "moved": moved,
        "jurisdiction_months": by_jm,
        "disclosure": "Counts of detainers per jurisdiction and month (issued, declined, outcome "
        "classes, rows in one release only, outcomes moved); no person attribute "
        "is published at any grain, and the matching key is never output.",
    }
    for name in ("dw_diff_rows", "dw_diff_moved", "dw_diff_same", "dw_diff"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return result
