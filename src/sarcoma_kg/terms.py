"""What the graph says about one term: the description behind a term page, ``sarcoma-kg show`` and the picture.

A term is any IRI of the project's namespace that is the subject of a triple: a class, a property, a value-set
individual, a sourced statement (``kb:statement/...``), a source, a patient case. Its description gathers its
label, definition, synonyms by type, cross-references, parents and children (the reasoned hierarchy; edges the
sources do not assert are marked inferred), the class-level relations of its axioms, every other property it
has, the sourced statements that mention it (each with all its properties, labelled, so slots added later show
without code changes) and the stored queries that take it as a parameter.

:meth:`Terms.triples` is the linked-data view of the same term: its own triples (blank-node closure included,
as a concise bounded description) and those of the statements about it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from .errors import InputError
from .graph import load_files, load_knowledge_base, to_ox
from .namespaces import DCTERMS, IAO_DEFINITION, KB, OBOINOWL, PREFIXES, SARC
from .queries import ParamType, QueryParam, StoredQuery, compact_term, load_catalogue, parse_param_value
from .search_index import fold, select_values

__all__ = [
    "TOP_CATEGORIES",
    "Link",
    "Property",
    "Relation",
    "StatementView",
    "TermDescription",
    "TermFormat",
    "Terms",
    "asserted_graph",
    "is_iri",
    "xref_url",
]

#: The ontology's top categories (docs/model.md), in the order the tree shows them.
TOP_CATEGORIES = tuple(
    SARC[name]
    for name in (
        "Disease",
        "Gene",
        "GeneticAlteration",
        "Protein",
        "ChemicalEntity",
        "Procedure",
        "SignOrSymptom",
        "AnatomicalEntity",
        "BiologicalProcess",
        "ValueSetMember",
        "SourcedStatement",
        "SourceDocument",
        "PatientCase",
        "HistoryFeature",
        "CareTeamRole",
    )
)
_SYNONYM_TYPES = {
    OBOINOWL.hasExactSynonym: "exact",
    OBOINOWL.hasRelatedSynonym: "related",
    OBOINOWL.hasBroadSynonym: "broad",
    OBOINOWL.hasNarrowSynonym: "narrow",
}
_MATCHES = {
    SKOS.exactMatch: "exact match",
    SKOS.closeMatch: "close match",
    SKOS.broadMatch: "broad match",
    SKOS.narrowMatch: "narrow match",
    SKOS.relatedMatch: "related match",
}
# Shown in their own sections, so left out of the generic property list.
_SECTIONED = {RDFS.label, IAO_DEFINITION, RDFS.subClassOf, RDF.type, OBOINOWL.hasDbXref, *_SYNONYM_TYPES, *_MATCHES}
_SKIP_TYPES = {OWL.NamedIndividual, OWL.Class, OWL.Thing}
# The properties of a statement listed first, in this order; the others follow alphabetically by label.
_STATEMENT_FIRST = (RDF.type, DCTERMS.source, SARC.evidenceLevel, SARC.recommendationStatus)


class TermFormat:
    """The RDF serialisations of a term description, by media type (the first being the default)."""

    FORMATS: dict[str, ox.RdfFormat] = {  # noqa: RUF012 - a constant table
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/ld+json": ox.RdfFormat.JSON_LD,
    }


def xref_url(curie: str) -> str:
    """Where a cross-reference CURIE resolves: the Bioregistry resolver, which knows every prefix we use.

    >>> xref_url("NCIT:C3750")
    'https://bioregistry.io/NCIT:C3750'
    """
    return f"https://bioregistry.io/{curie}"


@dataclass(frozen=True)
class Link:
    """A node as a page shows it: its IRI (or literal text), label, and whether the edge to it is inferred."""

    iri: str
    label: str
    inferred: bool = False
    literal: bool = False

    @property
    def curie(self) -> str:
        return self.iri if self.literal else compact_term(URIRef(self.iri))

    @property
    def path(self) -> str | None:
        """The path of its term page on ``serve``, when it is one of ours."""
        if self.literal or not self.iri.startswith(str(SARC)):
            return None
        return "/" + self.iri[len(str(SARC)) :]


@dataclass(frozen=True)
class Property:
    """One property of a term or statement: the predicate and a value (a node or a literal)."""

    predicate: Link
    value: Link


@dataclass(frozen=True)
class Relation:
    """A class-level relation from an axiom: ``SubClassOf predicate some target``."""

    predicate: Link
    target: Link


@dataclass(frozen=True)
class StatementView:
    """A sourced statement that mentions the term, with every property it has."""

    node: Link
    properties: tuple[Property, ...]
    mentions_via: tuple[Link, ...]

    def values(self, predicate: URIRef) -> list[Link]:
        return [p.value for p in self.properties if p.predicate.iri == str(predicate)]


@dataclass(frozen=True)
class QueryUse:
    """A stored query that takes the term as its parameter ``param``."""

    name: str
    summary: str
    param: str


@dataclass(frozen=True)
class TermDescription:
    """Everything a term page shows, in a deterministic order."""

    node: Link
    kind: str
    definition: str | None
    synonyms: tuple[tuple[str, tuple[str, ...]], ...]
    xrefs: tuple[tuple[str, str], ...]
    matches: tuple[tuple[str, str], ...]
    parents: tuple[Link, ...]
    children: tuple[Link, ...]
    members: tuple[Link, ...]
    relations: tuple[Relation, ...]
    properties: tuple[Property, ...]
    statements: tuple[StatementView, ...]
    queries: tuple[QueryUse, ...] = field(default=())

    @property
    def iri(self) -> str:
        return self.node.iri

    @property
    def label(self) -> str:
        return self.node.label


def asserted_graph(data_files: Iterable[str | os.PathLike[str]] = ()) -> Graph:
    """What the sources assert (ontology, knowledge base, extra data files), to tell inferred edges apart."""
    graph = load_knowledge_base()
    load_files(list(data_files), graph=graph)
    return graph


class Terms:
    """Term descriptions over one reasoned graph.

    ``asserted`` is the same graph before reasoning (see :func:`asserted_graph`); without it no edge is marked
    inferred. ``catalogue`` is the stored queries offered on the pages (the packaged ones by default).
    """

    def __init__(
        self,
        graph: Graph,
        *,
        asserted: Graph | None = None,
        catalogue: Sequence[StoredQuery] | None = None,
        member_limit: int = 200,
    ) -> None:
        self.graph = graph
        self.asserted = asserted
        self.catalogue = tuple(load_catalogue() if catalogue is None else catalogue)
        self.member_limit = member_limit
        self._labels: dict[URIRef, str] = {}

    # -- small helpers -------------------------------------------------------------------------------------
    def label(self, node: URIRef | BNode) -> str:
        if isinstance(node, BNode):
            return "(anonymous)"
        if node not in self._labels:
            value = self.graph.value(node, RDFS.label)
            self._labels[node] = str(value) if value is not None else compact_term(node)
        return self._labels[node]

    def link(self, node: URIRef | BNode | Literal, *, inferred: bool = False) -> Link:
        if isinstance(node, Literal):
            return Link(str(node), str(node), literal=True)
        return Link(str(node), self.label(node), inferred=inferred)

    def _inferred(self, triple: tuple) -> bool:
        return self.asserted is not None and triple not in self.asserted

    def resolve(self, text: str) -> URIRef:
        """The term named by a CURIE (``sarc:AlveolarSoftPartSarcoma``), an IRI, or a local part of ``sarc:``.

        Raises ``InputError`` when the graph says nothing about it.
        """
        text = text.strip()
        if not text:
            raise InputError(
                "no term given: name one as a CURIE (sarc:AlveolarSoftPartSarcoma), an IRI or a local name"
            )
        if text.startswith(("http://", "https://")):
            iri = URIRef(text)
        elif ":" in text.split("/")[0] and text.split(":", 1)[0] in PREFIXES:
            iri = parse_param_value(_IRI_PARAM, text)
        else:
            iri = SARC[text.lstrip("/")]
        if not is_iri(iri):
            raise InputError(f"'{text}' is not an IRI, a CURIE or a local name")
        if (iri, None, None) not in self.graph:
            raise InputError(f"the graph has nothing about {compact_term(iri)}: search for the term by name instead")
        return iri

    def ancestors(self, node: URIRef) -> set[URIRef]:
        """Named classes above ``node`` (itself included for classes; via its types for individuals)."""
        seen: set[URIRef] = set()
        todo = [node, *[t for t in self.graph.objects(node, RDF.type) if isinstance(t, URIRef)]]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(p for p in self.graph.objects(current, RDFS.subClassOf) if isinstance(p, URIRef))
        return seen

    def _category_roots(self, node: URIRef) -> set[URIRef]:
        roots = set(TOP_CATEGORIES) - {SARC.ValueSetMember}
        roots |= {c for c in self.graph.subjects(RDFS.subClassOf, SARC.ValueSetMember) if isinstance(c, URIRef)}
        return self.ancestors(node) & roots

    # -- the hierarchy -------------------------------------------------------------------------------------
    def parents(self, node: URIRef) -> list[Link]:
        """Named superclasses (classes) or types (individuals), inferred ones marked."""
        out = []
        for prop in (RDFS.subClassOf, RDF.type):
            for parent in self.graph.objects(node, prop):
                if isinstance(parent, URIRef) and parent != node and parent not in _SKIP_TYPES and _ours(parent):
                    out.append(self.link(parent, inferred=self._inferred((node, prop, parent))))
        return _sorted(out)

    def children(self, node: URIRef) -> list[Link]:
        """Named subclasses, inferred ones marked."""
        out = [
            self.link(child, inferred=self._inferred((child, RDFS.subClassOf, node)))
            for child in self.graph.subjects(RDFS.subClassOf, node)
            if isinstance(child, URIRef) and child != node
        ]
        return _sorted(out)

    def members(self, node: URIRef) -> list[Link]:
        """Individuals of a class that are the ontology's own (value-set members), not cases or statements."""
        rows = select_values(self.graph, _MEMBERS_QUERY, {"class": node})
        out = [self.link(URIRef(m), inferred=self._inferred((URIRef(m), RDF.type, node))) for (m,) in rows]
        return _sorted(out)[: self.member_limit]

    def has_children(self, node: URIRef) -> bool:
        return any(isinstance(c, URIRef) and c != node for c in self.graph.subjects(RDFS.subClassOf, node))

    # -- the description -----------------------------------------------------------------------------------
    def describe(self, iri: URIRef) -> TermDescription:
        """The description of ``iri`` (see :meth:`resolve` to get one from user text)."""
        graph = self.graph
        if (iri, None, None) not in graph:
            raise InputError(f"the graph has nothing about {compact_term(iri)}")
        types = set(graph.objects(iri, RDF.type))
        definition = graph.value(iri, IAO_DEFINITION)
        synonyms = tuple(
            (kind, tuple(sorted({str(s) for s in graph.objects(iri, prop)}, key=fold)))
            for prop, kind in _SYNONYM_TYPES.items()
            if (iri, prop, None) in graph
        )
        xrefs = tuple((str(x), xref_url(str(x))) for x in sorted(graph.objects(iri, OBOINOWL.hasDbXref), key=str))
        matches = tuple(
            sorted(
                (relation, str(target)) for prop, relation in _MATCHES.items() for target in graph.objects(iri, prop)
            )
        )
        relations = self._relations(iri)
        properties = tuple(
            sorted(
                (
                    Property(self.link(p), self.link(o))
                    for p, o in graph.predicate_objects(iri)
                    if p not in _SECTIONED and not isinstance(o, BNode)
                ),
                key=lambda prop: (fold(prop.predicate.label), prop.value.label, prop.value.iri),
            )
        )
        return TermDescription(
            node=self.link(iri),
            kind=_kind(types),
            definition=str(definition) if definition is not None else None,
            synonyms=synonyms,
            xrefs=xrefs,
            matches=matches,
            parents=tuple(self.parents(iri)),
            children=tuple(self.children(iri)),
            members=tuple(self.members(iri)) if OWL.Class in types else (),
            relations=relations,
            properties=properties,
            statements=tuple(self.statements_about(iri)),
            queries=tuple(self.queries_for(iri)),
        )

    def _relations(self, iri: URIRef) -> tuple[Relation, ...]:
        out = []
        for restriction in self.graph.objects(iri, RDFS.subClassOf):
            if not isinstance(restriction, BNode):
                continue
            prop = self.graph.value(restriction, OWL.onProperty)
            target = self.graph.value(restriction, OWL.someValuesFrom)
            if isinstance(prop, URIRef) and isinstance(target, URIRef):
                out.append(Relation(self.link(prop), self.link(target)))
        return tuple(sorted(out, key=lambda r: (fold(r.predicate.label), fold(r.target.label), r.target.iri)))

    def statement_nodes(self, iri: URIRef) -> list[URIRef]:
        """The sourced statements with a property whose value is ``iri``."""
        return sorted(URIRef(s) for (s,) in select_values(self.graph, _STATEMENTS_QUERY, {"term": iri}))

    def statements_about(self, iri: URIRef) -> list[StatementView]:
        views = []
        for node in self.statement_nodes(iri):
            properties = [
                Property(self.link(p), self.link(o))
                for p, o in self.graph.predicate_objects(node)
                if p != RDFS.label and not isinstance(o, BNode) and not (p == RDF.type and o in _SKIP_TYPES)
            ]
            properties.sort(key=_statement_order)
            via = _sorted({self.link(p) for p in self.graph.predicates(node, iri)})
            views.append(StatementView(self.link(node), tuple(properties), tuple(via)))
        return sorted(views, key=lambda v: (fold(v.node.label), v.node.iri))

    def queries_for(self, iri: URIRef) -> list[QueryUse]:
        """Stored queries with an IRI parameter whose default is of the same category as ``iri``."""
        mine = self._category_roots(iri)
        uses = []
        for query in self.catalogue:
            for param in query.params:
                if param.type != ParamType.IRI or param.default is None:
                    continue
                default = parse_param_value(param, param.default)
                if default == iri or (mine and mine & self._category_roots(default)):
                    uses.append(QueryUse(query.name, query.summary, param.name))
        return sorted(uses, key=lambda u: (u.name, u.param))

    # -- linked data ---------------------------------------------------------------------------------------
    def triples(self, iri: URIRef) -> list[tuple]:
        """The term's concise bounded description and those of the statements about it, sorted."""
        out: set[tuple] = set()
        for subject in [iri, *self.statement_nodes(iri)]:
            self._cbd(subject, out)
        return sorted(out, key=lambda t: tuple(x.n3() for x in t))

    def _cbd(self, subject: URIRef | BNode, out: set[tuple], seen: set | None = None) -> None:
        seen = set() if seen is None else seen
        if subject in seen:
            return
        seen.add(subject)
        for p, o in self.graph.predicate_objects(subject):
            out.add((subject, p, o))
            if isinstance(o, BNode):
                self._cbd(o, out, seen)

    def serialize(self, iri: URIRef, media_type: str) -> bytes:
        """The linked-data view of ``iri`` in one of :attr:`TermFormat.FORMATS`.

        Blank nodes are renamed from a hash of what they hold, so the bytes do not depend on the store's labels.
        """
        fmt = TermFormat.FORMATS[media_type]
        triples = _stable_bnodes(self.triples(iri))
        triples = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in triples]
        prefixes = PREFIXES if fmt is ox.RdfFormat.TURTLE else None
        return ox.serialize(triples, format=fmt, prefixes=prefixes)


