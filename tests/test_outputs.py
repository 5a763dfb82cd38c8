"""What the commands write: through fileio's checks, from the inputs they were given, and never over a release."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import URIRef
from rdflib.namespace import OWL, RDF

from sarcoma_kg.cli import main
from sarcoma_kg.graph import load_files

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "examples" / "cases.csv"
NEW_CLASS = URIRef("https://w3id.org/sarcoma-kg/BrandNewSarcoma")


@pytest.fixture(scope="module")
def edited_ontology(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A curator's working copy of the ontology with one new class."""
    edited = tmp_path_factory.mktemp("edit") / "sarcoma-kg.ttl"
    edited.write_text(
        (REPO / "ontology" / "sarcoma-kg.ttl").read_text()
        + '\nsarc:BrandNewSarcoma a owl:Class ; rdfs:subClassOf sarc:SoftTissueSarcoma ; rdfs:label "brand new"@en .\n'
    )
    return edited


def _import(sheet: Path, out: Path, build_dir: Path, *extra: str):
    return CliRunner().invoke(
        main, ["cases", "import", str(sheet), "-o", str(out), "--build-dir", str(build_dir), *extra]
    )


def test_a_reimport_keeps_the_patient_files_mode(tmp_path, build_dir):
    out = tmp_path / "cases.ttl"
    out.write_text("previous\n")
    out.chmod(0o600)
    result = _import(CASES, out, build_dir)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "P-001" in out.read_text()


def test_an_import_onto_its_own_spreadsheet_is_refused(tmp_path, build_dir):
    sheet = tmp_path / "sheet.csv"
    sheet.write_bytes(CASES.read_bytes())
    result = _import(sheet, sheet, build_dir)
    assert result.exit_code == 2
    assert "is also an input" in result.stderr
    assert sheet.read_bytes() == CASES.read_bytes()


def test_a_header_only_sheet_does_not_replace_the_previous_output(tmp_path, build_dir):
    sheet = tmp_path / "header-only.csv"
    sheet.write_text(CASES.read_text().splitlines()[0] + "\n")
    out = tmp_path / "cases.ttl"
    out.write_text("previous cases\n")
    result = _import(sheet, out, build_dir)
    assert result.exit_code == 2
    assert out.read_text() == "previous cases\n"


def test_allow_empty_writes_an_empty_result_when_asked(tmp_path, build_dir):
    out = tmp_path / "none.csv"
    result = CliRunner().invoke(
        main, ["cases", "generate", "--n", "0", "-o", str(out), "--allow-empty", "--build-dir", str(build_dir)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("case_id,")


def test_export_onto_a_symlink_writes_through_it(tmp_path, build_dir):
    real = tmp_path / "real.nt"
    real.write_text("previous\n")
    link = tmp_path / "link.nt"
    link.symlink_to(real)
    result = CliRunner().invoke(
        main, ["export", "--format", "ntriples", "-o", str(link), "--build-dir", str(build_dir)]
    )
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert real.read_text().startswith("<")


def test_export_uses_an_edited_ontology(tmp_path, build_dir, edited_ontology):
    out = tmp_path / "edited.nt"
    args = ["export", "--format", "ntriples", "--ontology", str(edited_ontology), "--build-dir", str(build_dir)]
    result = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (NEW_CLASS, RDF.type, OWL.Class) in load_files([out])


def test_release_base_and_full_both_carry_a_class_of_the_edited_ontology(tmp_path, build_dir, edited_ontology):
    args = ["release", "--out", str(tmp_path), "--version", "2026-12-01", "--build-dir", str(build_dir)]
    result = CliRunner().invoke(main, [*args, "--ontology", str(edited_ontology)])
    assert result.exit_code == 0, result.output
    for name in ("sarcoma-kg-base.ttl", "sarcoma-kg-full.ttl"):
        assert (NEW_CLASS, RDF.type, OWL.Class) in load_files([tmp_path / "2026-12-01" / name]), name


def test_a_dated_release_is_immutable_unless_forced(tmp_path, build_dir, edited_ontology):
    args = ["release", "--out", str(tmp_path), "--version", "2026-12-02", "--build-dir", str(build_dir)]
    assert CliRunner().invoke(main, args).exit_code == 0
    full = tmp_path / "2026-12-02" / "sarcoma-kg-full.ttl"
    first = full.read_bytes()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output  # the same bytes again: nothing changes
    changed = CliRunner().invoke(main, [*args, "--ontology", str(edited_ontology)])
    assert changed.exit_code == 2
    assert "a release is immutable" in changed.stderr
    assert full.read_bytes() == first
    forced = CliRunner().invoke(main, [*args, "--ontology", str(edited_ontology), "--force"])
    assert forced.exit_code == 0, forced.output
    assert full.read_bytes() != first


def test_an_invalid_release_date_writes_nothing(tmp_path, build_dir):
    args = ["release", "--out", str(tmp_path), "--version", "2027-13-45", "--build-dir", str(build_dir)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "not a valid date" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_validate_reads_the_edited_ontology(tmp_path):
    data = REPO / "tests" / "data" / "validate" / "bad" / "iri-points-to-nothing.ttl"
    edited = tmp_path / "sarcoma-kg.ttl"
    edited.write_text(
        (REPO / "ontology" / "sarcoma-kg.ttl").read_text()
        + "\n<https://w3id.org/sarcoma-kg/case/C1/metastasis/9> a sarc:Lung .\n"
    )
    packaged = CliRunner().invoke(main, ["validate", str(data)])
    with_edit = CliRunner().invoke(main, ["validate", str(data), "--ontology", str(edited)])
    assert "points to nothing" in packaged.output
    assert "points to nothing" not in with_edit.output, with_edit.output


def test_skip_invalid_with_every_row_bad_keeps_the_previous_output(tmp_path, build_dir):
    sheet = tmp_path / "all-bad.csv"
    sheet.write_text(
        "case_id,diagnosis,primary_site,size_cm,grade,nodal_spread,distant_metastasis\n"
        "T-1,synovial sarcomma,thigh,6,high,no,no\n"
    )
    out = tmp_path / "cases.ttl"
    out.write_text("previous cases\n")
    result = _import(sheet, out, build_dir, "--skip-invalid")
    assert result.exit_code == 2
    assert "the result is empty" in result.stderr
    assert out.read_text() == "previous cases\n"
