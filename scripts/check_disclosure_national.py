"""The issue's national disclosure check, by hand: a synthetic 2026-layout release of 200,000 rows
added to the demo store, its outputs (report folders, profiles, the SQLite export, saved API
answers, the static site), and check-disclosure over all of them, each step timed.

    .venv/bin/python scripts/check_disclosure_national.py DEMO_STORE WORK_DIR [--rows N]

Too slow for the test suite (about 10 minutes on a loaded machine); the suite runs the same
check on 20,000 rows (tests/test_disclosure.py)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import run  # noqa: E402
from test_disclosure import _publish_all  # noqa: E402

from detainerwatch.synth import synthesize  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("demo_store", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db, out = args.work / "national.duckdb", args.work / "out"
    shutil.copy(args.demo_store, db)
    shutil.rmtree(out, ignore_errors=True)

    def step(name: str, call: Callable[[], Any]) -> Any:
        t = time.perf_counter()
        result = call()
        print(f"{name}: {time.perf_counter() - t:.1f} s", flush=True)
        return result

    step("synth", lambda: synthesize("2026", args.rows, args.work / "n.xlsx", seed=11))
    for name, call in (
        ("ingest", lambda: run(db, "ingest", "--quiet", args.work / "n.xlsx")),
        ("outputs", lambda: _publish_all(db, out)),
        ("static site", lambda: run(db, "publish", "--out", out / "site")),
    ):
        done = step(name, call)
        if done is not None and done.exit_code != 0:
            print(done.output[-3000:])
            return 2
    result = step("check-disclosure", lambda: run(db, "check-disclosure", out))
    print(result.output[-3000:])
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
