"""Search as you type (search_index.py): an FTS5 index over labels and synonyms, ranked by match quality."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import RDF, RDFS

from sarcoma_kg.errors import InputError
from sarcoma_kg.namespaces import CASE, SARC
from sarcoma_kg.queries import bind_params, get_query, run_local
from sarcoma_kg.search_index import MATCH_KINDS, SearchIndex


@pytest.fixture(scope="module")
def index(kg: Graph) -> SearchIndex:
    return SearchIndex.from_graph(kg)


def first(index: SearchIndex, text: str, **options) -> tuple[str, str]:
    hit = index.search(text, **options)[0]
    return hit.curie, hit.match


def test_an_exact_synonym_ranks_its_term_first(index: SearchIndex) -> None:
    assert first(index, "asps") == ("sarc:AlveolarSoftPartSarcoma", "exact synonym")
    assert first(index, "Gorlin syndrome") == ("sarc:NevoidBasalCellCarcinomaSyndrome", "exact synonym")


def test_an_exact_label_beats_a_prefix(index: SearchIndex) -> None:
    hits = index.search("lung")
    assert (hits[0].curie, hits[0].match) == ("sarc:Lung", "exact label")
    assert all(h.rank > 0 for h in hits[1:])


def test_ranks_never_decrease_down_the_list(index: SearchIndex) -> None:
    for text in ("sarcoma", "stage", "soft", "thera"):
        ranks = [h.rank for h in index.search(text, limit=50)]
        assert ranks == sorted(ranks), text


def test_a_prefix_and_words_are_found(index: SearchIndex) -> None:
    assert first(index, "doxo") == ("sarc:Doxorubicin", "prefix")
    curies = [h.curie for h in index.search("soft sarc")]
    assert "sarc:SoftTissueSarcoma" in curies and "sarc:AlveolarSoftPartSarcoma" in curies
    assert {h.match for h in index.search("part sarcoma")} >= {"word"}


def test_a_typo_is_a_fuzzy_match(index: SearchIndex) -> None:
    assert first(index, "rhabdomiosarcoma") == ("sarc:Rhabdomyosarcoma", "fuzzy")
    assert first(index, "pazopanb") == ("sarc:Pazopanib", "fuzzy")


def test_each_entity_appears_once_with_its_best_match(index: SearchIndex) -> None:
    hits = index.search("alveolar soft part sarcoma", limit=50)
    assert len({h.iri for h in hits}) == len(hits)
    assert (hits[0].curie, hits[0].match) == ("sarc:AlveolarSoftPartSarcoma", "exact label")


def test_under_keeps_only_descendants_of_a_class(index: SearchIndex) -> None:
    hits = index.search("sarcoma", under=str(SARC.SoftTissueSarcoma), limit=50)
    assert "sarc:SynovialSarcoma" in {h.curie for h in hits}
    assert all(h.curie != "sarc:Disease" for h in hits)
    assert index.search("pazopanib", under=str(SARC.Disease)) == []
    assert first(index, "pazopanib", under=str(SARC.TyrosineKinaseInhibitor))[0] == "sarc:Pazopanib"


def test_under_an_unknown_class_is_an_input_error(index: SearchIndex) -> None:
    with pytest.raises(InputError, match="not a class"):
        index.search("sarcoma", under=str(SARC.NoSuchClass))


def test_a_limit_out_of_range_is_an_input_error(index: SearchIndex) -> None:
    with pytest.raises(InputError, match="limit"):
        index.search("sarcoma", limit=0)


def test_query_syntax_in_the_text_is_just_text(index: SearchIndex) -> None:
    for text in ('"', "sarcoma OR *", "NEAR(a b)", "'; DROP TABLE name; --", "^"):
        index.search(text)  # no error: FTS5 operators are quoted away
    assert index.search("   ") == []


def test_patient_cases_are_indexed_only_when_asked(kg: Graph) -> None:
    graph = Graph()
    graph += kg
    patient = CASE["P-1"]
    graph.add((patient, RDFS.label, Literal("patient case P-1 alveolar")))
    graph.add((patient, RDF.type, SARC.PatientCase))
    assert "case:P-1" not in {h.curie for h in SearchIndex.from_graph(graph).search("patient case", limit=50)}
    with_cases = SearchIndex.from_graph(graph, include_cases=True)
    assert with_cases.search("patient case P-1")[0].curie == "case:P-1"


def test_match_kinds_are_the_documented_ones() -> None:
    assert MATCH_KINDS == ("exact label", "exact synonym", "synonym", "prefix", "word", "fuzzy")


@pytest.mark.parametrize("text", ["asps", "Gorlin", "lung", "sarcoma", "doxorubicin"])
def test_entity_search_ranks_as_the_index_does(kg: Graph, index: SearchIndex, text: str) -> None:
    query = get_query("entity-search")
    result = run_local(kg, query.text, bind_params(query, {"text": text}))
    entities = [str(row[0]) for row in result.rows]
    assert len(entities) == len(set(entities)), "one row per entity"
    # The query has no typo step, so compare the index's hits that are substring matches.
    hits = [h for h in index.search(text, limit=200) if h.match != "fuzzy" and text.lower() in h.matched.lower()]
    ranks = {h.iri: h.rank for h in hits}
    found = [ranks[e] for e in entities if e in ranks]  # the index holds our own terms; the query NCIt's too
    assert found[0] == hits[0].rank  # the best match ranks first (ties may be ordered differently)
    assert found == sorted(found)
