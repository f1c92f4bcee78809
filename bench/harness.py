"""Measuring commands: wall time and peak resident memory of a child process, in one run."""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CACHE = HERE / "cache"


@dataclass
class Measure:
    name: str
    seconds: float | None
    peak_mb: float | None
    note: str = ""


def measure(name: str, argv: list[str], *, timeout: float = 1800, shell: bool = False,
            env: dict | None = None) -> Measure:
    """Run argv as a child; wall seconds and its peak RSS (from wait4's rusage)."""
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, shell=shell, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    except FileNotFoundError as exc:
        return Measure(name, None, None, f"skipped: {exc}")
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return Measure(name, None, None, f"timed out after {timeout:.0f} s")
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        return Measure(name, None, None, f"failed: {err.splitlines()[-1] if err else status}")
    return Measure(name, seconds, usage.ru_maxrss / 1024)


def python_snippet(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None


def print_table(title: str, rows: list[Measure], *, floor: str | None, ours: str | None) -> None:
    by = {m.name: m for m in rows}
    base = by.get(floor) if floor else None
    mine = by.get(ours) if ours else None
    print(f"\n{title}")
    print(f"  {'what':<44} {'seconds':>9} {'peak MB':>9} {'x floor':>8} {'x detainerwatch':>16}")
    for m in rows:
        if m.seconds is None:
            print(f"  {m.name:<44} {'-':>9} {'-':>9} {'-':>8} {'-':>16}  {m.note}")
            continue
        xf = f"{m.seconds / base.seconds:.2f}" if base and base.seconds else "-"
        xo = f"{m.seconds / mine.seconds:.2f}" if mine and mine.seconds else "-"
        print(f"  {m.name:<44} {m.seconds:>9.2f} {m.peak_mb:>9.0f} {xf:>8} {xo:>16}  {m.note}")


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    payload = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                           "platform": platform.platform()}, **payload}
    path.write_text(json.dumps(payload, indent=1, default=lambda o: asdict(o)))
    return path
