"""Commands on patient cases: import a spreadsheet, stage it, generate a synthetic cohort."""

from __future__ import annotations

import contextlib
import csv
import io
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import click

from ..build import load_built_graph
from ..cases import (
    CASE,
    CaseImport,
    CaseImportError,
    NoCasesError,
    RowProblem,
    StreamedImport,
    build_term_index,
    generate_cases,
    import_cases,
    import_spreadsheet,
    parse_spreadsheet,
    stream_cases,
)
from ..cases import spreadsheet_csv as to_csv
from ..errors import InputError
from ..export import ExportFormat, serialize
from ..fileio import atomic_writer, write_atomic
from ..graph import load_files, parse_into
from ..queries import table_rows
from ..report import ReportFormat, render_report, report_for_cases
from ..staging import fill_recorded_stages, materialise_stages, stage_cases
from .render import allow_empty_option, output_path, source_options, table

__all__ = ["COMMANDS", "cases_group"]

_BASE = click.option("--base", default=str(CASE), show_default=True, help="Namespace of the case IRIs.")
_SPREADSHEET = click.argument("spreadsheet", type=click.Path(dir_okay=False, path_type=Path))


def _import(
    spreadsheet: Path,
    build_dir: Path,
    base: str,
    skip_invalid: bool,
    ontology: Path | None = None,
    data: tuple[Path, ...] = (),
    *,
    allow_empty: bool,
    sheet: str | None = None,
):
    kb = load_built_graph(build_dir, ontology=ontology, data=list(data) or None)
    with _listing_problems():
        return kb, import_cases(spreadsheet, kb, base=base, skip_invalid=skip_invalid, allow_empty=allow_empty,
                                sheet=sheet)  # fmt: skip


@contextlib.contextmanager
def _listing_problems() -> Iterator[None]:
    """A failed import lists every problem and warning before its one-line summary (the error itself)."""
    try:
        yield
    except CaseImportError as exc:
        prefix = "skipped: " if isinstance(exc, NoCasesError) else ""
        for problem in exc.problems:
            click.echo(f"{prefix}{problem}", err=True)
        _warn(exc.warnings, exc.ignored_columns)
        raise


def _warn(warnings: Sequence[RowProblem], ignored_columns: Sequence[str]) -> None:
    """Warnings are shown whether or not the import succeeds: an ignored column may be a misspelt case column."""
    for column in ignored_columns:
        click.echo(f"warning: column {column!r} is not a case column and was ignored", err=True)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _report_skipped(result: CaseImport | StreamedImport) -> None:
    for problem in result.problems:
        click.echo(f"skipped: {problem}", err=True)
    _warn(result.warnings, result.ignored_columns)


@click.group("cases")
def cases_group() -> None:
    """Patient cases from researchers' spreadsheets: import, stage, report, generate.

    Example: sarcoma-kg cases import examples/cases.csv -o cases.ttl
    """


