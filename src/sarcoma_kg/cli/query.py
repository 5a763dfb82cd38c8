"""Commands on the stored queries: ``queries`` (the catalogue) and ``query`` (answer one, here or remotely)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..build import load_built_graph
from ..endpoint import run_remote, sent_text
from ..graph import StoreKind, load_files
from ..queries import (
    DEFAULT_TIMEOUT,
    QueryResult,
    ResultFormat,
    StoredQuery,
    adhoc_query,
    bind_params,
    catalogue_markdown,
    ensure_terms_in_graph,
    get_query,
    load_catalogue,
    run_local,
    serialize_result,
    table_rows,
    update_readme,
)
from .render import build_dir_option, extra_data_option, ontology_option, table

__all__ = ["COMMANDS"]

_CELL_WIDTH = 60


def _short(text: str, width: int) -> str:
    return text if width <= 0 or len(text) <= width else text[: width - 1] + "…"


def _render_table(result: QueryResult, *, max_rows: int = 0, width: int = _CELL_WIDTH) -> str:
    if result.boolean is not None:
        return "true" if result.boolean else "false"
    rows = table_rows(result)
    shown = rows[:max_rows] if max_rows > 0 else rows
    text = table(result.columns, [[_short(cell, width) for cell in row] for row in shown])
    more = f"\n... {len(rows) - len(shown)} more row(s)" if len(shown) < len(rows) else ""
    return f"{text}{more}\n({len(rows)} row{'s' if len(rows) != 1 else ''})"


def _param_values(items: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--param wants NAME=VALUE, not '{item}'")
        if name.strip() in values:
            raise click.UsageError(f"--param {name.strip()} is given twice: give each parameter once")
        values[name.strip()] = value
    return values


@click.command("queries")
@click.option("--markdown", is_flag=True, help="Print the catalogue as the README's Markdown table.")
@click.option(
    "--write-readme",
    "readme",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Rewrite the catalogue between the query-catalogue markers of this README.",
)
@click.option("--run", "run_all", is_flag=True, help="Answer every stored query (defaults) and show short tables.")
@click.option(
    "--max-rows",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="With --run: rows shown per query (0 = all).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="With --run: seconds each query may take.",
)
@ontology_option
@build_dir_option
def queries_command(
    markdown: bool,
    readme: Path | None,
    run_all: bool,
    max_rows: int,
    timeout: float,
    ontology: Path | None,
    build_dir: Path,
) -> None:
    """List the stored queries: name, summary and parameters (with their defaults).

    Example: sarcoma-kg queries --run --max-rows 3
    """
    catalogue = load_catalogue()
    if readme is not None:
        current = update_readme(readme, catalogue=catalogue)
        click.echo(f"{readme}: query catalogue {'already current' if current else 'rewritten'}")
        return
    if markdown:
        click.echo(catalogue_markdown(catalogue), nl=False)
        return
    if run_all:
        graph = load_built_graph(build_dir, ontology=ontology)
        for query in catalogue:
            result = run_local(graph, query.text, bind_params(query), timeout=timeout)
            click.echo(f"== {query.name}: {query.summary}")
            click.echo(_render_table(result, max_rows=max_rows) + "\n")
        return
    rows = [[q.name, q.summary, " ".join(f"{p.name}={p.default}" for p in q.params)] for q in catalogue]
    click.echo(table(["name", "summary", "params (defaults)"], rows))


def _select_query(query: str | None, query_text: str | None) -> StoredQuery:
    if query_text is not None and query is not None:
        raise click.UsageError("give a stored query NAME, a FILE.rq or --query-text, not several")
    if query_text is not None:
        return adhoc_query(query_text)
    if query is None or query == "-":
        stdin = sys.stdin
        if query is None and stdin.isatty():
            raise click.UsageError("give a stored query NAME, a FILE.rq, --query-text or '-' to read standard input")
        return adhoc_query(stdin.read(), name="<stdin>")
    return get_query(query)


@click.command("query")
@click.argument("query", required=False, metavar="[NAME|FILE.rq|-]")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="A parameter value (repeatable); CURIEs such as sarc:KaposiSarcoma are expanded.",
)
@click.option("--query-text", help="Ad-hoc SPARQL (SELECT or ASK); the project prefixes are predeclared.")
@extra_data_option
@click.option("--endpoint", metavar="URL", help="Run on this SPARQL 1.1 endpoint instead of the built graph.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds the query may take, on the built graph or the endpoint (Ctrl-C stops it too).",
)
@click.option(
    "--allow-service",
    "allow_service",
    multiple=True,
    metavar="URL",
    help="Let SERVICE clauses call this endpoint (repeatable); without it federated queries are refused.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ResultFormat]),
    default="table",
    show_default=True,
    help="table for a terminal; csv, tsv, json are the W3C SPARQL 1.1 results formats.",
)
@click.option(
    "--show",
    is_flag=True,
    help="Print the query text with its parameters bound, exactly as sent to an endpoint, and run nothing.",
)
@ontology_option
@build_dir_option
@click.option(
    "--store",
    type=click.Choice([s.value for s in StoreKind]),
    default=StoreKind.OXIGRAPH.value,
    show_default=True,
    help="Embedded store: Oxigraph (fast), or rdflib's in-memory store and SPARQL engine, for comparison.",
)
def query_command(
    query: str | None,
    params: tuple[str, ...],
    query_text: str | None,
    data_files: tuple[Path, ...],
    endpoint: str | None,
    timeout: float,
    allow_service: tuple[str, ...],
    fmt: str,
    show: bool,
    ontology: Path | None,
    build_dir: Path,
    store: str,
) -> None:
    """Answer a stored query (by NAME), a query file or ad-hoc SPARQL, on the built graph or an endpoint.

    Parameters are bound as RDF terms, never pasted into the query. Updates are refused (exit 2); an
    unreachable endpoint, HTTP error or timeout exits 3.

    Example: sarcoma-kg query therapies-for-disease --param disease=sarc:SoftTissueSarcoma --format csv
    (add --show to print the SPARQL, parameters bound, for YASGUI or another store).
    """
    stored = _select_query(query, query_text)
    given = _param_values(params)
    bindings = bind_params(stored, given)
    if show:
        click.echo(sent_text(stored.text, bindings), nl=False)
        return
    if endpoint is not None:
        if data_files or ontology:
            raise click.UsageError("--data and --ontology change the local graph; they cannot go with --endpoint")
        if allow_service:
            raise click.UsageError("--allow-service is for the local graph: the endpoint decides its own SERVICE calls")
        result = run_remote(endpoint, stored.text, bindings, timeout=timeout)
    else:
        graph = load_built_graph(build_dir, store=StoreKind(store), ontology=ontology)
        load_files(data_files, graph=graph)
        ensure_terms_in_graph(graph, bindings, given)
        result = run_local(graph, stored.text, bindings, timeout=timeout, allow_service=allow_service)
    if ResultFormat(fmt) is ResultFormat.TABLE:
        click.echo(_render_table(result))
    else:
        click.echo(serialize_result(result, fmt), nl=False)


COMMANDS = [queries_command, query_command]
