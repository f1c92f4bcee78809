"""Ctrl-C that reaches DuckDB while it runs a statement on several threads.

DuckDB's Python client notices a pending SIGINT only when the thread that called ``execute``
checks for signals between its own tasks. With more than one DuckDB thread that thread can
wait on the others for seconds, and a Ctrl-C during a statement was missed in about half the
runs (DuckDB 2.0.1: the statement ran on to its end). ``interruptible`` closes that gap: the
signal's C handler writes its number to a pipe (``signal.set_wakeup_fd``), and a watcher thread
waiting on the pipe calls ``con.interrupt()``, which stops the running statement at once.
Python still raises KeyboardInterrupt in the main thread as before; the caller handles both.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def interruptible(con: Any) -> Iterator[bool]:
    """Within the block a SIGINT interrupts the statement ``con`` runs. Yields whether the
    watcher is in place: only the main thread can set a wakeup fd (elsewhere it yields False
    and the caller keeps to one DuckDB thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    signals, wake = os.pipe()
    stop_read, stop_write = os.pipe()
    os.set_blocking(wake, False)
    try:
        previous = signal.set_wakeup_fd(wake, warn_on_full_buffer=False)
    except ValueError:  # not the main interpreter's main thread
        for fd in (signals, wake, stop_read, stop_write):
            os.close(fd)
        yield False
        return

    def watch() -> None:
        while True:
            ready, _, _ = select.select([signals, stop_read], [], [])
            if stop_read in ready:
                return
            if signal.SIGINT in os.read(signals, 64):
                con.interrupt()

    watcher = threading.Thread(target=watch, name="detainerwatch-sigint", daemon=True)
    watcher.start()
    try:
        yield True
    finally:
        signal.set_wakeup_fd(previous)
        os.write(stop_write, b"x")
        watcher.join()
        for fd in (signals, wake, stop_read, stop_write):
            os.close(fd)
