"""Patient cases from a researcher's spreadsheet: read, check every row, resolve terms, build RDF, validate.

A spreadsheet (CSV or TSV as a spreadsheet program exports it, in UTF-8 or UTF-16 with BOM, or a workbook read
with python-calamine) has one case per row; every row is accounted for, one that cannot be read as the header's
cells (extra cells, a missing delimiter, an unclosed quote) being a row error like a bad value. Every term in it
(diagnosis, sites, therapies, grade, sex, recorded stage) is resolved through the ontology itself, by label, exact
synonym, CURIE (``sarc:Thigh``) or verified cross-reference (``NCIT:C3750``), case-insensitively, so a researcher
writes what they would write anyway and the graph gets the ontology's classes. Every problem in every row is
collected before anything is written: one run tells the researcher everything to fix.

The RDF follows docs/model.md "Patient cases": ``case:<id>`` (id percent-encoded) with its tumour, primary site,
metastasis and therapy nodes, each an instance of the resolved class, all citing one ``sarc:SourceDocument`` that
describes the spreadsheet by file name only (no paths or timestamps: the same spreadsheet gives the same bytes).

Decisions, documented in the README:

- Rows are numbered as a spreadsheet program numbers them: the header is row 1, the first case row 2; every
  problem also names the row's ``case_id``.
- With ``;`` as the delimiter, ``4,5`` in a number cell is 4.5 (the comma cannot be the delimiter there); with
  any other delimiter it is refused, and so is a thousands separator (``1.234,5``) or a unit (``12 cm``).
- A blank grade is recorded as ``sarc:UnknownGrade``: "blank" and "unknown" both mean the grade is not known, and
  PDQ stages unknown grade with low grade.
- A blank ``nodal_spread`` or ``distant_metastasis`` is left out of the graph (unknown); the staging query then
  reports a stage only when every possible value would give the same one.
"""

from __future__ import annotations

import codecs
import collections
import csv
import dataclasses
import functools
import io
import itertools
import json
import os
import random
import re
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rapidfuzz import fuzz
from rapidfuzz import process as rf_process
from rdflib import Graph, Namespace, URIRef

from .errors import InputError
from .graph import new_graph, ox_store
from .namespaces import CASE, DCTERMS, OWL, PREFIXES, RDF, RDFS, SARC, XSD
from .progress import progress

__all__ = [
    "CASE_COLUMNS",
    "REQUIRED_COLUMNS",
    "VALIDATION_BATCH",
    "CaseImport",
    "CaseImportError",
    "CaseNodes",
    "CaseRecord",
    "NoCasesError",
    "RowProblem",
    "Spreadsheet",
    "StreamedImport",
    "TermIndex",
    "Vocabulary",
    "build_term_index",
    "case_nodes",
    "cases_graph",
    "cases_ntriples",
    "generate_cases",
    "import_cases",
    "import_spreadsheet",
    "ntriples_turtle",
    "parse_cases",
    "parse_spreadsheet",
    "read_spreadsheet",
    "source_node",
    "spreadsheet_csv",
    "stream_cases",
]

CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "diagnosis",
    "primary_site",
    "size_cm",
    "grade",
    "nodal_spread",
    "distant_metastasis",
    "metastasis_sites",
    "age",
    "sex",
    "therapies",
    "disease_status",
    "prior_radiation",
    "resectable",
    "recorded_stage",
)
"""Every column the importer reads, in the order the generator writes them."""

REQUIRED_COLUMNS: tuple[str, ...] = CASE_COLUMNS[:7]
"""Columns that must be present in the header (their cells may be blank where the column allows it)."""

_LIST_SEPARATOR = ";"
_BOOLEANS = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False, "0": False}
_MAX_AGE = Decimal(120)


# --------------------------------------------------------------------------------------------------------------
# Problems
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class RowProblem:
    """One thing wrong with one cell (or, with ``row`` 1, with the header), written for the researcher.

    ``case_id`` is the researcher's own name for the row (blank when the row has none): a row number alone is hard
    to find again once a sheet has been sorted or filtered.

    >>> str(RowProblem(4, "size_cm", "-2", "must be a number greater than 0", "P-004"))
    "row 4 (case P-004), column size_cm, value '-2': must be a number greater than 0"
    """

    row: int
    column: str
    value: str
    reason: str
    case_id: str = ""

    def __str__(self) -> str:
        if self.row <= 1:
            return f"header, column {self.column}: {self.reason}"
        case = f" (case {self.case_id})" if self.case_id else ""
        return f"row {self.row}{case}, column {self.column}, value {self.value!r}: {self.reason}"


def _skipped_rows(problems: Iterable[RowProblem]) -> tuple[int, ...]:
    """The rows that ``problems`` keep out of an import, sorted, each once (header problems, on row 1, are not a row
    of cases). The one count of skipped rows: the import results and the "every row is bad" error use it.

    >>> _skipped_rows([RowProblem(3, "age", "x", "bad"), RowProblem(3, "sex", "y", "bad"), RowProblem(2, "a", "", "")])
    (2, 3)
    """
    return tuple(sorted({p.row for p in problems if p.row > 1}))


def _name_cases(problems: Iterable[RowProblem], case_ids: Mapping[int, str]) -> list[RowProblem]:
    """``problems`` with each row's ``case_id`` filled in (problems found later, e.g. by the shapes, lack it)."""
    return [p if p.case_id or p.row <= 1 else dataclasses.replace(p, case_id=case_ids.get(p.row, "")) for p in problems]


class CaseImportError(InputError):
    """A spreadsheet has problems; ``problems`` lists every one of them, sorted by row and column."""

    def __init__(
        self,
        source: str,
        problems: Sequence[RowProblem],
        *,
        warnings: Sequence[RowProblem] = (),
        ignored_columns: Sequence[str] = (),
        message: str | None = None,
    ) -> None:
        self.source = source
        self.problems = tuple(sorted(problems))
        self.warnings = tuple(sorted(warnings))
        self.ignored_columns = tuple(ignored_columns)
        rows = {p.row for p in self.problems if p.row > 1}
        where = f" in {len(rows)} row(s)" if rows else ""
        super().__init__(message or f"{source}: {len(self.problems)} problem(s){where}; nothing was written")


class NoCasesError(CaseImportError):
    """Nothing is left to write (a header-only sheet, or every row bad with ``skip_invalid``): writing an empty graph
    over a previous output would lose it silently, so it takes ``allow_empty``."""


# --------------------------------------------------------------------------------------------------------------
# Vocabularies: the ontology's terms, looked up case-insensitively
# --------------------------------------------------------------------------------------------------------------


