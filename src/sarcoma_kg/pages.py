"""The browsing side of ``sarcoma-kg serve``: a page behind every IRI, a tree, search as you type, the cohort.

Routes (all GET):

- ``/<local part of the IRI>`` (``/AlveolarSoftPartSarcoma``, ``/kb/statement/...``, ``/case/C1``): the term's
  description, negotiated with werkzeug's Accept parsing: ``text/html`` (the page, with its picture),
  ``text/turtle``, ``application/n-triples``, ``application/ld+json`` (``?format=turtle|n-triples|json-ld``
  overrides the header, for links). 404 with a page for an IRI the graph says nothing about.
- ``/search?q=...&limit=...&under=CURIE[&cases=true]``: ranked JSON from :class:`SearchIndex`.
- ``/browse``: the top categories as an expandable tree (``/_look/children?iri=...`` gives a node's children);
  ``/browse?q=...`` lists matches without script.
- ``/cohort``: the loaded cases' computed-stage distribution as an inline SVG chart.
- ``/?run=NAME&PARAM=VALUE``: the query page with a stored query's parameters bound (as the CLI binds them).

Labels come from users' data too: the pages are Jinja2 templates with autoescaping on.
"""

from __future__ import annotations

import gc
import html
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

import jinja2
from rdflib import Graph, URIRef
from werkzeug.wrappers import Request, Response

from .charts import stage_counts, stage_distribution_svg
from .errors import EnvironmentProblem, InputError
from .namespaces import SARC
from .queries import StoredQuery, bind_params, get_query, inject_bindings, run_local
from .search_index import MAX_LIMIT, SearchIndex
from .terms import TOP_CATEGORIES, Link, QueryUse, TermFormat, Terms, is_iri
from .viz import MAX_STATEMENT_NODES, neighbourhood_svg

__all__ = ["FORMAT_NAMES", "HTML", "Pages", "build_pages"]

HTML = "text/html"
#: ``?format=`` names for the RDF media types of a term.
FORMAT_NAMES = {"turtle": "text/turtle", "n-triples": "application/n-triples", "json-ld": "application/ld+json"}
_OFFERED = [HTML, *TermFormat.FORMATS]
_STATIC = {"look.css": "text/css", "look.js": "text/javascript"}


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=1), status=status, mimetype="application/json")


