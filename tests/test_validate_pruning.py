"""Focus pruning: user data beside the knowledge base is validated by the shapes that can target it only.

A validation of user files (a batch of imported cases, ``validate FILE``) keeps the results of the nodes the
files describe. The compiled engine therefore restricts each shape's target to those nodes and skips a shape
left without one (a knowledge-base-only shape: sourced statements, staging rules), decided by the shape's own
targets on the data at hand. These tests hold it to the long way round, on data that breaks every shape.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sarcoma_kg.validate import Engine, ValidationResult, _load_store, _validate, load_shapes

SHAPES_FIXTURES = Path(__file__).parent / "data" / "shapes"


def _invalid_fixtures() -> list[Path]:
    return sorted(SHAPES_FIXTURES.glob("*/invalid-*.ttl"))


def _both_ways(files: list[Path]) -> tuple[tuple[ValidationResult, ...], tuple[ValidationResult, ...]]:
    shapes = load_shapes()
    loaded = _load_store(files, True)
    pruned = _validate(loaded.store, shapes, Engine.FAST, True, loaded)
    full = _validate(loaded.store, shapes, Engine.FAST, True, loaded, focus_pruning=False)
    return pruned.results, full.results


@pytest.mark.parametrize("fixture", _invalid_fixtures(), ids=lambda f: f"{f.parent.name}/{f.stem}")
def test_pruning_keeps_every_result_of_each_invalid_fixture(fixture: Path) -> None:
    pruned, full = _both_ways([fixture])
    assert full, "the fixture breaks a shape"
    assert pruned == full


def test_pruning_keeps_every_result_of_data_breaking_every_shape_at_once() -> None:
    pruned, full = _both_ways(_invalid_fixtures())
    shapes_hit = {r.source_shape for r in full}
    assert len(shapes_hit) >= len(list(SHAPES_FIXTURES.iterdir()))  # every shape (or a property shape of it)
    assert pruned == full
