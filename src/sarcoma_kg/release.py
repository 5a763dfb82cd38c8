"""Dated releases: versioned artifacts, a VoID/DCAT description, and a report of what changed.

``release(out_dir)`` writes ``out_dir/<version>/``:

``sarcoma-kg-base.ttl`` / ``.owl``   our own axioms only; versionIRI releases/V/sarcoma-kg-base.owl
``sarcoma-kg-full.ttl`` / ``.owl``   merged + inferred (HermiT); versionIRI releases/V/sarcoma-kg.owl
``sarcoma-kg-full.nt``               the full release as sorted N-Triples, for bulk loaders
``sarcoma-kg-full.jsonld``           the full release as JSON-LD with the published @context embedded
``void.ttl``                         VoID/DCAT: version, licence, triple counts, sources, distributions
``diff.md`` / ``diff.tsv``           with ``previous``: classes and statements added, removed, relabelled

The version defaults to the ontology's ``owl:versionInfo`` (never today's date), so a release is a pure
function of the sources: the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from . import paths
from .build import load_built_graph, source_files
from .errors import InputError
from .export import ExportFormat, canonical_triples, serialize
from .fileio import OutputError, check_output, write_atomic
from .graph import load_files, new_graph
from .kgx import curie
from .namespaces import DCTERMS, KB, ONTOLOGY_IRI, PREFIXES, SARC

__all__ = [
    "BASE_ONTOLOGY_IRI",
    "LICENSE",
    "RELEASES",
    "ChangeRow",
    "ReleaseSummary",
    "check_version",
    "diff_graphs",
    "diff_markdown",
    "diff_tsv",
    "jsonld_context",
    "jsonld_document",
    "ontology_version",
    "release",
    "version_iri",
    "void_graph",
]

RELEASES = "https://w3id.org/sarcoma-kg/releases/"
BASE_ONTOLOGY_IRI = SARC["sarcoma-kg-base.owl"]
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
_MEDIA = "https://www.iana.org/assignments/media-types/"
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
_ARTIFACT_TYPES = {
    ".ttl": "text/turtle",
    ".owl": "application/rdf+xml",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
}


@dataclass(frozen=True)
class ChangeRow:
    """One change between two releases."""

    kind: str  # class | statement
    change: str  # added | removed | relabelled
    id: str
    label: str
    previous_label: str = ""


@dataclass(frozen=True)
class ReleaseSummary:
    version: str
    directory: Path
    outputs: tuple[Path, ...]
    triples: int
    changes: tuple[ChangeRow, ...] | None


def ontology_version(graph: Graph) -> str:
    """The ontology's ``owl:versionInfo``; ``InputError`` when it has none."""
    values = sorted(str(v) for v in graph.objects(ONTOLOGY_IRI, OWL.versionInfo))
    if not values:
        raise InputError(f"the ontology <{ONTOLOGY_IRI}> has no owl:versionInfo: pass --version YYYY-MM-DD")
    return values[0]


def check_version(version: str) -> str:
    """The version, if usable in IRIs and file names; one that looks like a date must be a real calendar date.

    >>> check_version("2026-11-23")
    '2026-11-23'
    >>> check_version("2027-13-45")
    Traceback (most recent call last):
    ...
    sarcoma_kg.errors.InputError: '2027-13-45' is not a valid date (YYYY-MM-DD: month 01-12, a day of that month)
    """
    if not _VERSION.match(version):
        raise InputError(f"'{version}' is not a usable version: use letters, digits, '.', '-' (e.g. 2026-11-23)")
    if re.match(r"^\d{4}-\d{1,2}-\d{1,2}", version):
        try:
            datetime.date.fromisoformat(version[:10])
        except ValueError:
            raise InputError(
                f"'{version}' is not a valid date (YYYY-MM-DD: month 01-12, a day of that month)"
            ) from None
    return version


def version_iri(version: str, name: str) -> URIRef:
    """``https://w3id.org/sarcoma-kg/releases/<version>/<name>``.

    >>> str(version_iri("2026-11-23", "sarcoma-kg.owl"))
    'https://w3id.org/sarcoma-kg/releases/2026-11-23/sarcoma-kg.owl'
    """
    return URIRef(f"{RELEASES}{version}/{name}")


def _stamp(graph: Graph, ontology: URIRef, version: str, file_name: str) -> Graph:
    """Give the ontology header its release IRI, versionIRI and versionInfo (moving it from ONTOLOGY_IRI)."""
    if ontology != ONTOLOGY_IRI:
        for predicate, value in list(graph.predicate_objects(ONTOLOGY_IRI)):
            graph.remove((ONTOLOGY_IRI, predicate, value))
            graph.add((ontology, predicate, value))
    graph.remove((ontology, OWL.versionIRI, None))
    graph.remove((ontology, OWL.versionInfo, None))
    graph.add((ontology, RDF.type, OWL.Ontology))
    graph.add((ontology, OWL.versionIRI, version_iri(version, file_name)))
    graph.add((ontology, OWL.versionInfo, Literal(version)))
    return graph


