"""The README's shell examples run as printed: each command of its fenced blocks, in order, in a scratch directory.

What the test provides instead of the reader: the servers the examples talk to (``sarcoma-kg serve`` for
``/sparql``, an Oxigraph server holding the inferred release for ``/query`` and ``/store``, on free ports that
replace 7878), the files a reader would have (``my-question.rq``, ``my-cases.ttl``, ``typos.csv`` from the
README itself, ``old/sarcoma-kg-full.ttl``, ``cohort.ttl``) and a smaller cohort (``--n 10000`` becomes
``--n 50``). Commands the test cannot run are listed in ``NOT_RUN`` with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sarcoma_kg.build import INFERRED_FILE
from sarcoma_kg.serve import ServeConfig, running

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
BIN = Path(sys.executable).parent

#: Commands not run, by prefix, and why.
NOT_RUN = {
    "make ": "make targets are the build itself (make run, make test)",
    "export PATH=": "the test puts .venv/bin on PATH itself",
    "oxigraph ": "the test starts the Oxigraph server these lines start",
    "sarcoma-kg serve": "the test serves the build itself, on a free port",
    "sarcoma-kg load --endpoint http://localhost:3030": "needs a Fuseki server",
    "sarcoma-kg load --endpoint 'http://admin:secret@localhost:7200": "needs a GraphDB server",
}
#: Examples that show a failure on purpose, with the exit code they show.
FAILING = {
    "sarcoma-kg cases import typos.csv": 2,
    "sarcoma-kg validate tests/data/validate/bad/": 1,
    "sarcoma-kg qc tests/data/qc/": 1,
}
_SYNOPSIS = re.compile(r"\[(--|[A-Z]+ \.\.\.)")


@dataclass(frozen=True)
class Example:
    line: int
    command: str

    def __str__(self) -> str:
        return f"README:{self.line} {self.command[:60]}"


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    lines = text.splitlines()
    start = None
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            if start is None:
                start = number
            else:
                yield start + 1, lines[start : number - 1]
                start = None


def readme_examples() -> list[Example]:
    """Every shell command of the README's fenced blocks: ``$ `` lines where a block shows output, else every
    line that starts with a command (continuation lines joined), synopsis lines left out."""
    found = []
    for first, block in _blocks(README.read_text(encoding="utf-8")):
        prompted = any(line.startswith("$ ") for line in block)
        pending, pending_line = "", 0
        for offset, line in enumerate(block):
            if pending:
                pending += " " + line.strip()
            elif prompted and line.startswith("$ "):
                pending, pending_line = line[2:], first + offset
            elif not prompted and re.match(r"(sarcoma-kg|curl|echo|oxigraph|make|export) ", line):
                pending, pending_line = line, first + offset
            else:
                continue
            if pending.endswith("\\"):
                pending = pending[:-1].rstrip()
                continue
            if not _SYNOPSIS.search(pending):
                found.append(Example(pending_line, pending))
            pending = ""
    return found


EXAMPLES = readme_examples()


@dataclass
class Workspace:
    directory: Path
    env: dict[str, str]
    front: str
    store: str


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, build_dir: Path, start_oxigraph) -> Iterator[Workspace]:
    directory = tmp_path_factory.mktemp("readme")
    shutil.copytree(build_dir, directory / "dist")
    for name in ("examples", "tests"):
        (directory / name).symlink_to(REPO / name)
    (directory / "old").mkdir()
    shutil.copy(REPO / "tests" / "data" / "release" / "previous.ttl", directory / "old" / "sarcoma-kg-full.ttl")
    (directory / "my-question.rq").write_text("SELECT ?case WHERE { ?case a sarc:PatientCase }\n")
    typos = next(b for _, b in _blocks(README.read_text()) if b and b[0].startswith("case_id,") and "T-1" in b[1])
    (directory / "typos.csv").write_text("\n".join(typos) + "\n")
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    setup = [
        ["sarcoma-kg", "cases", "import", "examples/cases.csv", "-o", "my-cases.ttl"],
        ["sarcoma-kg", "cases", "generate", "--n", "50", "--seed", "1", "-o", "cohort.ttl"],
        ["sarcoma-kg", "release", "--out", "dist/releases"],
    ]
    for command in setup:
        subprocess.run(command, cwd=directory, env=env, check=True, capture_output=True)
    store = start_oxigraph([build_dir / INFERRED_FILE])
    with running(ServeConfig(port=0, build_dir=build_dir)) as served:
        yield Workspace(directory, env, served.url.rstrip("/"), store)


def _as_run(command: str, space: Workspace) -> str:
    text = command.replace("http://127.0.0.1:7878/sparql", f"{space.front}/sparql")
    text = text.replace("http://127.0.0.1:7878/", f"{space.store}/")
    text = text.replace("--n 10000", "--n 50")
    return re.sub(r"^curl ", "curl --fail --silent --show-error ", text)


def test_the_readme_has_examples_for_every_command():
    commands = {e.command.split()[1] for e in EXAMPLES if e.command.startswith("sarcoma-kg ")}
    assert {
        "build",
        "query",
        "queries",
        "cases",
        "validate",
        "qc",
        "serve",
        "load",
        "export",
        "release",
        "diff",
    } <= commands
    assert any(e.command.startswith("curl ") for e in EXAMPLES)


@pytest.mark.server
@pytest.mark.parametrize("example", EXAMPLES, ids=str)
def test_a_readme_example_runs_as_printed(example: Example, workspace: Workspace) -> None:
    skipped = next((why for prefix, why in NOT_RUN.items() if example.command.startswith(prefix)), None)
    if skipped:
        pytest.skip(skipped)
    expected = next((code for prefix, code in FAILING.items() if example.command.startswith(prefix)), 0)
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", _as_run(example.command, workspace)],
        cwd=workspace.directory,
        env=workspace.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == expected, result.stderr
    assert "Traceback" not in result.stderr
    if example.command.startswith("curl "):
        assert result.stdout.startswith("d,label"), result.stdout
        assert "alveolar soft part sarcoma" in result.stdout
