"""Commands on the release: build, reason, export, stats."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import paths
from ..build import build, load_built_graph, load_merged_graph, source_files
from ..errors import IncoherentOntology, InputError
from ..export import ExportFormat, serialize
from ..fileio import write_atomic
from ..graph import load_files
from ..kgx import write_kgx
from ..paths import DEFAULT_BUILD_DIR
from ..reason import reason
from ..release import jsonld_document
from ..stats import category_counts
from .render import allow_empty_option, output_path, source_options, table

__all__ = ["COMMANDS"]


@click.command("build")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BUILD_DIR,
    show_default=True,
    help="Directory for the release files.",
)
@click.option(
    "--ontology",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ontology file to build from instead of the packaged one.",
)
@click.option(
    "--data",
    "data",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Knowledge-base file(s) to use instead of the packaged data/ (repeatable).",
)
def build_command(out_dir: Path, ontology: Path | None, data: tuple[Path, ...]) -> None:
    """Load ontology and data, reason with HermiT, write the release files.

    Writes sarcoma-kg.ttl (merged), sarcoma-kg.owl (RDF/XML) and sarcoma-kg-inferred.ttl, then prints a summary.

    Example: sarcoma-kg build --out dist
    """
    summary = build(out_dir, ontology=ontology, data=list(data) if data else None)
    counts = summary.counts
    click.echo(f"built {out_dir}/ in {sum(summary.timings.values()):.1f} s")
    click.echo(table(["what", "count"], [[k, v] for k, v in counts.items()]))
    click.echo(f"triples: {summary.asserted_triples} asserted, {summary.inferred_triples} inferred by HermiT")
    click.echo("reasoner: consistent, no unsatisfiable class (HermiT)")
    click.echo("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in summary.timings.items()))
    for path in summary.outputs:
        click.echo(f"wrote {path}")


@click.command("reason")
@click.option(
    "--ontology",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Ontology file to check instead of the packaged one.",
)
@click.option(
    "--data",
    "data",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Data file(s) to check with it instead of the packaged data/ (repeatable).",
)
def reason_command(ontology: Path | None, data: tuple[Path, ...]) -> None:
    """Check the ontology and data with HermiT: exit 0 if consistent and coherent, 1 otherwise.

    Example: sarcoma-kg reason --ontology my-edit.ttl
    """
    files = [ontology or paths.ontology_file(), *(data or paths.data_files())]
    result = reason(load_files(files))
    if not result.coherent:
        raise IncoherentOntology(result.consistent, tuple(str(c) for c in result.unsatisfiable))
    click.echo(f"consistent, no unsatisfiable class; {len(result.inferred)} inferred axioms ({result.seconds:.1f} s)")


@click.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*(f.value for f in ExportFormat), "kgx"]),
    default="turtle",
    show_default=True,
    help="Serialisation; 'kgx' writes Biolink KGX nodes.tsv and edges.tsv into the -o directory (reasoned graph).",
)
@click.option("--inferred", is_flag=True, help="Include HermiT's inferred axioms.")
@output_path(
    "-o",
    "--output",
    required=True,
    help="Output file ('-' for standard output), or directory for kgx; written atomically.",
)
@click.option(
    "--jsonld-context",
    metavar="embed|URL",
    help="jsonld only: embed the published @context (context/sarcoma-kg.context.jsonld) or reference it by URL.",
)
@allow_empty_option
@source_options
def export_command(
    fmt: str,
    inferred: bool,
    output: Path,
    jsonld_context: str | None,
    allow_empty: bool,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Export the knowledge graph deterministically (same inputs, same bytes).

    The asserted graph (ontology and data merged) unless --inferred; --ontology/--data export an edited copy.

    Example: sarcoma-kg export --format ntriples --inferred -o sarcoma-kg.nt
    Example: sarcoma-kg export --format kgx -o dist/kgx
    """
    sources = {"ontology": ontology, "data": list(data) or None}
    if jsonld_context and fmt != ExportFormat.JSONLD.value:
        raise InputError("--jsonld-context goes with --format jsonld")
    if fmt == "kgx":
        nodes, edges = write_kgx(load_built_graph(build_dir, **sources), output)
        click.echo(f"wrote {nodes} and {edges}", err=True)
        return
    graph = load_built_graph(build_dir, **sources) if inferred else load_merged_graph(build_dir, **sources)
    if jsonld_context:
        payload = jsonld_document(graph, None if jsonld_context == "embed" else jsonld_context)
    else:
        payload = serialize(graph, ExportFormat(fmt))
    if str(output) == "-":
        sys.stdout.buffer.write(payload)
    else:
        inputs = [*source_files(**sources), *(Path(build_dir).glob("*") if build_dir else [])]
        write_atomic(output, payload, inputs=inputs, items=len(graph), allow_empty=allow_empty)
        click.echo(f"wrote {output} ({len(graph)} triples)", err=True)


@click.command("stats")
@source_options
def stats_command(ontology: Path | None, data: tuple[Path, ...], build_dir: Path) -> None:
    """Counts of classes and individuals per top category of the ontology.

    Example: sarcoma-kg stats
    """
    rows = category_counts(load_built_graph(build_dir, ontology=ontology, data=list(data) or None))
    click.echo(table(["category", "label", "classes", "individuals"], rows))


COMMANDS = [build_command, reason_command, export_command, stats_command]