def jsonld_context() -> dict:
    """The published JSON-LD @context (``context/sarcoma-kg.context.jsonld``), as a dict."""
    return json.loads(paths.context_file().read_text(encoding="utf-8"))["@context"]


def jsonld_document(graph: Graph, context: dict | str | None = None) -> bytes:
    """The graph as JSON-LD: Oxigraph's sorted expanded form under ``@graph``, with ``@context``.

    ``context`` is embedded (default: the published context) or, as a string, referenced by URL. Full IRIs
    in the body are untouched by it, so any JSON-LD processor reads back exactly the same triples.
    """
    expanded = serialize(graph, ExportFormat.JSONLD).strip()
    head = json.dumps(jsonld_context() if context is None else context, indent=1, ensure_ascii=False)
    return b'{"@context": ' + head.encode("utf-8") + b',\n"@graph": ' + expanded + b"}\n"


def _label(graph: Graph, iri: URIRef) -> str:
    labels = sorted(str(v) for v in graph.objects(iri, RDFS.label))
    return labels[0] if labels else ""


def void_graph(full: Graph, version: str, artifacts: dict[str, bytes]) -> Graph:
    """A VoID/DCAT description of the release: what it is, its licence, size, sources and files."""
    dataset = URIRef(f"{RELEASES}{version}/")
    void = new_graph()
    void.add((dataset, RDF.type, VOID.Dataset))
    void.add((dataset, RDF.type, DCAT.Dataset))
    for predicate in (DCTERMS.title, DCTERMS.description):
        for value in full.objects(ONTOLOGY_IRI, predicate):
            void.add((dataset, predicate, value))
    licences = [v for v in full.objects(ONTOLOGY_IRI, DCTERMS.license) if isinstance(v, URIRef)]
    for licence in licences or [LICENSE]:
        void.add((dataset, DCTERMS.license, licence))
    void.add((dataset, OWL.versionInfo, Literal(version)))
    void.add((dataset, DCAT.version, Literal(version)))
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", version):
        void.add((dataset, DCTERMS.issued, Literal(version, datatype=XSD.date)))
    void.add((dataset, VOID.triples, Literal(len(full), datatype=XSD.integer)))
    classes = {c for c in full.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
    void.add((dataset, VOID.classes, Literal(len(classes), datatype=XSD.integer)))
    void.add((dataset, VOID.properties, Literal(len(set(full.predicates())), datatype=XSD.integer)))
    entities = {s for s in full.subjects() if isinstance(s, URIRef)}
    void.add((dataset, VOID.entities, Literal(len(entities), datatype=XSD.integer)))
    void.add((dataset, VOID.uriSpace, Literal(str(SARC))))
    void.add((dataset, VOID.vocabulary, URIRef(str(SARC))))
    void.add((dataset, VOID.dataDump, version_iri(version, "sarcoma-kg-full.nt")))
    for source in sorted(full.subjects(RDF.type, SARC.SourceDocument)):
        void.add((dataset, DCTERMS.source, source))
        for title in full.objects(source, DCTERMS.title):
            void.add((source, DCTERMS.title, title))
    for name, data in sorted(artifacts.items()):
        distribution = version_iri(version, name)
        void.add((dataset, DCAT.distribution, distribution))
        void.add((distribution, RDF.type, DCAT.Distribution))
        void.add((distribution, DCTERMS.title, Literal(name)))
        void.add((distribution, DCAT.downloadURL, distribution))
        void.add((distribution, DCAT.mediaType, URIRef(_MEDIA + _ARTIFACT_TYPES[Path(name).suffix])))
        void.add((distribution, DCAT.byteSize, Literal(len(data), datatype=XSD.nonNegativeInteger)))
    return void


def _turtle(graph: Graph) -> bytes:
    prefixes = {**PREFIXES, "void": str(VOID), "dcat": str(DCAT)}
    return ox.serialize(canonical_triples(graph), format=ox.RdfFormat.TURTLE, prefixes=prefixes)


# ---------------------------------------------------------------------------------------------------------
# What changed
# ---------------------------------------------------------------------------------------------------------


def _classes(graph: Graph) -> set[URIRef]:
    return {c for c in graph.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}


def _statements(graph: Graph) -> set[URIRef]:
    prefix = str(KB["statement/"])
    return {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef) and str(s).startswith(prefix)}


def diff_graphs(previous: Graph, current: Graph) -> tuple[ChangeRow, ...]:
    """Classes and statements added, removed and relabelled from ``previous`` to ``current``, sorted."""
    rows = []
    for kind, members in (("class", _classes), ("statement", _statements)):
        old, new = members(previous), members(current)
        rows += [ChangeRow(kind, "added", curie(str(i)), _label(current, i)) for i in new - old]
        rows += [ChangeRow(kind, "removed", curie(str(i)), _label(previous, i)) for i in old - new]
        for iri in old & new:
            before, after = _label(previous, iri), _label(current, iri)
            if before != after:
                rows.append(ChangeRow(kind, "relabelled", curie(str(iri)), after, before))
    return tuple(sorted(rows, key=lambda r: (r.kind, r.change, r.id)))


