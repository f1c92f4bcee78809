"""Attribution on national names: the TRAC dev set (2,181 labelled (facility, state) pairs).

Reads `../shared/data/eval/trac_facility_county_dev.csv` (or DETAINERWATCH_DEV_SET) when it is
there; it is a dev set for measuring, never copied into the project nor a source of rules.
A name counts as resolved when the answer is confident (>= 0.9, not for review), as the issue
measures it; precision is the share of the confident answers that name a county whose county
agrees with TRAC's (a confident answer with no county, e.g. a U.S. Marshals district or a city
spanning several counties, cannot be checked against a county label and is counted apart).
Coverage is given by names and by detainers (TRAC's count per pair). Unresolved names are grouped by the reason the
resolver gave, so the next rule to write is visible.

Also times `detainerwatch resolve` (a child process, start-up included) on the dev set's rows
and on one row. Goals: names >= 95%, detainers >= 97%, precision >= 99%, < 3 s and < 1 s.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from .harness import save

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEV = Path(
    os.environ.get(
        "DETAINERWATCH_DEV_SET", ROOT.parent / "shared/data/eval/trac_facility_county_dev.csv"
    )
)
if not DEV.exists():
    DEV = Path("/work/shared/data/eval/trac_facility_county_dev.csv")


def _category(reason: str | None) -> str:
    """A short class for a review reason: its words with names and numbers taken out."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'...'", reason or "no reason given")
    text = re.sub(r"\b[A-Z][A-Za-z.-]*(?: [A-Z][A-Za-z.-]*)*\b", "X", text)
    text = re.sub(r"\d+", "N", text)
    return text[:90]


def evaluate(rows=None) -> dict:
    from detainerwatch.link.resolver import Resolver

    resolver = Resolver()
    if rows is None:
        with open(DEV, newline="") as fh:
            rows = list(csv.DictReader(fh))
    names = len(rows)
    weight = sum(int(r["detainers_trac"] or 0) for r in rows)
    resolved = resolved_w = agree = with_county = with_county_w = 0
    wrong, open_ = [], []
    reasons: Counter = Counter()
    reasons_w: Counter = Counter()
    for row in rows:
        a = resolver.resolve(row["facility"], row["state"])
        n = int(row["detainers_trac"] or 0)
        if a.confidence >= 0.9 and not a.needs_review:
            resolved += 1
            resolved_w += n
        if a.confidence >= 0.9 and not a.needs_review and a.county_fips:
            with_county += 1
            with_county_w += n
            if a.county_fips == row["county_fips"]:
                agree += 1
            else:
                wrong.append(
                    (
                        row["facility"],
                        row["state"],
                        row["county_fips"],
                        row["trac_county"],
                        a.county_fips,
                        a.jurisdiction_type,
                        a.method,
                        n,
                    )
                )
            continue
        if a.confidence >= 0.9 and not a.needs_review:
            reason = f"resolved ({a.jurisdiction_type}) without one county"
        else:
            reason = _category(a.review_reason)
        reasons[reason] += 1
        reasons_w[reason] += n
        open_.append(
            (
                row["facility"],
                row["state"],
                row["county_fips"],
                a.jurisdiction_type,
                a.method,
                a.review_reason,
                n,
            )
        )
    return {
        "names": names,
        "detainers": weight,
        "resolved": resolved,
        "resolved_detainers": resolved_w,
        "agree": agree,
        "with_county": with_county,
        "with_county_detainers": with_county_w,
        "coverage_names": resolved / names if names else 0.0,
        "coverage_detainers": resolved_w / weight if weight else 0.0,
        "county_names": with_county / names if names else 0.0,
        "county_detainers": with_county_w / weight if weight else 0.0,
        "precision": agree / with_county if with_county else 0.0,
        "wrong": sorted(wrong, key=lambda w: -w[-1]),
        "unresolved": sorted(open_, key=lambda u: -u[-1]),
        "categories": reasons.most_common(),
        "categories_detainers": dict(reasons_w),
    }


def _run(argv: list[str]) -> tuple[float, float] | None:
    """(wall seconds, CPU seconds user + system) of a child process, start-up included."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        return None
    return wall, usage.ru_utime + usage.ru_stime


def timing() -> dict:
    exe = Path(sys.executable).with_name("detainerwatch")
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        with open(DEV, newline="") as fh:
            rows = list(csv.DictReader(fh))
        all_rows, one_row = Path(tmp) / "dev.csv", Path(tmp) / "one.csv"
        for path, chosen in ((all_rows, rows), (one_row, rows[:1])):
            with open(path, "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(["facility", "state"])
                w.writerows([(r["facility"], r["state"]) for r in chosen])
        db = Path(tmp) / "none.duckdb"  # no store: the bundled reference data alone
        for label, path, goal in (
            (f"resolve of {len(rows)} rows", all_rows, 3.0),
            ("resolve of one row", one_row, 1.0),
        ):
            out[label] = {
                "goal": goal,
                "result": _run([str(exe), "--db", str(db), "resolve", str(path)]),
            }
    return out


def main(argv=None) -> None:
    if not DEV.exists():
        print(f"national dev set not found ({DEV}); skipped")
        return
    result = evaluate()
    print(f"attribution over {result['names']} national (facility, state) pairs of the dev set")
    print(
        f"  names resolved confidently:     {result['coverage_names']:.1%} "
        f"({result['resolved']}/{result['names']})  goal >= 95%"
    )
    print(
        f"  detainers resolved confidently: {result['coverage_detainers']:.1%} "
        f"({result['resolved_detainers']:,}/{result['detainers']:,})  goal >= 97%"
    )
    print(
        f"  ... of which with one county:   {result['county_names']:.1%} of names, "
        f"{result['county_detainers']:.1%} of detainers ({result['with_county']})"
    )
    print(
        f"  county agrees with the label:   {result['precision']:.1%} "
        f"({result['agree']}/{result['with_county']})  goal >= 99% after review of "
        f"the disagreements (bench/attribution_national_review.md)"
    )
    print("  not resolved, or resolved without one county, by category (names, detainers):")
    for reason, count in result["categories"][:15]:
        print(f"    {count:5d} {result['categories_detainers'][reason]:8,d}  {reason}")
    verbose = "-v" in (argv or [])
    for w in result["wrong"][: None if verbose else 15]:
        print("  DISAGREE", w)
    for u in result["unresolved"][: None if verbose else 15]:
        print("  open", u)
    times = timing()
    load = os.getloadavg()[0]
    for label, t in times.items():
        shown = (
            f"{t['result'][0]:.2f} s wall, {t['result'][1]:.2f} s CPU" if t["result"] else "failed"
        )
        print(
            f"  {label} (start-up included): {shown}  goal < {t['goal']:.0f} s "
            f"(load average {load:.1f} on {os.cpu_count()} CPUs: wall time counts others' work)"
        )
    result["timing"] = times
    print("saved", save("attribution_national", result))


if __name__ == "__main__":
    main(sys.argv[1:])
