"""The benchmark harness (``make bench``) runs end to end on a tiny cohort and writes its Markdown and JSON.

No timing is asserted here (speed is what the benchmark reports, not what tests check): only that every
measurement ran in its own process and landed in the report, and that timeouts are reported as such.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from sarcoma_kg.queries import load_catalogue

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"


def _report_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tiny_run(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """One quick benchmark run on a 20-case cohort, reusing the session's build."""
    out = tmp_path_factory.mktemp("bench-results")
    work = tmp_path_factory.mktemp("bench-work")
    command = [sys.executable, str(BENCH / "run.py"), "--sizes", "20", "--quick", "--release", str(build_dir)]
    command += ["--out", str(out), "--work", str(work)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    return results, (out / "latest.md").read_text(encoding="utf-8"), done.stdout


def test_the_run_describes_the_machine(tiny_run: tuple[dict, str, str]) -> None:
    results, markdown, _ = tiny_run
    machine = results["machine"]
    assert machine["cpus"] >= 1 and machine["memory_gb"] > 0
    assert machine["python"] == ".".join(map(str, sys.version_info[:3]))
    assert f"on {machine['cpus']} CPUs" in markdown


def test_every_store_loads_the_same_triples(tiny_run: tuple[dict, str, str]) -> None:
    loads = tiny_run[0]["load"]["20"]
    assert set(loads) == {"oxigraph", "memory", "rdflib", "pyoxigraph"}
    assert all(load["status"] == "ok" for load in loads.values()), loads
    assert len({load["triples"] for load in loads.values()}) == 1
    assert all(load["peak_mb"] > 0 for load in loads.values())


def test_every_stored_query_is_measured_on_every_store(tiny_run: tuple[dict, str, str]) -> None:
    names = {query.name for query in load_catalogue()}
    per_mode = tiny_run[0]["queries"]["20"]
    for mode in ("oxigraph", "memory"):
        assert set(per_mode[mode]["queries"]) == names, mode
    for name, ours in per_mode["oxigraph"]["queries"].items():
        raw = ours["raw"]  # raw pyoxigraph, timed beside ours on the same store
        assert ours["status"] == raw["status"] == "ok", (name, ours)
        assert ours["rows"] == raw["rows"], name


def test_the_cases_pipeline_and_validation_are_measured(tiny_run: tuple[dict, str, str]) -> None:
    results = tiny_run[0]
    imported = results["cohorts"]["20"]["import"]
    assert imported["status"] == "ok" and imported["rows"] == 20
    shacl = results["shacl"]["20"]
    assert shacl["ours"]["status"] == "ok"
    assert set(shacl) == {"ours", "jena", "pyshacl"}


def test_the_markdown_has_every_table_and_the_ratios_are_printed(tiny_run: tuple[dict, str, str]) -> None:
    _, markdown, stdout = tiny_run
    for heading in ("## Targets", "## Load", "## CSV import", "## Stored queries on 20 cases", "## SHACL", "## Build"):
        assert heading in markdown
    assert "ratios (baselines measured in this run):" in stdout
    assert "rdflib parser / default" in stdout


def test_a_timeout_is_reported_as_such() -> None:
    report = _report_module()
    assert report.outcome({"status": "timeout", "cap_s": 30}) == "timeout (> 30 s)"
    raw = {"status": "ok", "median_s": 0.008, "rows": 3}
    per_mode = {
        "oxigraph": {"queries": {"q": {"status": "ok", "median_s": 0.01, "rows": 3, "raw": raw}}},
        "memory": {"queries": {"q": {"status": "timeout", "cap_s": 30}}},
    }
    markdown = report.render_markdown({"sizes": [50000], "queries": {"50000": per_mode}})
    row = next(line for line in markdown.splitlines() if line.startswith("| q |"))
    assert "timeout (> 30 s)" in row
    assert "1.25x" in row  # ours against raw pyoxigraph
    assert ">3000x" in row  # a timeout bounds the speed-up from below, at its cap
