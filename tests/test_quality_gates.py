"""The gates a curator's edit passes: `qc --ontology` like `build` and `reason`, `build` warning (and failing
with `--strict`) on what `qc` reports as ERROR, and `reason` naming the asserted axioms behind an unsatisfiable
class. Each edit is a copy of the shipped ontology with one real defect, written under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg import paths
from sarcoma_kg.build import build
from sarcoma_kg.cli import main
from sarcoma_kg.errors import IncoherentOntology, QcFailed
from sarcoma_kg.graph import load_files
from sarcoma_kg.reason import explain_unsatisfiable, reason

LABEL_LINE = '    rdfs:label "PD-L1"@en ;\n'


@pytest.fixture
def unlabelled(tmp_path: Path) -> Path:
    """The shipped ontology with the label of sarc:PDL1 removed (a class without a label: a QC ERROR)."""
    text = paths.ontology_file().read_text(encoding="utf-8")
    assert text.count(LABEL_LINE) == 1
    edited = tmp_path / "edit" / "sarcoma-kg.ttl"
    edited.parent.mkdir()
    edited.write_text(text.replace(LABEL_LINE, ""), encoding="utf-8")
    return edited


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_qc_ontology_checks_the_edited_file_with_the_packaged_data(unlabelled: Path) -> None:
    result = _run("qc", "--ontology", str(unlabelled))
    assert result.exit_code == 1
    assert "missing_label" in result.output and "sarc:PDL1" in result.output
    assert "QC: 1 ERROR" in result.output


def test_qc_ontology_on_the_shipped_ontology_passes() -> None:
    result = _run("qc", "--ontology", str(paths.ontology_file()))
    assert result.exit_code == 0, result.output
    assert "QC: 0 ERROR, 0 WARN" in result.output


def test_qc_still_takes_files_as_arguments(unlabelled: Path) -> None:
    result = _run("qc", str(unlabelled))
    assert result.exit_code == 1
    assert "sarc:PDL1" in result.output


def test_qc_refuses_files_and_ontology_together(unlabelled: Path) -> None:
    result = _run("qc", str(unlabelled), "--ontology", str(unlabelled))
    assert result.exit_code == 2
    assert "give --ontology/--data, or FILES, not both" in result.output


def test_qc_ontology_that_does_not_exist_is_exit_2(tmp_path: Path) -> None:
    result = _run("qc", "--ontology", str(tmp_path / "nope.ttl"))
    assert result.exit_code == 2
    assert "nope.ttl" in result.output and "Traceback" not in result.output


def test_build_warns_on_a_qc_error_and_still_writes(unlabelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--out", str(out), "--ontology", str(unlabelled)])
    assert result.exit_code == 0, result.output
    assert "warning: QC ERROR missing_label: sarc:PDL1 rdfs:label (--strict makes this fail)" in result.stderr
    assert (out / "sarcoma-kg-inferred.ttl").is_file()


def test_build_strict_fails_on_a_qc_error_and_writes_nothing(unlabelled: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--strict", "--out", str(out), "--ontology", str(unlabelled)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "sarcoma-kg: error: 1 QC error(s) (missing_label) and --strict: nothing written; "
        "'sarcoma-kg qc --ontology FILE' lists them"
    )
    assert not out.exists()


def test_build_strict_keeps_the_previous_release(unlabelled: Path, build_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    previous = (build_dir / "sarcoma-kg-inferred.ttl").read_bytes()
    (out / "sarcoma-kg-inferred.ttl").write_bytes(previous)
    with pytest.raises(QcFailed):
        build(out, ontology=unlabelled, strict=True)
    assert (out / "sarcoma-kg-inferred.ttl").read_bytes() == previous


def test_build_of_the_shipped_content_has_no_qc_error(build_summary) -> None:
    assert build_summary.qc_errors == ()


def test_build_strict_on_the_shipped_content_succeeds(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--strict", "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr


def test_reason_names_the_axioms_that_make_a_class_unsatisfiable(test_data: Path) -> None:
    result = _run("reason", "--ontology", str(test_data / "build" / "incoherent.ttl"))
    assert result.exit_code == 1
    line = result.output.strip()
    assert "\n" not in line
    assert "https://example.org/incoherent/Chimera (because " in line
    for axiom in (
        "<https://example.org/incoherent/Chimera> rdfs:subClassOf <https://example.org/incoherent/Drug>",
        "<https://example.org/incoherent/Chimera> rdfs:subClassOf <https://example.org/incoherent/Gene>",
        "<https://example.org/incoherent/Gene> owl:disjointWith <https://example.org/incoherent/Drug>",
    ):
        assert axiom in line


def test_the_explanation_follows_subclass_chains_to_an_all_disjoint_axiom(test_data: Path) -> None:
    graph = load_files([test_data / "build" / "incoherent-chain.ttl"])
    result = reason(graph)
    assert [str(c) for c in result.unsatisfiable] == ["https://example.org/incoherent-chain/Chimera"]
    ex = "https://example.org/incoherent-chain/"
    assert explain_unsatisfiable(graph, result.unsatisfiable[0]) == (
        f"<{ex}Chimera> rdfs:subClassOf <{ex}Inhibitor>",
        f"<{ex}Inhibitor> rdfs:subClassOf <{ex}Drug>",
        f"<{ex}Chimera> rdfs:subClassOf <{ex}Kinase>",
        f"<{ex}Kinase> rdfs:subClassOf <{ex}Gene>",
        f"owl:AllDisjointClasses(<{ex}Drug>, <{ex}Gene>, <{ex}Disease>)",
    )


def test_build_of_an_incoherent_ontology_explains_too(test_data: Path, tmp_path: Path) -> None:
    with pytest.raises(IncoherentOntology) as caught:
        build(tmp_path / "dist", ontology=test_data / "build" / "incoherent-chain.ttl", data=[])
    assert caught.value.explanations["https://example.org/incoherent-chain/Chimera"][-1].startswith(
        "owl:AllDisjointClasses("
    )
    assert not (tmp_path / "dist").exists()
