"""Patient cases from a researcher's spreadsheet: read, check every row, resolve terms, build RDF, validate.

A spreadsheet (CSV or TSV, as exported by a spreadsheet program) has one case per row. Every term in it
(diagnosis, sites, therapies, grade, sex, recorded stage) is resolved through the ontology itself, by label, exact
synonym, CURIE (``sarc:Thigh``) or verified cross-reference (``NCIT:C3750``), case-insensitively, so a researcher
writes what they would write anyway and the graph gets the ontology's classes. Every problem in every row is
collected before anything is written: one run tells the researcher everything to fix.

The RDF follows docs/model.md "Patient cases": ``case:<id>`` (id percent-encoded) with its tumour, primary site,
metastasis and therapy nodes, each an instance of the resolved class, all citing one ``sarc:SourceDocument`` that
describes the spreadsheet by file name only (no paths or timestamps: the same spreadsheet gives the same bytes).

Decisions, documented in the README:

- Rows are numbered as a spreadsheet program numbers them: the header is row 1, the first case row 2.
- A blank grade is recorded as ``sarc:UnknownGrade``: "blank" and "unknown" both mean the grade is not known, and
  PDQ stages unknown grade with low grade.
- A blank ``nodal_spread`` or ``distant_metastasis`` is left out of the graph (unknown); the staging query then
  reports a stage only when every possible value would give the same one.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import random
import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef

from .errors import InputError
from .graph import new_graph, ox_store
from .namespaces import CASE, DCTERMS, OWL, RDF, RDFS, SARC, XSD
from .progress import progress

__all__ = [
    "CASE_COLUMNS",
    "REQUIRED_COLUMNS",
    "CaseImport",
    "CaseImportError",
    "CaseNodes",
    "CaseRecord",
    "RowProblem",
    "Spreadsheet",
    "TermIndex",
    "Vocabulary",
    "build_term_index",
    "case_nodes",
    "cases_graph",
    "generate_cases",
    "import_cases",
    "import_spreadsheet",
    "parse_cases",
    "parse_spreadsheet",
    "read_spreadsheet",
    "source_node",
    "spreadsheet_csv",
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

    >>> str(RowProblem(4, "size_cm", "-2", "must be a number greater than 0"))
    "row 4, column size_cm, value '-2': must be a number greater than 0"
    """

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        if self.row <= 1:
            return f"header, column {self.column}: {self.reason}"
        return f"row {self.row}, column {self.column}, value {self.value!r}: {self.reason}"


class CaseImportError(InputError):
    """A spreadsheet has problems; ``problems`` lists every one of them, sorted by row and column."""

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems))
        rows = {p.row for p in self.problems if p.row > 1}
        where = f" in {len(rows)} row(s)" if rows else ""
        super().__init__(f"{source}: {len(self.problems)} problem(s){where}; nothing was written")


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

    def resolve(self, text: str) -> URIRef | None:
        """The IRI a cell names, or None."""
        return self.terms.get(_key(text))

    def closest(self, text: str, n: int = 3) -> list[str]:
        """Up to ``n`` known names closest to ``text`` (difflib), for "did you mean" hints."""
        by_key = {_key(s): s for s in self.suggestions}
        return [by_key[k] for k in difflib.get_close_matches(_key(text), list(by_key), n=n, cutoff=0.6)]


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
            bucket.append((_KIND_DERIVED, _key(f"sarc:{_local_name(iri)}"), iri, ""))
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
    )


