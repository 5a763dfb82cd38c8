"""OWL reasoning with HermiT, through owlready2.

HermiT sees only the logical axioms: annotation assertions (labels, definitions, sources, dates) are left out,
which keeps it fast and keeps ``xsd:date`` (outside HermiT's datatype map) away from it. The result says whether
the ontology is consistent, which named classes are unsatisfiable, and what HermiT inferred: subclass,
equivalence and type assertions between named entities, ready to be added to the graph.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from .errors import EnvironmentProblem, IncoherentOntology, JavaNotFound
from .graph import to_ox
from .namespaces import PREFIXES

__all__ = ["ReasonerResult", "explain_unsatisfiable", "find_java", "incoherence_error", "logical_axioms", "reason"]

_ALWAYS_ANNOTATIONS = {
    RDFS.label,
    RDFS.comment,
    RDFS.seeAlso,
    RDFS.isDefinedBy,
    OWL.versionInfo,
    OWL.deprecated,
}


@dataclass(frozen=True)
class ReasonerResult:
    """What HermiT concluded. ``inferred`` holds only what was not already asserted."""

    consistent: bool
    unsatisfiable: tuple[URIRef, ...]
    inferred: Graph = field(repr=False)
    seconds: float

    @property
    def coherent(self) -> bool:
        """Consistent, with no unsatisfiable named class."""
        return self.consistent and not self.unsatisfiable


def find_java() -> str:
    """The java executable HermiT will use; ``JavaNotFound`` when there is none."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise JavaNotFound()
    return java


def logical_axioms(graph: Graph) -> list[tuple]:
    """The triples HermiT needs: everything except annotation assertions (declarations are kept)."""
    annotation_properties = set(graph.subjects(RDF.type, OWL.AnnotationProperty)) | _ALWAYS_ANNOTATIONS
    keep = []
    for s, p, o in graph:
        if p in annotation_properties or p == OWL.imports:
            continue  # imported modules are already merged into the graph: owlready2 must not fetch them
        keep.append((s, p, o))
    return keep


