"""The stored-query catalogue: every query's header is valid and each answers what the sources say."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef, namespace

from sarcoma_kg.errors import QueryError
from sarcoma_kg.namespaces import SARC
from sarcoma_kg.queries import (
    README_END,
    README_START,
    ParamType,
    QueryParam,
    QueryResult,
    bind_params,
    catalogue_markdown,
    compact_term,
    ensure_read_only,
    get_query,
    load_catalogue,
    load_query,
    parse_param_value,
    projection,
    run_local,
    serialize_result,
    update_readme,
)

CATALOGUE = load_catalogue()
# Stored queries whose answer is checked elsewhere: case-stages by the cases tests, statement-sources below.
UNCHECKED = {"case-stages", "statement-sources"}
REQUIRED = {
    "inherited-risk-syndromes",
    "sts-risk-factors",
    "asps-genetics",
    "asps-diagnostic-tests",
    "therapies-for-metastatic-asps",
    "stage-iv-sts-treatments",
    "recurrent-sts-treatments",
    "tyrosine-kinase-inhibitors",
    "immune-checkpoint-inhibitors",
    "asps-metastatic-sites",
    "asps-symptoms",
    "survival-statistics",
    "case-report-summary",
    "statement-sources",
    "follow-up-schedule",
    "therapies-for-disease",
    "diseases-for-gene",
    "case-stages",
}


# What the sources say, per query (with its default parameters unless given): one column's set of values.
def _non_rhabdomyosarcoma_subtypes() -> set[str]:
    """What HermiT must infer under the defined class: every asserted soft tissue sarcoma subclass (ontology and
    NCIt import) that lies under one of the types declared disjoint with rhabdomyosarcoma."""
    from sarcoma_kg import paths
    from sarcoma_kg.graph import load_files

    asserted = load_files(paths.ontology_files())
    sub = namespace.RDFS.subClassOf
    sts = set(asserted.transitive_subjects(sub, SARC.SoftTissueSarcoma))
    disjoint = (SARC.AlveolarSoftPartSarcoma, SARC.KaposiSarcoma, SARC.SynovialSarcoma,
                SARC.DesmoplasticSmallRoundCellTumour, SARC.InfantileFibrosarcoma)  # fmt: skip
    under = set().union(*(set(asserted.transitive_subjects(sub, d)) for d in disjoint))
    return {str(c) for c in sts & under}


EXPECTED: dict[str, tuple[dict[str, str], str, set[str]]] = {
    "inherited-risk-syndromes": ({}, "geneLabel", {"TP53", "NF1", "APC", "PTCH1", "TSC1", "TSC2", "WRN"}),
    "tyrosine-kinase-inhibitors": (
        {},
        "drugLabel",
        {"pazopanib", "imatinib", "sunitinib", "regorafenib", "cediranib", "larotrectinib"},
    ),
    "immune-checkpoint-inhibitors": ({}, "drugLabel", {"pembrolizumab", "nivolumab", "atezolizumab", "ipilimumab"}),
    "asps-genetics": ({}, "geneLabel", {"ASPSCR1", "TFE3"}),
    "asps-metastatic-sites": ({}, "siteLabel", {"lung", "bone", "brain"}),
    "asps-symptoms": (
        {},
        "symptom",
        {
            str(SARC[s])
            for s in (
                "PainlessLumpOrSwelling",
                "CompressionPain",
                "Limping",
                "ReducedRangeOfMotion",
                "BackPain",
                "RadicularPain",
                "Numbness",
                "Paraesthesia",
            )
        },
    ),
    "therapies-for-metastatic-asps": (
        {},
        "therapy",
        {
            str(SARC[t])
            for t in (
                "Pazopanib",
                "Sunitinib",
                "Atezolizumab",
                "TKICheckpointInhibitorCombination",
                "CombinationTherapy",
                "Chemoradiotherapy",
            )
        },
    ),
    "stage-iv-sts-treatments": (
        {},
        "therapy",
        {str(SARC[t]) for t in ("Chemotherapy", "PulmonaryMetastasectomy", "Pazopanib", "Imatinib")},
    ),
    "survival-statistics": ({}, "figure", {"91", "60", "38"}),
    "sts-risk-factors": (
        {},
        "riskFactor",
        {
            str(SARC[r])
            for r in (
                "LiFraumeniSyndrome",
                "Neurofibromatosis1",
                "GardnerSyndrome",
                "NevoidBasalCellCarcinomaSyndrome",
                "TuberousSclerosis",
                "WernerSyndrome",
                "RadiationTherapy",
                "ChronicLimbLymphoedema",
                "ThoriumDioxide",
                "VinylChloride",
                "Arsenic",
                "HIVInfection",
                "HHV8Infection",
            )
        },
    ),
    "diseases-for-gene": ({"symbol": "tp53"}, "disease", {str(SARC.LiFraumeniSyndrome)}),
    "asps-diagnostic-tests": (
        {},
        "purpose",
        {str(SARC[p]) for p in ("DiagnosisPurpose", "ProcedurePlanningPurpose")},
    ),
    "follow-up-schedule": ({}, "intervalMonthsMin", {"3", "12"}),
    "case-report-summary": (
        {},
        "aspect",
        {
            "case id",
            "age (years)",
            "sex",
            "diagnosis",
            "primary site",
            "tumour size (cm)",
            "tumour dimensions",
            "grade",
            "distant metastasis",
            "metastasis site",
            "invaded site",
            "symptom",
            "diagnosed by",
            "therapy",
            "response",
            "response assessed at (months)",
            "source",
        },
    ),
    # Kaposi sarcoma is no longer a soft tissue sarcoma (issue 11), and the NCIt import's subclasses of the
    # types disjoint with rhabdomyosarcoma are inferred too: the expectation is computed from the asserted axioms.
    "disease-subtypes": (
        {"disease": "sarc:NonRhabdomyosarcomatousSoftTissueSarcoma"},
        "subtype",
        _non_rhabdomyosarcoma_subtypes(),
    ),
    "entity-search": ({"text": "Gorlin"}, "entity", {str(SARC.NevoidBasalCellCarcinomaSyndrome)}),
    "primary-sites": ({}, "siteLabel", {"soft tissue", "leg", "arm", "head", "neck", "thigh"}),
    "recurrent-sts-treatments": (
        {},
        "aboutDisease",
        {
            str(SARC[d])
            for d in (
                "SoftTissueSarcoma",
                "ChildhoodSoftTissueSarcoma",
                "DesmoplasticSmallRoundCellTumour",
                "NonRhabdomyosarcomatousSoftTissueSarcoma",
                "AlveolarSoftPartSarcoma",
            )
        },
    ),
    "therapies-for-disease": (
        {},
        "therapy",
        {
            str(SARC[t])
            for t in (
                "Surgery",
                "LimbSparingSurgery",
                "Rotationplasty",
                "Amputation",
                "RadiationTherapy",
                "ArterialEmbolization",
                "WideLocalExcision",
                "Chemotherapy",
                "Pazopanib",
                "Sunitinib",
                "Atezolizumab",
                "TKICheckpointInhibitorCombination",
                "CombinationTherapy",
                "TyrosineKinaseInhibitorTherapy",
                "ImmuneCheckpointInhibitorTherapy",
                "Chemoradiotherapy",
            )
        },
    ),
    "case-treatment-options": (
        {},
        "therapy",
        {
            str(SARC[t])
            for t in (
                # the BMJ case (004): adult, newly diagnosed, retroperitoneal stage IV ASPS with lung metastases
                "Atezolizumab",
                "Brachytherapy",
                "Cediranib",
                "Chemoradiotherapy",
                "Chemotherapy",
                "CombinationTherapy",
                "ExternalBeamRadiationTherapy",
                "Imatinib",
                "ImmuneCheckpointInhibitorTherapy",
                "Immunotherapy",
                "IntensityModulatedRadiationTherapy",
                "Ipilimumab",
                "Larotrectinib",
                "Pazopanib",
                "PulmonaryMetastasectomy",
                "RadiationTherapy",
                "Regorafenib",
                "Sunitinib",
                "Surgery",
                "TargetedTherapy",
                "Tazemetostat",
                "Therapy",
                "TKICheckpointInhibitorCombination",
                "TyrosineKinaseInhibitorTherapy",
            )
        },
    ),
    "disease-course": (
        {"disease": "sarc:InfantileFibrosarcoma"},
        "statement",
        {"https://w3id.org/sarcoma-kg/kb/statement/infantile-fibrosarcoma-recurrent-possible-exception"},
    ),
}


EXPECTED_DIR = Path(__file__).resolve().parent / "data" / "queries" / "expected"


def expected_rows(name: str) -> tuple[tuple[str, ...], set[tuple[str, ...]]] | None:
    """The fixture ``expected/<name>.tsv``: a header of some result columns and the rows the sources give."""
    file = EXPECTED_DIR / f"{name}.tsv"
    if not file.is_file():
        return None
    lines = [line for line in file.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = tuple(lines[0].split("\t"))
    return header, {tuple(line.split("\t")) for line in lines[1:]}


def projected(result: QueryResult, columns: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The result's rows on ``columns``, as compact text (CURIEs, lexical forms; empty when unbound)."""
    indexes = [result.columns.index(c) for c in columns]
    return {tuple(compact_term(row[i]) for i in indexes) for row in result.rows}


