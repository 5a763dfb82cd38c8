"""The ``queries`` and ``query`` commands: output formats, parameters, data files, endpoints and exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg.cli import main
from sarcoma_kg.queries import load_catalogue


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def test_queries_lists_name_summary_and_params() -> None:
    result = run("queries")
    assert result.exit_code == 0
    for query in load_catalogue():
        assert query.name in result.output
    assert "disease=sarc:AlveolarSoftPartSarcoma" in result.output


def test_queries_markdown_is_the_readme_catalogue() -> None:
    result = run("queries", "--markdown")
    assert result.exit_code == 0 and result.output.startswith("| query | answers | parameters | columns |")


def test_queries_run_answers_every_stored_query(build_dir: Path) -> None:
    result = run("queries", "--run", "--max-rows", "2", "--build-dir", str(build_dir))
    assert result.exit_code == 0
    for query in load_catalogue():
        assert f"== {query.name}:" in result.output
    assert "(0 rows)" not in result.output


def test_query_table_shows_curies_and_labels(build_dir: Path) -> None:
    result = run("query", "immune-checkpoint-inhibitors", "--build-dir", str(build_dir))
    assert result.exit_code == 0
    assert "sarc:Pembrolizumab" in result.output and "PD-1" in result.output and "(4 rows)" in result.output


def test_query_csv_with_a_parameter(build_dir: Path) -> None:
    result = run(
        "query",
        "therapies-for-disease",
        "--param",
        "disease=sarc:SynovialSarcoma",
        "--format",
        "csv",
        "--build-dir",
        str(build_dir),
    )
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["therapy"] for r in rows} == {"https://w3id.org/sarcoma-kg/PulmonaryMetastasectomy"}
    assert rows[0]["evidence"] == "3iiiA"


def test_query_json_from_a_file(build_dir: Path, test_data: Path) -> None:
    result = run(
        "query", str(test_data / "queries" / "no-header.rq"), "--format", "json", "--build-dir", str(build_dir)
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [b["label"]["value"] for b in data["results"]["bindings"]] == ["nivolumab", "pembrolizumab"]


def test_query_text_and_stdin(build_dir: Path) -> None:
    text = "SELECT ?label WHERE { sarc:TFE3 rdfs:label ?label }"
    by_option = run("query", "--query-text", text, "--format", "tsv", "--build-dir", str(build_dir))
    by_stdin = run("query", "-", "--format", "tsv", "--build-dir", str(build_dir), stdin=text)
    assert by_option.exit_code == by_stdin.exit_code == 0
    assert by_option.output == by_stdin.output == '?label\n"TFE3"@en\n'


def test_data_files_are_added_to_the_built_graph(build_dir: Path, test_data: Path) -> None:
    result = run(
        "query",
        "case-report-summary",
        "--param",
        "case=case:T1",
        "--data",
        str(test_data / "queries" / "extra-case.ttl"),
        "--format",
        "csv",
        "--build-dir",
        str(build_dir),
    )
    assert result.exit_code == 0
    assert "age (years),12,12" in result.output and "tumour of test case T1" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["query", "therapies-for-disease", "--param", "disease=} ; DROP ALL ; <"],
        ["query", "therapies-for-disease", "--param", "nosuch=1"],
        ["query", "therapies-for-disease", "--param", "disease"],
        ["query", "no-such-query"],
        ["query", "--query-text", "DROP ALL"],
        ["query", "--query-text", "INSERT DATA { <http://a> <http://b> <http://c> }"],
        ["query", "--query-text", "SELECT ?x WHERE {"],
        ["query", "--query-text", "CONSTRUCT WHERE { ?s ?p ?o }"],
        ["query", "missing-file.rq"],
        ["query", "--endpoint", "ftp://127.0.0.1/x", "asps-symptoms"],
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], build_dir: Path) -> None:
    result = CliRunner().invoke(main, [*args, "--build-dir", str(build_dir)])
    assert result.exit_code == 2, result.output
    if "error:" in result.output:
        assert result.output.count("\n") == 1 and result.output.startswith("sarcoma-kg: error: ")


def test_string_parameter_is_echoed_not_executed(build_dir: Path, test_data: Path) -> None:
    hostile = '"} ; DROP ALL ; <'
    result = run(
        "query",
        str(test_data / "queries" / "echo-text.rq"),
        "--param",
        f"text={hostile}",
        "--format",
        "json",
        "--build-dir",
        str(build_dir),
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["results"]["bindings"][0]["text"]["value"] == hostile


@pytest.mark.server
def test_endpoint_gives_the_same_csv(build_dir: Path, kg_server: str) -> None:
    args = ["query", "tyrosine-kinase-inhibitors", "--format", "csv"]
    local = run(*args, "--build-dir", str(build_dir))
    remote = run(*args, "--endpoint", f"{kg_server}/query")
    assert local.exit_code == remote.exit_code == 0 and local.output == remote.output


@pytest.mark.server
def test_endpoint_with_data_files_is_a_usage_error(kg_server: str, test_data: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "query",
            "asps-symptoms",
            "--endpoint",
            f"{kg_server}/query",
            "--data",
            str(test_data / "queries" / "extra-case.ttl"),
        ],
    )
    assert result.exit_code == 2


def test_unreachable_endpoint_exits_3() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(main, ["query", "asps-symptoms", "--endpoint", f"http://127.0.0.1:{port}/query"])
    assert result.exit_code == 3
    assert result.output.startswith("sarcoma-kg: error: http://127.0.0.1:") and result.output.count("\n") == 1


def test_installed_script_answers_a_query(build_dir: Path, cli_env: dict[str, str], tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "sarcoma-kg"
    done = subprocess.run(
        [
            str(script),
            "query",
            "diseases-for-gene",
            "--param",
            "symbol=WRN",
            "--format",
            "tsv",
            "--build-dir",
            str(build_dir),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "<https://w3id.org/sarcoma-kg/WernerSyndrome>" in done.stdout
