"""The benchmark harness (``make bench``) runs end to end at tiny sizes and reports every target of the issue.

No timing is asserted here (speed is what the benchmark reports, not what tests check): only that every
measurement ran in its own process and landed in the report, that each target has a row with its verdict, and
that the verdicts follow the figures (a missed target says no, a timeout is reported as such).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from sarcoma_kg.queries import load_catalogue

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"

#: The issue's targets, as the Targets table starts each row (tiny sizes: 20 cases, 40 past one machine).
TARGETS = [
    "`cases import` of 20 rows at least 10,000 rows/s including validation, under 600 MB",
    "load of release + 20 cohort within 1.2x of raw pyoxigraph",
    "stored queries on 20 cases within 1.5x of raw pyoxigraph (geometric mean)",
    "`case-stages` on 20 cases under 2 s",
    "`case-treatment-options` on 20 cases under 2 s",
    "`case-stages` by the route the issue allows: stages materialised at import",
    "`make run` under 60 s cold",
    "`make bench` under 15 minutes on 2 cores",
    "`cases import -o cohort.nt` of 40 rows streams",
    "`sarcoma-kg load` of release + 40 cohort into an Oxigraph server",
    "`query case-stages --endpoint` answers on 40 cases",
    "`sarcoma-kg load` of release + 40 cohort into Virtuoso 7",
    "`query case-stages --endpoint` answers on Virtuoso 7 at 40 cases",
]
#: Those a quick run with an existing build cannot measure (no build, no make run; caps too short to judge).
NOT_MEASURED_IN_QUICK = {"`make run` under 60 s cold", "`make bench` under 15 minutes on 2 cores"}


def _bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look the module up
    spec.loader.exec_module(module)
    return module


def _report_module() -> ModuleType:
    return _bench_module("report")


@pytest.fixture(scope="module")
def tiny_run(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """One quick benchmark run on a 20-case cohort (40 past one machine), reusing the session's build."""
    out = tmp_path_factory.mktemp("bench-results")
    work = tmp_path_factory.mktemp("bench-work")
    command = [sys.executable, str(BENCH / "run.py"), "--sizes", "20", "--scale", "40", "--quick"]
    command += ["--release", str(build_dir), "--out", str(out), "--work", str(work)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads((out / "latest.json").read_text(encoding="utf-8"))
    return results, (out / "latest.md").read_text(encoding="utf-8"), done.stdout


def _target_rows(markdown: str) -> dict[str, list[str]]:
    section = markdown.split("## Targets", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| target |")]
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in row.strip("|").split(" | ")] for row in rows)}


def test_the_run_describes_the_machine(tiny_run: tuple[dict, str, str]) -> None:
    results, markdown, _ = tiny_run
    machine = results["machine"]
    assert machine["cpus"] >= 1 and machine["memory_gb"] > 0
    assert machine["python"] == ".".join(map(str, sys.version_info[:3]))
    assert f"on {machine['cpus']} CPUs" in markdown


def test_every_target_of_the_issue_has_a_row_with_its_baseline_and_verdict(tiny_run: tuple[dict, str, str]) -> None:
    _, markdown, stdout = tiny_run
    rows = _target_rows(markdown)
    for target in TARGETS:
        found = [cells for name, cells in rows.items() if name.startswith(target)]
        assert len(found) == 1, (target, list(rows))
        measured, baseline, holds = found[0]
        expected = {"not measured"} if target in NOT_MEASURED_IN_QUICK else {"yes", "**no**"}
        assert holds in expected, (target, measured, holds)
        assert measured and baseline
    assert "targets (baselines measured in this run):" in stdout


def test_ours_and_raw_pyoxigraph_load_the_same_triples(tiny_run: tuple[dict, str, str]) -> None:
    loads = tiny_run[0]["load"]["20"]
    assert loads["ours"]["status"] == loads["raw"]["status"] == "ok"
    assert loads["ours"]["triples"] == loads["raw"]["triples"] > 0
    assert loads["ours"]["runs"] == loads["raw"]["runs"] >= 1  # alternated, as many runs each
    assert loads["peak_mb"] > 0


