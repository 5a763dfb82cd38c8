"""``sarcoma_kg.validate`` and ``sarcoma-kg validate``: the bad-data corpus, the shipped content, exit codes,
formats, and what user files are validated against."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.namespace import RDF

from sarcoma_kg import paths
from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError, RdfSyntaxError
from sarcoma_kg.namespaces import SH
from sarcoma_kg.validate import Severity, compact, validate

VALIDATE_DATA = Path(__file__).parent / "data" / "validate"
BAD = VALIDATE_DATA / "bad"
CORPUS = json.loads((BAD / "expected.json").read_text())
SHAPE_FIXTURES = Path(__file__).parent / "data" / "shapes"


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_bad_file_gives_its_expected_results_and_messages(name: str) -> None:
    results = validate([BAD / f"{name}.ttl"]).results
    actual = [
        (
            r.severity.value,
            compact(r.focus_node),
            r.path_text or None,
            compact(r.value) if r.value else None,
            compact(r.source_shape),
        )
        for r in results
    ]
    expected = [(e["severity"], e["focus"], e["path"], e.get("value"), e["shape"]) for e in CORPUS[name]]
    assert sorted(actual, key=str) == sorted(expected, key=str)
    for e in CORPUS[name]:
        message = next(r.message for r in results if compact(r.source_shape) == e["shape"])
        assert e["message_contains"] in message


def test_the_knowledge_base_conforms_without_a_single_result() -> None:
    report = validate()
    assert report.conforms, "\n".join(f"{compact(r.focus_node)} {r.path_text} {r.message}" for r in report.results)


def test_the_example_case_conforms_as_a_user_file(repo_root: Path) -> None:
    assert validate([repo_root / "data" / "bmj-case.ttl"]).conforms


def test_user_files_are_checked_against_the_class_hierarchy_of_the_ontology() -> None:
    valid_case = SHAPE_FIXTURES / "PatientCaseShape" / "valid.ttl"
    assert validate([valid_case]).conforms
    without_ontology = validate([valid_case], include_ontology=False)
    assert any(r.component == SH.ClassConstraintComponent for r in without_ontology.results)


def test_the_ontologys_own_nodes_are_not_reported_for_user_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ttl"
    empty.write_text("")
    assert validate([empty]).results == ()


def test_results_are_sorted_by_focus_node_then_path() -> None:
    files = [BAD / "unknown-grade.ttl", SHAPE_FIXTURES / "PatientCaseShape" / "invalid-fields.ttl"]
    results = validate(files).results
    keys = [(str(r.focus_node), r.path_text) for r in results]
    assert keys == sorted(keys)


def test_the_report_graph_is_a_w3c_validation_report() -> None:
    report = validate([BAD / "unknown-grade.ttl"])
    graph = report.graph
    node = graph.value(predicate=RDF.type, object=SH.ValidationReport)
    assert graph.value(node, SH.conforms) == Literal(False)
    results = list(graph.objects(node, SH.result))
    assert len(results) == len(report.results) == 2
    for result in results:
        for key in (
            SH.focusNode,
            SH.resultSeverity,
            SH.sourceShape,
            SH.sourceConstraintComponent,
            SH.resultMessage,
            SH.resultPath,
            SH.value,
        ):
            assert graph.value(result, key) is not None, key


def test_invalid_rdf_names_the_file_and_line() -> None:
    with pytest.raises(RdfSyntaxError) as caught:
        validate([VALIDATE_DATA / "invalid-rdf.ttl"])
    assert caught.value.path.endswith("invalid-rdf.ttl") and caught.value.line == 5


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        validate([tmp_path / "absent.ttl"])


# ---------------------------------------------------------------------------------------------- the command


def test_exit_0_when_the_file_conforms() -> None:
    result = CliRunner().invoke(main, ["validate", str(SHAPE_FIXTURES / "PatientCaseShape" / "valid.ttl")])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 violations, 0 warnings, 0 info: conforms"


def test_exit_1_with_one_line_per_result_and_counts() -> None:
    result = CliRunner().invoke(main, ["validate", str(BAD / "unknown-grade.ttl")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0] == (
        "VIOLATION case:C1/tumour  sarc:hasGrade = sarc:VeryHighGrade: sarc:VeryHighGrade points to nothing: no "
        "rdf:type or rdfs:label for it in the data or the ontology. Fix the IRI (a typo?) or add the missing record."
    )
    assert lines[-1] == "2 violations, 0 warnings, 0 info: does not conform (fails at --fail-on violation)"


def test_fail_on_sets_the_severity_that_fails() -> None:
    runner = CliRunner()
    warning_only = str(VALIDATE_DATA / "warning-only.ttl")
    info_only = str(SHAPE_FIXTURES / "TumourInfoShape" / "invalid-dimensions-without-size.ttl")
    assert runner.invoke(main, ["validate", warning_only]).exit_code == 0
    assert runner.invoke(main, ["validate", warning_only, "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(main, ["validate", info_only, "--fail-on", "warning"]).exit_code == 0
    assert runner.invoke(main, ["validate", info_only, "--fail-on", "info"]).exit_code == 1


def test_exit_2_for_invalid_rdf_with_file_and_line() -> None:
    result = CliRunner().invoke(main, ["validate", str(VALIDATE_DATA / "invalid-rdf.ttl")])
    assert result.exit_code == 2
    assert "invalid-rdf.ttl:5:1: invalid RDF" in result.output


def test_exit_3_when_the_packaged_shapes_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "shapes_files", lambda: [])
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 3
    assert "no shapes found" in result.output


def test_turtle_and_json_give_the_same_w3c_report() -> None:
    runner = CliRunner()
    bad = str(BAD / "iri-points-to-nothing.ttl")
    turtle = Graph().parse(data=runner.invoke(main, ["validate", bad, "--format", "turtle"]).output, format="turtle")
    jsonld = Graph().parse(data=runner.invoke(main, ["validate", bad, "--format", "json"]).output, format="json-ld")
    assert len(turtle) == len(jsonld) > 0
    assert len(list(turtle.subjects(RDF.type, SH.ValidationResult))) == 2


def test_table_format_has_a_row_per_result() -> None:
    result = CliRunner().invoke(main, ["validate", str(BAD / "iri-points-to-nothing.ttl"), "--format", "table"])
    lines = result.output.strip().splitlines()
    assert lines[0].split()[:3] == ["severity", "focus", "node"] and len(lines) == 2 + 2 + 1


def test_custom_shapes_replace_the_packaged_ones(repo_root: Path) -> None:
    only_sources = repo_root / "shapes" / "sources.ttl"
    result = CliRunner().invoke(main, ["validate", str(BAD / "out-of-range-age.ttl"), "--shapes", str(only_sources)])
    assert result.exit_code == 0, result.output


def test_the_installed_script_validates_the_knowledge_base(repo_root: Path, cli_env: dict[str, str]) -> None:
    script = repo_root / ".venv" / "bin" / "sarcoma-kg"
    done = subprocess.run(
        [str(script), "validate", str(BAD / "negative-dose.ttl")],
        capture_output=True,
        text=True,
        env=cli_env,
        check=False,
    )
    assert done.returncode == 1 and "greater than 0" in done.stdout
    assert subprocess.run([str(script), "validate"], capture_output=True, env=cli_env, check=False).returncode == 0


def test_severities_are_ordered_for_fail_on() -> None:
    assert [s.rank for s in Severity] == [0, 1, 2]


def test_shapes_the_fast_engine_cannot_compile_go_to_pyshacl_and_land_in_the_same_report(tmp_path: Path) -> None:
    data = tmp_path / "case.ttl"
    data.write_text(
        "@prefix sarc: <https://w3id.org/sarcoma-kg/> .\n"
        "<https://w3id.org/sarcoma-kg/case/U1> a sarc:PatientCase ;\n"
        "    sarc:hasDiagnosis <https://w3id.org/sarcoma-kg/case/U1/tumour> .\n"
        "<https://w3id.org/sarcoma-kg/case/U1/tumour> a sarc:SynovialSarcoma ;\n"
        "    sarc:hasPrimarySite <https://w3id.org/sarcoma-kg/case/U1/primary-site> .\n"
        "<https://w3id.org/sarcoma-kg/case/U1/primary-site> a sarc:Thigh .\n"
    )
    report = validate([data], shapes_files=[VALIDATE_DATA / "fallback-shapes.ttl"])
    found = {(compact(r.focus_node), compact(r.source_shape), r.severity, r.message) for r in report.results}
    assert found == {
        ("case:U1", "sarcsh:test/CaseNeedsLabel-label", Severity.WARNING, "Give the case an rdfs:label."),
        (
            "case:U1/tumour",
            "sarcsh:test/TumourSiteIsLabelled-site",
            Severity.VIOLATION,
            "The primary site needs an rdfs:label.",
        ),
    }


def test_the_example_spreadsheet_imports_to_cases_that_conform(repo_root: Path, tmp_path: Path) -> None:
    imported = tmp_path / "example-cases.ttl"
    runner = CliRunner()
    done = runner.invoke(main, ["cases", "import", str(repo_root / "examples" / "cases.csv"), "-o", str(imported)])
    assert done.exit_code == 0, done.output
    report = validate([imported])
    assert report.conforms, [(compact(r.focus_node), r.message) for r in report.results]