def _key(text: str) -> str:
    """The lookup form of a term: case-folded, inner whitespace collapsed.

    >>> _key("  Alveolar   Soft Part SARCOMA ")
    'alveolar soft part sarcoma'
    """
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """The known terms of one column: lookup keys to IRIs, and the names offered as suggestions."""

    name: str
    terms: Mapping[str, URIRef] = field(repr=False)
    suggestions: tuple[str, ...] = field(default=(), repr=False)
    _seen: dict[str, URIRef | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _hints: dict[tuple[str, int], list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def resolve(self, text: str) -> URIRef | None:
        """The IRI a cell names, or None; each distinct cell text is looked up once per import (a 50k-row sheet
        has a few hundred distinct terms)."""
        try:
            return self._seen[text]
        except KeyError:
            if len(self._seen) >= _MEMO_LIMIT:  # the index outlives an import: bound what it remembers
                self._seen.clear()
            found = self._seen[text] = self.terms.get(_key(text))
            return found

    def closest(self, text: str, n: int = 3) -> list[str]:
        """Up to ``n`` known names most like ``text`` (see ``_closest``), computed once per distinct text: a sheet
        with the same misspelling in thousands of rows scores it against the vocabulary once."""
        key = (text, n)
        if key not in self._hints:
            if len(self._hints) >= _MEMO_LIMIT:
                self._hints.clear()
            self._hints[key] = self._closest(text, n)
        return list(self._hints[key])

    def _closest(self, text: str, n: int) -> list[str]:
        """Up to ``n`` known names (labels and exact synonyms) most like ``text``, for "did you mean" hints.

        rapidfuzz, case-insensitively: first the token-set ratio (word order and extra words do not count, so
        "MPNST left thigh" offers "MPNST") with a cut-off of 85 of 100; when nothing passes, the plain ratio
        with a cut-off of 70, which catches a typo in a short word ("lunk" -> "lung"). A noise word offers
        nothing rather than a random disease (difflib's character ratio once offered "Kaposi sarcoma" for
        "LIPOSARCOMA"). Ties go to the shorter, then alphabetically first, name: the same hints on every run.
        """
        by_key: dict[str, str] = {}
        for name in self.suggestions:
            by_key.setdefault(_key(name), name)
        choices = sorted(by_key)
        for scorer, cutoff in _SUGGESTION_SCORERS:
            scored = rf_process.extract(_key(text), choices, scorer=scorer, score_cutoff=cutoff, limit=None)
            if scored:
                ranked = sorted(scored, key=lambda m: (-round(m[1], 6), len(m[0]), m[0]))
                return [by_key[key] for key, _score, _i in ranked[:n]]
        return []


_SUGGESTION_SCORERS = ((fuzz.token_set_ratio, 85.0), (fuzz.ratio, 70.0))
_MEMO_LIMIT = 100_000


@dataclass(frozen=True)
class TermIndex:
    """Every vocabulary the importer needs, built once from the reasoned graph, plus labels for node names."""

    diagnoses: Vocabulary
    sites: Vocabulary
    therapies: Vocabulary
    grades: Vocabulary
    sexes: Vocabulary
    stages: Vocabulary
    labels: Mapping[URIRef, str] = field(repr=False)
    notations: Mapping[URIRef, str] = field(repr=False)
    bone_sarcomas: frozenset[URIRef] = field(default=frozenset(), repr=False)
    statuses: Vocabulary = field(default_factory=lambda: Vocabulary("statuses", {}))

    def label(self, iri: URIRef) -> str:
        """The English label of a term (its local name when it has none)."""
        return self.labels.get(iri) or _local_name(iri)


_CLASS_TERMS_QUERY = """
PREFIX sarc: <https://w3id.org/sarcoma-kg/>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
SELECT DISTINCT ?category ?term ?kind ?text WHERE {
  VALUES (?category ?root) {
    ("diagnoses" sarc:Disease) ("sites" sarc:AnatomicalEntity)
    ("therapies" sarc:Therapy) ("therapies" sarc:TherapeuticProcedure) ("therapies" sarc:Drug)
    ("bone_sarcomas" sarc:BoneSarcoma)
  }
  ?term rdfs:subClassOf* ?root .
  FILTER(isIRI(?term))
  FILTER NOT EXISTS { ?term owl:deprecated true }
  { ?term rdfs:label ?text BIND(0 AS ?kind) }
  UNION { ?term oboInOwl:hasExactSynonym ?text BIND(1 AS ?kind) }
  UNION { ?term oboInOwl:hasDbXref ?text BIND(2 AS ?kind) }
}
"""

_VALUE_TERMS_QUERY = """
PREFIX sarc: <https://w3id.org/sarcoma-kg/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
SELECT DISTINCT ?category ?term ?kind ?text WHERE {
  VALUES (?category ?set) {
    ("grades" sarc:TumourGrade) ("sexes" sarc:Sex) ("stages" sarc:Stage) ("statuses" sarc:DiseaseStatus)
  }
  ?term a ?set .
  FILTER(isIRI(?term))
  { ?term rdfs:label ?text BIND(0 AS ?kind) }
  UNION { ?term skos:notation ?text BIND(0 AS ?kind) }
  UNION { ?term oboInOwl:hasExactSynonym ?text BIND(1 AS ?kind) }
}
"""

_KIND_LABEL, _KIND_SYNONYM, _KIND_XREF, _KIND_DERIVED = 0, 1, 2, 3


def _curie(iri: str) -> str:
    """``sarc:Name`` for our terms, ``PREFIX:ID`` for an OBO PURL (``obo:NCIT_C3194`` -> ``NCIT:C3194``).

    >>> _curie("http://purl.obolibrary.org/obo/NCIT_C3194")
    'NCIT:C3194'
    """
    text = str(iri)
    if text.startswith(_OBO_PURL) and "_" in text[len(_OBO_PURL) :]:
        return text[len(_OBO_PURL) :].replace("_", ":", 1)
    return f"sarc:{_local_name(iri)}"


_OBO_PURL = "http://purl.obolibrary.org/obo/"


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", str(iri))[-1]


def _select(graph: Graph, query: str) -> list[tuple]:
    return [tuple(row) for row in graph.query(query)]


def build_term_index(graph: Graph) -> TermIndex:
    """Look-ups for every column, from the reasoned ontology in ``graph`` (one pass, two queries).

    Diagnoses are the classes under sarc:Disease, sites those under sarc:AnatomicalEntity, therapies those under
    sarc:Therapy (procedures and, through HermiT's classification, drugs). Each is found by its label, exact
    synonyms, ``sarc:`` CURIE, full IRI and verified cross-references. Grades, sexes and stages are the value-set
    individuals, found by label, synonym and notation (a grade also without its trailing "grade": "low",
    "intermediate"; a stage also without its leading "stage": "IA").
    """
    entries: dict[str, list[tuple[int, str, URIRef, str]]] = {}
    labels: dict[URIRef, str] = {}
    notations: dict[URIRef, str] = {}
    rows = _select(graph, _CLASS_TERMS_QUERY) + _select(graph, _VALUE_TERMS_QUERY)
    for category, term, kind, text in rows:
        iri, kind, text = URIRef(str(term)), int(kind), str(text)
        bucket = entries.setdefault(str(category), [])
        bucket.append((kind, _key(text), iri, text))
        if kind == _KIND_LABEL and str(category) == "stages" and " " not in text.strip():
            notations[iri] = text.strip()
        elif kind == _KIND_LABEL and (iri not in labels or text < labels[iri]):
            labels[iri] = text
    for category, bucket in entries.items():
        for iri in {e[2] for e in bucket}:
            bucket.append((_KIND_DERIVED, _key(_curie(iri)), iri, ""))
            bucket.append((_KIND_DERIVED, _key(str(iri)), iri, ""))
        if category in ("grades", "stages"):
            for kind, key, iri, _text in list(bucket):
                if kind in (_KIND_LABEL, _KIND_SYNONYM):
                    short = re.sub(r"^stage\s+|\s+grade$", "", key)
                    if short != key:
                        bucket.append((_KIND_DERIVED, short, iri, ""))

    def vocabulary(name: str) -> Vocabulary:
        terms: dict[str, URIRef] = {}
        suggestions: set[str] = set()
        for kind, key, iri, text in sorted(entries.get(name, []), key=lambda e: (e[0], e[1], str(e[2]))):
            terms.setdefault(key, iri)
            if kind in (_KIND_LABEL, _KIND_SYNONYM):
                suggestions.add(text)
        return Vocabulary(name, terms, tuple(sorted(suggestions, key=str.casefold)))

    return TermIndex(
        diagnoses=vocabulary("diagnoses"),
        sites=vocabulary("sites"),
        therapies=vocabulary("therapies"),
        grades=vocabulary("grades"),
        sexes=vocabulary("sexes"),
        stages=vocabulary("stages"),
        statuses=vocabulary("statuses"),
        labels=labels,
        notations=notations,
        bone_sarcomas=frozenset(e[2] for e in entries.get("bone_sarcomas", [])),
    )


# --------------------------------------------------------------------------------------------------------------
# Reading the spreadsheet
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spreadsheet:
    """A spreadsheet's header (normalised column names) and its non-empty rows, numbered as a spreadsheet does.

    ``problems`` are the rows that could not be read as cells at all (a quote never closed, more or fewer cells than
    the header): they are not in ``rows``, and each counts as a bad row. ``decimal_comma`` says that ``5,5`` in a
    number cell means 5.5 (the delimiter is ``;``, as in a European export, so the comma is unambiguous).
    """

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]
    problems: tuple[RowProblem, ...] = ()
    decimal_comma: bool = False


def _normalise_column(name: str) -> str:
    """Header cells compare case-insensitively, with spaces or hyphens standing for underscores.

    >>> _normalise_column(" Primary Site ")
    'primary_site'
    """
    return re.sub(r"[\s\-]+", "_", name.strip()).casefold()


def _delimiter(name: str, first_line: str) -> str:
    """Tab for .tsv/.tab files; otherwise the header tells: tabs or semicolons without commas mean that separator."""
    if Path(name).suffix.lower() in (".tsv", ".tab"):
        return "\t"
    if "," not in first_line:
        if "\t" in first_line:
            return "\t"
        if ";" in first_line:
            return ";"
    return ","


_BEYOND_HEADER = "(beyond the header)"


class _SheetBuilder:
    """Turns records (lists of cells) into numbered rows, checking each against the header's width.

    Every record keeps its number, so a row that cannot be read is reported and counted, never dropped: a row with
    more non-empty cells than the header (the extra cells would be lost), or fewer (a delimiter is missing, the
    cells after it would be read into the wrong columns).
    """

    def __init__(self, name: str, header: Sequence[str]) -> None:
        self.name = name
        self.columns = tuple(_normalise_column(c) for c in header)
        while self.columns and not self.columns[-1]:  # trailing empty header cells (an exported blank column)
            self.columns = self.columns[:-1]
        self.problems: list[RowProblem] = []
        self._case_at = self.columns.index("case_id") if "case_id" in self.columns else None

    def case_id(self, cells: Sequence[str]) -> str:
        at = self._case_at
        return cells[at].strip() if at is not None and at < len(cells) else ""

    def broken(self, number: int, cells: Sequence[str], column: str, value: str, reason: str) -> None:
        self.problems.append(RowProblem(number, column, value, reason, self.case_id(cells)))

    def add(self, number: int, cells: Sequence[str]) -> tuple[int, Mapping[str, str]] | None:
        """The numbered row of ``cells``, or None for a blank record or one that cannot be read (a problem)."""
        if not any(cell.strip() for cell in cells):
            return None
        width = len(self.columns)
        extra = [cell for cell in cells[width:] if cell.strip()]
        if extra:
            self.broken(number, cells, _BEYOND_HEADER, extra[0],
                        f"the row has {len(cells)} cells but the header only {width}: the extra cells would be lost; "
                        "give their column a header or remove them")  # fmt: skip
            return None
        if len(cells) < width:
            self.broken(number, cells, self.columns[len(cells)], "",
                        f"the row has {len(cells)} cells but the header {width}: a delimiter is missing, so cells "
                        "would land in the wrong columns")  # fmt: skip
            return None
        return number, dict(zip(self.columns, cells, strict=False))


@dataclass
class _SheetStream:
    """A spreadsheet read as it is consumed: the header at once, the rows one at a time (a 200k-row sheet is never
    held whole). ``problems`` (rows that cannot be read as cells) is complete once ``rows`` is exhausted."""

    name: str
    columns: tuple[str, ...]
    rows: Iterator[tuple[int, Mapping[str, str]]]
    problems: list[RowProblem]
    decimal_comma: bool = False

    def sheet(self) -> Spreadsheet:
        """Every row read into a ``Spreadsheet``."""
        rows = tuple(self.rows)
        return Spreadsheet(self.name, self.columns, rows, tuple(self.problems), self.decimal_comma)


class _Lines:
    """Physical lines from an iterator, handed to the CSV reader one at a time (it never reads ahead) and kept from
    the start of the current record, so reading can go back to the line after a record's first line."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._source = lines
        self._kept: collections.deque[str] = collections.deque()
        self._first = 0  # the number of the first kept line
        self.position = 0  # the number of the next line to hand out

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        at = self.position - self._first
        if at < len(self._kept):
            line = self._kept[at]
        else:
            line = next(self._source)
            self._kept.append(line)
        self.position += 1
        return line

    def keep_from(self, position: int) -> None:
        """Forget the lines before ``position`` (a record starting there is the earliest reading may go back to)."""
        while self._first < position and self._kept:
            self._kept.popleft()
            self._first += 1


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")
_TERMINATED_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)")


def parse_spreadsheet(text: str, name: str) -> Spreadsheet:
    """Parse spreadsheet text (a BOM and CRLF line endings are fine); rows with no content are skipped.

    A record that runs over several lines and then does not fit the header (or puts a line break in a case column)
    is an unclosed quote: that row is reported, and reading goes on at the next line, so the rows the quote would
    have swallowed are read (and counted) as themselves.
    """
    return _stream_text(iter(_LINE.findall(text)), name).sheet()


def _stream_text(lines: Iterator[str], name: str) -> _SheetStream:
    """The header now, the rows as they are read (see ``parse_spreadsheet``)."""
    first = next(lines, None)
    if first is not None:
        first = first.removeprefix("\ufeff")
    if not first:
        raise CaseImportError(name, [RowProblem(1, "case_id", "", "the file is empty: expected a header row")])
    delimiter = _delimiter(name, first)
    header = next(csv.reader([first], delimiter=delimiter, strict=False), [])
    builder = _SheetBuilder(name, header)
    return _SheetStream(name, builder.columns, _rows(_Lines(lines), builder, delimiter), builder.problems,
                        delimiter == ";")  # fmt: skip


def _rows(feed: _Lines, builder: _SheetBuilder, delimiter: str) -> Iterator[tuple[int, Mapping[str, str]]]:
    columns = builder.columns
    number, restart = 1, True
    while restart:
        restart = False
        position = feed.position
        for cells in csv.reader(feed, delimiter=delimiter, strict=False):
            first, position = position, feed.position
            number += 1
            if position - first > 1:
                spans = [i for i, cell in enumerate(cells) if "\n" in cell or "\r" in cell]
                in_case_column = any(i < len(columns) and columns[i] in CASE_COLUMNS for i in spans)
                if spans and (in_case_column or len(cells) != len(columns)):
                    at = spans[0]
                    builder.broken(number, cells, columns[at] if at < len(columns) else _BEYOND_HEADER,
                                   cells[at].split("\n", 1)[0].split("\r", 1)[0],
                                   f"a quote opened in this cell is never closed (it would swallow the next "
                                   f"{position - first - 1} line(s)); close or remove the quote")  # fmt: skip
                    feed.position = first + 1
                    restart = True
                    break
            feed.keep_from(position)
            row = builder.add(number, cells)
            if row is not None:
                yield row


_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
_ZIP_MAGIC, _OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


def _workbook_cell(value: object) -> str:
    """A workbook cell as the text a CSV export would hold: whole numbers without ``.0``, booleans as yes/no.

    >>> [_workbook_cell(v) for v in (8.5, 22.0, 7, True, None, " thigh ")]
    ['8.5', '22', '7', 'yes', '', ' thigh ']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _read_workbook(file: Path, sheet: str | None) -> _SheetStream:
    """The first sheet of a workbook (or the one named ``sheet``), read with python-calamine."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(file))
        names = list(workbook.sheet_names)
        if sheet is not None and sheet not in names:
            listed = ", ".join(repr(n) for n in names)
            raise InputError(f"{file}: no sheet named {sheet!r}; the workbook has {listed}")
        if not names:
            raise InputError(f"{file}: the workbook has no sheet")
        cells = workbook.get_sheet_by_name(sheet if sheet is not None else names[0]).to_python(skip_empty_area=False)
    except InputError:
        raise
    except (CalamineError, OSError, ValueError) as exc:
        raise InputError(f"{file}: not a readable workbook: {exc}") from exc
    if not cells:
        raise CaseImportError(file.name, [RowProblem(1, "case_id", "", "the sheet is empty: expected a header row")])
    builder = _SheetBuilder(file.name, [_workbook_cell(c) for c in cells[0]])
    rows = (builder.add(number, [_workbook_cell(c) for c in row]) for number, row in enumerate(cells[1:], start=2))
    return _SheetStream(file.name, builder.columns, (row for row in rows if row is not None), builder.problems)


_READ_CHUNK = 1 << 20


def _decoded_lines(file: Path) -> Iterator[str]:
    """The physical lines of a text spreadsheet, decoded a chunk at a time: UTF-8 (with or without BOM) or UTF-16
    with BOM (Excel's "Unicode Text"). A decoding error names its byte in the whole file."""
    try:
        handle = file.open("rb")
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    with handle:
        data = _read(handle, file)
        utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
        bare_utf16 = b"\x00" in data[:200]
        decoder = codecs.getincrementaldecoder("utf-16" if utf16 else "utf-8-sig")()
        fed, rest = 0, ""
        while True:
            final = not data
            pending = len(decoder.getstate()[0])
            try:
                text = rest + decoder.decode(data, final=final)
            except UnicodeDecodeError as exc:
                at = fed - pending + exc.start
                if utf16:
                    raise InputError(f"{file}: damaged UTF-16 text (byte {at})") from exc
                kind = ("UTF-16 text without a byte-order mark" if bare_utf16
                        else "not UTF-8 text (perhaps Windows-1252 or Latin-1)")  # fmt: skip
                raise InputError(
                    f"{file}: {kind} at byte {at}; save the spreadsheet as 'CSV UTF-8', 'Unicode Text' or .xlsx"
                ) from exc
            fed += len(data)
            end = 0
            for line in _TERMINATED_LINE.finditer(text):
                if not final and line.end() == len(text) and text.endswith("\r"):
                    break  # perhaps the first half of a CRLF split between chunks
                yield line.group()
                end = line.end()
            rest = text[end:]
            if final:
                if rest:
                    yield rest
                return
            data = _read(handle, file)


def _read(handle: BinaryIO, file: Path) -> bytes:
    try:
        return handle.read(_READ_CHUNK)
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc


def _open_spreadsheet(path: str | os.PathLike[str], *, sheet: str | None = None) -> _SheetStream:
    """The header of a spreadsheet and its rows as they are read (see ``read_spreadsheet``)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    if magic in (_ZIP_MAGIC, _OLE_MAGIC) or file.suffix.lower() in _WORKBOOK_SUFFIXES:
        return _read_workbook(file, sheet)
    if sheet is not None:
        raise InputError(f"--sheet {sheet}: {file.name} is not a workbook (the option is for .xlsx, .xls, .ods)")
    return _stream_text(_decoded_lines(file), file.name)


def read_spreadsheet(path: str | os.PathLike[str], *, sheet: str | None = None) -> Spreadsheet:
    """Read a spreadsheet: CSV/TSV (UTF-8 with or without BOM, or UTF-16 with BOM) or a workbook (.xlsx, .xls,
    .ods: the first sheet, or the one named ``sheet``)."""
    return _open_spreadsheet(path, sheet=sheet).sheet()


# --------------------------------------------------------------------------------------------------------------
# Checking rows
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRecord:
    """One checked row: every term resolved to an IRI, every value typed. None means "not recorded"."""

    row: int
    case_id: str
    diagnosis: URIRef
    primary_site: URIRef
    size_cm: Decimal
    grade: URIRef
    nodal_spread: bool | None
    distant_metastasis: bool | None
    metastasis_sites: tuple[URIRef, ...] = ()
    age: Decimal | None = None
    sex: URIRef | None = None
    therapies: tuple[URIRef, ...] = ()
    recorded_stage: URIRef | None = None
    disease_status: URIRef | None = None
    prior_radiation: bool | None = None
    resectable: bool | None = None


def _unknown_term(vocabulary: Vocabulary, text: str, what: str) -> str:
    hints = vocabulary.closest(text)
    search = "search the ontology's names with: sarcoma-kg query entity-search --param text=WORD"
    if hints:
        return f"unknown {what}; closest known: " + ", ".join(repr(h) for h in hints) + f" ({search})"
    return f"unknown {what}; no similar term in the ontology ({search})"


def _bone_sarcoma(label: str) -> str:
    return (
        f"{label} is a bone sarcoma, not a soft tissue sarcoma: the soft tissue staging tables (003) do not "
        "apply, so sarcoma-kg neither stages it nor lists soft tissue sarcoma options for it"
    )


class _RowChecker:
    """Checks the cells of one row, collecting a problem per bad cell instead of stopping at the first."""

    def __init__(self, number: int, cells: Mapping[str, str], index: TermIndex, *, decimal_comma: bool = False) -> None:
        self.number = number
        self.cells = cells
        self.index = index
        self.decimal_comma = decimal_comma
        self.case_id = (cells.get("case_id") or "").strip()
        self.problems: list[RowProblem] = []

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def problem(self, column: str, value: str, reason: str) -> None:
        self.problems.append(RowProblem(self.number, column, value, reason, self.case_id))

    def term(self, column: str, vocabulary: Vocabulary, what: str, *, required: bool) -> URIRef | None:
        value = self.text(column)
        if not value:
            if required:
                self.problem(column, value, f"a {what} is required")
            return None
        iri = vocabulary.resolve(value)
        if iri is None:
            self.problem(column, value, _unknown_term(vocabulary, value, what))
        return iri

    def terms(self, column: str, vocabulary: Vocabulary, what: str) -> tuple[URIRef, ...]:
        value = self.text(column)
        found: list[URIRef] = []
        for part in (p.strip() for p in value.split(_LIST_SEPARATOR)):
            if not part:
                continue
            iri = vocabulary.resolve(part)
            if iri is None:
                self.problem(column, part, _unknown_term(vocabulary, part, what))
            elif iri not in found:
                found.append(iri)
        return tuple(found)

    def number_value(self, column: str, *, required: bool, minimum_exclusive: bool, maximum: Decimal | None = None):
        value = self.text(column)
        if not value:
            if required:
                self.problem(column, value, "a number is required")
            return None
        bound = "greater than 0" if minimum_exclusive else "0 or more"
        written = value
        if self.decimal_comma and _DECIMAL_COMMA.fullmatch(value):
            written = value.replace(",", ".")
        try:
            number = Decimal(written)
        except InvalidOperation:
            self.problem(column, value, f"must be a number {bound}{_number_hint(column, value)}")
            return None
        if not number.is_finite() or number < 0 or (minimum_exclusive and number == 0):
            self.problem(column, value, f"must be a number {bound}")
            return None
        if maximum is not None and number > maximum:
            self.problem(column, value, f"must be a number not above {maximum}")
            return None
        return number

    def boolean(self, column: str) -> bool | None:
        value = self.text(column)
        if not value:
            return None
        try:
            return _BOOLEANS[value.casefold()]
        except KeyError:
            self.problem(column, value, "must be yes or no (also true/false, 1/0), or blank when not known")
            return None


_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
_WITH_UNIT = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*([^\d\s.,]+\.?)")
_UNIT_OF = {"size_cm": "cm", "age": "years"}


def _number_hint(column: str, value: str) -> str:
    """Why a number cell was refused, when the cell says enough to tell: a unit written in, or a decimal comma.

    >>> _number_hint("size_cm", "12 cm")
    " (drop the unit: write '12'; the column is in cm)"
    >>> _number_hint("size_cm", "4,5")
    ' (use a decimal point, not a comma)'
    """
    with_unit = _WITH_UNIT.fullmatch(value)
    if with_unit:
        unit = _UNIT_OF.get(column)
        where = f"; the column is in {unit}" if unit else ""
        return f" (drop the unit: write {with_unit.group(1)!r}{where})"
    if _DECIMAL_COMMA.fullmatch(value):
        return " (use a decimal point, not a comma)"
    return ""


def parse_cases(sheet: Spreadsheet, index: TermIndex) -> tuple[list[CaseRecord], list[RowProblem]]:
    """Check every row of ``sheet``: the good rows as records, and every problem found in the bad ones.

    A missing required column is one problem naming it (rows are then not checked: every one would fail). Rows
    that could not be read as cells (``sheet.problems``) are bad rows like any other.
    """
    problems = _header_problems(sheet.columns)
    if problems:
        return [], problems
    problems.extend(sheet.problems)
    records: list[CaseRecord] = []
    check = _check_row(index, sheet.decimal_comma)
    for number, cells in progress(sheet.rows, desc=f"checking {sheet.name}", unit="row"):
        record, found = check(number, cells)
        problems.extend(found)
        if record is not None:
            records.append(record)
    return records, problems


def _header_problems(columns: Sequence[str]) -> list[RowProblem]:
    """A required column missing, or a case column given twice: rows are then not checked (every one would fail)."""
    problems = [RowProblem(1, column, "", f"required column {column!r} is missing from the header")
                for column in REQUIRED_COLUMNS if column not in columns]  # fmt: skip
    seen_columns: set[str] = set()
    for column in columns:
        if column in seen_columns and column in CASE_COLUMNS:
            problems.append(RowProblem(1, column, "", f"column {column!r} appears more than once"))
        seen_columns.add(column)
    return problems


def _check_row(
    index: TermIndex, decimal_comma: bool
) -> Callable[[int, Mapping[str, str]], tuple[CaseRecord | None, list[RowProblem]]]:
    """A checker of one row at a time: the row's record when it is good, and its problems (each naming the row's
    case_id). It remembers every case_id seen, to find duplicates across the whole sheet."""
    first_row_of: dict[str, int] = {}

    def check_one(number: int, cells: Mapping[str, str]) -> tuple[CaseRecord | None, list[RowProblem]]:
        check = _RowChecker(number, cells, index, decimal_comma=decimal_comma)
        case_id = check.case_id
        if not case_id:
            check.problem("case_id", case_id, "a case_id is required")
        elif case_id in first_row_of:
            check.problem("case_id", case_id, f"duplicate case_id (first used on row {first_row_of[case_id]})")
        else:
            first_row_of[case_id] = number
        diagnosis = check.term("diagnosis", index.diagnoses, "diagnosis", required=True)
        if diagnosis is not None and diagnosis in index.bone_sarcomas:
            check.problem("diagnosis", check.text("diagnosis"), _bone_sarcoma(index.label(diagnosis)))
        site = check.term("primary_site", index.sites, "anatomical site", required=True)
        size = check.number_value("size_cm", required=True, minimum_exclusive=True)
        grade_text = check.text("grade")
        grade = SARC.UnknownGrade if not grade_text else check.term("grade", index.grades, "grade", required=False)
        if grade_text and grade is None:
            check.problems[-1] = RowProblem(
                number, "grade", grade_text, "must be low, mid, intermediate, high, unknown or blank", case_id
            )
        nodes = check.boolean("nodal_spread")
        metastasis = check.boolean("distant_metastasis")
        metastasis_sites = check.terms("metastasis_sites", index.sites, "anatomical site")
        if metastasis_sites and metastasis is False:
            check.problem(
                "metastasis_sites",
                check.text("metastasis_sites"),
                "metastasis sites are listed but distant_metastasis is 'no'",
            )
        age = check.number_value("age", required=False, minimum_exclusive=False, maximum=_MAX_AGE)
        sex = check.term("sex", index.sexes, "sex", required=False)
        therapies = check.terms("therapies", index.therapies, "therapy")
        stage = check.term("recorded_stage", index.stages, "stage", required=False)
        if check.text("recorded_stage") and stage is None:
            known = ", ".join(sorted(index.notations.values(), key=_stage_order))
            check.problems[-1] = RowProblem(
                number,
                "recorded_stage",
                check.text("recorded_stage"),
                f"unknown stage; expected one of {known}, or blank",
                case_id,
            )
        status = check.term("disease_status", index.statuses, "disease status", required=False)
        if check.text("disease_status") and status is None:
            check.problems[-1] = RowProblem(
                number, "disease_status", check.text("disease_status"),
                "must be newly diagnosed, recurrent, progressive, refractory, or blank when not known", case_id,
            )  # fmt: skip
        prior_radiation = check.boolean("prior_radiation")
        resectable = check.boolean("resectable")
        if check.problems:
            return None, check.problems
        return CaseRecord(
            row=number, case_id=case_id, diagnosis=diagnosis, primary_site=site, size_cm=size, grade=grade,
            nodal_spread=nodes, distant_metastasis=metastasis, metastasis_sites=metastasis_sites, age=age, sex=sex,
            therapies=therapies, recorded_stage=stage, disease_status=status, prior_radiation=prior_radiation,
            resectable=resectable,
        ), []  # fmt: skip

    return check_one


def _stage_order(notation: str) -> tuple[int, str]:
    roman = {"I": 1, "II": 2, "III": 3, "IV": 4}
    return (roman.get(notation.rstrip("AB"), 9), notation)


# --------------------------------------------------------------------------------------------------------------
# Building the graph
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseNodes:
    """The IRIs of one case's nodes (docs/model.md): the case, its tumour and its primary site."""

    case: str
    tumour: str
    primary_site: str

    def metastasis(self, n: int) -> str:
        return f"{self.case}/metastasis/{n}"

    def therapy(self, n: int) -> str:
        return f"{self.case}/therapy/{n}"


def case_nodes(case_id: str, base: str = str(CASE)) -> CaseNodes:
    """The node IRIs of a case: ``<base><percent-encoded id>`` and its parts.

    >>> case_nodes("C 1/2").tumour
    'https://w3id.org/sarcoma-kg/case/C%201%2F2/tumour'
    """
    case = base + urllib.parse.quote(case_id, safe="")
    return CaseNodes(case=case, tumour=f"{case}/tumour", primary_site=f"{case}/primary-site")


def source_node(name: str, base: str = str(CASE)) -> str:
    """The IRI of the SourceDocument that stands for a spreadsheet (by file name)."""
    return f"{base}spreadsheet/{urllib.parse.quote(name, safe='')}"


def _decimal_lexical(value: Decimal) -> str:
    """xsd:decimal lexical form (no exponent).

    >>> _decimal_lexical(Decimal("1E+1")), _decimal_lexical(Decimal("5.50"))
    ('10', '5.5')
    """
    text = format(value.normalize(), "f")
    return text


def _nt_literal(text: str) -> str:
    r"""An N-Triples string literal: JSON's escapes (``\"``, ``\\``, ``\n``, ``\uXXXX``) are all N-Triples escapes.

    >>> _nt_literal('case "A"\n')
    '"case \\"A\\"\\n"'
    """
    if _NEEDS_ESCAPE.search(text) is None:  # nearly every label: no JSON call (a third of the text's cost)
        return f'"{text}"'
    return json.dumps(text, ensure_ascii=False)


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def _ntriples(records: Iterable[CaseRecord], index: TermIndex, source: str, base: str) -> Iterator[str]:
    """The N-Triples lines of every case, in row order, one template per case.

    Text, not term objects: a cohort is 30 triples a case, and Oxigraph parses N-Triples far faster than Python
    can build 1.5 million ``Quad`` objects one at a time (issue 15). Every IRI is either the ontology's own (from
    the term index) or percent-encoded (``case_nodes``), so none needs escaping; literals go through
    ``_nt_literal``. The fixed order makes the output deterministic without sorting.
    """
    iri: dict[str, str] = {}

    def t(term: str) -> str:
        found = iri.get(term)
        if found is None:
            found = iri[term] = f"<{term}>"
        return found

    a, named, label, cites = t(str(RDF.type)), t(str(OWL.NamedIndividual)), t(str(RDFS.label)), t(str(DCTERMS.source))
    p = {name: t(str(SARC[name])) for name in (
        "caseId", "ageYears", "hasSex", "hasDiagnosis", "receivedTherapy", "recordedStage", "hasPrimarySite",
        "tumourSizeCm", "hasGrade", "hasNodalSpread", "hasDistantMetastasis", "hasMetastasisSite",
        "hasDiseaseStatus", "hadPriorRadiation", "isResectable",
    )}  # fmt: skip
    decimal, boolean = f"^^<{XSD.decimal}>", f"^^<{XSD.boolean}>"
    flag = {True: f'"true"{boolean}', False: f'"false"{boolean}'}
    cited = f"{cites} <{source}> .\n"
    labels: dict[URIRef, str] = {}

    def name_of(term: URIRef) -> str:
        found = labels.get(term)
        if found is None:
            found = labels[term] = index.label(term)
        return found

    def individual(node: str, cls: URIRef, text: str) -> str:
        return (f"{node} {a} {named} .\n{node} {a} {t(cls)} .\n{node} {label} {_nt_literal(text)}@en .\n"
                f"{node} {cited}")  # fmt: skip

    for r in records:
        nodes = case_nodes(r.case_id, base)
        case, tumour, site = f"<{nodes.case}>", f"<{nodes.tumour}>", f"<{nodes.primary_site}>"
        diagnosis, site_label = name_of(r.diagnosis), name_of(r.primary_site)
        metastases = [f"<{nodes.metastasis(n)}>" for n in range(1, len(r.metastasis_sites) + 1)]
        therapies = [f"<{nodes.therapy(n)}>" for n in range(1, len(r.therapies) + 1)]
        # Each subject's triples together, so the Turtle groups them in one block per node.
        lines = [
            individual(case, SARC.PatientCase, f"case {r.case_id}: {diagnosis} of the {site_label}"),
            f"{case} {p['caseId']} {_nt_literal(r.case_id)} .\n{case} {p['hasDiagnosis']} {tumour} .\n",
        ]
        if r.age is not None:
            lines.append(f'{case} {p["ageYears"]} "{_decimal_lexical(r.age)}"{decimal} .\n')
        if r.sex is not None:
            lines.append(f"{case} {p['hasSex']} {t(r.sex)} .\n")
        if r.recorded_stage is not None:
            lines.append(f"{case} {p['recordedStage']} {t(r.recorded_stage)} .\n")
        if r.disease_status is not None:
            lines.append(f"{case} {p['hasDiseaseStatus']} {t(r.disease_status)} .\n")
        for name, value in (("hadPriorRadiation", r.prior_radiation), ("isResectable", r.resectable)):
            if value is not None:
                lines.append(f"{case} {p[name]} {flag[value]} .\n")
        lines.extend(f"{case} {p['receivedTherapy']} {node} .\n" for node in therapies)
        lines.append(individual(tumour, r.diagnosis, f"{diagnosis} of case {r.case_id}"))
        lines.append(f'{tumour} {p["hasPrimarySite"]} {site} .\n'
                     f'{tumour} {p["tumourSizeCm"]} "{_decimal_lexical(r.size_cm)}"{decimal} .\n'
                     f"{tumour} {p['hasGrade']} {t(r.grade)} .\n")  # fmt: skip
        if r.nodal_spread is not None:
            lines.append(f"{tumour} {p['hasNodalSpread']} {flag[r.nodal_spread]} .\n")
        if r.distant_metastasis is not None:
            lines.append(f"{tumour} {p['hasDistantMetastasis']} {flag[r.distant_metastasis]} .\n")
        lines.extend(f"{tumour} {p['hasMetastasisSite']} {node} .\n" for node in metastases)
        lines.append(individual(site, r.primary_site, f"primary site of case {r.case_id}: {site_label}"))
        for n, (node, metastasis_site) in enumerate(zip(metastases, r.metastasis_sites, strict=True), start=1):
            lines.append(individual(node, metastasis_site,
                                    f"metastasis {n} of case {r.case_id}: {name_of(metastasis_site)}"))  # fmt: skip
        for n, (node, therapy) in enumerate(zip(therapies, r.therapies, strict=True), start=1):
            lines.append(individual(node, therapy, f"therapy {n} of case {r.case_id}: {name_of(therapy)}"))
        yield "".join(lines)


def _source_ntriples(name: str, source: str, count: int) -> str:
    node = f"<{source}>"
    comment = f"Researcher's spreadsheet of {count} patient case(s), imported with 'sarcoma-kg cases import'."
    return (
        f"{node} <{RDF.type}> <{OWL.NamedIndividual}> .\n"
        f"{node} <{RDF.type}> <{SARC.SourceDocument}> .\n"
        f"{node} <{RDFS.label}> {_nt_literal(f'spreadsheet {name}')}@en .\n"
        f"{node} <{DCTERMS.title}> {_nt_literal(name)} .\n"
        f"{node} <{RDFS.comment}> {_nt_literal(comment)}@en .\n"
    )


def cases_ntriples(records: Sequence[CaseRecord], index: TermIndex, *, source_name: str, base: str = str(CASE)) -> str:
    """The RDF of ``records`` (and of the spreadsheet's source node) as N-Triples text, deterministic."""
    source = source_node(source_name, base)
    return _source_ntriples(source_name, source, len(records)) + "".join(_ntriples(records, index, source, base))


def _graph_of(ntriples: str, base: str) -> Graph:
    graph = new_graph()
    store = ox_store(graph)
    assert store is not None  # new_graph() is Oxigraph-backed by default
    store.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    graph.bind("case", Namespace(base), override=True, replace=True)
    return graph


def cases_graph(records: Sequence[CaseRecord], index: TermIndex, *, source_name: str, base: str = str(CASE)) -> Graph:
    """The RDF of ``records`` on a fresh Oxigraph-backed graph (bulk-loaded), citing the spreadsheet."""
    return _graph_of(cases_ntriples(records, index, source_name=source_name, base=base), base)


def ntriples_turtle(ntriples: str) -> bytes:
    """N-Triples text as Turtle with the project's prefixes, triples in the order given (no sort: the text is
    already in a fixed order, and sorting 1.5 million triples costs more than the whole import otherwise)."""
    return ox.serialize(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                        prefixes=PREFIXES)  # fmt: skip


# --------------------------------------------------------------------------------------------------------------
# Import: read, check, build, validate
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseImport:
    """The outcome of an import: the good cases (as RDF: ``graph``, ``ntriples``, ``turtle()``), and every problem
    of the rows left out."""

    source: str
    cases: tuple[CaseRecord, ...]
    problems: tuple[RowProblem, ...]
    ignored_columns: tuple[str, ...]
    warnings: tuple[RowProblem, ...] = ()
    """Shape results below violation (a 250 cm tumour): imported, but the researcher should look at them."""
    index: TermIndex | None = field(default=None, repr=False)
    base: str = str(CASE)

    def _texts(self) -> Iterator[str]:
        """The N-Triples text in batches, made when needed: a 50k cohort's text is 220 MB, never held whole by
        ``turtle``."""
        if self.index is None:
            raise ValueError("CaseImport without its term index cannot produce RDF")
        source = source_node(self.source, self.base)
        yield _source_ntriples(self.source, source, len(self.cases))
        for start in range(0, len(self.cases), VALIDATION_BATCH):
            yield "".join(_ntriples(self.cases[start : start + VALIDATION_BATCH], self.index, source, self.base))

    @property
    def ntriples(self) -> str:
        """The cases as N-Triples text, in row order (what ``turtle`` writes and ``graph`` holds)."""
        return "".join(self._texts())

    @functools.cached_property
    def graph(self) -> Graph:
        """The cases on an Oxigraph-backed graph, built on first use: writing a file does not need it, and
        loading a cohort into a store costs as much as building its text (issue 15)."""
        return _graph_of(self.ntriples, self.base)

    def turtle(self) -> bytes:
        """The imported cases as Turtle, byte-identical for the same spreadsheet and ontology (streamed batch by
        batch through Oxigraph's serialiser, in row order)."""
        texts = self._texts()  # the importer's own text, its base checked as an IRI: see _check_base
        triples = itertools.chain.from_iterable(ox.parse(text, format=ox.RdfFormat.N_TRIPLES, lenient=True)
                                                for text in texts)  # fmt: skip
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)

    @property
    def skipped_rows(self) -> tuple[int, ...]:
        """The rows left out, each once (a row with three bad cells is one skipped row)."""
        return _skipped_rows(self.problems)