def column_values(result: QueryResult, column: str) -> set[str]:
    index = result.columns.index(column)
    return {
        str(Decimal(str(row[index]))) if _is_number(row[index]) else str(row[index])
        for row in result.rows
        if row[index] is not None
    }


def _is_number(term) -> bool:
    return isinstance(term, Literal) and isinstance(term.toPython(), (int, Decimal))


def test_catalogue_holds_every_required_query() -> None:
    assert {q.name for q in CATALOGUE} >= REQUIRED


@pytest.mark.parametrize("query", CATALOGUE, ids=[q.name for q in CATALOGUE])
def test_stored_query(query, kg: Graph) -> None:
    """Header valid (load_catalogue checked it strictly), projection = columns, ORDER BY, rows as sources say."""
    assert query.summary and query.description and query.tags
    assert projection(query.text) == query.columns
    assert "ORDER BY" in query.text.upper(), "stored queries sort their rows, so every output is deterministic"
    for param in query.params:
        assert param.default is not None, f"{param.name} needs a default so 'make run' can answer the query"
    params, column, expected = EXPECTED.get(query.name, ({}, None, None))
    result = run_local(kg, query.text, bind_params(query, params))
    assert result.columns == query.columns
    assert result.rows, f"{query.name} answers nothing from the knowledge base"
    if column is not None:
        assert column_values(result, column) == expected
    fixture = expected_rows(query.name)
    if fixture is not None:
        columns, rows = fixture
        assert projected(result, columns) == rows
    assert column is not None or fixture is not None or query.name in UNCHECKED, f"no expected answer for {query.name}"
    if "source" in query.columns and query.name != "case-report-summary":
        index = query.columns.index("source")
        assert all(row[index] is not None for row in result.rows), "rows from statements carry their source"


