"""A small client for remote SPARQL 1.1 endpoints (behind SPARQLWrapper), so stored queries run where
researchers loaded our export: Oxigraph, Fuseki, GraphDB, Virtuoso...

Parameters travel as RDF terms, exactly as they do locally: a ``VALUES`` block written from each term's
N-Triples form (see :func:`sarcoma_kg.queries.inject_bindings`). Results come back as W3C JSON and are turned
into rdflib terms, so local and remote rows compare equal.

Network failures, HTTP errors and timeouts become one ``EndpointError`` (exit 3) naming the URL, and so does an
answer the endpoint says is incomplete: Virtuoso answers HTTP 200 both when a query ran out of time ("anytime"
results, ``X-SQL-State: S1TAT``) and when it cut the rows at its ``ResultSetMaxRows`` (``X-SPARQL-MaxRows``),
and fewer rows must never pass for the answer.
"""

from __future__ import annotations

import io
import socket
import urllib.error
from collections.abc import Mapping
from email.message import Message
from urllib.parse import urlparse

from rdflib.query import Result
from rdflib.term import Node
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from .errors import EndpointError, InputError
from .namespaces import sparql_prologue
from .queries import QueryResult, answerable_form, inject_bindings, result_from_rdflib

__all__ = ["DEFAULT_TIMEOUT", "check_complete", "parse_results", "run_remote", "sent_text"]

DEFAULT_TIMEOUT = 30.0

#: Virtuoso's SQL state for "returning incomplete results, query interrupted by result timeout".
_ANYTIME_STATE = "S1TAT"


def _check_url(url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(f"'{url}' is not an http(s) URL of a SPARQL endpoint (e.g. http://127.0.0.1:7878/query)")


def sent_text(query_text: str, bindings: Mapping[str, Node] | None = None) -> str:
    """The exact text :func:`run_remote` sends: the project prefixes, then the query with its parameters
    bound in VALUES blocks. It runs unchanged in YASGUI, Jena's ``arq`` or any SPARQL 1.1 tool
    (``sarcoma-kg query NAME --show`` prints it); ``QueryError`` for updates and forms we do not answer."""
    answerable_form(query_text)
    return sparql_prologue() + inject_bindings(query_text, dict(bindings or {}))


def run_remote(
    url: str,
    query_text: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> QueryResult:
    """Answer a SELECT or ASK query on the SPARQL endpoint at ``url`` (the project prefixes are declared)."""
    _check_url(url)
    text = sent_text(query_text, bindings)
    client = SPARQLWrapper(url)
    client.setQuery(text)
    client.setMethod(POST)
    client.setReturnFormat(JSON)
    client.setTimeout(int(max(1, round(timeout))))
    try:
        response = client.query().response
        data = response.read()
        headers = response.info()
    except SPARQLWrapperException as exc:
        detail = " ".join(str(exc).split())[:300]
        raise EndpointError(f"{url}: the endpoint refused the query: {detail}") from None
    except urllib.error.HTTPError as exc:
        raise EndpointError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise EndpointError(f"{url}: no answer within {timeout:g} s") from None
        raise EndpointError(f"{url}: cannot reach the endpoint ({reason})") from None
    except TimeoutError:
        raise EndpointError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, ValueError) as exc:
        raise EndpointError(f"{url}: {exc}") from None
    return check_complete(parse_results(data, url=url), headers, url=url)


def check_complete(result: QueryResult, headers: Message, *, url: str = "the endpoint") -> QueryResult:
    """``result`` unchanged when the response headers do not say it is incomplete; else ``EndpointError``.

    Virtuoso sends a success status with partial rows in two cases, seen on 7.2.5 (Debian) and documented for its
    "anytime queries": a query interrupted by an anytime timeout (the URL's ``timeout`` parameter, or
    ``ExecutionTimeout`` in virtuoso.ini) carries ``X-SQL-State: S1TAT`` and an ``X-SQL-Message`` ("Returning
    incomplete results, query interrupted by result timeout"), with HTTP 200 on 7.2.5 and 206 on later
    releases; ``MaxQueryExecutionTime`` alone is a plain HTTP 500 (SR171), already an error. An answer cut at
    ``ResultSetMaxRows`` carries ``X-SPARQL-MaxRows: N`` and exactly N rows (the header comes with any answer of
    N rows or more, so an answer of exactly N rows cannot be told from a cut one and is refused too).

    >>> from email.message import Message
    >>> cut = Message()
    >>> cut["X-SPARQL-MaxRows"] = "2"
    >>> check_complete(QueryResult(("x",), ((None,), (None,))), cut).rows  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sarcoma_kg.errors.EndpointError: the endpoint: the answer stops at the endpoint's limit of 2 rows, so rows ...
    >>> len(check_complete(QueryResult(("x",), ((None,),)), cut).rows)
    1
    """
    state = (headers.get("X-SQL-State") or "").strip()
    if state == _ANYTIME_STATE:
        message = " ".join((headers.get("X-SQL-Message") or "").split()).split(" Activity:")[0]
        message = message.removeprefix("RC...: ").removeprefix("Returning incomplete results, ").rstrip(". ")
        raise EndpointError(
            f"{url}: the endpoint returned incomplete results ({message or 'interrupted'}): the query ran past "
            "the endpoint's time limit (Virtuoso: the URL's timeout parameter, or ExecutionTimeout in "
            "virtuoso.ini's [SPARQL] section); allow it more time, or ask on the embedded store"
        )
    cap = (headers.get("X-SPARQL-MaxRows") or "").strip()
    if cap.isdigit() and result.boolean is None and len(result.rows) >= int(cap):
        raise EndpointError(
            f"{url}: the answer stops at the endpoint's limit of {int(cap)} rows, so rows may be missing: raise the "
            "limit (Virtuoso: ResultSetMaxRows in virtuoso.ini's [SPARQL] section) or ask a narrower question"
        )
    return result


def parse_results(data: bytes, *, url: str = "the endpoint") -> QueryResult:
    """Rows from a W3C SPARQL JSON results document, read by a real JSON parser.

    Escapes are JSON's business: Virtuoso writes ``/`` as ``\\/``, which a JSON parser turns back into ``/``
    (text handling would keep the backslash inside IRIs). ``EndpointError`` when the answer is not SPARQL JSON.

    >>> body = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "value": '
    >>> parse_results(body + b'"https:\\\\/\\\\/w3id.org\\\\/sarcoma-kg\\\\/kb\\\\/source\\\\/x"}}]}}').rows
    ((rdflib.term.URIRef('https://w3id.org/sarcoma-kg/kb/source/x'),),)
    """
    try:
        result = Result.parse(io.BytesIO(data), format="json")
    except Exception as exc:
        raise EndpointError(f"{url}: the answer is not SPARQL JSON results ({type(exc).__name__})") from None
    return result_from_rdflib(result)
