"""The knowledge base says when each statement applies in slots, not labels, and where each source says it.

docs/model.md "Applicability": every therapy, follow-up and test statement carries its conditions in structured
slots a query can join on; a label may repeat a condition, never carry it alone. Every statement names where in
each cited source the claim is made (sarc:sourceLocator, a heading or phrase found verbatim in the source text).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS

from sarcoma_kg.namespaces import SARC

APPLICABLE_KINDS = (
    SARC.TherapyStatement,
    SARC.FollowUpStatement,
    SARC.DiagnosticTestStatement,
    SARC.CarePathwayStatement,
    SARC.RedFlagStatement,
)
CHILD_GROUPS = {SARC.Children, SARC.ChildrenAndYoungAdults}
# The source texts are not in the repository (their prose is not ours to copy): CI lays them out in
# shared/sources beside the clone; SARCOMA_KG_SOURCES points elsewhere.
SOURCES_DIR = Path(os.environ.get("SARCOMA_KG_SOURCES", Path(__file__).resolve().parents[2] / "shared" / "sources"))


def _values(kg: Graph, node: URIRef, prop: URIRef) -> set:
    return set(kg.objects(node, prop))


def _within(kg: Graph, cls: URIRef, ancestor: URIRef) -> bool:
    return cls == ancestor or ancestor in set(kg.transitive_objects(cls, RDFS.subClassOf))


# A word or phrase in a label -> a check that the matching slot is there. Each condition the sources attach to
# an option appears here once; the patterns are on word boundaries so "staging" is not "stage".
LABEL_RULES = [
    (
        r"\bchild(ren|hood)?\b|\bpaediatric\b",
        "population children",
        lambda kg, s: _values(kg, s, SARC.ageGroup) & CHILD_GROUPS,
    ),
    (
        r"\badults?\b(?! but)",
        "population adults",
        lambda kg, s: (
            SARC.Adults in _values(kg, s, SARC.ageGroup) or SARC.ChildrenAndYoungAdults in _values(kg, s, SARC.ageGroup)
        ),
    ),
    (r"\bstage (I|II|III|IV)", "stage group", lambda kg, s: _values(kg, s, SARC.forStage)),
    (
        r"\bnode-(positive|negative)\b|\blymph nodes\b",
        "nodal status",
        lambda kg, s: _values(kg, s, SARC.requiresNodalSpread) or SARC.Lymphadenectomy in _values(kg, s, SARC.therapy),
    ),
    (
        r"\brecurrent\b",
        "disease status recurrent",
        lambda kg, s: SARC.RecurrentStatus in _values(kg, s, SARC.forDiseaseStatus),
    ),
    (
        r"\bprogressive\b",
        "disease status progressive",
        lambda kg, s: SARC.ProgressiveStatus in _values(kg, s, SARC.forDiseaseStatus),
    ),
    (
        r"\brefractory\b",
        "disease status refractory",
        lambda kg, s: SARC.RefractoryStatus in _values(kg, s, SARC.forDiseaseStatus),
    ),
    (
        r"\bmetastatic\b|\bdistant metastasis\b|\badvanced\b",
        "distant metastasis",
        lambda kg, s: Literal(True) in _values(kg, s, SARC.requiresDistantMetastasis),
    ),
    (
        r"\blocali[sz]ed\b",
        "no distant metastasis",
        lambda kg, s: Literal(False) in _values(kg, s, SARC.requiresDistantMetastasis),
    ),
    (
        r"\blung (metastases|recurrences?)\b|\bisolated lung\b",
        "metastasis site",
        lambda kg, s: _values(kg, s, SARC.requiresMetastasisSite),
    ),
    (r"\bskin\b", "site skin", lambda kg, s: SARC.Skin in _values(kg, s, SARC.requiresSite)),
    (
        r"\bextremity\b|\blimb\b|\blimb-(sparing|salvage)\b|\bamputation\b|\barm or leg\b|\bof the leg\b",
        "site limb",
        lambda kg, s: any(_within(kg, site, SARC.Limb) for site in _values(kg, s, SARC.requiresSite)),
    ),
    (
        r"\bunresectable\b|\bcannot be removed\b",
        "not resectable",
        lambda kg, s: Literal(False) in _values(kg, s, SARC.requiresResectable),
    ),
    (
        r"\birradiated\b|\bprior radiation\b",
        "prior radiation",
        lambda kg, s: _values(kg, s, SARC.requiresPriorRadiation),
    ),
    (
        r"\bquestionable\b|\binvolved margins\b",
        "surgical margins",
        lambda kg, s: _values(kg, s, SARC.requiresQuestionableMargins),
    ),
    (
        r"\b(before|after) (surgery|excision|limb-sparing)\b|\bbrachytherapy afterwards\b",
        "timing",
        lambda kg, s: _values(kg, s, SARC.timingRelativeToSurgery),
    ),
]
# Wording that states a condition and has no slot of its own: it must not be in a label at all.
CONDITIONAL_WORDING = re.compile(r"\bif\b|\bonly for\b|\bfor tumou?rs that\b|\bunless\b|\bprovided\b")


def _applicable_statements(kg: Graph) -> list[URIRef]:
    return sorted({s for kind in APPLICABLE_KINDS for s in kg.subjects(RDF.type, kind)})


def test_every_condition_a_label_names_has_its_slot(kg: Graph) -> None:
    missing = []
    for statement in _applicable_statements(kg):
        label = str(kg.value(statement, RDFS.label))
        for pattern, what, check in LABEL_RULES:
            if re.search(pattern, label, re.IGNORECASE) and not check(kg, statement):
                missing.append(f"{statement}: label {label!r} names {what}, but the slot is missing")
    assert missing == []


def test_no_label_carries_conditional_wording(kg: Graph) -> None:
    found = [
        (str(s), str(kg.value(s, RDFS.label)))
        for s in _applicable_statements(kg)
        if CONDITIONAL_WORDING.search(str(kg.value(s, RDFS.label)))
    ]
    assert found == []


def test_the_label_check_catches_a_condition_left_in_a_label() -> None:
    kg = Graph()
    statement = URIRef("https://w3id.org/sarcoma-kg/kb/statement/probe")
    kg.add((statement, RDFS.label, Literal("trabectedin is an option for recurrent sarcoma in children")))
    fired = [
        what
        for pattern, what, check in LABEL_RULES
        if re.search(pattern, "trabectedin is an option for recurrent sarcoma in children") and not check(kg, statement)
    ]
    assert fired == ["population children", "disease status recurrent"]


def test_every_therapy_statement_states_its_population(kg: Graph) -> None:
    assert [s for s in kg.subjects(RDF.type, SARC.TherapyStatement) if len(_values(kg, s, SARC.ageGroup)) != 1] == []


@pytest.mark.parametrize("source", ["pdq-sts-patient", "pdq-childhood-sts-recurrent-hp"])
def test_each_pdq_summary_speaks_for_its_own_population(kg: Graph, source: str) -> None:
    """003 is the PDQ Adult Treatment Editorial Board's summary; 002 is about children (two claims about adults)."""
    iri = URIRef(f"https://w3id.org/sarcoma-kg/kb/source/{source}")
    groups = {
        g
        for s in kg.subjects(DCTERMS.source, iri)
        if (s, RDF.type, SARC.TherapyStatement) in kg
        for g in kg.objects(s, SARC.ageGroup)
    }
    expected = (
        {SARC.Adults} if source == "pdq-sts-patient" else {SARC.Children, SARC.ChildrenAndYoungAdults, SARC.Adults}
    )
    assert groups == expected


