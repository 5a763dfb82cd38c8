"""Search as you type: an SQLite FTS5 index over the labels and synonyms of the graph's terms.

A SPARQL ``CONTAINS`` filter scans every literal and cannot rank; on a cohort-loaded graph it also returns every
case. This index is built once (``serve`` builds it at start) from ``rdfs:label``, ``oboInOwl:hasExactSynonym``
and ``oboInOwl:hasRelatedSynonym`` of the ontology's own entities (``sarc:``), patient-case nodes only when asked,
and answers in milliseconds with matches ranked by quality:

====  ==============  ======================================================
rank  match           the query, case- and accent-folded, ...
====  ==============  ======================================================
0     exact label     equals the label
1     exact synonym   equals an exact synonym
2     synonym         equals a related synonym
3     prefix          starts a name
4     word            matches whole words of a name (the last one as a prefix)
5     fuzzy           shares enough letter trigrams with a name (typos)
====  ==============  ======================================================

Within a rank, shorter names come first, then labels alphabetically, so results are deterministic.
``under`` keeps only the descendants of a class (the reasoned ``rdfs:subClassOf`` closure; an individual is under
the classes of its types).
"""

from __future__ import annotations

import difflib
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDFS

from .errors import InputError
from .graph import ox_store
from .namespaces import OBOINOWL, SH
from .queries import compact_term, inject_bindings

__all__ = ["MATCH_KINDS", "SearchHit", "SearchIndex", "fold", "select_values"]

#: Match kinds, best first; a hit's ``rank`` is its index here.
MATCH_KINDS = ("exact label", "exact synonym", "synonym", "prefix", "word", "fuzzy")
_NAME_PROPERTIES = {RDFS.label: "label", OBOINOWL.hasExactSynonym: "exact", OBOINOWL.hasRelatedSynonym: "related"}
_WORD = re.compile(r"\w+", re.UNICODE)
_FUZZY_CUTOFF = 0.7
_NOT_CLASSES = {str(OWL.NamedIndividual), str(OWL.Class), str(OWL.Thing), str(SH.NodeShape)}
_FUZZY_CANDIDATES = 400
MAX_LIMIT = 200


def fold(text: str) -> str:
    """Lower case, accents removed, runs of non-word characters made one space: what the index compares.

    >>> fold("  Alveolar soft-part Sárcoma ")
    'alveolar soft part sarcoma'
    """
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(plain))


@dataclass(frozen=True)
class SearchHit:
    """One ranked answer: the entity, its label, the name that matched and how well."""

    iri: str
    label: str
    matched: str
    match: str
    rank: int

    @property
    def curie(self) -> str:
        return compact_term(URIRef(self.iri))

    def as_json(self) -> dict[str, object]:
        return {
            "iri": self.iri,
            "curie": self.curie,
            "label": self.label,
            "matched": self.matched,
            "match": self.match,
            "rank": self.rank,
        }