# --------------------------------------------------------------------------------------------------------------
# Reading the spreadsheet
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spreadsheet:
    """A spreadsheet's header (normalised column names) and its non-empty rows, numbered as a spreadsheet does."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, Mapping[str, str]], ...]


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


def parse_spreadsheet(text: str, name: str) -> Spreadsheet:
    """Parse spreadsheet text (a BOM and CRLF line endings are fine); rows with no content are skipped."""
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(name, first_line), strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise CaseImportError(
            name, [RowProblem(1, "case_id", "", "the file is empty: expected a header row")]
        ) from None
    except csv.Error as exc:
        raise InputError(f"{name}: not a readable CSV/TSV file: {exc}") from exc
    columns = tuple(_normalise_column(c) for c in header)
    rows: list[tuple[int, Mapping[str, str]]] = []
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            padded = list(cells) + [""] * (len(columns) - len(cells))
            rows.append((number, dict(zip(columns, padded, strict=False))))
    except csv.Error as exc:
        raise InputError(f"{name}, row {reader.line_num}: not a readable CSV/TSV row: {exc}") from exc
    return Spreadsheet(name=name, columns=columns, rows=tuple(rows))


def read_spreadsheet(path: str | os.PathLike[str]) -> Spreadsheet:
    """Read a CSV or TSV file exported by a spreadsheet program (UTF-8, with or without BOM)."""
    file = Path(path)
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{file}: not UTF-8 text (byte {exc.start}); save the spreadsheet as 'CSV UTF-8' and try again"
        ) from exc
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    return parse_spreadsheet(text, file.name)


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
    if hints:
        return f"unknown {what}; closest known: " + ", ".join(repr(h) for h in hints)
    return f"unknown {what}; no similar term in the ontology"


class _RowChecker:
    """Checks the cells of one row, collecting a problem per bad cell instead of stopping at the first."""

    def __init__(self, number: int, cells: Mapping[str, str], index: TermIndex) -> None:
        self.number = number
        self.cells = cells
        self.index = index
        self.problems: list[RowProblem] = []

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def problem(self, column: str, value: str, reason: str) -> None:
        self.problems.append(RowProblem(self.number, column, value, reason))

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
                self.problems.append(RowProblem(self.number, column, part, _unknown_term(vocabulary, part, what)))
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
        try:
            number = Decimal(value)
        except InvalidOperation:
            hint = " (use a decimal point, not a comma)" if re.fullmatch(r"\d+,\d+", value) else ""
            self.problem(column, value, f"must be a number {bound}{hint}")
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


def parse_cases(sheet: Spreadsheet, index: TermIndex) -> tuple[list[CaseRecord], list[RowProblem]]:
    """Check every row of ``sheet``: the good rows as records, and every problem found in the bad ones.

    A missing required column is one problem naming it (rows are then not checked: every one would fail).
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in sheet.columns]
    problems: list[RowProblem] = []
    for column in missing:
        problems.append(RowProblem(1, column, "", f"required column {column!r} is missing from the header"))
    seen_columns: set[str] = set()
    for column in sheet.columns:
        if column in seen_columns and column in CASE_COLUMNS:
            problems.append(RowProblem(1, column, "", f"column {column!r} appears more than once"))
        seen_columns.add(column)
    if problems:
        return [], problems

    records: list[CaseRecord] = []
    first_row_of: dict[str, int] = {}
    for number, cells in progress(sheet.rows, desc=f"checking {sheet.name}", unit="row"):
        check = _RowChecker(number, cells, index)
        case_id = check.text("case_id")
        if not case_id:
            check.problem("case_id", case_id, "a case_id is required")
        elif case_id in first_row_of:
            check.problem("case_id", case_id, f"duplicate case_id (first used on row {first_row_of[case_id]})")
        else:
            first_row_of[case_id] = number
        diagnosis = check.term("diagnosis", index.diagnoses, "diagnosis", required=True)
        site = check.term("primary_site", index.sites, "anatomical site", required=True)
        size = check.number_value("size_cm", required=True, minimum_exclusive=True)
        grade_text = check.text("grade")
        grade = SARC.UnknownGrade if not grade_text else check.term("grade", index.grades, "grade", required=False)
        if grade_text and grade is None:
            check.problems[-1] = RowProblem(
                number, "grade", grade_text, "must be low, mid, intermediate, high, unknown or blank"
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
            )
        status = check.term("disease_status", index.statuses, "disease status", required=False)
        if check.text("disease_status") and status is None:
            check.problems[-1] = RowProblem(
                number, "disease_status", check.text("disease_status"),
                "must be newly diagnosed, recurrent, progressive, refractory, or blank when not known",
            )  # fmt: skip
        prior_radiation = check.boolean("prior_radiation")
        resectable = check.boolean("resectable")
        if check.problems:
            problems.extend(check.problems)
            continue
        records.append(CaseRecord(
            row=number, case_id=case_id, diagnosis=diagnosis, primary_site=site, size_cm=size, grade=grade,
            nodal_spread=nodes, distant_metastasis=metastasis, metastasis_sites=metastasis_sites, age=age, sex=sex,
            therapies=therapies, recorded_stage=stage, disease_status=status, prior_radiation=prior_radiation,
            resectable=resectable,
        ))  # fmt: skip
    return records, problems


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


