"""Staging patient cases by the PDQ tables, and checking recorded stages, with the rules that live in the graph.

Nothing here knows a staging rule or a site name. The stage comes from the stored query ``case-stages``
(queries/case-stages.rq), which walks the primary site's anatomy to a ``sarc:stagedBy`` system and matches the
tumour against that system's ``sarc:StagingRule`` individuals (data/staging-rules.ttl, source 003). A recorded
stage that contradicts those rules is found by the SHACL shape in shapes/case-staging.ttl, run by the project's
validator; ``shape_problems`` maps each of its results back to the spreadsheet row the case came from.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping, Sequence

import pyoxigraph as ox
from rdflib import Graph, URIRef

from .cases import CaseRecord, RowProblem, Spreadsheet, TermIndex, case_nodes, import_spreadsheet
from .graph import from_ox, new_graph, ox_store, to_ox
from .namespaces import CASE, SARC
from .queries import QueryResult, get_query, run_local

__all__ = [
    "CASE_STAGES_QUERY",
    "NOT_STAGED",
    "STAGE_COLUMNS",
    "computed_stage_ntriples",
    "fill_recorded_stages",
    "materialise_stages",
    "merged_graph",
    "shape_findings",
    "shape_problems",
    "stage_cases",
    "stage_graph",
    "validation_store_stage_ntriples",
]

CASE_STAGES_QUERY = "case-stages"
NOT_STAGED = "not staged"
STAGE_COLUMNS = ("case_id", "diagnosis", "primary_site", "stage", "staging_system", "reason")

_COLUMN_OF = {
    SARC.caseId: "case_id",
    SARC.hasDiagnosis: "diagnosis",
    SARC.hasPrimarySite: "primary_site",
    SARC.tumourSizeCm: "size_cm",
    SARC.hasGrade: "grade",
    SARC.hasNodalSpread: "nodal_spread",
    SARC.hasDistantMetastasis: "distant_metastasis",
    SARC.hasMetastasisSite: "metastasis_sites",
    SARC.ageYears: "age",
    SARC.hasSex: "sex",
    SARC.receivedTherapy: "therapies",
    SARC.recordedStage: "recorded_stage",
    SARC.hasDiseaseStatus: "disease_status",
    SARC.hadPriorRadiation: "prior_radiation",
    SARC.isResectable: "resectable",
}


def _quads(graph: Graph) -> Iterable[ox.Quad]:
    store = ox_store(graph)
    if store is not None:
        return (ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in store)
    return (ox.Quad(to_ox(s), to_ox(p), to_ox(o), ox.DefaultGraph()) for s, p, o in graph)


def merged_graph(*graphs: Graph) -> Graph:
    """One Oxigraph-backed graph holding every triple of ``graphs`` (bulk-copied; the inputs are not changed)."""
    merged = new_graph()
    store = ox_store(merged)
    assert store is not None
    for graph in graphs:
        _copy_into(store, graph, ox.DefaultGraph())
    return merged


def _copy_into(store: ox.Store, graph: Graph, target: ox.NamedNode | ox.DefaultGraph) -> None:
    """Add ``graph``'s triples to ``store`` in ``target``; Oxigraph-backed graphs are copied inside Oxigraph
    (N-Triples out, in again), with no Python object per triple."""
    source = ox_store(graph)
    if source is None:
        store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, target) for q in _quads(graph))
        return
    data = source.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    store.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=target)


def stage_graph(graph: Graph, *, cases: Sequence[str] | None = None) -> QueryResult:
    """Run the stored query ``case-stages`` on ``graph`` (the reasoned knowledge base plus any cases).

    ``cases`` (case IRIs) restricts the rows to those cases, through a trailing VALUES block built from the IRIs
    as RDF terms (never pasted text).
    """
    query = get_query(CASE_STAGES_QUERY)
    if cases is None:
        return run_local(graph, query.text)
    text = _for_cases(query.text, cases)
    store = ox_store(graph)
    if store is None:
        return run_local(graph, text)
    return _stage_store(store, text)


def _stage_store(store: ox.Store, text: str, *, union: bool = False) -> QueryResult:
    """``case-stages`` (``text``, with its VALUES block) straight on Oxigraph: the stored query was checked
    read-only when loaded, and re-parsing it with rdflib's parser to check again costs seconds once the VALUES
    block lists tens of thousands of cases. ``union``: on the union of the store's graphs (a validation store,
    with the knowledge base and the cases in two named graphs)."""
    solutions = store.query(text, use_default_graph_as_union=union)
    columns = tuple(v.value for v in solutions.variables)
    rows = tuple(tuple(from_ox(solution[name]) for name in columns) for solution in solutions)
    return QueryResult(columns, rows)


def stage_cases(kb: Graph, cases: Graph, records: Sequence[CaseRecord], *, base: str = str(CASE)) -> QueryResult:
    """The stage of each imported case (rows of ``case-stages``), computed on the knowledge base plus the cases."""
    return stage_graph(merged_graph(kb, cases), cases=[case_nodes(r.case_id, base).case for r in records])


def materialise_stages(
    kb: Graph, cases: Graph, records: Sequence[CaseRecord], index: TermIndex, *, base: str = str(CASE)
) -> int:
    """Add ``case sarc:computedStage <stage>`` to ``cases`` for every staged case; returns how many were added.

    The stage is the one ``case-stages`` computes (so the two never disagree); cases it does not stage get no
    triple, and the reason stays a column of that query.
    """  # fmt: skip
    added = 0
    for case, stage in _computed_stages(stage_cases(kb, cases, records, base=base), index, base):
        cases.add((case, SARC.computedStage, stage))
        added += 1
    return added


def computed_stage_ntriples(
    kb_ntriples: str, cases_ntriples: str, records: Sequence[CaseRecord], index: TermIndex, *, base: str = str(CASE)
) -> tuple[str, int]:
    """``materialise_stages`` for one batch of a streamed import: the ``sarc:computedStage`` triples (N-Triples)
    of ``records``, and how many, computed on a store of the knowledge base and these cases only.

    Every staging fact is about one case's own nodes, so a batch stages exactly as the whole sheet would, in
    memory bounded by the batch rather than the sheet.
    """
    store = ox.Store()
    store.load(kb_ntriples, format=ox.RdfFormat.N_TRIPLES)
    store.load(cases_ntriples, format=ox.RdfFormat.N_TRIPLES, lenient=True)  # the importer's own text
    return _stages_ntriples(store, records, index, base, union=False)


def validation_store_stage_ntriples(
    store: ox.Store, records: Sequence[CaseRecord], index: TermIndex, *, base: str = str(CASE)
) -> tuple[str, int]:
    """``computed_stage_ntriples`` on the validation store the batch was just validated on (the knowledge base
    and the batch in their two graphs, queried as one), instead of a second store built for staging alone
    (issue 15: half a second per batch of 10,000 cases). ``records`` may be fewer than the store's cases (the
    rows left out by ``--skip-invalid``): the VALUES block stages these only, and each case's stage depends on
    its own nodes alone, so the other cases and the sheet's source node change nothing."""
    return _stages_ntriples(store, records, index, base, union=True)


