"""SHACL validation of the knowledge base or of user data, fast enough for cohorts of 50,000 cases.

Why not plain pySHACL: it evaluates every constraint once per focus node through rdflib's API, about 11 ms per
focus node per ``sh:sparql`` constraint, minutes for a 10k-case cohort. Here the data sit in one Oxigraph store,
and each constraint of a shape is compiled to one set-based SPARQL query that finds its violations for *all*
focus nodes at once (Oxigraph runs it in milliseconds); the value, count and ``sh:hasValue`` constraints of a
shape that share its target then run together as one query (``_merged_query``), which an import batch of 10,000
cases made 3x faster than one query each. The compiled subset is what our shapes use: targets
(``sh:targetClass`` with ``rdfs:subClassOf*``, ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``),
property shapes with a predicate or inverse path, ``sh:minCount``, ``sh:maxCount``, ``sh:datatype`` (including
ill-formed lexical forms), ``sh:class``, ``sh:nodeKind``, ``sh:in``, ``sh:min/maxInclusive``,
``sh:min/maxExclusive``, ``sh:pattern``, ``sh:min/maxLength``, ``sh:hasValue``, ``sh:or`` of such value
constraints, and ``sh:sparql`` SELECT constraints whose body binds ``$this`` at its top level. Any shape using
something else (``sh:node``, ``sh:closed``, complex paths, ``$PATH``, SPARQL-based constraint components, custom
severities, ``$this`` inside a nested group, which SHACL pre-binds rather than joins, ...) is handed, unchanged,
to pySHACL on an rdflib graph of the same files, and its results are merged into the same W3C report; so no SHACL
feature is given up. The same holds for property shapes whose values include literals Oxigraph would store in
another form (``"4.0"^^xsd:decimal`` as ``"4"``): rdflib keeps them as written. What SHACL says must not be
evaluated (MINUS, VALUES, SERVICE in a constraint; counts that are not integers) is refused up front with an
``InputError`` naming the shape. The W3C SHACL test suite runs in ``make test`` (``tests/test_validate_w3c.py``).

Which graph is validated: the *asserted* ontology plus data, not HermiT's release. Validation must work on a
researcher's file at once, without Java or a build, and must report what the file says; SHACL's own
``rdfs:subClassOf*`` semantics of ``sh:class`` and ``sh:targetClass`` already lets an instance of a subclass
pass. Where the hierarchy is stated only by an OWL definition (``sarc:Therapy`` is defined as
``TherapeuticProcedure or Drug``; non-rhabdomyosarcomatous soft tissue sarcoma as an intersection), the subclass
axioms the definition states outright are added first (``add_told_subsumptions``), so the asserted graph gives the
same answer as the reasoned one for every class the shapes name. (``sarcoma_kg.staging`` validates imported
spreadsheets against the reasoned graph through ``validate_store``; both agree on the shipped content.)

User files are loaded into their own named graph beside the ontology's; constraints see both (so the class
hierarchy counts), and results whose focus node only the ontology describes are not reported.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
import rdflib
from oxrdflib import OxigraphStore
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Identifier

from . import paths
from .errors import EnvironmentProblem, InputError, QueryError, RdfSyntaxError
from .graph import from_ox, parse_into, parser_format, to_ox
from .namespaces import PREFIXES, SH, bind_prefixes
from .progress import progress
from .services import check_services

__all__ = [
    "DATA_GRAPH",
    "REFERENCE_GRAPH",
    "SHAPES_GRAPH",
    "SHAPES_NAMESPACE",
    "Engine",
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "add_told_subsumptions",
    "compact",
    "load_shapes",
    "path_text",
    "validate",
    "validate_store",
]

DATA_GRAPH = URIRef("urn:sarcoma-kg:validate:data")
REFERENCE_GRAPH = URIRef("urn:sarcoma-kg:validate:reference")


class Severity(StrEnum):
    """SHACL severities, ordered: a ``--fail-on`` level fails on itself and everything more severe."""

    VIOLATION = "violation"
    WARNING = "warning"
    INFO = "info"

    @property
    def iri(self) -> URIRef:
        return SH[self.value.capitalize()]

    @property
    def rank(self) -> int:
        """0 for Violation (most severe), 2 for Info."""
        return list(Severity).index(self)

    @classmethod
    def from_iri(cls, iri: Identifier | None) -> Severity:
        """The severity for ``sh:Violation``/``sh:Warning``/``sh:Info``; unknown or missing severities count as
        violations (SHACL's default)."""
        for member in cls:
            if iri == member.iri:
                return member
        return cls.VIOLATION


class Engine(StrEnum):
    """``FAST`` compiles what it can to set-based SPARQL; ``PYSHACL`` hands every shape to pySHACL."""

    FAST = "fast"
    PYSHACL = "pyshacl"


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult``, with the focus node's label for people."""

    severity: Severity
    focus_node: Identifier
    focus_label: str | None
    path: Identifier | None
    value: Identifier | None
    message: str
    source_shape: Identifier
    component: URIRef | None
    path_text: str = ""
    severity_iri: URIRef | None = None  # a custom severity's IRI (counted as ``severity`` for --fail-on)

    def sort_key(self) -> tuple:
        return (
            _term_key(self.focus_node),
            self.path_text,
            self.severity.rank,
            self.message,
            _term_key(self.value),
            _term_key(self.source_shape),
            str(self.component or ""),
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome: ``conforms`` is W3C's (no result of any severity); ``results`` sorted deterministically."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    make_graph: Callable[[], Graph] = field(repr=False, compare=False)

    @functools.cached_property
    def graph(self) -> Graph:
        """The W3C ``sh:ValidationReport`` graph, built on first use: for 10,000 results it is 5 s of rdflib adds,
        and the importer reads ``results`` only."""
        return self.make_graph()

    def counts(self) -> dict[Severity, int]:
        """Number of results per severity (every severity present, zero or not)."""
        out = {severity: 0 for severity in Severity}
        for result in self.results:
            out[result.severity] += 1
        return out

    def fails(self, level: Severity = Severity.VIOLATION) -> bool:
        """True when a result is at ``level`` or more severe (what ``--fail-on`` tests)."""
        return any(result.severity.rank <= level.rank for result in self.results)


def _term_key(term: Identifier | None) -> tuple:
    if term is None:
        return (0, "")
    if isinstance(term, URIRef):
        return (1, str(term))
    if isinstance(term, Literal):
        return (2, str(term), str(term.datatype or ""), term.language or "")
    return (3, str(term))


# ---------------------------------------------------------------------------------------------------- loading


def load_shapes(shapes_files: Sequence[str | os.PathLike[str]] | None = None) -> Graph:
    """The shapes graph: ``shapes_files`` or every ``shapes/*.ttl``; bad files raise ``InputError``."""
    files = list(shapes_files) if shapes_files else paths.shapes_files()
    if not files:
        raise EnvironmentProblem(f"no shapes found in {paths.shapes_dir()}: reinstall sarcoma-kg")
    graph = bind_prefixes(Graph())
    for file in files:
        _parse_native(graph, Path(file))
    return graph


_RDFLIB_FORMATS = {"ox-turtle": "turtle", "ox-ntriples": "nt", "ox-xml": "xml", "ox-json-ld": "json-ld"}


@contextlib.contextmanager
def _as_written() -> Iterator[None]:
    """rdflib rewrites literals it parses into a canonical form by default (``"1"^^xsd:boolean`` becomes
    ``"true"``); its documented ``NORMALIZE_LITERALS`` switch keeps them as written while we parse."""
    previous = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = previous


def _parse_native(graph: Graph, file: Path, *, checked: bool = False) -> None:
    """Parse with rdflib's own parser, for what pySHACL sees: Oxigraph's parser types simple literals as
    ``xsd:string``, which rdflib's matching (and so pySHACL) treats as a different term from the same text in a
    query or a shape. The file is first checked by Oxigraph's parser, so syntax errors read as everywhere else."""
    if not checked:
        parse_into(Graph(), file)
    try:
        with _as_written():
            graph.parse(str(file), format=_RDFLIB_FORMATS[parser_format(file)])
    except Exception as exc:  # rdflib's parsers raise many types; the file parsed with Oxigraph already
        raise RdfSyntaxError(str(file), str(exc).split("\n")[0]) from exc


@dataclass
class _Lossy:
    """The data's literals that Oxigraph does not give back as written, by the triples that hold them.

    Oxigraph stores XSD numbers, booleans and dates in a native encoding: ``"4.0"^^xsd:decimal`` comes back as
    ``"4"``, ``"12"^^xsd:byte`` as ``"12"^^xsd:integer`` (so a correct ``sh:datatype xsd:byte`` would fail in a
    query). Shapes whose paths reach these predicates go to pySHACL on an rdflib graph, which keeps every literal
    as written; values that compiled SPARQL constraints report are mapped back to what the data wrote.
    """

    predicates: frozenset[Identifier] = frozenset()
    originals: dict[tuple[Identifier, Identifier, Identifier], list[Literal]] = field(default_factory=dict)

    def written(self, subject: Identifier, predicate: Identifier | None, value: Identifier | None) -> list:
        """The data's own literal(s) behind a value Oxigraph returned for ``subject predicate value``."""
        if isinstance(value, Literal) and predicate is not None:
            found = self.originals.get((subject, predicate, value))
            if found:
                return list(found)
        return [value]


@dataclass
class _Loaded:
    """The store and the files it was loaded from: the fallback parses the same files into rdflib."""

    store: ox.Store
    files: list[Path]
    lossy: _Lossy


def _load_store(
    data_files: Sequence[Path] | None,
    include_ontology: bool,
    ontology: Path | None = None,
    kb_data: Sequence[Path] | None = None,
) -> _Loaded:
    """User files go to ``DATA_GRAPH``; the ontology and the knowledge base they may refer to (its sources,
    for instance) to ``REFERENCE_GRAPH``. Without user files the knowledge base itself is the data.
    ``ontology``/``kb_data`` replace the packaged ones (``--ontology``/``--data``, as on every command)."""
    store = ox.Store()
    onto = ontology if ontology is not None else paths.ontology_file()
    kb = list(kb_data) if kb_data else paths.data_files()
    if data_files is None:
        reference, data = [onto, *paths.import_files()], kb
    else:
        reference = [onto, *paths.import_files(), *kb] if include_ontology else []
        data = list(data_files)
    for files, name in ((reference, REFERENCE_GRAPH), (data, DATA_GRAPH)):
        view = Graph(store=OxigraphStore(store=store), identifier=name)
        for file in files:
            parse_into(view, file)
    add_told_subsumptions(store)
    files = [Path(f) for f in (*reference, *data)]
    # the packaged ontology and knowledge base are only looked up; their literals are not what is validated
    return _Loaded(store, files, _lossy_literals([Path(f) for f in data]))


_OX_FORMATS = {"ox-turtle": ox.RdfFormat.TURTLE, "ox-ntriples": ox.RdfFormat.N_TRIPLES, "ox-xml": ox.RdfFormat.RDF_XML}
_EVERYTHING = frozenset({URIRef("urn:sarcoma-kg:any-predicate")})


def _triples(file: Path) -> Iterator[ox.Triple] | None:
    fmt = _OX_FORMATS.get(parser_format(file))
    if fmt is None:
        return None
    return iter(ox.parse(path=str(file), format=fmt, base_iri=file.absolute().as_uri()))


def _typed(obj: object) -> bool:
    if not isinstance(obj, ox.Literal):
        return False
    return obj.datatype.value.startswith(str(XSD)) and obj.datatype.value != str(XSD.string)


def _lossy_literals(files: Sequence[Path]) -> _Lossy:
    """Find the literals of ``files`` that Oxigraph would change: each distinct typed literal is round-tripped
    once through a scratch store (a few hundred in a 50k-case cohort); only when some change are the files read
    again to find the triples that hold them."""
    candidates: set = set()
    for file in files:
        triples = _triples(file)
        if triples is None:  # JSON-LD: no cheap scan; every shape with a path goes to pySHACL
            return _Lossy(_EVERYTHING)
        literal = ox.Literal
        objects = (t.object for t in triples)
        candidates.update(o for o in objects if type(o) is literal)  # distinct literals first: cheap
    candidates = {(o.value, o.datatype.value) for o in candidates if _typed(o)}
    probe = ox.Store()
    predicate = ox.NamedNode("urn:sarcoma-kg:probe")
    ordered = sorted(candidates)
    probe.extend(
        ox.Quad(ox.NamedNode(f"urn:sarcoma-kg:probe:{i}"), predicate, ox.Literal(lex, datatype=ox.NamedNode(dt)))
        for i, (lex, dt) in enumerate(ordered)
    )
    changed: dict[tuple[str, str], Literal] = {}
    for quad in probe:
        lex, dt = ordered[int(quad.subject.value.rsplit(":", 1)[1])]
        if quad.object.value != lex or quad.object.datatype.value != dt:
            changed[(lex, dt)] = Literal(quad.object.value, datatype=URIRef(quad.object.datatype.value))
    if not changed:
        return _Lossy()
    originals: dict[tuple[Identifier, Identifier, Identifier], list[Literal]] = {}
    for file in files:
        for t in _triples(file) or ():
            if _typed(t.object) and (t.object.value, t.object.datatype.value) in changed:
                canonical = changed[(t.object.value, t.object.datatype.value)]
                key = (from_ox(t.subject), from_ox(t.predicate), canonical)
                written = Literal(t.object.value, datatype=URIRef(t.object.datatype.value), normalize=False)
                if written not in originals.setdefault(key, []):
                    originals[key].append(written)
    return _Lossy(frozenset(key[1] for key in originals), originals)


_TOLD_SUBSUMPTIONS = f"""
PREFIX owl: <{OWL}>
PREFIX rdf: <{RDF}>
PREFIX rdfs: <{RDFS}>
INSERT {{ GRAPH <{REFERENCE_GRAPH}> {{ ?sub rdfs:subClassOf ?super }} }}
WHERE {{
  {{ ?sub owl:equivalentClass/owl:intersectionOf/rdf:rest*/rdf:first ?super }}
  UNION {{ ?super owl:equivalentClass/owl:unionOf/rdf:rest*/rdf:first ?sub }}
  UNION {{ ?sub owl:equivalentClass ?super }} UNION {{ ?super owl:equivalentClass ?sub }}
  FILTER (isIRI(?sub) && isIRI(?super) && ?sub != ?super)
  FILTER NOT EXISTS {{ ?sub rdfs:subClassOf ?super }}
}}
"""


def add_told_subsumptions(store: ox.Store) -> None:
    """Add the subclass axioms that OWL definitions state outright, so ``rdfs:subClassOf*`` sees them.

    A class defined as an intersection is a subclass of each named operand (NonRhabdomyosarcomatous soft tissue
    sarcoma of soft tissue sarcoma, hence of disease); each named operand of a union is a subclass of it
    (``sarc:Drug`` of ``sarc:Therapy``); named equivalents subsume each other. This is the structural part of
    what HermiT infers, without Java; what needs real reasoning (a drug classified by its target) is not used by
    the shapes. The triples go to the reference graph, so they are never reported.
    """
    store.update(_TOLD_SUBSUMPTIONS)


# ---------------------------------------------------------------------------------------------------- terms


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal it wraps ("abc"^^xsd:decimal); those literals are
    exactly what validation reports, so the noise is muted while results are built."""
    logger = logging.getLogger("rdflib.term")
    previous = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = previous


def _sparql_term(term: Identifier) -> str:
    if isinstance(term, BNode):
        raise _Unsupported("blank node in a constraint value")
    return term.n3()


# ---------------------------------------------------------------------------------------------------- compiler


class _Unsupported(Exception):
    """A shape uses a feature the compiler does not translate: pySHACL validates it instead."""


@dataclass(frozen=True)
class _Check:
    """One compiled constraint: a SELECT returning ?this (and ?value, ?path, message variables) per result."""

    query: str
    shape: Identifier
    component: URIRef
    severity: Severity
    message: str
    path: Identifier | None
    value_is_focus: bool = False
    substitutions: tuple[tuple[str, Identifier], ...] = ()  # pre-bound $shapesGraph / $currentShape
    target: str = ""
    branch: str = ""
    """With ``target``, the same check as a group pattern that, with ``?this`` bound to one focus node, has a
    solution per result (``?value`` bound where the result has a value): the checks of one shape that share a
    target are then run as one query (``_merged_query``), the target evaluated once, each focus node visited
    once for all of them."""


SHAPES_GRAPH = URIRef("urn:sarcoma-kg:validate:shapes")
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_IGNORED = {
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.sparql,
    SH.path,
}
_NODE_KINDS = {
    SH.IRI: "isIRI(?v)",
    SH.BlankNode: "isBlank(?v)",
    SH.Literal: "isLiteral(?v)",
    SH.BlankNodeOrIRI: "!isLiteral(?v)",
    SH.BlankNodeOrLiteral: "!isIRI(?v)",
    SH.IRIOrLiteral: "!isBlank(?v)",
}
_CASTABLE = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.boolean, XSD.date, XSD.dateTime}
_COMPARISONS = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_VALUE_COMPONENTS = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
}
_PROPERTY_ONLY = {SH.minCount, SH.maxCount, SH.hasValue, SH.flags}
_OR_MEMBER_KEYS = set(_VALUE_COMPONENTS) - {SH["or"]} | {SH.flags}


def _is_shacl(predicate: Identifier) -> bool:
    """Only SHACL's own predicates can change what a shape means; others (labels, comments) are ignored."""
    return str(predicate).startswith(str(SH))


def _value_test(shapes: Graph, node: Identifier, key: URIRef, obj: Identifier, joins: list[str]) -> str:
    """A SPARQL expression true when ``?v`` satisfies the constraint ``key obj`` of ``node``.

    ``sh:class`` appends to ``joins`` an OPTIONAL join with the class's subclasses, computed once per query:
    ``EXISTS { ?v a/rdfs:subClassOf* C }`` walks the hierarchy once per value, 14x slower at 10k cases.
    """
    if key == SH["class"]:
        flag = f"?isInstance{len(joins)}"
        joins.append(
            f"OPTIONAL {{ ?v a ?type{len(joins)} . {{ SELECT DISTINCT ?type{len(joins)} (true AS {flag}) "
            f"WHERE {{ ?type{len(joins)} {RDFS.subClassOf.n3()}* {_sparql_term(obj)} }} }} }}"
        )
        return f"BOUND({flag})"
    if key == SH.datatype:
        if obj == RDF.langString:
            return '(isLiteral(?v) && lang(?v) != "")'
        test = f"(isLiteral(?v) && datatype(?v) = {_sparql_term(obj)}"
        if obj in _CASTABLE:
            test += f" && COALESCE(isLiteral({obj.n3()}(str(?v))), false)"
        return test + ")"
    if key == SH.nodeKind:
        if obj not in _NODE_KINDS:
            raise _Unsupported(f"node kind {obj}")
        return _NODE_KINDS[obj]
    if key == SH["in"]:
        members = list(Collection(shapes, obj))
        return "(" + " || ".join(f"sameTerm(?v, {_sparql_term(m)})" for m in members) + ")" if members else "false"
    if key in _COMPARISONS:
        return f"COALESCE(?v {_COMPARISONS[key]} {_sparql_term(obj)}, false)"
    if key == SH.pattern:
        flags = shapes.value(node, SH.flags)
        flag_arg = f", {Literal(str(flags)).n3()}" if flags else ""
        return f"(!isBlank(?v) && regex(str(?v), {Literal(str(obj)).n3()}{flag_arg}))"
    if key in (SH.minLength, SH.maxLength):
        op = ">=" if key == SH.minLength else "<="
        return f"(!isBlank(?v) && strlen(str(?v)) {op} {int(obj)})"
    if key == SH["or"]:
        alternatives = []
        for member in Collection(shapes, obj):
            keys = {p for p in shapes.predicates(member) if p != RDF.type}
            if not keys or not keys <= _OR_MEMBER_KEYS:
                raise _Unsupported("sh:or member with more than value constraints")
            parts = [
                _value_test(shapes, member, p, o, joins)
                for p, o in shapes.predicate_objects(member)
                if p in keys and p != SH.flags
            ]
            alternatives.append("(" + " && ".join(parts) + ")")
        return "(" + " || ".join(alternatives) + ")" if alternatives else "false"
    raise _Unsupported(str(key))


_USER_FOCUS = (
    f"FILTER(EXISTS {{ GRAPH <{DATA_GRAPH}> {{ ?this ?focusP ?focusO }} }} "
    f"|| NOT EXISTS {{ GRAPH <{REFERENCE_GRAPH}> {{ ?this ?focusP ?focusO }} }})"
)
"""The focus nodes whose results a validation of user data beside the knowledge base keeps: those the data
describes, or that nothing describes (``_described_only_by_reference`` drops the others). A shape with no such
focus node is not run (an import batch: the shapes of sourced statements or staging rules). Only that question
is asked with it: as a filter in every check's target it was measured slower than the checks on all their
focus nodes (1.22 s vs 1.06 s per batch of 10,000 cases)."""


def _target_pattern(shapes: Graph, shape: Identifier, *, user_focus: bool = False) -> str:
    """A group pattern binding ?this to each focus node of ``shape`` (distinct); with ``user_focus``, only the
    focus nodes whose results are kept for user data (``_USER_FOCUS``)."""
    branches = []
    for cls in shapes.objects(shape, SH.targetClass):
        branches.append(f"?cls {RDFS.subClassOf.n3()}* {_sparql_term(cls)} . ?this a ?cls .")
    nodes = [_sparql_term(n) for n in shapes.objects(shape, SH.targetNode)]
    if nodes:
        branches.append(f"VALUES ?this {{ {' '.join(nodes)} }}")
    for prop in shapes.objects(shape, SH.targetSubjectsOf):
        branches.append(f"?this {_sparql_term(prop)} ?targetObject .")
    for prop in shapes.objects(shape, SH.targetObjectsOf):
        branches.append(f"?targetSubject {_sparql_term(prop)} ?this .")
    union = " UNION ".join(f"{{ {b} }}" for b in branches)
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} {_USER_FOCUS if user_focus else ''} }} }}"


