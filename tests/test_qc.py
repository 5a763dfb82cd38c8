"""ROBOT-style QC: every check has a failing fixture, the headers are strict, the shipped content passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError
from sarcoma_kg.graph import load_files
from sarcoma_kg.namespaces import PREFIXES
from sarcoma_kg.qc import Level, load_checks, run_checks

QC_FIXTURES = Path(__file__).parent / "data" / "qc"
ROBOT_LEVELS = {  # ROBOT's default report profile, for the checks it defines
    "missing_label": "ERROR",
    "multiple_labels": "ERROR",
    "duplicate_label": "ERROR",
    "label_whitespace": "ERROR",
    "missing_definition": "WARN",
    "multiple_definitions": "ERROR",
    "duplicate_definition": "ERROR",
    "missing_superclass": "INFO",
    "invalid_xref": "WARN",
    "deprecated_class_reference": "ERROR",
    "equivalent_pair": "WARN",
    "missing_ontology_title": "ERROR",
    "missing_ontology_description": "ERROR",
    "missing_ontology_license": "ERROR",
}
OUR_CHECKS = {"undeclared_property", "punned_property", "statement_without_source"}


def _expand(curie: str) -> str:
    if curie.startswith("<"):
        return curie[1:-1]
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


def _expected_entities(fixture: Path) -> set[str]:
    match = re.search(r"^# expect: (.+)$", fixture.read_text(), re.M)
    assert match, f"{fixture} lacks its '# expect:' line"
    return {_expand(token) for token in match.group(1).split()}


def test_the_checks_are_robots_at_robots_levels_plus_ours() -> None:
    checks = {check.name: check.level.value for check in load_checks()}
    assert {name: checks.get(name) for name in ROBOT_LEVELS} == ROBOT_LEVELS
    assert set(checks) >= OUR_CHECKS


@pytest.mark.parametrize("check", [c.name for c in load_checks()])
def test_each_check_finds_exactly_the_defect_planted_in_its_fixture(check: str) -> None:
    fixture = QC_FIXTURES / f"{check}.ttl"
    assert fixture.is_file(), f"no failing fixture for {check}"
    results = run_checks(load_files([fixture]))
    assert {r.entity for r in results if r.check == check} == _expected_entities(fixture)
    others = {r.check for r in results if r.check != check and r.level is not Level.INFO}
    assert others == set(), f"{fixture} also triggers {others}"


def test_invalid_xref_reports_each_bad_value() -> None:
    results = run_checks(load_files([QC_FIXTURES / "invalid_xref.ttl"]))
    assert sorted(r.value for r in results if r.check == "invalid_xref") == [
        "MESH:D012509",
        "http://purl.obolibrary.org/obo/NCIT_C9118",
    ]


def test_the_shipped_ontology_and_knowledge_base_have_no_qc_error_or_warning() -> None:
    results = run_checks()
    assert [r for r in results if r.level is not Level.INFO] == []


def test_a_check_with_a_bad_header_is_refused(tmp_path: Path) -> None:
    (tmp_path / "my_check.rq").write_text(
        "#+ check: other_name\n#+ level: ERROR\n#+ description: x\n"
        "SELECT ?entity ?property ?value WHERE { ?entity ?property ?value }\n"
    )
    with pytest.raises(InputError, match="must equal the file name"):
        load_checks(tmp_path)
    (tmp_path / "my_check.rq").write_text(
        "#+ check: my_check\n#+ level: FATAL\n#+ description: x\n"
        "SELECT ?entity ?property ?value WHERE { ?entity ?property ?value }\n"
    )
    with pytest.raises(InputError, match="not one of ERROR, WARN, INFO"):
        load_checks(tmp_path)
    (tmp_path / "my_check.rq").write_text(
        "#+ check: my_check\n#+ level: WARN\n#+ description: x\nSELECT ?entity WHERE { ?entity ?property ?value }\n"
    )
    with pytest.raises(InputError, match=r"exactly \?entity \?property \?value"):
        load_checks(tmp_path)


def test_qc_command_prints_a_robot_style_table_and_exits_by_level() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["qc"])
    assert result.exit_code == 0, result.output
    assert "QC: 0 ERROR, 0 WARN" in result.output
    tsv = runner.invoke(main, ["qc", "--format", "tsv"])
    assert tsv.output.splitlines()[0] == "Level\tRule Name\tSubject\tProperty\tValue"
    assert runner.invoke(main, ["qc", "--fail-on", "warn"]).exit_code == 0
