"""KGX export: the knowledge graph as Biolink-model ``nodes.tsv`` and ``edges.tsv`` for KGX-based pipelines.

Nodes are our classes under the top categories, each with the Biolink category mapped from its category
(the most specific one: a drug is ``biolink:Drug``, not ``biolink:ChemicalEntity``). Edges are built from the
sourced statements, one per statement, with a Biolink predicate chosen by the statement's kind (and, for
therapies, by its recommendation status), and the PMIDs and DOIs of its sources as publications. Every
predicate and category used here was checked against the Biolink model's documentation.

Both files are tab-separated with a header row, sorted, and written atomically, so the same graph gives the
same bytes. Multi-valued cells are joined with ``|`` as KGX expects.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .errors import InputError
from .fileio import write_atomic
from .namespaces import DCTERMS, OBOINOWL, PREFIXES, SARC

__all__ = [
    "CATEGORY_MAP",
    "EDGE_COLUMNS",
    "KNOWLEDGE_SOURCE",
    "NODE_COLUMNS",
    "STATEMENT_PREDICATES",
    "KgxTables",
    "check_kgx",
    "curie",
    "kgx_tables",
    "write_kgx",
]

NODE_COLUMNS = ("id", "category", "name", "xref", "synonym")
EDGE_COLUMNS = (
    "id",
    "subject",
    "predicate",
    "object",
    "primary_knowledge_source",
    "knowledge_level",
    "agent_type",
    "publications",
)
KNOWLEDGE_SOURCE = "infores:sarcoma-kg"

#: Our top categories -> Biolink categories, most specific first (Drug is under ChemicalEntity).
CATEGORY_MAP: tuple[tuple[str, str], ...] = (
    ("Drug", "biolink:Drug"),
    ("Protein", "biolink:Protein"),
    ("Gene", "biolink:Gene"),
    ("GeneticAlteration", "biolink:SequenceVariant"),
    ("Disease", "biolink:Disease"),
    ("SignOrSymptom", "biolink:PhenotypicFeature"),
    ("BiologicalProcess", "biolink:BiologicalProcess"),
    ("Procedure", "biolink:Procedure"),
    ("AnatomicalEntity", "biolink:AnatomicalEntity"),
    ("ChemicalEntity", "biolink:ChemicalEntity"),
)
_FALLBACK_CATEGORY = "biolink:NamedThing"

# Statement kind -> (subject property, object property, predicate). Therapy predicates depend on the status.
STATEMENT_PREDICATES: dict[str, tuple[str, str, str]] = {
    "TherapyStatement": ("therapy", "aboutDisease", ""),
    "DiagnosticTestStatement": ("test", "aboutDisease", "biolink:diagnoses"),
    "RiskFactorStatement": ("riskFactor", "aboutDisease", "biolink:predisposes_to_condition"),
    "GeneSyndromeStatement": ("aboutDisease", "gene", "biolink:disease_has_basis_in"),
    "MolecularFeatureStatement": ("aboutDisease", "molecularFeature", "biolink:disease_has_basis_in"),
    "SymptomStatement": ("aboutDisease", "symptom", "biolink:has_phenotype"),
    "PrimarySiteStatement": ("aboutDisease", "site", "biolink:disease_has_location"),
    "MetastaticSiteStatement": ("aboutDisease", "site", "biolink:disease_has_location"),
}
_THERAPY_PREDICATES = {
    "StandardTreatment": "biolink:treats",
    "TreatmentOption": "biolink:treats",
    "UnderClinicalStudy": "biolink:studied_to_treat",
    "LimitedEffectiveness": "biolink:applied_to_treat",
}
_THERAPY_DEFAULT = "biolink:treats_or_applied_or_studied_to_treat"
_KNOWLEDGE_LEVEL = "knowledge_assertion"
_AGENT_TYPE = "manual_agent"


@dataclass(frozen=True)
class KgxTables:
    """Rows of the two files, as tuples in column order, sorted."""

    nodes: tuple[tuple[str, ...], ...]
    edges: tuple[tuple[str, ...], ...]


def curie(iri: str) -> str:
    """A compact identifier with the project's prefixes (longest namespace wins); the IRI when none fits.

    >>> curie("https://w3id.org/sarcoma-kg/kb/statement/x")
    'kb:statement/x'
    """
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(PREFIXES[best]) :]}" if best else iri


def _cell(values: Iterable[str]) -> str:
    cleaned = sorted({" ".join(str(v).replace("|", "/").split()) for v in values if str(v).strip()})
    return "|".join(cleaned)


def _label(graph: Graph, node: URIRef) -> str:
    labels = sorted(graph.objects(node, RDFS.label), key=lambda lit: (getattr(lit, "language", None) != "en", lit))
    return _cell(labels[:1])


def _categories(graph: Graph) -> dict[URIRef, str]:
    """Each class under a mapped top category -> its most specific Biolink category."""
    tops = " ".join(f"<{SARC[local]}>" for local, _ in CATEGORY_MAP)
    query = (
        "SELECT DISTINCT ?class ?top WHERE { VALUES ?top { " + tops + " } "
        f"?class <{RDFS.subClassOf}>* ?top . ?class a <{OWL.Class}> FILTER(isIRI(?class)) }}"
    )
    rank = {SARC[local]: index for index, (local, _) in enumerate(CATEGORY_MAP)}
    best: dict[URIRef, int] = {}
    for cls, top in graph.query(query):
        best[cls] = min(best.get(cls, len(rank)), rank[top])
    found = {cls: CATEGORY_MAP[index][1] for cls, index in best.items()}
    return found


def _publications(graph: Graph, statement: URIRef) -> str:
    ids = []
    for source in graph.objects(statement, DCTERMS.source):
        ids += [f"PMID:{pmid}" for pmid in graph.objects(source, SARC.pmid)]
        for doi in graph.objects(source, SARC.doi):
            text = str(doi)
            for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
                text = text.removeprefix(prefix)
            ids.append(f"doi:{text}")
    return _cell(ids)


def _edges(graph: Graph) -> tuple[list[tuple[str, ...]], set[URIRef]]:
    rows = []
    ends: set[URIRef] = set()
    for kind, (subject_property, object_property, predicate) in STATEMENT_PREDICATES.items():
        for statement in sorted(set(graph.subjects(RDF.type, SARC[kind]))):
            if not isinstance(statement, URIRef):
                continue
            if kind == "TherapyStatement":
                statuses = sorted(
                    str(s).removeprefix(str(SARC)) for s in graph.objects(statement, SARC.recommendationStatus)
                )
                predicate = _THERAPY_PREDICATES.get(statuses[0], _THERAPY_DEFAULT) if statuses else _THERAPY_DEFAULT
            subjects = sorted(o for o in graph.objects(statement, SARC[subject_property]) if isinstance(o, URIRef))
            objects = sorted(o for o in graph.objects(statement, SARC[object_property]) if isinstance(o, URIRef))
            pairs = [(s, o) for s in subjects for o in objects]
            publications = _publications(graph, statement)
            for index, (subject, obj) in enumerate(pairs):
                ends.update((subject, obj))
                edge_id = curie(str(statement)) + (f"#{index + 1}" if len(pairs) > 1 else "")
                rows.append(
                    (
                        edge_id,
                        curie(str(subject)),
                        predicate,
                        curie(str(obj)),
                        KNOWLEDGE_SOURCE,
                        _KNOWLEDGE_LEVEL,
                        _AGENT_TYPE,
                        publications,
                    )
                )
    return rows, ends


def kgx_tables(graph: Graph) -> KgxTables:
    """The KGX nodes and edges of ``graph`` (the reasoned release, so inferred subclasses are categorised)."""
    categories = _categories(graph)
    edges, ends = _edges(graph)
    for end in ends:  # an edge end outside the mapped categories still becomes a node
        categories.setdefault(end, _FALLBACK_CATEGORY)
    by_curie = {curie(str(iri)): iri for iri in categories}
    nodes = []
    for node_id, iri in by_curie.items():
        xrefs = graph.objects(iri, OBOINOWL.hasDbXref)
        synonyms = [*graph.objects(iri, OBOINOWL.hasExactSynonym), *graph.objects(iri, OBOINOWL.hasRelatedSynonym)]
        nodes.append((node_id, categories[iri], _label(graph, iri), _cell(xrefs), _cell(synonyms)))
    return KgxTables(nodes=tuple(sorted(nodes)), edges=tuple(sorted(edges, key=lambda r: (r[1], r[2], r[3], r[0]))))


def _tsv(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    lines = ["\t".join(columns)] + ["\t".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_kgx(graph: Graph, out_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write ``nodes.tsv`` and ``edges.tsv`` into ``out_dir`` (each atomically); returns their paths."""
    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: the KGX export writes two files, so -o must be a directory")
    tables = kgx_tables(graph)
    nodes = _tsv(NODE_COLUMNS, tables.nodes)
    edges = _tsv(EDGE_COLUMNS, tables.edges)
    return write_atomic(target / "nodes.tsv", nodes), write_atomic(target / "edges.tsv", edges)