def _check_base(base: str) -> str:
    """``base`` when it is an absolute IRI that case ids can be appended to. Checked as an IRI here, once, so the
    importer's N-Triples (every other IRI in them is the ontology's, or a percent-encoded case id) can be loaded
    without Oxigraph checking each IRI again (``lenient``, a fifth of the load time)."""
    parsed = urllib.parse.urlsplit(base)
    if not (parsed.scheme and (parsed.netloc or parsed.scheme == "urn")) or not base.endswith(("/", "#", ":")):
        raise InputError(f"--base {base!r}: must be an absolute IRI ending in '/', '#' or ':'")
    try:
        ox.NamedNode(base)
    except ValueError as exc:
        raise InputError(f"--base {base!r}: not a valid IRI ({exc})") from exc
    return base


VALIDATION_BATCH = 10_000
"""Cases validated together: the shapes run on one store of this many cases (with the knowledge base) at a time.

Every shape of the project constrains one case's own nodes (a case, its tumour, sites and therapies) against the
ontology, never two cases together (duplicate ``case_id`` is checked on the sheet itself), so batches give the
same results as one store, with memory bounded by the batch instead of the cohort (issue 15: 50k rows under
600 MB). A shape relating two cases would need this to change.
"""


class _BatchValidator:
    """The shapes run batch by batch, each batch on a new store beside the knowledge base.

    The knowledge base is written out as N-Triples once per import and loaded into each batch's reference graph
    (issue 15: copying it out of the built graph for every batch cost half as much as the shapes); the shapes
    are loaded once. A new store per batch, not one store cleared between batches: Oxigraph's in-memory store
    keeps every string it has seen, so a reused store grew by 100 MB per 10,000 cases.
    """

    def __init__(self, kb: Graph, index: TermIndex, source_name: str, base: str, *, keep_store: bool = False) -> None:
        from .validate import DATA_GRAPH, REFERENCE_GRAPH, load_shapes

        self.kb, self.index, self.base, self.source_name = kb, index, base, source_name
        self.source = source_node(source_name, base)
        self.data = ox.NamedNode(str(DATA_GRAPH))
        self.reference = ox.NamedNode(str(REFERENCE_GRAPH))
        store = ox_store(kb)
        self.kb_text = (store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) if store is not None
                        else kb.serialize(format="nt", encoding="utf-8"))  # fmt: skip
        self.shapes = load_shapes()
        self.keep_store = keep_store
        self.store: ox.Store | None = None  # with ``keep_store``, the last batch's, for ``--materialise-stage``

    def check(self, batch: Sequence[CaseRecord], text: str) -> tuple[list[RowProblem], list[RowProblem]]:
        """Violations and warnings of ``batch``, whose N-Triples (without the source node) are ``text``. The batch
        is validated with its own source node, as if it were the whole sheet."""
        from .staging import shape_findings

        self.store = None  # the previous batch's store, if kept, is let go before this one is built
        store = ox.Store()
        store.load(self.kb_text, format=ox.RdfFormat.N_TRIPLES, to_graph=self.reference)
        store.load(_source_ntriples(self.source_name, self.source, len(batch)), format=ox.RdfFormat.N_TRIPLES,
                   to_graph=self.data, lenient=True)  # fmt: skip
        store.load(text, format=ox.RdfFormat.N_TRIPLES, to_graph=self.data, lenient=True)  # see _check_base
        found = shape_findings(None, batch, self.kb, base=self.base, index=self.index, store=store, shapes=self.shapes)
        self.store = store if self.keep_store else None
        return found

    def check_all(self, batches: Iterable[tuple[list[CaseRecord], str]]) -> Iterator[_CheckedBatch]:
        """Each batch with its violations and warnings, in the order given, one batch at a time.

        Sequential on purpose: validating two batches in two forked processes was measured at the same wall time
        on a 2-core machine under other load (31.7 s vs 32.7 s for 50k cases), with 866 MB in all instead of 317 MB."""
        for batch, text in batches:
            yield batch, text, *self.check(batch, text)


