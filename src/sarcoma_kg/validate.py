"""SHACL validation of the knowledge base or of user data, fast enough for cohorts of 50,000 cases.

Why not plain pySHACL: it evaluates every constraint once per focus node through rdflib's API, about 11 ms per
focus node per ``sh:sparql`` constraint, minutes for a 10k-case cohort. Here the data sit in one Oxigraph store,
and each constraint of a shape is compiled to one set-based SPARQL query that finds its violations for *all*
focus nodes at once (Oxigraph runs it in milliseconds). The compiled subset is what our shapes use: targets
(``sh:targetClass`` with ``rdfs:subClassOf*``, ``sh:targetNode``, ``sh:targetSubjectsOf``, ``sh:targetObjectsOf``),
property shapes with a predicate or inverse path, ``sh:minCount``, ``sh:maxCount``, ``sh:datatype`` (including
ill-formed lexical forms), ``sh:class``, ``sh:nodeKind``, ``sh:in``, ``sh:min/maxInclusive``,
``sh:min/maxExclusive``, ``sh:pattern``, ``sh:min/maxLength``, ``sh:hasValue``, ``sh:or`` of such value
constraints, and ``sh:sparql`` SELECT constraints whose body binds ``$this``. Any shape using something else
(``sh:node``, ``sh:closed``, complex paths, ``$PATH``, nested SELECT or MINUS, ...) is handed, unchanged, to
pySHACL over the same Oxigraph data, and its results are merged into the same W3C report; so no SHACL feature is
given up. A test runs every fixture through both engines and asserts identical results.

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
import logging
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Identifier

from . import paths
from .errors import EnvironmentProblem, InputError
from .graph import StoreKind, from_ox, new_graph, parse_into, to_ox
from .namespaces import PREFIXES, SH, bind_prefixes
from .progress import progress
from .services import check_services

__all__ = [
    "DATA_GRAPH",
    "REFERENCE_GRAPH",
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

    def sort_key(self) -> tuple:
        return (
            _term_key(self.focus_node),
            self.path_text,
            self.severity.rank,
            self.message,
            _term_key(self.value),
        )


@dataclass(frozen=True)
class ValidationReport:
    """The outcome: ``conforms`` is W3C's (no result of any severity); ``results`` sorted deterministically."""

    conforms: bool
    results: tuple[ValidationResult, ...]
    graph: Graph = field(repr=False, compare=False)

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
    graph = new_graph(StoreKind.MEMORY)
    for file in files:
        parse_into(graph, file)
    # SPARQL-based constraints run on the engine: a SERVICE in one would make validation call out (SSRF).
    for predicate in (SH.select, SH.ask, SH.construct):
        for text in graph.objects(None, predicate):
            check_services(str(text))
    return graph


def _load_store(
    data_files: Sequence[Path] | None,
    include_ontology: bool,
    ontology: Path | None = None,
    kb_data: Sequence[Path] | None = None,
) -> ox.Store:
    """User files go to ``DATA_GRAPH``; the ontology and the knowledge base they may refer to (its sources,
    for instance) to ``REFERENCE_GRAPH``. Without user files the knowledge base itself is the data.
    ``ontology``/``kb_data`` replace the packaged ones (``--ontology``/``--data``, as on every command)."""
    store = ox.Store()
    onto = ontology if ontology is not None else paths.ontology_file()
    kb = list(kb_data) if kb_data else paths.data_files()
    if data_files is None:
        reference, data = [onto], kb
    else:
        reference = [onto, *kb] if include_ontology else []
        data = list(data_files)
    for files, name in ((reference, REFERENCE_GRAPH), (data, DATA_GRAPH)):
        view = Graph(store=OxigraphStore(store=store), identifier=name)
        for file in files:
            parse_into(view, file)
    add_told_subsumptions(store)
    return store


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


def _target_pattern(shapes: Graph, shape: Identifier) -> str:
    """A group pattern binding ?this to each focus node of ``shape`` (distinct)."""
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
    return f"{{ SELECT DISTINCT ?this WHERE {{ {union} }} }}"


def _message(shapes: Graph, *nodes: Identifier) -> str | None:
    for node in nodes:
        messages = sorted(shapes.objects(node, SH.message), key=lambda m: (m.language not in (None, "en"), str(m)))
        if messages:
            return str(messages[0])
    return None


def _severity(shapes: Graph, shape: Identifier) -> Severity:
    return Severity.from_iri(shapes.value(shape, SH.severity))


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