def _stages_ntriples(
    store: ox.Store, records: Sequence[CaseRecord], index: TermIndex, base: str, *, union: bool
) -> tuple[str, int]:
    text = _for_cases(get_query(CASE_STAGES_QUERY).text, [case_nodes(r.case_id, base).case for r in records])
    staged = list(_computed_stages(_stage_store(store, text, union=union), index, base))
    return "".join(f"{case.n3()} {SARC.computedStage.n3()} {stage.n3()} .\n" for case, stage in staged), len(staged)


def _for_cases(text: str, cases: Sequence[str]) -> str:
    """The query restricted to ``cases`` (IRIs) by a trailing VALUES block of RDF terms, never pasted text."""
    values = " ".join(URIRef(c).n3() for c in cases)
    return f"{text}\nVALUES ?case {{ {values} }}"


def _computed_stages(staged: QueryResult, index: TermIndex, base: str) -> Iterator[tuple[URIRef, URIRef]]:
    """(case, stage individual) for every row of ``case-stages`` that gives a stage."""
    for row in staged.rows:
        case_id, stage = str(row[0]), str(row[3])
        iri = index.stages.resolve(stage) if stage != NOT_STAGED else None
        if iri is not None:
            yield URIRef(case_nodes(case_id, base).case), iri


# ---------------------------------------------------------------------------------------------------- shapes