_CheckedBatch = tuple[list[CaseRecord], str, list[RowProblem], list[RowProblem]]


def _validate_in_batches(
    records: Sequence[CaseRecord], kb: Graph, index: TermIndex, source_name: str, base: str
) -> tuple[list[RowProblem], list[RowProblem]]:
    validator = _BatchValidator(kb, index, source_name, base)
    violations: set[RowProblem] = set()
    warnings: set[RowProblem] = set()
    batches = (list(records[start : start + VALIDATION_BATCH]) for start in range(0, len(records), VALIDATION_BATCH))
    texts = ((batch, "".join(_ntriples(batch, index, validator.source, base))) for batch in batches)
    for _batch, _text, found, warned in validator.check_all(texts):
        violations.update(found)
        warnings.update(warned)
    return sorted(violations), sorted(warnings)


def _no_cases(
    name: str, problems: Sequence[RowProblem], warnings: Sequence[RowProblem], ignored: Sequence[str]
) -> NoCasesError:
    rows = len(_skipped_rows(problems))
    why = f"every row is bad ({rows} row(s) skipped)" if rows else "the sheet has a header but no case row"
    return NoCasesError(name, problems, warnings=warnings, ignored_columns=ignored,
                        message=f"{name}: the result is empty: {why}; nothing was written (pass --allow-empty to "
                        "write it)")  # fmt: skip


