"""Commands that ship the graph: serve (SPARQL endpoint + query page), load (Graph Store Protocol), release, diff."""

from __future__ import annotations

from pathlib import Path

import click

from ..fileio import write_atomic
from ..graph import load_files
from ..load import DEFAULT_GRAPH, DEFAULT_RETRIES, load, redact_url
from ..load import DEFAULT_TIMEOUT as LOAD_TIMEOUT
from ..release import diff_graphs, diff_markdown, diff_tsv, release
from ..serve import (
    DEFAULT_HOST,
    DEFAULT_MAX_ROWS,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT,
    RunningServer,
    ServeConfig,
    serve_forever,
)
from .render import output_path, source_options

__all__ = ["COMMANDS"]


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Interface to listen on (0.0.0.0: every one).")
@click.option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port of the page and endpoint.")
@click.option("--timeout", type=float, default=DEFAULT_TIMEOUT, show_default=True, help="Query time limit (s).")
@click.option("--max-rows", type=int, default=DEFAULT_MAX_ROWS, show_default=True, help="Result rows returned at most.")
@click.option(
    "--assets",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory with yasgui.min.js/.css (default: web/node_modules from 'make install').",
)
@click.option(
    "--allow-service",
    "allow_service",
    multiple=True,
    metavar="URL",
    help="Let queries' SERVICE clauses call this endpoint (repeatable); default: every SERVICE gets 403.",
)
@source_options
def serve_command(
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    assets: Path | None,
    allow_service: tuple[str, ...],
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Serve the reasoned graph: a read-only SPARQL 1.1 endpoint at /sparql and a query page at /.

    Every term has a page at /<local name> (HTML, or Turtle, N-Triples, JSON-LD by Accept header); /browse is
    the tree, /search?q= the ranked search, /cohort the cases' stages. Oxigraph answers the queries; updates and
    federated queries (SERVICE) get 403. Stop with Ctrl-C.

    Example: sarcoma-kg serve --port 7878 --data dist/example-cases.ttl
    """
    config = ServeConfig(
        host=host,
        port=port,
        timeout=timeout,
        max_rows=max_rows,
        assets=assets,
        build_dir=build_dir,
        allow_service=allow_service,
        ontology=ontology,
        data=data,
    )

    def ready(server: RunningServer) -> None:
        click.echo(f"serving {server.triples} triples (read-only): page {server.url}  endpoint {server.endpoint}")
        click.echo("press Ctrl-C to stop", err=True)

    serve_forever(config, ready)


@click.command("load")
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph), .../ds/data (Fuseki).",
)
@click.option(
    "--graph", "graph_iri", default=DEFAULT_GRAPH, show_default=True, metavar="IRI", help="Named graph to replace."
)
@click.option(
    "--file",
    "source",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Load this RDF file instead of the reasoned release (.nt, .ttl, .owl, .jsonld).",
)
@click.option(
    "--retries",
    type=int,
    default=DEFAULT_RETRIES,
    show_default=True,
    help="Retries after a connection error (with exponential backoff).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=LOAD_TIMEOUT,
    show_default=True,
    help="Seconds the whole load may take, retries included.",
)
@click.option(
    "--bulk",
    is_flag=True,
    help="For big files (a large cohort): empty the graph, then feed the file to Oxigraph's bulk loader "
    "(no_transaction). Much faster, bounded server memory, but not atomic: if interrupted, load again.",
)
@source_options
def load_command(
    endpoint: str,
    graph_iri: str,
    source: Path | None,
    retries: int,
    timeout: float,
    bulk: bool,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Replace a named graph of a triple store with the release, in one atomic PUT (idempotent).

    The data goes into the named graph --graph, not the default graph: query it with GRAPH <IRI> { ... }, or on
    a store whose default graph is the union of its named graphs.

    Example: sarcoma-kg load --endpoint http://127.0.0.1:7878/store --graph https://w3id.org/sarcoma-kg/sarcoma-kg.owl

    A large cohort: sarcoma-kg load --endpoint URL --file cohort.nt --graph https://example.org/cohort --bulk
    """
    summary = load(
        endpoint,
        graph=graph_iri,
        source=source,
        build_dir=build_dir,
        ontology=ontology,
        data=list(data) or None,
        retries=retries,
        timeout=timeout,
        bulk=bulk,
    )
    what = f"{summary.triples} triples" if summary.triples is not None else f"{summary.bytes} bytes"
    where = redact_url(endpoint)
    click.echo(f"loaded {what} into <{summary.graph}> at {where} (HTTP {summary.status}, {summary.seconds:.1f} s)")
    click.echo(
        f"the data is in the named graph <{summary.graph}>: query it inside GRAPH <{summary.graph}> {{ ... }} "
        "(or with the store's union default graph, e.g. oxigraph serve --union-default-graph)"
    )


@click.command("release")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dist/releases"),
    show_default=True,
    help="Releases directory; files go into OUT/<version>/.",
)
@click.option(
    "--version", "version", metavar="YYYY-MM-DD", help="Release version (default: the ontology's owl:versionInfo)."
)
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A previous release file (e.g. its sarcoma-kg-full.ttl): also write diff.md and diff.tsv.",
)
@click.option("--force", is_flag=True, help="Replace an existing dated release whose files would change.")
@source_options
def release_command(
    out_dir: Path,
    version: str | None,
    previous: Path | None,
    force: bool,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Write a dated release: base and full ontology, N-Triples, JSON-LD, VoID/DCAT, and what changed.

    A dated release is immutable: releasing again over it with different content needs --force.

    Example: sarcoma-kg release --out dist/releases --previous old/sarcoma-kg-full.ttl
    """
    summary = release(
        out_dir,
        version=version,
        previous=previous,
        build_dir=build_dir,
        ontology=ontology,
        data=list(data) or None,
        force=force,
    )
    click.echo(f"release {summary.version}: {summary.triples} triples in {summary.directory}/")
    if summary.changes is not None:
        click.echo(f"{len(summary.changes)} change(s) against {previous}")
    for path in summary.outputs:
        click.echo(f"wrote {path}")


@click.command("diff")
@click.argument("previous", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("current", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "tsv"]),
    default="markdown",
    show_default=True,
    help="Report format.",
)
@output_path("-o", "--output", help="Write the report here.")
def diff_command(previous: Path, current: Path, fmt: str, output: Path | None) -> None:
    """Classes and statements added, removed and relabelled between two release files.

    Example: sarcoma-kg diff old/sarcoma-kg-full.ttl dist/releases/2026-11-23/sarcoma-kg-full.ttl
    """
    changes = diff_graphs(load_files([previous]), load_files([current]))
    text = diff_tsv(changes) if fmt == "tsv" else diff_markdown(changes, previous=previous.name, current=current.name)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text.encode("utf-8"), inputs=[previous, current])
        click.echo(f"wrote {output} ({len(changes)} change(s))", err=True)


COMMANDS = [serve_command, load_command, release_command, diff_command]
