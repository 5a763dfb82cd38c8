"""Progress bars for slow work: loads, imports and validations of cohort-sized inputs.

A thin wrapper over tqdm with the project's rules, so every caller behaves the same:

- bars go to standard error, never standard output (output stays pipeable: ``sarcoma-kg query ... > rows.csv``);
- they are off when standard error is not a terminal (logs, CI, tests and subprocess pipes stay clean);
- they appear only once the work has taken more than a second (``tqdm(delay=...)``), so quick commands print
  nothing extra.

Two shapes: ``progress(iterable, ...)`` for a loop (rows of a spreadsheet, shapes, queries), and
``task(...)`` for work done in a few blocking calls (Oxigraph parsing one large file), where a ticker thread keeps
the elapsed time moving while the call runs.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TextIO, TypeVar

from tqdm import tqdm

__all__ = ["DELAY_SECONDS", "Task", "enabled", "progress", "task"]

T = TypeVar("T")

DELAY_SECONDS = 1.0
"""Work shorter than this shows no bar at all."""

_TICK_SECONDS = 0.5


def enabled(stream: TextIO | None = None) -> bool:
    """Whether bars are shown: only when ``stream`` (standard error by default) is a terminal.

    >>> import io
    >>> enabled(io.StringIO())
    False
    """
    target = sys.stderr if stream is None else stream
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def _bar(desc: str, total: float | None, unit: str, leave: bool) -> tqdm:
    bytes_unit = unit == "B"
    return tqdm(
        total=total,
        desc=desc,
        unit=unit,
        unit_scale=bytes_unit,
        unit_divisor=1024 if bytes_unit else 1000,
        file=sys.stderr,
        disable=not enabled(),
        delay=DELAY_SECONDS,
        leave=leave,
        dynamic_ncols=True,
    )


def progress(
    iterable: Iterable[T],
    *,
    desc: str,
    total: int | None = None,
    unit: str = "it",
    leave: bool = False,
) -> Iterator[T]:
    """Iterate over ``iterable`` with a bar on standard error (see the module's rules).

    ``total`` defaults to ``len(iterable)`` where it has one. The bar is removed when done unless ``leave``.

    >>> list(progress(range(3), desc="counting"))
    [0, 1, 2]
    """
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    bar = _bar(desc, total, unit, leave)
    try:
        for item in iterable:
            yield item
            bar.update(1)
    finally:
        bar.close()


class Task:
    """A bar for work done in a few blocking steps; ``update(n)`` reports progress, from any thread."""

    def __init__(self, bar: tqdm) -> None:
        self._bar = bar
        self._lock = threading.Lock()

    def update(self, n: float = 1) -> None:
        """Advance by ``n`` units (bytes, rows, files...)."""
        with self._lock:
            self._bar.update(n)

    def describe(self, desc: str) -> None:
        """Change the label, e.g. to the file being parsed."""
        with self._lock:
            self._bar.set_description_str(desc, refresh=False)

    def _tick(self) -> None:
        with self._lock:
            self._bar.update(0)  # redraws (elapsed time) once the delay has passed, without counting


@contextmanager
def task(desc: str, *, total: float | None = None, unit: str = "it", leave: bool = False) -> Iterator[Task]:
    """A bar for blocking work: the elapsed time keeps moving while a long call runs.

    >>> with task("parsing", total=2, unit="file") as bar:
    ...     bar.update(2)
    """
    bar = _bar(desc, total, unit, leave)
    handle = Task(bar)
    stop = threading.Event()
    ticker = None
    if not bar.disable:

        def tick() -> None:
            while not stop.wait(_TICK_SECONDS):
                handle._tick()

        ticker = threading.Thread(target=tick, name="sarcoma-kg-progress", daemon=True)
        ticker.start()
    try:
        yield handle
    finally:
        stop.set()
        if ticker is not None:
            ticker.join()
        bar.close()
