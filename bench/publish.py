"""`publish` of a static site: seconds per page written, pages fetched by one process and by
several (web/site_crawl.py), in the same run. Goal (issue 16): <= 50 ms per page written.

Each build is a child process (`detainerwatch publish --out`, start-up and the SQLite export
included), with the file of finished pages beside the store (STORE.webcache) deleted first, so
every page is computed; a last build with that file kept shows what a second publish (or one
after `serve` has prepared the pages) costs. The sites are compared byte for byte. Stores: the
demo store (`make demo`) and, with `--rows N`, a generated national store (bench/national.py).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .harness import measure, save
from .national import national_store
from .waits import DETAINERWATCH, _pages, demo_store

GOAL_S = 0.050


def _drop_cache(db: Path) -> None:
    from detainerwatch.publish.diskcache import cache_path

    for suffix in ("", "-wal", "-shm"):
        Path(str(cache_path(db)) + suffix).unlink(missing_ok=True)


def _files(site: Path) -> list[Path]:
    return sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())


def _same(a: Path, b: Path) -> bool:
    files = _files(a)
    if files != _files(b):
        return False
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in files)


def _one_store(name: str, db: Path, workers: int, tmp: Path, results: dict) -> None:
    print(f"publish of {name}: per page written (goal {GOAL_S * 1000:.0f} ms), start-up included")
    print(
        f"  {'build':<34} {'pages':>6} {'wall s':>8} {'cpu s':>7} {'ms/page':>8} {'/goal':>6} "
        f"{'cpu ms/page':>11} {'files':>6} {'ms/file':>8}"
    )
    sites = {}
    for label, n, fresh in (
        ("one process", 1, True),
        (f"{workers} worker processes", workers, True),
        (f"{workers} workers, pages kept", workers, False),
    ):
        if fresh:
            _drop_cache(db)
        site = tmp / f"{name}-{label.replace(' ', '_')}"
        env = {**os.environ, "DETAINERWATCH_PUBLISH_WORKERS": str(n)}
        m = measure(label, [DETAINERWATCH, "--db", str(db), "publish", "--out", str(site)], env=env)
        pages = _pages(site)  # HTML pages, as bench/waits.py counts them
        files = len(_files(site))  # every file written: pages, API answers, downloads, static
        per = (m.seconds or 0) / max(pages, 1)
        cpu = "-" if m.cpu_seconds is None else f"{m.cpu_seconds:.1f}"
        cpu_page = "-" if m.cpu_seconds is None else f"{m.cpu_seconds / max(pages, 1) * 1000:.1f}"
        print(
            f"  {label:<34} {pages:>6} {m.seconds or 0:>8.1f} {cpu:>7} {per * 1000:>8.1f} "
            f"{per / GOAL_S:>6.2f} {cpu_page:>11} {files:>6} "
            f"{(m.seconds or 0) / max(files, 1) * 1000:>8.1f}",
            flush=True,
        )
        results[f"{name} {label}"] = {
            "pages": pages,
            "files": files,
            "seconds": m.seconds,
            "cpu_seconds": m.cpu_seconds,
            "per_page": per,
        }
        sites[label] = site
    labels = list(sites)
    same = all(_same(sites[labels[0]], sites[other]) for other in labels[1:])
    print(f"  the three sites byte for byte the same: {same}")
    results[f"{name} identical"] = same


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=0, help="also a national store of N rows")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-demo", action="store_true")
    args = parser.parse_args(argv)
    results: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="dw-bench-publish-"))
    try:
        if not args.no_demo:
            _one_store("the demo store", demo_store(), args.workers, tmp, results)
        if args.rows:
            db = national_store(args.rows)
            _one_store(f"a store of {args.rows:,} detainers", db, args.workers, tmp, results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("saved", save("publish", results))


if __name__ == "__main__":
    main(sys.argv[1:])
