"""Term descriptions (terms.py), their pictures (viz.py) and `sarcoma-kg show`, on the session's real build."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError
from sarcoma_kg.namespaces import KB, OBOINOWL, SARC
from sarcoma_kg.terms import Terms, asserted_graph
from sarcoma_kg.viz import neighbourhood_svg

ASPS = SARC.AlveolarSoftPartSarcoma


@pytest.fixture(scope="module")
def terms(kg: Graph) -> Terms:
    return Terms(kg, asserted=asserted_graph())


@pytest.fixture(scope="module")
def asps(terms: Terms):
    return terms.describe(ASPS)


def test_a_term_is_named_by_curie_iri_or_local_name(terms: Terms) -> None:
    assert terms.resolve("sarc:AlveolarSoftPartSarcoma") == ASPS
    assert terms.resolve(str(ASPS)) == ASPS
    assert terms.resolve("AlveolarSoftPartSarcoma") == ASPS
    assert terms.resolve("kb:statement/asps-bone-scan") == KB["statement/asps-bone-scan"]


def test_an_unknown_term_is_an_input_error(terms: Terms) -> None:
    with pytest.raises(InputError, match="nothing about sarc:NoSuchTerm"):
        terms.resolve("sarc:NoSuchTerm")


def test_the_description_has_label_definition_and_synonyms_by_type(asps, kg: Graph) -> None:
    assert asps.label == str(kg.value(ASPS, RDFS.label))
    assert asps.definition and asps.definition.startswith("A soft tissue sarcoma whose tumour cells carry")
    synonyms = dict(asps.synonyms)
    assert set(synonyms["exact"]) == {str(s) for s in kg.objects(ASPS, OBOINOWL.hasExactSynonym)}
    assert set(synonyms["related"]) == {str(s) for s in kg.objects(ASPS, OBOINOWL.hasRelatedSynonym)}


def test_cross_references_are_the_verified_ones_as_resolver_links(asps, kg: Graph) -> None:
    assert {curie for curie, _ in asps.xrefs} == {str(x) for x in kg.objects(ASPS, OBOINOWL.hasDbXref)}
    assert ("NCIT:C3750", "https://bioregistry.io/NCIT:C3750") in asps.xrefs


def test_a_parent_only_the_reasoner_found_is_marked_inferred(asps) -> None:
    parents = {p.iri: p.inferred for p in asps.parents}
    assert parents[str(SARC.SoftTissueSarcoma)] is False
    assert parents[str(SARC.NonRhabdomyosarcomatousSoftTissueSarcoma)] is True


def test_children_come_from_the_reasoned_hierarchy(terms: Terms, kg: Graph) -> None:
    sts = terms.describe(SARC.SoftTissueSarcoma)
    expected = {str(c) for c in kg.subjects(RDFS.subClassOf, SARC.SoftTissueSarcoma) if isinstance(c, URIRef)}
    assert {c.iri for c in sts.children} == expected - {str(SARC.SoftTissueSarcoma)}
    assert str(ASPS) in {c.iri for c in sts.children}


def test_statements_about_the_term_carry_every_property_with_labels(asps, kg: Graph) -> None:
    about = {s for s in kg.subjects(SARC.aboutDisease, ASPS)}
    assert {URIRef(s.node.iri) for s in asps.statements} >= about
    pazopanib = next(s for s in asps.statements if s.node.iri.endswith("asps-pazopanib-metastatic"))
    predicates = {p.predicate.iri for p in pazopanib.properties}
    asserted = {str(p) for p in kg.predicates(URIRef(pazopanib.node.iri), None)} - {str(RDFS.label)}
    assert predicates == asserted  # nothing left out: a new slot on statements shows without code changes
    assert [v.label for v in pazopanib.values(SARC.inSetting)] == ["metastatic disease setting"]


def test_stored_queries_taking_the_term_are_offered(asps, terms: Terms) -> None:
    names = {(q.name, q.param) for q in asps.queries}
    assert ("therapies-for-disease", "disease") in names
    assert not any(q.name == "tyrosine-kinase-inhibitors" for q in asps.queries)
    setting = terms.describe(SARC.StageIVSetting)
    assert ("stage-iv-sts-treatments", "setting") in {(q.name, q.param) for q in setting.queries}


def test_the_linked_data_view_holds_the_term_and_its_statements(terms: Terms, kg: Graph) -> None:
    data = Graph().parse(data=terms.serialize(ASPS, "text/turtle"), format="turtle")
    assert (ASPS, RDFS.label, kg.value(ASPS, RDFS.label)) in data
    statement = KB["statement/asps-pazopanib-metastatic"]
    assert (statement, SARC.therapy, SARC.Pazopanib) in data
    assert (statement, RDF.type, SARC.TherapyStatement) in data


def test_the_linked_data_view_is_byte_stable(kg: Graph, build_dir: Path) -> None:
    from sarcoma_kg.build import load_built_graph

    again = Terms(load_built_graph(build_dir))
    for media in ("text/turtle", "application/n-triples", "application/ld+json"):
        assert Terms(kg).serialize(ASPS, media) == again.serialize(ASPS, media)


def test_the_picture_draws_parents_relations_and_statement_links(asps) -> None:
    svg = neighbourhood_svg(asps)
    assert svg.startswith("<svg")
    texts = {t.text for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")}
    for label in (
        "soft tissue sarcoma",
        "ASPSCR1-TFE3 fusion",
        "has characteristic alteration some",
        "is a (inferred)",
    ):
        assert label in texts
    assert 'href="/SoftTissueSarcoma"' in svg


def test_labels_are_escaped_in_the_picture(kg: Graph) -> None:
    graph = Graph()
    graph += kg.triples((ASPS, None, None))
    evil = SARC.Evil
    graph.add((evil, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
    graph.add((evil, RDFS.label, Literal('<script>alert("x")</script> & \\l')))
    graph.add((evil, RDFS.subClassOf, ASPS))
    svg = neighbourhood_svg(Terms(graph).describe(ASPS))
    assert "<script>" not in svg
    texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text"))
    assert '<script>alert("x")</script> & \\l' in texts


def test_show_prints_the_description_and_writes_the_picture(build_dir: Path, tmp_path: Path) -> None:
    picture = tmp_path / "asps.svg"
    result = CliRunner().invoke(
        main, ["show", "sarc:AlveolarSoftPartSarcoma", "--svg", str(picture), "--build-dir", str(build_dir)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("alveolar soft part sarcoma  (class, sarc:AlveolarSoftPartSarcoma)")
    assert (
        "non-rhabdomyosarcomatous soft tissue sarcoma [sarc:NonRhabdomyosarcomatousSoftTissueSarcoma] (inferred)"
        in result.output
    )
    assert "therapies-for-disease --param disease=sarc:AlveolarSoftPartSarcoma" in result.output
    assert picture.read_text().startswith("<?xml") and "<svg" in picture.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["asps.svg"]  # no temporary file left behind


def test_show_an_unknown_term_exits_2_with_one_line(build_dir: Path, tmp_path: Path) -> None:
    picture = tmp_path / "x.svg"
    picture.write_text("previous")
    result = CliRunner().invoke(main, ["show", "sarc:NoSuchTerm", "--svg", str(picture), "--build-dir", str(build_dir)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "sarcoma-kg: error: the graph has nothing about sarc:NoSuchTerm: search for the term by name instead"
    ]
    assert picture.read_text() == "previous"


def test_without_graphviz_show_svg_exits_3_and_keeps_the_old_picture(
    build_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    picture = tmp_path / "asps.svg"
    picture.write_text("previous")
    empty = tmp_path / "no-binaries"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no 'dot' to be found
    result = CliRunner().invoke(
        main, ["show", "AlveolarSoftPartSarcoma", "--svg", str(picture), "--build-dir", str(build_dir)]
    )
    assert result.exit_code == 3
    assert "Graphviz's 'dot' is missing" in result.output
    assert picture.read_text() == "previous"
