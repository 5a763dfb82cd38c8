"""Time limits and Ctrl-C for work done inside Oxigraph, which runs in Rust and never looks at Python signals.

A query on the embedded store is one call into pyoxigraph: while it runs, Python's SIGINT handler cannot run
on that thread, so Ctrl-C was ignored until the query ended (a cross product: never). pyoxigraph releases the
GIL while it evaluates, so :func:`run_limited` runs the work on a worker thread and waits for it on the calling
thread, where a signal interrupts the wait at once and a deadline can be kept. A stopped call is abandoned: the
worker is a daemon thread that finishes (or dies with the process) on its own; its result is discarded, and
since it writes nothing, previous outputs are untouched. The CLI exits right after, which ends it.

Measured overhead: a thread start, naming and wake-up per query, about 0.5 ms on this machine; on a stored query
of the built graph (about 2 ms) it is within noise. ``make bench`` compares ``run_local`` with raw pyoxigraph.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

from .errors import QueryTimeout

__all__ = ["WORKER_NAME", "run_limited"]

#: The worker's thread name, also given to the OS thread (Linux ``comm``), so ``top -H`` and tests can see it.
WORKER_NAME = "skg-query"

T = TypeVar("T")


@functools.cache
def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(None, use_errno=True).prctl
    return None


def _name_os_thread() -> None:
    """Give the calling OS thread the worker's name (Linux ``PR_SET_NAME``: one system call, no file I/O)."""
    prctl = _prctl()
    if prctl is not None:
        prctl(15, WORKER_NAME.encode(), 0, 0, 0)  # PR_SET_NAME


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
        _name_os_thread()
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
