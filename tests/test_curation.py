"""Curation rules (issue 11): the ontology says what the sources say, in its own words, with honest synonyms.

The sources' eight-word runs are kept as hashes (tests/data/sources/shingles-8.txt, made by
tools/sources/source_shingles.py), so the repository checks our wording without carrying the sources' prose.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import OWL, RDFS

from sarcoma_kg import paths
from sarcoma_kg.graph import load_files
from sarcoma_kg.namespaces import HAS_PART, IAO_DEFINITION, OBOINOWL, PART_OF, SARC
from sarcoma_kg.queries import bind_params, get_query, run_local

REPO = Path(__file__).resolve().parent.parent
SHINGLES = Path(__file__).resolve().parent / "data" / "sources" / "shingles-8.txt"
SOURCES = next(
    (p for p in (REPO.parent / "shared" / "sources", REPO.parent.parent / "shared" / "sources") if p.is_dir()), None
)
PHENOTYPE_PREFIXES = ("HP:", "MP:", "ZP:", "UPHENO:")


def _shingler():
    spec = importlib.util.spec_from_file_location("source_shingles", REPO / "tools" / "sources" / "source_shingles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ontology():
    return load_files(paths.ontology_files())


def _diseases(graph) -> set:
    return set(graph.transitive_subjects(RDFS.subClassOf, SARC.Disease))


def test_no_definition_shares_a_run_of_eight_words_with_a_source(ontology):
    source_runs = set(SHINGLES.read_text(encoding="utf-8").split())
    shingler = _shingler()
    copied = sorted(
        str(term)
        for term, text in ontology.subject_objects(IAO_DEFINITION)
        if shingler.run_hashes(str(text)) & source_runs
    )
    assert copied == []


def test_the_copy_check_finds_a_copied_run():
    """The check above can fail: a sentence of source 003's known copied run is caught."""
    source_runs = set(SHINGLES.read_text(encoding="utf-8").split())
    copied = "Tests of substances released into the blood by organs and tissues."
    assert _shingler().run_hashes(copied) & source_runs


@pytest.mark.skipif(SOURCES is None, reason="the source documents (shared/sources) are not beside the repository")
def test_committed_source_runs_are_those_of_the_source_documents():
    shingler = _shingler()
    runs: set[str] = set()
    for file in sorted(SOURCES.glob("*.txt")):
        runs |= shingler.run_hashes(file.read_text(encoding="utf-8"))
    assert SHINGLES.read_text(encoding="utf-8") == "".join(f"{h}\n" for h in sorted(runs))


def test_no_disease_has_a_phenotype_ontology_id_as_cross_reference(ontology):
    wrong = [
        (str(d), str(x))
        for d in _diseases(ontology)
        for x in ontology.objects(d, OBOINOWL.hasDbXref)
        if str(x).startswith(PHENOTYPE_PREFIXES)
    ]
    assert wrong == []


def test_kaposi_sarcoma_is_not_filed_under_soft_tissue_sarcoma(ontology):
    assert SARC.KaposiSarcoma not in set(ontology.transitive_subjects(RDFS.subClassOf, SARC.SoftTissueSarcoma))
    assert SARC.KaposiSarcoma in _diseases(ontology)


def test_infantile_fibrosarcoma_is_a_childhood_soft_tissue_sarcoma(ontology):
    assert (SARC.InfantileFibrosarcoma, RDFS.subClassOf, SARC.ChildhoodSoftTissueSarcoma) in ontology


@pytest.mark.parametrize(
    ("term", "name"),
    [
        (SARC.Drug, "anticancer drug"),
        (SARC.Surgery, "resection"),
        (SARC.HIVInfection, "HIV"),
        (SARC.ChildrenAndYoungAdults, "adolescents and young adults"),
        (SARC.PD1, "PDCD1"),
    ],
)
def test_a_broader_narrower_or_related_name_is_not_an_exact_synonym(ontology, term, name):
    assert (term, OBOINOWL.hasExactSynonym, Literal(name, lang="en")) not in ontology
    kinds = (OBOINOWL.hasNarrowSynonym, OBOINOWL.hasBroadSynonym, OBOINOWL.hasRelatedSynonym)
    assert any((term, kind, Literal(name, lang="en")) in ontology for kind in kinds)


def test_the_survival_query_says_that_000_and_004_disagree_on_localised_asps(kg):
    """91% (000, children) and 60% (004, all ages) five-year survival of localised ASPS: each row names the other."""
    query = get_query("survival-statistics")
    result = run_local(kg, query.text, bind_params(query))
    figure, source, other, other_source = (
        result.columns.index(c) for c in ("figure", "source", "conflictingFigure", "conflictingSource")
    )
    disagreeing = {
        (row[figure].toPython(), str(row[source]), row[other].toPython(), str(row[other_source]))
        for row in result.rows
        if row[other] is not None
    }
    kb = "https://w3id.org/sarcoma-kg/kb/source/"
    assert disagreeing == {
        (91, kb + "dana-farber-asps", 60, kb + "bmj-case-2017-asps-back-pain"),
        (60, kb + "bmj-case-2017-asps-back-pain", 91, kb + "dana-farber-asps"),
    }


def test_the_reused_part_of_relation_carries_no_global_domain_or_range_of_ours(ontology):
    """An OBO relation is shared: a domain of ours would make anything that is part of something anatomy."""
    stated = {(p, kind) for p in (PART_OF, HAS_PART) for kind in (RDFS.domain, RDFS.range) if ontology.value(p, kind)}
    assert stated == set()


def test_part_of_is_used_between_anatomical_classes_only(ontology):
    """What the dropped domain and range used to say, kept as a check on our own axioms."""
    anatomy = set(ontology.transitive_subjects(RDFS.subClassOf, SARC.AnatomicalEntity))
    uses = [
        (cls, ontology.value(restriction, OWL.someValuesFrom))
        for restriction in ontology.subjects(OWL.onProperty, PART_OF)
        for cls in ontology.subjects(RDFS.subClassOf, restriction)
    ]
    assert uses and [(str(c), str(w)) for c, w in uses if c not in anatomy or w not in anatomy] == []
