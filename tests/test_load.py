"""`sarcoma-kg load`: the release into a real Oxigraph server through the Graph Store Protocol."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef, namespace

from sarcoma_kg.cli import main
from sarcoma_kg.endpoint import run_remote
from sarcoma_kg.errors import EndpointError
from sarcoma_kg.load import DEFAULT_GRAPH, load
from sarcoma_kg.queries import bind_params, load_catalogue, run_local

pytestmark = pytest.mark.server

CATALOGUE = load_catalogue()
OTHER_GRAPH = "https://example.org/other-graph"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def store(start_oxigraph: Callable[..., str]) -> str:
    """A fresh, writable Oxigraph server whose default graph is the union of its named graphs (as GraphDB's
    and Virtuoso's are by default), so stored queries see what was loaded into a named graph."""
    return start_oxigraph(union_default_graph=True)


def _counts(url: str) -> dict[str, int]:
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    request = urllib.request.Request(
        f"{url}/query?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    return {row["g"]["value"]: int(row["n"]["value"]) for row in rows}


def _same_rows(result) -> list[str]:
    def value(term):
        if isinstance(term, Literal):
            if term.datatype in (namespace.XSD.decimal, namespace.XSD.integer, namespace.XSD.double):
                return ("number", Decimal(str(term.toPython())))
            if term.datatype in (None, namespace.XSD.string) and term.language is None:
                return ("string", str(term))
        return term

    return sorted(repr(tuple(value(v) for v in row)) for row in result.rows)


def test_loading_twice_leaves_the_same_store(store: str, kg: Graph, build_dir: Path) -> None:
    first = load(f"{store}/store", build_dir=build_dir)
    after_first = _counts(store)
    second = load(f"{store}/store", build_dir=build_dir)
    assert (first.status, second.status) == (201, 204)  # created, then replaced
    assert _counts(store) == after_first == {DEFAULT_GRAPH: len(kg)}


def test_a_named_graph_is_replaced_and_other_graphs_are_left_alone(store: str, build_dir: Path, test_data) -> None:
    load(f"{store}/store", graph=OTHER_GRAPH, source=test_data / "release" / "previous.ttl")
    before = _counts(store)[OTHER_GRAPH]
    load(f"{store}/store", build_dir=build_dir)
    assert _counts(store)[OTHER_GRAPH] == before


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_the_loaded_store_answers_every_stored_query_like_the_embedded_graph(
    query, kg: Graph, loaded_store: str
) -> None:
    bindings = bind_params(query)
    remote = run_remote(f"{loaded_store}/query", query.text, bindings)
    assert _same_rows(remote) == _same_rows(run_local(kg, query.text, bindings))


@pytest.fixture(scope="module")
def loaded_store(start_oxigraph: Callable[..., str], build_dir: Path) -> str:
    """One server loaded once with ``sarcoma-kg load`` (the CLI, in-process) for the catalogue test."""
    url = start_oxigraph(union_default_graph=True)
    result = CliRunner().invoke(main, ["load", "--endpoint", f"{url}/store", "--build-dir", str(build_dir)])
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output and DEFAULT_GRAPH in result.output
    return url


def test_a_rejected_upload_leaves_the_previous_graph_intact(store: str, build_dir: Path, tmp_path: Path) -> None:
    load(f"{store}/store", build_dir=build_dir)
    before = _counts(store)
    broken = tmp_path / "broken.nt"
    broken.write_text('<urn:a> <urn:b> "fine" .\n<urn:a> <urn:b> "unterminated .\n', encoding="utf-8")
    with pytest.raises(EndpointError, match="HTTP 400"):
        load(f"{store}/store", source=broken)
    assert _counts(store) == before


def test_a_turtle_file_that_does_not_parse_is_exit_2_in_one_line_and_nothing_is_sent(
    store: str, build_dir: Path, tmp_path: Path
) -> None:
    """Turtle is rewritten as N-Triples before it is sent, so a file that does not parse never reaches the store."""
    load(f"{store}/store", build_dir=build_dir)
    before = _counts(store)
    broken = tmp_path / "broken.ttl"
    broken.write_text('@prefix ex: <urn:ex:> .\nex:a ex:b "fine" .\nex:a ex:b undeclared:c .\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["load", "--endpoint", f"{store}/store", "--file", str(broken)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "broken.ttl: not valid ttl RDF" in result.output
    assert _counts(store) == before


def test_a_turtle_file_is_sent_as_the_n_triples_of_its_triples(store: str, tmp_path: Path) -> None:
    """Escaped local names (the cases writer's case:C1\\/tumour) arrive as the IRIs they stand for."""
    turtle = tmp_path / "cases.ttl"
    turtle.write_text(
        "@prefix case: <https://example.org/case/> .\ncase:C1\\/tumour case:in case:C1 .\n", encoding="utf-8"
    )
    summary = load(f"{store}/store", graph=OTHER_GRAPH, source=turtle)
    assert summary.triples == 1
    found = run_remote(f"{store}/query", "SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": URIRef(OTHER_GRAPH)})
    assert [str(row[0]) for row in found.rows] == ["https://example.org/case/C1/tumour"]


def test_an_aborted_upload_leaves_the_previous_graph_intact(store: str, build_dir: Path) -> None:
    """The connection drops half-way through the body (a crashed client, a cut network)."""
    load(f"{store}/store", build_dir=build_dir)
    before = _counts(store)
    host, port = store.removeprefix("http://").split(":")
    body = b'<urn:a> <urn:b> "partial" .\n' * 1000
    target = "/store?graph=" + urllib.parse.quote(DEFAULT_GRAPH, safe="")
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"PUT {target} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/n-triples\r\n"
            f"Content-Length: {len(body) * 10}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
    time.sleep(0.5)
    assert _counts(store) == before


def test_an_unreachable_endpoint_is_retried_then_exit_3_in_one_line(build_dir: Path) -> None:
    dead = f"http://127.0.0.1:{_free_port()}/store"
    result = CliRunner().invoke(main, ["load", "--endpoint", dead, "--retries", "2", "--build-dir", str(build_dir)])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sarcoma-kg: error:") and "after 3 attempt(s): connection refused" in lines[0]


def test_an_http_error_is_not_retried(store: str, build_dir: Path) -> None:
    with pytest.raises(EndpointError, match=r"HTTP 4\d\d") as error:
        load(f"{store}/no-such-service", build_dir=build_dir, retries=3)
    assert "attempt" not in str(error.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "ftp://example.org/store"], "not an http(s) URL"),
        (["--endpoint", "http://127.0.0.1:1/store", "--graph", "not an iri"], "not an absolute IRI"),
    ],
)
def test_bad_endpoint_or_graph_is_a_usage_error(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["load", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_the_installed_command_loads(store: str, build_dir: Path, kg: Graph, tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "sarcoma-kg"
    run: Callable = subprocess.run
    result = run(
        [str(exe), "load", "--endpoint", f"{store}/store", "--build-dir", str(build_dir)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress bar when standard error is not a terminal
    assert _counts(store) == {DEFAULT_GRAPH: len(kg)}


def test_credentials_in_the_url_are_used_and_never_printed(store: str, build_dir: Path) -> None:
    with_password = store.replace("http://", "http://curator:s3cret@") + "/store"
    result = CliRunner().invoke(main, ["load", "--endpoint", with_password, "--build-dir", str(build_dir)])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output and "curator:***@" in result.output
    dead = f"http://curator:s3cret@127.0.0.1:{_free_port()}/store"
    result = CliRunner().invoke(main, ["load", "--endpoint", dead, "--retries", "0", "--build-dir", str(build_dir)])
    assert result.exit_code == 3 and "s3cret" not in result.output


def test_a_bulk_load_replaces_the_graph_with_the_file(store: str, build_dir: Path, test_data) -> None:
    """--bulk (Oxigraph's bulk loader, outside a transaction) leaves the same graph as a PUT: the file, once."""
    previous = test_data / "release" / "previous.ttl"
    load(f"{store}/store", graph=OTHER_GRAPH, source=previous)
    expected = _counts(store)[OTHER_GRAPH]
    load(f"{store}/store", build_dir=build_dir)  # the bulk load leaves other graphs alone too
    before = _counts(store)[DEFAULT_GRAPH]
    for _ in range(2):  # twice: the second replaces the first, it does not add to it
        summary = load(f"{store}/store", graph=OTHER_GRAPH, source=previous, bulk=True)
        assert summary.triples == expected and "no_transaction" not in summary.url
    assert _counts(store) == {OTHER_GRAPH: expected, DEFAULT_GRAPH: before}


def test_a_bulk_load_of_a_malformed_file_is_an_http_error_in_one_line(store: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.nt"
    broken.write_text('<urn:a> <urn:b> "unterminated .\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["load", "--endpoint", f"{store}/store", "--file", str(broken), "--bulk"])
    assert result.exit_code == 3
    assert result.output.strip().count("\n") == 0 and "HTTP 400" in result.output
