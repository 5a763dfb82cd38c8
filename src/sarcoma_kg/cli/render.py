"""Shared renderings for the CLI: aligned tables for a terminal, and option helpers."""

from __future__ import annotations

from collections.abc import Sequence

from tabulate import tabulate

__all__ = ["table"]


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned plain-text table (empty cells for missing values)."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    return tabulate(cells, headers=list(columns), tablefmt="simple", disable_numparse=True)