def _message(shapes: Graph, *nodes: Identifier) -> str | None:
    for node in nodes:
        messages = sorted(shapes.objects(node, SH.message), key=lambda m: (m.language not in (None, "en"), str(m)))
        if messages:
            return str(messages[0])
    return None


def _severity(shapes: Graph, shape: Identifier) -> Severity:
    iri = shapes.value(shape, SH.severity)
    if iri is not None and iri not in {member.iri for member in Severity}:
        raise _Unsupported(f"custom severity {iri}")
    return Severity.from_iri(iri)


def _is_deactivated(shapes: Graph, node: Identifier) -> bool:
    value = shapes.value(node, SH.deactivated)
    return value is not None and value.toPython() is True


def _path_pattern(shapes: Graph, path: Identifier) -> tuple[str, Identifier]:
    if isinstance(path, URIRef):
        return f"?this {path.n3()} ?v .", path
    keys = set(shapes.predicates(path))
    inverse = shapes.value(path, SH.inversePath)
    if isinstance(inverse, URIRef) and keys == {SH.inversePath}:
        return f"?v {inverse.n3()} ?this .", path
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None and keys == {SH.alternativePath}:
        members = list(Collection(shapes, alternatives))
        if members and all(isinstance(m, URIRef) for m in members):
            return f"?this ({'|'.join(m.n3() for m in members)}) ?v .", path
    raise _Unsupported("complex property path")


