"""``sarcoma-kg serve``: a read-only SPARQL 1.1 Protocol endpoint and a query page over the reasoned graph.

The engine is the Oxigraph server (PyPI package ``oxigraph``) in read-only mode, started on an internal port of
127.0.0.1 over an on-disk copy of the inferred release: it parses, plans and answers every query. In front of it
sits a small WSGI application (werkzeug for requests, waitress as the server) that adds what Oxigraph's server
does not have:

- the page: the YASGUI editor (npm package ``@zazuko/yasgui``, installed by ``make install`` under
  ``web/node_modules``; served from here, never from a CDN) preloaded with the stored queries as examples;
- a result-row cap: Oxigraph streams the rows as TSV; the front reads at most ``max_rows`` of them, closes the
  stream (which stops Oxigraph's work) and converts what it kept into the format the client asked for;
- a wall-clock timeout (also passed to Oxigraph as ``--timeout-s``) reported as HTTP 504;
- 403 for every update, whichever way it is sent (``/update``, ``update=`` or ``application/sparql-update``);
- 403 for a federated query (``SERVICE``) unless its endpoint is in ``--allow-service``, so the server cannot be
  made to send requests to addresses of a caller's choosing (:mod:`sarcoma_kg.services`);
- the project prefixes (``sarc:``, ``rdfs:``, ...) predeclared, as on the command line, so a query pasted from
  the README runs without PREFIX lines (a query's own PREFIX declarations come after them and win).

Content negotiation: SELECT and ASK answer in SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT and DESCRIBE in
Turtle (default), N-Triples, RDF/XML or JSON-LD. All conversions are Oxigraph's own serialisers.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import http.client
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pyoxigraph as ox
import waitress
from pyparsing import ParseException
from rdflib.plugins.sparql.parser import parseUpdate
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers import Request, Response

from . import paths
from .build import load_built_graph
from .errors import EnvironmentProblem, InputError, QueryError
from .graph import ox_store
from .namespaces import PREFIXES, sparql_prologue
from .queries import StoredQuery, bind_params, inject_bindings, load_catalogue
from .services import check_services

__all__ = [
    "ASSETS_ENV",
    "ASSET_FILES",
    "DEFAULT_HOST",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "GRAPH_FORMATS",
    "SOLUTION_FORMATS",
    "OxigraphServer",
    "RunningServer",
    "ServeConfig",
    "create_app",
    "examples",
    "find_assets",
    "oxigraph_executable",
    "prepare_store",
    "running",
    "serve_forever",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7878
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_ROWS = 10_000
ASSETS_ENV = "SARCOMA_KG_WEB_ASSETS"
#: The two files of YASGUI's browser build that the page loads.
ASSET_FILES = ("yasgui.min.js", "yasgui.min.css")
_YASGUI_BUILD = Path("web") / "node_modules" / "@zazuko" / "yasgui" / "build"

#: Media types for SELECT/ASK results, the first being the default.
SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "application/xml": ox.QueryResultsFormat.XML,
    "text/csv": ox.QueryResultsFormat.CSV,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
#: Media types for CONSTRUCT/DESCRIBE results, the first being the default.
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
}
# What the front asks Oxigraph for: line-based formats it can cut after N rows without parsing them.
_UPSTREAM_ACCEPT = "text/tab-separated-values, application/n-triples;q=0.9"
_MAX_QUERY_BYTES = 1 << 20


@dataclass(frozen=True)
class ServeConfig:
    """How ``serve`` runs. ``port`` 0 picks a free port (tests); ``assets`` None looks in the usual places."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS
    assets: Path | None = None
    build_dir: Path | None = paths.DEFAULT_BUILD_DIR
    threads: int = 8
    allow_service: tuple[str, ...] = ()
    ontology: Path | None = None
    data: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        try:
            socket.getaddrinfo(self.host, None, proto=socket.IPPROTO_TCP, flags=socket.AI_NUMERICHOST)
        except (socket.gaierror, UnicodeError, ValueError):
            try:
                socket.getaddrinfo(self.host, None, proto=socket.IPPROTO_TCP)
            except (socket.gaierror, UnicodeError, ValueError):
                raise InputError(f"--host {self.host!r} is not an address or a known host name") from None
        if not 0 <= self.port <= 65535:
            raise InputError(f"--port must be between 0 and 65535, not {self.port}")
        if not self.timeout > 0:
            raise InputError(f"--timeout must be a positive number of seconds, not {self.timeout:g}")
        if self.max_rows < 1:
            raise InputError(f"--max-rows must be at least 1, not {self.max_rows}")


