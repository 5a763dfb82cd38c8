"""The claims a curator found missing (issue 11) are in the graph, each with its conditions in slots.

One test per claim family: the statement exists, cites its source, and carries the population, setting and
site the source attaches to the claim as data (docs/model.md "Care pathway and red flags"), so a query can
join on them instead of reading a label.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from sarcoma_kg.namespaces import SARC

KB = "https://w3id.org/sarcoma-kg/kb/"
ADULT_PDQ = URIRef(KB + "source/pdq-sts-patient")
CHILD_PDQ = URIRef(KB + "source/pdq-childhood-sts-recurrent-hp")
BMJ_CASE = URIRef(KB + "source/bmj-case-2017-asps-back-pain")
RECURRENT_CHILDHOOD = {
    RDF.type: {SARC.CarePathwayStatement},
    SARC.aboutDisease: {SARC.ChildhoodSoftTissueSarcoma},
    SARC.ageGroup: {SARC.Children},
    SARC.forDiseaseStatus: {SARC.RecurrentStatus, SARC.ProgressiveStatus},
    DCTERMS.source: {CHILD_PDQ},
}


def _slots(kg: Graph, statement: URIRef, expected: dict) -> dict:
    """The statement's values for the slots named in ``expected`` (rdf:type restricted to the expected class)."""
    found = {prop: set(kg.objects(statement, prop)) for prop in expected}
    found[RDF.type] = found.get(RDF.type, set()) & expected.get(RDF.type, set())
    return found


CLAIMS = {
    "sts-restaging-after-initial-therapy": {
        RDF.type: {SARC.CarePathwayStatement},
        SARC.purpose: {SARC.StagingPurpose},
        SARC.requiresPriorTherapy: {SARC.Chemotherapy, SARC.RadiationTherapy},
        SARC.ageGroup: {SARC.Adults},
        DCTERMS.source: {ADULT_PDQ},
    },
    "sts-biopsy-planning-team": {
        RDF.type: {SARC.CarePathwayStatement},
        SARC.test: {SARC.Biopsy},
        SARC.careTeamMember: {SARC.Surgeon, SARC.RadiationOncologist, SARC.InterventionalRadiologist},
        SARC.ageGroup: {SARC.Adults},
        DCTERMS.source: {ADULT_PDQ},
    },
    "sts-biopsy-samples-lymph-nodes": {
        RDF.type: {SARC.DiagnosticTestStatement},
        SARC.test: {SARC.Biopsy},
        SARC.purpose: {SARC.DiagnosisPurpose},
        SARC.site: {SARC.LymphNode},
        SARC.ageGroup: {SARC.Adults},
        DCTERMS.source: {ADULT_PDQ},
    },
    "sts-wide-local-excision-minimal-margin-sites": {
        RDF.type: {SARC.CarePathwayStatement},
        SARC.therapy: {SARC.WideLocalExcision},
        SARC.requiresSite: {SARC.Head, SARC.Neck, SARC.Abdomen, SARC.Trunk},
        SARC.ageGroup: {SARC.Adults},
        DCTERMS.source: {ADULT_PDQ},
    },
    "sts-metastasis-is-not-a-new-cancer": {
        RDF.type: {SARC.DiseaseCourseStatement},
        SARC.requiresDistantMetastasis: {Literal(True)},
        SARC.requiresMetastasisSite: {SARC.Lung},
        SARC.ageGroup: {SARC.Adults},
        DCTERMS.source: {ADULT_PDQ},
    },
    "csts-recurrent-treatment-individualised": {
        **RECURRENT_CHILDHOOD,
        SARC.decisionFactor: {SARC.SiteOfRecurrenceFactor, SARC.TumourBiologyFactor},
    },
    "asps-multidisciplinary-care": {
        RDF.type: {SARC.CarePathwayStatement},
        SARC.aboutDisease: {SARC.AlveolarSoftPartSarcoma},
        SARC.careTeamMember: {SARC.Surgeon, SARC.RadiationOncologist, SARC.MedicalOncologist},
        SARC.ageGroup: {SARC.AllAges},
        DCTERMS.source: {URIRef(KB + "source/droracle-asps-thigh")},
    },
}


@pytest.mark.parametrize("slug", sorted(CLAIMS))
def test_the_claim_is_a_statement_with_its_conditions_as_slots(kg: Graph, slug: str) -> None:
    expected = CLAIMS[slug]
    assert _slots(kg, URIRef(KB + "statement/" + slug), expected) == expected


def test_the_four_decision_factors_of_recurrent_childhood_sts_are_each_a_statement(kg: Graph) -> None:
    """002 lists four factors a decision on recurrent or progressive childhood STS is based on."""
    factors = set()
    for statement in kg.subjects(SARC.decisionFactor, None):
        if len(set(kg.objects(statement, SARC.decisionFactor))) == 1:
            assert _slots(kg, statement, RECURRENT_CHILDHOOD) == RECURRENT_CHILDHOOD
            factors |= set(kg.objects(statement, SARC.decisionFactor))
    assert factors == {
        SARC.SiteOfRecurrenceFactor,
        SARC.TumourBiologyFactor,
        SARC.PriorTherapyFactor,
        SARC.PatientConsiderationsFactor,
    }


RED_FLAG_FEATURES = {
    SARC.SphincterOrGaitDisturbance,
    SARC.SaddleAnaesthesia,
    SARC.MotorLoss,
    SARC.WidespreadNeurologicalDeficit,
    SARC.PreviousMalignancy,
    SARC.SystemicIllness,
    SARC.HIVInfection,
    SARC.WeightLoss,
    SARC.IntravenousDrugUse,
    SARC.SteroidUse,
    SARC.StructuralDeformity,
    SARC.NonMechanicalPain,
    SARC.Fever,
    SARC.ThoracicPain,
}


def _red_flags(kg: Graph) -> list[URIRef]:
    return sorted(kg.subjects(RDF.type, SARC.RedFlagStatement))


def test_every_feature_of_the_red_flag_table_of_back_pain_is_a_red_flag_statement(kg: Graph) -> None:
    """004's table 1 has fifteen cells: fourteen features and one age band (age is the statement's population)."""
    assert {f for s in _red_flags(kg) for f in kg.objects(s, SARC.redFlag)} == RED_FLAG_FEATURES


def test_the_age_red_flag_is_two_age_bands_in_the_population_slot(kg: Graph) -> None:
    aged = [s for s in _red_flags(kg) if not set(kg.objects(s, SARC.redFlag))]
    assert [set(kg.objects(s, SARC.ageGroup)) for s in aged] == [{SARC.YoungerThan20, SARC.OlderThan55}]
    assert kg.value(SARC.YoungerThan20, SARC.ageBelowYears).toPython() == 20
    assert kg.value(SARC.OlderThan55, SARC.ageAboveYears).toPython() == 55


def test_red_flags_qualify_back_pain_and_cite_the_case_report(kg: Graph) -> None:
    slots = {
        (kg.value(s, SARC.symptom), kg.value(s, SARC.aboutDisease), kg.value(s, DCTERMS.source)) for s in _red_flags(kg)
    }
    assert slots == {(SARC.BackPain, SARC.Disease, BMJ_CASE)}


@pytest.mark.parametrize("kind", [SARC.CarePathwayStatement, SARC.RedFlagStatement])
def test_every_care_pathway_and_red_flag_statement_states_its_population(kg: Graph, kind: URIRef) -> None:
    statements = sorted(kg.subjects(RDF.type, kind))
    assert statements and [s for s in statements if not set(kg.objects(s, SARC.ageGroup))] == []
