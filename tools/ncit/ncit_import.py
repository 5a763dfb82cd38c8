"""Generate ontology/imports/ncit-import.ttl from the NCIt sarcoma extract (deterministic, ODK-style import module).

    python tools/ncit/ncit_import.py [--check]      (writes the module; --check exits 1 if the committed one differs)

Why a script: the 672 classes of ``ncit-sarcoma.json`` (beside this script) (NCIt 2018-06-08, CC BY 4.0) are filtered
and re-parented by one written rule, so a curator changes the rule here, not 400 classes by hand.

Selection rule (also in docs/model.md, "NCIt import"):
1. Soft tissue: every descendant of NCIt Soft Tissue Sarcoma (C9306), plus the soft-tissue histologies NCIt files
   only under Sarcoma (C9118): liposarcoma, leiomyosarcoma, angiosarcoma, MPNST, fibrosarcoma, spindle cell
   sarcoma, and their descendants.
2. Bone: NCIt Bone Sarcoma (C9312) and its descendants, plus osteosarcoma, chondrosarcoma and Ewing sarcoma as
   such (these name the bone tumours); their extraskeletal descendants stay soft tissue sarcomas. A class on both
   sides keeps only the side rule 1 or 2 gives it most specifically: bone when it is under C9312, else soft tissue.
3. Left out: classes whose meaning is a condition the project keeps as data (the groupings by grade or AJCC
   stage and their grade and stage classes, recurrent, refractory, (un)resectable, metastatic, locally advanced,
   adult, childhood, radiation-related): a researcher writes the histology, and the condition goes in its own
   column. Their histology descendants are kept, under the nearest kept ancestors.
4. Mapped, not duplicated: NCIt classes that are one of ours (a verified NCIT xref on our class) are not emitted;
   their children are placed under our class.
Parents are NCIt's, with left-out classes skipped over (the nearest kept ancestors) and parents implied by
another parent dropped. Labels and exact synonyms are NCIt's (duplicates of the label, case-insensitively, dropped);
no definition is copied.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SOURCE = HERE / "ncit-sarcoma.json"  # a copy of shared/reference/ncit-sarcoma.json (provenance in README.md here)
TARGET = REPO / "ontology" / "imports" / "ncit-import.ttl"
NCIT_VERSION = "2018-06-08"
MODULE_IRI = "https://w3id.org/sarcoma-kg/imports/ncit-import.owl"
MODULE_VERSION_IRI = f"https://w3id.org/sarcoma-kg/releases/{NCIT_VERSION}/imports/ncit-import.owl"
SARC = "https://w3id.org/sarcoma-kg/"
OBO = "http://purl.obolibrary.org/obo/"

SOFT_TISSUE_ROOT = "NCIT:C9306"
SOFT_TISSUE_UNDER_SARCOMA = ("NCIT:C3194", "NCIT:C3158", "NCIT:C3088", "NCIT:C3798", "NCIT:C3043", "NCIT:C27005")
BONE_ROOT = "NCIT:C9312"
BONE_BY_NAME = ("NCIT:C9145", "NCIT:C2946", "NCIT:C4817")
CONDITION_GROUPS = (
    "NCIT:C9416", "NCIT:C9023", "NCIT:C9387", "NCIT:C136707", "NCIT:C136693", "NCIT:C148302", "NCIT:C148301",
    "NCIT:C150605", "NCIT:C148331", "NCIT:C139002", "NCIT:C139001", "NCIT:C93125", "NCIT:C9417", "NCIT:C9418",
)  # fmt: skip
# A histology whose NCIt name carries a grade ("Low Grade Fibromyxoid Sarcoma") is kept; a grade class is not.
CONDITION_WORDS = re.compile(
    r"\b(Stage|AJCC|FNCLCC|NCI Grade|Grade I+|Recurrent|Refractory|Resectable|Unresectable|Metastatic|"
    r"Non-Metastatic|Locally Advanced|Advanced|Adult|Childhood|Radiation-Related)\b"
)
# NCIt classes that are ours (verified xrefs in ontology/sarcoma-kg.ttl): children go under our class.
MAPPED = {
    "NCIT:C9306": "SoftTissueSarcoma",
    "NCIT:C3750": "AlveolarSoftPartSarcoma",
    "NCIT:C9087": "KaposiSarcoma",
    "NCIT:C3400": "SynovialSarcoma",
    "NCIT:C8300": "DesmoplasticSmallRoundCellTumour",
    "NCIT:C4244": "InfantileFibrosarcoma",
    "NCIT:C3359": "Rhabdomyosarcoma",
    "NCIT:C9312": "BoneSarcoma",
}
DECLARED = ("oboInOwl:hasExactSynonym", "dcterms:source", "dcterms:title", "dcterms:description", "dcterms:license")


def _closure(kids: dict[str, list[str]], roots: tuple[str, ...] | list[str]) -> set[str]:
    seen, todo = set(roots), list(roots)
    while todo:
        for kid in kids[todo.pop()]:
            if kid not in seen:
                seen.add(kid)
                todo.append(kid)
    return seen


def select(classes: dict[str, dict]) -> tuple[dict[str, list[str]], set[str]]:
    """The kept classes with their new parents (CURIEs or ``sarc:`` names), and the set that are bone sarcomas."""
    kids: dict[str, list[str]] = defaultdict(list)
    for c in classes.values():
        for parent in c["parents"]:
            kids[parent].append(c["id"])
    bone = _closure(kids, [BONE_ROOT]) | set(BONE_BY_NAME)
    soft = (_closure(kids, [SOFT_TISSUE_ROOT, *SOFT_TISSUE_UNDER_SARCOMA]) | set(SOFT_TISSUE_UNDER_SARCOMA)) - (
        _closure(kids, [BONE_ROOT])
    )
    bone -= soft  # extraskeletal osteosarcoma, Ewing and chondrosarcoma are soft tissue sarcomas
    conditions = set(CONDITION_GROUPS)
    kept = {
        i for i in soft | bone
        if i in classes and not classes[i]["deprecated"]
        and i not in conditions and not CONDITION_WORDS.search(classes[i]["label"])
    }  # fmt: skip
    kept |= {i for i in MAPPED if i in classes}

    def side(i: str) -> set[str]:
        return bone if i in bone else soft

    def nearest_kept(i: str) -> set[str]:
        found: set[str] = set()
        todo = [p for p in classes[i]["parents"] if p in side(i)]
        seen: set[str] = set()
        while todo:
            p = todo.pop()
            if p in seen or p not in classes:
                continue
            seen.add(p)
            if p in kept:
                found.add(p)
            else:
                todo.extend(q for q in classes[p]["parents"] if q in side(i))
        return found

    def ancestors(i: str) -> set[str]:
        return _closure_up(classes, i, kept, nearest_kept)

    parents: dict[str, list[str]] = {}
    for i in sorted(kept - set(MAPPED), key=_number):
        direct = nearest_kept(i)
        if not direct:
            direct = {BONE_ROOT if i in bone else SOFT_TISSUE_ROOT}
        implied = set().union(*(ancestors(p) for p in direct)) if direct else set()
        parents[i] = sorted(direct - implied, key=_number)
    return parents, bone & set(parents)


def _closure_up(classes: dict[str, dict], i: str, kept: set[str], nearest_kept) -> set[str]:
    seen: set[str] = set()
    todo = list(nearest_kept(i)) if i not in MAPPED else []
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            if p not in MAPPED:
                todo.extend(nearest_kept(p))
    return seen


def _number(curie: str) -> int:
    return int(curie.split(":C", 1)[1])


def _iri(curie: str) -> str:
    if curie in MAPPED:
        return f"sarc:{MAPPED[curie]}"
    return f"obo:NCIT_{curie.split(':', 1)[1]}"


def _literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False) + "@en"


def render(data: dict) -> str:
    """The module's Turtle text: hand-formatted (sorted by NCIt number) so regenerating gives the same bytes."""
    classes = {c["id"]: c for c in data["classes"]}
    parents, bone = select(classes)
    lines = [
        "# Generated by tools/ncit/ncit_import.py from tools/ncit/ncit-sarcoma.json: do not edit by hand.",
        f"# NCI Thesaurus {NCIT_VERSION} (National Cancer Institute, CC BY 4.0): labels and exact synonyms only.",
        "",
        f"@prefix sarc:     <{SARC}> .",
        f"@prefix obo:      <{OBO}> .",
        "@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .",
        "@prefix dcterms:  <http://purl.org/dc/terms/> .",
        "@prefix owl:      <http://www.w3.org/2002/07/owl#> .",
        "@prefix rdfs:     <http://www.w3.org/2000/01/rdf-schema#> .",
        "",
        f"<{MODULE_IRI}> a owl:Ontology ;",
        f"    owl:versionIRI <{MODULE_VERSION_IRI}> ;",
        f'    owl:versionInfo "{NCIT_VERSION}" ;',
        '    dcterms:title "sarcoma-kg NCIt import: soft tissue and bone sarcoma histologies"@en ;',
        "    dcterms:description "
        + _literal(
            f"{len(parents)} NCI Thesaurus classes ({len(parents) - len(bone)} soft tissue sarcoma histologies, "
            f"{len(bone)} bone sarcomas) with their NCIt labels and exact synonyms, placed under the sarcoma-kg "
            "disease classes; selected by the rule in tools/ncit/ncit_import.py and docs/model.md."
        )
        + " ;",
        f'    dcterms:source "NCI Thesaurus (NCIt) {NCIT_VERSION}, National Cancer Institute; '
        'via the Mondo ODK source ncit-disease-2018-06-08.json.gz"@en ;',
        "    dcterms:license <https://creativecommons.org/licenses/by/4.0/> .",
        "",
    ]
    for prop in DECLARED:
        lines.append(f"{prop} a owl:AnnotationProperty .")
    lines.append("")
    for name in sorted(set(MAPPED.values())):
        lines.append(f"sarc:{name} a owl:Class .")
    lines.append("")
    for i in parents:
        c = classes[i]
        label = c["label"]
        synonyms: dict[str, str] = {}
        for s in sorted(c["exact_synonyms"], key=lambda s: (s.casefold(), s)):  # one spelling per casefold form
            if s.casefold() != label.casefold():
                synonyms.setdefault(s.casefold(), s)
        lines.append(f"{_iri(i)} a owl:Class ;")
        lines.append("    rdfs:subClassOf " + " , ".join(_iri(p) for p in parents[i]) + " ;")
        lines.append(f"    rdfs:label {_literal(label)} ;")
        if synonyms:
            lines.append("    oboInOwl:hasExactSynonym " + " , ".join(_literal(s) for s in synonyms.values()) + " ;")
        lines.append("    rdfs:isDefinedBy obo:ncit.owl .")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--output", type=Path, default=TARGET)
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed module is not current")
    args = parser.parse_args(argv)
    try:
        data = json.loads(args.source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"ncit_import: cannot read {args.source}: {exc}", file=sys.stderr)
        return 2
    text = render(data)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.is_file() else ""
        if current != text:
            print(f"ncit_import: {args.output} is not current: run python tools/ncit/ncit_import.py", file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_suffix(".ttl.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