def reason(graph: Graph) -> ReasonerResult:
    """Run HermiT over ``graph``'s logical axioms.

    Raises ``JavaNotFound`` without Java and ``EnvironmentProblem`` when the reasoner itself fails.
    """
    import owlready2
    from owlready2.base import OwlReadyInconsistentOntologyError

    owlready2.JAVA_EXE = find_java()
    started = time.perf_counter()
    triples = [ox.Triple(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in logical_axioms(graph)]
    with tempfile.TemporaryDirectory(prefix="sarcoma-kg-reason-") as tmp:
        source = Path(tmp) / "input.nt"
        ox.serialize(triples, str(source), format=ox.RdfFormat.N_TRIPLES)
        world = owlready2.World()
        try:
            world.get_ontology(source.as_uri()).load()
            destination = world.get_ontology("urn:sarcoma-kg:inferred#")
            consistent = True
            with destination, contextlib.redirect_stdout(None), contextlib.redirect_stderr(None):
                try:
                    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
                except OwlReadyInconsistentOntologyError:
                    consistent = False
        except OwlReadyInconsistentOntologyError:
            consistent = False
        except Exception as exc:  # owlready2 raises bare exceptions for Java and parse failures
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise EnvironmentProblem(f"the HermiT reasoner failed: {first}") from exc
        unsatisfiable: tuple[URIRef, ...] = ()
        inferred = Graph()
        if consistent:
            unsatisfiable = tuple(
                sorted(URIRef(c.iri) for c in world.inconsistent_classes() if c is not owlready2.Nothing)
            )
            inferred = _inferred_triples(world, destination, graph)
        world.close()
    return ReasonerResult(consistent, unsatisfiable, inferred, time.perf_counter() - started)


def _inferred_triples(world, destination, asserted: Graph) -> Graph:
    """Named-entity subclass, equivalence and type triples that HermiT added and the input did not assert."""
    wanted = {str(RDFS.subClassOf), str(OWL.equivalentClass), str(RDF.type)}
    skip_objects = {str(OWL.Thing), str(OWL.Nothing), str(OWL.NamedIndividual), str(OWL.Class), str(OWL.Ontology)}
    out = Graph()
    for s, p, o, *_ in destination.get_triples():
        if s < 0 or not isinstance(o, int) or o < 0:
            continue
        predicate = world._unabbreviate(p)
        if predicate not in wanted:
            continue
        subject, obj = world._unabbreviate(s), world._unabbreviate(o)
        if obj in skip_objects or subject == obj:
            continue
        triple = (URIRef(subject), URIRef(predicate), URIRef(obj))
        if triple not in asserted:
            out.add(triple)
    return out


# ---------------------------------------------------------------------------------------------------------
# Why a class is unsatisfiable
# ---------------------------------------------------------------------------------------------------------

Triple = tuple[Node, Node, Node]


def _name(term: Node) -> str:
    if isinstance(term, URIRef):
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
            if term.startswith(namespace) and term[len(namespace) :].replace("_", "a").isalnum():
                return f"{prefix}:{term[len(namespace) :]}"
        return f"<{term}>"
    return "an anonymous class expression"


def _members(graph: Graph, node: Node) -> list[Node]:
    return list(Collection(graph, node)) if isinstance(node, (URIRef, BNode)) else []


def _told_superclasses(graph: Graph, cls: URIRef) -> dict[Node, tuple[Triple, ...]]:
    """Every named class ``cls`` is told to be under (itself included), with the asserted triples leading there:
    ``rdfs:subClassOf``, ``owl:equivalentClass`` (both ways) and the named members of an ``owl:intersectionOf``
    it is under or equal to. Breadth first, so each path is a shortest one."""
    paths: dict[Node, tuple[Triple, ...]] = {cls: ()}
    queue = deque([cls])
    while queue:
        current = queue.popleft()
        steps: list[tuple[Node, Triple]] = []
        for predicate in (RDFS.subClassOf, OWL.equivalentClass):
            for obj in graph.objects(current, predicate):
                triple = (current, predicate, obj)
                if isinstance(obj, BNode):
                    for member in _members(graph, graph.value(obj, OWL.intersectionOf)):
                        steps.append((member, triple))
                else:
                    steps.append((obj, triple))
        for subject in graph.subjects(OWL.equivalentClass, current):
            steps.append((subject, (subject, OWL.equivalentClass, current)))
        for target, triple in sorted(steps, key=lambda step: (str(step[0]), str(step[1]))):
            if isinstance(target, URIRef) and target not in paths:
                paths[target] = (*paths[current], triple)
                queue.append(target)
    return paths


def _disjoint_pairs(graph: Graph) -> list[tuple[Node, Node, str]]:
    pairs = [(a, b, f"{_name(a)} owl:disjointWith {_name(b)}") for a, b in graph.subject_objects(OWL.disjointWith)]
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        members = _members(graph, graph.value(axiom, OWL.members))
        text = f"owl:AllDisjointClasses({', '.join(_name(m) for m in members)})"
        pairs.extend((a, b, text) for i, a in enumerate(members) for b in members[i + 1 :])
    return sorted(pairs, key=lambda pair: (str(pair[0]), str(pair[1])))


def _render(triple: Triple) -> str:
    subject, predicate, obj = triple
    return f"{_name(subject)} {_name(predicate)} {_name(obj)}"


def explain_unsatisfiable(graph: Graph, cls: URIRef) -> tuple[str, ...]:
    """The asserted axioms that make ``cls`` unsatisfiable, as a curator would write them.

    owlready2 gives HermiT's verdict but no explanation, so this is computed from the graph: the told
    superclass paths from ``cls`` to two classes declared disjoint (``owl:disjointWith``,
    ``owl:AllDisjointClasses``) or to ``owl:Nothing``, and that disjointness axiom. When the clash is not
    between told superclasses (a restriction, a cardinality), the class's own told axioms are given instead.

    >>> from rdflib import Graph
    >>> g = Graph().parse(data='''@prefix owl: <http://www.w3.org/2002/07/owl#> .
    ... @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix sarc: <https://w3id.org/sarcoma-kg/> .
    ... sarc:Gene owl:disjointWith sarc:Drug . sarc:X rdfs:subClassOf sarc:Drug , sarc:Gene .''', format="turtle")
    >>> explain_unsatisfiable(g, URIRef("https://w3id.org/sarcoma-kg/X"))
    ('sarc:X rdfs:subClassOf sarc:Gene', 'sarc:X rdfs:subClassOf sarc:Drug', 'sarc:Gene owl:disjointWith sarc:Drug')
    """
    paths = _told_superclasses(graph, cls)
    if OWL.Nothing in paths:
        return tuple(_render(t) for t in paths[OWL.Nothing])
    for first, second, text in _disjoint_pairs(graph):
        if first in paths and second in paths:
            axioms = list(dict.fromkeys([*paths[first], *paths[second]]))
            return (*(_render(t) for t in axioms), text)
    told = sorted(
        (cls, predicate, obj)
        for predicate in (RDFS.subClassOf, OWL.equivalentClass)
        for obj in graph.objects(cls, predicate)
    )
    return tuple(_render(t) for t in told)


def incoherence_error(graph: Graph, result: ReasonerResult) -> IncoherentOntology:
    """The error for an incoherent ``result`` of reasoning over ``graph``, each unsatisfiable class explained."""
    names = tuple(str(c) for c in result.unsatisfiable)
    explanations = {str(c): explain_unsatisfiable(graph, c) for c in result.unsatisfiable}
    return IncoherentOntology(result.consistent, names, explanations)
