"""case-treatment-options: for staged patients of every kind, exactly the options the sources give.

The cases are tests/data/cases/applicability.csv: each stage group of both PDQ systems, node-positive
retroperitoneal disease, metastatic ASPS, an adult with recurrent disease, and children with recurrent disease
with, without and with unrecorded prior radiation therapy. Expected options are read off sources 001, 002, 003.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from sarcoma_kg.cases import build_term_index, import_cases
from sarcoma_kg.options import OPTION_COLUMNS, treatment_options
from sarcoma_kg.queries import get_query, table_rows
from sarcoma_kg.staging import merged_graph, stage_graph

PDQ_ADULT = "kb:source/pdq-sts-patient"
PDQ_CHILD = "kb:source/pdq-childhood-sts-recurrent-hp"
ORACLE = "kb:source/droracle-asps-thigh"
NEO, ADJ = "timing: neoadjuvant setting", "timing: adjuvant setting"


@pytest.fixture(scope="module")
def cohort(kg: Graph, test_data: Path) -> Graph:
    imported = import_cases(test_data / "cases" / "applicability.csv", kg, index=build_term_index(kg))
    return merged_graph(kg, imported.graph)


def _rows(result) -> list[dict[str, str]]:
    return [dict(zip(result.columns, row, strict=True)) for row in table_rows(result)]


@pytest.fixture(scope="module")
def applicable(cohort: Graph) -> list[dict[str, str]]:
    return _rows(treatment_options(cohort))


@pytest.fixture(scope="module")
def ruled_out(cohort: Graph) -> list[dict[str, str]]:
    return _rows(treatment_options(cohort, ruled_out=True))


def _timing(row: dict[str, str]) -> str:
    return next((part for part in row["conditions"].split("; ") if part.startswith("timing: ")), "")


def _stage_options(rows, case_id: str) -> set[tuple[str, str, str]]:
    """(therapy, timing, source) of the options the case gets because of its stage."""
    return {
        (r["therapy"], _timing(r), r["source"])
        for r in rows
        if r["case_id"] == case_id and "; stage " in r["conditions"]
    }


def _options(rows, case_id: str) -> set[tuple[str, str]]:
    return {(r["therapy"], r["source"]) for r in rows if r["case_id"] == case_id}


STAGE_I = {
    ("sarc:MohsMicrographicSurgery", "", PDQ_ADULT),
    ("sarc:WideLocalExcision", "", PDQ_ADULT),
    ("sarc:RadiationTherapy", NEO, PDQ_ADULT),
    ("sarc:RadiationTherapy", ADJ, PDQ_ADULT),
}
STAGE_II_III = {
    ("sarc:WideLocalExcision", "", PDQ_ADULT),
    ("sarc:RadiationTherapy", NEO, PDQ_ADULT),
    ("sarc:RadiationTherapy", ADJ, PDQ_ADULT),
}
LIMB_SPARING = {("sarc:LimbSparingSurgery", "", PDQ_ADULT)}
SMALL_LOW_GRADE = {("sarc:Surgery", "", PDQ_ADULT)}
LIMB_CHEMO = {("sarc:Chemotherapy", NEO, PDQ_ADULT)}
UNRESECTABLE = {("sarc:HighDoseRadiationTherapy", "", PDQ_ADULT)}
STAGE_IV = {("sarc:Chemotherapy", "", PDQ_ADULT), ("sarc:Pazopanib", "", PDQ_ADULT), ("sarc:Imatinib", "", PDQ_ADULT)}
LUNG_SURGERY = {("sarc:PulmonaryMetastasectomy", "", PDQ_ADULT)}
NODE_POSITIVE = {
    ("sarc:WideLocalExcision", "", PDQ_ADULT),
    ("sarc:Lymphadenectomy", "", PDQ_ADULT),
    ("sarc:RadiationTherapy", NEO, PDQ_ADULT),
    ("sarc:RadiationTherapy", ADJ, PDQ_ADULT),
    ("sarc:Chemotherapy", NEO, PDQ_ADULT),
}

EXPECTED_BY_STAGE = {
    "TE-IA": STAGE_I | LIMB_SPARING | SMALL_LOW_GRADE,
    "TE-IB": STAGE_I | LIMB_SPARING,
    "TE-II": STAGE_II_III,
    "TE-IIIA": STAGE_II_III | LIMB_SPARING | LIMB_CHEMO,
    "TE-IIIB": STAGE_II_III | LIMB_SPARING | LIMB_CHEMO | UNRESECTABLE,
    "TE-IV": STAGE_IV,
    "RP-IA": STAGE_I | SMALL_LOW_GRADE,
    "RP-IB": STAGE_I,
    "RP-II": STAGE_II_III,
    "RP-IIIA": STAGE_II_III,
    "RP-IIIB": STAGE_II_III,
    "RP-IIIB-N1": NODE_POSITIVE,
    "RP-IV": STAGE_IV | LUNG_SURGERY,
}


def test_the_query_declares_exactly_the_issue_columns() -> None:
    assert get_query("case-treatment-options").columns == OPTION_COLUMNS


@pytest.mark.parametrize("case_id", sorted(EXPECTED_BY_STAGE))
def test_each_stage_group_gets_the_options_of_its_pdq_section(applicable, case_id: str) -> None:
    assert _stage_options(applicable, case_id) == EXPECTED_BY_STAGE[case_id]


def test_the_stage_of_each_row_is_the_stage_case_stages_computes(cohort: Graph, applicable) -> None:
    stages = {row[0]: (row[3], row[4]) for row in table_rows(stage_graph(cohort))}
    assert {r["case_id"]: (r["stage"], r["staging_system"]) for r in applicable} == {
        case: stages[case] for case in {r["case_id"] for r in applicable}
    }


def test_mohs_surgery_comes_with_its_skin_condition_stated(applicable) -> None:
    mohs = [r for r in applicable if r["therapy"] == "sarc:MohsMicrographicSurgery"]
    assert {r["case_id"] for r in mohs} == {"TE-IA", "TE-IB", "RP-IA", "RP-IB"}
    assert all("not known: whether the tumour is in the skin" in r["conditions"] for r in mohs)


def test_node_positive_retroperitoneal_disease_is_not_given_the_node_negative_options(ruled_out) -> None:
    reasons = [r["conditions"] for r in ruled_out if r["case_id"] == "RP-IIIB-N1" and "; stage IIIB" in r["conditions"]]
    assert reasons and all("ruled out: for no spread to lymph nodes" in c for c in reasons)


def test_metastatic_asps_gets_the_targeted_and_combination_options_of_001(applicable) -> None:
    asps = {
        r["therapy"]
        for r in applicable
        if r["case_id"] == "ASPS-MET" and r["source"] == ORACLE and "distant metastasis" in r["conditions"]
    }
    assert asps == {
        "sarc:Pazopanib",
        "sarc:Sunitinib",
        "sarc:Atezolizumab",
        "sarc:TKICheckpointInhibitorCombination",
        "sarc:CombinationTherapy",
        "sarc:Chemotherapy",
    }
    assert _stage_options(applicable, "ASPS-MET") == STAGE_IV | LUNG_SURGERY


def test_adults_never_get_childhood_only_options(applicable) -> None:
    adult_cases = {r["case_id"] for r in applicable if "adults (age" in r["conditions"]}
    childhood = {(r["therapy"]) for r in applicable if r["case_id"] in adult_cases and r["source"] == PDQ_CHILD}
    assert "sarc:Trabectedin" not in childhood and "sarc:GemcitabineDocetaxelRegimen" not in childhood
    assert childhood <= {"sarc:Pazopanib", "sarc:LimbSparingSurgeryWithBrachytherapy"}  # the two adult claims of 002


def test_an_adult_with_recurrent_disease_gets_the_recurrent_options_of_003_and_the_adult_claims_of_002(applicable):
    recurrent = {
        (r["therapy"], r["source"])
        for r in applicable
        if r["case_id"] == "ADULT-REC" and "; recurrent" in r["conditions"]
    }
    assert recurrent == {
        ("sarc:WideLocalExcision", PDQ_ADULT),
        ("sarc:RadiationTherapy", PDQ_ADULT),
        ("sarc:Amputation", PDQ_ADULT),
        ("sarc:Pazopanib", PDQ_ADULT),
        ("sarc:Imatinib", PDQ_ADULT),
        ("sarc:Chemotherapy", PDQ_ADULT),
        ("sarc:Pembrolizumab", PDQ_ADULT),
        ("sarc:Nivolumab", PDQ_ADULT),
        ("sarc:Ipilimumab", PDQ_ADULT),
        ("sarc:Pazopanib", PDQ_CHILD),
        ("sarc:LimbSparingSurgeryWithBrachytherapy", PDQ_CHILD),
    }


def test_a_child_already_irradiated_gets_amputation_and_not_post_excision_brachytherapy(applicable, ruled_out):
    options = _options(applicable, "CHILD-REC-RT")
    assert ("sarc:Amputation", PDQ_CHILD) in options
    assert ("sarc:Brachytherapy", PDQ_CHILD) not in options
    assert any(
        r["case_id"] == "CHILD-REC-RT"
        and r["therapy"] == "sarc:Brachytherapy"
        and "ruled out: for patients not yet irradiated" in r["conditions"]
        for r in ruled_out
    )


def test_a_child_not_irradiated_gets_post_excision_brachytherapy_and_not_amputation(applicable, ruled_out):
    options = _options(applicable, "CHILD-REC-NO-RT")
    assert ("sarc:Brachytherapy", PDQ_CHILD) in options
    assert ("sarc:RadiationTherapy", PDQ_CHILD) in options
    assert ("sarc:Amputation", PDQ_CHILD) not in options
    assert any(
        r["case_id"] == "CHILD-REC-NO-RT"
        and r["therapy"] == "sarc:Amputation"
        and "ruled out: for patients already irradiated" in r["conditions"]
        for r in ruled_out
    )


def test_unrecorded_prior_radiation_lists_both_and_says_it_is_not_known(applicable) -> None:
    rows = [
        r
        for r in applicable
        if r["case_id"] == "CHILD-REC-RT-UNKNOWN"
        and r["source"] == PDQ_CHILD
        and r["therapy"] in ("sarc:Amputation", "sarc:Brachytherapy")
    ]
    assert {r["therapy"] for r in rows} == {"sarc:Amputation", "sarc:Brachytherapy"}
    assert all("not known: prior radiation therapy" in r["conditions"] for r in rows)


def test_children_get_the_childhood_options_and_no_adult_ones(applicable) -> None:
    options = _options(applicable, "CHILD-REC-NO-RT")
    assert {("sarc:Trabectedin", PDQ_CHILD), ("sarc:GemcitabineDocetaxelRegimen", PDQ_CHILD)} <= options
    assert not {source for _therapy, source in options} & {PDQ_ADULT}


def test_every_candidate_is_either_applicable_or_ruled_out_never_both(applicable, ruled_out) -> None:
    def key(r):
        return (r["case_id"], r["therapy"], r["conditions"].split("; ")[0], r["source"], r["recommendationStatus"])

    assert not {key(r) for r in applicable if "ruled out" not in r["conditions"]} & {
        key(r) for r in ruled_out if "ruled out" not in r["conditions"]
    }
    assert all("ruled out: " in r["conditions"] for r in ruled_out)
    assert not any("ruled out: " in r["conditions"] for r in applicable)


def test_a_tumour_also_typed_by_a_broader_disease_gets_each_option_once(kg: Graph) -> None:
    """Typed by synovial sarcoma and by soft tissue sarcoma, the tumour gets the synovial sarcoma rows, no twice."""
    case = """
        @prefix sarc: <https://w3id.org/sarcoma-kg/> .
        <urn:x:case> a sarc:PatientCase ; sarc:caseId "M1" ; sarc:ageYears 40 ; sarc:hasDiagnosis <urn:x:tumour> .
        <urn:x:tumour> a %s ; sarc:hasPrimarySite <urn:x:site> ; sarc:tumourSizeCm 3.0 ;
            sarc:hasGrade sarc:LowGrade ; sarc:hasNodalSpread false ; sarc:hasDistantMetastasis false .
        <urn:x:site> a sarc:Thigh .
    """
    both = table_rows(treatment_options(merged_graph(kg, Graph().parse(
        data=case % "sarc:SoftTissueSarcoma , sarc:SynovialSarcoma", format="turtle"))))  # fmt: skip
    narrow = table_rows(
        treatment_options(merged_graph(kg, Graph().parse(data=case % "sarc:SynovialSarcoma", format="turtle")))
    )
    assert both and both == narrow
    assert len(both) == len({tuple(row) for row in both})