@dataclass
class Pages:
    """The browsing routes over one graph; built once at serve start (:func:`build_pages`)."""

    terms: Terms
    index: SearchIndex
    render_query_page: Callable[[list[dict[str, str]]], bytes]
    examples: list[dict[str, str]]

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._case_index: SearchIndex | None = None
        self._counts: dict[str, int] | None = None
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("sarcoma_kg", "web/templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    # -- computed on first use: a cohort makes them slow, and most visitors never ask -----------------------
    def _once(self, compute: Callable[[], object]) -> object:
        with self._lock:
            value = compute()
            # pyoxigraph objects must be freed on the thread that made them: free any in cycles now, here.
            gc.collect()
            return value

    def case_index(self) -> SearchIndex:
        """The index of ontology terms and patient-case nodes (``/search?cases=true``)."""
        if self._case_index is None:
            self._case_index = self._once(
                lambda: self._case_index or SearchIndex.from_graph(self.terms.graph, include_cases=True)
            )
        return self._case_index

    def stage_counts(self) -> dict[str, int]:
        """Cases per computed stage (the stored query ``case-stages``)."""
        if self._counts is None:

            def compute() -> dict[str, int]:
                if self._counts is not None:
                    return self._counts
                query = get_query("case-stages")
                return stage_counts(run_local(self.terms.graph, query.text, bind_params(query)))

            self._counts = self._once(compute)
        return self._counts

    def _html(self, template: str, status: int = 200, **context: object) -> Response:
        body = self.env.get_template(template).render(**context)
        return Response(body, status=status, mimetype=HTML, headers={"Vary": "Accept"})

    # -- routing -------------------------------------------------------------------------------------------
    def route(self, request: Request) -> Response:
        """The response for a GET that serve's own routes did not take."""
        path = request.path
        if path == "/search":
            return self.search(request)
        if path == "/browse":
            return self.browse(request)
        if path == "/cohort":
            return self.cohort()
        if path == "/_look/children":
            return self.children(request)
        if path.startswith("/_look/") and path[len("/_look/") :] in _STATIC:
            name = path[len("/_look/") :]
            data = (_resources() / name).read_bytes()
            return Response(data, mimetype=_STATIC[name], headers={"Cache-Control": "no-cache"})
        return self.term(request)

    def term(self, request: Request) -> Response:
        iri = SARC[request.path.lstrip("/")]
        wanted = request.args.get("format")
        if wanted is not None and wanted not in FORMAT_NAMES:
            return Response(
                f"unknown format '{wanted}': use one of {', '.join(FORMAT_NAMES)}\n", 400, mimetype="text/plain"
            )
        media = FORMAT_NAMES[wanted] if wanted else _negotiate(request)
        if media is None:
            return Response("no acceptable format: ask for " + ", ".join(_OFFERED) + "\n", 406, mimetype="text/plain")
        if not is_iri(iri) or (iri, None, None) not in self.terms.graph:
            if media == HTML:
                return self._html("notfound.html", status=404, iri=str(iri))
            return Response(f"the graph has nothing about <{iri}>\n", 404, mimetype="text/plain")
        if media != HTML:
            body = self.terms.serialize(iri, media)
            charset = "" if media.endswith("json") else "; charset=utf-8"
            return Response(body, content_type=media + charset, headers={"Vary": "Accept"})
        description = self.terms.describe(iri)
        try:
            svg = neighbourhood_svg(description)
        except EnvironmentProblem as exc:  # no Graphviz: the page without its picture, saying why
            svg = f"<p class='none'>{html.escape(str(exc))}</p>"
        return self._html(
            "term.html",
            d=description,
            svg=svg,
            formats=[(m, n) for n, m in FORMAT_NAMES.items()],
            max_drawn=MAX_STATEMENT_NODES,
            run_url=lambda use: _run_url(use, description.node),
        )

    def search(self, request: Request) -> Response:
        """``/search``: JSON ``{"query", "under", "results": [{iri, curie, label, matched, match, rank, path}]}``."""
        text = request.args.get("q", "")
        try:
            limit = int(request.args.get("limit", "20"))
        except ValueError:
            return _json({"error": f"limit must be a whole number between 1 and {MAX_LIMIT}"}, 400)
        under_text = request.args.get("under")
        cases = request.args.get("cases", "false").lower() == "true"
        index = self.case_index() if cases else self.index
        try:
            under = str(self.terms.resolve(under_text)) if under_text else None
            hits = index.search(text, limit=limit, under=under)
        except InputError as exc:
            return _json({"error": str(exc)}, 400)
        results = [{**hit.as_json(), "path": Link(hit.iri, hit.label).path} for hit in hits]
        return _json({"query": text, "under": under, "results": results})

    def _tree_node(self, link: Link) -> dict[str, object]:
        return {
            "iri": link.iri,
            "label": link.label,
            "path": link.path,
            "inferred": link.inferred,
            "has_children": self.terms.has_children(URIRef(link.iri)),
        }

    def browse(self, request: Request) -> Response:
        roots = [self._tree_node(self.terms.link(c)) for c in TOP_CATEGORIES if (c, None, None) in self.terms.graph]
        query = request.args.get("q")
        hits = []
        if query:
            hits = [{**h.as_json(), "path": Link(h.iri, h.label).path} for h in self.index.search(query, limit=50)]
        return self._html("browse.html", roots=roots, query=query, hits=hits)

    def children(self, request: Request) -> Response:
        try:
            node = self.terms.resolve(request.args.get("iri", ""))
        except InputError as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"iri": str(node), "children": [self._tree_node(c) for c in self.terms.children(node)]})

    def cohort(self) -> Response:
        counts = self.stage_counts()
        return self._html(
            "cohort.html", counts=counts, total=sum(counts.values()), chart=stage_distribution_svg(counts)
        )

    def run_page(self, request: Request) -> Response:
        """The query page with stored query ``run`` first, its parameters bound from the other arguments."""
        name = request.args.get("run", "")
        try:
            query: StoredQuery = get_query(name)
            values = {k: v for k, v in request.args.items() if k != "run"}
            text = inject_bindings(query.text, bind_params(query, values))
        except InputError as exc:
            return Response(f"cannot run '{name}': {exc}\n", 400, mimetype="text/plain")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#+")).lstrip("\n")
        first = {"name": query.name, "summary": query.summary, "description": query.description, "text": body}
        rest = [e for e in self.examples if e["name"] != query.name]
        return Response(self.render_query_page([first, *rest]), mimetype=HTML, headers={"Cache-Control": "no-cache"})


def _negotiate(request: Request) -> str | None:
    if not request.accept_mimetypes:
        return HTML
    return request.accept_mimetypes.best_match(_OFFERED)


def _run_url(use: QueryUse, node: Link) -> str:
    return "/?" + urlencode({"run": use.name, use.param: node.curie})


def _resources():
    from importlib import resources

    return resources.files("sarcoma_kg").joinpath("web")


def build_pages(
    graph: Graph,
    *,
    asserted: Graph | None,
    render_query_page: Callable[[list[dict[str, str]]], bytes],
    examples: list[dict[str, str]],
) -> Pages:
    """Index the graph's terms once, for the life of the server (cases and stages wait for their first use)."""
    return Pages(Terms(graph, asserted=asserted), SearchIndex.from_graph(graph), render_query_page, examples)