def import_spreadsheet(
    sheet: Spreadsheet,
    kb: Graph,
    *,
    index: TermIndex | None = None,
    base: str = str(CASE),
    skip_invalid: bool = False,
    validate: bool = True,
    allow_empty: bool = False,
) -> CaseImport:
    """Check, convert and (by default) validate a parsed spreadsheet against the reasoned knowledge base ``kb``.

    Raises ``CaseImportError`` listing every problem, unless ``skip_invalid``: then the good rows are kept and the
    problems of the others are returned. Validation runs the project's shapes over the cases together with the
    knowledge base (the staging shape needs the anatomy and the staging rules); a case that breaks a shape is a
    problem of its row, a shape warning is returned in ``warnings``. When no case is left to write, raises
    ``NoCasesError`` unless ``allow_empty``. Every problem names its row's ``case_id``.
    """
    base = _check_base(base)
    index = index if index is not None else build_term_index(kb)
    ignored = tuple(c for c in sheet.columns if c not in CASE_COLUMNS)
    case_ids = {number: (cells.get("case_id") or "").strip() for number, cells in sheet.rows}
    records, problems = parse_cases(sheet, index)
    if any(p.row <= 1 for p in problems):  # a header problem leaves no row to check further
        raise CaseImportError(sheet.name, problems, ignored_columns=ignored)
    warnings: list[RowProblem] = []
    if validate and records:
        shape_found, warnings = _validate_in_batches(records, kb, index, sheet.name, base)
        if shape_found:
            problems = [*problems, *shape_found]
            bad = {p.row for p in shape_found}
            records = [r for r in records if r.row not in bad]
            warnings = [w for w in warnings if w.row not in bad]
    problems = _name_cases(problems, case_ids)
    warnings = _name_cases(warnings, case_ids)
    if problems and not skip_invalid:
        raise CaseImportError(sheet.name, problems, warnings=warnings, ignored_columns=ignored)
    if not records and not allow_empty:
        raise _no_cases(sheet.name, problems, warnings, ignored)
    return CaseImport(sheet.name, tuple(records), tuple(sorted(problems)), ignored, tuple(sorted(warnings)),
                      index, base)  # fmt: skip


