"""Staging by the PDQ tables in the graph: every boundary, every site family, unknown facts, recorded stages.

The expected stage of each fixture case is written beside it in tests/data/cases/*.csv (columns expected_stage
and expected_system, which the importer ignores), so the tables read like the PDQ page they come from.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from sarcoma_kg.cases import CaseImportError, build_term_index, import_cases, import_spreadsheet, parse_spreadsheet
from sarcoma_kg.cli import main
from sarcoma_kg.namespaces import SARC
from sarcoma_kg.queries import get_query, table_rows
from sarcoma_kg.staging import NOT_STAGED, STAGE_COLUMNS, merged_graph, shape_problems, stage_cases, stage_graph

STAGES = ("IA", "IB", "II", "IIIA", "IIIB", "IV")
FIXTURES = ("boundaries.csv", "sites.csv", "unknown-facts.csv")


def _expectations(test_data: Path) -> list[tuple[str, str, str, str]]:
    out = []
    for name in FIXTURES:
        with (test_data / "cases" / name).open(encoding="utf-8", newline="") as handle:
            out += [
                (name, row["case_id"], row["expected_stage"], row["expected_system"]) for row in csv.DictReader(handle)
            ]
    return out


EXPECTED = _expectations(Path(__file__).resolve().parent / "data")


@pytest.fixture(scope="module")
def index(kg):
    return build_term_index(kg)


@pytest.fixture(scope="module")
def staged(kg, index, test_data) -> dict[str, dict[str, str]]:
    """Every fixture case staged by the stored query, keyed by file and case id."""
    out: dict[str, dict[str, str]] = {}
    for name in FIXTURES:
        result = import_cases(test_data / "cases" / name, kg, index=index)
        rows = table_rows(stage_cases(kg, result.graph, result.cases))
        out[name] = {row[0]: dict(zip(STAGE_COLUMNS, row, strict=True)) for row in rows}
    return out


@pytest.mark.parametrize(("fixture", "case_id", "stage", "system"), EXPECTED, ids=[e[1] for e in EXPECTED])
def test_case_stages_by_the_pdq_tables(staged, fixture, case_id, stage, system):
    row = staged[fixture][case_id]
    assert (row["stage"], row["staging_system"]) == (stage, system)


def test_every_stage_is_one_of_the_six_or_not_staged(staged):
    assert {row["stage"] for rows in staged.values() for row in rows.values()} <= {*STAGES, NOT_STAGED}


def test_the_bmj_case_in_the_knowledge_base_is_stage_iv(kg):
    rows = table_rows(stage_graph(kg))
    bmj = [dict(zip(STAGE_COLUMNS, row, strict=True)) for row in rows if row[0].startswith("BMJ")]
    assert bmj == [
        {
            "case_id": "BMJ-bcr-2016-218639",
            "diagnosis": "alveolar soft part sarcoma",
            "primary_site": "retroperitoneum",
            "stage": "IV",
            "staging_system": "retroperitoneal staging",
            "reason": "PDQ rule: stage IV of soft tissue sarcoma of the retroperitoneum: any size and grade with"
            " distant metastasis, with or without nodal spread",
        }
    ]


def test_the_stored_query_declares_the_columns_it_returns():
    query = get_query("case-stages")
    assert query.columns == STAGE_COLUMNS
    assert "staging" in query.tags


def test_a_new_body_part_is_staged_through_the_anatomy_without_code(kg, index):
    """The foot is declared part of the leg only; the query finds the limb's staging system through the anatomy."""
    foot = Graph().parse(
        data="""
        @prefix sarc: <https://w3id.org/sarcoma-kg/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix obo: <http://purl.obolibrary.org/obo/> .
        sarc:Foot a owl:Class ; rdfs:label "foot"@en ; rdfs:subClassOf sarc:BodyRegion ,
            [ a owl:Restriction ; owl:onProperty obo:BFO_0000050 ; owl:someValuesFrom sarc:Leg ] .
        <urn:x:case> a sarc:PatientCase ; sarc:caseId "F1" ; sarc:hasDiagnosis <urn:x:tumour> .
        <urn:x:tumour> a sarc:SynovialSarcoma ; sarc:hasPrimarySite <urn:x:site> ; sarc:tumourSizeCm 12.0 ;
            sarc:hasGrade sarc:HighGrade ; sarc:hasNodalSpread false ; sarc:hasDistantMetastasis false .
        <urn:x:site> a sarc:Foot .
    """,
        format="turtle",
    )
    rows = table_rows(stage_graph(merged_graph(kg, foot), cases=["urn:x:case"]))
    assert [row[:5] for row in rows] == [["F1", "synovial sarcoma", "foot", "IIIB", "trunk and extremities staging"]]
    assert rows[0][5].startswith("PDQ rule: stage IIIB of soft tissue sarcoma of the trunk and extremities")