def _path_predicates(shapes: Graph, path: Identifier) -> set[Identifier]:
    """The predicates of a compiled path: the IRI itself, or an alternative's members."""
    if isinstance(path, URIRef):
        return {path}
    alternatives = shapes.value(path, SH.alternativePath)
    return set(Collection(shapes, alternatives)) if alternatives is not None else set()


def _default_message(key: URIRef, obj: Identifier | None) -> str:
    name = key.split("#")[-1]
    return f"value does not satisfy sh:{name}" + (f" {obj}" if obj is not None and key != SH["in"] else "")


def _per_focus_node(pattern: str, test: str) -> str:
    """The values of each focus node that fail ``test``, looked up per focus node (``LATERAL``, Oxigraph's
    SEP-0006): joined instead, Oxigraph evaluates ``pattern`` over the whole store and hash-joins it with the
    targets, 0.05-0.1 s per check on a 10k-case store even for a shape with a few hundred focus nodes (the
    knowledge base's); per focus node it takes about 1 ms there, and as long as the join for 10k focus nodes."""
    return f"LATERAL {{ SELECT ?this ?value WHERE {{ {pattern} FILTER(!({test})) BIND(?v AS ?value) }} }}"


def _compile_value_checks(
    shapes: Graph, node: Identifier, target: str, select_from: str, path: Identifier | None, shape_message: str | None
) -> list[_Check]:
    checks = []
    severity = _severity(shapes, node)
    for key, obj in sorted(shapes.predicate_objects(node)):
        if key not in _VALUE_COMPONENTS:
            continue
        joins: list[str] = []
        test = _value_test(shapes, node, key, obj, joins)
        branch = ""
        if joins:  # sh:class: the subclasses are computed once per query, so the values are joined in bulk
            # (and the check runs alone: a UNION of such joins with the target was 300 s on one 10k batch)
            query = (
                f"SELECT DISTINCT ?this ?value WHERE {{ {target} {select_from} {' '.join(joins)} "
                f"FILTER(!({test})) BIND(?v AS ?value) }}"
            )
        else:
            query = f"SELECT DISTINCT ?this ?value WHERE {{ {target} {_per_focus_node(select_from, test)} }}"
            branch = f"{select_from} FILTER(!({test})) BIND(?v AS ?value)"
        message = shape_message or _default_message(key, obj)
        component = _VALUE_COMPONENTS[key]
        checks.append(_Check(query, node, component, severity, message, path, target=target, branch=branch))
    return checks


