"""Every sarcoma histology a researcher writes: the NCIt import module and the case importer's term resolution.

The 20 adult cases of tests/data/cases/adult-histologies.csv carry, beside the importer's columns, the class
each diagnosis must resolve to (``expected_histology``) and the stage the PDQ tables of 003 give it.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import subprocess
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import OWL, RDF, RDFS

from sarcoma_kg import paths
from sarcoma_kg.cases import CaseImportError, build_term_index, import_cases, import_spreadsheet, parse_spreadsheet
from sarcoma_kg.graph import load_files
from sarcoma_kg.namespaces import SARC
from sarcoma_kg.queries import table_rows
from sarcoma_kg.staging import STAGE_COLUMNS, stage_cases

REPO = Path(__file__).resolve().parent.parent
SHEET = Path(__file__).resolve().parent / "data" / "cases" / "adult-histologies.csv"
MODULE = REPO / "ontology" / "imports" / "ncit-import.ttl"
NCIT = "http://purl.obolibrary.org/obo/NCIT_"
HEADER = "case_id,diagnosis,primary_site,size_cm,grade,nodal_spread,distant_metastasis"

with SHEET.open(encoding="utf-8", newline="") as _handle:
    ROWS = list(csv.DictReader(_handle))


def _iri(curie: str) -> URIRef:
    prefix, local = curie.split(":", 1)
    return URIRef(NCIT + local) if prefix == "NCIT" else SARC[local]


def _generator():
    spec = importlib.util.spec_from_file_location("ncit_import", REPO / "tools" / "ncit" / "ncit_import.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def index(kg):
    return build_term_index(kg)


@pytest.fixture(scope="module")
def imported(kg, index):
    return import_cases(SHEET, kg, index=index)


@pytest.fixture(scope="module")
def module_graph():
    return load_files([MODULE])


def _problems(kg, index, *rows: str) -> list:
    with pytest.raises(CaseImportError) as caught:
        import_spreadsheet(parse_spreadsheet("\n".join([HEADER, *rows]) + "\n", "t.csv"), kg, index=index)
    return list(caught.value.problems)


# ----------------------------------------------------------------------------------------- the module


def test_committed_module_is_what_the_generator_writes():
    generator = _generator()
    assert MODULE.read_text(encoding="utf-8") == generator.render(
        __import__("json").loads(generator.SOURCE.read_text(encoding="utf-8"))
    )


def test_module_has_its_own_ontology_iri_and_version_iri(module_graph):
    (header,) = list(module_graph.subjects(RDF.type, OWL.Ontology))
    assert str(header) == "https://w3id.org/sarcoma-kg/imports/ncit-import.owl"
    assert module_graph.value(header, OWL.versionIRI) is not None


def test_main_ontology_imports_every_module_through_the_catalog():
    main = load_files([paths.ontology_file()])
    imports = {str(o) for o in main.objects(None, OWL.imports)}
    catalog = dict(re.findall(r'name="([^"]+)" uri="([^"]+)"', paths.catalog_file().read_text()))
    resolved = {(paths.ontology_file().parent / catalog[iri]).resolve() for iri in imports}
    assert resolved == {f.resolve() for f in paths.import_files()}


def test_module_copies_no_definition(module_graph):
    assert list(module_graph.subject_objects(URIRef("http://purl.obolibrary.org/obo/IAO_0000115"))) == []


def test_a_class_that_is_ours_is_mapped_not_duplicated(module_graph):
    for code in ("C3750", "C9306", "C3400", "C9087", "C9312"):
        assert (URIRef(NCIT + code), RDF.type, OWL.Class) not in module_graph, code


def test_no_imported_class_names_a_condition_kept_as_data(module_graph):
    words = re.compile(r"\b(Stage|AJCC|Recurrent|Refractory|Metastatic|Unresectable|Adult|Childhood)\b")
    labels = [str(o) for s, o in module_graph.subject_objects(RDFS.label) if str(s).startswith(NCIT)]
    assert len(labels) > 300
    assert [label for label in labels if words.search(label)] == []


def test_bone_sarcomas_are_not_soft_tissue_sarcomas(kg):
    query = """
    SELECT ?c WHERE { ?c rdfs:subClassOf* sarc:BoneSarcoma . ?c rdfs:subClassOf* sarc:SoftTissueSarcoma }"""
    assert list(kg.query(query)) == []
    for code in ("C9145", "C2946", "C4817"):  # osteosarcoma, chondrosarcoma, Ewing sarcoma
        assert (URIRef(NCIT + code), RDFS.subClassOf, SARC.BoneSarcoma) in kg, code


def test_extraskeletal_osteosarcoma_stays_a_soft_tissue_sarcoma(kg):
    assert (URIRef(NCIT + "C8810"), RDFS.subClassOf, SARC.SoftTissueSarcoma) in kg


@pytest.mark.java
def test_owl_api_loads_the_module_alone_without_a_problem():
    result = subprocess.run(
        ["bash", str(REPO / "tools" / "owlcheck" / "owlcheck.sh"), str(MODULE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# ----------------------------------------------------------------------------------------- resolution


@pytest.mark.parametrize("row", ROWS, ids=[r["case_id"] for r in ROWS])
def test_histology_resolves_by_label_synonym_or_ncit_curie(imported, row):
    record = next(r for r in imported.cases if r.case_id == row["case_id"])
    assert record.diagnosis == _iri(row["expected_histology"])


@pytest.mark.parametrize("row", ROWS, ids=[r["case_id"] for r in ROWS])
def test_adult_histology_is_staged_by_the_soft_tissue_tables(kg, imported, row):
    staged = {
        r[0]: dict(zip(STAGE_COLUMNS, r, strict=True))
        for r in table_rows(stage_cases(kg, imported.graph, imported.cases))
    }
    assert (staged[row["case_id"]]["stage"], staged[row["case_id"]]["staging_system"]) == (
        row["expected_stage"],
        row["expected_system"],
    )


def test_a_misspelt_histology_is_offered_the_right_name_first(index):
    assert index.diagnoses.closest("liposarcma")[0] == "Liposarcoma"
    assert index.diagnoses.closest("myxofibrosarcom")[0] == "Myxofibrosarcoma"


def test_a_noise_word_is_offered_nothing(index):
    assert index.diagnoses.closest("banana") == []


def test_unknown_diagnosis_names_the_search_command(kg, index):
    (problem,) = _problems(kg, index, "X1,liposarcma,thigh,5,low,no,no")
    assert "closest known: 'Liposarcoma'" in problem.reason
    assert "Kaposi" not in problem.reason
    assert "sarcoma-kg query entity-search" in problem.reason


@pytest.mark.parametrize("diagnosis", ["osteosarcoma", "Ewing sarcoma of bone", "chondrosarcoma", "NCIT:C9145"])
def test_a_bone_sarcoma_gets_a_clear_row_message_not_a_stage(kg, index, diagnosis):
    problems = _problems(kg, index, f"B1,{diagnosis},thigh,5,high,no,no", "S1,synovial sarcoma,thigh,5,high,no,no")
    assert [(p.row, p.column) for p in problems] == [(2, "diagnosis")]
    assert "is a bone sarcoma, not a soft tissue sarcoma" in problems[0].reason


# ----------------------------------------------------------------------------------------- trunk wall

with (Path(__file__).resolve().parent / "data" / "cases" / "trunk-wall.csv").open(encoding="utf-8") as _handle:
    WALL_ROWS = list(csv.DictReader(_handle))


@pytest.fixture(scope="module")
def wall_stages(kg, index):
    result = import_cases(Path(__file__).resolve().parent / "data" / "cases" / "trunk-wall.csv", kg, index=index)
    return {
        r[0]: dict(zip(STAGE_COLUMNS, r, strict=True)) for r in table_rows(stage_cases(kg, result.graph, result.cases))
    }


@pytest.mark.parametrize("row", WALL_ROWS, ids=[r["case_id"] for r in WALL_ROWS])
def test_chest_and_abdominal_wall_are_trunk_the_cavities_have_no_standard_staging(wall_stages, row):
    staged = wall_stages[row["case_id"]]
    assert (staged["stage"], staged["staging_system"]) == (row["expected_stage"], row["expected_system"])
