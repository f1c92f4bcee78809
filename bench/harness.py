"""Measuring commands: wall time, CPU time (user + system) and peak resident memory of a child
process and the processes it waited for, in one run."""

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
PACKAGE = HERE.parent / "src" / "detainerwatch"
# What decides a store's contents: the code that reads files and writes the store, the hand
# files and reference data it reads, the bench's own generator, and DuckDB's version.
# (derive/summary.py: the report's summary tables, made by every ingest.)
STORE_CODE = [
    "sources",
    "store",
    "link",
    "derive",
    "hand",
    "data",
    "pipeline.py",
    "synth.py",
    "derive/summary.py",
]


def store_code_stamp() -> str:
    """A short digest of every file that decides what a built store holds (STORE_CODE, the
    bench's national.py, DuckDB's version), by content: a store the bench built is reused only
    while this is unchanged, never one left by older code (last session a demo store left from
    an earlier run measured 2-3x slower than one built fresh)."""
    import hashlib

    import duckdb

    digest = hashlib.sha256(duckdb.__version__.encode())
    files = [HERE / "national.py"]
    for name in STORE_CODE:
        path = PACKAGE / name
        files.extend(sorted(path.rglob("*")) if path.is_dir() else [path])
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".so"):
            digest.update(str(f.relative_to(HERE.parent)).encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class Measure:
    name: str
    seconds: float | None
    peak_mb: float | None
    note: str = ""
    cpu_seconds: float | None = None  # user + system, the child and what it waited for


def measure(
    name: str,
    argv: list[str],
    *,
    timeout: float = 1800,
    shell: bool = False,
    env: dict | None = None,
) -> Measure:
    """Run argv as a child; wall seconds, CPU seconds and peak RSS (from wait4's rusage, which
    on Linux covers the child and the descendants it waited for, e.g. a shell's pipeline)."""
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            argv,
            shell=shell,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
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
    return Measure(
        name, seconds, usage.ru_maxrss / 1024, cpu_seconds=usage.ru_utime + usage.ru_stime
    )


def python_snippet(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None


def print_table(
    title: str,
    rows: list[Measure],
    *,
    floor: str | None,
    ours: str | None,
    cpu_base: str | None = None,
    cpu_label: str | None = None,
) -> None:
    """Wall, CPU and peak per row; wall against the floor and against ours; CPU against
    cpu_base (when given)."""
    by = {m.name: m for m in rows}
    base = by.get(floor) if floor else None
    mine = by.get(ours) if ours else None
    cbase = by.get(cpu_base) if cpu_base else None
    ratio = lambda a, b: f"{a / b:.2f}" if a is not None and b else "-"  # noqa: E731
    cpu_head = f"CPU x {cpu_label or cpu_base.split(',')[0]}" if cpu_base else ""
    print(f"\n{title}")
    print(
        f"  {'what':<50} {'wall s':>8} {'CPU s':>8} {'peak MB':>8} {'wall x floor':>12} "
        f"{'wall x ours':>11} {cpu_head:>14}"
    )
    for m in rows:
        if m.seconds is None:
            print(
                f"  {m.name:<50} {'-':>8} {'-':>8} {'-':>8} {'-':>12} {'-':>11} "
                f"{'-' if cbase else '':>14}  {m.note}"
            )
            continue
        cpu = f"{m.cpu_seconds:.2f}" if m.cpu_seconds is not None else "-"
        xc = ratio(m.cpu_seconds, cbase.cpu_seconds) if cbase else ""
        print(
            f"  {m.name:<50} {m.seconds:>8.2f} {cpu:>8} {m.peak_mb:>8.0f} "
            f"{ratio(m.seconds, base.seconds if base else None):>12} "
            f"{ratio(m.seconds, mine.seconds if mine else None):>11} {xc:>14}  {m.note}"
        )


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    payload = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        **payload,
    }
    path.write_text(json.dumps(payload, indent=1, default=lambda o: asdict(o)))
    return path