def _compile_property_shape(
    shapes: Graph, prop: Identifier, target: str, lossy: frozenset[Identifier] = frozenset()
) -> list[_Check]:
    if _is_deactivated(shapes, prop):
        return []
    keys = set(shapes.predicates(prop)) - {RDF.type, RDFS.label, RDFS.comment}
    unknown = {k for k in keys if _is_shacl(k) and k not in _IGNORED | _VALUE_COMPONENTS.keys() | _PROPERTY_ONLY}
    if unknown or SH.sparql in keys or SH.property in keys:
        raise _Unsupported(", ".join(sorted(unknown)) or "nested shapes")
    if any((prop, t, None) in shapes for t in _TARGETS):
        raise _Unsupported("targets on a property shape")
    path_node = shapes.value(prop, SH.path)
    pattern, path = _path_pattern(shapes, path_node)
    if lossy and not pattern.startswith("?v ") and lossy & (_path_predicates(shapes, path_node) | _EVERYTHING):
        raise _Unsupported("values that Oxigraph rewrites (a literal not in its canonical form)")
    message = _message(shapes, prop)
    severity = _severity(shapes, prop)
    checks = _compile_value_checks(shapes, prop, target, pattern, path, message)
    for count in shapes.objects(prop, SH.minCount):
        n = int(count)
        if n <= 0:
            continue
        branch = ""
        if n == 1:
            query = f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ {pattern} }} }}"
            branch = f"FILTER NOT EXISTS {{ {pattern} }}"
        else:
            query = (
                f"SELECT ?this WHERE {{ {target} OPTIONAL {{ {pattern} }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
            )
        text = message or f"fewer than {n} values"
        checks.append(
            _Check(query, prop, SH.MinCountConstraintComponent, severity, text, path, target=target, branch=branch)
        )
    for count in shapes.objects(prop, SH.maxCount):
        n = int(count)
        per_node = f"{{ SELECT ?this WHERE {{ {pattern} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n}) }}"
        query = f"SELECT ?this WHERE {{ {target} LATERAL {per_node} }}"
        text = message or f"more than {n} values"
        checks.append(
            _Check(query, prop, SH.MaxCountConstraintComponent, severity, text, path, target=target, branch=per_node)
        )
    for value in shapes.objects(prop, SH.hasValue):
        missing = f"FILTER NOT EXISTS {{ {pattern} FILTER(sameTerm(?v, {_sparql_term(value)})) }}"
        query = f"SELECT ?this WHERE {{ {target} {missing} }}"
        text = message or f"missing value {value}"
        checks.append(
            _Check(query, prop, SH.HasValueConstraintComponent, severity, text, path, target=target, branch=missing)
        )
    return checks


