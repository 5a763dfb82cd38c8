"""The W3C SHACL test suite (``tests/data/shacl-w3c/``, copied unchanged with its NOTICE), run through the public
``validate()``: one test per manifest entry.

A test passes when ``sh:conforms`` and the multiset of (focusNode, resultPath, value, sourceShape,
sourceConstraintComponent, resultSeverity) equal the expected report's. As in pySHACL's own runner of this suite,
a blank node matches any blank node (the report's blank nodes cannot be those of the test file), except a blank-node
path, which is compared by its structure; literals are compared exactly (lexical form, datatype, language), so a
canonicalised ``4`` for the data's ``4.0`` fails. An ``sht:Failure`` entry passes when the shapes are refused with
an ``InputError``.

``python tests/test_validate_w3c.py`` prints the pass counts per folder for ours and for pySHACL alone (same
comparison, pySHACL on an rdflib graph of each file), measured in the same run.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.namespace import RDF, XSD
from rdflib.term import Identifier

from sarcoma_kg.errors import InputError
from sarcoma_kg.namespaces import SH
from sarcoma_kg.validate import validate

SUITE = Path(__file__).resolve().parent / "data" / "shacl-w3c"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")


@dataclass(frozen=True)
class Entry:
    """One ``sht:Validate`` entry: its files, and its expected report (None for ``sht:Failure``)."""

    name: str  # e.g. core/node/datatype-001
    data: Path
    shapes: Path
    manifest: Graph
    expected: Identifier | None


def _file(term: Identifier) -> Path:
    return Path(str(term).removeprefix("file://").split("#")[0])


def entries(manifest: Path = SUITE / "manifest.ttl") -> list[Entry]:
    """Every entry reachable from ``manifest`` through ``mf:include``, in manifest order.

    The expected reports keep their literals as written (rdflib would turn ``"2011-01-01"^^xsd:dateTime`` into
    ``"2011-01-01T00:00:00"``), since the engine must report the data's literals as written."""
    previous, rdflib.NORMALIZE_LITERALS = rdflib.NORMALIZE_LITERALS, False
    try:
        graph = Graph().parse(manifest, format="turtle")
    finally:
        rdflib.NORMALIZE_LITERALS = previous
    found: list[Entry] = []
    for root in graph.subjects(RDF.type, MF.Manifest):
        for include in graph.objects(root, MF.include):
            found.extend(entries(_file(include)))
        for entries_list in graph.objects(root, MF.entries):
            for entry in graph.items(entries_list):
                if (entry, RDF.type, SHT.Validate) not in graph:
                    continue
                action = graph.value(entry, MF.action)
                result = graph.value(entry, MF.result)
                name = str(Path(str(entry).removeprefix("file://")).relative_to(SUITE))
                expected = None if result == SHT.Failure else result
                data = _file(graph.value(action, SHT.dataGraph))
                shapes = _file(graph.value(action, SHT.shapesGraph))
                found.append(Entry(name, data, shapes, graph, expected))
    return sorted(found, key=lambda e: e.name)


def _node_key(graph: Graph, term: Identifier | None) -> tuple:
    """A comparable form of a focus node, value or shape: any blank node matches any other."""
    if term is None:
        return ("none",)
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, Literal):  # RDF 1.1: a simple literal is an xsd:string
        datatype = term.datatype or (None if term.language else XSD.string)
        return ("literal", str(term), str(datatype or ""), term.language or "")
    return ("iri", str(term))


def _path_key(graph: Graph, path: Identifier | None, depth: int = 0) -> tuple:
    """A SHACL path by its structure: an IRI, or a blank node's (predicate, object) pairs, recursively."""
    if path is None:
        return ("none",)
    if not isinstance(path, BNode) or depth > 20:
        return _node_key(graph, path)
    return ("path", tuple(sorted((str(p), _path_key(graph, o, depth + 1)) for p, o in graph.predicate_objects(path))))


