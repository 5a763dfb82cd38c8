"""Federated queries (``SERVICE <url> { ... }``) are refused unless their endpoint is on an allow-list.

A ``SERVICE`` clause makes the engine send a request to an address written in the query. On a served endpoint
that is server-side request forgery: anyone who can send a query can make the server reach hosts behind its
firewall. So every query is scanned before it runs, locally and in ``serve``, and each ``SERVICE`` endpoint must
be one the operator named (``--allow-service URL``, repeatable; none by default). A ``SERVICE ?variable`` or
an endpoint the scan cannot read is refused: the scan errs on the side of refusing.

The scan is lexical and conservative: SPARQL's ``\\u`` escapes are decoded first (the grammar allows them
anywhere), then comments, strings and IRIs are skipped, and every ``SERVICE`` keyword left is checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .errors import QueryError
from .namespaces import PREFIXES

__all__ = ["check_services", "service_endpoints"]

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_SKIP = (
    r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
)
_PNAME = r"[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7-\uFFFF]*"
_TOKENS = re.compile(
    rf"(?P<skip>{_SKIP})"
    rf"|(?P<prefix>(?<![\w:?$\-])PREFIX\s+(?P<pname>(?:{_PNAME})?):\s*<(?P<piri>[^<>\s]*)>)"
    r"|(?P<iri><[^<>\"{}|^`\\\s]*>)"
    rf"|(?P<service>(?<![\w:?$\-])SERVICE(?![\w:\-])(?:\s+SILENT(?![\w:\-]))?\s*"
    rf"(?P<target><[^<>\"{{}}|^`\\\s]*>|(?:{_PNAME})?:[\w.\-]*)?)",
    re.IGNORECASE | re.DOTALL,
)


def _decode(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def service_endpoints(query_text: str) -> list[str | None]:
    """The endpoint IRIs of the query's ``SERVICE`` clauses, in order; None for one that is not a known IRI.

    >>> service_endpoints('SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }')
    ['http://example.org/sparql']
    >>> service_endpoints('SELECT * WHERE { ?service ?p "SERVICE <x>" } # SERVICE <y>')
    []
    >>> service_endpoints('SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }')
    [None]
    """
    text = _decode(query_text)
    prefixes = dict(PREFIXES)
    found: list[str | None] = []
    for match in _TOKENS.finditer(text):
        if match.group("prefix"):
            prefixes[match.group("pname")] = match.group("piri")
        elif match.group("service") is not None:
            target = match.group("target")
            if not target:
                found.append(None)
            elif target.startswith("<"):
                found.append(target[1:-1])
            else:
                prefix, _, local = target.partition(":")
                found.append(prefixes[prefix] + local if prefix in prefixes else None)
    return found


def check_services(query_text: str, allowed: Iterable[str] = ()) -> None:
    """``QueryError`` unless every ``SERVICE`` endpoint of the query is in ``allowed`` (exact IRIs)."""
    permitted = set(allowed)
    for endpoint in service_endpoints(query_text):
        if endpoint is None:
            raise QueryError(
                "the query has a SERVICE clause whose endpoint is not a fixed IRI: federated queries are refused"
            )
        if endpoint not in permitted:
            raise QueryError(
                f"the query calls SERVICE <{endpoint}>: federated queries are refused unless the endpoint is "
                "allowed (--allow-service URL)"
            )
