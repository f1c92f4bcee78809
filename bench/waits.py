"""What a user waits for after ingest (issue 16): reports, other commands and the static site.

Each command runs as a child process (start-up included, as a user runs it); wall time, CPU
time (user + system) and peak memory are measured, and the wall time is compared with its goal:
- on the demo store (`make demo`: the real Pennsylvania extract, 32,757 detainers; built here
  when missing): `report --all --out` with charts, map and PNGs <= 1.0 s; `profile`, `audit`,
  `query`, `policies list` <= 1.0 s each; `publish --out` <= 50 ms per page written;
- on a generated national store (bench/national.py; 4,000,000 detainers by default, `--rows`
  for a smaller one while developing, the figures then scale with it): the weekly report
  (`report --out`) <= 1.0 s, `report --all --out` <= 3.0 s, both peak <= 1 GiB.

- `resolve` of one row and of the 2,181 rows of the shared evaluation set (../shared/data/eval),
  start-up included: <= 0.6 s and <= 3 s; without a store, and with the demo store: the first
  run after an ingest (which keeps the store's facility dictionary beside the store), a run after
  the store was written since but not its facility lists (the kept entries compared and used
  again), a run that builds the dictionary (the file removed) and a repeat.

Our modules and templates are precompiled first, as `make install` leaves them (with the usual
maps projected, the bundled policy records and the hand YAML files kept as read: filecache).

Compiled templates and chart PNGs are kept in a cache folder keyed by their input
(publish/filecache.py); the bench gives the children an empty one, so the first report of a
store is measured as a user meets it ("first run, empty cache") and again once it holds that
report's charts ("repeat").

The web app's waits (first views after a restart, cached views) are measured by bench/web.py.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .harness import CACHE, Measure, measure, save, store_code_stamp
from .national import national_store

ROOT = Path(__file__).resolve().parents[1]
DETAINERWATCH = str(Path(sys.executable).with_name("detainerwatch"))
DEMO = ROOT / "demo" / "detainerwatch.duckdb"
DOJ_LIST = ROOT / "src/detainerwatch/data/lists"
EVAL_SET = ROOT.parent / "shared/data/eval/trac_facility_county_dev.csv"
GIB_MB = 1024.0


def dictcache_path(store: Path) -> Path:
    from detainerwatch.link.dictcache import cache_path

    return cache_path(store)


def keep_dictionary(store: Path) -> None:
    """The store's facility dictionary written beside it, as `ingest` writes it (in a child, so
    this process imports none of the package)."""
    code = "import sys; from pathlib import Path; from detainerwatch.link import dictcache; "
    code += "dictcache.for_store(Path(sys.argv[1]))"
    subprocess.run([sys.executable, "-c", code, str(store)], check=True)


def precompile() -> None:
    """Our modules compiled into __pycache__, the templates into templates_compiled/ and the
    maps, policy records and hand YAML files made ahead (publish/filecache.py), as
    `make install` leaves them (this environment sets PYTHONDONTWRITEBYTECODE: without it every
    command compiles what it imports)."""
    for args in (["compileall", "-q", str(ROOT / "src")], ["detainerwatch.publish.filecache"]):
        subprocess.run([sys.executable, "-m", *args], check=True, stdout=subprocess.DEVNULL)


def demo_store() -> Path:
    """The demo store as `make demo` builds it (the real Pennsylvania extract), built by the
    bench into its cache under a name keyed on the code that writes stores (harness
    store_code_stamp): a store left by older code is never measured."""
    stamp = store_code_stamp()
    folder = CACHE / f"demo-{stamp}"
    store = folder / DEMO.name
    if store.exists():
        print(f"reusing the demo store {folder.name} (built by this code)", flush=True)
        return store
    for old in CACHE.glob("demo-*"):
        shutil.rmtree(old, ignore_errors=True)
    print(f"building the demo store (make demo DEMO_DIR={folder}) ...", flush=True)
    subprocess.run(
        ["make", "-C", str(ROOT), "demo", f"DEMO_DIR={folder}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return store


def _cmd(db: Path, *args: str) -> list[str]:
    return [DETAINERWATCH, "--db", str(db), *args]


def _row(m: Measure, goal: float, unit: str = "s", per: int | None = None) -> dict:
    """One printed line: the figure (seconds, or seconds per page), its goal and the ratio."""
    value = None if m.seconds is None else (m.seconds / per if per else m.seconds)
    shown = (
        "-" if value is None else (f"{value * 1000:.1f} ms" if unit == "ms" else f"{value:.2f} s")
    )
    goal_s = f"{goal * 1000:.0f} ms" if unit == "ms" else f"{goal:.1f} s"
    ratio = "-" if value is None else f"{value / goal:.2f}"
    cpu = "-" if m.cpu_seconds is None else f"{m.cpu_seconds:.2f}"
    peak = "-" if m.peak_mb is None else f"{m.peak_mb:.0f}"
    verdict = "" if value is None else ("holds" if value <= goal else "MISSES")
    print(
        f"  {m.name:<64} {shown:>10} {cpu:>7} {peak:>8} {goal_s:>8} {ratio:>7}  {verdict}"
        f"{'  ' + m.note if m.note else ''}",
        flush=True,
    )
    return {
        "measure": m,
        "value": value,
        "goal": goal,
        "ratio": None if value is None else value / goal,
    }


def _header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'what':<64} {'figure':>10} {'CPU s':>7} {'peak MB':>8} {'goal':>8} {'x goal':>7}")


def _pages(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=int(os.environ.get("BENCH_ROWS", 4_000_000)),
        help="detainers in the big store (default 4,000,000, or BENCH_ROWS)",
    )
    parser.add_argument(
        "--publish-big", action="store_true", help="also publish the big store's static site"
    )
    args = parser.parse_args(argv)
    results: dict[str, dict] = {}
    tmp = Path(tempfile.mkdtemp(prefix="dw-bench-waits-"))
    # an empty cache folder for the children (compiled templates, chart PNGs)
    env = {"DETAINERWATCH_CACHE_DIR": str(tmp / "cache")}
    try:
        precompile()
        demo = demo_store()
        _header(f"commands on the demo store ({demo.name}, 32,757 detainers), start-up included")
        lists = sorted(DOJ_LIST.glob("*.csv"))
        rows = [
            (
                "report --all --out, first run (empty cache)",
                ["report", "--all", "--out", str(tmp / "r")],
            ),
            (
                "report --all --out, repeat (charts, map, PNGs)",
                ["report", "--all", "--out", str(tmp / "r2")],
            ),
            ("report (latest week) --out", ["report", "--out", str(tmp / "w")]),
            (
                "profile 'Philadelphia, PA' --out",
                ["profile", "Philadelphia, PA", "--out", str(tmp / "p")],
            ),
            ("profile of a misspelt name (fails)", ["profile", "Philadelfia, PA"]),
            ("audit (DOJ list of 2025-08-05)", ["audit", str(lists[0]), "--out", str(tmp / "a")]),
            ("query 'SELECT count(*) ...'", ["query", "SELECT count(*) FROM detainers"]),
            ("policies list", ["policies", "list"]),
        ]
        for name, argv_ in rows:
            if name.startswith("profile of a misspelt"):  # exits 2 by design: time it anyway
                cmd = " ".join(shlex.quote(a) for a in _cmd(demo, *argv_))
                m = measure(name, [f"{cmd}; test $? -eq 2"], shell=True, env=env)
                m.note = m.note or "exits 2 with a suggestion, as it should"
            else:
                m = measure(name, _cmd(demo, *argv_), env=env)
            results[f"demo {name}"] = _row(m, 1.0)
        if EVAL_SET.exists():
            lines = EVAL_SET.read_text(encoding="utf-8").splitlines()
            one = tmp / "one.csv"
            one.write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
            none = tmp / "no-store.duckdb"  # resolve without a store: no facility dictionary
            n = f"{len(lines) - 1:,} rows"
            # with the store: `ingest` keeps the store's facility dictionary beside the store
            # (link/dictcache.py), so the first resolve after an ingest reads it ("after
            # ingest": the file removed, then written here as ingest writes it, untimed); a
            # store written since (its file's time moved on, as any write moves it) opens the
            # store to compare its facility lists and reuses the kept entries ("written
            # since"); a dictionary removed is built again ("builds dictionary"); a repeat
            # reads it back
            kept = dictcache_path(demo)
            for name, db, path, goal, state in (
                ("resolve of one row, no store", none, one, 0.6, ""),
                (f"resolve of {n}, no store", none, EVAL_SET, 3.0, ""),
                (
                    "resolve of one row, demo store, first run after ingest",
                    demo,
                    one,
                    0.6,
                    "ingested",
                ),
                (
                    "resolve of one row, demo store, written since (lists unchanged)",
                    demo,
                    one,
                    0.6,
                    "written",
                ),
                (
                    "resolve of one row, demo store, builds dictionary",
                    demo,
                    one,
                    0.6,
                    "removed",
                ),
                ("resolve of one row, demo store, repeat (kept dictionary)", demo, one, 0.6, ""),
                (
                    f"resolve of {n}, demo store, first run after ingest",
                    demo,
                    EVAL_SET,
                    3.0,
                    "ingested",
                ),
                (f"resolve of {n}, demo store, builds dictionary", demo, EVAL_SET, 3.0, "removed"),
                (f"resolve of {n}, demo store, repeat", demo, EVAL_SET, 3.0, ""),
            ):
                if state:
                    kept.unlink(missing_ok=True)
                if state in ("ingested", "written"):
                    keep_dictionary(demo)
                if state == "written":
                    st = demo.stat()
                    os.utime(demo, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
                m = measure(name, _cmd(db, "resolve", str(path)), env=env)
                results[f"demo {name}"] = _row(m, goal)
        site = tmp / "site"
        m = measure(
            "publish --out (static site)", _cmd(demo, "publish", "--out", str(site)), env=env
        )
        pages = _pages(site) if site.exists() else 0
        m.note = f"{pages} pages, {m.seconds or 0:.1f} s in all"
        results["demo publish per page"] = _row(m, 0.050, unit="ms", per=max(pages, 1))

        big = national_store(args.rows)
        _header(f"reports on a generated store of {args.rows:,} detainers, start-up included")
        for name, argv_, goal in (
            ("weekly report --out, first run", ["report", "--out", str(tmp / "bw")], 1.0),
            ("weekly report --out, repeat", ["report", "--out", str(tmp / "bw2")], 1.0),
            ("report --all --out, first run", ["report", "--all", "--out", str(tmp / "ba")], 3.0),
            ("report --all --out, repeat", ["report", "--all", "--out", str(tmp / "ba2")], 3.0),
        ):
            m = measure(name, _cmd(big, *argv_), env=env)
            if m.peak_mb is not None:
                m.note = f"peak {'<=' if m.peak_mb <= GIB_MB else '>'} 1 GiB"
            results[f"big {name}"] = _row(m, goal)
        if args.publish_big:
            site = tmp / "bigsite"
            m = measure(
                "publish --out (static site)", _cmd(big, "publish", "--out", str(site)), env=env
            )
            pages = _pages(site) if site.exists() else 0
            m.note = f"{pages} pages"
            results["big publish per page"] = _row(m, 0.050, unit="ms", per=max(pages, 1))
        if args.rows != 4_000_000:
            print(
                f"  (goals are set for 4,000,000 detainers; this store has {args.rows:,}: "
                "query time grows about linearly with rows, start-up and charts do not)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("saved", save("waits", {"rows": args.rows, "results": results}))


if __name__ == "__main__":
    main(sys.argv[1:])
