"""Both embedded stores give the same answers: every stored query, on Oxigraph and on rdflib's memory store.

Oxigraph is the default because it is fast, but rdflib's store stays available (``--store memory``) for
comparison, and rdflib's engine has disagreed with Oxigraph before (a FILTER on an untyped "12.3 cm" string).
So each stored query runs with its default parameters on the same built release loaded into each store, and
then again with a small generated cohort beside it (the case queries need many varied cases to mean anything).

Rows are compared as multisets of values: Oxigraph canonicalises ``xsd:decimal`` lexical forms ("45.0" comes back
as "45") and spells simple literals ``^^xsd:string`` (the same term in RDF 1.1), blank-node labels are
store-local, and ties under ORDER BY may come out in either order.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal
from rdflib.namespace import RDF, XSD

from sarcoma_kg import paths
from sarcoma_kg.build import load_built_graph
from sarcoma_kg.cli import main
from sarcoma_kg.graph import StoreKind, load_files
from sarcoma_kg.queries import QueryResult, bind_params, get_query, run_local

QUERY_NAMES = sorted(path.stem for path in paths.queries_dir().glob("*.rq"))
COHORT_CASES = 25


def _value(term: object) -> object:
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("blank node",)
    if isinstance(term, Literal):
        if term.language:
            return ("literal", str(term), str(RDF.langString), term.language.lower())
        datatype = term.datatype or XSD.string  # RDF 1.1: a simple literal is an xsd:string
        value = str(term) if datatype == XSD.string or term.ill_typed else term.toPython()
        return ("literal", value, str(datatype), "")
    return ("iri", str(term))


def _rows(result: QueryResult) -> Counter:
    return Counter(tuple(_value(term) for term in row) for row in result.rows)


@pytest.fixture(scope="module")
def cohort_file(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic cohort (seeded), made with the cases generator as a researcher would."""
    target = tmp_path_factory.mktemp("cohort") / "cohort.ttl"
    result = CliRunner().invoke(
        main,
        [
            "cases",
            "generate",
            "--n",
            str(COHORT_CASES),
            "--seed",
            "7",
            "-o",
            str(target),
            "--build-dir",
            str(build_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def graphs(build_dir: Path, cohort_file: Path) -> dict[tuple[str, StoreKind], Graph]:
    """The release alone and with the cohort, each on both stores (loaded once; queries only read them)."""
    out = {}
    for store in StoreKind:
        out[("release", store)] = load_built_graph(build_dir, store=store)
        with_cohort = load_built_graph(build_dir, store=store)
        out[("release+cohort", store)] = load_files([cohort_file], graph=with_cohort)
    return out


def test_both_stores_hold_the_same_triples(graphs: dict[tuple[str, StoreKind], Graph]) -> None:
    for dataset in ("release", "release+cohort"):
        assert len(graphs[(dataset, StoreKind.OXIGRAPH)]) == len(graphs[(dataset, StoreKind.MEMORY)])


def test_the_cohort_adds_cases(graphs: dict[tuple[str, StoreKind], Graph]) -> None:
    assert len(graphs[("release+cohort", StoreKind.OXIGRAPH)]) > len(graphs[("release", StoreKind.OXIGRAPH)])


@pytest.mark.parametrize("dataset", ["release", "release+cohort"])
@pytest.mark.parametrize("name", QUERY_NAMES)
def test_stored_query_gives_identical_rows_on_both_stores(
    name: str, dataset: str, graphs: dict[tuple[str, StoreKind], Graph]
) -> None:
    stored = get_query(name)
    bindings = bind_params(stored)
    on_oxigraph = run_local(graphs[(dataset, StoreKind.OXIGRAPH)], stored.text, bindings)
    on_memory = run_local(graphs[(dataset, StoreKind.MEMORY)], stored.text, bindings)
    assert on_oxigraph.columns == on_memory.columns == stored.columns
    assert _rows(on_oxigraph) == _rows(on_memory)


def test_the_comparison_sees_a_difference() -> None:
    """The row normalisation must not hide real differences (it forgives only spellings of the same value)."""
    one = QueryResult(("x",), ((Literal("45.0", datatype=XSD.decimal),),))
    same = QueryResult(("x",), ((Literal("45", datatype=XSD.decimal),),))
    other = QueryResult(("x",), ((Literal("45.5", datatype=XSD.decimal),),))
    assert _rows(one) == _rows(same)
    assert _rows(one) != _rows(other)
    assert _rows(QueryResult(("x",), ((Literal("a"),),))) == _rows(
        QueryResult(("x",), ((Literal("a", datatype=XSD.string),),))
    )
    assert _rows(QueryResult(("x",), ((Literal("a"),),))) != _rows(QueryResult(("x",), ((Literal("a", lang="en"),),)))