def _default_message(key: URIRef, obj: Identifier | None) -> str:
    name = key.split("#")[-1]
    return f"value does not satisfy sh:{name}" + (f" {obj}" if obj is not None and key != SH["in"] else "")


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
        query = (
            f"SELECT DISTINCT ?this ?value WHERE {{ {target} {select_from} {' '.join(joins)} "
            f"FILTER(!({test})) BIND(?v AS ?value) }}"
        )
        checks.append(
            _Check(query, node, _VALUE_COMPONENTS[key], severity, shape_message or _default_message(key, obj), path)
        )
    return checks


def _compile_property_shape(shapes: Graph, prop: Identifier, target: str) -> list[_Check]:
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
    message = _message(shapes, prop)
    severity = _severity(shapes, prop)
    checks = _compile_value_checks(shapes, prop, target, pattern, path, message)
    for count in shapes.objects(prop, SH.minCount):
        n = int(count)
        if n <= 0:
            continue
        if n == 1:
            query = f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ {pattern} }} }}"
        else:
            query = (
                f"SELECT ?this WHERE {{ {target} OPTIONAL {{ {pattern} }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
            )
        checks.append(
            _Check(query, prop, SH.MinCountConstraintComponent, severity, message or f"fewer than {n} values", path)
        )
    for count in shapes.objects(prop, SH.maxCount):
        n = int(count)
        query = f"SELECT ?this WHERE {{ {target} {pattern} }} GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"
        checks.append(
            _Check(query, prop, SH.MaxCountConstraintComponent, severity, message or f"more than {n} values", path)
        )
    for value in shapes.objects(prop, SH.hasValue):
        query = (
            f"SELECT ?this WHERE {{ {target} FILTER NOT EXISTS {{ {pattern} FILTER(sameTerm(?v, "
            f"{_sparql_term(value)})) }} }}"
        )
        checks.append(
            _Check(query, prop, SH.HasValueConstraintComponent, severity, message or f"missing value {value}", path)
        )
    return checks


_SELECT_HEAD = re.compile(r"^\s*SELECT\s+(DISTINCT\s+|REDUCED\s+)?(?P<vars>.*?)\s*WHERE\s*\{", re.I | re.S)


def _prefixes(shapes: Graph, constraint: Identifier) -> str:
    lines = []
    for prefixes in shapes.objects(constraint, SH.prefixes):
        for declaration in shapes.objects(prefixes, SH.declare):
            prefix = shapes.value(declaration, SH.prefix)
            namespace = shapes.value(declaration, SH.namespace)
            if prefix is not None and namespace is not None:
                lines.append(f"PREFIX {prefix}: <{namespace}>")
    return "\n".join(sorted(set(lines)))


def _compile_sparql(
    shapes: Graph, shape: Identifier, constraint: Identifier, target: str, path: Identifier | None
) -> _Check:
    select = shapes.value(constraint, SH.select)
    if select is None or shapes.value(constraint, SH.ask) is not None:
        raise _Unsupported("sh:sparql without sh:select")
    text = str(select)
    if re.search(r"\$(PATH|shapesGraph|currentShape)\b|\bMINUS\b|\bPREFIX\b|\bBASE\b", text, re.I):
        raise _Unsupported("pre-bound variables or MINUS in sh:sparql")
    if len(re.findall(r"\bSELECT\b", text, re.I)) != 1:
        raise _Unsupported("nested SELECT in sh:sparql")
    head = _SELECT_HEAD.match(text)
    if head is None or not re.search(r"[?$]this\b|\*", head.group("vars")):
        raise _Unsupported("sh:sparql SELECT must project $this")
    body = text[head.end() :].replace("$this", "?this")
    projection = head.group("vars").replace("$this", "?this")
    query = f"{_prefixes(shapes, constraint)}\nSELECT DISTINCT {projection} WHERE {{ {target} {body}"
    message = _message(shapes, constraint, shape) or "SPARQL constraint not satisfied"
    return _Check(
        query, shape, SH.SPARQLConstraintComponent, _severity(shapes, shape), message, path, value_is_focus=path is None
    )


def _compile_shape(shapes: Graph, shape: Identifier) -> list[_Check]:
    """Every check of one shape with targets; ``_Unsupported`` when pySHACL must take it."""
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
        checks.append(check)
    for prop in shapes.objects(shape, SH.property):
        checks.extend(_compile_property_shape(shapes, prop, target))
    for constraint in shapes.objects(shape, SH.sparql):
        if not _is_deactivated(shapes, constraint):
            checks.append(_compile_sparql(shapes, shape, constraint, target, None))
    return checks


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


def _run_check(store: ox.Store, check: _Check, prefixes: Graph) -> list[tuple]:
    try:
        solutions = store.query(check.query, use_default_graph_as_union=True)
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"shape {check.shape}: its constraint cannot be evaluated: {exc}") from exc
    names = {variable.value for variable in solutions.variables}
    out = []
    for solution in solutions:
        bound = {name: from_ox(solution[name]) for name in names}
        focus = bound.get("this")
        if focus is None:
            continue
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
        out.append((check.severity, focus, path, value, message, check.shape, check.component))
    return out