def test_every_stored_query_is_measured_ours_and_raw_with_the_same_rows(tiny_run: tuple[dict, str, str]) -> None:
    queries = tiny_run[0]["queries"]["20"]["queries"]
    assert set(queries) == {query.name for query in load_catalogue()}
    for name, ours in queries.items():
        raw = ours["raw"]  # raw pyoxigraph, timed beside ours on the same store
        assert ours["status"] == "ok", (name, ours)
        if name == "case-treatment-options":  # the long query on the largest cohort: one run of ours, no raw
            assert raw["status"] == "skipped" and ours["long_cap_s"] > 0, raw
            continue
        assert raw["status"] in ("ok", "timeout"), (name, raw)
        if raw["status"] == "ok":
            assert ours["rows"] == raw["rows"], name


def test_the_checked_queries_are_timed_against_their_floor_on_the_same_store(tiny_run: tuple[dict, str, str]) -> None:
    queries = tiny_run[0]["queries"]["20"]["queries"]
    stages, options = queries["case-stages"], queries["case-treatment-options"]
    # case-stages' floor fetches the facts of every case (a row per tumour class and site class): at least a row
    # for each case ours stages.
    assert stages["floor"]["status"] == "ok" and stages["floor"]["rows"] >= stages["rows"] > 20
    # case-treatment-options' floor returns as many rows as ours answered.
    assert options["floor"]["status"] == "ok" and options["floor"]["rows"] == options["rows"] > 0
    assert not any("floor" in result for name, result in queries.items() if name not in {"case-stages",
                   "case-treatment-options"})  # fmt: skip


def test_the_import_is_set_against_reading_the_sheet_and_bulk_loading_its_output(
    tiny_run: tuple[dict, str, str],
) -> None:
    cohort = tiny_run[0]["cohorts"]["20"]
    floor = cohort["import_floor"]
    assert floor["status"] == "ok" and floor["rows"] == cohort["import"]["rows"] == 20
    assert floor["triples"] > 0 and floor["format"] == cohort["import"]["format"] == "ntriples"
    assert floor["seconds"] == pytest.approx(floor["csv_s"] + floor["load_s"])
    assert floor["load_s"] == min(floor["loaders_s"].values())  # the faster of pyoxigraph's two loaders


def test_stages_materialised_at_import_are_read_back_for_every_case(tiny_run: tuple[dict, str, str]) -> None:
    results = tiny_run[0]
    staged = results["materialised"]
    assert staged["status"] == "ok" and staged["cases"] == 20
    assert staged["import"]["format"] == "ntriples" and staged["import"]["seconds"] > 0
    every = staged["reads"]["stored-stages"]
    # Every case of the cohort and the knowledge base's own: as many rows as case-stages, ours as raw.
    assert every["rows"] == every["raw"]["rows"] == results["queries"]["20"]["queries"]["case-stages"]["rows"]
    # Counted by stage, the cases the import staged.
    assert sum(staged["stage_counts"].values()) == staged["import"]["staged"] > 0