_NAMES_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX sarc: <https://w3id.org/sarcoma-kg/>
SELECT ?entity ?property ?name WHERE {
  VALUES ?property { rdfs:label oboInOwl:hasExactSynonym oboInOwl:hasRelatedSynonym }
  ?entity ?property ?name .
  FILTER(isIRI(?entity) && isLiteral(?name))
  FILTER(%s)
}
"""
_ONTOLOGY_FILTER = (
    'STRSTARTS(STR(?entity), "https://w3id.org/sarcoma-kg/") '
    '&& !STRSTARTS(STR(?entity), "https://w3id.org/sarcoma-kg/kb/") '
    '&& !STRSTARTS(STR(?entity), "https://w3id.org/sarcoma-kg/case/")'
)
# Patient-case nodes: the case namespace, the knowledge base's own cases, anything typed sarc:PatientCase.
_CASE_FILTER = (
    'STRSTARTS(STR(?entity), "https://w3id.org/sarcoma-kg/case/") '
    '|| STRSTARTS(STR(?entity), "https://w3id.org/sarcoma-kg/kb/case/") '
    "|| EXISTS { ?entity a sarc:PatientCase }"
)
_SUBCLASS_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?entity ?class WHERE { ?entity rdfs:subClassOf ?class FILTER(isIRI(?entity) && isIRI(?class)) }
"""
# The types of the entities in scope only (a cohort has hundreds of thousands of typed nodes).
_TYPES_QUERY = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX sarc: <https://w3id.org/sarcoma-kg/>
SELECT DISTINCT ?entity ?class WHERE {
  VALUES ?property { rdfs:label oboInOwl:hasExactSynonym oboInOwl:hasRelatedSynonym }
  ?entity ?property ?name .
  FILTER(isIRI(?entity))
  FILTER(%s)
  ?entity a ?class .
  FILTER(isIRI(?class))
}
"""


def select_values(graph: Graph, text: str, bindings: Mapping[str, URIRef] | None = None) -> list[tuple[str, ...]]:
    """Rows of a SELECT as plain strings, straight from Oxigraph when the graph is on it (no rdflib terms,
    which cost more than the query on a cohort). ``bindings`` are bound with the project's VALUES block
    (:func:`sarcoma_kg.queries.inject_bindings`), never pasted."""
    if bindings:
        text = inject_bindings(text, bindings)
    store = ox_store(graph)
    if store is not None:
        return [tuple(term.value for term in row) for row in store.query(text)]
    return [tuple(str(term) for term in row) for row in graph.query(text)]  # pragma: no cover - memory store


def _names(graph: Graph, *, include_cases: bool) -> list[tuple[str, str, str]]:
    """(iri, name, kind) for every named entity the index covers."""
    kinds = {str(p): kind for p, kind in _NAME_PROPERTIES.items()}
    return [(iri, name, kinds[prop]) for iri, prop, name in select_values(graph, _NAMES_QUERY % _scope(include_cases))]


def _scope(include_cases: bool) -> str:
    return f"({_ONTOLOGY_FILTER}) || {_CASE_FILTER}" if include_cases else _ONTOLOGY_FILTER


def _ancestors(graph: Graph, entities: set[str], *, include_cases: bool) -> dict[str, set[str]]:
    """Each entity's named classes above it, itself included: types and subClassOf, followed transitively."""
    up: dict[str, set[str]] = {}
    for entity, cls in select_values(graph, _SUBCLASS_QUERY) + select_values(
        graph, _TYPES_QUERY % _scope(include_cases)
    ):
        if cls not in _NOT_CLASSES:
            up.setdefault(entity, set()).add(cls)
    closure: dict[str, set[str]] = {}

    def ancestors(node: str) -> set[str]:
        if node in closure:
            return closure[node]
        closure[node] = found = {node}  # set first: a cycle (equivalent classes) ends here
        for parent in up.get(node, ()):
            found |= ancestors(parent)
        return found

    return {entity: ancestors(entity) for entity in entities}