def _triples(records: Iterable[CaseRecord], index: TermIndex, source: str, base: str) -> Iterable[ox.Quad]:
    """The quads of every case, built directly as Oxigraph terms (no per-triple rdflib conversion)."""
    N, L = ox.NamedNode, ox.Literal  # noqa: N806 - short local aliases keep the triple table readable
    graph = ox.DefaultGraph()
    a, named, label = N(str(RDF.type)), N(str(OWL.NamedIndividual)), N(str(RDFS.label))
    cites = N(str(DCTERMS.source))
    p = {name: N(str(SARC[name])) for name in (
        "caseId", "ageYears", "hasSex", "hasDiagnosis", "receivedTherapy", "recordedStage", "hasPrimarySite",
        "tumourSizeCm", "hasGrade", "hasNodalSpread", "hasDistantMetastasis", "hasMetastasisSite",
        "hasDiseaseStatus", "hadPriorRadiation", "isResectable",
    )}  # fmt: skip
    decimal, boolean = N(str(XSD.decimal)), N(str(XSD.boolean))
    source_iri = N(source)
    terms: dict[URIRef, ox.NamedNode] = {}

    def term(iri: URIRef) -> ox.NamedNode:
        node = terms.get(iri)
        if node is None:
            node = terms[iri] = N(str(iri))
        return node

    def individual(node: ox.NamedNode, cls: URIRef, text: str):
        yield ox.Quad(node, a, named, graph)
        yield ox.Quad(node, a, term(cls), graph)
        yield ox.Quad(node, label, L(text, language="en"), graph)
        yield ox.Quad(node, cites, source_iri, graph)

    for r in records:
        nodes = case_nodes(r.case_id, base)
        case, tumour, site = N(nodes.case), N(nodes.tumour), N(nodes.primary_site)
        diagnosis, site_label = index.label(r.diagnosis), index.label(r.primary_site)
        yield from individual(case, SARC.PatientCase, f"case {r.case_id}: {diagnosis} of the {site_label}")
        yield ox.Quad(case, p["caseId"], L(r.case_id), graph)
        yield ox.Quad(case, p["hasDiagnosis"], tumour, graph)
        if r.age is not None:
            yield ox.Quad(case, p["ageYears"], L(_decimal_lexical(r.age), datatype=decimal), graph)
        if r.sex is not None:
            yield ox.Quad(case, p["hasSex"], term(r.sex), graph)
        if r.recorded_stage is not None:
            yield ox.Quad(case, p["recordedStage"], term(r.recorded_stage), graph)
        if r.disease_status is not None:
            yield ox.Quad(case, p["hasDiseaseStatus"], term(r.disease_status), graph)
        for flag, value in (("hadPriorRadiation", r.prior_radiation), ("isResectable", r.resectable)):
            if value is not None:
                yield ox.Quad(case, p[flag], L("true" if value else "false", datatype=boolean), graph)
        yield from individual(tumour, r.diagnosis, f"{diagnosis} of case {r.case_id}")
        yield ox.Quad(tumour, p["hasPrimarySite"], site, graph)
        yield ox.Quad(tumour, p["tumourSizeCm"], L(_decimal_lexical(r.size_cm), datatype=decimal), graph)
        yield ox.Quad(tumour, p["hasGrade"], term(r.grade), graph)
        if r.nodal_spread is not None:
            yield ox.Quad(
                tumour, p["hasNodalSpread"], L("true" if r.nodal_spread else "false", datatype=boolean), graph
            )
        if r.distant_metastasis is not None:
            yield ox.Quad(
                tumour,
                p["hasDistantMetastasis"],
                L("true" if r.distant_metastasis else "false", datatype=boolean),
                graph,
            )
        yield from individual(site, r.primary_site, f"primary site of case {r.case_id}: {site_label}")
        for n, metastasis_site in enumerate(r.metastasis_sites, start=1):
            node = N(nodes.metastasis(n))
            yield ox.Quad(tumour, p["hasMetastasisSite"], node, graph)
            yield from individual(
                node, metastasis_site, f"metastasis {n} of case {r.case_id}: {index.label(metastasis_site)}"
            )
        for n, therapy in enumerate(r.therapies, start=1):
            node = N(nodes.therapy(n))
            yield ox.Quad(case, p["receivedTherapy"], node, graph)
            yield from individual(node, therapy, f"therapy {n} of case {r.case_id}: {index.label(therapy)}")


