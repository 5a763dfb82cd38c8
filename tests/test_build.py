"""The main job: `build` reasons with HermiT and writes three release files, deterministically and atomically."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from sarcoma_kg.build import INFERRED_FILE, MANIFEST_FILE, MERGED_FILE, OWL_FILE, build_status, load_built_graph
from sarcoma_kg.cli import main
from sarcoma_kg.graph import load_files
from sarcoma_kg.namespaces import SARC

RELEASE_FILES = (MERGED_FILE, OWL_FILE, INFERRED_FILE)
SCRIPT = Path(sys.executable).parent / "sarcoma-kg"


def _digests(directory: Path) -> dict[str, str]:
    return {name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in RELEASE_FILES}


def test_build_writes_the_three_release_files(build_summary):
    assert sorted(p.name for p in build_summary.outputs) == sorted(RELEASE_FILES)
    assert all(p.stat().st_size > 0 for p in build_summary.outputs)


def test_build_finds_the_knowledge_base_consistent_and_coherent(build_summary):
    assert build_summary.reasoner.consistent
    assert build_summary.reasoner.unsatisfiable == ()


def test_build_counts_what_it_built(build_summary):
    counts = build_summary.counts
    assert counts["classes"] > 100
    assert counts["statements"] > 50
    assert counts["sources"] == 5
    assert counts["cases"] >= 1


def test_inferred_release_holds_hermits_classification(kg):
    # Pazopanib only asserts that it inhibits a tyrosine kinase; HermiT classifies it as a TKI.
    assert (SARC.Pazopanib, None, None) in kg
    ask = "ASK { sarc:Pazopanib rdfs:subClassOf+ sarc:TyrosineKinaseInhibitor }"
    assert kg.query(ask).askAnswer


def test_merged_turtle_and_rdfxml_are_the_same_graph(build_dir):
    turtle = Graph().parse(build_dir / MERGED_FILE, format="turtle")
    rdfxml = Graph().parse(build_dir / OWL_FILE, format="xml")
    assert isomorphic(turtle, rdfxml)


def test_inferred_release_adds_to_the_merged_graph(build_dir):
    merged = Graph().parse(build_dir / MERGED_FILE, format="turtle")
    inferred = Graph().parse(build_dir / INFERRED_FILE, format="turtle")
    assert len(inferred) > len(merged)


def test_builds_in_separate_processes_are_byte_identical(tmp_path, build_dir):
    # A different hash seed per process shakes out any dependence on set or dict order.
    env = dict(os.environ, PYTHONHASHSEED="12345")
    out = tmp_path / "again"
    subprocess.run([str(SCRIPT), "build", "--out", str(out)], check=True, env=env, capture_output=True)
    assert _digests(out) == _digests(build_dir)


def test_build_prints_a_summary(tmp_path):
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert "consistent, no unsatisfiable class" in result.output
    assert "statements" in result.output


def test_garbled_ontology_is_one_line_error_and_previous_release_survives(tmp_path, build_dir, test_data):
    out = tmp_path / "dist"
    shutil.copytree(build_dir, out)
    before = _digests(out)
    garbled = tmp_path / "garbled.ttl"
    shutil.copy(test_data / "build" / "garbled.ttl", garbled)
    garbled_bytes = garbled.read_bytes()

    result = subprocess.run(
        [str(SCRIPT), "build", "--out", str(out), "--ontology", str(garbled)], capture_output=True, text=True
    )

    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"{garbled}:3" in result.stderr and "invalid RDF" in result.stderr
    assert "Traceback" not in result.stderr
    assert _digests(out) == before
    assert garbled.read_bytes() == garbled_bytes


def test_missing_data_file_is_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["build", "--out", str(tmp_path), "--data", str(tmp_path / "nope.ttl")])
    assert result.exit_code == 2
    assert "nope.ttl: no such file" in result.output
    assert not list(tmp_path.iterdir())


def test_reason_names_the_unsatisfiable_class(test_data):
    result = CliRunner().invoke(main, ["reason", "--ontology", str(test_data / "build" / "incoherent.ttl")])
    assert result.exit_code == 1
    assert "https://example.org/incoherent/Chimera" in result.output


def test_reason_reports_an_inconsistent_knowledge_base(test_data):
    result = CliRunner().invoke(main, ["reason", "--ontology", str(test_data / "build" / "inconsistent.ttl")])
    assert result.exit_code == 1
    assert "inconsistent" in result.output


def test_reason_on_the_shipped_knowledge_base_succeeds():
    result = CliRunner().invoke(main, ["reason"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("consistent")


def test_reason_without_java_is_an_environment_error():
    env = {key: value for key, value in os.environ.items() if key != "JAVA_HOME"}
    env["PATH"] = "/nonexistent"
    result = subprocess.run([str(SCRIPT), "reason"], capture_output=True, text=True, env=env)
    assert result.returncode == 3
    assert "Java was not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_build_records_the_digests_of_its_inputs_and_outputs(build_dir):
    manifest = json.loads((build_dir / MANIFEST_FILE).read_text())
    assert manifest["inputs"][0]["file"] == "sarcoma-kg.ttl"
    assert set(manifest["outputs"]) == {"sarcoma-kg.ttl", "sarcoma-kg.owl", INFERRED_FILE}
    assert build_status(build_dir) is None


def test_a_current_build_is_reused_whatever_its_file_times(tmp_path, build_dir, caplog):
    out = tmp_path / "dist"
    shutil.copytree(build_dir, out)
    os.utime(out / INFERRED_FILE, (0, 0))  # older than every source: times do not decide, digests do
    with caplog.at_level(logging.WARNING, logger="sarcoma_kg"):
        graph = load_built_graph(out)
    assert caplog.records == []
    assert len(graph) == len(load_files([build_dir / INFERRED_FILE]))


def test_a_truncated_but_parseable_release_is_detected_and_rebuilt(tmp_path, build_dir, caplog):
    out = tmp_path / "dist"
    shutil.copytree(build_dir, out)
    (out / INFERRED_FILE).write_text("@prefix sarc: <https://w3id.org/sarcoma-kg/> .\n")
    with caplog.at_level(logging.WARNING, logger="sarcoma_kg"):
        graph = load_built_graph(out)
    assert "not the file the build wrote" in caplog.text
    assert graph.query("ASK { sarc:Pazopanib rdfs:subClassOf+ sarc:TyrosineKinaseInhibitor }").askAnswer


def test_a_build_of_other_inputs_is_not_used_for_an_edited_ontology(tmp_path, build_dir, repo_root):
    edited = tmp_path / "edited.ttl"
    edited.write_text(
        (repo_root / "ontology" / "sarcoma-kg.ttl").read_text()
        + '\nsarc:BrandNewSarcoma a owl:Class ; rdfs:subClassOf sarc:SoftTissueSarcoma ; rdfs:label "brand new"@en .\n'
    )
    assert "other inputs" in build_status(build_dir, ontology=edited)
    graph = load_built_graph(build_dir, ontology=edited)
    assert graph.query("ASK { sarc:BrandNewSarcoma rdfs:subClassOf+ sarc:Disease }").askAnswer


def test_a_stale_build_directory_is_named_on_the_command_line(tmp_path, build_dir):
    out = tmp_path / "dist"
    shutil.copytree(build_dir, out)
    (out / MANIFEST_FILE).write_text("{ not json")
    result = CliRunner().invoke(main, ["stats", "--build-dir", str(out)])
    assert result.exit_code == 0, result.output
    assert f"note: {out / MANIFEST_FILE} is damaged" in result.stderr


def test_an_ontology_without_classes_does_not_build(tmp_path):
    empty = tmp_path / "empty.ttl"
    empty.write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<https://example.org/o> a owl:Ontology .\n")
    result = CliRunner().invoke(main, ["build", "--ontology", str(empty), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "declares no class" in result.stderr
    assert not (tmp_path / "out").exists()
