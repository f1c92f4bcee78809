"""Ctrl-C that reaches DuckDB while it runs a statement on several threads.

DuckDB's Python client notices a pending SIGINT only when the thread that called ``execute``
checks for signals between its own tasks. With more than one DuckDB thread that thread can
wait on the others for seconds, and a Ctrl-C during a statement was missed in about half the
runs (DuckDB 2.0.1: the statement ran on to its end). ``Interruptible`` closes that gap: the
signal's C handler writes its number to a pipe (``signal.set_wakeup_fd``), and a watcher thread
waiting on the pipe calls ``con.interrupt()``, which stops the running statement at once.
Python still raises KeyboardInterrupt in the main thread as before; the caller handles both.
"""

from __future__ import annotations

import os
import select
import signal
import threading
from types import TracebackType
from typing import Any

from ..sources.ahead import deferred_sigint


class Interruptible:
    """``with Interruptible(con) as watched:`` a SIGINT interrupts the statement ``con`` runs
    (once: a second Ctrl-C is Python's alone; every signal read is passed on to the wakeup fd
    set before). ``watched`` says whether the watcher is in place: only the main thread can set
    a wakeup fd (elsewhere it is False and the caller keeps to one DuckDB thread). ``stop()``
    takes it down, at once and whole, and may be called again: an ingest calls it before its
    ROLLBACK, since a KeyboardInterrupt can leave a ``with`` before its exit has run."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self._previous: int | None = None  # the wakeup fd before ours, while ours is set
        self._watcher: threading.Thread | None = None
        self._fds: tuple[int, int, int, int] | None = None

    def __enter__(self) -> bool:
        if threading.current_thread() is not threading.main_thread():
            return False
        # Set up whole: a Ctrl-C meanwhile is raised after (deferred_sigint), with stop() to
        # run by the caller's handler.
        with deferred_sigint():
            signals, wake = os.pipe()
            stop_read, stop_write = os.pipe()
            self._fds = (signals, wake, stop_read, stop_write)
            os.set_blocking(wake, False)
            try:
                self._previous = signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
            except ValueError:  # not the main interpreter's main thread
                self._close_fds()
                return False
            self._watcher = threading.Thread(
                target=self._watch, name="detainerwatch-sigint", daemon=True
            )
            self._watcher.start()
        return True

    def _watch(self) -> None:
        assert self._fds is not None
        signals, _, stop_read, _ = self._fds
        forward = self._previous  # whoever listened before (an event loop) still hears its own
        poller = select.poll()  # not select(): a descriptor past 1023 is refused there
        poller.register(signals, select.POLLIN)
        poller.register(stop_read, select.POLLIN)
        fired = False
        while True:
            ready = {fd for fd, _ in poller.poll()}
            if stop_read in ready:
                return
            data = os.read(signals, 64)
            _forward(forward, data)
            # Only a Ctrl-C that Python turns into KeyboardInterrupt stops the statement (a
            # handler of the caller's own, a graceful shutdown, decides for itself); once: a
            # second Ctrl-C is Python's alone (it reaches the ROLLBACK otherwise).
            if (
                not fired
                and signal.SIGINT in data
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler
            ):
                self.con.interrupt()
                fired = True

    def stop(self) -> None:
        with deferred_sigint():
            previous, self._previous = self._previous, None
            if previous is not None:
                signal.set_wakeup_fd(previous)
            if self._watcher is not None:
                if self._watcher.is_alive() and self._fds is not None:
                    os.write(self._fds[3], b"x")
                self._watcher.join()
                self._watcher = None
            if self._fds is not None:  # what came after the watcher's last read goes on too
                os.set_blocking(self._fds[0], False)
                try:
                    _forward(previous, os.read(self._fds[0], 4096))
                except OSError:  # nothing left (BlockingIOError)
                    pass
            self._close_fds()

    def _close_fds(self) -> None:
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _forward(fd: int | None, data: bytes) -> None:
    """Signal numbers read from the pipe, written on to the wakeup fd set before the watcher's
    (an event loop's): it still hears its own signals."""
    if fd is not None and fd >= 0 and data:
        try:
            os.write(fd, data)
        except OSError:
            pass
