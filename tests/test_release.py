"""`sarcoma-kg release` and `diff`: dated artifacts, VoID/DCAT, JSON-LD with its context, what changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from sarcoma_kg import paths
from sarcoma_kg.build import collapse_imports
from sarcoma_kg.cli import main
from sarcoma_kg.graph import load_files
from sarcoma_kg.namespaces import ONTOLOGY_IRI
from sarcoma_kg.release import (
    BASE_ONTOLOGY_IRI,
    DCAT,
    LICENSE,
    VOID,
    ReleaseSummary,
    diff_graphs,
    ontology_version,
    release,
)

ARTIFACTS = [
    "sarcoma-kg-base.owl",
    "sarcoma-kg-base.ttl",
    "sarcoma-kg-full.jsonld",
    "sarcoma-kg-full.nt",
    "sarcoma-kg-full.owl",
    "sarcoma-kg-full.ttl",
    "void.ttl",
]


@pytest.fixture(scope="module")
def released(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> ReleaseSummary:
    return release(tmp_path_factory.mktemp("releases"), build_dir=build_dir)


def test_the_version_defaults_to_the_ontologys_version_info(released: ReleaseSummary) -> None:
    expected = ontology_version(load_files([paths.ontology_file()]))
    assert released.version == expected
    assert released.directory.name == expected
    assert sorted(p.name for p in released.directory.iterdir()) == ARTIFACTS


def test_base_is_our_ontology_only_with_a_dated_version_iri(released: ReleaseSummary, kg: Graph) -> None:
    base = load_files([released.directory / "sarcoma-kg-base.ttl"])
    version = released.version
    assert base.value(BASE_ONTOLOGY_IRI, OWL.versionIRI) == URIRef(
        f"https://w3id.org/sarcoma-kg/releases/{version}/sarcoma-kg-base.owl"
    )
    assert str(base.value(BASE_ONTOLOGY_IRI, OWL.versionInfo)) == version
    assert not list(base.subjects(RDF.type, URIRef("https://w3id.org/sarcoma-kg/SourceDocument")))
    assert len(base) < len(kg)


def test_full_is_merged_and_inferred_with_a_dated_version_iri(released: ReleaseSummary, kg: Graph) -> None:
    full = load_files([released.directory / "sarcoma-kg-full.ttl"])
    assert full.value(ONTOLOGY_IRI, OWL.versionIRI) == URIRef(
        f"https://w3id.org/sarcoma-kg/releases/{released.version}/sarcoma-kg.owl"
    )
    assert len(full) == len(kg) == released.triples
    for name in ("sarcoma-kg-full.owl", "sarcoma-kg-full.nt", "sarcoma-kg-full.jsonld"):
        assert len(load_files([released.directory / name])) == len(full), name


def test_n_triples_are_sorted_for_bulk_loaders(released: ReleaseSummary) -> None:
    lines = (released.directory / "sarcoma-kg-full.nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)


def test_json_ld_carries_the_published_context(released: ReleaseSummary) -> None:
    document = json.loads((released.directory / "sarcoma-kg-full.jsonld").read_text(encoding="utf-8"))
    published = json.loads(paths.context_file().read_text(encoding="utf-8"))
    assert document["@context"] == published["@context"]
    assert published["@context"]["sarc"] == "https://w3id.org/sarcoma-kg/"
    assert isinstance(document["@graph"], list) and document["@graph"]


def test_void_describes_the_release(released: ReleaseSummary) -> None:
    void = load_files([released.directory / "void.ttl"])
    dataset = URIRef(f"https://w3id.org/sarcoma-kg/releases/{released.version}/")
    assert (dataset, RDF.type, VOID.Dataset) in void and (dataset, RDF.type, DCAT.Dataset) in void
    assert int(void.value(dataset, VOID.triples)) == released.triples
    assert str(void.value(dataset, OWL.versionInfo)) == released.version
    assert (dataset, URIRef("http://purl.org/dc/terms/license"), LICENSE) in void
    sources = set(void.objects(dataset, URIRef("http://purl.org/dc/terms/source")))
    assert len(sources) == 5
    distributions = {str(d).rsplit("/", 1)[1] for d in void.objects(dataset, DCAT.distribution)}
    assert distributions == set(ARTIFACTS) - {"void.ttl"}


def test_a_release_is_reproducible(released: ReleaseSummary, build_dir: Path, tmp_path: Path) -> None:
    again = release(tmp_path, build_dir=build_dir)
    for name in ARTIFACTS:
        assert (again.directory / name).read_bytes() == (released.directory / name).read_bytes(), name


def test_the_diff_reports_added_removed_and_relabelled(kg: Graph, test_data: Path) -> None:
    changes = diff_graphs(load_files([test_data / "release" / "previous.ttl"]), kg)
    by = {(c.kind, c.change, c.id): c for c in changes}
    assert ("class", "removed", "sarc:RetiredExampleClass") in by
    assert ("statement", "removed", "kb:statement/retired-example-statement") in by
    relabelled = by[("class", "relabelled", "sarc:Pazopanib")]
    assert (relabelled.previous_label, relabelled.label) == ("pazopanib hydrochloride", "pazopanib")
    assert ("class", "added", "sarc:KaposiSarcoma") in by
    assert not any(c.id in ("sarc:AlveolarSoftPartSarcoma", "kb:statement/li-fraumeni-syndrome-tp53") for c in changes)


def test_release_with_previous_writes_the_report(build_dir: Path, test_data: Path, tmp_path: Path) -> None:
    previous = test_data / "release" / "previous.ttl"
    result = CliRunner().invoke(
        main,
        [
            "release",
            "--out",
            str(tmp_path),
            "--version",
            "2030-01-01",
            "--previous",
            str(previous),
            "--build-dir",
            str(build_dir),
        ],
    )
    assert result.exit_code == 0, result.output
    folder = tmp_path / "2030-01-01"
    report = (folder / "diff.md").read_text(encoding="utf-8")
    assert "## Classes removed (1)" in report and "`sarc:RetiredExampleClass`" in report
    assert "| `sarc:Pazopanib` | pazopanib | pazopanib hydrochloride |" in report
    tsv = (folder / "diff.tsv").read_text(encoding="utf-8").splitlines()
    assert tsv[0] == "kind\tchange\tid\tlabel\tprevious_label"
    assert "class\trelabelled\tsarc:Pazopanib\tpazopanib\tpazopanib hydrochloride" in tsv
    full = load_files([folder / "sarcoma-kg-full.ttl"])
    assert str(full.value(ONTOLOGY_IRI, OWL.versionInfo)) == "2030-01-01"


def test_diff_command_compares_two_files(released: ReleaseSummary, test_data: Path) -> None:
    current = released.directory / "sarcoma-kg-full.ttl"
    result = CliRunner().invoke(
        main, ["diff", str(test_data / "release" / "previous.ttl"), str(current), "--format", "tsv"]
    )
    assert result.exit_code == 0, result.output
    assert "statement\tremoved\tkb:statement/retired-example-statement" in result.output
    same = CliRunner().invoke(main, ["diff", str(current), str(current)])
    assert same.exit_code == 0 and "No class or statement was added, removed or relabelled." in same.output


@pytest.mark.parametrize("version", ["../escape", "2026 11 23", ""])
def test_a_bad_version_is_a_usage_error(version: str, build_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["release", "--out", str(tmp_path), "--version", version, "--build-dir", str(build_dir)]
    )
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def test_export_jsonld_embeds_or_references_the_published_context(build_dir: Path, tmp_path: Path) -> None:
    embedded, referenced = tmp_path / "embedded.jsonld", tmp_path / "referenced.jsonld"
    url = "https://w3id.org/sarcoma-kg/context.jsonld"
    for output, context in ((embedded, "embed"), (referenced, url)):
        result = CliRunner().invoke(
            main, ["export", "--format", "jsonld", "--jsonld-context", context, "-o", str(output)]
        )
        assert result.exit_code == 0, result.output
    published = json.loads(paths.context_file().read_text(encoding="utf-8"))["@context"]
    assert json.loads(embedded.read_text(encoding="utf-8"))["@context"] == published
    assert json.loads(referenced.read_text(encoding="utf-8"))["@context"] == url
    merged = load_files([*paths.ontology_files(), *paths.data_files()])
    collapse_imports(merged)  # the export is one ontology: its import closure merged in
    assert len(load_files([embedded])) == len(merged)


def test_a_jsonld_context_with_another_format_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--format", "turtle", "--jsonld-context", "embed", "-o", str(tmp_path / "x.ttl")]
    )
    assert result.exit_code == 2
    assert "--jsonld-context goes with --format jsonld" in result.output