def import_cases(
    path: str | os.PathLike[str],
    kb: Graph,
    *,
    index: TermIndex | None = None,
    base: str = str(CASE),
    skip_invalid: bool = False,
    validate: bool = True,
    allow_empty: bool = False,
    sheet: str | None = None,
) -> CaseImport:
    """Read a spreadsheet (CSV/TSV or workbook, see ``read_spreadsheet``) and import it (see ``import_spreadsheet``)."""
    return import_spreadsheet(read_spreadsheet(path, sheet=sheet), kb, index=index, base=base,
                              skip_invalid=skip_invalid, validate=validate, allow_empty=allow_empty)  # fmt: skip


@dataclass(frozen=True)
class StreamedImport:
    """The outcome of ``stream_cases``: how many cases were written, and every problem of the rows left out."""

    source: str
    count: int
    problems: tuple[RowProblem, ...]
    ignored_columns: tuple[str, ...]
    warnings: tuple[RowProblem, ...] = ()
    staged: int = 0  # cases given a sarc:computedStage (materialise_stage)

    @property
    def skipped_rows(self) -> tuple[int, ...]:
        """The rows left out, each once (a row with three bad cells is one skipped row)."""
        return _skipped_rows(self.problems)


def stream_cases(
    path: str | os.PathLike[str],
    kb: Graph,
    out: BinaryIO,
    *,
    index: TermIndex | None = None,
    base: str = str(CASE),
    skip_invalid: bool = False,
    allow_empty: bool = False,
    sheet: str | None = None,
    materialise_stage: bool = False,
) -> StreamedImport:
    """Import a spreadsheet as N-Triples written to ``out`` batch by batch, in memory bounded by the batch.

    ``materialise_stage`` adds each staged case's ``sarc:computedStage`` after its batch, computed batch by batch
    (``staging.validation_store_stage_ntriples``, on the store the batch was validated on): the triples of
    ``materialise_stages`` on the whole sheet.

    The same checks, shapes and problems as ``import_cases`` (which it equals triple for triple): rows are read as
    they come (CSV/TSV; a workbook is read whole by python-calamine), checked, and every ``VALIDATION_BATCH``
    cases are validated and then written, the spreadsheet's source node last (its comment counts the cases).
    A problem anywhere raises ``CaseImportError`` once the whole sheet has been checked (unless
    ``skip_invalid``), after what was written to ``out``: the caller writes to a temporary file (``fileio``) and
    keeps it only when this returns. Same spreadsheet, same bytes.
    """
    base = _check_base(base)
    index = index if index is not None else build_term_index(kb)
    stream = _open_spreadsheet(path, sheet=sheet)
    name = stream.name
    ignored = tuple(c for c in stream.columns if c not in CASE_COLUMNS)
    header = _header_problems(stream.columns)
    if header:
        raise CaseImportError(name, header, ignored_columns=ignored)
    validator = _BatchValidator(kb, index, name, base, keep_store=materialise_stage)
    check = _check_row(index, stream.decimal_comma)
    problems: list[RowProblem] = []
    warnings: set[RowProblem] = set()
    count = staged = 0

    def batches() -> Iterator[tuple[list[CaseRecord], str]]:
        batch: list[CaseRecord] = []
        for number, cells in progress(stream.rows, desc=f"importing {name}", unit="row"):
            record, found = check(number, cells)
            problems.extend(found)
            if record is not None:
                batch.append(record)
                if len(batch) >= VALIDATION_BATCH:
                    yield batch, "".join(_ntriples(batch, index, validator.source, base))
                    batch = []
        if batch:
            yield batch, "".join(_ntriples(batch, index, validator.source, base))

    for batch, text, found, warned in validator.check_all(batches()):
        bad = {p.row for p in found}
        problems.extend(found)
        warnings.update(w for w in warned if w.row not in bad)
        good = [r for r in batch if r.row not in bad] if bad else batch
        if good and (skip_invalid or not problems):  # once a row is bad without skip_invalid, nothing is kept
            written = text if good is batch else "".join(_ntriples(good, index, validator.source, base))
            out.write(written.encode())
            if materialise_stage:
                from .staging import validation_store_stage_ntriples  # staging builds on this module

                assert validator.store is not None, "kept by the validator (keep_store)"
                stages, found_stages = validation_store_stage_ntriples(validator.store, good, index, base=base)
                validator.store = None  # not held while the next batch is read
                out.write(stages.encode())
                staged += found_stages
        count += len(good)
    problems.extend(stream.problems)
    if problems and not skip_invalid:
        raise CaseImportError(name, problems, warnings=sorted(warnings), ignored_columns=ignored)
    if not count and not allow_empty:
        raise _no_cases(name, problems, sorted(warnings), ignored)
    out.write(_source_ntriples(name, validator.source, count).encode())
    return StreamedImport(name, count, tuple(sorted(problems)), ignored, tuple(sorted(warnings)), staged)


