"""The cohort's stage distribution chart (charts.py), from the case-stages query on real imported cases."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner
from rdflib import Graph

from sarcoma_kg.charts import bar_chart_svg, stage_counts, stage_distribution_svg
from sarcoma_kg.cli import main
from sarcoma_kg.graph import load_files
from sarcoma_kg.queries import bind_params, get_query, run_local

SVG = "{http://www.w3.org/2000/svg}"


def imported_cases(build_dir: Path, tmp_path: Path, repo_root: Path) -> Path:
    out = tmp_path / "cases.ttl"
    result = CliRunner().invoke(
        main,
        ["cases", "import", str(repo_root / "examples" / "cases.csv"), "-o", str(out), "--build-dir", str(build_dir)],
    )
    assert result.exit_code == 0, result.output
    return out


def test_stage_counts_count_the_case_stages_rows(kg: Graph, build_dir: Path, tmp_path: Path, repo_root: Path) -> None:
    graph = Graph(store=kg.store.__class__())
    graph += kg
    load_files([imported_cases(build_dir, tmp_path, repo_root)], graph=graph)
    query = get_query("case-stages")
    result = run_local(graph, query.text, bind_params(query))
    counts = stage_counts(result)
    assert sum(counts.values()) == len(result.rows) > 1
    stages = [str(row[result.columns.index("stage")]) for row in result.rows]
    assert counts == {s: stages.count(s) for s in counts}
    order = list(counts)
    assert order == sorted(order, key=lambda s: ("IA", "IB", "II", "IIIA", "IIIB", "IV", "not staged").index(s))


def test_the_chart_has_one_bar_per_stage_with_its_count() -> None:
    svg = stage_distribution_svg({"not staged": 1, "IV": 3, "IA": 2})
    root = ET.fromstring(svg)
    bars = root.findall(f".//{SVG}rect[@class='bar']")
    assert [b.find(f"{SVG}title").text for b in bars] == ["IA: 2", "IV: 3", "not staged: 1"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == max(heights) and heights[2] < heights[0]


def test_chart_labels_are_escaped_and_output_is_stable() -> None:
    svg = bar_chart_svg([("<b>&", 1)], title="a <title>")
    ET.fromstring(svg)  # well-formed
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    assert svg == bar_chart_svg([("<b>&", 1)], title="a <title>")
