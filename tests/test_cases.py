"""Importing a researcher's spreadsheet: every row checked, terms resolved through the ontology, RDF per the model.

Fixtures: tests/data/cases/ (errors.csv holds one broken row per kind of mistake) and examples/cases.csv.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from sarcoma_kg.cases import (
    CaseImportError,
    RowProblem,
    build_term_index,
    case_nodes,
    generate_cases,
    import_cases,
    import_spreadsheet,
    parse_spreadsheet,
    read_spreadsheet,
    source_node,
    spreadsheet_csv,
)
from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError
from sarcoma_kg.export import serialize
from sarcoma_kg.namespaces import CASE, SARC

HEADER = "case_id,diagnosis,primary_site,size_cm,grade,nodal_spread,distant_metastasis"


@pytest.fixture(scope="module")
def index(kg):
    return build_term_index(kg)


@pytest.fixture(scope="module")
def example(repo_root: Path) -> Path:
    return repo_root / "examples" / "cases.csv"


def _sheet(*rows: str, header: str = HEADER, name: str = "t.csv"):
    return parse_spreadsheet("\n".join([header, *rows]) + "\n", name)


def _problems(kg, index, *rows: str, header: str = HEADER) -> list[RowProblem]:
    with pytest.raises(CaseImportError) as caught:
        import_spreadsheet(_sheet(*rows, header=header), kg, index=index)
    return list(caught.value.problems)


# --------------------------------------------------------------------------------------------- the RDF


def test_example_spreadsheet_imports_every_case(kg, index, example):
    result = import_cases(example, kg, index=index)
    assert [c.case_id for c in result.cases] == [f"P-00{i}" for i in range(1, 8)]
    assert result.problems == ()
    assert len(set(result.graph.subjects(RDF.type, SARC.PatientCase))) == 7


def test_case_record_follows_the_model(kg, index, example):
    graph = import_cases(example, kg, index=index).graph
    case, tumour = URIRef(CASE["P-001"]), URIRef(CASE["P-001/tumour"])
    assert str(graph.value(case, SARC.caseId)) == "P-001"
    assert graph.value(case, SARC.hasDiagnosis) == tumour
    assert (tumour, RDF.type, SARC.AlveolarSoftPartSarcoma) in graph
    assert (URIRef(CASE["P-001/primary-site"]), RDF.type, SARC.Thigh) in graph
    size = graph.value(tumour, SARC.tumourSizeCm)
    assert size.datatype == XSD.decimal and size.toPython() == Decimal("8.5")
    assert graph.value(tumour, SARC.hasGrade) == SARC.HighGrade
    assert graph.value(tumour, SARC.hasNodalSpread) == Literal(False)
    assert graph.value(tumour, SARC.hasDistantMetastasis) == Literal(True)
    assert (URIRef(CASE["P-001/metastasis/1"]), RDF.type, SARC.Lung) in graph
    assert (URIRef(CASE["P-001/metastasis/2"]), RDF.type, SARC.Brain) in graph
    assert (URIRef(CASE["P-001/therapy/2"]), RDF.type, SARC.Atezolizumab) in graph
    assert graph.value(case, SARC.recordedStage) == SARC.StageIV
    assert graph.value(case, SARC.hasSex) == SARC.Female
    assert graph.value(case, SARC.ageYears).toPython() == Decimal(24)


def test_every_case_cites_the_spreadsheet_by_file_name_only(kg, index, example):
    graph = import_cases(example, kg, index=index).graph
    source = URIRef(source_node("cases.csv"))
    assert (source, RDF.type, SARC.SourceDocument) in graph
    assert str(graph.value(source, DCTERMS.title)) == "cases.csv"
    assert graph.value(URIRef(CASE["P-003"]), DCTERMS.source) == source
    assert str(example.parent) not in serialize(graph).decode()


def test_case_ids_are_percent_encoded_in_iris(kg, index):
    result = import_spreadsheet(_sheet("C 1/a,synovial sarcoma,arm,3,low,no,no"), kg, index=index)
    assert case_nodes("C 1/a").case == str(CASE) + "C%201%2Fa"
    assert str(result.graph.value(URIRef(case_nodes("C 1/a").case), SARC.caseId)) == "C 1/a"


def test_base_option_puts_cases_in_another_namespace(kg, index):
    base = "https://example.org/study-7/"
    graph = import_spreadsheet(_sheet("S1,synovial sarcoma,arm,3,low,no,no"), kg, index=index, base=base).graph
    assert (URIRef(base + "S1"), RDF.type, SARC.PatientCase) in graph


def test_blank_grade_is_unknown_grade_and_blank_spread_is_left_out(kg, index):
    graph = import_spreadsheet(_sheet("B1,synovial sarcoma,arm,3,,,"), kg, index=index).graph
    tumour = URIRef(case_nodes("B1").tumour)
    assert graph.value(tumour, SARC.hasGrade) == SARC.UnknownGrade
    assert graph.value(tumour, SARC.hasNodalSpread) is None
    assert graph.value(tumour, SARC.hasDistantMetastasis) is None


# --------------------------------------------------------------------------------------------- terms


@pytest.mark.parametrize(
    "text",
    [
        "alveolar soft part sarcoma",
        "  Alveolar  Soft Part SARCOMA ",
        "ASPS",
        "alveolar soft-part sarcoma",
        "NCIT:C3750",
        "ncit:c3750",
        "MONDO:0011655",
        "sarc:AlveolarSoftPartSarcoma",
        "https://w3id.org/sarcoma-kg/AlveolarSoftPartSarcoma",
    ],
)
def test_diagnosis_resolves_by_label_synonym_curie_or_xref_in_any_case(index, text):
    assert index.diagnoses.resolve(text) == SARC.AlveolarSoftPartSarcoma


@pytest.mark.parametrize(
    ("text", "site"),
    [("thigh", SARC.Thigh), ("upper leg", SARC.Thigh), ("extremity", SARC.Limb),
     ("UBERON:0003693", SARC.Retroperitoneum), ("Torso", SARC.Trunk)],
)  # fmt: skip
def test_sites_resolve_through_the_ontology(index, text, site):
    assert index.sites.resolve(text) == site


def test_drugs_are_therapies_through_hermits_classification(index):
    assert index.therapies.resolve("pazopanib") == SARC.Pazopanib
    assert index.therapies.resolve("Votrient") == SARC.Pazopanib
    assert index.therapies.resolve("radiation therapy") == SARC.RadiationTherapy
    assert index.diagnoses.resolve("pazopanib") is None


@pytest.mark.parametrize(
    ("text", "grade"),
    [("low", SARC.LowGrade), ("mid", SARC.MidGrade), ("intermediate", SARC.MidGrade), ("High", SARC.HighGrade),
     ("unknown", SARC.UnknownGrade), ("G2", SARC.MidGrade), ("high grade", SARC.HighGrade)],
)  # fmt: skip
def test_grade_words_resolve(index, text, grade):
    assert index.grades.resolve(text) == grade


@pytest.mark.parametrize(
    ("text", "stage"),
    [("IA", SARC.StageIA), ("stage iiib", SARC.StageIIIB), ("stage 4", SARC.StageIV), ("4", SARC.StageIV), ("V", None)],
)
def test_recorded_stages_resolve_by_notation_or_label(index, text, stage):
    assert index.stages.resolve(text) == stage


@pytest.mark.parametrize(("cell", "value"), [("yes", True), ("No", False), ("TRUE", True), ("false", False),
                                             ("1", True), ("0", False)])  # fmt: skip
def test_boolean_cells(kg, index, cell, value):
    graph = import_spreadsheet(_sheet(f"B,synovial sarcoma,arm,3,low,{cell},no"), kg, index=index).graph
    assert graph.value(URIRef(case_nodes("B").tumour), SARC.hasNodalSpread) == Literal(value)


# --------------------------------------------------------------------------------------------- errors

EXPECTED_ERRORS = [
    (3, "case_id", "E1", "duplicate case_id (first used on row 2)"),
    (4, "size_cm", "four", "must be a number greater than 0"),
    (5, "size_cm", "-2", "must be a number greater than 0"),
    (6, "size_cm", "NaN", "must be a number greater than 0"),
    (7, "size_cm", "0", "must be a number greater than 0"),
    (8, "grade", "severe", "must be low, mid, intermediate, high, unknown or blank"),
    (9, "primary_site", "elbw", "unknown anatomical site"),
    (10, "diagnosis", "synovial sarcomma", "unknown diagnosis; closest known: 'synovial sarcoma'"),
    (11, "nodal_spread", "maybe", "must be yes or no"),
    (12, "metastasis_sites", "lunk", "unknown anatomical site; closest known: 'lung'"),
    (13, "age", "-1", "must be a number 0 or more"),
    (14, "therapies", "doxorubicine", "unknown therapy; closest known: 'doxorubicin'"),
    (15, "recorded_stage", "stage V", "unknown stage; expected one of IA, IB, II, IIIA, IIIB, IV, or blank"),
    (16, "metastasis_sites", "lung", "metastasis sites are listed but distant_metastasis is 'no'"),
    (17, "case_id", "", "a case_id is required"),
    (
        18,
        "recorded_stage",
        "IV",
        "The recorded stage IV contradicts the stage computed from the tumour by the PDQ "
        "rules (trunk and extremities staging): II",
    ),
    (19, "size_cm", "4,5", "must be a number greater than 0 (use a decimal point, not a comma)"),
    (20, "size_cm", "inf", "must be a number greater than 0"),
]


@pytest.fixture(scope="module")
def error_problems(kg, index, test_data) -> list[RowProblem]:
    with pytest.raises(CaseImportError) as caught:
        import_cases(test_data / "cases" / "errors.csv", kg, index=index)
    return list(caught.value.problems)


@pytest.mark.parametrize(("row", "column", "value", "reason"), EXPECTED_ERRORS)
def test_each_bad_cell_is_reported_with_row_column_value_and_reason(error_problems, row, column, value, reason):
    matching = [p for p in error_problems if (p.row, p.column, p.value) == (row, column, value)]
    assert matching, f"no problem reported for row {row}, column {column}"
    assert reason in matching[0].reason


def test_all_bad_rows_are_reported_not_only_the_first(error_problems):
    assert {p.row for p in error_problems} == {row for row, *_ in EXPECTED_ERRORS}
    assert len(error_problems) == len(EXPECTED_ERRORS)


def test_problem_reads_as_one_line_for_a_researcher():
    problem = RowProblem(4, "size_cm", "-2", "must be a number greater than 0")
    assert str(problem) == "row 4, column size_cm, value '-2': must be a number greater than 0"


def test_missing_required_column_is_one_error_naming_it(kg, index, test_data):
    with pytest.raises(CaseImportError) as caught:
        import_cases(test_data / "cases" / "missing-column.csv", kg, index=index)
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "size_cm")]
    assert "size_cm" in str(caught.value.problems[0])


def test_unknown_columns_are_ignored_and_named(kg, index):
    result = import_spreadsheet(_sheet("N1,synovial sarcoma,arm,3,low,no,no,left side",
                                       header=HEADER + ",notes"), kg, index=index)  # fmt: skip
    assert result.ignored_columns == ("notes",)


def test_cli_lists_every_problem_then_a_summary_and_writes_nothing(tmp_path, build_dir, test_data):
    output = tmp_path / "out.ttl"
    result = CliRunner().invoke(main, ["cases", "import", str(test_data / "cases" / "errors.csv"), "-o", str(output),
                                       "--build-dir", str(build_dir)])  # fmt: skip
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("row 3 (case E1), column case_id, value 'E1': duplicate case_id")
    assert len(lines) == len(EXPECTED_ERRORS) + 1
    assert lines[-1] == "sarcoma-kg: error: errors.csv: 18 problem(s) in 18 row(s); nothing was written"
    assert not output.exists()


def test_skip_invalid_writes_the_good_rows_and_lists_the_bad(tmp_path, build_dir, test_data):
    output = tmp_path / "out.ttl"
    result = CliRunner().invoke(main, ["cases", "import", str(test_data / "cases" / "errors.csv"), "-o", str(output),
                                       "--skip-invalid", "--build-dir", str(build_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("skipped: row ") for line in result.stderr.splitlines()) == len(EXPECTED_ERRORS)
    assert "imported 1 case(s)" in result.stderr
    assert 'sarc:caseId "E1"' in output.read_text()


def test_bom_and_crlf_exports_import_as_they_are(tmp_path, kg, index, example):
    plain = example.read_bytes()
    exported = tmp_path / "cases.csv"
    exported.write_bytes(b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n"))
    assert read_spreadsheet(exported).columns[0] == "case_id"
    assert serialize(import_cases(exported, kg, index=index).graph) == serialize(
        import_cases(example, kg, index=index).graph
    )


def test_tsv_by_extension_and_other_separators_by_sniffing(tmp_path, kg, index, example):
    expected = serialize(import_cases(example, kg, index=index).graph)
    rows = list(csv.reader(example.open(encoding="utf-8", newline="")))
    for name, delimiter in (("cases.tsv", "\t"), ("tabs.csv", "\t"), ("semicolons.csv", ";")):
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=delimiter).writerows(rows)
        sheet = read_spreadsheet(path)
        renamed = parse_spreadsheet(path.read_text(encoding="utf-8"), name)
        assert sheet.rows == renamed.rows
        graph = import_spreadsheet(type(sheet)("cases.csv", sheet.columns, sheet.rows), kg, index=index).graph
        assert serialize(graph) == expected, name


def test_non_utf8_spreadsheet_is_an_input_error(tmp_path, kg, index):
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\nX,synovial sarcoma,épaule,3,low,no,no\n").encode("latin-1"))
    with pytest.raises(Exception, match="not UTF-8 text"):
        import_cases(latin, kg, index=index)


def test_import_is_deterministic(tmp_path, build_dir, example):
    outputs = []
    for name in ("a.ttl", "b.ttl"):
        result = CliRunner().invoke(main, ["cases", "import", str(example), "-o", str(tmp_path / name),
                                           "--build-dir", str(build_dir)])  # fmt: skip
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


# --------------------------------------------------------------------------------------------- generator


def test_generator_is_deterministic_per_seed(index):
    first = spreadsheet_csv(generate_cases(200, index, seed=7))
    assert first == spreadsheet_csv(generate_cases(200, index, seed=7))
    assert first != spreadsheet_csv(generate_cases(200, index, seed=8))


def test_generated_cohort_uses_the_ontologys_terms_and_imports_cleanly(kg, index):
    sheet = generate_cases(300, index, seed=3)
    result = import_spreadsheet(parse_spreadsheet(spreadsheet_csv(sheet), "cohort.csv"), kg, index=index)
    assert len(result.cases) == 300
    sites = {c.primary_site for c in result.cases}
    assert {SARC.Thigh, SARC.Retroperitoneum, SARC.Head} <= sites
    assert any(c.distant_metastasis is None for c in result.cases), "some metastasis cells are left blank"


def test_generate_cli_same_seed_same_bytes_and_ttl_is_the_imported_csv(tmp_path, build_dir):
    def generate(name: str, seed: int = 5) -> bytes:
        result = CliRunner().invoke(main, ["cases", "generate", "--n", "150", "--seed", str(seed), "-o",
                                           str(tmp_path / name), "--build-dir", str(build_dir)])  # fmt: skip
        assert result.exit_code == 0, result.output
        return (tmp_path / name).read_bytes()

    assert generate("a.csv") == generate("b.csv")
    assert re.search(rb",(IA|IB|II|IIIA|IIIB|IV)\n", generate("a.csv")), "some recorded stages are filled in"
    ttl = generate("cohort.ttl")
    assert ttl == generate("again/cohort.ttl")
    shutil.copy(tmp_path / "a.csv", tmp_path / "cohort.csv")
    result = CliRunner().invoke(main, ["cases", "import", str(tmp_path / "cohort.csv"), "-o",
                                       str(tmp_path / "imported.ttl"), "--build-dir", str(build_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "imported.ttl").read_bytes() == ttl


def test_installed_script_stages_the_example(tmp_path, build_dir, example, cli_env):
    script = Path(sys.executable).parent / "sarcoma-kg"
    done = subprocess.run([str(script), "cases", "stage", str(example), "--build-dir", str(build_dir)],
                          capture_output=True, text=True, cwd=tmp_path, env=cli_env, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["case_id", "diagnosis", "primary_site", "stage", "staging_system",
                                                    "reason"]  # fmt: skip
    assert "P-003" in done.stdout and "IIIB" in done.stdout


def test_a_relative_base_is_refused(kg, index):
    with pytest.raises(InputError, match="--base"):
        import_spreadsheet(_sheet("S1,synovial sarcoma,arm,3,low,no,no"), kg, index=index, base="cases/")


def test_import_to_standard_output(build_dir, example):
    result = CliRunner().invoke(main, ["cases", "import", str(example), "-o", "-", "--build-dir", str(build_dir)])
    assert result.exit_code == 0, result.output
    assert 'sarc:caseId "P-007"' in result.stdout
    assert "imported 7 case(s)" in result.stderr


def test_a_base_that_is_not_an_iri_is_refused(kg, index):
    with pytest.raises(InputError, match=re.escape("--base 'https://example.org/my cases/': not a valid IRI")):
        import_spreadsheet(_sheet("S1,synovial sarcoma,arm,3,low,no,no"), kg, index=index,
                           base="https://example.org/my cases/")  # fmt: skip