def test_therapies_for_disease_includes_subclasses(kg: Graph) -> None:
    query = get_query("therapies-for-disease")
    sts = run_local(kg, query.text, bind_params(query, {"disease": "sarc:SoftTissueSarcoma"}))
    diseases = column_values(sts, "aboutDisease")
    assert {
        str(SARC.SoftTissueSarcoma),
        str(SARC.AlveolarSoftPartSarcoma),
        str(SARC.ChildhoodSoftTissueSarcoma),
        str(SARC.SynovialSarcoma),
    } <= diseases
    kaposi = run_local(kg, query.text, bind_params(query, {"disease": "sarc:KaposiSarcoma"}))
    assert kaposi.rows == ()


def test_string_parameter_with_quotes_and_braces_comes_back_as_the_literal(kg: Graph, test_data: Path) -> None:
    query = load_query(test_data / "queries" / "echo-text.rq")
    hostile = "\"} ; DROP ALL ; <' \\ \n }}"
    result = run_local(kg, query.text, bind_params(query, {"text": hostile}))
    [(value,)] = result.rows
    assert isinstance(value, Literal) and str(value) == hostile and value.language is None
    assert value.datatype in (None, namespace.XSD.string)


@pytest.mark.parametrize("value", ["} ; DROP ALL ; <", "<http://x> } ; DROP ALL", "http://a b", "nope", "unknown:X"])
def test_bad_iri_is_refused(value: str) -> None:
    with pytest.raises(QueryError):
        parse_param_value(QueryParam("disease", ParamType.IRI), value)


def test_parameter_values_become_typed_terms() -> None:
    assert parse_param_value(QueryParam("d", ParamType.IRI), "kb:case/x") == URIRef(
        "https://w3id.org/sarcoma-kg/kb/case/x"
    )
    assert parse_param_value(QueryParam("d", ParamType.IRI), "<https://example.org/a>") == URIRef(
        "https://example.org/a"
    )
    assert parse_param_value(QueryParam("n", ParamType.INTEGER), "5").toPython() == 5
    assert parse_param_value(QueryParam("n", ParamType.DECIMAL), "2.5").toPython() == Decimal("2.5")
    assert parse_param_value(QueryParam("b", ParamType.BOOLEAN), "TRUE").toPython() is True
    for kind, bad in [(ParamType.INTEGER, "5.5"), (ParamType.DECIMAL, "1e3"), (ParamType.BOOLEAN, "yes")]:
        with pytest.raises(QueryError):
            parse_param_value(QueryParam("x", kind), bad)