def _source_quads(name: str, source: str, count: int) -> list[ox.Quad]:
    N, L, g = ox.NamedNode, ox.Literal, ox.DefaultGraph()  # noqa: N806
    node = N(source)
    return [
        ox.Quad(node, N(str(RDF.type)), N(str(OWL.NamedIndividual)), g),
        ox.Quad(node, N(str(RDF.type)), N(str(SARC.SourceDocument)), g),
        ox.Quad(node, N(str(RDFS.label)), L(f"spreadsheet {name}", language="en"), g),
        ox.Quad(node, N(str(DCTERMS.title)), L(name), g),
        ox.Quad(node, N(str(RDFS.comment)),
                L(f"Researcher's spreadsheet of {count} patient case(s), imported with 'sarcoma-kg cases import'.",
                  language="en"), g),
    ]  # fmt: skip


def cases_graph(records: Sequence[CaseRecord], index: TermIndex, *, source_name: str, base: str = str(CASE)) -> Graph:
    """The RDF of ``records`` on a fresh Oxigraph-backed graph (bulk-loaded), citing the spreadsheet."""
    graph = new_graph()
    store = ox_store(graph)
    assert store is not None  # new_graph() is Oxigraph-backed by default
    source = source_node(source_name, base)
    store.extend(_source_quads(source_name, source, len(records)))
    store.extend(_triples(records, index, source, base))
    graph.bind("case", Namespace(base), override=True, replace=True)
    return graph


# --------------------------------------------------------------------------------------------------------------
# Import: read, check, build, validate
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseImport:
    """The outcome of an import: the graph of the good cases, and every problem of the rows left out."""

    source: str
    graph: Graph = field(repr=False)
    cases: tuple[CaseRecord, ...]
    problems: tuple[RowProblem, ...]
    ignored_columns: tuple[str, ...]

    @property
    def skipped_rows(self) -> tuple[int, ...]:
        return tuple(sorted({p.row for p in self.problems if p.row > 1}))


def _check_base(base: str) -> str:
    parsed = urllib.parse.urlsplit(base)
    if not (parsed.scheme and (parsed.netloc or parsed.scheme == "urn")) or not base.endswith(("/", "#", ":")):
        raise InputError(f"--base {base!r}: must be an absolute IRI ending in '/', '#' or ':'")
    return base


def import_spreadsheet(
    sheet: Spreadsheet,
    kb: Graph,
    *,
    index: TermIndex | None = None,
    base: str = str(CASE),
    skip_invalid: bool = False,
    validate: bool = True,
) -> CaseImport:
    """Check, convert and (by default) validate a parsed spreadsheet against the reasoned knowledge base ``kb``.

    Raises ``CaseImportError`` listing every problem, unless ``skip_invalid``: then the good rows are kept and the
    problems of the others are returned. Validation runs the project's shapes over the cases together with the
    knowledge base (the staging shape needs the anatomy and the staging rules); a case that breaks a shape is a
    problem of its row.
    """
    base = _check_base(base)
    index = index if index is not None else build_term_index(kb)
    records, problems = parse_cases(sheet, index)
    if any(p.row <= 1 for p in problems):  # a header problem leaves no row to check further
        raise CaseImportError(sheet.name, problems)
    graph = cases_graph(records, index, source_name=sheet.name, base=base)
    if validate and records:
        from .staging import shape_problems

        shape_found = shape_problems(graph, records, kb, base=base, index=index)
        if shape_found:
            problems = [*problems, *shape_found]
            bad = {p.row for p in shape_found}
            records = [r for r in records if r.row not in bad]
            if skip_invalid:
                graph = cases_graph(records, index, source_name=sheet.name, base=base)
    if problems and not skip_invalid:
        raise CaseImportError(sheet.name, problems)
    ignored = tuple(c for c in sheet.columns if c not in CASE_COLUMNS)
    return CaseImport(sheet.name, graph, tuple(records), tuple(sorted(problems)), ignored)


def import_cases(
    path: str | os.PathLike[str],
    kb: Graph,
    *,
    index: TermIndex | None = None,
    base: str = str(CASE),
    skip_invalid: bool = False,
    validate: bool = True,
) -> CaseImport:
    """Read a CSV/TSV spreadsheet and import it (see ``import_spreadsheet``)."""
    return import_spreadsheet(read_spreadsheet(path), kb, index=index, base=base, skip_invalid=skip_invalid,
                              validate=validate)  # fmt: skip


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
