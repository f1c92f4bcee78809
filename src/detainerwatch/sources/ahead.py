"""A reader's batches made in a thread of their own, a bounded queue ahead of the consumer.

The ingest's main thread types and inserts a batch (DuckDB and Arrow compute, which release the
GIL) while the worker reads the next (Arrow's CSV reader, numpy), so the two overlap instead of
taking turns. The consumer sees the same batches in the same order, and the exception the
reader raised, at the point it would have met it reading in its own thread. When the consumer
stops early (an error of its own, Ctrl-C, the generator closed) the worker stops at its next
batch, its reader is closed (files closed) and the thread is joined before the consumer goes on.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_END = object()


class _Stopped(Exception):
    """The consumer went away: the worker unwinds."""


def read_ahead(
    batches: Callable[[], Iterator[T]], name: str = "dw-read-ahead", depth: int = 1
) -> Generator[T, None, None]:
    """Yield what batches() yields, made in a worker thread at most ``depth`` batches ahead of
    the one the consumer holds; then re-raise (here) what the reader raised."""
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        raise _Stopped()

    def run() -> None:
        it = batches()
        try:
            for batch in it:
                put(batch)
                del batch  # the queue's reference is the only one
            put(_END)
        except _Stopped:
            return
        except BaseException as exc:  # handed to the consumer, who raises it
            try:
                put(exc)
            except _Stopped:
                return
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()  # the reader's files closed in the thread that read them

    thread = threading.Thread(target=run, daemon=True, name=name)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]  # anything else put is a batch (T)
            del item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.05)