class SearchIndex:
    """An in-memory SQLite index (FTS5 word and trigram tables); safe to share between threads."""

    def __init__(self, rows: Iterable[tuple[str, str, str]], ancestors: dict[str, set[str]]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        db = self._db
        db.executescript(
            """
            CREATE TABLE name (id INTEGER PRIMARY KEY, iri TEXT, label TEXT, name TEXT, kind TEXT, folded TEXT);
            CREATE INDEX name_folded ON name (folded);
            CREATE VIRTUAL TABLE word USING fts5(folded, content='name', content_rowid='id',
                                                 tokenize='unicode61 remove_diacritics 2');
            CREATE VIRTUAL TABLE gram USING fts5(folded, content='name', content_rowid='id', tokenize='trigram');
            CREATE TABLE ancestor (iri TEXT, ancestor TEXT, PRIMARY KEY (ancestor, iri)) WITHOUT ROWID;
            """
        )
        rows = sorted(set(rows))
        labels: dict[str, str] = {}
        for iri, name, kind in rows:
            if kind == "label":
                labels.setdefault(iri, name)
        db.executemany(
            "INSERT INTO name (iri, label, name, kind, folded) VALUES (?, ?, ?, ?, ?)",
            [(iri, labels.get(iri, name), name, kind, fold(name)) for iri, name, kind in rows],
        )
        db.execute("INSERT INTO word (word) VALUES ('rebuild')")
        db.execute("INSERT INTO gram (gram) VALUES ('rebuild')")
        db.executemany(
            "INSERT OR IGNORE INTO ancestor VALUES (?, ?)",
            [(iri, up) for iri, ups in ancestors.items() for up in ups],
        )
        db.commit()
        self.size = len(rows)

    @classmethod
    def from_graph(cls, graph: Graph, *, include_cases: bool = False) -> SearchIndex:
        """Index ``graph``'s ontology terms (and its patient-case nodes with ``include_cases``)."""
        rows = _names(graph, include_cases=include_cases)
        return cls(rows, _ancestors(graph, {iri for iri, _, _ in rows}, include_cases=include_cases))

    # -- querying -------------------------------------------------------------------------------------------
    def search(self, text: str, *, limit: int = 20, under: str | None = None) -> list[SearchHit]:
        """The entities whose label or synonym matches ``text``, best first, at most ``limit``.

        ``under`` (a full IRI) keeps only its descendants (itself included).
        """
        if not 1 <= limit <= MAX_LIMIT:
            raise InputError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
        query = fold(text)
        if not query:
            return []
        with self._lock:
            if (
                under is not None
                and not self._db.execute("SELECT 1 FROM ancestor WHERE ancestor = ? LIMIT 1", (under,)).fetchone()
            ):
                raise InputError(f"'{compact_term(URIRef(under))}' is not a class of the graph: nothing is under it")
            best: dict[str, tuple[tuple, SearchHit]] = {}
            for row_id, iri, label, name, _kind, folded, rank, closeness in self._candidates(query):
                hit = SearchHit(iri, label, name, MATCH_KINDS[rank], rank)
                key = (rank, -closeness, len(folded), fold(label), iri, row_id)
                if iri not in best or key < best[iri][0]:
                    best[iri] = (key, hit)
            if under is not None and best:
                marks = ",".join("?" * len(best))
                inside = {
                    r[0]
                    for r in self._db.execute(
                        f"SELECT iri FROM ancestor WHERE ancestor = ? AND iri IN ({marks})", (under, *best)
                    )
                }
                best = {iri: value for iri, value in best.items() if iri in inside}
        return [hit for _, hit in sorted(best.values(), key=lambda kv: kv[0])[:limit]]

    def _candidates(self, query: str) -> Iterator[tuple]:
        db = self._db
        columns = "name.id, name.iri, name.label, name.name, name.kind, name.folded"
        exact_rank = {"label": 0, "exact": 1, "related": 2}
        for row in db.execute(f"SELECT {columns} FROM name WHERE folded = ?", (query,)):
            yield (*row, exact_rank[row[4]], 0.0)
        # Prefix: a range on the folded name (uses the index; no LIKE wildcards to escape).
        for row in db.execute(
            f"SELECT {columns} FROM name WHERE folded > ? AND folded < ?", (query, query + "\U0010ffff")
        ):
            yield (*row, 3, 0.0)
        words = query.split()
        # FTS5 query syntax: every word quoted (folded words hold no quote), the last as a prefix.
        match = " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'
        for row in db.execute(
            f"SELECT {columns} FROM word JOIN name ON name.id = word.rowid WHERE word MATCH ?", (match,)
        ):
            yield (*row, 4, 0.0)
        grams = sorted({query[i : i + 3] for i in range(len(query) - 2)})
        if grams:
            gram_match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
            rows = db.execute(
                f"SELECT {columns} FROM gram JOIN name ON name.id = gram.rowid WHERE gram MATCH ? "
                "ORDER BY bm25(gram) LIMIT ?",
                (gram_match, _FUZZY_CANDIDATES),
            ).fetchall()
            for row in rows:
                closeness = _closeness(query, row[5])
                if closeness >= _FUZZY_CUTOFF:
                    yield (*row, 5, closeness)


def _closeness(query: str, folded: str) -> float:
    """How close ``query`` is to the name as a whole or to a run of as many of its words (1.0 = equal).

    A run of words counts a little less than the whole name, so a typo of the full name ranks first.
    """
    whole = difflib.SequenceMatcher(None, query, folded).ratio()
    span = len(query.split())
    words = folded.split()
    runs = [
        difflib.SequenceMatcher(None, query, " ".join(words[i : i + span])).ratio() * 0.9
        for i in range(len(words) - span + 1)
    ]
    return max([whole, *runs])
