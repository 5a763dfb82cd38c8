"""Every command, driven with the bad inputs a careful user (or an attacker) tries: a clean failure each time.

Clean means: exit 1 (does not conform / check failed), 2 (bad input or usage) or 3 (environment), exactly one
error line, no traceback, and nothing changed at the paths the command was given. ``BAD_INPUTS`` is the list;
its length is the count reported in the issue.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg.cli import main

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
ONTOLOGY = REPO / "ontology" / "sarcoma-kg.ttl"
SCRIPT = Path(sys.executable).parent / "sarcoma-kg"


@dataclass(frozen=True)
class Bad:
    """One bad input: the arguments (``{tmp}``, ``{build}``, ``{port}`` filled in) and the exit code it gets."""

    args: tuple[str, ...]
    code: int
    says: str = ""

    def __str__(self) -> str:
        return " ".join(self.args)[:80]


def bad(code: int, says: str, *args: str) -> Bad:
    return Bad(tuple(args), code, says)


B = "--build-dir={build}"
BAD_INPUTS = [
    # build / reason
    bad(2, "no such file", "build", "--out", "{tmp}/out", "--ontology", "{tmp}/missing.ttl"),
    bad(2, "invalid RDF", "build", "--out", "{tmp}/out", "--ontology", str(DATA / "build" / "garbled.ttl")),
    bad(2, "declares no class", "build", "--out", "{tmp}/out", "--ontology", "{tmp}/empty-ontology.ttl"),
    bad(2, "no such file", "build", "--out", "{tmp}/out", "--data", "{tmp}/nope.ttl"),
    bad(2, "unknown RDF file type", "build", "--out", "{tmp}/out", "--ontology", "{tmp}/sheet.csv"),
    bad(2, "is a file", "build", "--out", "{tmp}/sheet.csv"),
    bad(1, "unsatisfiable", "reason", "--ontology", str(DATA / "build" / "incoherent.ttl")),
    bad(1, "inconsistent", "reason", "--ontology", str(DATA / "build" / "inconsistent.ttl")),
    bad(2, "invalid RDF", "reason", "--ontology", str(DATA / "build" / "garbled.ttl")),
    # export
    bad(2, "output path is empty", "export", "-o", "", B),
    bad(2, "is a directory", "export", "-o", "{tmp}/a-dir", B),
    bad(2, "read-only", "export", "-o", "{tmp}/read-only.ttl", B),
    bad(2, "is also an input", "export", "-o", "{tmp}/my-ontology.ttl", "--ontology", "{tmp}/my-ontology.ttl", B),
    bad(2, "is also an input", "export", "-o", "{build}/sarcoma-kg.ttl", B),
    bad(2, "is a device", "export", "-o", "/dev/null", B),
    bad(2, "FIFO", "export", "-o", "{tmp}/fifo", B),
    bad(2, "Invalid value", "export", "--format", "csv", "-o", "{tmp}/x.ttl", B),
    bad(2, "goes with --format jsonld", "export", "--jsonld-context", "embed", "-o", "{tmp}/x.ttl", B),
    bad(2, "must be a directory", "export", "--format", "kgx", "-o", "{tmp}/sheet.csv", B),
    bad(2, "no such file", "export", "-o", "{tmp}/x.ttl", "--ontology", "{tmp}/missing.ttl", B),
    bad(2, "Missing option", "export", B),
    # stats, queries
    bad(2, "invalid RDF", "stats", "--ontology", str(DATA / "build" / "garbled.ttl"), B),
    bad(2, "Invalid value", "queries", "--run", "--max-rows", "-1", B),
    bad(2, "catalogue", "queries", "--write-readme", "{tmp}/no-markers.md"),
    # query
    bad(2, "no-such-query", "query", "no-such-query", B),
    bad(2, "NAME=VALUE", "query", "therapies-for-disease", "-p", "disease", B),
    bad(2, "given twice", "query", "therapies-for-disease", "-p", "disease=sarc:Sarcoma", "-p", "disease=x:y", B),
    bad(2, "nosuch", "query", "therapies-for-disease", "-p", "nosuch=1", B),
    bad(2, "is not in the graph", "query", "therapies-for-disease", "-p", "disease=sarc:NoSuchClass", B),
    bad(2, "is not an IRI", "query", "therapies-for-disease", "-p", "disease=not an iri", B),
    bad(2, "SPARQL update", "query", "--query-text", "DROP ALL", B),
    bad(2, "not a valid SPARQL query", "query", "--query-text", "SELECT WHERE {", B),
    bad(2, "CONSTRUCT queries are not answered", "query", "--query-text", "CONSTRUCT WHERE { ?s ?p ?o }", B),
    bad(2, "federated queries are refused", "query", "--query-text", "SELECT * { SERVICE <http://x/> {} }", B),
    bad(2, "federated queries are refused", "query", "--query-text", "SELECT * { SERVICE ?x {} }", B),
    bad(2, "not an http(s) URL", "query", "immune-checkpoint-inhibitors", "--endpoint", "ftp://x"),
    bad(3, "cannot reach", "query", "immune-checkpoint-inhibitors", "--endpoint", "http://127.0.0.1:{port}/q"),
    bad(
        2,
        "cannot go with --endpoint",
        "query",
        "immune-checkpoint-inhibitors",
        "--endpoint",
        "http://h/q",
        "--data",
        "{tmp}/c.ttl",
    ),
    bad(2, "no such file", "query", "immune-checkpoint-inhibitors", "--data", "{tmp}/missing.ttl", B),
    bad(2, "Invalid value", "query", "immune-checkpoint-inhibitors", "--timeout", "0", B),
    bad(2, "Invalid value", "query", "immune-checkpoint-inhibitors", "--store", "bogus", B),
    bad(2, "Invalid value", "query", "immune-checkpoint-inhibitors", "--format", "xml", B),
    # cases
    bad(2, "no such file", "cases", "import", "{tmp}/missing.csv", "-o", "{tmp}/x.ttl", B),
    bad(2, "is also an input", "cases", "import", "{tmp}/sheet.csv", "-o", "{tmp}/link-to-sheet.csv", B),
    bad(2, "is also an input", "cases", "import", "{tmp}/sheet.csv", "-o", "{tmp}/sheet.csv", B),
    bad(2, "output path is empty", "cases", "import", "{tmp}/sheet.csv", "-o", "", B),
    bad(2, "is a directory", "cases", "import", "{tmp}/sheet.csv", "-o", "{tmp}/a-dir", B),
    bad(2, "read-only", "cases", "import", "{tmp}/sheet.csv", "-o", "{tmp}/read-only.ttl", B),
    bad(2, "no such file", "cases", "stage", "{tmp}/missing.csv", B),
    bad(2, "must end in .csv or .ttl", "cases", "generate", "--n", "3", "-o", "{tmp}/cohort.txt", B),
    bad(2, "Invalid value", "cases", "generate", "--n", "-1", "-o", "{tmp}/cohort.csv", B),
    bad(2, "the result is empty", "cases", "generate", "--n", "0", "-o", "{tmp}/read-write.csv", B),
    bad(2, "output path is empty", "cases", "generate", "--n", "3", "-o", "", B),
    # validate, qc
    bad(2, "no such file", "validate", "{tmp}/missing.ttl"),
    bad(2, "invalid RDF", "validate", str(DATA / "validate" / "invalid-rdf.ttl")),
    bad(1, "does not conform", "validate", str(DATA / "validate" / "bad" / "iri-points-to-nothing.ttl")),
    bad(2, "no such file", "validate", "--ontology", "{tmp}/missing.ttl"),
    bad(2, "Invalid value", "validate", "--fail-on", "bogus"),
    bad(2, "invalid RDF", "qc", str(DATA / "build" / "garbled.ttl")),
    bad(1, "QC", "qc", str(DATA / "qc" / "duplicate_label.ttl")),
    # serve
    bad(2, "not an address or a known host name", "serve", "--host", "999.1.1.1", B),
    bad(2, "--port must be between", "serve", "--port", "70000", B),
    bad(2, "--timeout must be a positive", "serve", "--timeout", "0", B),
    bad(2, "--max-rows must be at least 1", "serve", "--max-rows", "0", B),
    bad(3, "YASGUI", "serve", "--assets", "{tmp}/a-dir", B),
    # load
    bad(2, "not an http(s) URL", "load", "--endpoint", "not-a-url", B),
    bad(3, "connection refused", "load", "--endpoint", "http://127.0.0.1:{port}/store", "--retries", "0", B),
    bad(2, "not an absolute IRI", "load", "--endpoint", "http://127.0.0.1:1/store", "--graph", "no iri", B),
    bad(2, "--retries must be 0 or more", "load", "--endpoint", "http://127.0.0.1:1/store", "--retries", "-1", B),
    bad(2, "does not exist", "load", "--endpoint", "http://127.0.0.1:1/store", "--file", "{tmp}/missing.nt"),
    bad(2, "cannot tell its RDF format", "load", "--endpoint", "http://127.0.0.1:1/store", "--file", "{tmp}/sheet.csv"),
    bad(2, "Invalid value", "load", "--endpoint", "http://127.0.0.1:1/store", "--timeout", "0", B),
    # release, diff
    bad(2, "not a valid date", "release", "--out", "{tmp}/releases", "--version", "2027-13-45", B),
    bad(2, "not a usable version", "release", "--out", "{tmp}/releases", "--version", "a b", B),
    bad(2, "not a usable version", "release", "--out", "{tmp}/releases", "--version", "../escape", B),
    bad(2, "does not exist", "release", "--out", "{tmp}/releases", "--previous", "{tmp}/missing.ttl", B),
    bad(2, "a release is immutable", "release", "--out", "{tmp}/releases", "--version", "2026-01-01", B),
    bad(2, "is a file", "release", "--out", "{tmp}/sheet.csv", "--version", "2026-02-02", B),
    bad(2, "does not exist", "diff", "{tmp}/missing.ttl", str(ONTOLOGY)),
    bad(2, "invalid RDF", "diff", str(DATA / "build" / "garbled.ttl"), str(ONTOLOGY)),
    bad(2, "output path is empty", "diff", str(ONTOLOGY), str(ONTOLOGY), "-o", ""),
    bad(2, "is also an input", "diff", "{tmp}/my-ontology.ttl", str(ONTOLOGY), "-o", "{tmp}/my-ontology.ttl"),
    # the command line itself
    bad(2, "No such command", "no-such-command"),
    bad(2, "No such option", "query", "--no-such-option"),
]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workspace(tmp: Path) -> None:
    """The files the bad inputs point at: each is there to be left exactly as it was."""
    (tmp / "a-dir").mkdir()
    (tmp / "sheet.csv").write_bytes((REPO / "examples" / "cases.csv").read_bytes())
    (tmp / "link-to-sheet.csv").symlink_to(tmp / "sheet.csv")
    (tmp / "read-only.ttl").write_text("previous\n")
    (tmp / "read-only.ttl").chmod(0o444)
    (tmp / "read-write.csv").write_text("previous\n")
    (tmp / "my-ontology.ttl").write_bytes(ONTOLOGY.read_bytes())
    (tmp / "empty-ontology.ttl").write_text(
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<https://example.org/o> a owl:Ontology .\n"
    )
    (tmp / "no-markers.md").write_text("# a README without the catalogue markers\n")
    os.mkfifo(tmp / "fifo")
    release = tmp / "releases" / "2026-01-01"
    release.mkdir(parents=True)
    (release / "sarcoma-kg-full.ttl").write_text("a different release\n")


def _snapshot(tmp: Path) -> dict[str, str]:
    state = {}
    for path in sorted(tmp.rglob("*")):
        if path.is_symlink():
            state[str(path.relative_to(tmp))] = "-> " + os.readlink(path)
        elif path.is_file():
            state[str(path.relative_to(tmp))] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            state[str(path.relative_to(tmp))] = "dir" if path.is_dir() else "special"
    return state


def _fill(args: tuple[str, ...], tmp: Path, build: Path, port: int) -> list[str]:
    fills = {"{tmp}": str(tmp), "{build}": str(build), "{port}": str(port)}
    out = []
    for arg in args:
        for key, value in fills.items():
            arg = arg.replace(key, value)
        out.append(arg)
    return out


@pytest.mark.parametrize("case", BAD_INPUTS, ids=str)
def test_a_bad_input_fails_cleanly_and_changes_nothing(case: Bad, tmp_path: Path, build_dir: Path) -> None:
    _workspace(tmp_path)
    before = _snapshot(tmp_path)
    build_before = _snapshot(build_dir)
    result = CliRunner().invoke(main, _fill(case.args, tmp_path, build_dir, _closed_port()))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == case.code, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith(("Error:", "sarcoma-kg: error:"))]
    if case.code == 2 or result.stderr.strip():
        assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    assert case.says in result.output
    assert _snapshot(tmp_path) == before
    assert _snapshot(build_dir) == build_before


@pytest.mark.parametrize(
    "args",
    [
        ["export", "-o", ""],
        ["serve", "--host", "999.1.1.1"],
        ["release", "--version", "2027-13-45", "--out", "releases"],
        ["query", "--query-text", "SELECT * { SERVICE <http://127.0.0.1:9/> {} }"],
    ],
    ids=" ".join,
)
def test_the_installed_script_prints_no_traceback(args: list[str], tmp_path: Path, build_dir: Path) -> None:
    result = subprocess.run(
        [str(SCRIPT), *args, "--build-dir", str(build_dir)], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_bad_input_is_tried_twice() -> None:
    # The closing note of issue 16 counts BAD_INPUTS; a duplicate would inflate the count.
    assert len(BAD_INPUTS) == len({tuple(case.args) for case in BAD_INPUTS})