def _validation_store(kb: Graph, cases: Graph | None, ntriples: str | None = None) -> ox.Store:
    """The reasoned knowledge base as reference, and the cases as the data being validated.

    The reasoned graph, not the asserted files: a researcher's diagnosis may be a class that only HermiT places
    under sarc:Disease (a defined class such as non-rhabdomyosarcomatous soft tissue sarcoma), and the term index
    that accepted it was built from the same reasoned graph.
    """
    from .validate import DATA_GRAPH, REFERENCE_GRAPH

    store = ox.Store()
    _copy_into(store, kb, ox.NamedNode(str(REFERENCE_GRAPH)))
    if ntriples is None:
        assert cases is not None, "the cases as a graph or as N-Triples text"
        _copy_into(store, cases, ox.NamedNode(str(DATA_GRAPH)))
    else:  # the importer's own text of ``cases``: parsed once more instead of dumped and parsed
        store.load(ntriples, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(DATA_GRAPH)))
    return store


def _row_of(focus: str, base: str, rows: Mapping[str, int]) -> int | None:
    if not focus.startswith(base):
        return None
    case = base + focus[len(base) :].split("/", 1)[0]
    return rows.get(case)


def _cell(record: CaseRecord, column: str, value: object, index: TermIndex | None) -> str:
    if column == "recorded_stage" and record.recorded_stage is not None and index is not None:
        return index.notations.get(record.recorded_stage, str(record.recorded_stage))
    if column == "case_id":
        return record.case_id
    return "" if value is None else str(value)


def shape_problems(
    cases: Graph,
    records: Sequence[CaseRecord],
    kb: Graph,
    *,
    base: str = str(CASE),
    index: TermIndex | None = None,
) -> list[RowProblem]:
    """Validate the cases against every shape (with the knowledge base as context); violations as row problems.

    Only violations stop an import; a result on a node that is not one of the cases (the spreadsheet's source
    node) is reported on row 1.
    """
    return shape_findings(cases, records, kb, base=base, index=index)[0]


def shape_findings(
    cases: Graph | None,
    records: Sequence[CaseRecord],
    kb: Graph,
    *,
    base: str = str(CASE),
    index: TermIndex | None = None,
    ntriples: str | None = None,
    store: ox.Store | None = None,
    shapes: Graph | None = None,
) -> tuple[list[RowProblem], list[RowProblem]]:
    """Like ``shape_problems``, with the results below violation (warnings, infos) as a second list: an import
    keeps those cases but must show the warnings (a 250 cm tumour is imported, and said to be implausible).
    ``ntriples`` is ``cases`` as N-Triples text, when the caller has it (the importer does). ``store`` is a
    validation store already holding ``kb`` and the cases (the importer keeps one for all its batches, so the
    knowledge base is loaded once), and ``shapes`` the loaded shapes, likewise."""
    from .validate import Severity, load_shapes, validate_store

    if store is None:
        store = _validation_store(kb, cases, ntriples)
    report = validate_store(store, shapes if shapes is not None else load_shapes(), user_data=True)
    rows = {case_nodes(r.case_id, base).case: r.row for r in records}
    by_row = {r.row: r for r in records}
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []
    for result in report.results:
        found = problems if result.severity is Severity.VIOLATION else warnings
        column = _COLUMN_OF.get(result.path, "case_id") if isinstance(result.path, URIRef) else "case_id"
        row = _row_of(str(result.focus_node), base, rows)
        if row is None:
            found.append(RowProblem(1, column, "", f"{result.focus_node}: {result.message}"))
            continue
        value = _cell(by_row[row], column, result.value, index)
        found.append(RowProblem(row, column, value, result.message, by_row[row].case_id))
    return sorted(set(problems)), sorted(set(warnings))


# ---------------------------------------------------------------------------------------------------- cohorts


def fill_recorded_stages(
    sheet: Spreadsheet, kb: Graph, index: TermIndex, *, share: float = 0.3, seed: int = 0
) -> Spreadsheet:
    """``sheet`` with ``recorded_stage`` filled for a seeded ``share`` of the cases the staging query can stage.

    Researchers record a stage for some cases only; filling it from the query (never from a Python rule) keeps
    generated cohorts free of contradictions, so the staging shape has real recorded stages to check.
    """
    imported = import_spreadsheet(sheet, kb, index=index, validate=False, allow_empty=True)  # nothing is written here
    result = stage_cases(kb, imported.graph, imported.cases)
    stage_of = {str(row[0]): str(row[3]) for row in result.rows}
    rng = random.Random(f"recorded-stage:{seed}")
    rows = []
    for number, cells in sheet.rows:
        stage = stage_of.get(cells["case_id"], "")
        if stage and stage != NOT_STAGED and rng.random() < share:
            cells = {**cells, "recorded_stage": stage}
        rows.append((number, cells))
    return Spreadsheet(name=sheet.name, columns=sheet.columns, rows=tuple(rows))