_SELECT_HEAD = re.compile(r"^\s*SELECT\s+(DISTINCT\s+|REDUCED\s+)?(?P<vars>.*?)\s*WHERE\s*\{", re.I | re.S)


def _prefixes(shapes: Graph, constraint: Identifier) -> str:
    """The PREFIX lines of a SPARQL constraint: the ``sh:declare`` of its ``sh:prefixes`` and of every ontology
    these reach through ``owl:imports``."""
    lines = []
    seen: set[Identifier] = set()
    todo = list(shapes.objects(constraint, SH.prefixes))
    while todo:
        prefixes = todo.pop()
        if prefixes in seen:
            continue
        seen.add(prefixes)
        todo.extend(shapes.objects(prefixes, OWL.imports))
        for declaration in shapes.objects(prefixes, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


_EXISTS = re.compile(r"\bEXISTS\s*\{", re.I)
_THIS = re.compile(r"[?$]this\b")
_NESTED = re.compile(r"\b(FILTER|BIND|OPTIONAL|SELECT|MINUS|SERVICE|GRAPH)\b", re.I)


def _balanced(text: str, start: int, opening: str, closing: str) -> int:
    """The index just past the bracket that closes the first ``opening`` at or after ``start``."""
    i = text.find(opening, start)
    if i < 0:
        return len(text)
    level = 0
    while i < len(text):
        level += (text[i] == opening) - (text[i] == closing)
        i += 1
        if level == 0:
            break
    return i


def _this_in_nested_group(body: str) -> bool:
    """True when a group nested in the WHERE clause uses ``$this`` where joining differs from pre-binding.

    The compiler joins the target pattern with the body. That equals SHACL's pre-binding of ``$this`` at the top
    level, inside FILTER (NOT) EXISTS, and in triple patterns of nested groups (UNION branches); but a FILTER or
    BIND in a nested group, or an OPTIONAL or sub-SELECT there, would see ``$this`` unbound.
    """
    depth, i = 0, 0
    while i < len(body):
        exists = _EXISTS.match(body, i)
        if exists:
            i = _balanced(body, exists.end() - 1, "{", "}")
            continue
        keyword = _NESTED.match(body, i) if depth > 0 and (i == 0 or not body[i - 1].isalnum()) else None
        if keyword and not _EXISTS.match(body, _skip_not(body, keyword.end())):
            word = keyword.group(1).upper()
            end = _balanced(body, i, "(", ")") if word in ("FILTER", "BIND") else _balanced(body, i, "{", "}")
            if _THIS.search(body, i, end):
                return True
            i = end
            continue
        if body[i] == "{":
            depth += 1
        elif body[i] == "}":
            depth -= 1
        i += 1
    return False


def _skip_not(text: str, i: int) -> int:
    """Past spaces and a NOT, so ``FILTER NOT EXISTS`` is recognised as an EXISTS."""
    match = re.compile(r"\s*(NOT\s+)?", re.I).match(text, i)
    return match.end() if match else i


def _compile_sparql(
    shapes: Graph, shape: Identifier, constraint: Identifier, target: str, path: Identifier | None
) -> _Check:
    select = shapes.value(constraint, SH.select)
    if select is None or shapes.value(constraint, SH.ask) is not None:
        raise _Unsupported("sh:sparql without sh:select")
    text = str(select)
    if re.search(r"\$PATH\b|\bMINUS\b|\bPREFIX\b|\bBASE\b", text, re.I):
        raise _Unsupported("$PATH or MINUS in sh:sparql")
    if len(re.findall(r"\bSELECT\b", text, re.I)) != 1:
        raise _Unsupported("nested SELECT in sh:sparql")
    head = _SELECT_HEAD.match(text)
    if head is None or not re.search(r"[?$]this\b|\*", head.group("vars")):
        raise _Unsupported("sh:sparql SELECT must project $this")
    if _this_in_nested_group(_QUERY_NOISE.sub(" ", text[head.end() :])):
        raise _Unsupported("$this inside a nested group: it must be pre-bound, not joined")
    body = text[head.end() :].replace("$this", "?this")
    projection = head.group("vars").replace("$this", "?this")
    # $shapesGraph and $currentShape are pre-bound for real (Oxigraph's substitutions, which need them projected)
    substitutions = tuple(
        (name, value)
        for name, value in (("shapesGraph", SHAPES_GRAPH), ("currentShape", shape))
        if re.search(rf"[?$]{name}\b", text)
    )
    body = re.sub(r"\$(shapesGraph|currentShape)\b", r"?\1", body)
    if substitutions and "*" not in projection:
        projection += "".join(f" ?{name}" for name, _ in substitutions)
    query = f"{_prefixes(shapes, constraint)}\nSELECT DISTINCT {projection} WHERE {{ {target} {body}"
    message = _message(shapes, constraint, shape) or "SPARQL constraint not satisfied"
    severity = _severity(shapes, shape)
    component = SH.SPARQLConstraintComponent
    return _Check(query, shape, component, severity, message, path, path is None, substitutions)


def _compile_shape(
    shapes: Graph,
    shape: Identifier,
    parameters: frozenset[Identifier] = frozenset(),
    lossy: frozenset[Identifier] = frozenset(),
) -> list[_Check]:
    """Every check of one shape with targets; ``_Unsupported`` when pySHACL must take it.

    ``parameters`` are the parameters of the shapes graph's own constraint components (SHACL-SPARQL): a shape or
    property shape using one goes to pySHACL, since such a parameter, in any namespace, is a constraint.
    """
    for node in (shape, *shapes.objects(shape, SH.property)):
        used = set(shapes.predicates(node)) & parameters
        if used:
            raise _Unsupported("constraint component parameters " + ", ".join(sorted(map(str, used))))
    if (shape, RDF.type, RDFS.Class) in shapes:
        raise _Unsupported("implicit class target")
    target = _target_pattern(shapes, shape)
    if shapes.value(shape, SH.path) is not None:  # a property shape with its own targets
        raise _Unsupported("targets on a property shape")
    keys = set(shapes.predicates(shape)) - {RDF.type, RDFS.label, RDFS.comment, RDFS.seeAlso}
    unknown = {k for k in keys if _is_shacl(k) and k not in _IGNORED | _VALUE_COMPONENTS.keys() | {SH.flags}}
    if unknown:
        raise _Unsupported(", ".join(sorted(unknown)))
    checks = []
    for check in _compile_value_checks(shapes, shape, target, "BIND(?this AS ?v)", None, _message(shapes, shape)):
        literal_targets = any(isinstance(n, Literal) for n in shapes.objects(shape, SH.targetNode))
        if lossy and (literal_targets or lossy & ({*shapes.objects(shape, SH.targetObjectsOf)} | _EVERYTHING)):
            raise _Unsupported("focus nodes may be literals that Oxigraph rewrites")
        checks.append(check)
    for prop in shapes.objects(shape, SH.property):
        checks.extend(_compile_property_shape(shapes, prop, target, lossy))
    for constraint in shapes.objects(shape, SH.sparql):
        if not _is_deactivated(shapes, constraint):
            checks.append(_compile_sparql(shapes, shape, constraint, target, None))
    return checks


_COUNTS = (SH.minCount, SH.maxCount, SH.minLength, SH.maxLength, SH.qualifiedMinCount, SH.qualifiedMaxCount)
_PRE_BOUND = ("this", "shapesGraph", "currentShape", "value", "PATH")
_QUERY_NOISE = re.compile(
    r'"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>\s]*>|#[^\n]*'
)


def _shape_name(shapes: Graph, node: Identifier) -> str:
    """A shape as a curator finds it in the file: its IRI, or for a blank property shape, its parent and path."""
    if not isinstance(node, BNode):
        return compact(node)
    parent = shapes.value(predicate=SH.property, object=node)
    path = shapes.value(node, SH.path)
    if parent is not None:
        return f"{_shape_name(shapes, parent)} (its property shape on {path_text(shapes, path) or 'no path'})"
    return f"a blank-node shape on {path_text(shapes, path)}" if path is not None else "a blank-node shape"


def _owner(shapes: Graph, node: Identifier) -> Identifier:
    """The shape (or constraint component) a SPARQL constraint or validator belongs to, for messages."""
    for predicate in (SH.sparql, SH.validator, SH.nodeValidator, SH.propertyValidator):
        owner = shapes.value(predicate=predicate, object=node)
        if owner is not None:
            return owner
    return node


def _check_shapes(shapes: Graph) -> None:
    """Refuse, naming the shape, what SHACL says an engine must not evaluate, before anything runs.

    Count parameters must be non-negative integers. SPARQL-based constraints and validators must not use MINUS,
    VALUES or SERVICE (SHACL 5.2.1; a SERVICE would also make the validator call out to the network), must not
    assign a pre-bound variable with ``AS``, and a sub-SELECT must project ``$this``.
    """
    for key in _COUNTS:
        for shape, value in shapes.subject_objects(key):
            if not (isinstance(value, Literal) and re.fullmatch(r"\s*\+?[0-9]+\s*", str(value))):
                raise InputError(
                    f"shape {_shape_name(shapes, shape)}: {compact(key)} must be a non-negative integer, "
                    f"not {compact(value)}"
                )
    names = set(_PRE_BOUND)
    for parameter_path in _custom_parameters(shapes):
        names.add(re.split(r"[#/]", str(parameter_path))[-1])
    for key in (SH.select, SH.ask):
        for node, text in shapes.subject_objects(key):
            owner = _shape_name(shapes, _owner(shapes, node))
            query = _QUERY_NOISE.sub(" ", str(text))
            found = re.search(r"\b(MINUS|VALUES|SERVICE)\b", query, re.I)
            if found:
                raise InputError(
                    f"shape {owner}: its SPARQL query uses {found.group(1).upper()}, which SHACL does not allow in "
                    "constraints: rewrite it without"
                )
            try:  # the project's SERVICE scan too (it also reads \\u escapes)
                check_services(str(text))
            except QueryError as exc:
                raise InputError(f"shape {owner}: {exc}") from exc
            assigned = re.search(r"\bAS\s*[?$](" + "|".join(map(re.escape, sorted(names))) + r")\b", query)
            if assigned:
                raise InputError(
                    f"shape {owner}: its SPARQL query assigns the pre-bound variable ${assigned.group(1)} with AS, "
                    "which SHACL does not allow"
                )
            for head in list(re.finditer(r"\bSELECT\b(?P<vars>.*?)\bWHERE\b", query, re.I | re.S))[1:]:
                projection = head.group("vars")
                if "*" not in projection and not re.search(r"[?$]this\b", projection):
                    raise InputError(f"shape {owner}: a sub-SELECT of its SPARQL query must project $this")


def _custom_parameters(shapes: Graph) -> frozenset[Identifier]:
    """The ``sh:path`` of every ``sh:parameter`` declared in the shapes (a constraint component's, whatever
    subclass of ``sh:ConstraintComponent`` it is typed with)."""
    found = set()
    for _component, parameter in shapes.subject_objects(SH.parameter):
        found.update(shapes.objects(parameter, SH.path))
    return frozenset(found)


def _root_shapes(shapes: Graph) -> list[Identifier]:
    roots = {s for t in _TARGETS for s in shapes.subjects(t, None)}
    roots |= {s for s in shapes.subjects(RDF.type, SH.NodeShape) if (s, RDF.type, RDFS.Class) in shapes}
    return sorted(roots, key=_term_key)


# ---------------------------------------------------------------------------------------------------- running


SHAPES_NAMESPACE = "https://w3id.org/sarcoma-kg/shapes/"
_COMPACT = sorted([*PREFIXES.items(), ("sarcsh", SHAPES_NAMESPACE)], key=lambda item: -len(item[1]))
_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_./%-]*$")


