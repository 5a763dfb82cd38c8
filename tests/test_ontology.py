"""Integrity of the shipped content: what Protégé, OBO tools and a careful curator expect of it."""

from __future__ import annotations

import csv
import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS

from sarcoma_kg import paths
from sarcoma_kg.build import OWL_FILE
from sarcoma_kg.graph import load_files, load_knowledge_base
from sarcoma_kg.namespaces import IAO_DEFINITION, OBOINOWL, SARC

REPO = Path(__file__).resolve().parent.parent
OWLCHECK = REPO / "tools" / "owlcheck" / "owlcheck.sh"
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual)
KNOWN_XREF_PREFIXES = {
    "MONDO",
    "NCIT",
    "DOID",
    "Orphanet",
    "HP",
    "HGNC",
    "CHEBI",
    "CHEMBL.COMPOUND",
    "drugbank",
    "UBERON",
}


@pytest.fixture(scope="module")
def ontology():
    return load_files([paths.ontology_file()])


@pytest.fixture(scope="module")
def knowledge_base():
    return load_knowledge_base()


def _ours(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(SARC))


def _declared(graph) -> dict[URIRef, set[URIRef]]:
    kinds: dict[URIRef, set[URIRef]] = {}
    for kind in KINDS:
        for entity in graph.subjects(RDF.type, kind):
            if isinstance(entity, URIRef):
                kinds.setdefault(entity, set()).add(kind)
    return kinds


def test_ontology_header_has_iri_version_title_description_and_license(ontology):
    (header,) = list(ontology.subjects(RDF.type, OWL.Ontology))
    assert header == SARC["sarcoma-kg.owl"]
    version_iri = ontology.value(header, OWL.versionIRI)
    assert re.fullmatch(r"https://w3id\.org/sarcoma-kg/releases/\d{4}-\d{2}-\d{2}/sarcoma-kg\.owl", str(version_iri))
    for predicate in (DCTERMS.title, DCTERMS.description, DCTERMS.license, OWL.versionInfo):
        assert ontology.value(header, predicate) is not None, predicate
    assert str(ontology.value(header, DCTERMS.license)) == "https://creativecommons.org/licenses/by/4.0/"


def test_no_iri_is_declared_as_two_kinds_of_entity(knowledge_base):
    punned = {e: k for e, k in _declared(knowledge_base).items() if len(k) > 1}
    assert punned == {}


def test_every_property_used_is_declared(knowledge_base):
    declared = set(_declared(knowledge_base))
    builtin = (str(RDF), str(RDFS), str(OWL))
    used = {p for p in knowledge_base.predicates() if not str(p).startswith(builtin)}
    assert sorted(used - declared) == []


def test_every_entity_of_ours_has_exactly_one_label(knowledge_base):
    entities = [e for e in _declared(knowledge_base) if _ours(e)]
    wrong = [e for e in entities if len(list(knowledge_base.objects(e, RDFS.label))) != 1]
    assert wrong == []


def test_every_class_and_property_of_ours_has_one_definition(ontology):
    declared = _declared(ontology)
    terms = [e for e, kinds in declared.items() if _ours(e) and kinds - {OWL.NamedIndividual}]
    wrong = [e for e in terms if len(list(ontology.objects(e, IAO_DEFINITION))) != 1]
    assert wrong == []


def test_no_two_entities_share_a_label(knowledge_base):
    labels = Counter(str(o).lower() for s, o in knowledge_base.subject_objects(RDFS.label) if _ours(s))
    assert [label for label, n in labels.items() if n > 1] == []


def test_every_xref_is_a_verified_curie_of_a_known_prefix(ontology):
    with (paths.ontology_file().parent / "verified-xrefs.tsv").open(newline="") as handle:
        verified = {row["id"] for row in csv.DictReader(handle, delimiter="\t") if row["verified"] == "yes"}
    xrefs = [str(o) for o in ontology.objects(None, OBOINOWL.hasDbXref)]
    assert xrefs, "the ontology carries no cross-reference"
    assert [x for x in xrefs if x.split(":", 1)[0] not in KNOWN_XREF_PREFIXES] == []
    assert sorted(set(xrefs) - verified) == []


def test_every_knowledge_base_statement_cites_a_source_document(knowledge_base):
    query = """
    SELECT ?s WHERE {
      ?s a/rdfs:subClassOf* sarc:SourcedStatement .
      FILTER NOT EXISTS { ?s dcterms:source ?src . ?src a sarc:SourceDocument }
    }"""
    assert [row.s for row in knowledge_base.query(query)] == []


def test_every_source_document_gives_title_and_publisher(knowledge_base):
    for source in knowledge_base.subjects(RDF.type, SARC.SourceDocument):
        assert isinstance(knowledge_base.value(source, DCTERMS.title), Literal), source
        assert knowledge_base.value(source, DCTERMS.publisher) is not None, source


def test_protege_catalog_points_at_the_ontology_file():
    catalog = paths.catalog_file().read_text()
    assert 'uri="sarcoma-kg.ttl"' in catalog
    assert "https://w3id.org/sarcoma-kg/sarcoma-kg.owl" in catalog


def _owlcheck(file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(OWLCHECK), str(file)], capture_output=True, text=True, timeout=300)


@pytest.mark.java
def test_owl_api_loads_the_ontology_source_without_a_problem():
    result = _owlcheck(paths.ontology_file())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.java
def test_owl_api_loads_the_merged_release_without_a_problem(build_dir):
    result = _owlcheck(build_dir / OWL_FILE)
    assert result.returncode == 0, result.stdout + result.stderr
