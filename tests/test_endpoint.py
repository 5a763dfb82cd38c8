"""The remote client: the same stored queries give the same rows on a real Oxigraph server; errors exit 3."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, namespace

from sarcoma_kg.cli import main
from sarcoma_kg.endpoint import run_remote
from sarcoma_kg.errors import EndpointError, InputError, QueryError
from sarcoma_kg.load import DEFAULT_GRAPH
from sarcoma_kg.queries import bind_params, load_catalogue, load_query, run_local

if TYPE_CHECKING:
    from conftest import Virtuoso

pytestmark = pytest.mark.server

CATALOGUE = load_catalogue()


def comparable(value):
    """A term compared by value: Oxigraph canonicalises decimals; xsd:string and plain literals are one."""
    if isinstance(value, Literal):
        if value.datatype in (namespace.XSD.decimal, namespace.XSD.integer, namespace.XSD.double, namespace.XSD.float):
            return ("number", Decimal(str(value.toPython())))
        if value.datatype in (None, namespace.XSD.string) and value.language is None:
            return ("string", str(value))
    return value


def row_set(result) -> set[tuple]:
    return {tuple(comparable(v) for v in row) for row in result.rows}


@pytest.mark.parametrize("query", CATALOGUE, ids=[q.name for q in CATALOGUE])
def test_server_gives_the_same_rows(query, kg: Graph, kg_server: str) -> None:
    bindings = bind_params(query)
    local = run_local(kg, query.text, bindings)
    remote = run_remote(f"{kg_server}/query", query.text, bindings)
    assert remote.columns == local.columns
    assert row_set(remote) == row_set(local)
    assert len(remote.rows) == len(local.rows)


def test_parameters_bind_remotely(kg: Graph, kg_server: str) -> None:
    query = next(q for q in CATALOGUE if q.name == "therapies-for-disease")
    bindings = bind_params(query, {"disease": "sarc:SynovialSarcoma"})
    remote = run_remote(f"{kg_server}/query", query.text, bindings)
    assert remote.rows and row_set(remote) == row_set(run_local(kg, query.text, bindings))


def test_hostile_string_comes_back_as_the_literal(kg_server: str, test_data: Path) -> None:
    query = load_query(test_data / "queries" / "echo-text.rq")
    hostile = "\"} ; DROP ALL ; <' \\ \n }} # '''"
    result = run_remote(f"{kg_server}/query", query.text, bind_params(query, {"text": hostile}))
    assert [str(v) for (v,) in result.rows] == [hostile]


def test_ask_query(kg_server: str) -> None:
    result = run_remote(f"{kg_server}/query", "ASK { sarc:Pazopanib rdfs:subClassOf+ sarc:TyrosineKinaseInhibitor }")
    assert result.boolean is True


def test_update_is_refused_before_anything_is_sent(kg_server: str) -> None:
    with pytest.raises(QueryError, match="SPARQL update"):
        run_remote(f"{kg_server}/query", "DROP ALL")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_endpoint() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/query"
    with pytest.raises(EndpointError, match="cannot reach") as caught:
        run_remote(url, "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert caught.value.exit_code == 3 and url in str(caught.value) and "\n" not in str(caught.value)


def test_http_error(kg_server: str) -> None:
    with pytest.raises(EndpointError) as caught:
        run_remote(f"{kg_server}/no-such-endpoint", "SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert caught.value.exit_code == 3


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections on 127.0.0.1 and never answers (stops itself after the test)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/query"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def test_timeout(silent_server: str) -> None:
    with pytest.raises(EndpointError, match="no answer within 1 s"):
        run_remote(silent_server, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", timeout=1)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/query", "127.0.0.1:7878", "not a url"])
def test_bad_url_is_an_input_error(url: str) -> None:
    with pytest.raises(InputError, match="not an http"):
        run_remote(url, "SELECT * WHERE { ?s ?p ?o }")


def test_typed_parameters_bind_alike_here_and_remotely(kg: Graph, kg_server: str, test_data: Path) -> None:
    query = load_query(test_data / "queries" / "typed-params.rq")
    bindings = bind_params(query, {"n": "+007", "d": "2.50", "b": "FALSE"})
    local = run_local(kg, query.text, bindings)
    remote = run_remote(f"{kg_server}/query", query.text, bindings)
    assert row_set(local) == row_set(remote)
    [(n, d, b, i, doubled)] = local.rows
    assert (n.toPython(), d.toPython(), b.toPython(), doubled.toPython()) == (7, Decimal("2.5"), False, Decimal(5))
    assert str(i) == "https://w3id.org/sarcoma-kg/Pazopanib"


# ---------------------------------------------------------------------------------------------------------
# Nothing silently lost: Virtuoso answers HTTP 200 with partial rows when it cuts an answer or runs out of time
# ---------------------------------------------------------------------------------------------------------

VIRTUOSO_ROW_LIMIT = 5


@pytest.fixture(scope="module")
def capped_virtuoso(start_virtuoso: Callable[..., Virtuoso], build_dir: Path) -> str:
    """A real Virtuoso 7 whose ResultSetMaxRows is 5, holding the release: its query URL (release as default graph)."""
    server = start_virtuoso(max_rows=VIRTUOSO_ROW_LIMIT)
    loaded = CliRunner().invoke(main, ["load", "--endpoint", server.graph_store, "--build-dir", str(build_dir)])
    assert loaded.exit_code == 0, loaded.output
    return f"{server.sparql}?default-graph-uri={quote(DEFAULT_GRAPH, safe='')}"


def test_an_answer_cut_at_virtuosos_row_limit_is_an_error(capped_virtuoso: str) -> None:
    with pytest.raises(EndpointError, match="limit of 5 rows, so rows may be missing") as caught:
        run_remote(capped_virtuoso, "SELECT ?class WHERE { ?class a owl:Class }")
    assert caught.value.exit_code == 3 and "\n" not in str(caught.value)


def test_an_answer_below_virtuosos_row_limit_is_returned(capped_virtuoso: str) -> None:
    result = run_remote(capped_virtuoso, "SELECT ?class WHERE { ?class a owl:Class } ORDER BY ?class LIMIT 4")
    assert len(result.rows) == VIRTUOSO_ROW_LIMIT - 1


def test_a_stored_query_cut_by_virtuoso_exits_3_in_one_line(capped_virtuoso: str, kg: Graph) -> None:
    stored = next(q for q in CATALOGUE if q.name == "disease-subtypes")
    assert len(run_local(kg, stored.text, bind_params(stored)).rows) > VIRTUOSO_ROW_LIMIT  # so Virtuoso must cut it
    result = CliRunner().invoke(main, ["query", "disease-subtypes", "--endpoint", capped_virtuoso])
    assert result.exit_code == 3
    assert result.output.count("\n") == 1 and "ResultSetMaxRows" in result.output


def test_an_anytime_answer_cut_by_virtuosos_timeout_is_an_error(capped_virtuoso: str) -> None:
    """With a ``timeout`` in the URL, Virtuoso returns what it counted so far, HTTP 200 and X-SQL-State S1TAT:
    a count of a 66-million-row cross product, interrupted after 100 ms, comes back as one plausible number."""
    cross_product = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(STR(?c) != STR(?f)) }"
    with pytest.raises(EndpointError, match="incomplete results \\(query interrupted by result timeout\\)") as caught:
        run_remote(f"{capped_virtuoso}&timeout=100", cross_product)
    assert caught.value.exit_code == 3 and "\n" not in str(caught.value)
