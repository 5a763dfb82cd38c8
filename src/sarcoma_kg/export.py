"""Deterministic serialisation: the same graph gives the same bytes, every run, on every machine.

Blank nodes get canonical labels (W3C RDFC-1.0, computed by Oxigraph), triples are sorted by their N-Triples
form, and the prefix map is fixed; Oxigraph's serialisers then write them in that order.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .errors import InputError
from .fileio import write_atomic
from .graph import ox_store, to_ox
from .namespaces import PREFIXES

__all__ = ["ExportFormat", "canonical_triples", "export", "serialize"]


class ExportFormat(StrEnum):
    """Export formats; the value is what the CLI accepts."""

    TURTLE = "turtle"
    NTRIPLES = "ntriples"
    JSONLD = "jsonld"
    RDFXML = "rdfxml"

    @property
    def suffix(self) -> str:
        return {"turtle": ".ttl", "ntriples": ".nt", "jsonld": ".jsonld", "rdfxml": ".owl"}[self.value]

    @property
    def ox_format(self) -> ox.RdfFormat:
        return {
            "turtle": ox.RdfFormat.TURTLE,
            "ntriples": ox.RdfFormat.N_TRIPLES,
            "jsonld": ox.RdfFormat.JSON_LD,
            "rdfxml": ox.RdfFormat.RDF_XML,
        }[self.value]

    @classmethod
    def parse(cls, value: str) -> ExportFormat:
        try:
            return cls(value.lower())
        except ValueError:
            choices = ", ".join(f.value for f in cls)
            raise InputError(f"unknown export format '{value}' (choose one of {choices})") from None


def _ox_triples(graph: Graph):
    store = ox_store(graph)
    if store is not None:
        for quad in store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            yield quad.triple
        return
    for s, p, o in graph:
        yield ox.Triple(to_ox(s), to_ox(p), to_ox(o))


def canonical_triples(graph: Graph) -> list[ox.Triple]:
    """The graph's triples with RDFC-1.0 blank-node labels, sorted by their N-Triples form."""
    triples = list(_ox_triples(graph))
    if any(isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode) for t in triples):
        # Only blank nodes need canonical labels; a graph without them (e.g. imported cases) skips the work.
        dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        triples = [q.triple for q in dataset]
    return sorted(triples, key=str)


def serialize(graph: Graph, fmt: ExportFormat = ExportFormat.TURTLE) -> bytes:
    """The graph as bytes in ``fmt``, byte-identical for identical graphs."""
    fmt = ExportFormat(fmt)
    prefixes = PREFIXES if fmt in (ExportFormat.TURTLE, ExportFormat.RDFXML, ExportFormat.JSONLD) else None
    return ox.serialize(canonical_triples(graph), format=fmt.ox_format, prefixes=prefixes)


def export(graph: Graph, path: str | os.PathLike[str], fmt: ExportFormat = ExportFormat.TURTLE) -> Path:
    """Serialise ``graph`` to ``path`` atomically."""
    return write_atomic(path, serialize(graph, fmt))