def compact(term: Identifier | None) -> str:
    """A short, readable form for people: ``sarc:Lung``, ``case:C1/tumour``, ``"abc"^^xsd:decimal``.

    Local parts may contain ``/`` (our case IRIs do): this is for reading, not for pasting into Turtle.

    >>> compact(URIRef("https://w3id.org/sarcoma-kg/case/C1/tumour"))
    'case:C1/tumour'
    """
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for prefix, namespace in _COMPACT:
            local = str(term)[len(namespace) :]
            if str(term).startswith(namespace) and (local == "" or _LOCAL.match(local)):
                return f"{prefix}:{local}"
        return f"<{term}>"
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        if term.datatype is None or term.datatype == XSD.string:
            return f'"{term}"'
        return f'"{term}"^^{compact(term.datatype)}'
    return f"_:{term}"


def path_text(graph: Graph, path: Identifier | None) -> str:
    """A SHACL path in SPARQL property-path syntax, compacted: ``sarc:site``, ``(sarc:a|sarc:b)``, ``^sarc:p``."""
    if path is None:
        return ""
    if isinstance(path, URIRef):
        return compact(path)
    if (path, RDF.first, None) in graph:
        return "/".join(path_text(graph, member) for member in Collection(graph, path))
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(graph, member) for member in Collection(graph, alternatives)) + ")"
    for key, suffix in (
        (SH.inversePath, "^"),
        (SH.zeroOrMorePath, "*"),
        (SH.oneOrMorePath, "+"),
        (SH.zeroOrOnePath, "?"),
    ):
        inner = graph.value(path, key)
        if inner is not None:
            text = path_text(graph, inner)
            return f"^{text}" if suffix == "^" else f"({text}){suffix}"
    return compact(path)


def _copy_path(source: Graph, target: Graph, path: Identifier) -> None:
    """Copy a blank-node SHACL path's structure, so the report's sh:resultPath is a complete path."""
    if isinstance(path, BNode):
        for _, p, o in source.triples((path, None, None)):
            target.add((path, p, o))
            _copy_path(source, target, o)


def _render(term: Identifier | None, _graph: Graph | None = None) -> str:
    if isinstance(term, Literal):
        return str(term)
    return compact(term)


_PLACEHOLDER = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")


def _as_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Identifier | None:
    """A solution's term for the report: literals as the store holds them (rdflib would normalise
    ``"none"^^xsd:boolean`` to ``"false"``)."""
    if isinstance(term, ox.Literal) and not term.language:
        if term.datatype.value == str(XSD.string):  # a simple literal, as rdflib (and pySHACL) write it
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=False)
    return from_ox(term)