# --------------------------------------------------------------------------------------------------------------
# Generating realistic cohorts (benchmarks, demos)
# --------------------------------------------------------------------------------------------------------------

# Relative frequencies, loosely after adult soft tissue sarcoma series (extremities about half, the thigh the
# commonest single site, retroperitoneum about 15%) with this graph's ASPS focus over-represented. Keys are the
# ontology's local names; only those present in the ontology are used, and their labels come from the ontology.
_DIAGNOSIS_WEIGHTS = {
    "SoftTissueSarcoma": 30, "AlveolarSoftPartSarcoma": 20, "SynovialSarcoma": 14, "Rhabdomyosarcoma": 12,
    "KaposiSarcoma": 8, "ChildhoodSoftTissueSarcoma": 6, "DesmoplasticSmallRoundCellTumour": 5,
    "InfantileFibrosarcoma": 3, "NonRhabdomyosarcomatousSoftTissueSarcoma": 2,
}  # fmt: skip
_SITE_WEIGHTS = {
    "Thigh": 28, "Leg": 10, "LowerLimb": 6, "Arm": 10, "UpperLimb": 4, "Trunk": 10, "Retroperitoneum": 15,
    "Abdomen": 5, "Chest": 5, "Head": 4, "Neck": 3,
}  # fmt: skip
_METASTASIS_WEIGHTS = {"Lung": 70, "Bone": 12, "Brain": 8, "LymphNode": 5, "Abdomen": 5}
_GRADE_WEIGHTS = {"LowGrade": 25, "MidGrade": 25, "HighGrade": 38, "UnknownGrade": 7, "": 5}
_LOCAL_THERAPY = {"WideLocalExcision": 70, "Surgery": 30}
_LIMB_LOCAL_THERAPY = {"WideLocalExcision": 50, "LimbSparingSurgery": 35, "Amputation": 3, "Surgery": 10}
_LIMB_SITES = {"Thigh", "Leg", "LowerLimb", "Arm", "UpperLimb"}
_RADIOTHERAPY = {"ExternalBeamRadiationTherapy": 50, "IntensityModulatedRadiationTherapy": 25, "Brachytherapy": 10,
                 "RadiationTherapy": 15}  # fmt: skip
