"""`make bench`: every benchmark in one run. Each prints its ratios against the comparison it
is about and saves JSON under bench/results/ (ignored by git)."""

from __future__ import annotations

import argparse
import importlib

SUITES = ["ingest", "text", "queries", "waits", "attribution", "web", "publish"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="*", default=SUITES, help=f"any of {SUITES}")
    args = parser.parse_args()
    for name in args.suites:
        try:
            suite = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"\n[{name}] not present in this checkout; skipped")
                continue
            raise
        print(f"\n===== {name} =====", flush=True)
        suite.main([])


if __name__ == "__main__":
    main()
