"""Attribution against a hand-labelled evaluation set of real names.

`bench/attribution_eval.csv`: every facility of the PA extract, 75 facilities of the ICE
facility list of 2017-11-06 across states and kinds (incl. independent cities, parishes),
an Alaska borough, and the names quoted in the layout doc;
labels are typed by hand from what each facility is, never copied from the resolver's output;
expected_fips is the county (county and city rows: the county the jail or city lies in) or
the state (state, federal, ICE, private rows). Prints the precision of confident answers
(confidence >= 0.9) and coverage (the share answered confidently). Goals: precision >= 99%,
coverage >= 95%.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from .harness import save

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _resolver():
    from detainerwatch.link import resolver_for
    from detainerwatch.store import connect
    from detainerwatch.store.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "eval.duckdb")
        ingest(
            con,
            [
                ROOT / "data/raw/uwchr-ice-facilities/ICE_Facility_List_11-06-2017-web.xlsx",
                ROOT
                / "data/raw/uwchr-ice-facilities/Confidential ICE ERO Facility List 07-10-2017.xlsx",
                ROOT / "data/raw/uwchr-ice-facilities/2019-ICFO-31121.xlsx",
            ],
        )
        resolver = resolver_for(con)
        con.close()
    return resolver


def evaluate() -> dict:
    resolver = _resolver()
    with open(HERE / "attribution_eval.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    confident = correct = 0
    wrong, unanswered = [], []
    for row in rows:
        a = resolver.resolve(
            row["facility"], row["state"], row["city"] or None, row["code"] or None
        )
        if a.confidence < 0.9 or a.needs_review:
            unanswered.append((row["facility"], row["state"], a.review_reason))
            continue
        confident += 1
        kind = row["expected_type"]
        got = a.county_fips if kind in ("county", "city", "non_government") else a.state_fips
        if a.jurisdiction_type == kind and (got or "") == row["expected_fips"]:
            correct += 1
        else:
            wrong.append(
                (
                    row["facility"],
                    row["state"],
                    kind,
                    row["expected_fips"],
                    a.jurisdiction_type,
                    got,
                    a.method,
                )
            )
    return {
        "names": len(rows),
        "confident": confident,
        "correct": correct,
        "precision": correct / confident if confident else 0.0,
        "coverage": confident / len(rows) if rows else 0.0,
        "wrong": wrong,
        "unanswered": unanswered,
    }


def main(argv=None) -> None:
    result = evaluate()
    print(f"attribution over {result['names']} hand-labelled real names")
    print(
        f"  precision of confident answers: {result['precision']:.1%} "
        f"({result['correct']}/{result['confident']})  goal >= 99%"
    )
    print(
        f"  coverage (answered confidently): {result['coverage']:.1%} "
        f"({result['confident']}/{result['names']})  goal >= 95%"
    )
    for w in result["wrong"]:
        print("  WRONG", w)
    for u in result["unanswered"]:
        print("  review", u)
    print("saved", save("attribution", result))
    from . import attribution_national

    print()
    attribution_national.main(argv)


if __name__ == "__main__":
    main()
