"""A report's PNG charts rasterised by a helper process while the report is written (issue 16).

Rasterising a report's two charts (resvg, through vl-convert's `svg_to_png`) takes about 0.2 s
of one core on a first run (the cache folder keeps them after: publish/filecache.py), and holds
the GIL, so a thread gains nothing. A console `report` command forks this helper first thing,
before DuckDB is imported (no thread exists yet, so the fork is safe) and while the process is
small. The helper imports the rasteriser and draws a small text so its fonts are loaded, while
the command queries the store; then it waits for one batch of SVGs. The command sends the
charts it does not find in the cache folder as soon as their SVG is drawn, writes index.html,
report.json and the CSVs meanwhile, and collects the PNG bytes at the end. Same call, same
library, same arguments: the bytes are those of a PNG rasterised in the command itself.

Only from the console (not in tests' long processes, which run commands through click's
runner), with fork available, two cores or more, and no thread started. Whatever goes wrong
in the helper (it died, sent nothing, sent a bad answer) the command rasterises that chart
itself, as without a helper. The helper ignores Ctrl-C and ends when the command closes its
pipe (the command ended, or was interrupted), so it never outlives the command by more than
the chart it is drawing.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import sys
import threading
from collections.abc import Callable

_LENGTH = struct.Struct("<Q")
# the helper's first drawing: loads the rasteriser's fonts before a chart needs them
_WARM_UP = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="16">'
    '<text x="2" y="12" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" '
    'font-size="11">0</text></svg>'
)


def rasterise(svg: str, scale: float) -> bytes:
    """The one way a chart's PNG is made, in the command or in the helper."""
    import vl_convert as vlc

    return bytes(vlc.svg_to_png(svg, scale=scale))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _read_message(fd: int) -> object | None:
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(fd, _LENGTH.unpack(head)[0])
    return None if body is None else pickle.loads(body)


def _write_message(fd: int, value: object) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _serve(jobs: int, results: int) -> None:
    """The helper: warm up, read one batch of (svg, scale), answer with one PNG (or None) each."""
    with contextlib.suppress(Exception):  # the batch's own calls fail the same way: None
        rasterise(_WARM_UP, 1.0)
    batch = _read_message(jobs)
    if not isinstance(batch, list):
        return
    out: list[bytes | None] = []
    for svg, scale in batch:
        try:
            out.append(rasterise(svg, scale))
        except Exception:
            out.append(None)
    _write_message(results, out)


class Helper:
    """The command's side of one forked helper: one batch sent, its answers read once."""

    def __init__(self, pid: int, jobs: int, results: int) -> None:
        self.pid, self.jobs, self.results = pid, jobs, results
        self.sent: list[tuple[str, float]] | None = None

    def send(self, batch: list[tuple[str, float]]) -> bool:
        if self.sent is not None:
            return False
        try:
            _write_message(self.jobs, batch)
            ok = True
        except OSError:  # the helper died: the command draws its charts itself
            ok = False
        os.close(self.jobs)
        self.sent = batch if ok else []
        return ok

    def answers(self) -> list[bytes | None]:
        """One PNG or None (draw it yourself) per chart sent; waits for the helper."""
        sent = self.sent or []
        got: object = None
        try:
            got = _read_message(self.results) if sent else None
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            pass
        os.close(self.results)
        self._reap(wait=True)
        if not isinstance(got, list) or len(got) != len(sent):
            return [None] * len(sent)
        return [g if isinstance(g, bytes) else None for g in got]

    def close(self) -> None:
        """Let the helper go with nothing to draw: it ends on the closed pipe (not waited for:
        it may still be loading the rasteriser)."""
        if self.sent is None:
            self.sent = []
            os.close(self.jobs)
        os.close(self.results)
        self._reap(wait=False)

    def _reap(self, wait: bool) -> None:
        try:
            os.waitpid(self.pid, 0 if wait else os.WNOHANG)
        except ChildProcessError:
            pass


_helper: Helper | None = None


def start() -> None:
    """Fork the helper, when that is safe and can gain anything (see the module's text)."""
    global _helper
    if _helper is not None or not hasattr(os, "fork") or "duckdb" in sys.modules:
        return
    if threading.active_count() != 1 or _cores() < 2:
        return
    # A stream closed when the command started is None: nothing to flush, and no helper (the
    # command then draws its charts itself, as it did before the helper existed).
    if sys.stdout is None or sys.stderr is None:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a stream that cannot be written: no helper either
        return
    jobs_r, jobs_w = os.pipe()
    results_r, results_w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for fd in (jobs_r, jobs_w, results_r, results_w):
            os.close(fd)
        return
    if pid == 0:  # the helper: never returns into the command's code
        code = 0
        try:
            import signal

            signal.signal(signal.SIGINT, signal.SIG_IGN)
            os.close(jobs_w)
            os.close(results_r)
            _serve(jobs_r, results_w)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(jobs_r)
    os.close(results_w)
    _helper = Helper(pid, jobs_w, results_r)


def take() -> Helper | None:
    """The helper forked for this command, handed out once (None when there is none)."""
    global _helper
    helper, _helper = _helper, None
    return helper


def start_batch(missing: list[str], scale: float) -> Callable[[], list[bytes | None]]:
    """Send the charts' SVGs to the helper, when there is one. The function returned gives one
    PNG per SVG, in order, or None for a chart the helper did not draw (the caller rasterises
    it)."""
    helper = take()
    if helper is None:
        return lambda: [None] * len(missing)
    if not missing or not helper.send([(svg, scale) for svg in missing]):
        helper.close()
        return lambda: [None] * len(missing)
    return helper.answers
