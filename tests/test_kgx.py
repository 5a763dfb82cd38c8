"""KGX export: Biolink nodes.tsv and edges.tsv that KGX-based knowledge graphs can take."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from sarcoma_kg.cli import main
from sarcoma_kg.kgx import EDGE_COLUMNS, KNOWLEDGE_SOURCE, NODE_COLUMNS, check_kgx, kgx_tables, write_kgx

# Every predicate the export may use; each was checked in the Biolink model's documentation.
BIOLINK_PREDICATES = {
    "biolink:treats",
    "biolink:studied_to_treat",
    "biolink:applied_to_treat",
    "biolink:treats_or_applied_or_studied_to_treat",
    "biolink:diagnoses",
    "biolink:predisposes_to_condition",
    "biolink:disease_has_basis_in",
    "biolink:has_phenotype",
    "biolink:disease_has_location",
}


@pytest.fixture(scope="module")
def exported(kg: Graph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kgx")
    write_kgx(kg, folder)
    return folder


def _table(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return header, [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]


def test_the_export_passes_the_required_column_check(exported: Path) -> None:
    assert check_kgx(exported) == []


def test_both_files_have_the_kgx_columns(exported: Path) -> None:
    assert _table(exported / "nodes.tsv")[0] == list(NODE_COLUMNS)
    assert _table(exported / "edges.tsv")[0] == list(EDGE_COLUMNS)


def test_every_edge_joins_two_nodes(exported: Path) -> None:
    node_ids = {row["id"] for row in _table(exported / "nodes.tsv")[1]}
    edges = _table(exported / "edges.tsv")[1]
    assert edges
    assert all(edge["subject"] in node_ids and edge["object"] in node_ids for edge in edges)


def test_edges_carry_biolink_predicates_and_provenance(exported: Path) -> None:
    edges = _table(exported / "edges.tsv")[1]
    assert {edge["predicate"] for edge in edges} <= BIOLINK_PREDICATES
    assert {edge["primary_knowledge_source"] for edge in edges} == {KNOWLEDGE_SOURCE}
    assert {edge["knowledge_level"] for edge in edges} == {"knowledge_assertion"}
    assert {edge["agent_type"] for edge in edges} == {"manual_agent"}
    publications = {p for edge in edges for p in edge["publications"].split("|") if p}
    assert publications and all(p.startswith(("PMID:", "doi:")) for p in publications)


@pytest.mark.parametrize(
    ("node", "category"),
    [
        ("sarc:AlveolarSoftPartSarcoma", "biolink:Disease"),
        ("sarc:Pazopanib", "biolink:Drug"),  # a drug is a chemical entity too: the most specific category wins
        ("sarc:ThoriumDioxide", "biolink:ChemicalEntity"),
        ("sarc:TFE3", "biolink:Gene"),
        ("sarc:ASPSCR1TFE3Fusion", "biolink:SequenceVariant"),
        ("sarc:PD1", "biolink:Protein"),
        ("sarc:Angiogenesis", "biolink:BiologicalProcess"),
        ("sarc:MagneticResonanceImaging", "biolink:Procedure"),
        ("sarc:PainlessLumpOrSwelling", "biolink:PhenotypicFeature"),
        ("sarc:Lung", "biolink:AnatomicalEntity"),
    ],
)
def test_categories_are_mapped_from_our_classes(exported: Path, node: str, category: str) -> None:
    nodes = {row["id"]: row for row in _table(exported / "nodes.tsv")[1]}
    assert nodes[node]["category"] == category
    assert nodes[node]["name"]


def test_nodes_carry_names_xrefs_and_synonyms(exported: Path) -> None:
    nodes = {row["id"]: row for row in _table(exported / "nodes.tsv")[1]}
    asps = nodes["sarc:AlveolarSoftPartSarcoma"]
    assert asps["name"] == "alveolar soft part sarcoma"
    assert any(x.startswith(("MONDO:", "NCIT:")) for x in asps["xref"].split("|"))


def test_therapy_predicates_follow_the_recommendation_status(kg: Graph) -> None:
    tables = kgx_tables(kg)
    therapy_edges = [e for e in tables.edges if e[2].endswith(("treats", "_to_treat"))]
    assert {e[2] for e in therapy_edges} >= {"biolink:treats", "biolink:studied_to_treat"}


def test_the_export_is_deterministic(kg: Graph, exported: Path, tmp_path: Path) -> None:
    write_kgx(kg, tmp_path)
    for name in ("nodes.tsv", "edges.tsv"):
        assert (tmp_path / name).read_bytes() == (exported / name).read_bytes()


def test_the_check_finds_a_missing_column_and_a_dangling_edge(exported: Path, tmp_path: Path) -> None:
    header, *rows = (exported / "nodes.tsv").read_text(encoding="utf-8").splitlines()
    kept = [row for row in rows if not row.startswith("sarc:AlveolarSoftPartSarcoma\t")]
    assert len(kept) == len(rows) - 1
    (tmp_path / "nodes.tsv").write_text("\n".join([header.replace("category", "kind"), *kept]) + "\n")
    (tmp_path / "edges.tsv").write_bytes((exported / "edges.tsv").read_bytes())
    problems = check_kgx(tmp_path)
    assert "nodes.tsv: no 'category' column" in problems
    assert any("sarc:AlveolarSoftPartSarcoma is not in nodes.tsv" in p for p in problems)


def test_export_format_kgx_writes_a_directory(build_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "kgx"
    result = CliRunner().invoke(main, ["export", "--format", "kgx", "-o", str(out), "--build-dir", str(build_dir)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["edges.tsv", "nodes.tsv"]
    assert check_kgx(out) == []


def test_export_kgx_onto_a_file_is_a_usage_error(build_dir: Path, tmp_path: Path) -> None:
    file = tmp_path / "nodes.tsv"
    file.write_text("x")
    result = CliRunner().invoke(main, ["export", "--format", "kgx", "-o", str(file), "--build-dir", str(build_dir)])
    assert result.exit_code == 2
    assert "must be a directory" in result.output
