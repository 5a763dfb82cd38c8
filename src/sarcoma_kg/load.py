"""``sarcoma-kg load``: push the release into a triple store through the SPARQL 1.1 Graph Store Protocol.

One ``PUT <endpoint>?graph=<IRI>`` replaces the named graph with the release in a single request. That is what
makes loading idempotent (loading twice leaves the same store) and safe (a store that rejects or loses the
upload keeps the graph it had: Oxigraph, Fuseki, GraphDB and Virtuoso apply a PUT as one transaction).

Connection failures (refused, reset, timed out, HTTP 502/503/504) are retried with exponential backoff, a few
times, then reported as one ``EndpointError`` (exit 3). Other HTTP errors are not retried: they will not change.
The body is streamed, with a byte progress bar on standard error when it is a terminal. Credentials, where the
store needs them, go in the URL (``http://user:password@host/...``, HTTP Basic) and are never printed.
"""

from __future__ import annotations

import base64
import http.client
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from . import paths
from .build import load_built_graph
from .errors import EndpointError, InputError
from .export import ExportFormat, serialize
from .namespaces import ONTOLOGY_IRI
from .progress import task

__all__ = [
    "CONTENT_TYPES",
    "DEFAULT_GRAPH",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "LoadSummary",
    "graph_store_url",
    "load",
    "redact_url",
    "upload",
]

#: The named graph a release goes into unless told otherwise: the ontology IRI, as OBO loaders do.
DEFAULT_GRAPH = str(ONTOLOGY_IRI)
DEFAULT_RETRIES = 4
DEFAULT_TIMEOUT = 300.0
_CHUNK = 1 << 16
_RETRIED_STATUS = {502, 503, 504}

#: Media types by file suffix, for ``--file``.
CONTENT_TYPES = {
    ".nt": "application/n-triples",
    ".ttl": "text/turtle",
    ".owl": "application/rdf+xml",
    ".rdf": "application/rdf+xml",
    ".jsonld": "application/ld+json",
}


@dataclass(frozen=True)
class LoadSummary:
    """What was loaded where: ``status`` is the endpoint's HTTP answer (201 created, 204 replaced)."""

    url: str
    graph: str
    bytes: int
    triples: int | None
    attempts: int
    seconds: float
    status: int


def graph_store_url(endpoint: str, graph: str) -> str:
    """The Graph Store Protocol URL of ``graph`` (indirect identification, ``?graph=``).

    >>> graph_store_url("http://127.0.0.1:7878/store", "https://w3id.org/sarcoma-kg/sarcoma-kg.owl")
    'http://127.0.0.1:7878/store?graph=https%3A%2F%2Fw3id.org%2Fsarcoma-kg%2Fsarcoma-kg.owl'
    """
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(
            f"'{endpoint}' is not an http(s) URL of a Graph Store Protocol endpoint "
            "(e.g. http://127.0.0.1:7878/store for Oxigraph, http://localhost:3030/ds/data for Fuseki)"
        )
    graph_parsed = urlparse(graph)
    if not graph_parsed.scheme or any(c in graph for c in ' <>"{}|\\^`'):
        raise InputError(f"'{graph}' is not an absolute IRI for the named graph")
    separator = "&" if parsed.query else "?"
    return f"{endpoint}{separator}graph={quote(graph, safe='')}"


def _chunks(data: bytes, on_chunk: Callable[[int], None]) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        piece = view[start : start + _CHUNK]
        yield bytes(piece)
        on_chunk(len(piece))


def redact_url(url: str) -> str:
    """The URL as it may be shown: a password in it is replaced by ``***``.

    >>> redact_url("http://admin:secret@localhost:7200/store")
    'http://admin:***@localhost:7200/store'
    """
    parsed = urlparse(url)
    if parsed.password is None:
        return url
    netloc = parsed.netloc.rsplit("@", 1)
    return parsed._replace(netloc=f"{parsed.username}:***@{netloc[1]}").geturl()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())