def _run_check(store: ox.Store, check: _Check, prefixes: Graph, lossy: _Lossy) -> list[tuple]:
    """The results of one compiled check. One that pre-binds ``$shapesGraph`` sees the data as its default graph
    and the shapes (loaded by the caller into ``SHAPES_GRAPH``) as the only named graph."""
    try:
        if check.substitutions:
            data_graphs = [
                ox.NamedNode(str(g))
                for g in (DATA_GRAPH, REFERENCE_GRAPH)
                if next(store.quads_for_pattern(None, None, None, ox.NamedNode(str(g))), None) is not None
            ]
            solutions = store.query(
                check.query,
                substitutions={ox.Variable(name): to_ox(value) for name, value in check.substitutions},
                default_graph=[ox.DefaultGraph(), *data_graphs],
                named_graphs=[ox.NamedNode(str(SHAPES_GRAPH))],
            )
        else:
            solutions = store.query(check.query, use_default_graph_as_union=True)
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"shape {check.shape}: its constraint cannot be evaluated: {exc}") from exc
    names = {variable.value for variable in solutions.variables}
    out: list[tuple] = []
    for solution in solutions:
        out.extend(_results(check, {name: _as_rdflib(solution[name]) for name in names}, prefixes, lossy))
    return out


def _merged_query(checks: Sequence[_Check]) -> str:
    """One query for several checks of one shape with the same target: the target is evaluated once and each
    focus node visited once (``LATERAL``) for all of them, ``?check`` telling which check a solution is a result
    of. Each check is the same pattern as on its own (``_Check.branch``), so the results are the same; what is
    saved is the target and the walk over the focus nodes repeated per check (a shape on the 10,000 cases of an
    import batch has 30 checks, each 40-100 ms on its own)."""
    branches = " UNION ".join(f"{{ {check.branch} BIND({i} AS ?check) }}" for i, check in enumerate(checks))
    return (
        f"SELECT DISTINCT ?check ?this ?value WHERE {{ {checks[0].target} "
        f"LATERAL {{ SELECT ?this ?check ?value WHERE {{ {branches} }} }} }}"
    )


def _run_merged(store: ox.Store, checks: Sequence[_Check], prefixes: Graph, lossy: _Lossy) -> list[tuple]:
    """The results of ``checks`` (of one shape, sharing a target, each with a ``branch``), by one query; a query
    Oxigraph refuses is run check by check, so the error names the check's own shape as it would alone."""
    if len(checks) == 1:
        return _run_check(store, checks[0], prefixes, lossy)
    try:
        solutions = store.query(_merged_query(checks), use_default_graph_as_union=True)
        rows = [(int(s["check"].value), _as_rdflib(s["this"]), _as_rdflib(s["value"])) for s in solutions]
    except (SyntaxError, ValueError, OSError):
        return [result for check in checks for result in _run_check(store, check, prefixes, lossy)]
    out: list[tuple] = []
    for i, focus, value in rows:
        out.extend(_results(checks[i], {"this": focus, "value": value}, prefixes, lossy))
    return out


def _results(check: _Check, bound: dict[str, Identifier | None], prefixes: Graph, lossy: _Lossy) -> list[tuple]:
    """The raw results of one solution of ``check`` (``bound``: its variables as rdflib terms)."""
    out: list[tuple] = []
    focus = bound.get("this")
    if focus is None:
        return out
    value = bound.get("value")
    path = check.path
    if check.component == SH.SPARQLConstraintComponent:
        path = bound.get("path") or path
        if value is None and check.value_is_focus:
            value = focus
    message = check.message
    if "{" in message:
        message = _PLACEHOLDER.sub(
            lambda m, b=bound: _render(b[m.group(1)], prefixes) if b.get(m.group(1)) is not None else m.group(0),
            message,
        )
    for written in lossy.written(focus, path, value) if lossy.originals else [value]:
        out.append((check.severity, focus, path, written, message, check.shape, check.component))
    return out


def _fallback_graph(loaded: _Loaded | None, store: ox.Store) -> Graph:
    """An rdflib graph of the same data for pySHACL: the files parsed again (every literal as written), or, for a
    store handed in without files, its quads; plus the told subsumptions, so both engines see one hierarchy."""
    graph = Graph()
    if loaded is not None:
        for file in loaded.files:
            _parse_native(graph, file, checked=True)
        subclass = ox.NamedNode(str(RDFS.subClassOf))
        for quad in store.quads_for_pattern(None, subclass, None, ox.NamedNode(REFERENCE_GRAPH)):
            graph.add((from_ox(quad.subject), RDFS.subClassOf, from_ox(quad.object)))
    else:
        for quad in store:
            graph.add((from_ox(quad.subject), from_ox(quad.predicate), from_ox(quad.object)))
    return graph


def _run_pyshacl(
    data: Graph, shapes: Graph, path_structures: Graph, names: Sequence[str], focus_nodes: list[URIRef] | None = None
) -> list[tuple]:
    import pyshacl

    which = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")

    try:
        _conforms, report, _text = pyshacl.validate(
            data,
            shacl_graph=shapes,
            inference="none",
            inplace=True,
            advanced=True,
            allow_warnings=True,
            focus_nodes=focus_nodes,
        )
    except Exception as exc:  # pyshacl raises its own and rdflib's errors for bad shapes
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"shape {which}: cannot be evaluated (pySHACL: {detail})") from exc
    if not isinstance(report, Graph):
        raise InputError(f"shape {which}: cannot be evaluated (pySHACL: {report})")
    out = []
    for node in report.objects(None, SH.result):
        severity_iri = report.value(node, SH.resultSeverity)
        out.append(
            (
                Severity.from_iri(severity_iri),
                report.value(node, SH.focusNode),
                report.value(node, SH.resultPath),
                report.value(node, SH.value),
                str(report.value(node, SH.resultMessage) or ""),
                report.value(node, SH.sourceShape),
                report.value(node, SH.sourceConstraintComponent),
                severity_iri,
            )
        )
    for result in out:  # a blank-node path as pySHACL reports it (it may differ from the shape's path node)
        if isinstance(result[2], BNode):
            _copy_path(report, path_structures, result[2])
    return out


def _shapes_without(shapes: Graph, compiled: set[Identifier]) -> Graph:
    """The shapes graph with the targets of ``compiled`` shapes removed, so pySHACL validates only the rest."""
    rest = Graph()
    for prefix, namespace in shapes.namespaces():
        rest.bind(prefix, namespace, override=True)
    for triple in shapes:
        if triple[0] in compiled and triple[1] in _TARGETS:
            continue
        if triple[1] == SH.uniqueLang and not (isinstance(triple[2], Literal) and str(triple[2]) == "true"):
            continue  # SHACL activates sh:uniqueLang with the literal true only ("1" is another literal)
        rest.add(triple)
    return rest


def _has_reference(store: ox.Store) -> bool:
    return next(iter(store.quads_for_pattern(None, None, None, ox.NamedNode(str(REFERENCE_GRAPH)))), None) is not None


def _data_iris(store: ox.Store) -> list[URIRef]:
    """The IRIs the user's files mention (as subject or object)."""
    query = (
        f"SELECT DISTINCT ?n WHERE {{ GRAPH <{DATA_GRAPH}> {{ {{ ?n ?p ?o }} UNION {{ ?s ?p ?n }} }} "
        "FILTER(isIRI(?n)) }"
    )
    return sorted(URIRef(row["n"].value) for row in store.query(query))