# Asked of Oxigraph directly: a cohort types thousands of tumour nodes with a disease class.
_MEMBERS_QUERY = """
SELECT DISTINCT ?member WHERE {
  ?member a ?class .
  FILTER(isIRI(?member) && STRSTARTS(STR(?member), "https://w3id.org/sarcoma-kg/")
         && !STRSTARTS(STR(?member), "https://w3id.org/sarcoma-kg/kb/")
         && !STRSTARTS(STR(?member), "https://w3id.org/sarcoma-kg/case/"))
}
"""
_STATEMENTS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX sarc: <https://w3id.org/sarcoma-kg/>
SELECT DISTINCT ?statement WHERE {
  ?statement ?property ?term .
  FILTER(isIRI(?statement) && ?statement != ?term)
  FILTER(STRSTARTS(STR(?statement), "https://w3id.org/sarcoma-kg/kb/statement/")
         || EXISTS { ?statement a ?kind . ?kind rdfs:subClassOf* sarc:SourcedStatement })
}
"""
# CURIEs are read the way stored-query parameters are.
_IRI_PARAM = QueryParam("term", ParamType.IRI)


def is_iri(text: str) -> bool:
    """Whether ``text`` is a valid absolute IRI (Oxigraph's check), so a lookup cannot fail inside the store.

    >>> is_iri("https://w3id.org/sarcoma-kg/Lung"), is_iri("https://w3id.org/sarcoma-kg/a b")
    (True, False)
    """
    try:
        ox.NamedNode(str(text))
    except ValueError:
        return False
    return True


def _stable_bnodes(triples: list[tuple]) -> list[tuple]:
    """The triples with each blank node named by a digest of its content (recursively), sorted."""
    content: dict[BNode, list[tuple]] = {}
    for s, p, o in triples:
        if isinstance(s, BNode):
            content.setdefault(s, []).append((p, o))
    names: dict[BNode, str] = {}

    def name(node: BNode, depth: int = 0) -> str:
        if node not in names:
            parts = sorted(
                f"{p.n3()} {name(o, depth + 1) if isinstance(o, BNode) and depth < 50 else o.n3()}"
                for p, o in content.get(node, [])
            )
            names[node] = "b" + hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
        return names[node]

    def rename(term):
        return BNode(name(term)) if isinstance(term, BNode) else term

    out = {(rename(s), p, rename(o)) for s, p, o in triples}
    return sorted(out, key=lambda t: tuple(x.n3() for x in t))


def _ours(node: URIRef) -> bool:
    return str(node).startswith(str(SARC))


def _ontology_term(node: URIRef) -> bool:
    text = str(node)
    return text.startswith(str(SARC)) and not text.startswith(str(KB)) and not text.startswith(str(SARC) + "case/")


def _kind(types: set) -> str:
    if OWL.Class in types:
        return "class"
    if OWL.ObjectProperty in types:
        return "object property"
    if OWL.DatatypeProperty in types:
        return "data property"
    if OWL.AnnotationProperty in types:
        return "annotation property"
    if OWL.Ontology in types:
        return "ontology"
    return "individual"


def _sorted(links: Iterable[Link]) -> list[Link]:
    return sorted(links, key=lambda link: (fold(link.label), link.iri))


def _statement_order(prop: Property) -> tuple:
    iri = URIRef(prop.predicate.iri)
    first = _STATEMENT_FIRST.index(iri) if iri in _STATEMENT_FIRST else len(_STATEMENT_FIRST)
    return (first, fold(prop.predicate.label), fold(prop.value.label), prop.value.iri)