def test_the_bounds_of_the_targets_are_in_the_json_and_in_their_own_section(tiny_run: tuple[dict, str, str]) -> None:
    results, markdown, _ = tiny_run
    bounds = results["bounds"]
    assert set(bounds) == {"cases import", "case-stages", "case-treatment-options", "materialised stages"}
    for name in ("case-stages", "case-treatment-options"):
        assert bounds[name]["ours_over_floor"] == pytest.approx(bounds[name]["ours_s"] / bounds[name]["floor_s"])
    section = markdown.split("## What bounds the missed targets", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == ["case-stages", "case-treatment-options", "cases import"]
    assert "the importer's own work" in section and "`examples/stage-count.rq`" in section


def test_the_big_cohort_is_imported_as_ntriples_then_loaded_and_queried_on_a_server(
    tiny_run: tuple[dict, str, str],
) -> None:
    entry = tiny_run[0]["scale_out"]
    assert entry["generate"]["rows"] == 40 and entry["generate"]["seeds"] == [1, 2]
    assert entry["import"]["rows"] == 40 and entry["import_base"]["rows"] == 20
    server = entry["server"]
    assert server["status"] == "ok", server
    assert server["load"]["triples"] >= server["bulk_loader"]["triples"] > 0
    assert server["load"]["peak_mb"] > 0
    # Every case of the cohort, and the knowledge base's own, on the server as through bare HTTP.
    assert server["query"]["rows"] == server["query_raw"]["rows"] > 40


def test_the_big_cohort_is_loaded_into_virtuoso_by_its_bulk_loader_and_by_ours_then_queried(
    tiny_run: tuple[dict, str, str],
) -> None:
    virtuoso = tiny_run[0]["scale_out"]["virtuoso"]
    assert virtuoso["status"] == "ok", virtuoso
    assert virtuoso["load"]["triples"] == virtuoso["bulk_loader"]["triples"] > 0
    assert virtuoso["load"]["server_peak_mb"] > 0 and virtuoso["load"]["peak_mb"] > 0
    # Virtuoso's own rows (fewer than every case, docs/portability.md), the same through ours as through bare HTTP.
    assert virtuoso["query"]["rows"] == virtuoso["query_raw"]["rows"] >= 1


def test_the_smaller_cohorts_are_cut_from_the_largest_sheet(tiny_run: tuple[dict, str, str]) -> None:
    results = tiny_run[0]
    assert results["cohorts"]["20"]["import"]["output"].endswith(".nt")  # also the big import's streaming baseline
    assert results["scale_out"]["import_base"] == results["cohorts"]["20"]["import"]
    assert any(step["step"] == "generate 20 cases (seed 1)" for step in results["steps"])


def test_the_cohort_is_validated(tiny_run: tuple[dict, str, str]) -> None:
    shacl = tiny_run[0]["shacl"]["20"]
    assert shacl["ours"]["status"] == "ok" and shacl["ours"]["results"] >= 0
    assert set(shacl) == {"ours"}  # the peers only with --only shacl


def _results(load_ratio: float, geomean_ours: float) -> dict:
    raw = {"status": "ok", "median_s": 0.010, "rows": 3}
    queries = {"q": {"status": "ok", "median_s": geomean_ours, "rows": 3, "raw": raw}}
    queries["case-stages"] = {"status": "timeout", "cap_s": 60}
    return {
        "sizes": [50000],
        "quick": False,
        "seconds": 1000,
        "load": {"50000": {"ours": {"status": "ok", "seconds": load_ratio, "triples": 9}, "raw": {"seconds": 1.0}}},
        "queries": {"50000": {"queries": queries}},
    }


@pytest.mark.parametrize(("load_ratio", "verdict"), [(1.1, "yes"), (1.3, "**no**")])
def test_the_load_verdict_follows_the_ratio_to_raw(load_ratio: float, verdict: str) -> None:
    rows = _target_rows(_report_module().render_markdown(_results(load_ratio, 0.012)))
    measured, _, holds = rows["load of release + 50k cohort within 1.2x of raw pyoxigraph"]
    assert measured.startswith(f"{load_ratio:.2f}x") and holds == verdict


def test_a_timeout_is_reported_as_such_and_misses_a_bound_below_its_cap() -> None:
    report = _report_module()
    assert report.outcome({"status": "timeout", "cap_s": 30}) == "timeout (> 30 s)"
    rows = _target_rows(report.render_markdown(_results(1.0, 0.020)))
    measured, _, holds = rows["`case-stages` on 50k cases under 2 s"]
    assert measured == "timeout (> 60 s)" and holds == "**no**"
    measured, _, holds = rows["stored queries on 50k cases within 1.5x of raw pyoxigraph (geometric mean)"]
    assert measured.startswith("geomean 2.00x over 1 queries") and "1 not measured" in measured
    assert holds == "**no**"
    assert rows["`make bench` under 15 minutes on 2 cores"][2] == "**no**"  # 1000 s


def _server(query_raw: dict, rows: int = 200_001) -> dict:
    load = {"status": "ok", "seconds": 20.0, "triples": 100, "triples_per_s": 5.0, "peak_mb": 60}
    return {
        "status": "ok",
        "bulk_loader": {"status": "ok", "seconds": 10.0, "triples": 100},
        "load": load,
        "query": {"seconds": 40.0, "rows": rows, "peak_mb": 70},
        "query_raw": query_raw,
    }


def test_a_server_step_killed_at_its_cap_misses_its_targets() -> None:
    results = _results(1.0, 0.012) | {"scale": 200_000, "scale_out": {"server": {"status": "timeout", "cap_s": 600}}}
    rows = _target_rows(_report_module().render_markdown(results))
    assert rows["`sarcoma-kg load` of release + 200k cohort into an Oxigraph server"][::2] == [
        "timeout (> 600 s)",
        "**no**",
    ]
    assert rows["`query case-stages --endpoint` answers on 200k cases, every case"][2] == "**no**"


def test_a_bare_http_baseline_past_its_cap_gives_the_ratio_as_a_bound() -> None:
    server = _server({"status": "timeout", "cap_s": 80})
    results = _results(1.0, 0.012) | {"scale": 200_000, "scale_out": {"server": server}}
    rows = _target_rows(_report_module().render_markdown(results))
    measured, baseline, holds = rows["`query case-stages --endpoint` answers on 200k cases, every case"]
    assert "< 0.50x raw HTTP" in measured and "timeout (> 80 s)" in baseline and holds == "yes"


def test_virtuoso_answering_fewer_rows_than_cases_is_reported_as_a_miss() -> None:
    server = _server({"status": "ok", "seconds": 20.0, "rows": 1}, rows=1)
    results = _results(1.0, 0.012) | {"scale": 200_000, "scale_out": {"virtuoso": server}}
    rows = _target_rows(_report_module().render_markdown(results))
    measured, _, holds = rows["`query case-stages --endpoint` answers on Virtuoso 7 at 200k cases"]
    assert measured.startswith("40.0 s, 1 rows; 2.00x raw HTTP") and "docs/portability.md" in measured
    assert holds == "**no**"
    load_measured, _, load_holds = rows["`sarcoma-kg load` of release + 200k cohort into Virtuoso 7"]
    assert "2.00x the bulk loader" in load_measured and load_holds == "yes"


def test_a_step_past_its_cap_is_killed_and_reported_as_a_timeout_not_waited_for() -> None:
    worker = _bench_module("worker")
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    result = worker._step(lambda: {"seconds": worker.run_measured(sleeper, timeout=1).seconds}, 1)
    assert result["status"] == "timeout" and result["cap_s"] == 1, result


def _with_floors(stages_floor_s: float) -> dict:
    results = _results(1.0, 0.012)
    stages = {"status": "ok", "median_s": 5.0, "rows": 50_001, "runs": 1}
    stages |= {"raw": {"status": "ok", "median_s": 4.0, "rows": 50_001}}
    stages |= {"floor": {"status": "ok", "median_s": stages_floor_s, "rows": 200_004}}
    results["queries"]["50000"]["queries"]["case-stages"] = stages
    imported = {"status": "ok", "seconds": 20.0, "rows": 50_000, "rows_per_s": 2_500.0, "format": "ntriples"}
    floor = {"status": "ok", "csv_s": 0.5, "load_s": 3.5, "seconds": 4.0, "rows_per_s": 12_500.0, "triples": 9}
    results["cohorts"] = {"50000": {"import": imported, "import_floor": floor}}
    return results


def _bounds_rows(markdown: str) -> dict[str, list[str]]:
    section = markdown.split("## What bounds the missed targets", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {cells[0]: cells[1:] for cells in ([c.strip() for c in row.strip("|").split(" | ")] for row in rows)}


@pytest.mark.parametrize(("floor_s", "against"), [(2.5, "**above** it (1.25x)"), (1.25, "below it (0.62x)")])
def test_a_missed_query_is_set_against_its_floor_and_the_floor_against_the_bound(floor_s: float, against: str) -> None:
    markdown = _report_module().render_markdown(_with_floors(floor_s))
    holds, ours, raw, floor, ratio, versus = _bounds_rows(markdown)["`case-stages` on 50k cases under 2 s"]
    assert holds == "**no**" and ours.startswith("5.00 s (50,001 rows; one run)") and raw == "raw pyoxigraph 4.00 s"
    assert floor.startswith(f"{floor_s:.2f} s: the facts a stage depends on") and "200,004 rows" in floor
    assert ratio == f"{5.0 / floor_s:.2f}x" and versus.startswith(against)
    _, baseline, _ = _target_rows(markdown)["`case-stages` on 50k cases under 2 s"]
    assert baseline.endswith(f"floor (same run), the facts a stage depends on, fetched with no logic: {floor_s:.2f} s; "
                             f"ours {5.0 / floor_s:.2f}x it")  # fmt: skip


def test_the_import_time_is_split_into_reading_the_sheet_the_engine_and_the_importers_own_work() -> None:
    results = _with_floors(2.5)
    report = _report_module()
    bound = report.bounds(results)["cases import"]
    assert bound["rest_s"] == pytest.approx(16.0) and bound["ours_over_floor"] == pytest.approx(5.0)
    markdown = report.render_markdown(results)
    holds, ours, _, floor, ratio, versus = _bounds_rows(markdown)[
        "`cases import` of 50k rows at 10,000 rows/s (5.00 s)"
    ]
    assert (holds, ours, ratio) == ("**no**", "20.0 s (2,500 rows/s)", "5.00x") and versus.startswith(
        "below it (0.80x)"
    )
    assert "CSV read 500 ms, raw `Store.bulk_load` of its 9 triples 3.50 s" in floor
    assert "reading the CSV 500 ms (2%), the engine loading the same triples 3.50 s (18%); the rest, 16.0 s (80%)" in (
        markdown
    )


def test_stages_materialised_at_import_are_a_row_of_their_own_beside_case_stages() -> None:
    results = _with_floors(2.5)
    reads = {"stored-stages": {"status": "ok", "median_s": 0.2, "rows": 50_001, "raw": {"median_s": 0.1}}}
    reads["stage-count"] = {"status": "ok", "median_s": 0.07, "rows": 9, "raw": {"median_s": 0.05}}
    imported = {"seconds": 30.0, "staged": 40_000, "import_peak_mb": 400.0}
    results["materialised"] = {"status": "ok", "cases": 50_000, "import": imported, "reads": reads}
    rows = _target_rows(_report_module().render_markdown(results))
    assert rows["`case-stages` on 50k cases under 2 s"][2] == "**no**"  # the query itself still misses
    found = [cells for name, cells in rows.items() if name.startswith("`case-stages` by the route the issue allows")]
    assert len(found) == 1
    measured, baseline, holds = found[0]
    assert measured.startswith("read 200 ms (50,001 rows;") and "1.50x the import without" in measured
    assert baseline.startswith("the import without stages 20.0 s (same run, -o .nt)") and holds == "yes"


def test_a_runner_that_fails_is_reported_as_such_and_the_others_keep_their_figures() -> None:
    worker = _bench_module("worker")

    def fails() -> int:
        raise ValueError("no such store")

    result = worker._run_forked({"ours": lambda: 3, "raw": fails, "floor": lambda: 3}, 1, 30)
    assert result["status"] == "ok" and result["rows"] == 3
    assert result["raw"] == {"status": "error", "error": "ValueError: no such store"}
    assert result["floor"]["status"] == "skipped"  # never run: the child ended at the failure


def test_a_query_is_killed_when_the_machine_runs_short_of_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    worker = _bench_module("worker")
    monkeypatch.setattr(worker, "MEMORY_FLOOR_MB", float("inf"))  # any amount left is too little

    def sleeps() -> int:
        time.sleep(60)
        return 0

    result = worker._run_forked({"ours": sleeps}, 1, 60)  # past the cap it would be a timeout
    assert result["status"] == "memory" and result["memory_left_mb"] >= 0
