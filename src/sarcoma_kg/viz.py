"""A term's neighbourhood as a picture: parents, children, axiom relations and what its statements link.

Drawn by Graphviz's ``dot`` (Debian package ``graphviz``) through the ``graphviz`` Python binding, as SVG. The
node and edge order is that of the description, which is sorted, so the same graph gives the same picture.
Every node links to its term page (relative ``/Local`` paths), so the picture is also a way to browse.
"""

from __future__ import annotations

import hashlib
import os
import textwrap

import graphviz

from .errors import EnvironmentProblem
from .fileio import write_atomic
from .terms import Link, TermDescription

__all__ = ["MAX_STATEMENT_NODES", "neighbourhood", "neighbourhood_svg", "write_svg"]

#: Statements drawn at most (a disease with eighty statements would be unreadable); the page lists them all.
MAX_STATEMENT_NODES = 8


def _node(dot: graphviz.Digraph, link: Link, *, focus: bool = False, shape: str = "box") -> str:
    # dot reads 'a:b' as node a, port b: node names are digests of the IRI (stable across runs).
    key = "n" + hashlib.sha1(link.iri.encode("utf-8")).hexdigest()[:16]
    width = 34 if shape == "note" else 24
    label = "\\n".join(
        graphviz.escape(line) for line in textwrap.wrap(link.label, width, break_long_words=False) or [""]
    )
    attrs = {"label": label, "tooltip": graphviz.escape(link.curie), "shape": shape}
    if link.path is not None:
        attrs["URL"] = link.path
        attrs["target"] = "_top"
    if focus:
        attrs.update(style="filled,bold", fillcolor="#ffe9a8", penwidth="2")
    elif shape == "note":
        attrs.update(style="filled", fillcolor="#eef3fb", fontsize="10")
    dot.node(key, **attrs)
    return key


def neighbourhood(description: TermDescription) -> graphviz.Digraph:
    """The Graphviz graph of the term's neighbourhood, left to right: statements, the term, what it is a kind of.

    Edges point from the more specific to the more general (child to parent), and from a statement to what it
    links; inferred hierarchy edges are dashed.
    """
    dot = graphviz.Digraph(
        name="neighbourhood",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "bgcolor": "transparent", "nodesep": "0.25"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "rounded", "margin": "0.12,0.05"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#555555"},
    )
    focus = _node(dot, description.node, focus=True)
    for parent in description.parents:
        dot.edge(
            focus,
            _node(dot, parent),
            label="is a (inferred)" if parent.inferred else "is a",
            style="dashed" if parent.inferred else "solid",
        )
    for child in description.children:
        dot.edge(
            _node(dot, child),
            focus,
            label="is a (inferred)" if child.inferred else "is a",
            style="dashed" if child.inferred else "solid",
        )
    for relation in description.relations:
        dot.edge(
            focus,
            _node(dot, relation.target, shape="ellipse"),
            label=graphviz.escape(relation.predicate.label + " some"),
            color="#2b6cb0",
        )
    for prop in description.properties:  # a statement's, a case's or a source's own links
        if not prop.value.literal and prop.value.path is not None and prop.value.iri != description.iri:
            target = _node(dot, prop.value, shape="ellipse")
            dot.edge(focus, target, label=graphviz.escape(prop.predicate.label), color="#8a8a8a")
    for statement in description.statements[:MAX_STATEMENT_NODES]:
        node = _node(dot, statement.node, shape="note")
        via = ", ".join(v.label for v in statement.mentions_via)
        dot.edge(node, focus, label=graphviz.escape(via), color="#8a8a8a")
        for prop in statement.properties:
            value = prop.value
            if (
                value.literal
                or value.iri == description.iri
                or value.path is None
                or prop.predicate.curie == "rdf:type"
            ):
                continue
            if prop.predicate.curie == "dcterms:source":
                continue
            dot.edge(
                node, _node(dot, value, shape="ellipse"), label=graphviz.escape(prop.predicate.label), color="#8a8a8a"
            )
    return dot


def neighbourhood_svg(description: TermDescription) -> str:
    """The picture as SVG text (no XML prologue, so it can be inlined in a page)."""
    try:
        svg = neighbourhood(description).pipe(format="svg", encoding="utf-8")
    except graphviz.ExecutableNotFound:
        raise EnvironmentProblem(
            "Graphviz's 'dot' is missing: install the Debian package graphviz ('make system-deps')"
        ) from None
    except graphviz.CalledProcessError as exc:
        raise EnvironmentProblem(f"Graphviz failed to draw the picture: {exc.stderr or exc}") from None
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def write_svg(description: TermDescription, path: str | os.PathLike[str]) -> None:
    """Write the picture to ``path`` atomically (a standalone SVG file)."""
    svg = neighbourhood_svg(description)
    write_atomic(path, ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + svg).encode("utf-8"))
