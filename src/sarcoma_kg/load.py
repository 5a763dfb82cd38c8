"""``sarcoma-kg load``: push the release into a triple store through the SPARQL 1.1 Graph Store Protocol.

One ``PUT <endpoint>?graph=<IRI>`` replaces the named graph with the release in a single request. That is what
makes loading idempotent (loading twice leaves the same store) and safe (a store that rejects or loses the
upload keeps the graph it had: Oxigraph, Fuseki, GraphDB and Virtuoso apply a PUT as one transaction).

Connection failures (refused, reset, timed out, HTTP 502/503/504) are retried with exponential backoff, a few
times, then reported as one ``EndpointError`` (exit 3). Other HTTP errors are not retried: they will not change.
The body is streamed (a ``--file`` straight from disk, so a cohort of millions of triples costs the client no
more memory than a small one; a file in another syntax than N-Triples is first rewritten as N-Triples, streamed
through Oxigraph's parser into a temporary file, so that every store reads the same terms: Virtuoso 7 keeps the
backslash of a Turtle local-name escape such as ``case:C1\\/tumour`` inside the IRI), with a byte progress bar
on standard error when it is a terminal. Credentials, where the store needs them, go in the URL
(``http://user:password@host/...``) and are never printed. They are sent as HTTP Basic; a store that answers
401 with a Digest challenge (Virtuoso's ``/sparql-graph-crud-auth``) gets one more request with the Digest
answer, computed by the standard library's ``urllib.request`` digest handler.

A store applies one PUT as one transaction, and a transaction of millions of triples is slow and holds them all in
the server's memory (Oxigraph: 58 s and 1.3 GB for 600k triples, against 7 s with its bulk loader). ``bulk=True``
(``--bulk``) trades atomicity for that: the graph is emptied with one PUT, then the file is POSTed with Oxigraph's
``no_transaction`` switch, which feeds it to the server's bulk loader. An interrupted bulk load leaves part of the
file in the graph; loading again replaces it.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import os
import re
import socket
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import ParseResult, quote, unquote, urlparse

import pyoxigraph as ox

from . import paths
from .build import load_built_graph
from .errors import EndpointError, InputError
from .export import ExportFormat, serialize
from .namespaces import ONTOLOGY_IRI
from .progress import task

__all__ = [
    "BULK_PARAMETER",
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
#: Query parameter of Oxigraph's ``/store``: the body goes to the bulk loader, outside a transaction.
BULK_PARAMETER = "no_transaction"

#: Media types by file suffix, for ``--file``.
CONTENT_TYPES = {
    ".nt": "application/n-triples",
    ".ttl": "text/turtle",
    ".owl": "application/rdf+xml",
    ".rdf": "application/rdf+xml",
    ".jsonld": "application/ld+json",
}
#: Oxigraph's parser for each ``--file`` suffix that is rewritten as N-Triples before it is sent.
_PARSERS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".owl": ox.RdfFormat.RDF_XML,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
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


def _ntriples_file(source: Path, scratch: Path) -> tuple[Path, int | None]:
    """``source`` as the N-Triples file to send, and its triple count when it had to be rewritten.

    N-Triples goes as it is (a cohort of a million triples is not parsed twice). Any other syntax is parsed by
    Oxigraph and written as N-Triples into ``scratch``, a triple at a time: the upload then carries only
    absolute IRIs, no prefixed names or escapes for a store to misread, and a file that does not parse is an
    input error before anything is sent.
    """
    suffix = source.suffix.lower()
    if suffix not in CONTENT_TYPES:
        raise InputError(f"{source}: cannot tell its RDF format (use one of {', '.join(sorted(CONTENT_TYPES))})")
    try:
        with source.open("rb"):  # readable now, so a bad --file is an input error, not an upload failure
            pass
    except OSError as exc:
        raise InputError(f"{source}: cannot read it: {exc.strerror or exc}") from None
    if suffix == ".nt":
        return source, None
    target = scratch / f"{source.stem}.nt"
    counted = 0

    def counting(triples: Iterator[ox.Triple]) -> Iterator[ox.Triple]:
        nonlocal counted
        for triple in triples:
            counted += 1
            yield triple

    try:
        parsed = ox.parse(
            path=source, format=_PARSERS[suffix], base_iri=source.resolve().as_uri(), without_named_graphs=True
        )
        ox.serialize(counting(quad.triple for quad in parsed), target, ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        detail = " ".join(str(exc).split())
        raise InputError(f"{source}: not valid {suffix.lstrip('.')} RDF: {detail}") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read it: {exc.strerror or exc}") from None
    return target, counted


def _chunks(data: bytes | Path, on_chunk: Callable[[int], None]) -> Iterator[bytes]:
    """The body in pieces of 64 KiB: from memory, or read from the file as it is sent (never whole)."""
    if isinstance(data, Path):
        with data.open("rb") as file:
            while piece := file.read(_CHUNK):
                yield piece
                on_chunk(len(piece))
        return
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        chunk = view[start : start + _CHUNK]
        yield bytes(chunk)
        on_chunk(len(chunk))


def _size(data: bytes | Path) -> int:
    return data.stat().st_size if isinstance(data, Path) else len(data)


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


def _digest_authorization(url: str, challenge: str, user: str, password: str) -> str | None:
    """The ``Authorization`` value answering a ``WWW-Authenticate: Digest ...`` challenge for a PUT of ``url``.

    The computation (RFC 7616: realm, nonce, qop, MD5 or SHA) is the standard library's; None when the
    challenge is not Digest or uses what it cannot answer.
    """
    scheme, _, params = challenge.partition(" ")
    if scheme.lower() != "digest":
        return None
    manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    manager.add_password(None, url, user, password)
    handler = urllib.request.HTTPDigestAuthHandler(manager)
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(params))
    answer = handler.get_authorization(urllib.request.Request(url, method="PUT"), fields)
    # RFC 7616 writes the algorithm as a token; urllib quotes it, which Virtuoso refuses (401 again).
    return None if answer is None else "Digest " + re.sub(r'algorithm="([^"]*)"', r"algorithm=\1", answer)


def _challenge(connection_class: type[http.client.HTTPConnection], parsed: ParseResult, target: str) -> str:
    """The ``WWW-Authenticate`` challenge of ``target``, asked by a GET without credentials.

    Virtuoso answers a refused Basic attempt with a bare 401; only an unauthenticated request gets the Digest
    challenge (a GET, so the body is not sent a third time).
    """
    connection = connection_class(parsed.hostname or "", parsed.port, timeout=30)
    try:
        connection.request("GET", target)
        response = connection.getresponse()
        response.read(4096)
        return response.getheader("WWW-Authenticate") or ""
    except (OSError, http.client.HTTPException):
        return ""
    finally:
        connection.close()


def upload(
    url: str,
    data: bytes | Path,
    content_type: str,
    *,
    method: str = "PUT",
    retries: int = DEFAULT_RETRIES,
    backoff: float = 0.5,
    timeout: float = DEFAULT_TIMEOUT,
    progress_label: str = "uploading",
) -> tuple[int, int]:
    """PUT (or POST) ``data``, bytes or a file streamed from disk, to ``url``; returns (HTTP status, attempts).

    Retries connection failures with backoff.

    ``EndpointError`` after the last attempt, or at once for an HTTP error that retrying cannot fix.
    ``timeout`` bounds the whole upload, retries and backoff included: a store that never answers holds the
    command at most that long (before, each of five attempts waited for it in turn).
    """
    parsed = urlparse(url)
    connection_class = http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
    target = parsed.path or "/"
    if parsed.query:
        target += "?" + parsed.query
    size = _size(data)
    headers = {"Content-Type": content_type, "Content-Length": str(size)}
    if parsed.username is not None:  # http://user:password@host/... : HTTP Basic authentication
        credentials = f"{unquote(parsed.username)}:{unquote(parsed.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    plain_url = parsed._replace(netloc=parsed.netloc.rpartition("@")[2]).geturl()
    url = redact_url(url)
    last_problem = ""
    deadline = time.monotonic() + timeout
    digest_tried = False
    attempt = 0
    while attempt <= retries:
        attempt += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise EndpointError(f"{url}: no answer within --timeout {timeout:g} s ({last_problem or 'timed out'})")
        connection = connection_class(parsed.hostname or "", parsed.port, timeout=remaining)
        try:
            with task(progress_label, total=size, unit="B") as bar:
                # A store that refuses early (Virtuoso on bad credentials) closes before the body is in; its
                # answer is still there to read, and says more than "broken pipe".
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    connection.request(
                        method,
                        target,
                        body=_chunks(data, bar.update),
                        headers=headers,
                    )
                response = connection.getresponse()
                message = response.read(4096).decode("utf-8", errors="replace")
            if response.status == 401 and parsed.username is not None and not digest_tried:
                challenge = response.getheader("WWW-Authenticate") or _challenge(connection_class, parsed, target)
                answer = _digest_authorization(
                    plain_url, challenge, unquote(parsed.username), unquote(parsed.password or "")
                )
                if answer is not None:  # one more request, with the Digest answer; not a retry
                    headers["Authorization"] = answer
                    digest_tried = True
                    attempt -= 1
                    continue
            if 200 <= response.status < 300:
                return response.status, attempt
            detail = " ".join(message.split())[:300] or response.reason
            if response.status == 401:
                hint = "check the user and password in the URL" if parsed.username else "put user:password@ in the URL"
                raise EndpointError(f"{url}: HTTP 401: {detail} ({hint})")
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
    bulk: bool = False,
) -> LoadSummary:
    """Replace named graph ``graph`` at the Graph Store Protocol ``endpoint`` with the release.

    The release is the reasoned graph (``load_built_graph``) as sorted N-Triples, unless ``source`` names an
    RDF file (``.nt``, ``.ttl``, ``.owl``/``.rdf``, ``.jsonld``), streamed from disk (rewritten as N-Triples first
    when it is in another syntax: ``_ntriples_file``).
    ``bulk``: empty the graph, then POST the data to Oxigraph's bulk loader (fast, bounded server memory, not
    atomic; see the module's docstring).
    """
    url = graph_store_url(endpoint, graph)
    if retries < 0:
        raise InputError(f"--retries must be 0 or more, not {retries}")
    if not timeout > 0:
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    triples: int | None
    body: bytes | Path
    with tempfile.TemporaryDirectory(prefix="sarcoma-kg-load-") as scratch:
        if source is None:
            release = load_built_graph(build_dir, ontology=ontology, data=data)
            body = serialize(release, ExportFormat.NTRIPLES)
            triples = len(release)
        else:
            body, triples = _ntriples_file(Path(source), Path(scratch))
        started = time.perf_counter()
        label = f"loading {graph}"
        content_type = CONTENT_TYPES[".nt"]
        if bulk:  # empty the graph in one PUT, then the bulk loader; the whole load still within ``timeout``
            upload(url, b"", content_type, retries=retries, backoff=backoff, timeout=timeout, progress_label=label)
            url, method, timeout = (
                f"{url}&{BULK_PARAMETER}",
                "POST",
                max(0.1, timeout - (time.perf_counter() - started)),
            )
        else:
            method = "PUT"
        status, attempts = upload(
            url, body, content_type, method=method, retries=retries, backoff=backoff, timeout=timeout,
            progress_label=label,
        )  # fmt: skip
        size = _size(body)
    return LoadSummary(
        url=redact_url(url.removesuffix(f"&{BULK_PARAMETER}")),
        graph=graph,
        bytes=size,
        triples=triples,
        attempts=attempts,
        seconds=time.perf_counter() - started,
        status=status,
    )