def test_unknown_and_missing_parameters_are_errors() -> None:
    query = get_query("therapies-for-disease")
    with pytest.raises(QueryError, match="no parameter 'diseases'"):
        bind_params(query, {"diseases": "sarc:KaposiSarcoma"})


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        ("bad-unknown-key.rq", "unknown header key"),
        ("bad-missing-description.rq", "missing description"),
        ("bad-param-type.rq", "type 'date'"),
        ("bad-unused-param.rq", r"not used as \?disease"),
        ("bad-columns.rq", "differ from the SELECT projection"),
        ("bad-default.rq", "default of parameter 'thing'"),
        ("bad-update.rq", "SPARQL update"),
        ("bad-yaml.rq", "not valid YAML"),
    ],
)
def test_bad_header_is_a_clear_error(test_data: Path, fixture: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        load_query(test_data / "queries" / fixture)


@pytest.mark.parametrize(
    "text",
    [
        "DROP ALL",
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://example.org/x>",
        "CLEAR DEFAULT",
        "CREATE GRAPH <http://g>",
        "ADD DEFAULT TO <http://g>",
        "MOVE DEFAULT TO <http://g>",
        "COPY DEFAULT TO <http://g>",
        "PREFIX s: <http://x/> WITH <http://g> DELETE { ?a ?b ?c } WHERE { ?a ?b ?c }",
    ],
)
def test_updates_are_refused(text: str) -> None:
    with pytest.raises(QueryError, match="SPARQL update"):
        ensure_read_only(text)


def test_unknown_query_name_suggests_close_names() -> None:
    with pytest.raises(QueryError, match="did you mean asps-symptoms"):
        get_query("asps-symptom")


def test_file_without_header_runs_with_columns_from_the_query(kg: Graph, test_data: Path) -> None:
    query = get_query(str(test_data / "queries" / "no-header.rq"))
    assert query.columns == ("drug", "label")
    assert column_values(run_local(kg, query.text), "label") == {"nivolumab", "pembrolizumab"}


def test_results_follow_the_w3c_formats(kg: Graph) -> None:
    query = get_query("survival-statistics")
    result = run_local(kg, query.text, bind_params(query))
    data = json.loads(serialize_result(result, "json"))
    assert data["head"]["vars"] == list(query.columns)
    first = data["results"]["bindings"][0]
    assert first["source"]["type"] == "uri"
    assert first["timePoint"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"
    csv_text = serialize_result(result, "csv").decode()
    assert csv_text.startswith(",".join(query.columns) + "\r\n")
    tsv_text = serialize_result(result, "tsv").decode()
    assert tsv_text.splitlines()[0] == "\t".join(f"?{c}" for c in query.columns)
    assert "<https://w3id.org/sarcoma-kg/kb/source/" in tsv_text


def test_readme_catalogue_is_current(repo_root: Path) -> None:
    """Regenerate with: sarcoma-kg queries --write-readme README.md"""
    readme = repo_root / "README.md"
    text = readme.read_text(encoding="utf-8")
    assert README_START in text and README_END in text, "README.md needs the query-catalogue markers"
    assert update_readme(readme, check=True), (
        "README catalogue is stale: run sarcoma-kg queries --write-readme README.md"
    )


def test_catalogue_markdown_lists_every_query_with_its_parameters() -> None:
    markdown = catalogue_markdown(CATALOGUE)
    for query in CATALOGUE:
        assert f"| `{query.name}` |" in markdown
    assert "`disease` (iri = `sarc:AlveolarSoftPartSarcoma`)" in markdown


def test_update_readme_rewrites_only_between_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# top\n{README_START}\nold\n{README_END}\nbottom\n", encoding="utf-8")
    assert update_readme(readme) is False
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"# top\n{README_START}\n| query |") and text.endswith(f"{README_END}\nbottom\n")
    assert update_readme(readme, check=True) is True


def test_statement_sources_cover_every_statement_of_the_knowledge_base(kg: Graph) -> None:
    query = get_query("statement-sources")
    result = run_local(kg, query.text, bind_params(query))
    listed = column_values(result, "statement")
    about_a_disease = {
        str(s)
        for s in kg.subjects(SARC.aboutDisease, None)
        if str(s).startswith("https://w3id.org/sarcoma-kg/kb/statement/")
    }
    assert about_a_disease and listed == about_a_disease
    assert all(row[query.columns.index("sourceTitle")] is not None for row in result.rows)