def report_key(graph: Graph, report: Identifier) -> tuple[bool, Counter]:
    """``sh:conforms`` and the multiset of result keys of one ``sh:ValidationReport`` node."""
    conforms = graph.value(report, SH.conforms)
    results: Counter = Counter()
    for result in graph.objects(report, SH.result):
        results[
            (
                _node_key(graph, graph.value(result, SH.focusNode)),
                _path_key(graph, graph.value(result, SH.resultPath)),
                _node_key(graph, graph.value(result, SH.value)),
                _node_key(graph, graph.value(result, SH.sourceShape)),
                _node_key(graph, graph.value(result, SH.sourceConstraintComponent)),
                _node_key(graph, graph.value(result, SH.resultSeverity)),
            )
        ] += 1
    return bool(conforms is not None and conforms.toPython() is True), results


def _the_report(graph: Graph) -> Identifier:
    reports = list(graph.subjects(RDF.type, SH.ValidationReport))
    assert len(reports) == 1, f"{len(reports)} sh:ValidationReport nodes in the report graph"
    return reports[0]


def ours(entry: Entry) -> tuple[bool, Counter] | None:
    """Our report's key, or None when the shapes were refused."""
    try:
        report = validate([entry.data], shapes_files=[entry.shapes], include_ontology=False)
    except InputError:
        return None
    return report_key(report.graph, _the_report(report.graph))


def pyshacl_alone(entry: Entry) -> tuple[bool, Counter] | None:
    """pySHACL's report's key (rdflib graphs of the same files), or None when it refused the shapes."""
    import pyshacl

    data = Graph().parse(entry.data, format="turtle")
    shapes = data if entry.shapes == entry.data else Graph().parse(entry.shapes, format="turtle")
    try:
        _, graph, _ = pyshacl.validate(data, shacl_graph=shapes, advanced=True, allow_warnings=True)
    except Exception:  # pySHACL's way of refusing shapes (ReportableRuntimeError, NotImplementedError, ...)
        return None
    if not isinstance(graph, Graph):  # a ValidationFailure: refused too
        return None
    return report_key(graph, _the_report(graph))


def expected(entry: Entry) -> tuple[bool, Counter] | None:
    return None if entry.expected is None else report_key(entry.manifest, entry.expected)


ENTRIES = entries()


def test_the_whole_suite_is_found() -> None:
    folders = Counter(entry.name.split("/")[0] for entry in ENTRIES)
    assert folders == {"core": 98, "sparql": 22}


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry.name for entry in ENTRIES])
def test_w3c_entry(entry: Entry) -> None:
    want = expected(entry)
    got = ours(entry)
    if want is None:
        assert got is None, "the shapes must be refused with an InputError"
        return
    assert got is not None, "the shapes were refused"
    assert got[0] == want[0], "sh:conforms differs"
    missing, extra = want[1] - got[1], got[1] - want[1]
    assert not missing and not extra, f"missing {sorted(missing.elements())}; unexpected {sorted(extra.elements())}"


def main() -> int:
    """Pass counts per folder, ours and pySHACL alone, in one run."""
    counts: dict[str, Counter] = {}
    for entry in ENTRIES:
        folder = entry.name.split("/")[0]
        tally = counts.setdefault(folder, Counter())
        want = expected(entry)
        tally["tests"] += 1
        for engine, run in (("ours", ours), ("pyshacl", pyshacl_alone)):
            got = run(entry)
            passed = got == want if want is not None else got is None
            tally[engine] += passed
            if not passed:
                print(f"  {engine} fails {entry.name}", file=sys.stderr)
    for folder, tally in sorted(counts.items()):
        print(f"{folder}: ours {tally['ours']}/{tally['tests']}, pySHACL {tally['pyshacl']}/{tally['tests']}")
    total = sum(counts.values(), Counter())
    print(f"all: ours {total['ours']}/{total['tests']}, pySHACL {total['pyshacl']}/{total['tests']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