def _read_tsv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        return [], []
    header = lines[0].split("\t")
    return header, [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]


def check_kgx(directory: str | os.PathLike[str], *, required: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """Problems with a KGX export (empty when it is fine): required columns, empty required cells,
    Biolink CURIEs for categories and predicates, and every edge's subject and object being a node."""
    folder = Path(directory)
    wanted = required or {
        "nodes.tsv": ("id", "category", "name"),
        "edges.tsv": ("subject", "predicate", "object", "primary_knowledge_source", "knowledge_level", "agent_type"),
    }
    problems: list[str] = []
    tables: dict[str, list[dict[str, str]]] = {}
    for name, columns in wanted.items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
            continue
        header, rows = _read_tsv(path)
        tables[name] = rows
        problems += [f"{name}: no '{c}' column" for c in columns if c not in header]
        for number, row in enumerate(rows, start=2):
            problems += [f"{name}:{number}: empty '{c}'" for c in columns if c in header and not row.get(c)]
    node_ids = {row.get("id", "") for row in tables.get("nodes.tsv", [])}
    for number, row in enumerate(tables.get("nodes.tsv", []), start=2):
        if not all(c.startswith("biolink:") for c in row.get("category", "").split("|")):
            problems.append(f"nodes.tsv:{number}: category '{row.get('category')}' is not a biolink: CURIE")
    for number, row in enumerate(tables.get("edges.tsv", []), start=2):
        if not row.get("predicate", "").startswith("biolink:"):
            problems.append(f"edges.tsv:{number}: predicate '{row.get('predicate')}' is not a biolink: CURIE")
        for end in ("subject", "object"):
            if row.get(end) and row[end] not in node_ids:
                problems.append(f"edges.tsv:{number}: {end} {row[end]} is not in nodes.tsv")
    return problems
