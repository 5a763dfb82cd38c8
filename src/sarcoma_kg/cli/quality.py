"""Quality gates: ``validate`` (SHACL) and ``qc`` (ROBOT-style checks), and their renderings.

The report is RDF first (the W3C ``sh:ValidationReport`` graph); text and table are views of it for people.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from rdflib import URIRef

from ..graph import load_files
from ..qc import Level, QcResult, failed, run_checks
from ..validate import SHAPES_NAMESPACE, Severity, ValidationReport, ValidationResult, compact, validate
from .render import ontology_option, table

__all__ = ["COMMANDS", "render_qc", "render_report"]

_FORMATS = ("text", "table", "turtle", "json")


def _counts_line(report: ValidationReport, fail_on: Severity) -> str:
    counts = report.counts()
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}" for s in Severity]
    verdict = (
        "conforms"
        if report.conforms
        else (
            f"does not conform (fails at --fail-on {fail_on.value})"
            if report.fails(fail_on)
            else f"does not conform (nothing at or above --fail-on {fail_on.value})"
        )
    )
    return f"{', '.join(parts)}: {verdict}"


def _focus(result: ValidationResult) -> str:
    label = f' "{result.focus_label}"' if result.focus_label else ""
    return f"{compact(result.focus_node)}{label}"


def render_report(report: ValidationReport, fmt: str, fail_on: Severity = Severity.VIOLATION) -> str:
    """The report as ``text`` (one line per result, then counts), ``table``, ``turtle`` or ``json`` (JSON-LD)."""
    if fmt in ("turtle", "json"):
        graph = report.graph
        graph.bind("sarcsh", SHAPES_NAMESPACE)
        if fmt == "turtle":
            return graph.serialize(format="turtle")
        context = {prefix: str(ns) for prefix, ns in graph.namespaces() if prefix}
        return json.dumps(json.loads(graph.serialize(format="json-ld", context=context)), indent=2, sort_keys=True)
    if fmt == "table":
        rows = [
            [r.severity.value, compact(r.focus_node), r.focus_label, r.path_text, compact(r.value), r.message]
            for r in report.results
        ]
        body = table(["severity", "focus node", "label", "path", "value", "message"], rows) if rows else ""
        return (body + "\n" if body else "") + _counts_line(report, fail_on)
    lines = []
    for r in report.results:
        where = f"  {r.path_text}" if r.path is not None else ""
        value = f" = {compact(r.value)}" if r.value is not None and r.value != r.focus_node else ""
        lines.append(f"{r.severity.value.upper():<9} {_focus(r)}{where}{value}: {r.message}")
    lines.append(_counts_line(report, fail_on))
    return "\n".join(lines)


@click.command("validate")
@click.argument("data", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--shapes",
    "shapes",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Shapes file (repeatable); default: every shapes/*.ttl.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_FORMATS),
    default="text",
    show_default=True,
    help="text/table for people; turtle/json (JSON-LD) give the W3C sh:ValidationReport.",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default="violation",
    show_default=True,
    help="Exit 1 when a result has this severity or a more severe one.",
)
@ontology_option
@click.option(
    "--data",
    "kb_data",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Knowledge-base file(s) to use instead of the packaged data/ (repeatable).",
)
def validate_command(
    data: tuple[Path, ...],
    shapes: tuple[Path, ...],
    fmt: str,
    fail_on: str,
    ontology: Path | None,
    kb_data: tuple[Path, ...],
) -> None:
    """Validate DATA files (with the ontology) or, without DATA, the knowledge base, against the SHACL shapes.

    Exit 0 when nothing reaches --fail-on, 1 when something does, 2 for bad input (the message names the file and
    line), 3 for an environment problem.

    Example: sarcoma-kg validate my-cases.ttl --format table
    """
    report = validate(
        list(data) if data else None, shapes_files=list(shapes) or None, ontology=ontology, kb_data=list(kb_data)
    )
    level = Severity(fail_on)
    click.echo(render_report(report, fmt, level))
    if report.fails(level):
        raise click.exceptions.Exit(1)


def render_qc(results: list[QcResult], fmt: str) -> str:
    """QC results as an aligned ``table`` with a count line, or ``tsv`` with ROBOT's column names."""
    columns = ["Level", "Rule Name", "Subject", "Property", "Value"]
    rows = [[r.level.value, r.check, _short(r.entity), _short(r.property), r.value] for r in results]
    if fmt == "tsv":
        clean = [[cell.replace("\t", " ").replace("\n", " ") for cell in row] for row in rows]
        return "\n".join("\t".join(row) for row in [columns, *clean])
    counts = {level: sum(1 for r in results if r.level is level) for level in Level}
    summary = ", ".join(f"{n} {level.value}" for level, n in counts.items())
    return (table(columns, rows) + "\n" if rows else "") + f"QC: {summary}"


def _short(text: str) -> str:
    return compact(URIRef(text)) if text.startswith(("http://", "https://")) else text


@click.command("qc")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--fail-on",
    type=click.Choice([level.value.lower() for level in Level if level is not Level.INFO]),
    default="error",
    show_default=True,
    help="Exit 1 when a check at this level or above finds something.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "tsv"]),
    default="table",
    show_default=True,
    help="Aligned table, or tab-separated values with ROBOT's columns.",
)
def qc_command(files: tuple[Path, ...], fail_on: str, fmt: str) -> None:
    """ROBOT report-style checks (queries/qc/*.rq) on the ontology and knowledge base, or on FILES.

    Exit 1 when a check at --fail-on or above finds something.

    Example: sarcoma-kg qc --fail-on warn --format tsv
    """
    results = run_checks(load_files(files) if files else None)
    click.echo(render_qc(results, fmt))
    if failed(results, Level(fail_on.upper())):
        raise click.exceptions.Exit(1)


COMMANDS = [validate_command, qc_command]
