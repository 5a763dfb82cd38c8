"""Shared pieces of the CLI: aligned tables for a terminal, and options several commands take."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from tabulate import tabulate

from ..build import INFERRED_FILE
from ..paths import DEFAULT_BUILD_DIR

__all__ = ["build_dir_option", "table"]


def table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """An aligned plain-text table (empty cells for missing values)."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    return tabulate(cells, headers=list(columns), tablefmt="simple", disable_numparse=True)


#: ``--build-dir``: where a current reasoned release is reused from (else the graph is reasoned in memory).
build_dir_option = click.option(
    "--build-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BUILD_DIR,
    show_default=True,
    help=f"Where a current {INFERRED_FILE} is reused from (else the ontology is reasoned in memory).",
)
