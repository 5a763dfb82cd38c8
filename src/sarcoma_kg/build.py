"""The main job: load the ontology and knowledge base, reason with HermiT, write the release files.

``dist/sarcoma-kg.ttl``           ontology and data merged (asserted only)
``dist/sarcoma-kg.owl``           the same in RDF/XML, for Protégé and OBO tools
``dist/sarcoma-kg-inferred.ttl``  the same plus HermiT's inferred subclass, equivalence and type assertions

Everything downstream (queries, validation, serving, loading) reads the inferred graph, so what HermiT
classifies (a drug that inhibits a tyrosine kinase is a tyrosine kinase inhibitor) is what users query.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from . import __version__, paths
from .errors import IncoherentOntology, InputError
from .export import ExportFormat, serialize
from .fileio import write_atomic
from .graph import StoreKind, load_files
from .reason import ReasonerResult, reason

__all__ = [
    "INFERRED_FILE",
    "MANIFEST_FILE",
    "MERGED_FILE",
    "OWL_FILE",
    "BuildSummary",
    "build",
    "build_status",
    "count_entities",
    "load_built_graph",
    "load_merged_graph",
    "reason_knowledge_base",
    "source_files",
]

MERGED_FILE = "sarcoma-kg.ttl"
OWL_FILE = "sarcoma-kg.owl"
INFERRED_FILE = "sarcoma-kg-inferred.ttl"
#: The build's record of what it was made from (inputs' sha256, tool version) and what it wrote (outputs' sha256).
MANIFEST_FILE = "sarcoma-kg-build.json"

_log = logging.getLogger("sarcoma_kg")

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


def reason_knowledge_base(graph: Graph) -> ReasonerResult:
    """HermiT over ``graph``; ``IncoherentOntology`` unless consistent with no unsatisfiable class."""
    result = reason(graph)
    if not result.coherent:
        raise IncoherentOntology(result.consistent, tuple(str(c) for c in result.unsatisfiable))
    return result


def source_files(
    ontology: str | os.PathLike[str] | None = None, data: Sequence[str | os.PathLike[str]] | None = None
) -> list[Path]:
    """The input files of a build, in load order: ``ontology`` (default: the packaged one), then ``data``
    (default: the packaged ``data/*.ttl``). Every command that takes ``--ontology``/``--data`` resolves them here.
    """
    files = [Path(ontology) if ontology is not None else paths.ontology_file()]
    files.extend(Path(f) for f in data) if data else files.extend(paths.data_files())
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(inputs: Sequence[Path], outputs: dict[str, bytes]) -> bytes:
    """The build manifest: tool and version, each input's name and sha256 (in load order), each output's sha256.

    Names, not paths, so the same inputs give the same bytes on every machine.
    """
    record = {
        "tool": "sarcoma-kg",
        "version": __version__,
        "inputs": [{"file": file.name, "sha256": _sha256(file)} for file in inputs],
        "outputs": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(outputs.items())},
    }
    return (json.dumps(record, indent=1, sort_keys=True) + "\n").encode("utf-8")


def _ensure_classes(graph: Graph, ontology: Path) -> None:
    if not graph.query("ASK { ?c a owl:Class FILTER(isIRI(?c)) }").askAnswer:
        raise InputError(f"{ontology}: the ontology declares no class (owl:Class): nothing to build")


def build(
    out_dir: str | os.PathLike[str] = paths.DEFAULT_BUILD_DIR,
    *,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
) -> BuildSummary:
    """Load, reason, and write the three release files and the manifest into ``out_dir`` (each atomically).

    ``ontology`` and ``data`` default to the packaged ones; a curator passes a working copy to try an edit.
    Nothing is written unless the whole build succeeds, so a failed build leaves the previous release intact.
    The manifest (``MANIFEST_FILE``) goes last: it records the inputs' and outputs' digests, which is how
    :func:`load_built_graph` knows the directory is current.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    files = source_files(ontology, data)
    graph = load_files(files)
    _ensure_classes(load_files(files[:1]), files[0])
    timings["load"] = time.perf_counter() - started

    result = reason_knowledge_base(graph)
    timings["reason"] = result.seconds

    started = time.perf_counter()
    products = {MERGED_FILE: serialize(graph, ExportFormat.TURTLE), OWL_FILE: serialize(graph, ExportFormat.RDFXML)}
    asserted = len(graph)
    for triple in result.inferred:
        graph.add(triple)
    products[INFERRED_FILE] = serialize(graph, ExportFormat.TURTLE)
    target = Path(out_dir)
    outputs = tuple(write_atomic(target / name, data, inputs=files) for name, data in products.items())
    write_atomic(target / MANIFEST_FILE, _manifest(files, products), inputs=files)
    timings["write"] = time.perf_counter() - started
    return BuildSummary(
        counts=count_entities(graph),
        asserted_triples=asserted,
        inferred_triples=len(result.inferred),
        reasoner=result,
        timings=timings,
        outputs=outputs,
    )


def build_status(
    build_dir: str | os.PathLike[str] | None,
    *,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
) -> str | None:
    """None when ``build_dir`` holds a current build of these inputs, else why not (a sentence fragment).

    Current means: its manifest records exactly these inputs' sha256 digests, in order, and every output still
    has the digest recorded when it was written (a truncated or edited release is not current). File times
    are not trusted: a ``touch`` or a copy changes them without changing a byte.
    """
    if build_dir is None:
        return "no build directory was given"
    directory = Path(build_dir)
    manifest_file = directory / MANIFEST_FILE
    if not manifest_file.is_file():
        return f"{directory}/ holds no build manifest ({MANIFEST_FILE})"
    try:
        record = json.loads(manifest_file.read_text(encoding="utf-8"))
        recorded_inputs = [entry["sha256"] for entry in record["inputs"]]
        recorded_outputs = dict(record["outputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{manifest_file} is damaged"
    files = source_files(ontology, data)
    try:
        digests = [_sha256(file) for file in files]
    except OSError:
        return "an input file cannot be read"
    if digests != recorded_inputs:
        return f"{directory}/ was built from other inputs (the ontology or data changed since)"
    for name in (MERGED_FILE, INFERRED_FILE):
        output = directory / name
        try:
            current = _sha256(output)
        except OSError:
            return f"{output} is missing"
        if recorded_outputs.get(name) != current:
            return f"{output} is not the file the build wrote (damaged or edited)"
    return None


def _current_build(
    build_dir: str | os.PathLike[str] | None,
    ontology: str | os.PathLike[str] | None,
    data: Sequence[str | os.PathLike[str]] | None,
    instead: str,
) -> Path | None:
    """``build_dir`` when it is current for these inputs; else None, with a note saying what is done instead."""
    reason = build_status(build_dir, ontology=ontology, data=data)
    if reason is None:
        return Path(build_dir)
    if build_dir is not None and Path(build_dir).exists():
        _log.warning("%s: %s instead (run 'sarcoma-kg build' to refresh it)", reason, instead)
    return None


def load_built_graph(
    build_dir: str | os.PathLike[str] | None = paths.DEFAULT_BUILD_DIR,
    *,
    store: StoreKind = StoreKind.OXIGRAPH,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
) -> Graph:
    """The reasoned knowledge graph: ``build_dir``'s inferred release when it is current, else built in memory.

    Current is decided by :func:`build_status` (digests, not file times), so a curator's edit is never answered
    from a stale release. A stale or damaged build directory is reported on the ``sarcoma_kg`` logger (the CLI
    prints it) and the graph is reasoned with HermiT in memory; nothing is written.
    """
    current = _current_build(build_dir, ontology, data, "reasoning in memory")
    if current is not None:
        return load_files([current / INFERRED_FILE], store=store)
    graph = load_files(source_files(ontology, data), store=store)
    result = reason_knowledge_base(graph)
    graph += result.inferred
    return graph


def load_merged_graph(
    build_dir: str | os.PathLike[str] | None = paths.DEFAULT_BUILD_DIR,
    *,
    store: StoreKind = StoreKind.OXIGRAPH,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
) -> Graph:
    """The asserted graph (ontology and data merged, nothing inferred): the build's when current, else loaded."""
    current = _current_build(build_dir, ontology, data, "reading the sources")
    if current is not None:
        return load_files([current / MERGED_FILE], store=store)
    return load_files(source_files(ontology, data), store=store)
