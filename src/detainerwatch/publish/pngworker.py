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
the chart it is drawing. Nor does the command wait on a helper that hangs: after
HELPER_TIMEOUT seconds without progress it kills the helper and draws the charts itself, and
interrupted while it waits (Ctrl-C) it kills the helper before it goes.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
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


# Seconds the command waits for the helper to take a batch or to answer, with no progress,
# before it kills the helper and draws the charts itself (the helper normally takes ~0.2 s).
HELPER_TIMEOUT = 30.0


def _ready(fd: int, event: int, timeout: float | None) -> None:
    """Wait until ``fd`` can be read or written (``event``), or raise TimeoutError after
    ``timeout`` seconds (None: no limit)."""
    poller = select.poll()
    poller.register(fd, event | select.POLLERR | select.POLLHUP)
    if not poller.poll(None if timeout is None else max(0, int(timeout * 1000))):
        raise TimeoutError("the PNG helper made no progress")


def _read_exactly(fd: int, size: int, timeout: float | None = None) -> bytes | None:
    """``size`` bytes from ``fd``, or None at its end; with ``timeout`` (the fd non-blocking)
    TimeoutError after that long without a byte."""
    parts, left = [], size
    while left:
        try:
            chunk = os.read(fd, min(left, 1 << 20))
        except BlockingIOError:
            _ready(fd, select.POLLIN, timeout)
            continue
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _read_message(fd: int, timeout: float | None = None) -> object | None:
    head = _read_exactly(fd, _LENGTH.size, timeout)
    if head is None:
        return None
    body = _read_exactly(fd, _LENGTH.unpack(head)[0], timeout)
    return None if body is None else pickle.loads(body)


def _write_message(fd: int, value: object, timeout: float | None = None) -> None:
    """One message on ``fd``; with ``timeout`` (the fd non-blocking) TimeoutError after that long
    without the reader taking a byte."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LENGTH.pack(len(data)) + data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            _ready(fd, select.POLLOUT, timeout)


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
        os.set_blocking(jobs, False)  # waits on the helper are bounded (HELPER_TIMEOUT)
        os.set_blocking(results, False)

    def send(self, batch: list[tuple[str, float]]) -> bool:
        if self.sent is not None:
            return False
        try:
            _write_message(self.jobs, batch, HELPER_TIMEOUT)
            ok = True
        except TimeoutError:  # the helper hangs: the command draws its charts itself
            self._kill()
            ok = False
        except OSError:  # the helper died: the command draws its charts itself
            ok = False
        except BaseException:  # interrupted (Ctrl-C) while waiting on the helper
            self._abandon(self.jobs, self.results)
            raise
        os.close(self.jobs)
        self.sent = batch if ok else []
        return ok

    def answers(self) -> list[bytes | None]:
        """One PNG or None (draw it yourself) per chart sent; waits for the helper, at most
        HELPER_TIMEOUT seconds without progress (then it is killed)."""
        sent = self.sent or []
        got: object = None
        try:
            got = _read_message(self.results, HELPER_TIMEOUT) if sent else None
        except TimeoutError:
            self._kill()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError):
            pass
        except BaseException:  # interrupted (Ctrl-C) while waiting on the helper
            self._abandon(self.results)
            raise
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

    def _abandon(self, *fds: int) -> None:
        """The command was interrupted while it waited: the helper ignores Ctrl-C and may be
        the one that hangs (then it would outlive the command), so it is killed and reaped and
        the pipes still open are closed."""
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._kill()

    def _kill(self) -> None:
        """End a helper that hangs, and reap it (SIGKILL ends a stopped process too)."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
        self._reap(wait=True)

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
