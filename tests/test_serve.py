"""`sarcoma-kg serve`: a read-only SPARQL 1.1 Protocol endpoint and query page, on a real Oxigraph server."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, namespace

from sarcoma_kg.cli import main
from sarcoma_kg.endpoint import run_remote
from sarcoma_kg.queries import bind_params, load_catalogue, run_local
from sarcoma_kg.serve import DEFAULT_HOST, RunningServer, ServeConfig, examples, find_assets, running

pytestmark = pytest.mark.server

CATALOGUE = load_catalogue()


def same_rows(result) -> list[str]:
    """Rows as a sorted multiset compared by value: ties under ORDER BY may come in any order, and Oxigraph
    canonicalises decimals and reads plain literals as xsd:string."""

    def value(term):
        if isinstance(term, Literal):
            if term.datatype in (
                namespace.XSD.decimal,
                namespace.XSD.integer,
                namespace.XSD.double,
                namespace.XSD.float,
            ):
                return ("number", Decimal(str(term.toPython())))
            if term.datatype in (None, namespace.XSD.string) and term.language is None:
                return ("string", str(term))
        return term

    return sorted(repr(tuple(value(v) for v in row)) for row in result.rows)


@pytest.fixture(scope="module")
def served(build_dir: Path) -> Iterator[RunningServer]:
    with running(ServeConfig(port=0, build_dir=build_dir)) as server:
        yield server


def _get(url: str, *, accept: str | None = None, data: bytes | None = None, content_type: str | None = None):
    headers = {}
    if accept:
        headers["Accept"] = accept
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def _query_url(server: RunningServer, query: str) -> str:
    return server.endpoint + "?" + urllib.parse.urlencode({"query": query})


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def _count(server: RunningServer) -> int:
    status, _, body = _get(_query_url(server, COUNT), accept="application/sparql-results+json")
    assert status == 200
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def test_the_endpoint_serves_the_reasoned_release(served: RunningServer, kg: Graph) -> None:
    assert served.triples == len(kg)
    assert _count(served) == len(kg)


@pytest.mark.parametrize("query", CATALOGUE, ids=lambda q: q.name)
def test_every_stored_query_gives_the_same_rows_as_the_embedded_graph(served: RunningServer, kg: Graph, query) -> None:
    bindings = bind_params(query)
    local = run_local(kg, query.text, bindings)
    remote = run_remote(served.endpoint, query.text, bindings)
    assert remote.columns == local.columns
    assert same_rows(remote) == same_rows(local)


@pytest.mark.parametrize(
    ("accept", "content_type", "marker"),
    [
        ("application/sparql-results+json", "application/sparql-results+json", b'"bindings"'),
        ("application/sparql-results+xml", "application/sparql-results+xml", b"<sparql"),
        ("text/csv", "text/csv", b"label"),
        ("text/tab-separated-values", "text/tab-separated-values", b"?label"),
        ("*/*", "application/sparql-results+json", b'"bindings"'),
    ],
)
def test_select_results_are_negotiated(served: RunningServer, accept: str, content_type: str, marker: bytes) -> None:
    query = "SELECT ?label WHERE { <https://w3id.org/sarcoma-kg/Pazopanib> rdfs:label ?label }"
    status, headers, body = _get(
        _query_url(served, "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + query), accept=accept
    )
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == content_type
    assert marker in body
    assert b"pazopanib" in body.lower()


def test_construct_results_come_as_turtle_and_parse(served: RunningServer) -> None:
    query = "CONSTRUCT { ?d ?p ?o } WHERE { BIND(<https://w3id.org/sarcoma-kg/Pazopanib> AS ?d) ?d ?p ?o }"
    status, headers, body = _get(_query_url(served, query), accept="text/turtle")
    assert status == 200
    assert headers["Content-Type"].startswith("text/turtle")
    triples = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
    assert triples and all(t.subject.value.endswith("/Pazopanib") for t in triples)


def test_an_unacceptable_format_is_406(served: RunningServer) -> None:
    status, _, _ = _get(_query_url(served, COUNT), accept="image/png")
    assert status == 406


def test_queries_are_accepted_by_post_as_a_form_and_as_sparql_query(served: RunningServer, kg: Graph) -> None:
    form = urllib.parse.urlencode({"query": COUNT}).encode()
    status, _, body = _get(served.endpoint, data=form, content_type="application/x-www-form-urlencoded")
    assert status == 200 and str(len(kg)).encode() in body
    status, _, body = _get(served.endpoint, data=COUNT.encode(), content_type="application/sparql-query")
    assert status == 200 and str(len(kg)).encode() in body


def test_a_syntax_error_is_400_with_the_engines_message(served: RunningServer) -> None:
    status, _, body = _get(_query_url(served, "SELECT WHERE {"))
    assert status == 400
    assert body.startswith(b"SPARQL error:")


@pytest.mark.parametrize(
    ("path", "data", "content_type"),
    [
        (
            "sparql",
            b"update=" + urllib.parse.quote_plus("INSERT DATA { <urn:a> <urn:b> <urn:c> }").encode(),
            "application/x-www-form-urlencoded",
        ),
        ("sparql", b"INSERT DATA { <urn:a> <urn:b> <urn:c> }", "application/sparql-update"),
        ("sparql", b"query=" + urllib.parse.quote_plus("DROP ALL").encode(), "application/x-www-form-urlencoded"),
        ("update", b"update=" + urllib.parse.quote_plus("DROP ALL").encode(), "application/x-www-form-urlencoded"),
        ("store", b"<urn:a> <urn:b> <urn:c> .", "application/n-triples"),
    ],
    ids=["update-form", "sparql-update", "update-as-query", "update-endpoint", "graph-store"],
)
def test_updates_are_refused_with_403_and_change_nothing(
    served: RunningServer, kg: Graph, path: str, data: bytes, content_type: str
) -> None:
    status, _, body = _get(served.url + path, data=data, content_type=content_type)
    assert status == 403
    assert b"read-only" in body
    assert _count(served) == len(kg)


def test_the_page_offers_every_stored_query_as_an_example(served: RunningServer) -> None:
    status, headers, body = _get(served.url)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    data = json.loads(re.search(r'<script id="examples-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert [e["name"] for e in data] == [q.name for q in CATALOGUE]
    status, _, listing = _get(served.url + "queries.json")
    assert status == 200 and json.loads(listing) == data


def test_the_page_loads_nothing_from_outside(served: RunningServer) -> None:
    _, _, body = _get(served.url)
    references = re.findall(r'(?:src|href)="([^"]+)"', body.decode())
    assert not [r for r in references if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:|//", r)], "only this server's paths"
    references = [r for r in references if r.startswith("assets/")]  # the rest link to the browsing pages
    assert references == ["assets/yasgui.min.css", "assets/yasgui.min.js"]
    for reference in references:
        status, _, asset = _get(served.url + reference)
        assert status == 200 and len(asset) > 10_000


def test_examples_run_as_they_stand(served: RunningServer, kg: Graph) -> None:
    """The page's text of each stored query has its default parameters bound, so it runs unchanged."""
    for example, query in zip(examples(CATALOGUE), CATALOGUE, strict=True):
        assert "#+" not in example["text"]
        remote = run_remote(served.endpoint, example["text"])
        assert same_rows(remote) == same_rows(run_local(kg, query.text, bind_params(query)))


