"""Counts per top category, read from the (reasoned) graph rather than from a list kept in code."""

from __future__ import annotations

from rdflib import Graph

__all__ = ["category_counts"]

# The top categories are the ontology's root classes (no named superclass, after reasoning), so a curator
# adding a category changes this table without touching code.
_QUERY = """
SELECT ?category ?label (COUNT(DISTINCT ?sub) AS ?classes) (COUNT(DISTINCT ?ind) AS ?individuals)
WHERE {
  ?category a owl:Class .
  FILTER(STRSTARTS(STR(?category), STR(sarc:)))
  FILTER NOT EXISTS { ?category rdfs:subClassOf ?parent . FILTER(isIRI(?parent) && ?parent != owl:Thing) }
  OPTIONAL { ?category rdfs:label ?label }
  OPTIONAL { ?sub rdfs:subClassOf+ ?category . FILTER(isIRI(?sub)) }
  OPTIONAL { ?ind a owl:NamedIndividual ; a/rdfs:subClassOf* ?category }
}
GROUP BY ?category ?label
ORDER BY ?category
"""


def category_counts(graph: Graph) -> list[tuple[str, str, int, int]]:
    """(category CURIE, label, subclasses, individuals) for each top category, sorted by IRI."""
    rows = []
    for row in graph.query(_QUERY):
        curie = graph.namespace_manager.normalizeUri(row.category)
        rows.append((curie, str(row.label or ""), int(row.classes), int(row.individuals)))
    return rows
