"""The main job: load the ontology and knowledge base, reason with HermiT, write the release files.

``dist/sarcoma-kg.ttl``           ontology and data merged (asserted only)
``dist/sarcoma-kg.owl``           the same in RDF/XML, for Protégé and OBO tools
``dist/sarcoma-kg-inferred.ttl``  the same plus HermiT's inferred subclass, equivalence and type assertions

Everything downstream (queries, validation, serving, loading) reads the inferred graph, so what HermiT
classifies (a drug that inhibits a tyrosine kinase is a tyrosine kinase inhibitor) is what users query.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, RDF

from . import paths
from .errors import IncoherentOntology
from .export import ExportFormat, serialize
from .fileio import write_atomic
from .graph import StoreKind, knowledge_base_files, load_files, load_knowledge_base
from .reason import ReasonerResult, reason

__all__ = [
    "INFERRED_FILE",
    "MERGED_FILE",
    "OWL_FILE",
    "BuildSummary",
    "build",
    "collapse_imports",
    "count_entities",
    "load_built_graph",
    "reason_knowledge_base",
]

MERGED_FILE = "sarcoma-kg.ttl"
OWL_FILE = "sarcoma-kg.owl"
INFERRED_FILE = "sarcoma-kg-inferred.ttl"

_COUNTS_QUERY = """
SELECT
  (COUNT(DISTINCT ?class) AS ?classes)
  (COUNT(DISTINCT ?op) AS ?objectProperties)
  (COUNT(DISTINCT ?dp) AS ?dataProperties)
  (COUNT(DISTINCT ?ap) AS ?annotationProperties)
  (COUNT(DISTINCT ?ind) AS ?individuals)
  (COUNT(DISTINCT ?stmt) AS ?statements)
  (COUNT(DISTINCT ?src) AS ?sources)
  (COUNT(DISTINCT ?case) AS ?cases)
WHERE {
  { ?class a owl:Class FILTER(isIRI(?class)) }
  UNION { ?op a owl:ObjectProperty }
  UNION { ?dp a owl:DatatypeProperty }
  UNION { ?ap a owl:AnnotationProperty }
  UNION { ?ind a owl:NamedIndividual }
  UNION { ?stmt a/rdfs:subClassOf* sarc:SourcedStatement }
  UNION { ?src a sarc:SourceDocument }
  UNION { ?case a sarc:PatientCase }
}
"""


@dataclass(frozen=True)
class BuildSummary:
    """What a build produced, for the CLI summary and for tests."""

    counts: dict[str, int]
    asserted_triples: int
    inferred_triples: int
    reasoner: ReasonerResult = field(repr=False)
    timings: dict[str, float]
    outputs: tuple[Path, ...]


def count_entities(graph: Graph) -> dict[str, int]:
    """Counts of declared classes, properties, individuals, statements, sources and cases."""
    row = next(iter(graph.query(_COUNTS_QUERY)))
    return {str(var): int(row[var]) for var in row.labels}


def collapse_imports(graph: Graph) -> None:
    """Make the loaded import closure one ontology, as ``robot merge --collapse-import-closure`` does.

    The import modules' axioms are already in ``graph``; their ``owl:Ontology`` headers and the main ontology's
    ``owl:imports`` go, so the merged release is one self-contained ontology (the OWL API and Protégé would
    otherwise look the imports up on the web). Each module's ``dcterms:source`` (its citation, e.g. NCIt and its
    version) moves to the main header, so the release still says where the imported terms come from.
    """
    headers = set(graph.subjects(RDF.type, OWL.Ontology))
    imported = {o for s, o in graph.subject_objects(OWL.imports) if s in headers}
    main = sorted(headers - imported)
    for module in imported & headers:
        for source in list(graph.objects(module, DCTERMS.source)):
            for header in main:
                graph.add((header, DCTERMS.source, source))
        graph.remove((module, None, None))
    graph.remove((None, OWL.imports, None))


def reason_knowledge_base(graph: Graph) -> ReasonerResult:
    """HermiT over ``graph``; ``IncoherentOntology`` unless consistent with no unsatisfiable class."""
    result = reason(graph)
    if not result.coherent:
        raise IncoherentOntology(result.consistent, tuple(str(c) for c in result.unsatisfiable))
    return result


def build(
    out_dir: str | os.PathLike[str] = paths.DEFAULT_BUILD_DIR,
    *,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
) -> BuildSummary:
    """Load, reason, and write the three release files into ``out_dir`` (each atomically).

    ``ontology`` and ``data`` default to the packaged ones; a curator passes a working copy to try an edit.
    Nothing is written unless the whole build succeeds, so a failed build leaves the previous release intact.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    files = [ontology if ontology is not None else paths.ontology_file(), *paths.import_files()]
    files.extend(data if data is not None else paths.data_files())
    graph = load_files(files)
    collapse_imports(graph)
    timings["load"] = time.perf_counter() - started

    result = reason_knowledge_base(graph)
    timings["reason"] = result.seconds

    started = time.perf_counter()
    merged_ttl = serialize(graph, ExportFormat.TURTLE)
    merged_owl = serialize(graph, ExportFormat.RDFXML)
    asserted = len(graph)
    for triple in result.inferred:
        graph.add(triple)
    inferred_ttl = serialize(graph, ExportFormat.TURTLE)
    target = Path(out_dir)
    outputs = (
        write_atomic(target / MERGED_FILE, merged_ttl),
        write_atomic(target / OWL_FILE, merged_owl),
        write_atomic(target / INFERRED_FILE, inferred_ttl),
    )
    timings["write"] = time.perf_counter() - started
    return BuildSummary(
        counts=count_entities(graph),
        asserted_triples=asserted,
        inferred_triples=len(result.inferred),
        reasoner=result,
        timings=timings,
        outputs=outputs,
    )


def _is_current(built: Path) -> bool:
    if not built.is_file():
        return False
    stamp = built.stat().st_mtime
    return all(source.stat().st_mtime <= stamp for source in knowledge_base_files())


def load_built_graph(
    build_dir: str | os.PathLike[str] | None = paths.DEFAULT_BUILD_DIR,
    *,
    store: StoreKind = StoreKind.OXIGRAPH,
) -> Graph:
    """The reasoned knowledge graph: ``build_dir``'s inferred release when it is current, else built in memory.

    "Current" means no ontology or data file is newer than it, so a curator's edit is never answered from a
    stale release; building in memory reasons with HermiT but writes nothing.
    """
    if build_dir is not None:
        built = Path(build_dir) / INFERRED_FILE
        if _is_current(built):
            return load_files([built], store=store)
    graph = load_knowledge_base(store=store)
    collapse_imports(graph)
    result = reason_knowledge_base(graph)
    graph += result.inferred
    return graph
