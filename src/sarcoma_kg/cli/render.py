"""Shared pieces of the CLI: aligned tables for a terminal, and options several commands take."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import click
from tabulate import tabulate

from ..build import INFERRED_FILE, MANIFEST_FILE
from ..paths import DEFAULT_BUILD_DIR

__all__ = [
    "allow_empty_option",
    "build_dir_option",
    "extra_data_option",
    "ontology_option",
    "output_path",
    "source_options",
    "table",
]


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
    help=f"Where a current {INFERRED_FILE} is reused from (current: {MANIFEST_FILE} records these inputs' "
    "digests; else the graph is reasoned in memory).",
)

ontology_option = click.option(
    "--ontology",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ontology file to use instead of the packaged one.",
)
_data_option = click.option(
    "--data",
    "data",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Knowledge-base file(s) to use instead of the packaged data/ (repeatable).",
)


def source_options(command: Callable) -> Callable:
    """``--ontology``, ``--data`` and ``--build-dir``, the same on every command that reads the graph.

    The command receives ``ontology`` (Path or None), ``data`` (tuple of Paths, empty for the packaged data)
    and ``build_dir``; the build directory is used only when it is a build of exactly these inputs.
    """
    return ontology_option(_data_option(build_dir_option(command)))


#: ``--allow-empty``: an empty result replaces the previous output only when asked.
allow_empty_option = click.option(
    "--allow-empty",
    is_flag=True,
    help="Write the output even when the result is empty (default: refuse, keep the previous file).",
)


def _output_path(ctx: click.Context, param: click.Parameter, value: str | None) -> Path | None:
    if value is None:
        return None
    if not value.strip():
        raise click.BadParameter("the output path is empty: give a file name ('-' for standard output)")
    return Path(value)


def output_path(*names: str, **kwargs) -> Callable:
    """An ``-o`` option: a non-empty path (``''`` is a usage error, not the current directory)."""
    return click.option(*names, type=str, callback=_output_path, **kwargs)


#: ``--data`` on the commands that read the built graph plus extra files (query, show): the files are added.
extra_data_option = click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Extra RDF file(s) to add to the built graph (repeatable), e.g. imported cases.",
)
