"""Namespaces and the fixed prefix map used for every serialisation (fixed so exports are byte-stable)."""

from __future__ import annotations

from rdflib import Graph, Namespace
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

__all__ = [
    "CASE",
    "DCTERMS",
    "HAS_PART",
    "IAO_DEFINITION",
    "KB",
    "OBO",
    "OBOINOWL",
    "ONTOLOGY_IRI",
    "OWL",
    "PART_OF",
    "PREFIXES",
    "RDF",
    "RDFS",
    "SARC",
    "SH",
    "SKOS",
    "XSD",
    "bind_prefixes",
    "sparql_prologue",
]

SARC = Namespace("https://w3id.org/sarcoma-kg/")
KB = Namespace("https://w3id.org/sarcoma-kg/kb/")
CASE = Namespace("https://w3id.org/sarcoma-kg/case/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
SH = Namespace("http://www.w3.org/ns/shacl#")

IAO_DEFINITION = OBO["IAO_0000115"]
PART_OF = OBO["BFO_0000050"]
HAS_PART = OBO["BFO_0000051"]
ONTOLOGY_IRI = SARC["sarcoma-kg.owl"]

#: The one prefix map: serialisers, stored queries and the README all use these.
PREFIXES: dict[str, str] = {
    "sarc": str(SARC),
    "kb": str(KB),
    "case": str(CASE),
    "obo": str(OBO),
    "oboInOwl": str(OBOINOWL),
    "dcterms": str(DCTERMS),
    "owl": str(OWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "skos": str(SKOS),
    "xsd": str(XSD),
    "sh": str(SH),
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on ``graph`` (replacing rdflib's defaults) and return it."""
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """PREFIX lines for every project prefix, for queries sent to engines that know none."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())
