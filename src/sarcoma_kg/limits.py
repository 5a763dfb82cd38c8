"""Time limits and Ctrl-C for work done inside Oxigraph, which runs in Rust and never looks at Python signals.

A query on the embedded store is one call into pyoxigraph: while it runs, Python's SIGINT handler cannot run
on that thread, so Ctrl-C was ignored until the query ended (a cross product: never). pyoxigraph releases the
GIL while it evaluates, so :func:`run_limited` runs the work on a worker thread and waits for it on the calling
thread, where a signal interrupts the wait at once and a deadline can be kept. A stopped call is abandoned: the
worker is a daemon thread that finishes (or dies with the process) on its own; its result is discarded, and
since it writes nothing, previous outputs are untouched. The CLI exits right after, which ends it.

Starting a thread costs about 3 ms on this machine (``Thread.start`` waits for the new thread to run), more
than most stored queries take inside Oxigraph, so workers are kept: a finished worker waits for the next call,
and a call takes an idle worker or starts one. A worker abandoned by a timeout or Ctrl-C rejoins the idle ones
when its work ends. Handing work to a waiting worker costs tens of microseconds. ``make bench`` compares
``run_local`` with raw pyoxigraph.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import queue
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


class _Job:
    """One call's work and outcome; ``done`` is a lock held until the work has ended."""

    __slots__ = ("done", "error", "value", "work")

    def __init__(self, work: Callable[[], object]) -> None:
        self.work = work
        self.value: object = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()


class _Worker:
    """A daemon thread that runs one job at a time, handed over through its queue, and then idles in ``pool``."""

    def __init__(self, pool: _Pool) -> None:
        self.jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self.pool = pool
        threading.Thread(target=self._serve, name=WORKER_NAME, daemon=True).start()

    def _serve(self) -> None:
        _name_os_thread()
        while True:
            job = self.jobs.get()
            try:
                job.value = job.work()
            except BaseException as exc:  # handed to the waiting thread, which re-raises it
                job.error = _detached(exc)
            # Idle again before the caller wakes, so that its next call finds this worker instead of starting one.
            self.pool.give(self)
            job.done.release()
            del job  # the outcome is the caller's now


class _Pool:
    """The idle workers of this process."""

    def __init__(self) -> None:
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker(self)

    def give(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)


_POOL: _Pool | None = None


def _pool() -> _Pool:
    """The process's pool, made on first use; a forked child starts with an empty one (its parent's worker
    threads do not exist in the child)."""
    global _POOL
    if _POOL is None:
        _POOL = _Pool()
        os.register_at_fork(after_in_child=_forget_workers)
    return _POOL


def _forget_workers() -> None:
    global _POOL
    _POOL = _Pool() if _POOL is not None else None


def run_limited(work: Callable[[], T], *, timeout: float | None, what: str = "the query") -> T:
    """``work()`` on a worker thread: its result, or its exception re-raised here.

    ``QueryTimeout`` when it has not finished within ``timeout`` seconds (None: no limit);
    ``KeyboardInterrupt`` propagates at once when the calling (main) thread receives SIGINT, which interrupts
    the wait (a lock's acquire) and runs its handler here.
    """
    job = _Job(work)
    _pool().take().jobs.put(job)
    if not job.done.acquire(timeout=-1 if timeout is None else timeout):
        raise QueryTimeout(f"{what} did not finish within {timeout:g} s (raise --timeout to wait longer)")
    if job.error is not None:
        raise job.error
    return job.value  # type: ignore[return-value]