_SYSTEMIC = {"DoxorubicinIfosfamideRegimen": 40, "Doxorubicin": 20, "GemcitabineDocetaxelRegimen": 15,
             "Trabectedin": 8, "Pazopanib": 10, "Ifosfamide": 7}  # fmt: skip
_ASPS_SYSTEMIC = {"Atezolizumab": 30, "Pazopanib": 20, "Sunitinib": 20, "Pembrolizumab": 15, "Cediranib": 15}
_METASTATIC_SURGERY = {"PulmonaryMetastasectomy": 70, "Metastasectomy": 30}
_PAEDIATRIC = {"Rhabdomyosarcoma", "InfantileFibrosarcoma", "ChildhoodSoftTissueSarcoma"}


def _weighted(options: Mapping[str, int], available: Mapping[str, URIRef] | None) -> tuple[list[str], list[int]]:
    names = [n for n in options if available is None or n == "" or n in available]
    return names, [options[n] for n in names]


class _Sampler:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def pick(self, choice: tuple[list[str], list[int]]) -> str:
        names, weights = choice
        return self.rng.choices(names, weights)[0]


def _class_iris(index: TermIndex) -> dict[str, URIRef]:
    """Local name -> IRI for every class the index knows (diagnoses, sites, therapies)."""
    found: dict[str, URIRef] = {}
    for vocabulary in (index.diagnoses, index.sites, index.therapies, index.grades, index.sexes):
        for iri in vocabulary.terms.values():
            found.setdefault(_local_name(iri), iri)
    return found


def generate_cases(n: int, index: TermIndex, *, seed: int = 0) -> Spreadsheet:
    """A synthetic cohort of ``n`` cases, as a spreadsheet whose cells use the ontology's own labels.

    Deterministic: the same ``n``, ``seed`` and ontology give the same spreadsheet. Sizes are log-normal (larger in
    the retroperitoneum), grades, nodal spread and metastasis follow rough clinical frequencies, therapies follow
    stage and diagnosis, a few nodal and metastasis cells are blank (unknown). ``recorded_stage`` is left blank:
    ``staging.fill_recorded_stages`` fills a share of it from the staging query, so it never contradicts it.
    """
    if n < 0:
        raise InputError(f"--n {n}: the number of cases must be 0 or more")
    rng = random.Random(seed)
    sample = _Sampler(rng)
    iris = _class_iris(index)
    diagnoses = _weighted(_DIAGNOSIS_WEIGHTS, iris)
    sites = _weighted(_SITE_WEIGHTS, iris)
    metastasis_sites = _weighted(_METASTASIS_WEIGHTS, iris)
    grades = _weighted(_GRADE_WEIGHTS, iris)
    local, radio = _weighted(_LOCAL_THERAPY, iris), _weighted(_RADIOTHERAPY, iris)
    limb_local = _weighted(_LIMB_LOCAL_THERAPY, iris)
    systemic, asps_systemic = _weighted(_SYSTEMIC, iris), _weighted(_ASPS_SYSTEMIC, iris)
    metastatic_surgery = _weighted(_METASTATIC_SURGERY, iris)
    sexes = [index.label(iri) for iri in sorted(set(index.sexes.terms.values()))]
    grade_word = {"LowGrade": "low", "MidGrade": "mid", "HighGrade": "high", "UnknownGrade": "unknown", "": ""}
    width = max(4, len(str(n)))

    def label(name: str) -> str:
        return index.label(iris[name])

    def yes_no(value: bool | None) -> str:
        return "" if value is None else ("yes" if value else "no")

    rows: list[tuple[int, Mapping[str, str]]] = []
    for i in range(1, n + 1):
        diagnosis = sample.pick(diagnoses)
        site = sample.pick(sites)
        paediatric = diagnosis in _PAEDIATRIC
        asps = diagnosis == "AlveolarSoftPartSarcoma"
        if paediatric:
            age = rng.uniform(0.2, 18)
        elif asps or diagnosis == "SynovialSarcoma":
            age = rng.uniform(12, 45)
        else:
            age = min(95.0, max(18.0, rng.gauss(58, 15)))
        median = 15.0 if site == "Retroperitoneum" else 7.0
        size = min(45.0, max(0.5, rng.lognormvariate(0, 0.55) * median))
        grade = sample.pick(grades)
        nodes: bool | None = rng.random() < (0.12 if diagnosis in ("Rhabdomyosarcoma", "SynovialSarcoma") else 0.04)
        metastasis: bool | None = rng.random() < (0.35 if asps else 0.12)
        if rng.random() < 0.04:
            nodes = None
        if rng.random() < 0.03:
            metastasis = None
        where: list[str] = []
        if metastasis:
            where.append(label(sample.pick(metastasis_sites)))
            if asps and rng.random() < 0.3:
                extra = label(sample.pick(metastasis_sites))
                if extra not in where:
                    where.append(extra)
        therapies = [label(sample.pick(limb_local if site in _LIMB_SITES else local))]
        if grade in ("MidGrade", "HighGrade") and size > 5 and rng.random() < 0.7:
            therapies.append(label(sample.pick(radio)))
        if metastasis or (grade == "HighGrade" and rng.random() < 0.3):
            therapies.append(label(sample.pick(asps_systemic if asps else systemic)))
            if metastasis and "Lung" in iris and where and where[0] == label("Lung") and rng.random() < 0.25:
                therapies.append(label(sample.pick(metastatic_surgery)))
        cells = {
            "case_id": f"GEN-{seed}-{i:0{width}d}",
            "diagnosis": label(diagnosis),
            "primary_site": label(site),
            "size_cm": f"{size:.1f}",
            "grade": grade_word[grade],
            "nodal_spread": yes_no(nodes),
            "distant_metastasis": yes_no(metastasis),
            "metastasis_sites": "; ".join(where),
            "age": str(int(age)) if age >= 1 else f"{age:.1f}",
            "sex": rng.choice(sexes) if sexes and rng.random() < 0.97 else "",
            "therapies": "; ".join(dict.fromkeys(therapies)),
            "recorded_stage": "",
        }
        rows.append((i + 1, cells))
    return Spreadsheet(name="generated.csv", columns=CASE_COLUMNS, rows=tuple(rows))


def spreadsheet_csv(sheet: Spreadsheet) -> str:
    """A spreadsheet as CSV text (``\\n`` line endings, minimal quoting), columns in ``sheet.columns`` order."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(sheet.columns)
    for _number, cells in sheet.rows:
        writer.writerow([cells.get(c, "") for c in sheet.columns])
    return out.getvalue()
