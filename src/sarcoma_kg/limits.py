"""Time limits and Ctrl-C for work done inside Oxigraph, which runs in Rust and never looks at Python signals.

A query on the embedded store is one call into pyoxigraph: while it runs, Python's SIGINT handler cannot run
on that thread, so Ctrl-C was ignored until the query ended (a cross product: never). pyoxigraph releases the
GIL while it evaluates, so :func:`run_limited` runs the work on a worker thread and waits for it on the calling
thread, where a signal interrupts the wait at once and a deadline can be kept. A stopped call is abandoned: the
worker is a daemon thread that finishes (or dies with the process) on its own; its result is discarded, and
since it writes nothing, previous outputs are untouched. The CLI exits right after, which ends it.

Measured overhead: one thread start and join per query, about 0.1 ms (see ``make bench``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

from .errors import QueryTimeout

__all__ = ["WORKER_NAME", "run_limited"]

#: The worker's thread name, also given to the OS thread (Linux ``comm``), so ``top -H`` and tests can see it.
WORKER_NAME = "skg-query"

T = TypeVar("T")


def _detached(exc: BaseException) -> BaseException:
    """The exception without its tracebacks: their frames hold pyoxigraph objects, which may only be freed on
    the thread that made them (pyoxigraph aborts the process otherwise)."""
    seen = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return exc


def run_limited(work: Callable[[], T], *, timeout: float | None, what: str = "the query") -> T:
    """``work()`` on a worker thread: its result, or its exception re-raised here.

    ``QueryTimeout`` when it has not finished within ``timeout`` seconds (None: no limit);
    ``KeyboardInterrupt`` propagates at once when the calling (main) thread receives SIGINT.
    """
    outcome: dict[str, object] = {}
    done = threading.Event()

    def run() -> None:
        with contextlib.suppress(OSError), open(f"/proc/self/task/{threading.get_native_id()}/comm", "w") as comm:
            comm.write(WORKER_NAME)
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            outcome["error"] = _detached(exc)
        finally:
            done.set()

    worker = threading.Thread(target=run, name=WORKER_NAME, daemon=True)
    worker.start()
    if not done.wait(timeout):
        raise QueryTimeout(f"{what} did not finish within {timeout:g} s (raise --timeout to wait longer)")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
