"""Report and profile queries on a national-size generated store (4,000,000 detainers).

Goals: weekly report <= 1 s, profile <= 200 ms. Each is timed through the library (as the CLI
and web app call it) on a fresh read-only connection, five times; the median is compared with
the goal. The whole-period report is timed too (no goal)."""

from __future__ import annotations

import statistics
import time

from .harness import save
from .national import national_store


def _time(fn, repeat=5) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main(argv=None) -> None:
    from detainerwatch.publish.profile import build_profile
    from detainerwatch.publish.report import build_report, resolve_period
    from detainerwatch.store import connect

    db = national_store(4_000_000)
    con = connect(db, read_only=True)
    top = con.execute(
        "SELECT jurisdiction_type || ':' || county_fips FROM facility_attribution "
        "WHERE jurisdiction_type = 'county' GROUP BY 1 ORDER BY sum(detainers) DESC "
        "LIMIT 1"
    ).fetchall()[0][0]
    week = resolve_period(con)
    whole = resolve_period(con, whole=True)
    rows = {
        "weekly report (latest full week)": (_time(lambda: build_report(con, week)), 1.0),
        f"profile ({top}, the largest county)": (_time(lambda: build_profile(con, top)), 0.2),
        "whole-period report": (_time(lambda: build_report(con, whole), repeat=2), None),
    }
    n = con.execute("SELECT count(*) FROM detainers").fetchall()[0][0]
    print(f"queries on a generated store of {n:,} detainers")
    print(f"  {'what':<44} {'median s':>9} {'min s':>8} {'goal s':>7} {'x goal':>7}")
    result = {}
    for name, (times, goal) in rows.items():
        med = statistics.median(times)
        ratio = f"{med / goal:.2f}" if goal else "-"
        print(f"  {name:<44} {med:>9.3f} {min(times):>8.3f} {goal or '-':>7} {ratio:>7}")
        result[name] = {"seconds": times, "median": med, "goal": goal}
    print("saved", save("queries", result))


if __name__ == "__main__":
    main()