# ---------------------------------------------------------------------------------------------------------
# Assets, examples and the Oxigraph process
# ---------------------------------------------------------------------------------------------------------


def find_assets(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding YASGUI's ``yasgui.min.js`` and ``yasgui.min.css``.

    Looked for in ``explicit`` (or its ``build/``), then ``$SARCOMA_KG_WEB_ASSETS``, then the repository's
    ``web/node_modules`` (``make install`` puts it there with ``npm ci``) and the current directory's.
    """
    candidates: list[Path] = []
    if explicit is not None:
        candidates += [Path(explicit), Path(explicit) / "build"]
    elif os.environ.get(ASSETS_ENV):
        candidates += [Path(os.environ[ASSETS_ENV]), Path(os.environ[ASSETS_ENV]) / "build"]
    else:
        with contextlib.suppress(EnvironmentProblem):
            candidates.append(paths.resource_root() / _YASGUI_BUILD)
        candidates.append(Path.cwd() / _YASGUI_BUILD)
    for candidate in candidates:
        if all((candidate / name).is_file() for name in ASSET_FILES):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise EnvironmentProblem(
        f"the query page's YASGUI files ({', '.join(ASSET_FILES)}) were not found (looked in {looked}): "
        "run 'make install' (it runs 'npm ci --prefix web') or pass --assets DIR"
    )


def examples(catalogue: Sequence[StoredQuery] | None = None) -> list[dict[str, str]]:
    """The stored queries as the page's examples: name, summary, description and runnable text.

    Parameters are bound to their defaults with the same VALUES block the CLI sends to remote endpoints, so
    the example runs as it stands and a researcher edits the value in place.
    """
    queries = load_catalogue() if catalogue is None else catalogue
    out = []
    for query in queries:
        try:
            text = inject_bindings(query.text, bind_params(query))
        except QueryError:  # a parameter without a default: leave it unbound for the user to fill in
            text = query.text
        # The '#+' header is shown beside the editor (name, summary, description), not repeated in it.
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#+")).lstrip("\n")
        out.append({"name": query.name, "summary": query.summary, "description": query.description, "text": body})
    return out


def oxigraph_executable() -> str:
    """The ``oxigraph`` server executable (PyPI package ``oxigraph``), next to this Python first."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.is_file() else shutil.which("oxigraph")
    if not found:
        raise EnvironmentProblem("the 'oxigraph' server was not found: reinstall sarcoma-kg ('make install')")
    return found


def prepare_store(
    location: Path,
    *,
    build_dir: str | os.PathLike[str] | None = paths.DEFAULT_BUILD_DIR,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
) -> int:
    """Write the reasoned graph into an Oxigraph database at ``location``; returns its triple count.

    The graph is the one every other command answers from (``load_built_graph``: the current inferred release,
    or the knowledge base reasoned in memory), so the page returns the same rows as ``sarcoma-kg query``.
    """
    graph = load_built_graph(build_dir, ontology=ontology, data=data)
    store = ox_store(graph)
    location.mkdir(parents=True, exist_ok=True)
    dump = location.parent / f"{location.name}.nt"
    if store is not None:
        store.dump(str(dump), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    else:  # pragma: no cover - the default store is Oxigraph
        graph.serialize(str(dump), format="nt")
    try:
        result = subprocess.run(
            [oxigraph_executable(), "load", "--location", str(location), "--file", str(dump)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        dump.unlink(missing_ok=True)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["no message"])[-1]
        raise EnvironmentProblem(f"oxigraph could not load the graph into {location}: {detail}")
    return len(graph)


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the Oxigraph child gets SIGTERM if ``serve`` is killed, so no server outlives it."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class OxigraphServer:
    """``oxigraph serve-read-only`` on a free port of 127.0.0.1; a context manager that always stops it."""

    def __init__(self, location: Path, *, timeout: float = DEFAULT_TIMEOUT, start_within: float = 20.0) -> None:
        self.location = location
        self.timeout = timeout
        self.start_within = start_within
        self.url = ""
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        port = _free_port()
        command = [
            oxigraph_executable(),
            "serve-read-only",
            "--location",
            str(self.location),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            str(max(1, math.ceil(self.timeout))),
        ]
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=preexec)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.start_within
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                detail = (stderr.strip().splitlines() or ["no message"])[-1]
                raise EnvironmentProblem(f"the oxigraph server exited at start: {detail}")
            try:
                with urllib.request.urlopen(f"{self.url}/query?query=ASK%7B%7D", timeout=2):
                    return self.url
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise EnvironmentProblem(f"the oxigraph server did not answer within {self.start_within:g} s")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()

    def __enter__(self) -> OxigraphServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------------------------
# The WSGI front
# ---------------------------------------------------------------------------------------------------------


def _text(status: int, message: str, **headers: str) -> Response:
    return Response(message.rstrip("\n") + "\n", status=status, mimetype="text/plain", headers=headers)


@dataclass
class _Front:
    upstream: str
    assets: Path
    timeout: float
    max_rows: int
    page: bytes = field(repr=False)
    examples_json: bytes = field(repr=False)
    allow_service: tuple[str, ...] = ()

    # -- routing ------------------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterator[bytes]:
        request = Request(environ)
        request.max_content_length = _MAX_QUERY_BYTES
        try:
            response = self._route(request)
        except HTTPException as exc:
            response = _text(exc.code or 500, exc.description or exc.name)
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if path in ("/sparql", "/query"):
            return self._sparql(request)
        if path in ("/update", "/store"):
            if path == "/store" and request.method in ("GET", "HEAD"):
                raise NotFound("the graph store is not served here: download the release files instead")
            return _text(403, "this endpoint is read-only: updates are refused")
        if request.method not in ("GET", "HEAD"):
            return _text(405, f"{request.method} is not allowed on {path}", Allow="GET, HEAD")
        if path in ("/", "/index.html"):
            return Response(self.page, mimetype="text/html", headers={"Cache-Control": "no-cache"})
        if path == "/favicon.ico":
            return Response(status=204)
        if path == "/queries.json":
            return Response(self.examples_json, mimetype="application/json")
        if path.startswith("/assets/") and path[len("/assets/") :] in ASSET_FILES:
            name = path[len("/assets/") :]
            mimetype = "text/javascript" if name.endswith(".js") else "text/css"
            return Response((self.assets / name).read_bytes(), mimetype=mimetype)
        raise NotFound(f"nothing at {path}: the page is at / and the SPARQL endpoint at /sparql")

    # -- the SPARQL 1.1 Protocol ----------------------------------------------------------------------------
    def _sparql(self, request: Request) -> Response:
        if request.method not in ("GET", "HEAD", "POST"):
            return _text(405, f"{request.method} is not allowed on /sparql", Allow="GET, POST")
        content_type = request.mimetype
        if content_type == "application/sparql-update" or "update" in request.values:
            return _text(403, "this endpoint is read-only: updates are refused")
        if request.method == "POST" and content_type == "application/sparql-query":
            query = request.get_data(as_text=True)
            params = request.args
        elif request.method == "POST" and content_type not in ("application/x-www-form-urlencoded", ""):
            return _text(415, f"POST a query as application/sparql-query or a form, not {content_type}")
        else:
            params = request.values
            query = params.get("query", "")
        if not query.strip():
            return _text(400, "no query: send ?query=... (GET), a form with query=... or application/sparql-query")
        try:
            check_services(query, self.allow_service)
        except QueryError as exc:
            return _text(403, str(exc))
        fields = [("query", _with_prefixes(query))]
        fields += [("default-graph-uri", g) for g in params.getlist("default-graph-uri")]
        fields += [("named-graph-uri", g) for g in params.getlist("named-graph-uri")]
        return self._forward(request, urlencode(fields).encode())

    def _forward(self, request: Request, body: bytes) -> Response:
        host, port = self.upstream.removeprefix("http://").split(":")
        deadline = time.monotonic() + self.timeout + 2.0
        connection = http.client.HTTPConnection(host, int(port), timeout=self.timeout + 2.0)
        try:
            connection.request(
                "POST",
                "/query",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": _UPSTREAM_ACCEPT},
            )
            upstream = connection.getresponse()
            if upstream.status != 200:
                message = upstream.read(65536).decode("utf-8", errors="replace").strip()
                return self._upstream_error(upstream.status, message, body)
            kind = upstream.getheader("Content-Type", "").split(";")[0].strip()
            lines, truncated = self._read_capped(
                upstream, header=kind == "text/tab-separated-values", deadline=deadline
            )
        except TimeoutError:
            return _text(504, f"the query did not finish within {self.timeout:g} s")
        except (OSError, http.client.HTTPException) as exc:
            return _text(502, f"the SPARQL engine failed: {exc}")
        finally:
            connection.close()  # before the whole answer is read: this is what stops a capped query
        data = b"".join(lines)
        try:
            if kind == "application/n-triples":
                return self._graph_response(request, data, truncated)
            return self._solutions_response(request, data, truncated)
        except SyntaxError:
            # Oxigraph reports an error met while streaming (its timeout included) inside the stream.
            last = data.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
            if "cancel" in last[0].lower():
                return _text(504, f"the query did not finish within {self.timeout:g} s")
            return _text(502, f"the SPARQL engine failed while answering: {last[0]}")

    def _read_capped(self, upstream: http.client.HTTPResponse, *, header: bool, deadline: float):
        limit = self.max_rows + (1 if header else 0)
        lines: list[bytes] = []
        while True:
            line = upstream.readline()
            if not line:
                return lines, False
            if len(lines) == limit:
                return lines, True
            lines.append(line)
            if time.monotonic() > deadline:
                raise TimeoutError

    def _upstream_error(self, status: int, message: str, body: bytes) -> Response:
        if status == 403:
            return _text(403, "this endpoint is read-only: updates are refused")
        if status == 400:
            query = dict(_form_fields(body)).get("query", "")
            if _is_update(query):
                return _text(403, "this endpoint is read-only: updates are refused")
            return _text(400, f"SPARQL error: {message}")
        return _text(502, f"the SPARQL engine answered HTTP {status}: {message}")

    def _negotiate(self, request: Request, offered: Sequence[str]) -> str | None:
        if not request.accept_mimetypes:
            return offered[0]
        best = request.accept_mimetypes.best_match(offered)
        if best is None:
            return None
        # '*/*' matches the first offered type, which is the default.
        return best

    def _cap_headers(self, truncated: bool) -> dict[str, str]:
        headers = {"X-Row-Cap": str(self.max_rows), "Vary": "Accept"}
        if truncated:
            headers["X-Truncated"] = "true"
        return headers

    def _solutions_response(self, request: Request, data: bytes, truncated: bool) -> Response:
        mimetype = self._negotiate(request, list(SOLUTION_FORMATS))
        if mimetype is None:
            return _text(406, "no acceptable format: ask for " + ", ".join(SOLUTION_FORMATS))
        parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.TSV)
        output = parsed.serialize(format=SOLUTION_FORMATS[mimetype])
        charset = "" if mimetype.endswith("json") else "; charset=utf-8"
        return Response(output, content_type=mimetype + charset, headers=self._cap_headers(truncated))

    def _graph_response(self, request: Request, data: bytes, truncated: bool) -> Response:
        mimetype = self._negotiate(request, list(GRAPH_FORMATS))
        if mimetype is None:
            return _text(406, "no acceptable format: ask for " + ", ".join(GRAPH_FORMATS))
        triples = list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
        fmt = GRAPH_FORMATS[mimetype]
        prefixes = PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
        output = ox.serialize(triples, format=fmt, prefixes=prefixes)
        charset = "" if mimetype.endswith("json") else "; charset=utf-8"
        return Response(output, content_type=mimetype + charset, headers=self._cap_headers(truncated))


def _with_prefixes(query: str) -> str:
    """The project prefixes, then the query (whose own PREFIX lines, coming later, override ours)."""
    return sparql_prologue() + query


def _form_fields(body: bytes) -> list[tuple[str, str]]:
    return parse_qsl(body.decode("utf-8", errors="replace"))


def _is_update(text: str) -> bool:
    """Whether text Oxigraph refused as a query is a SPARQL update (then the answer is 403, not 400).

    Only parsed (rdflib's SPARQL grammar), never executed.
    """
    try:
        parseUpdate(text)
    except ParseException:
        return False
    return True


def _page(examples_data: list[dict[str, str]], *, timeout: float, max_rows: int) -> bytes:
    template = resources.files("sarcoma_kg").joinpath("web/index.html").read_text(encoding="utf-8")
    # JSON inside <script>: '<' escaped so no query text can close the element.
    data = json.dumps(examples_data, ensure_ascii=False).replace("<", "\\u003c")
    page = (
        template.replace("__EXAMPLES_JSON__", data)
        .replace("__MAX_ROWS__", f"{max_rows:,}")
        .replace("__TIMEOUT__", f"{timeout:g}")
    )
    return page.encode("utf-8")


def create_app(
    upstream: str,
    *,
    assets: Path,
    timeout: float = DEFAULT_TIMEOUT,
    max_rows: int = DEFAULT_MAX_ROWS,
    catalogue: Sequence[StoredQuery] | None = None,
    allow_service: Sequence[str] = (),
) -> Callable:
    """The WSGI application in front of the Oxigraph server at ``upstream`` (``http://127.0.0.1:N``).

    ``allow_service`` lists the only endpoints a query's ``SERVICE`` clauses may call (default: none).
    """
    examples_data = examples(catalogue)
    page = _page(examples_data, timeout=timeout, max_rows=max_rows)
    listing = json.dumps(examples_data, indent=1, ensure_ascii=False).encode("utf-8")
    return _Front(
        upstream, assets, timeout, max_rows, page=page, examples_json=listing, allow_service=tuple(allow_service)
    )


# ---------------------------------------------------------------------------------------------------------
# Running it
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningServer:
    """A started server: ``url`` is the page (``/``); the endpoint is ``url + 'sparql'``."""

    url: str
    upstream: str
    triples: int

    @property
    def endpoint(self) -> str:
        return self.url + "sparql"


def _bind_error(config: ServeConfig, exc: OSError) -> EnvironmentProblem:
    return EnvironmentProblem(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}")


@contextlib.contextmanager
def _started(config: ServeConfig) -> Iterator[tuple[object, RunningServer]]:
    assets = find_assets(config.assets)
    with tempfile.TemporaryDirectory(prefix="sarcoma-kg-serve-") as scratch:
        location = Path(scratch) / "store"
        triples = prepare_store(
            location, build_dir=config.build_dir, ontology=config.ontology, data=list(config.data) or None
        )
        with OxigraphServer(location, timeout=config.timeout) as engine:
            app = create_app(
                engine.url,
                assets=assets,
                timeout=config.timeout,
                max_rows=config.max_rows,
                allow_service=config.allow_service,
            )
            try:
                server = waitress.create_server(
                    app, host=config.host, port=config.port, threads=config.threads, ident="sarcoma-kg"
                )
            except OSError as exc:
                raise _bind_error(config, exc) from None
            host = config.host if ":" not in config.host else f"[{config.host}]"
            url = f"http://{host}:{server.effective_port}/"
            try:
                yield server, RunningServer(url=url, upstream=engine.url, triples=triples)
            finally:
                server.close()
                server.task_dispatcher.shutdown(timeout=5)


@contextlib.contextmanager
def running(config: ServeConfig) -> Iterator[RunningServer]:
    """Serve in a background thread for the ``with`` block (tests, notebooks); everything stops after it."""
    with _started(config) as (server, info):
        # pyoxigraph results may only be freed on the thread that made them; free any that wait in reference
        # cycles now, before the cycle collector can run on one of the server's threads.
        gc.collect()
        stop = threading.Event()

        def loop() -> None:
            # waitress's own run() polls until its sockets are closed under it (EBADF in the thread); polling in
            # short slices until told to stop lets the loop end first and the sockets close afterwards.
            while not stop.is_set():
                server.asyncore.loop(timeout=0.1, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)

        thread = threading.Thread(target=loop, name="sarcoma-kg-serve", daemon=True)
        thread.start()
        try:
            yield info
        finally:
            stop.set()
            thread.join(timeout=5)


def serve_forever(config: ServeConfig, on_ready: Callable[[RunningServer], None] | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); the Oxigraph process and its scratch store go with it."""

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = (
        signal.signal(signal.SIGTERM, terminate) if threading.current_thread() is threading.main_thread() else None
    )
    try:
        with _started(config) as (server, info):
            if on_ready is not None:
                on_ready(info)
            with contextlib.suppress(KeyboardInterrupt):
                server.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