def test_cases_stage_prints_the_table_from_a_spreadsheet(build_dir, repo_root):
    result = CliRunner().invoke(main, ["cases", "stage", str(repo_root / "examples" / "cases.csv"),
                                       "--format", "csv", "--build-dir", str(build_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(result.stdout.splitlines()))
    assert rows[0] == list(STAGE_COLUMNS)
    assert [r[0] for r in rows[1:]] == [f"P-00{i}" for i in range(1, 8)]


def test_query_on_imported_cases_matches_cases_stage(tmp_path, build_dir, repo_root):
    example = repo_root / "examples" / "cases.csv"
    imported = CliRunner().invoke(main, ["cases", "import", str(example), "-o", str(tmp_path / "cases.ttl"),
                                         "--build-dir", str(build_dir)])  # fmt: skip
    assert imported.exit_code == 0, imported.output
    queried = CliRunner().invoke(main, ["query", "case-stages", "--data", str(tmp_path / "cases.ttl"), "--format",
                                        "csv", "--build-dir", str(build_dir)])  # fmt: skip
    staged = CliRunner().invoke(main, ["cases", "stage", str(example), "--format", "csv",
                                       "--build-dir", str(build_dir)])  # fmt: skip
    assert queried.exit_code == 0, queried.output
    from_query = [r for r in csv.reader(queried.stdout.splitlines()) if not r[0].startswith("BMJ")]
    assert from_query == list(csv.reader(staged.stdout.splitlines()))


# --------------------------------------------------------------------------------------------- recorded stages


def _with_recorded_stages(test_data: Path) -> str:
    """Every fixture case once per possible recorded stage (ids suffixed with the stage)."""
    lines = ["case_id,diagnosis,primary_site,size_cm,grade,nodal_spread,distant_metastasis,recorded_stage"]
    for name in FIXTURES:
        with (test_data / "cases" / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for stage in STAGES:
                    cells = [
                        f"{row['case_id']}~{stage}",
                        row["diagnosis"],
                        row["primary_site"],
                        row["size_cm"],
                        row["grade"],
                        row["nodal_spread"],
                        row["distant_metastasis"],
                        stage,
                    ]
                    lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


# Cases whose stage the rules leave open: every stage some value of the unknown facts would give is allowed.
OPEN_CASES = {
    "TE-nodes-no-metastasis-unknown": {"IA", "IV"},
    "TE-nodes-unknown-metastasis-no": {"IA", "IV"},
    "TE-both-unknown": {"IA", "IV"},
    "RP-nodes-yes-metastasis-unknown": {"IIIB", "IV"},
    "RP-nodes-unknown-metastasis-no-small-low": {"IA", "IIIB"},
}


def test_the_shape_flags_exactly_the_recorded_stages_the_rules_rule_out(kg, index, test_data):
    sheet = parse_spreadsheet(_with_recorded_stages(test_data), "recorded.csv")
    result = import_spreadsheet(sheet, kg, index=index, validate=False)
    case_of_row = {r.row: r.case_id for r in result.cases}
    problems = shape_problems(result.graph, result.cases, kg, index=index)
    flagged = {case_of_row[p.row] for p in problems if p.column == "recorded_stage"}
    expected = set()
    for _fixture, case_id, stage, _system in EXPECTED:
        possible = {stage} if stage in STAGES else OPEN_CASES.get(case_id, set())
        expected |= {f"{case_id}~{recorded}" for recorded in STAGES if recorded not in possible}
    assert flagged == expected
    assert {p.column for p in problems} == {"recorded_stage"}


def test_a_contradicting_recorded_stage_is_a_violation_naming_both(kg, index):
    sheet = parse_spreadsheet(
        "case_id,diagnosis,primary_site,size_cm,grade,nodal_spread,distant_metastasis,"
        "recorded_stage\nR1,synovial sarcoma,retroperitoneum,3,high,yes,no,IV\n",
        "r.csv",
    )
    with pytest.raises(CaseImportError) as caught:
        import_spreadsheet(sheet, kg, index=index)
    (problem,) = caught.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "recorded_stage", "IV")
    assert "recorded stage IV contradicts" in problem.reason
    assert "(retroperitoneal staging): IIIB" in problem.reason


def test_a_recorded_stage_for_a_site_without_standard_staging_contradicts_not_staged(kg, index):
    sheet = parse_spreadsheet(
        "case_id,diagnosis,primary_site,size_cm,grade,nodal_spread,distant_metastasis,"
        "recorded_stage\nH1,rhabdomyosarcoma,neck,3,high,no,no,II\n",
        "h.csv",
    )
    with pytest.raises(CaseImportError) as caught:
        import_spreadsheet(sheet, kg, index=index)
    assert "(no standard staging): not staged" in caught.value.problems[0].reason


def test_agreeing_recorded_stages_pass(kg, index, repo_root):
    result = import_cases(repo_root / "examples" / "cases.csv", kg, index=index)
    recorded = {c.case_id: c.recorded_stage for c in result.cases if c.recorded_stage is not None}
    assert recorded == {"P-001": SARC.StageIV, "P-002": SARC.StageII, "P-003": SARC.StageIIIB}


def test_anatomy_restrictions_are_part_of_only_so_the_walk_follows_part_of(kg):
    """The query's path follows any existential restriction above a site class; in the anatomy those are all
    part-of, which this guards (a 'located in' restriction added later must be considered in the query)."""
    rows = list(
        kg.query("""
        SELECT ?cls ?property WHERE {
            ?cls rdfs:subClassOf* sarc:AnatomicalEntity ; rdfs:subClassOf [ owl:onProperty ?property ] .
            FILTER(?property != obo:BFO_0000050)
        }""")
    )
    assert rows == []


# --------------------------------------------------------------------------------------- nodes of several classes

MULTI_TYPED = """
    @prefix sarc: <https://w3id.org/sarcoma-kg/> .
    <urn:x:case> a sarc:PatientCase ; sarc:caseId "M1" ; sarc:hasDiagnosis <urn:x:tumour> .
    <urn:x:tumour> a sarc:SoftTissueSarcoma , sarc:SynovialSarcoma ; sarc:hasPrimarySite <urn:x:site> ;
        sarc:tumourSizeCm 3.0 ; sarc:hasGrade sarc:LowGrade ; sarc:hasNodalSpread false ;
        sarc:hasDistantMetastasis false .
    <urn:x:site> a sarc:Limb , sarc:LowerLimb .
"""


def test_a_tumour_of_a_disease_and_its_subtype_is_diagnosed_by_the_subtype_once(kg):
    """The diagnosis is the narrowest of the tumour's classes, the site the narrowest of its: one row per case."""
    rows = table_rows(
        stage_graph(merged_graph(kg, Graph().parse(data=MULTI_TYPED, format="turtle")), cases=["urn:x:case"])
    )
    assert [row[:5] for row in rows] == [
        ["M1", "synovial sarcoma", "lower limb", "IA", "trunk and extremities staging"]
    ]