CONDITION_SLOTS = (
    SARC.forStage,
    SARC.forStagingSystem,
    SARC.forDiseaseStatus,
    SARC.requiresNodalSpread,
    SARC.requiresDistantMetastasis,
    SARC.requiresResectable,
    SARC.requiresPriorRadiation,
    SARC.requiresQuestionableMargins,
    SARC.requiresSite,
)


def test_statements_carry_the_meaning_of_their_settings(kg: Graph) -> None:
    """A setting is linked to what it means; a statement in it carries the same conditions (values among its
    settings' values), so the applicability query never needs the setting and the two cannot drift apart."""
    problems = []
    for statement in sorted(set(kg.subjects(SARC.inSetting, None))):
        if (statement, RDF.type, SARC.TherapyStatement) not in kg:
            continue
        settings = _values(kg, statement, SARC.inSetting)
        for slot in CONDITION_SLOTS:
            meant = {v for setting in settings for v in kg.objects(setting, slot)}
            have = _values(kg, statement, slot)
            if meant and not (have and have <= meant):
                problems.append(f"{statement} {slot}: settings mean {sorted(meant)}, statement has {sorted(have)}")
    assert problems == []


def test_every_statement_locates_its_claim_in_each_source(kg: Graph) -> None:
    problems = []
    for statement in sorted(set(kg.subjects(RDF.type, None)) & set(kg.subjects(DCTERMS.source, None))):
        if not any(
            (statement, RDF.type, c) in kg for c in kg.transitive_subjects(RDFS.subClassOf, SARC.SourcedStatement)
        ):
            continue
        locators = [str(v) for v in kg.objects(statement, SARC.sourceLocator)]
        sources = set(kg.objects(statement, DCTERMS.source))
        if not locators or len(locators) > len(sources) or any(not 3 <= len(x) <= 120 for x in locators):
            problems.append(f"{statement}: {len(locators)} locator(s) for {len(sources)} source(s)")
    assert problems == []


@pytest.mark.skipif(not SOURCES_DIR.is_dir(), reason=f"source texts not at {SOURCES_DIR} (set SARCOMA_KG_SOURCES)")
def test_every_locator_is_found_in_a_cited_source_and_every_cited_source_has_one(kg: Graph) -> None:
    texts = {s: (SOURCES_DIR / str(f)).read_text(encoding="utf-8") for s, f in kg.subject_objects(SARC.sourceFile)}
    problems = []
    for statement, _locator in sorted(set(kg.subject_objects(SARC.sourceLocator))):
        locators = [str(v) for v in kg.objects(statement, SARC.sourceLocator)]
        for source in kg.objects(statement, DCTERMS.source):
            if not any(x in texts[source] for x in locators):
                problems.append(f"{statement}: no locator {locators} is in {source}")
        for x in locators:
            if not any(x in texts[s] for s in kg.objects(statement, DCTERMS.source)):
                problems.append(f"{statement}: {x!r} is in none of its sources")
    assert sorted(set(problems)) == []