@cases_group.command("import")
@_SPREADSHEET
@output_path(
    "-o",
    "--output",
    help="File to write: Turtle, or N-Triples streamed batch by batch when it ends in .nt ('-' for Turtle on "
    "standard output); default: the spreadsheet's name with .ttl.",
)
@click.option(
    "--skip-invalid", is_flag=True, help="Write the good rows and list the bad ones (default: write nothing)."
)
@click.option("--sheet", "sheet", metavar="NAME", help="The sheet of a workbook to read (default: the first).")
@click.option(
    "--materialise-stage",
    is_flag=True,
    help="Also write each case's computed PDQ stage (sarc:computedStage), so cases can be counted by stage.",
)
@_BASE
@allow_empty_option
@source_options
def import_command(
    spreadsheet: Path,
    output: Path | None,
    skip_invalid: bool,
    materialise_stage: bool,
    base: str,
    allow_empty: bool,
    sheet: str | None,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Check a spreadsheet of cases (CSV, TSV or .xlsx), resolve its terms, validate and write it as RDF.

    Every bad row is listed (row, case_id, column, value, reason); nothing is written unless every row is good.
    Shape warnings and ignored columns are listed too.

    An output ending in .nt is N-Triples, streamed: the rows are read, checked, validated and written 10,000 cases
    at a time, so memory does not grow with the sheet (for cohorts of 100,000 cases and more); the file appears
    only when every batch has passed (a temporary file beside it is renamed at the end). Same triples as the
    Turtle, in row order, the spreadsheet's source node last.

    Example: sarcoma-kg cases import examples/cases.csv -o cases.ttl --materialise-stage

    Example: sarcoma-kg cases import cohort-200k.csv -o cohort-200k.nt
    """
    target = output or spreadsheet.with_suffix(".ttl")
    streamed = str(target) != "-" and target.suffix.lower() == ".nt"
    if streamed:
        _stream(spreadsheet, target, build_dir, base, skip_invalid, ontology, data, allow_empty, sheet,
                materialise_stage)  # fmt: skip
        return
    kb, result = _import(spreadsheet, build_dir, base, skip_invalid, ontology, data, allow_empty=allow_empty,
                         sheet=sheet)  # fmt: skip
    _report_skipped(result)
    fmt = ExportFormat.NTRIPLES if streamed else ExportFormat.TURTLE
    if materialise_stage:
        staged = materialise_stages(kb, result.graph, result.cases, build_term_index(kb), base=base)
        click.echo(f"computed stage written for {staged} of {len(result.cases)} case(s)", err=True)
        rdf = serialize(result.graph, fmt)
    else:
        rdf = result.turtle()
    if str(target) == "-":
        sys.stdout.buffer.write(rdf)
    else:
        write_atomic(target, rdf, inputs=[spreadsheet], items=len(result.cases), allow_empty=allow_empty)
    _summary(result, len(result.cases), spreadsheet, target)


def _stream(
    spreadsheet: Path,
    target: Path,
    build_dir: Path,
    base: str,
    skip_invalid: bool,
    ontology: Path | None,
    data: tuple[Path, ...],
    allow_empty: bool,
    sheet: str | None,
    materialise_stage: bool,
) -> None:
    """``cases import -o FILE.nt``: N-Triples written batch by batch to a temporary file, renamed at the end."""
    kb = load_built_graph(build_dir, ontology=ontology, data=list(data) or None)
    with _listing_problems(), atomic_writer(target, inputs=[spreadsheet]) as handle:
        result = stream_cases(spreadsheet, kb, handle, base=base, skip_invalid=skip_invalid, allow_empty=allow_empty,
                              sheet=sheet, materialise_stage=materialise_stage)  # fmt: skip
    _report_skipped(result)
    if materialise_stage:
        click.echo(f"computed stage written for {result.staged} of {result.count} case(s)", err=True)
    _summary(result, result.count, spreadsheet, target)


def _summary(result: CaseImport | StreamedImport, count: int, spreadsheet: Path, target: Path) -> None:
    warned = f" ({len(result.warnings)} warning(s))" if result.warnings else ""
    click.echo(f"imported {count} case(s) from {spreadsheet.name}, validated against the shapes{warned}"
               + (f", {len(result.skipped_rows)} row(s) skipped" if result.skipped_rows else "")
               + ("" if str(target) == "-" else f": wrote {target}"), err=True)  # fmt: skip


@cases_group.command("stage")
@_SPREADSHEET
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True, help="Output format."
)
@click.option("--skip-invalid", is_flag=True, help="Stage the good rows and list the bad ones.")
@_BASE
@source_options
def stage_command(
    spreadsheet: Path,
    fmt: str,
    skip_invalid: bool,
    base: str,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Stage the cases of a spreadsheet by the PDQ rules (the stored query case-stages, nothing written).

    Example: sarcoma-kg cases stage examples/cases.csv
    """
    kb, result = _import(spreadsheet, build_dir, base, skip_invalid, ontology, data, allow_empty=True)
    _report_skipped(result)
    staged = stage_cases(kb, result.graph, result.cases, base=base)
    rows = table_rows(staged)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(staged.columns)
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        click.echo(table(staged.columns, rows))


@cases_group.command("report")
@click.argument("cases", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="File to write (HTML or Markdown).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in ReportFormat]),
    default=None,
    help="html or md; default: from the output's extension (.md is Markdown, anything else HTML).",
)
@click.option("--title", default=None, help="Report title; default: 'Cohort report: <cases file name>'.")
@source_options
def report_command(
    cases: Path,
    output: Path,
    fmt: str | None,
    title: str | None,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Write a per-patient report of imported cases: stage and why, applicable options, options ruled out.

    CASES is a Turtle file written by 'cases import'. The page is self-contained (no script, no external request).

    Example: sarcoma-kg cases report cases.ttl -o report.html
    """  # fmt: skip
    from rdflib import Graph

    own = Graph()
    parse_into(own, cases)
    graph = load_built_graph(build_dir, ontology=ontology, data=list(data) or None)
    load_files([cases], graph=graph)
    chosen = (
        ReportFormat(fmt) if fmt else (ReportFormat.MARKDOWN if output.suffix.lower() == ".md" else ReportFormat.HTML)
    )
    report = report_for_cases(graph, own, title=title or f"Cohort report: {cases.name}")
    write_atomic(output, render_report(report, chosen), inputs=[cases], items=len(report.sections))
    click.echo(f"reported {len(report.sections)} case(s): wrote {output}", err=True)


@cases_group.command("generate")
@click.option("--n", "count", type=click.IntRange(min=0), required=True, help="Number of cases.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same bytes.")
@output_path(
    "-o",
    "--output",
    required=True,
    help="FILE.csv for the spreadsheet, FILE.ttl for the spreadsheet imported as RDF.",
)
@click.option(
    "--recorded-share",
    type=click.FloatRange(0, 1),
    default=0.3,
    show_default=True,
    help="Share of stageable cases given a recorded_stage (taken from the staging query).",
)
@allow_empty_option
@source_options
def generate_command(
    count: int,
    seed: int,
    output: Path,
    recorded_share: float,
    allow_empty: bool,
    ontology: Path | None,
    data: tuple[Path, ...],
    build_dir: Path,
) -> None:
    """Generate a realistic synthetic cohort with the ontology's terms (deterministic per seed).

    Example: sarcoma-kg cases generate --n 10000 --seed 1 -o cohort-10k.csv
    """
    suffix = output.suffix.lower()
    if suffix not in (".csv", ".ttl"):
        raise InputError(f"{output}: the output must end in .csv or .ttl")
    kb = load_built_graph(build_dir, ontology=ontology, data=list(data) or None)
    index = build_term_index(kb)
    sheet = generate_cases(count, index, seed=seed)
    sheet = fill_recorded_stages(sheet, kb, index, share=recorded_share, seed=seed)
    sheet = type(sheet)(name=output.with_suffix(".csv").name, columns=sheet.columns, rows=sheet.rows)
    if suffix == ".csv":
        write_atomic(output, to_csv(sheet).encode("utf-8"), items=count, allow_empty=allow_empty)
    else:
        result = import_spreadsheet(parse_spreadsheet(to_csv(sheet), sheet.name), kb, index=index,
                                    allow_empty=allow_empty)  # fmt: skip
        write_atomic(output, result.turtle(), items=len(result.cases), allow_empty=allow_empty)
    click.echo(f"generated {count} case(s) (seed {seed}): wrote {output}", err=True)


COMMANDS = [cases_group]
