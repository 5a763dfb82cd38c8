"""``graph.load_files``: what a load gives callers (counts, prefixes, errors, per-file atomicity)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from sarcoma_kg.errors import RdfSyntaxError
from sarcoma_kg.graph import load_files, new_graph
from sarcoma_kg.namespaces import PREFIXES

GOOD_TTL = """@prefix ex: <http://example.org/> .
@prefix own: <http://example.org/own#> .
ex:a ex:p ex:b , ex:c .
ex:a ex:p ex:b .
ex:b own:q "x" .
"""

GOOD_NT = """<http://example.org/n1> <http://example.org/p> "1" .
<http://example.org/n2> <http://example.org/p> "2" .
"""

# Line 3 is broken: a subject with no predicate or object.
BAD_TTL = """@prefix ex: <http://example.org/> .
ex:d ex:p ex:e .
ex:f .
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _distinct_triples(*files: Path) -> int:
    """The count of distinct triples in ``files`` by pyoxigraph's parser alone, independent of our store."""
    triples = set()
    for file in files:
        for quad in ox.parse(path=str(file), format=ox.RdfFormat.from_extension(file.suffix[1:])):
            triples.add(quad.triple)
    return len(triples)


def test_the_count_of_a_loaded_graph_is_its_distinct_triples(tmp_path: Path) -> None:
    turtle = _write(tmp_path, "a.ttl", GOOD_TTL)
    ntriples = _write(tmp_path, "b.nt", GOOD_NT + GOOD_NT)

    graph = load_files([turtle, ntriples])

    assert len(graph) == _distinct_triples(turtle, ntriples) == 5


def test_the_count_of_the_default_graph_leaves_out_a_named_graph_of_the_same_store(tmp_path: Path) -> None:
    graph = load_files([_write(tmp_path, "a.ttl", GOOD_TTL)])
    named = Graph(store=graph.store, identifier=URIRef("http://example.org/g"))
    named.add((URIRef("http://example.org/z"), URIRef("http://example.org/p"), Literal("in g")))

    assert (len(graph), len(named)) == (3, 1)


def test_a_count_follows_triples_added_and_removed_after_the_load(tmp_path: Path) -> None:
    graph = load_files([_write(tmp_path, "a.ttl", GOOD_TTL)])
    extra = (URIRef("http://example.org/new"), URIRef("http://example.org/p"), Literal("n"))

    graph.add(extra)
    assert len(graph) == 4
    graph.remove(extra)
    assert len(graph) == 3


def test_a_load_binds_the_project_prefixes(tmp_path: Path) -> None:
    graph = load_files([_write(tmp_path, "a.ttl", GOOD_TTL)])

    bound = {prefix: str(namespace) for prefix, namespace in graph.namespaces()}

    assert all(bound.get(prefix) == str(namespace) for prefix, namespace in PREFIXES.items())


def test_a_bad_file_after_good_ones_is_one_line_naming_the_file_and_line(tmp_path: Path) -> None:
    files = [
        _write(tmp_path, "a.ttl", GOOD_TTL),
        _write(tmp_path, "bad.ttl", BAD_TTL),
        _write(tmp_path, "c.nt", GOOD_NT),
    ]

    with pytest.raises(RdfSyntaxError) as caught:
        load_files(files)

    assert caught.value.path == str(files[1])
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{files[1]}:3")
    assert "\n" not in str(caught.value)


def test_a_failed_file_adds_nothing_to_an_existing_graph(tmp_path: Path) -> None:
    graph = new_graph()
    load_files([_write(tmp_path, "a.ttl", GOOD_TTL)], graph=graph)
    before = set(graph)

    with pytest.raises(RdfSyntaxError):
        load_files([_write(tmp_path, "bad.ttl", BAD_TTL)], graph=graph)

    assert set(graph) == before


def test_files_before_the_failed_one_stay_loaded_in_an_existing_graph(tmp_path: Path) -> None:
    graph = new_graph()

    with pytest.raises(RdfSyntaxError):
        load_files([_write(tmp_path, "b.nt", GOOD_NT), _write(tmp_path, "bad.ttl", BAD_TTL)], graph=graph)

    assert len(graph) == 2


def test_rdf_xml_loads(tmp_path: Path) -> None:
    xml = _write(
        tmp_path,
        "a.owl",
        """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>1</ex:p></rdf:Description>
</rdf:RDF>
""",
    )

    assert len(load_files([xml])) == 1


def test_json_ld_loads(tmp_path: Path) -> None:
    jsonld = _write(tmp_path, "a.jsonld", '{"@id": "http://example.org/a", "http://example.org/p": "1"}')

    assert len(load_files([jsonld])) == 1
