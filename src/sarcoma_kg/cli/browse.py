"""Commands that look at the graph: show (a term's description in the terminal, and its picture)."""

from __future__ import annotations

from pathlib import Path

import click

from ..build import load_built_graph
from ..graph import load_files
from ..terms import Link, TermDescription, Terms, asserted_graph
from ..viz import write_svg
from .render import build_dir_option, extra_data_option

__all__ = ["COMMANDS", "description_text"]


def _name(link: Link) -> str:
    if link.literal:
        return link.label
    mark = " (inferred)" if link.inferred else ""
    return f"{link.label} [{link.curie}]{mark}"


def description_text(d: TermDescription) -> str:
    """The term page as plain text, section by section (the same description as ``serve``'s page)."""
    lines = [f"{d.label}  ({d.kind}, {d.node.curie})", d.iri]
    if d.definition:
        lines += ["", d.definition]

    def section(title: str, items: list[str]) -> None:
        if items:
            lines.extend(["", f"{title}:", *(f"  {item}" for item in items)])

    section("synonyms", [f"{kind}: {', '.join(names)}" for kind, names in d.synonyms])
    section("cross-references", [curie for curie, _ in d.xrefs] + [f"{rel}: {iri}" for rel, iri in d.matches])
    section("parents" if d.kind == "class" else "types", [_name(p) for p in d.parents])
    section("children", [_name(c) for c in d.children])
    section("members", [_name(m) for m in d.members])
    section("relations", [f"{r.predicate.label} some {_name(r.target)}" for r in d.relations])
    section("properties", [f"{p.predicate.label}: {_name(p.value)}" for p in d.properties])
    statements = []
    for s in d.statements:
        statements.append(_name(s.node))
        statements += [f"    {p.predicate.label}: {_name(p.value)}" for p in s.properties]
    section(f"sourced statements ({len(d.statements)})", statements)
    section("stored queries", [f"{q.name} --param {q.param}={d.node.curie}: {q.summary}" for q in d.queries])
    return "\n".join(lines)


@click.command("show")
@click.argument("term")
@click.option(
    "--svg",
    "svg_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the term's neighbourhood (Graphviz) into this SVG file (written atomically).",
)
@extra_data_option
@build_dir_option
def show_command(term: str, svg_file: Path | None, data_files: tuple[Path, ...], build_dir: Path) -> None:
    """Describe TERM (a CURIE, an IRI or a local name): what serve's term page shows, as text.

    Example: sarcoma-kg show sarc:AlveolarSoftPartSarcoma --svg asps.svg
    """
    graph = load_built_graph(build_dir)
    load_files(data_files, graph=graph)
    terms = Terms(graph, asserted=asserted_graph(data_files))
    description = terms.describe(terms.resolve(term))
    if svg_file is not None:
        write_svg(description, svg_file)
    click.echo(description_text(description))


COMMANDS = [show_command]