def _run_pyshacl(store: ox.Store, shapes: Graph, focus_nodes: list[URIRef] | None) -> list[tuple]:
    import pyshacl

    copy = ox.Store()
    copy.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in store)
    data = Graph(store=OxigraphStore(store=copy), identifier=DATASET_DEFAULT_GRAPH_ID)
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
        raise InputError(f"the shapes cannot be evaluated by pySHACL: {exc}") from exc
    if not isinstance(report, Graph):
        raise InputError(f"the shapes cannot be evaluated by pySHACL: {report}")
    out = []
    for node in report.objects(None, SH.result):
        out.append(
            (
                Severity.from_iri(report.value(node, SH.resultSeverity)),
                report.value(node, SH.focusNode),
                report.value(node, SH.resultPath),
                report.value(node, SH.value),
                str(report.value(node, SH.resultMessage) or ""),
                report.value(node, SH.sourceShape),
                report.value(node, SH.sourceConstraintComponent),
            )
        )
    return out


def _shapes_without(shapes: Graph, compiled: set[Identifier]) -> Graph:
    """The shapes graph with the targets of ``compiled`` shapes removed, so pySHACL validates only the rest."""
    rest = Graph()
    for triple in shapes:
        if triple[0] in compiled and triple[1] in _TARGETS:
            continue
        rest.add(triple)
    return rest


def _data_nodes(store: ox.Store) -> list[URIRef]:
    """The IRIs the user's files mention (as subject or object): the only possible reported focus nodes."""
    query = (
        f"SELECT DISTINCT ?n WHERE {{ GRAPH <{DATA_GRAPH}> {{ {{ ?n ?p ?o }} UNION {{ ?s ?p ?n }} }} "
        "FILTER(isIRI(?n)) }"
    )
    return [URIRef(row["n"].value) for row in store.query(query)]


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


def _report_graph(results: Sequence[ValidationResult], conforms: bool, shapes: Graph) -> Graph:
    graph = bind_prefixes(Graph())
    report = BNode("report")
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(conforms)))
    for index, result in enumerate(results, start=1):
        node = BNode(f"result{index}")
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.resultSeverity, result.severity.iri))
        graph.add((node, SH.focusNode, result.focus_node))
        graph.add((node, SH.sourceShape, result.source_shape))
        graph.add((node, SH.resultMessage, Literal(result.message)))
        if result.component is not None:
            graph.add((node, SH.sourceConstraintComponent, result.component))
        if result.path is not None:
            graph.add((node, SH.resultPath, result.path))
            _copy_path(shapes, graph, result.path)
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

    Unreadable or invalid files raise ``InputError`` naming the file and line; a shape that cannot be evaluated
    raises ``InputError`` naming the shape.
    """
    files = [Path(f) for f in data_files] if data_files is not None else None
    store = _load_store(
        files,
        include_ontology,
        Path(ontology) if ontology is not None else None,
        [Path(f) for f in kb_data] if kb_data else None,
    )
    shapes = load_shapes(shapes_files)
    with _quiet_rdflib():
        return validate_store(store, shapes, engine=engine, user_data=files is not None)


def validate_store(
    store: ox.Store, shapes: Graph, *, engine: Engine = Engine.FAST, user_data: bool = False
) -> ValidationReport:
    """Validate an already-loaded store (data in ``DATA_GRAPH``, ontology in ``REFERENCE_GRAPH``)."""
    raw: list[tuple] = []
    compiled: set[Identifier] = set()
    if Engine(engine) is Engine.FAST:
        for shape in progress(_root_shapes(shapes), desc="validating", unit="shape"):
            if _is_deactivated(shapes, shape):
                compiled.add(shape)
                continue
            try:
                checks = _compile_shape(shapes, shape)
            except _Unsupported:
                continue
            compiled.add(shape)
            for check in checks:
                raw.extend(_run_check(store, check, shapes))
    if set(_root_shapes(shapes)) - compiled:
        raw.extend(_run_pyshacl(store, _shapes_without(shapes, compiled), _data_nodes(store) if user_data else None))
    labels: dict[Identifier, str | None] = {}
    results = []
    for severity, focus, path, value, message, shape, component in set(raw):
        if user_data and _described_only_by_reference(store, focus):
            continue
        if focus not in labels:
            labels[focus] = _label(store, focus)
        results.append(
            ValidationResult(
                severity, focus, labels[focus], path, value, message, shape, component, path_text(shapes, path)
            )
        )
    results.sort(key=ValidationResult.sort_key)
    conforms = not results
    return ValidationReport(conforms, tuple(results), _report_graph(results, conforms, shapes))