def upload(
    url: str,
    data: bytes,
    content_type: str,
    *,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    timeout: float = DEFAULT_TIMEOUT,
    progress_label: str = "uploading",
) -> tuple[int, int]:
    """PUT ``data`` to ``url``; returns (HTTP status, attempts). Retries connection failures with backoff.

    ``EndpointError`` after the last attempt, or at once for an HTTP error that retrying cannot fix.
    ``timeout`` bounds the whole upload, retries and backoff included: a store that never answers holds the
    command at most that long (before, each of five attempts waited for it in turn).
    """
    parsed = urlparse(url)
    connection_class = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
    target = parsed.path or "/"
    if parsed.query:
        target += "?" + parsed.query
    headers = {"Content-Type": content_type, "Content-Length": str(len(data))}
    if parsed.username is not None:  # http://user:password@host/... : HTTP Basic authentication
        credentials = f"{unquote(parsed.username)}:{unquote(parsed.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    url = redact_url(url)
    last_problem = ""
    deadline = time.monotonic() + timeout
    for attempt in range(1, retries + 2):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EndpointError(f"{url}: no answer within --timeout {timeout:g} s ({last_problem or 'timed out'})")
        connection = connection_class(parsed.hostname or "", parsed.port, timeout=remaining)
        try:
            with task(progress_label, total=len(data), unit="B") as bar:
                connection.request(
                    "PUT",
                    target,
                    body=_chunks(data, bar.update),
                    headers=headers,
                )
                response = connection.getresponse()
                message = response.read(4096).decode("utf-8", errors="replace")
            if 200 <= response.status < 300:
                return response.status, attempt
            detail = " ".join(message.split())[:300] or response.reason
            if response.status not in _RETRIED_STATUS:
                raise EndpointError(f"{url}: HTTP {response.status}: {detail}")
            last_problem = f"HTTP {response.status}: {detail}"
        except (OSError, http.client.HTTPException) as exc:
            last_problem = _describe(exc)
        finally:
            connection.close()
        if attempt <= retries:
            time.sleep(max(0.0, min(backoff * 2 ** (attempt - 1), deadline - time.monotonic())))
    raise EndpointError(f"{url}: upload failed after {retries + 1} attempt(s): {last_problem}")


def load(
    endpoint: str,
    *,
    graph: str = DEFAULT_GRAPH,
    source: str | os.PathLike[str] | None = None,
    build_dir: str | os.PathLike[str] | None = paths.DEFAULT_BUILD_DIR,
    ontology: str | os.PathLike[str] | None = None,
    data: Sequence[str | os.PathLike[str]] | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    timeout: float = DEFAULT_TIMEOUT,
) -> LoadSummary:
    """Replace named graph ``graph`` at the Graph Store Protocol ``endpoint`` with the release.

    The release is the reasoned graph (``load_built_graph``) as sorted N-Triples, unless ``source`` names an
    RDF file (``.nt``, ``.ttl``, ``.owl``/``.rdf``, ``.jsonld``), which is sent as it is.
    """
    url = graph_store_url(endpoint, graph)
    if retries < 0:
        raise InputError(f"--retries must be 0 or more, not {retries}")
    if not timeout > 0:
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    triples: int | None
    if source is None:
        release = load_built_graph(build_dir, ontology=ontology, data=data)
        data = serialize(release, ExportFormat.NTRIPLES)
        content_type = CONTENT_TYPES[".nt"]
        triples = len(release)
    else:
        file = Path(source)
        content_type = CONTENT_TYPES.get(file.suffix.lower(), "")
        if not content_type:
            raise InputError(f"{file}: cannot tell its RDF format (use one of {', '.join(sorted(CONTENT_TYPES))})")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputError(f"{file}: cannot read it: {exc.strerror or exc}") from None
        triples = None
    started = time.perf_counter()
    status, attempts = upload(
        url, data, content_type, retries=retries, backoff=backoff, timeout=timeout, progress_label=f"loading {graph}"
    )
    return LoadSummary(
        url=redact_url(url),
        graph=graph,
        bytes=len(data),
        triples=triples,
        attempts=attempts,
        seconds=time.perf_counter() - started,
        status=status,
    )
