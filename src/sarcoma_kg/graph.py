"""Loading RDF: one place that parses files into a graph, on Oxigraph by default.

The default store is Oxigraph behind the rdflib ``Graph`` API (oxrdflib): parsing goes through Oxigraph's own
parsers (the ``ox-*`` formats, about 15x faster than rdflib's) and SPARQL through Oxigraph's engine (25-650x
faster than rdflib's, and right where rdflib was once wrong). rdflib's in-memory store stays available as
``StoreKind.MEMORY`` for comparison; parsing is the same Oxigraph parser either way, so errors read the same.

Loading a file goes through Oxigraph's transactional ``Store.load`` (what oxrdflib's ``ox-*`` parsers call): in
an in-memory store it is as fast as ``Store.bulk_load`` (0.95-0.97x of it, release + 10k and 50k cohorts), and
unlike the bulk loader it is all-or-nothing per file. What made our load slower than raw pyoxigraph was counting
(``len(graph)``): oxrdflib runs a ``COUNT(DISTINCT ...)`` query, about 0.7x of the load itself; the project's
store answers from Oxigraph's own quad count when it can (``_OxigraphStore.__len__``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import XSD
from rdflib.term import Identifier

from . import paths, progress
from .errors import InputError, RdfSyntaxError
from .namespaces import bind_prefixes

__all__ = [
    "StoreKind",
    "from_ox",
    "knowledge_base_files",
    "load_files",
    "load_knowledge_base",
    "new_graph",
    "ox_query_options",
    "ox_store",
    "parse_into",
    "parser_format",
    "to_ox",
]


class StoreKind(StrEnum):
    """Which triple store backs a graph."""

    OXIGRAPH = "oxigraph"
    MEMORY = "memory"


_PARSER_FORMATS = {
    ".ttl": "ox-turtle",
    ".turtle": "ox-turtle",
    ".nt": "ox-ntriples",
    ".owl": "ox-xml",
    ".rdf": "ox-xml",
    ".xml": "ox-xml",
    ".jsonld": "ox-json-ld",
    ".json": "ox-json-ld",
}


class _OxigraphStore(OxigraphStore):
    """oxrdflib's store, with a triple count that does not run a query when the store's own count is the answer.

    oxrdflib counts with ``SELECT (COUNT(DISTINCT TRIPLE(?s, ?p, ?o)) ...)``, which walks and deduplicates every
    triple (1.7 s for 300k triples, where loading them takes 2.3 s). When the store holds no named graph, every
    quad is a distinct triple of the default graph, so Oxigraph's quad count is the count of the default graph and
    of the union alike. Any other case (named graphs present, or a named graph asked for) keeps oxrdflib's query.
    """

    def __len__(self, context: Graph | None = None) -> int:
        asks_default = context is None or context.identifier == DATASET_DEFAULT_GRAPH_ID
        if asks_default and next(iter(self._inner.named_graphs()), None) is None:
            return len(self._inner)
        return super().__len__(context)


def new_graph(store: StoreKind = StoreKind.OXIGRAPH) -> Graph:
    """An empty graph with the project's prefixes bound.

    >>> len(new_graph())
    0
    """
    if StoreKind(store) is StoreKind.OXIGRAPH:
        graph = Graph(store=_OxigraphStore(store=ox.Store()), identifier=DATASET_DEFAULT_GRAPH_ID)
    else:
        graph = Graph()
    return bind_prefixes(graph)


def to_ox(term: Identifier) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term (a plain literal becomes ``xsd:string``, as in RDF 1.1)."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal) and term.language:
        return ox.Literal(str(term), language=term.language)
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string)))


def from_ox(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> Identifier | None:
    """A pyoxigraph term as an rdflib term (None stays None, for unbound variables)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def ox_store(graph: Graph) -> ox.Store | None:
    """The pyoxigraph store behind ``graph``, or None when it is not Oxigraph-backed."""
    store = graph.store
    if isinstance(store, OxigraphStore):
        return store._inner
    return None


def ox_query_options(graph: Graph) -> dict[str, object]:
    """Keyword arguments for pyoxigraph's ``Store.query`` that ask what rdflib's ``graph.query`` asks through
    oxrdflib: the graph's bound prefixes, and the store's graph that ``graph`` is (the default graph for
    ``new_graph()``; a named graph for a ``Graph(store=...)`` given its own identifier; all for a union)."""
    options: dict[str, object] = {"prefixes": dict(graph.store.namespaces())}
    if graph.default_union:
        options["use_default_graph_as_union"] = True
    elif graph.identifier != DATASET_DEFAULT_GRAPH_ID:
        options["default_graph"] = to_ox(graph.identifier)
    return options


def parser_format(path: str | os.PathLike[str]) -> str:
    """The Oxigraph parser for a file, chosen by its extension."""
    suffix = Path(path).suffix.lower()
    try:
        return _PARSER_FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(_PARSER_FORMATS))
        raise InputError(f"{path}: unknown RDF file type '{suffix}' (expected one of {known})") from None


def parse_into(graph: Graph, path: str | os.PathLike[str]) -> None:
    """Parse one file into ``graph``; unreadable or invalid files raise ``InputError`` naming file and line."""
    file = Path(path)
    fmt = parser_format(file)
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    if not os.access(file, os.R_OK):
        raise InputError(f"{file}: not readable")
    try:
        graph.parse(str(file), format=fmt)
    except SyntaxError as exc:
        detail = str(exc.msg if hasattr(exc, "msg") else exc).split("\n")[0]
        raise RdfSyntaxError(str(file), detail, exc.lineno, exc.offset) from exc
    except UnicodeDecodeError as exc:
        raise RdfSyntaxError(str(file), f"not UTF-8 text ({exc.reason})") from exc
    except (ValueError, OSError) as exc:
        raise RdfSyntaxError(str(file), str(exc).split("\n")[0]) from exc


def load_files(
    files: Iterable[str | os.PathLike[str]],
    *,
    store: StoreKind = StoreKind.OXIGRAPH,
    graph: Graph | None = None,
) -> Graph:
    """Parse ``files`` (in the order given) into ``graph`` or a new one, and return it.

    A load that takes over a second shows a progress bar (bytes parsed) on a terminal's standard error.
    """
    target = graph if graph is not None else new_graph(store)
    files = [Path(file) for file in files]
    sizes = [file.stat().st_size if file.is_file() else 0 for file in files]
    with progress.task("loading RDF", total=sum(sizes), unit="B") as bar:
        for file, size in zip(files, sizes, strict=True):
            bar.describe(f"loading {file.name}")
            parse_into(target, file)
            bar.update(size)
    return target


def knowledge_base_files(*, include_data: bool = True) -> list[Path]:
    """The ontology and its import modules, then (optionally) the knowledge-base data files."""
    files = paths.ontology_files()
    if include_data:
        files.extend(paths.data_files())
    return files


def load_knowledge_base(*, store: StoreKind = StoreKind.OXIGRAPH, include_data: bool = True) -> Graph:
    """The asserted ontology and knowledge base, merged into one graph."""
    return load_files(knowledge_base_files(include_data=include_data), store=store)
