"""Work done in a thread of its own, a bounded queue ahead of the consumer.

A reader's next batch is made (inflated, scanned, parsed, typed: C code, Arrow and DuckDB,
which release the GIL) while its consumer works on the one it holds, so the two overlap instead
of taking turns. The consumer sees the same items in the same order, and the exception
the work raised at the point it would have met it doing the work in its own thread. When the
consumer stops early (an error of its own, Ctrl-C, the generator closed) the worker stops at its
next item (its reader closed, files closed) and the thread is joined before the consumer goes on.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

_END = object()


class _Stopped(Exception):
    """The consumer went away: the worker unwinds at its next emit."""


def ahead(
    work: Callable[[Callable[[Any], None]], None], name: str, depth: int = 1
) -> Generator[Any, None, None]:
    """Run work(emit) in a thread; yield what it emits, at most ``depth`` items ahead of the
    one the consumer holds, then re-raise (here) what it raised."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def emit(item: object) -> None:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped()

    def run() -> None:
        try:
            work(emit)
            emit(_END)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consumer, who raises it
            try:
                emit(exc)
            except _Stopped:
                return

    thread = threading.Thread(target=run, daemon=True, name=name)
    try:
        # A Ctrl-C while start() waits for the new thread would otherwise leave before this
        # try, the thread never stopped: at exit it was still in DuckDB and the process aborted.
        with deferred_sigint():
            thread.start()
        while True:
            try:
                item = q.get(timeout=0.5)
            except queue.Empty:
                if thread.is_alive():
                    continue
                try:  # put just before the thread ended
                    item = q.get_nowait()
                except queue.Empty:  # it died without a word (out of memory putting it)
                    raise RuntimeError(f"{name}: the thread ended without its result") from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item  # the consumer's reference is the only one left
    finally:
        stop.set()
        with deferred_sigint():  # a second Ctrl-C waits until the thread is joined
            while thread.is_alive():
                try:
                    q.get_nowait()
                except queue.Empty:
                    thread.join(0.05)


@contextlib.contextmanager
def deferred_sigint() -> Iterator[None]:
    """A Ctrl-C within the block is raised as KeyboardInterrupt when it ends, not inside it:
    for the few steps that start or stop a thread, which must not be cut in two. Off the main
    thread, or when SIGINT has no Python handler, nothing changes (no KeyboardInterrupt can
    come there)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):  # SIG_IGN, SIG_DFL: no KeyboardInterrupt to defer
        yield
        return
    caught: list[tuple[int, Any]] = []
    signal.signal(signal.SIGINT, lambda signum, frame: caught.append((signum, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        for signum, frame in caught:  # each press, as the handler would have met it
            previous(signum, frame)  # (the default raises KeyboardInterrupt at the first)


def read_ahead(
    batches: Callable[[], Iterator[T]], name: str = "dw-read-ahead", depth: int = 1
) -> Generator[T, None, None]:
    """Yield what batches() yields, made in a worker thread (ahead above); the reader is
    closed (its files with it) in the thread that read them."""

    def work(emit: Callable[[Any], None]) -> None:
        it = batches()
        try:
            for batch in it:
                emit(batch)
                del batch  # the queue's reference is the only one
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    return ahead(work, name, depth)