def _label(store: ox.Store, node: Identifier) -> str | None:
    if not isinstance(node, URIRef):
        return None
    labels = [q.object for q in store.quads_for_pattern(ox.NamedNode(str(node)), ox.NamedNode(str(RDFS.label)), None)]
    labels.sort(key=lambda lit: (getattr(lit, "language", None) not in ("en", None), lit.value))
    return labels[0].value if labels else None


def _described_only_by_reference(store: ox.Store, node: Identifier) -> bool:
    subject = to_ox(node) if not isinstance(node, Literal) else None
    if subject is None:
        return False
    in_ontology = next(iter(store.quads_for_pattern(subject, None, None, ox.NamedNode(REFERENCE_GRAPH))), None)
    in_data = next(iter(store.quads_for_pattern(subject, None, None, ox.NamedNode(DATA_GRAPH))), None)
    return in_ontology is not None and in_data is None


def _report_graph(results: Sequence[ValidationResult], conforms: bool, shapes: Graph, path_structures: Graph) -> Graph:
    graph = bind_prefixes(Graph())
    report = BNode("report")
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    for index, result in enumerate(results, start=1):
        node = BNode(f"result{index}")
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.resultSeverity, result.severity_iri or result.severity.iri))
        graph.add((node, SH.focusNode, result.focus_node))
        graph.add((node, SH.sourceShape, result.source_shape))
        graph.add((node, SH.resultMessage, Literal(result.message)))
        if result.component is not None:
            graph.add((node, SH.sourceConstraintComponent, result.component))
        if result.path is not None:
            graph.add((node, SH.resultPath, result.path))
            source = path_structures if (result.path, None, None) in path_structures else shapes
            _copy_path(source, graph, result.path)
        if result.value is not None:
            graph.add((node, SH.value, result.value))
    return graph


def validate(
    data_files: Sequence[str | os.PathLike[str]] | None = None,
    *,
    shapes_files: Sequence[str | os.PathLike[str]] | None = None,
    include_ontology: bool = True,
    engine: Engine = Engine.FAST,
    ontology: str | os.PathLike[str] | None = None,
    kb_data: Sequence[str | os.PathLike[str]] | None = None,
) -> ValidationReport:
    """Validate ``data_files`` (with the ontology) or, when None, the knowledge base, against the shapes.

    Unreadable or invalid files raise ``InputError`` naming the file and line; a shapes file without a single
    shape, or a shape that cannot be evaluated, raises ``InputError`` naming the file or the shape.
    """
    files = [Path(f) for f in data_files] if data_files is not None else None
    shapes = load_shapes(shapes_files)
    if shapes_files and not _has_shapes(shapes):
        names = ", ".join(str(f) for f in shapes_files)
        raise InputError(f"{names}: no SHACL shapes in the file (nothing uses the sh: vocabulary): nothing to validate")
    loaded = _load_store(
        files,
        include_ontology,
        Path(ontology) if ontology is not None else None,
        [Path(f) for f in kb_data] if kb_data else None,
    )
    with _quiet_rdflib():
        return _validate(loaded.store, shapes, engine, files is not None, loaded)


def validate_store(
    store: ox.Store, shapes: Graph, *, engine: Engine = Engine.FAST, user_data: bool = False
) -> ValidationReport:
    """Validate an already-loaded store (data in ``DATA_GRAPH``, ontology in ``REFERENCE_GRAPH``)."""
    return _validate(store, shapes, engine, user_data, None)


def _has_shapes(shapes: Graph) -> bool:
    return any(_is_shacl(p) or _is_shacl(o) for _, p, o in shapes)


def _validate(
    store: ox.Store,
    shapes: Graph,
    engine: Engine,
    user_data: bool,
    loaded: _Loaded | None,
    *,
    focus_pruning: bool = True,
) -> ValidationReport:
    """The report of ``shapes`` on ``store``. For user data beside the knowledge base (``focus_pruning``), a
    compiled shape without a focus node whose results are kept (``_USER_FOCUS``) is not run: the shapes of the
    knowledge base's own records cost nothing on a batch of cases. Off, the same report is reached the long way
    (the tests compare the two)."""
    _check_shapes(shapes)
    raw: list[tuple] = []
    compiled: set[Identifier] = set()
    roots = _root_shapes(shapes)
    lossy = loaded.lossy if loaded is not None else _Lossy()
    needs_shapes: list[_Check] = []
    if Engine(engine) is Engine.FAST:
        parameters = _custom_parameters(shapes)
        user_focus = focus_pruning and user_data and _has_reference(store)  # see _USER_FOCUS
        for shape in progress(roots, desc="validating", unit="shape"):
            if _is_deactivated(shapes, shape):
                compiled.add(shape)
                continue
            try:
                checks = _compile_shape(shapes, shape, parameters, lossy.predicates)
            except _Unsupported:
                continue
            compiled.add(shape)
            if user_focus and not store.query(f"ASK {{ {_target_pattern(shapes, shape, user_focus=True)} }}",
                                              use_default_graph_as_union=True):  # fmt: skip
                continue  # no focus node whose results are kept: a knowledge-base-only shape, for this data
            merged: dict[str, list[_Check]] = {}
            for check in checks:
                if check.substitutions:
                    needs_shapes.append(check)
                elif check.branch:
                    merged.setdefault(check.target, []).append(check)
                else:
                    raw.extend(_run_check(store, check, shapes, lossy))
            for group in merged.values():
                raw.extend(_run_merged(store, group, shapes, lossy))
        if needs_shapes:
            shapes_graph = ox.NamedNode(str(SHAPES_GRAPH))
            store.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), shapes_graph) for s, p, o in shapes)
            try:
                for check in needs_shapes:
                    raw.extend(_run_check(store, check, shapes, lossy))
            finally:
                store.remove_graph(shapes_graph)
    path_structures = Graph()
    if set(roots) - compiled:
        rest = _shapes_without(shapes, compiled)
        names = [_shape_name(shapes, shape) for shape in roots if shape not in compiled]
        # Engine.PYSHACL on user files beside the knowledge base: pySHACL on the file's IRIs only (it would
        # otherwise validate the whole knowledge base, minutes); the compiled engine's fallback is never restricted,
        # since pySHACL then skips literal and blank-node focus nodes.
        focus = _data_iris(store) if Engine(engine) is Engine.PYSHACL and user_data and _has_reference(store) else None
        if focus != []:  # an empty file has nothing to report
            raw.extend(_run_pyshacl(_fallback_graph(loaded, store), rest, path_structures, names, focus))
    labels: dict[Identifier, str | None] = {}
    results = []
    for severity, focus, path, value, message, shape, component, *custom in raw:
        if user_data and _described_only_by_reference(store, focus):
            continue
        if focus not in labels:
            labels[focus] = _label(store, focus)
        severity_iri = custom[0] if custom and custom[0] != severity.iri else None
        results.append(
            ValidationResult(
                severity,
                focus,
                labels[focus],
                path,
                value,
                message,
                shape,
                component,
                path_text(shapes, path),
                severity_iri,
            )
        )
    results.sort(key=ValidationResult.sort_key)
    conforms = not results
    return ValidationReport(
        conforms, tuple(results), functools.partial(_report_graph, results, conforms, shapes, path_structures)
    )
