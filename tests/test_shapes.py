"""The shapes themselves: DASH-style fixtures per shape, SHACL-for-SHACL, messages and severities.

Each ``tests/data/shapes/<Shape>/`` holds ``valid-*.ttl`` (must conform) and ``invalid-*.ttl`` fixtures, and an
``expected.json`` giving, per fixture, every result the whole shapes graph must report (one-to-one): severity,
focus node, path, value, constraint component and, where the shape is named, the source shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from sarcoma_kg.namespaces import SH
from sarcoma_kg.validate import SHAPES_NAMESPACE, Engine, ValidationResult, compact, load_shapes, validate

SHAPES_FIXTURES = Path(__file__).parent / "data" / "shapes"


def _fixtures() -> list[tuple[str, Path]]:
    return [(d.name, f) for d in sorted(SHAPES_FIXTURES.iterdir()) for f in sorted(d.glob("*.ttl"))]


def _expected(fixture: Path) -> list[dict]:
    return json.loads((fixture.parent / "expected.json").read_text())[fixture.stem]


def _as_dict(result: ValidationResult) -> dict:
    out = {
        "severity": result.severity.value,
        "focus": compact(result.focus_node),
        "path": result.path_text or None,
        "component": compact(result.component),
        "shape": compact(result.source_shape),
    }
    if result.value is not None:
        out["value"] = compact(result.value)
    return out


def _matches(expected: dict, actual: dict) -> bool:
    return all(actual.get(key) == value for key, value in expected.items())


@pytest.mark.parametrize(("shape", "fixture"), _fixtures(), ids=lambda v: v if isinstance(v, str) else v.stem)
def test_fixture_gives_exactly_the_expected_results(shape: str, fixture: Path) -> None:
    expected = _expected(fixture)
    actual = [_as_dict(r) for r in validate([fixture]).results]
    if fixture.stem.startswith("valid"):
        assert actual == [], f"{fixture} should conform"
        return
    assert expected, f"{fixture} is an invalid fixture without expected results"
    unmatched = [e for e in expected if not any(_matches(e, a) for a in actual)]
    unexpected = [a for a in actual if not any(_matches(e, a) for e in expected)]
    assert (unmatched, unexpected) == ([], []) and len(actual) == len(expected)


def test_every_invalid_fixture_hits_its_own_shape_or_a_property_shape_of_it() -> None:
    shapes = load_shapes()
    for shape, fixture in _fixtures():
        if fixture.stem.startswith("valid"):
            continue
        node = URIRef(SHAPES_NAMESPACE + shape)
        own = {node, *shapes.objects(node, SH.property)}
        hits = {r.source_shape for r in validate([fixture]).results}
        assert hits & own, f"{fixture} does not exercise sarcsh:{shape}"


def test_every_shape_with_targets_has_a_valid_and_an_invalid_fixture() -> None:
    shapes = load_shapes()
    targeted = {
        s
        for t in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
        for s in shapes.subjects(t, None)
    }
    for shape in targeted:
        folder = SHAPES_FIXTURES / str(shape).removeprefix(SHAPES_NAMESPACE)
        assert sorted(folder.glob("valid*.ttl")), f"no conforming fixture for {shape}"
        assert sorted(folder.glob("invalid-*.ttl")), f"no non-conforming fixture for {shape}"


def test_fast_engine_and_pyshacl_agree_on_every_fixture() -> None:
    """The set-based SPARQL engine is an optimisation: pySHACL over the same data must find the same results.

    Messages with {?var} templates are compared without them (pySHACL writes full IRIs, we write sarc:Lung),
    and range checks on ill-typed literals are left out: SHACL says an incomparable value fails
    sh:maxInclusive, which we report and pySHACL 0.40 does not.
    """

    def key(result: ValidationResult) -> tuple:
        return (
            result.severity,
            result.focus_node,
            result.path_text,
            result.value,
            result.source_shape,
            result.component,
        )

    def ill_typed_range(result: ValidationResult) -> bool:
        return result.component in {
            SH.MinInclusiveConstraintComponent,
            SH.MaxInclusiveConstraintComponent,
            SH.MinExclusiveConstraintComponent,
            SH.MaxExclusiveConstraintComponent,
        } and any(
            r.component == SH.DatatypeConstraintComponent
            and r.focus_node == result.focus_node
            and r.value == result.value
            for r in fast.results
        )

    for _, fixture in _fixtures():
        fast = validate([fixture], engine=Engine.FAST)
        slow = validate([fixture], engine=Engine.PYSHACL)
        assert {key(r) for r in fast.results if not ill_typed_range(r)} == {
            key(r) for r in slow.results if not ill_typed_range(r)
        }, fixture


def test_the_shapes_conform_to_shacl_for_shacl() -> None:
    shacl_shacl = Graph().parse(Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl")
    conforms, _graph, text = pyshacl.validate(load_shapes(), shacl_graph=shacl_shacl)
    assert conforms, text


def test_every_constraint_has_a_message_and_a_deliberate_severity() -> None:
    shapes = load_shapes()
    property_shapes = set(shapes.objects(None, SH.property))
    for prop in property_shapes:
        assert shapes.value(prop, SH.message) is not None, f"{prop} has no sh:message"
        assert shapes.value(prop, SH.severity) in {SH.Violation, SH.Warning, SH.Info}, f"{prop} has no sh:severity"
    for shape in shapes.subjects(SH.sparql, None):
        assert shapes.value(shape, SH.severity) is not None, f"{shape} has no sh:severity for its SPARQL constraints"
    for constraint in shapes.objects(None, SH.sparql):
        assert shapes.value(constraint, SH.message) is not None, f"{constraint} has no sh:message"
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        own = {SH["class"], SH.datatype, SH.nodeKind, SH["in"], SH.pattern} & set(shapes.predicates(shape))
        if own:
            assert shapes.value(shape, SH.message) is not None and shapes.value(shape, SH.severity) is not None


def test_every_result_carries_its_shape_message(test_data: Path) -> None:
    report = validate(sorted((test_data / "validate" / "bad").glob("*.ttl")))
    assert report.results
    assert all(r.message and "{?" not in r.message and "{$" not in r.message for r in report.results)