def test_the_row_cap_truncates_and_says_so(build_dir: Path) -> None:
    with running(ServeConfig(port=0, build_dir=build_dir, max_rows=5)) as server:
        status, headers, body = _get(_query_url(server, "SELECT * WHERE { ?s ?p ?o }"), accept="text/csv")
        assert status == 200
        assert headers["X-Truncated"] == "true" and headers["X-Row-Cap"] == "5"
        assert len(body.decode().strip().splitlines()) == 1 + 5
        status, headers, _ = _get(_query_url(server, COUNT))
        assert status == 200 and "X-Truncated" not in headers


def test_a_query_over_the_time_limit_gets_504(build_dir: Path) -> None:
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    with running(ServeConfig(port=0, build_dir=build_dir, timeout=1)) as server:
        status, _, body = _get(_query_url(server, endless))
        assert status == 504
        assert b"did not finish within 1 s" in body
        assert _count(server) > 0  # the server still answers afterwards


def test_it_listens_on_loopback_unless_told_otherwise() -> None:
    assert DEFAULT_HOST == "127.0.0.1"
    assert ServeConfig().host == "127.0.0.1"
    serve = main.commands["serve"]
    assert next(p for p in serve.params if p.name == "host").default == "127.0.0.1"


@pytest.mark.parametrize(("option", "value"), [("--max-rows", "0"), ("--timeout", "0"), ("--port", "70000")])
def test_bad_limits_are_usage_errors(option: str, value: str) -> None:
    result = CliRunner().invoke(main, ["serve", option, value])
    assert result.exit_code == 2
    assert result.output.strip().startswith("sarcoma-kg: error:")


def test_missing_page_assets_are_an_environment_problem(tmp_path: Path, build_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["serve", "--port", "0", "--assets", str(tmp_path), "--build-dir", str(build_dir)]
    )
    assert result.exit_code == 3
    assert "make install" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_assets_are_found_in_the_npm_install(repo_root: Path) -> None:
    assert find_assets() == repo_root / "web" / "node_modules" / "@zazuko" / "yasgui" / "build"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> list[str]:
    """Process ids whose parent is ``pid`` (from /proc, Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):
            found.append(stat.parent.name)
    return found


def test_the_installed_command_serves_and_stops_cleanly_on_sigterm(build_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    exe = Path(sys.executable).parent / "sarcoma-kg"
    process = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--build-dir", str(build_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=dict(os.environ),
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line + process.stderr.read()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/sparql?query=ASK%7B%7D", timeout=10) as response:
            assert response.status == 200
        children = _children(process.pid)
        assert children, "serve should run an oxigraph child"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in children):
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in children), "the oxigraph child outlived serve"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
