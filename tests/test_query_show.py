"""`query NAME --show`: the SPARQL the CLI sends, parameters bound, to paste into YASGUI, Jena or another tool."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.plugins.sparql.parser import parseQuery

from sarcoma_kg.cli import main
from sarcoma_kg.endpoint import sent_text
from sarcoma_kg.queries import bind_params, get_query, run_local


def _show(*args: str):
    return CliRunner().invoke(main, ["query", *args, "--show"])


def test_show_prints_the_query_with_its_parameter_bound() -> None:
    result = _show("therapies-for-disease", "-p", "disease=sarc:SynovialSarcoma")
    assert result.exit_code == 0, result.output
    assert "VALUES ?disease { <https://w3id.org/sarcoma-kg/SynovialSarcoma> }" in result.output
    assert "SoftTissueSarcoma" not in result.output.split("SELECT", 1)[1]  # the default is not what is bound


def test_show_is_exactly_the_text_sent_to_an_endpoint() -> None:
    stored = get_query("stage-iv-sts-treatments")
    result = _show("stage-iv-sts-treatments")
    assert result.output == sent_text(stored.text, bind_params(stored))


@pytest.mark.server
def test_the_shown_text_gives_the_rows_elsewhere(kg: Graph, kg_server: str) -> None:
    """Pasted into another SPARQL client as it is (here: a plain HTTP POST to Oxigraph), it gives our rows."""
    text = _show("survival-statistics", "-p", "disease=sarc:AlveolarSoftPartSarcoma").output
    request = urllib.request.Request(
        f"{kg_server}/query",
        data=urllib.parse.urlencode({"query": text}).encode(),
        headers={"Accept": "application/sparql-results+json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    stored = get_query("survival-statistics")
    local = run_local(kg, stored.text, bind_params(stored, {"disease": "sarc:AlveolarSoftPartSarcoma"}))
    assert len(rows) == len(local.rows) > 0


def test_a_hostile_parameter_stays_one_literal_in_the_shown_text(test_data) -> None:
    hostile = "\"} ; DROP ALL ; <' \\ }} # '''"
    result = _show(str(test_data / "queries" / "echo-text.rq"), "-p", f"text={hostile}")
    assert result.exit_code == 0, result.output
    assert parseQuery(result.output)  # still one read-only query
    assert "DROP ALL" not in result.output.replace("DROP ALL ; <", "", 1)


def test_show_with_a_bad_parameter_is_exit_2() -> None:
    result = _show("therapies-for-disease", "-p", "disease=not an iri")
    assert result.exit_code == 2
    assert "not an IRI" in result.output


def test_show_runs_nothing(tmp_path) -> None:
    """No build, no graph: an empty build directory is not even looked at."""
    result = _show("case-stages", "--build-dir", str(tmp_path))
    assert result.exit_code == 0
    assert result.output.lstrip().startswith("PREFIX") and not list(tmp_path.iterdir())
