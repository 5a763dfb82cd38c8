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
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .errors import EnvironmentProblem, JavaNotFound
from .graph import to_ox

__all__ = ["ReasonerResult", "find_java", "logical_axioms", "reason"]

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
