"""A synthetic cohort for measuring validation at scale, and a check that both engines agree on it.

``make_cohort(n)`` writes n patient cases in the model's shape (about 21 triples each, so 10,000 cases are
about 210,000 triples) with a few deterministic defects, so a benchmark compares engines on equal, non-empty
result sets. Timings are not asserted here (they belong in benchmarks): see the README (Quality gates) and
bench/results/latest.md.
"""

from __future__ import annotations

import random
from pathlib import Path

from sarcoma_kg.validate import Engine, Severity, validate

__all__ = ["make_cohort"]

_HEAD = """@prefix sarc: <https://w3id.org/sarcoma-kg/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
_SITES = ["Thigh", "Leg", "Arm", "Retroperitoneum", "Trunk", "Head", "Neck"]
_STAGED_WHEN_METASTATIC = {"Thigh", "Leg", "Arm", "Retroperitoneum", "Trunk"}
_GRADES = ["LowGrade", "MidGrade", "HighGrade", "UnknownGrade"]
_DISEASES = ["AlveolarSoftPartSarcoma", "SynovialSarcoma", "Rhabdomyosarcoma", "SoftTissueSarcoma"]


def make_cohort(n: int, path: Path, *, seed: int = 1) -> Path:
    """Write ``n`` cases to ``path`` (Turtle). Every 101st case is 130 years old (a violation), every 211th
    records stage IA for a metastatic tumour (a stage contradiction), every 107th has a dose in cGy (a
    warning)."""
    rng = random.Random(seed)
    lines = [_HEAD]
    for i in range(1, n + 1):
        iri = f"<https://w3id.org/sarcoma-kg/case/S{i}"
        site = rng.choice(_SITES)
        metastatic = rng.random() < 0.3
        age = 130 if i % 101 == 0 else rng.randint(1, 90)
        dose = 3000 if i % 107 == 0 else rng.choice([30, 45, 50, 60])
        stage = ""
        if i % 211 == 0 and metastatic:
            stage = " sarc:recordedStage sarc:StageIA ;"
        elif metastatic and site in _STAGED_WHEN_METASTATIC:
            stage = " sarc:recordedStage sarc:StageIV ;"
        lines.append(
            f'{iri}> a sarc:PatientCase ; sarc:caseId "S{i}" ; sarc:ageYears "{age}"^^xsd:decimal ;'
            f" sarc:hasSex sarc:{rng.choice(['Male', 'Female'])} ; sarc:hasDiagnosis {iri}/tumour> ;"
            f" sarc:receivedTherapy {iri}/therapy/1> ;{stage}"
            f" dcterms:source <https://w3id.org/sarcoma-kg/kb/source/bmj-case-2017-asps-back-pain> .\n"
            f"{iri}/tumour> a sarc:{rng.choice(_DISEASES)} ; sarc:hasPrimarySite {iri}/primary-site> ;"
            f' sarc:tumourSizeCm "{rng.randint(5, 250) / 10}"^^xsd:decimal ; sarc:hasGrade sarc:{rng.choice(_GRADES)} ;'
            f' sarc:hasNodalSpread "{str(rng.random() < 0.1).lower()}"^^xsd:boolean ;'
            f' sarc:hasDistantMetastasis "{str(metastatic).lower()}"^^xsd:boolean'
            + (
                f" ; sarc:hasMetastasisSite {iri}/metastasis/1> .\n{iri}/metastasis/1> a sarc:Lung .\n"
                if metastatic
                else " .\n"
            )
            + f"{iri}/primary-site> a sarc:{site} .\n"
            f'{iri}/therapy/1> a sarc:RadiationTherapy ; sarc:totalDoseGy "{dose}"^^xsd:decimal ;'
            f' sarc:fractionCount "{rng.choice([5, 10, 25])}"^^xsd:integer ; sarc:inSetting sarc:PalliativeSetting .\n'
        )
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_synthetic_cohort_gives_the_planted_defects_and_the_same_results_on_both_engines(tmp_path: Path) -> None:
    cohort = make_cohort(110, tmp_path / "cohort.ttl")
    fast = validate([cohort])
    slow = validate([cohort], engine=Engine.PYSHACL)
    ages = [r for r in fast.results if str(r.path).endswith("ageYears")]
    assert [str(r.focus_node).rsplit("/", 1)[-1] for r in ages] == ["S101"]
    assert any(r.severity is Severity.WARNING and str(r.path).endswith("totalDoseGy") for r in fast.results)

    def key(r):
        return (r.severity, r.focus_node, r.path_text, r.value, r.source_shape, r.component)

    assert {key(r) for r in fast.results} == {key(r) for r in slow.results}


def test_a_case_breaking_many_constraints_of_one_shape_gets_a_result_for_each(tmp_path: Path) -> None:
    # The fast engine runs the constraints of one shape that share its target as one query: each must still give
    # its own result (component, path, message), beside a conforming case, as pySHACL gives them one by one.
    cohort = make_cohort(3, tmp_path / "cohort.ttl")
    broken = tmp_path / "broken.ttl"
    broken.write_text(
        _HEAD + '<https://w3id.org/sarcoma-kg/case/X> a sarc:PatientCase ; sarc:caseId "X", "Y" ;'
        ' sarc:ageYears "130"^^xsd:decimal ; sarc:hasSex sarc:Lung, sarc:Male ; sarc:hadPriorRadiation "yes" ;'
        " dcterms:source <https://w3id.org/sarcoma-kg/kb/source/bmj-case-2017-asps-back-pain> .\n",
        encoding="utf-8",
    )
    fast = validate([cohort, broken])
    slow = validate([cohort, broken], engine=Engine.PYSHACL)
    on_x = {
        (r.path_text, str(r.component).rsplit("#", 1)[-1]) for r in fast.results if str(r.focus_node).endswith("/X")
    }
    assert {
        ("sarc:caseId", "MaxCountConstraintComponent"),
        ("sarc:ageYears", "MaxInclusiveConstraintComponent"),
        ("sarc:hasSex", "InConstraintComponent"),
        ("sarc:hasSex", "MaxCountConstraintComponent"),
        ("sarc:hadPriorRadiation", "DatatypeConstraintComponent"),
        ("sarc:hasDiagnosis", "MinCountConstraintComponent"),
    } <= on_x
    assert not any("/S1" in str(r.focus_node) for r in fast.results if r.severity is Severity.VIOLATION)

    def key(r):
        return (r.severity, r.focus_node, r.path_text, r.value, r.message, r.source_shape, r.component)

    assert {key(r) for r in fast.results} == {key(r) for r in slow.results}
