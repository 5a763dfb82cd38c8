"""Nothing let in, nothing runaway: SERVICE is refused unless allowed, and long work stops on a limit or Ctrl-C.

Runaway queries are run in a subprocess of the installed script, stopped with real signals and limits: an
abandoned Oxigraph query keeps its worker thread busy until the process ends, which must not be the test run.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg.build import INFERRED_FILE, MANIFEST_FILE, MERGED_FILE, OWL_FILE
from sarcoma_kg.cli import main
from sarcoma_kg.limits import WORKER_NAME
from sarcoma_kg.serve import RunningServer, ServeConfig, running

SCRIPT = Path(sys.executable).parent / "sarcoma-kg"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it (and never answers)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_worker(process: subprocess.Popen) -> None:
    """Until the query's worker thread exists and has used CPU: the query is running inside Oxigraph."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        for task in Path(f"/proc/{process.pid}/task").iterdir():
            try:
                if (task / "comm").read_text().strip() == WORKER_NAME:
                    fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[11]) > 0:  # utime, in clock ticks
                        return
            except OSError:
                continue
        time.sleep(0.05)
    pytest.fail("the query never started")


# -- SERVICE ------------------------------------------------------------------------------------------------


def test_a_local_service_query_is_refused_and_makes_no_request(build_dir, listener):
    text = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    result = CliRunner().invoke(main, ["query", "--build-dir", str(build_dir), "--query-text", text])
    assert result.exit_code == 2
    assert "federated queries are refused" in result.stderr
    assert listener.connections == []


def test_a_service_hidden_behind_an_escape_or_a_prefix_is_refused(build_dir, listener):
    hidden = f"PREFIX x: <http://127.0.0.1:{listener.port}/> SELECT * WHERE {{ \\u0053ERVICE x:sparql {{ ?s ?p ?o }} }}"
    result = CliRunner().invoke(main, ["query", "--build-dir", str(build_dir), "--query-text", hidden])
    assert result.exit_code == 2
    assert f"SERVICE <{listener.url}>" in result.stderr
    assert listener.connections == []


def test_an_allowed_service_on_a_closed_port_is_a_one_line_error(build_dir):
    url = f"http://127.0.0.1:{_closed_port()}/sparql"
    text = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    args = ["query", "--build-dir", str(build_dir), "--allow-service", url, "--query-text", text]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1
    assert "SERVICE call failed" in result.stderr and "refused" in result.stderr


@pytest.fixture(scope="module")
def served(build_dir: Path) -> Iterator[RunningServer]:
    with running(ServeConfig(port=0, build_dir=build_dir)) as server:
        yield server


def _ask(server: RunningServer, query: str) -> tuple[int, str]:
    data = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(server.endpoint, data=data, headers={"Accept": "text/csv"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.server
def test_serve_refuses_service_and_makes_no_outbound_request(served, listener):
    status, body = _ask(served, f"SELECT * WHERE {{ SERVICE SILENT <{listener.url}> {{ ?s ?p ?o }} }}")
    assert status == 403
    assert "federated queries are refused" in body
    time.sleep(0.5)  # a request the server made would have reached the listener by now
    assert listener.connections == []


@pytest.mark.server
def test_serve_predeclares_the_project_prefixes(served):
    status, body = _ask(served, "SELECT ?label WHERE { sarc:AlveolarSoftPartSarcoma rdfs:label ?label }")
    assert status == 200, body
    assert "alveolar soft part sarcoma" in body


# -- time limits and Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_stops_a_local_query_on_the_default_store(build_dir):
    process = subprocess.Popen(
        [str(SCRIPT), "query", "--build-dir", str(build_dir), "--timeout", "3600", "--query-text", CROSS_PRODUCT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_worker(process)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err == "sarcoma-kg: interrupted\n"


def test_a_local_query_stops_at_its_timeout(build_dir):
    result = subprocess.run(
        [str(SCRIPT), "query", "--build-dir", str(build_dir), "--timeout", "1", "--query-text", CROSS_PRODUCT],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3
    assert result.stderr == "sarcoma-kg: error: the query did not finish within 1 s (raise --timeout to wait longer)\n"


def test_ctrl_c_during_a_build_leaves_the_previous_release_intact(tmp_path, build_dir):
    out = tmp_path / "dist"
    shutil.copytree(build_dir, out)
    before = {name: (out / name).read_bytes() for name in (MERGED_FILE, OWL_FILE, INFERRED_FILE, MANIFEST_FILE)}
    process = subprocess.Popen(
        [str(SCRIPT), "build", "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 120
        while not Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split():
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)  # HermiT (Java) is a child process: the build is reasoning
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert {name: (out / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(before)


def test_load_stops_at_its_timeout_on_a_store_that_never_answers(build_dir, listener):
    endpoint = f"http://127.0.0.1:{listener.port}/store"
    result = CliRunner().invoke(
        main, ["load", "--endpoint", endpoint, "--build-dir", str(build_dir), "--timeout", "1", "--retries", "3"]
    )
    assert result.exit_code == 3
    assert "no answer within --timeout 1 s" in result.stderr
    assert result.stderr.count("\n") == 1


def test_load_says_which_named_graph_holds_the_data(build_dir, start_oxigraph):
    url = start_oxigraph()
    result = CliRunner().invoke(main, ["load", "--endpoint", f"{url}/store", "--build-dir", str(build_dir)])
    assert result.exit_code == 0, result.output
    assert "the data is in the named graph <https://w3id.org/sarcoma-kg/sarcoma-kg.owl>" in result.stdout
    assert "GRAPH <https://w3id.org/sarcoma-kg/sarcoma-kg.owl>" in result.stdout


def test_a_shapes_file_with_a_service_query_is_refused_and_makes_no_request(tmp_path, listener):
    shapes = tmp_path / "calls-out.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix sarc: <https://w3id.org/sarcoma-kg/> .\n"
        "sarc:CallsOut a sh:NodeShape ; sh:targetClass sarc:PatientCase ;\n"
        '  sh:sparql [ sh:message "x" ;\n'
        f'    sh:select "SELECT $this WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}" ] .\n'
    )
    result = CliRunner().invoke(main, ["validate", "--shapes", str(shapes)])
    assert result.exit_code == 2
    assert "shape sarc:CallsOut" in result.stderr and "SERVICE" in result.stderr
    assert listener.connections == []