def diff_tsv(changes: tuple[ChangeRow, ...]) -> str:
    """The changes as TSV: kind, change, id, label, previous_label."""
    lines = ["kind\tchange\tid\tlabel\tprevious_label"]
    for row in changes:
        cells = [row.kind, row.change, row.id, row.label, row.previous_label]
        lines.append("\t".join(" ".join(c.split()) for c in cells))
    return "\n".join(lines) + "\n"


def diff_markdown(changes: tuple[ChangeRow, ...], *, previous: str = "previous", current: str = "current") -> str:
    """The changes as a Markdown report: counts, then one table per kind and change."""
    out = [f"# What changed from {previous} to {current}", ""]
    out += ["| | added | removed | relabelled |", "|---|---|---|---|"]
    for kind in ("class", "statement"):
        counts = [
            sum(1 for r in changes if r.kind == kind and r.change == c) for c in ("added", "removed", "relabelled")
        ]
        plural = "classes" if kind == "class" else "statements"
        out.append(f"| {plural} | " + " | ".join(map(str, counts)) + " |")
    for kind in ("class", "statement"):
        for change in ("added", "removed", "relabelled"):
            rows = [r for r in changes if r.kind == kind and r.change == change]
            if not rows:
                continue
            title = "classes" if kind == "class" else "statements"
            out += ["", f"## {title.capitalize()} {change} ({len(rows)})", ""]
            if change == "relabelled":
                out += ["| id | label | previous label |", "|---|---|---|"]
                out += [f"| `{r.id}` | {_md(r.label)} | {_md(r.previous_label)} |" for r in rows]
            else:
                out += ["| id | label |", "|---|---|"]
                out += [f"| `{r.id}` | {_md(r.label)} |" for r in rows]
    if not changes:
        out += ["", "No class or statement was added, removed or relabelled."]
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


# ---------------------------------------------------------------------------------------------------------
# The release
# ---------------------------------------------------------------------------------------------------------


def release(
    out_dir: str | os.PathLike[str],
    *,
    version: str | None = None,
    previous: str | os.PathLike[str] | None = None,
    build_dir: str | os.PathLike[str] | None = paths.DEFAULT_BUILD_DIR,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
    force: bool = False,
) -> ReleaseSummary:
    """Write the dated release into ``out_dir/<version>/`` (every file atomically, all computed first).

    Base and full come from the same ontology (``ontology``, default the packaged one), so a class added to an
    edited copy is in both. A dated release is immutable: when ``out_dir/<version>/`` already holds files that
    would change, ``OutputError`` unless ``force`` (writing the same bytes again is allowed: it changes nothing).
    """
    inputs = source_files(ontology, data)
    base = load_files(inputs[:1])
    chosen = check_version(ontology_version(base) if version is None else version)
    old = load_files([previous]) if previous is not None else None
    _stamp(base, BASE_ONTOLOGY_IRI, chosen, "sarcoma-kg-base.owl")
    full = _stamp(load_built_graph(build_dir, ontology=ontology, data=data), ONTOLOGY_IRI, chosen, "sarcoma-kg.owl")

    artifacts = {
        "sarcoma-kg-base.ttl": serialize(base, ExportFormat.TURTLE),
        "sarcoma-kg-base.owl": serialize(base, ExportFormat.RDFXML),
        "sarcoma-kg-full.ttl": serialize(full, ExportFormat.TURTLE),
        "sarcoma-kg-full.owl": serialize(full, ExportFormat.RDFXML),
        "sarcoma-kg-full.nt": serialize(full, ExportFormat.NTRIPLES),
        "sarcoma-kg-full.jsonld": jsonld_document(full),
    }
    files = dict(artifacts)
    files["void.ttl"] = _turtle(void_graph(full, chosen, artifacts))
    changes = None
    if old is not None:
        changes = diff_graphs(old, full)
        files["diff.md"] = diff_markdown(changes, previous=Path(previous).name, current=chosen).encode("utf-8")
        files["diff.tsv"] = diff_tsv(changes).encode("utf-8")
    target = Path(out_dir) / chosen
    guarded = [*inputs, *([previous] if previous is not None else [])]
    for name, payload in files.items():
        check_output(target / name, inputs=guarded)
        if not force and (target / name).is_file() and (target / name).read_bytes() != payload:
            raise OutputError(
                f"{target}/ is the dated release {chosen} and {name} would change: a release is immutable "
                "(give a new --version, or --force to replace it)"
            )
    outputs = tuple(write_atomic(target / name, payload, inputs=guarded) for name, payload in files.items())
    return ReleaseSummary(chosen, target, outputs, len(full), changes)
