"""``validate --shapes`` as a general SHACL engine: literals as the data wrote them, shapes it must refuse, and
refusals that are one-line errors naming the shape (exit 2), never a traceback or a silent "conforms"."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError
from sarcoma_kg.namespaces import SH
from sarcoma_kg.validate import Engine, validate

VALIDATE_DATA = Path(__file__).parent / "data" / "validate"
LITERALS = VALIDATE_DATA / "literals"
EX = "http://example.org/literals#"


def _literal_results(engine: Engine) -> set[tuple]:
    report = validate(
        [LITERALS / "data.ttl"], shapes_files=[LITERALS / "shapes.ttl"], include_ontology=False, engine=engine
    )
    return {(str(r.focus_node), str(r.path), r.value, r.component) for r in report.results}


def test_literals_are_checked_and_reported_as_the_data_wrote_them() -> None:
    assert _literal_results(Engine.FAST) == {
        (f"{EX}m1", f"{EX}size", Literal("4.0", datatype=XSD.decimal), SH.MaxInclusiveConstraintComponent),
        (f"{EX}m2", f"{EX}small", Literal("300", datatype=XSD.byte), SH.DatatypeConstraintComponent),
        (f"{EX}m2", f"{EX}code", Literal("8", datatype=XSD.integer), SH.PatternConstraintComponent),
    }


def test_both_engines_agree_on_literals_oxigraph_would_rewrite() -> None:
    assert _literal_results(Engine.FAST) == _literal_results(Engine.PYSHACL)


def test_a_shapes_file_without_shapes_is_bad_input_not_conforms() -> None:
    result = CliRunner().invoke(
        main, ["validate", str(VALIDATE_DATA / "warning-only.ttl"), "--shapes", str(VALIDATE_DATA / "no-shapes.ttl")]
    )
    assert result.exit_code == 2, result.output
    assert "no SHACL shapes" in result.output and "no-shapes.ttl" in result.output
    assert "conforms" not in result.output and "Traceback" not in result.output


def test_a_count_that_is_not_an_integer_is_one_line_naming_the_shape() -> None:
    shapes = VALIDATE_DATA / "bad-min-count-shapes.ttl"
    result = CliRunner().invoke(main, ["validate", str(VALIDATE_DATA / "warning-only.ttl"), "--shapes", str(shapes)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "bad-count#CaseShape" in lines[0] and "ageYears" in lines[0] and "sh:minCount must be" in lines[0]


@pytest.mark.parametrize("clause", ["SERVICE <{url}> {{ ?a ?b ?c }}", "VALUES ?x {{ 1 }}", "MINUS {{ $this ?p 1 }}"])
def test_sparql_that_shacl_forbids_is_refused_naming_the_shape_without_a_network_call(
    tmp_path: Path, clause: str
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        shapes = tmp_path / "shapes.ttl"
        shapes.write_text(
            "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/refused#> .\n"
            "ex:RefusedShape a sh:NodeShape ; sh:targetNode ex:n ;\n"
            f'  sh:sparql [ sh:select """SELECT $this WHERE {{ $this ?p ?o . {clause.format(url=url)} }}""" ] .\n'
        )
        data = tmp_path / "data.ttl"
        data.write_text("<http://example.org/refused#n> <http://example.org/refused#p> 1 .\n")
        with pytest.raises(InputError, match=r"refused#RefusedShape.*SHACL does not allow"):
            validate([data], shapes_files=[shapes], include_ontology=False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody called


def test_a_sparql_component_with_parameters_outside_sh_is_evaluated_not_ignored(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/component#> .\n"
        "ex:ForbiddenValueComponent a sh:ConstraintComponent ;\n"
        "  sh:parameter [ sh:path ex:forbidden ] ;\n"
        '  sh:propertyValidator [ a sh:SPARQLSelectValidator ; sh:select """\n'
        '    SELECT $this ?value WHERE { $this $PATH ?value . FILTER (?value = $forbidden) }""" ] .\n'
        "ex:Shape a sh:NodeShape ; sh:targetClass ex:Thing ;\n"
        "  sh:property [ sh:path ex:colour ; ex:forbidden ex:Red ] .\n"
    )
    data = tmp_path / "data.ttl"
    data.write_text(
        "@prefix ex: <http://example.org/component#> .\n"
        "ex:a a ex:Thing ; ex:colour ex:Red .\nex:b a ex:Thing ; ex:colour ex:Blue .\n"
    )
    report = validate([data], shapes_files=[shapes], include_ontology=False)
    assert [(r.focus_node, r.value) for r in report.results] == [
        (URIRef("http://example.org/component#a"), URIRef("http://example.org/component#Red"))
    ]


def test_every_shipped_shape_is_compiled_so_cohorts_never_reach_the_slow_fallback() -> None:
    from sarcoma_kg.validate import _compile_shape, _custom_parameters, _root_shapes, load_shapes

    shapes = load_shapes()
    for shape in _root_shapes(shapes):
        assert _compile_shape(shapes, shape, _custom_parameters(shapes)), shape
