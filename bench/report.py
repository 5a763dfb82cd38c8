"""Turn the benchmark's JSON into the Markdown tables, the ratios and the verdict on the issue's targets.

Kept apart from ``run.py`` so a saved ``latest.json`` can be re-rendered (``python bench/report.py FILE``)
without measuring again.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

__all__ = [
    "CHECKED_QUERIES",
    "FLOORS",
    "bounds",
    "readme_section",
    "render_markdown",
    "summarise",
    "targets",
    "update_readme",
]

#: The stored queries the issue gives an absolute bound at 50k cases (seconds).
CHECKED_QUERIES = {"case-stages": 2.0, "case-treatment-options": 2.0}
VERDICT = {True: "yes", False: "**no**", None: "not measured"}
#: What each query's floor is (``bench/worker.py``'s ``FLOOR_QUERIES``), in words for the report.
FLOORS = {
    "case-stages": "the facts a stage depends on, fetched with no logic",
    "case-treatment-options": "as many rows of the same ten columns, stored terms, no logic",
}
IMPORT_BOUND = 10_000  # rows/s
STAGE_READ_BOUND = 2.0  # seconds: case-stages' own bound, for its stages read back from the import's


def fmt_seconds(seconds: float | None) -> str:
    """Human times: milliseconds below one second.

    >>> fmt_seconds(0.00042), fmt_seconds(0.0123), fmt_seconds(3.456), fmt_seconds(75.2)
    ('0.42 ms', '12.3 ms', '3.46 s', '75.2 s')
    """
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:.1f} s"


def fmt_ratio(ratio: float | None, bound: str = "") -> str:
    if ratio is None:
        return "-"
    if 0 < ratio < 0.1:
        return f"{bound}{ratio:.2g}x"
    digits = 2 if ratio < 10 else 0
    return f"{bound}{ratio:.{digits}f}x"


def outcome(result: dict | None, key: str = "seconds") -> str:
    """A measurement's time, or why there is none ("timeout (> 30 s)", "skipped: ...", "error: ...")."""
    if not result:
        return "-"
    status = result.get("status", "ok")
    if status == "ok":
        return fmt_seconds(result.get(key))
    if status == "timeout":
        return (
            f"timeout (> {result['cap_s']:.0f} s)" if "cap_s" in result else f"timeout: {result.get('error', '')[:80]}"
        )
    if status == "skipped":
        return f"not run: {result.get('reason', '')}"
    if status == "memory":
        return f"killed: the machine had {result.get('memory_left_mb', '?')} MB left"
    return f"error: {result.get('error', '')[:80]}"


def _mb(result: dict | None) -> str:
    if not result or result.get("peak_mb") is None:
        return "-"
    return f"{result['peak_mb']:.0f} MB"


def _ok(result: dict | None) -> bool:
    return bool(result) and result.get("status", "ok") == "ok"


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _query_table(run: dict) -> list[dict]:
    """Per query: ours (``run["queries"][name]``) and raw pyoxigraph (nested under ``raw``), and their ratio."""
    rows = []
    for name, ours in sorted(run.get("queries", {}).items()):
        raw = ours.get("raw") if isinstance(ours.get("raw"), dict) else None
        vs_raw = _ratio(ours.get("median_s"), raw.get("median_s")) if _ok(ours) and _ok(raw) else None
        counts = {k: v.get("rows") for k, v in (("ours", ours), ("raw", raw)) if _ok(v)}
        rows.append({"query": name, "ours": ours, "raw": raw, "vs_raw": vs_raw, "rows": counts})
    return rows


def _geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def _cases(n: str | int) -> str:
    value = int(n)
    return f"{value // 1000}k" if value >= 1000 and value % 1000 == 0 else str(value)


def _query_bound(results: dict, largest: str, query: str, bound: float) -> dict:
    """A checked query on the largest cohort against its floor (same store, same run) and its bound."""
    run = results.get("queries", {}).get(largest, {}).get("queries", {})
    ours = run.get(query)
    raw = ours.get("raw") if ours else None
    floor = ours.get("floor") if ours else None
    entry: dict = {"cases": int(largest), "bound_s": bound, "floor_is": FLOORS.get(query)}
    entry["ours_s"] = ours.get("median_s") if _ok(ours) else None
    entry["rows"] = ours.get("rows") if _ok(ours) else None
    entry["ours_runs"] = ours.get("runs") if _ok(ours) else None
    entry["raw_s"] = raw.get("median_s") if _ok(raw) else None
    entry["floor_s"] = floor.get("median_s") if _ok(floor) else None
    entry["floor_rows"] = floor.get("rows") if _ok(floor) else None
    entry["ours_over_floor"] = _ratio(entry["ours_s"], entry["floor_s"])
    entry["floor_over_bound"] = _ratio(entry["floor_s"], bound)
    entry["holds"] = entry["ours_s"] < bound if entry["ours_s"] is not None else _missed_if_timeout(ours)
    entry["ours"] = outcome(ours, "median_s")
    entry["floor"] = outcome(floor, "median_s")
    entry["raw"] = outcome(raw, "median_s")
    if raw is not None and not _ok(raw):  # not run on this cohort: ours against raw on the largest smaller one
        for size in sorted((int(n) for n in results.get("queries", {}) if int(n) < int(largest)), reverse=True):
            row = results["queries"][str(size)].get("queries", {}).get(query, {})
            if _ok(row) and _ok(row.get("raw")):
                entry["raw_elsewhere"] = {"cases": size, "ratio": _ratio(row["median_s"], row["raw"]["median_s"])}
                break
    return entry


def _import_bound(results: dict, largest: str) -> dict:
    """``cases import`` of the largest cohort against its floor: the sheet read by the csv module plus raw
    pyoxigraph's bulk load of the importer's own output; the rest is the importer's own work."""
    cohort = results.get("cohorts", {}).get(largest, {})
    imported, floor = cohort.get("import"), cohort.get("import_floor")
    entry: dict = {"cases": int(largest), "bound_rows_per_s": IMPORT_BOUND}
    entry["import_s"] = imported.get("seconds") if _ok(imported) else None
    entry["rows_per_s"] = imported.get("rows_per_s") if _ok(imported) else None
    entry["format"] = imported.get("format") if _ok(imported) else None
    if _ok(floor):
        entry |= {k: floor.get(k) for k in ("csv_s", "load_s", "triples")}
        entry["loader"] = floor.get("loader", "Store.bulk_load")
        entry["floor_s"], entry["floor_rows_per_s"] = floor.get("seconds"), floor.get("rows_per_s")
    else:
        entry["floor"] = outcome(floor)
        entry["floor_s"] = entry["floor_rows_per_s"] = None
    whole, floor_s = entry["import_s"], entry["floor_s"]
    if whole and floor_s is not None:
        entry["rest_s"] = max(0.0, whole - floor_s)
        entry["shares"] = {k: entry[k] / whole for k in ("csv_s", "load_s", "rest_s")}
    entry["ours_over_floor"] = _ratio(whole, floor_s)
    entry["holds"] = entry["rows_per_s"] >= IMPORT_BOUND if entry["rows_per_s"] else None
    return entry


def _materialised_bound(results: dict) -> dict | None:
    """The route the issue allows for case-stages: stages stored at import, read back (not case-stages itself)."""
    entry = results.get("materialised") or {}
    if not entry:
        return None
    n = str(entry.get("cases", ""))
    without = results.get("cohorts", {}).get(n, {}).get("import")
    found: dict = {"cases": entry.get("cases"), "status": entry.get("status", "ok")}
    if not _ok(entry):
        return found | {"outcome": outcome(entry), "holds": _missed_if_timeout(entry)}
    imported, reads = entry.get("import", {}), entry.get("reads", {})
    found["import_s"] = imported.get("seconds")
    found["import_peak_mb"] = imported.get("import_peak_mb")
    found["staged"] = imported.get("staged")
    found["without_s"] = without.get("seconds") if _ok(without) else None
    found["without_format"] = without.get("format") if _ok(without) else None
    found["import_ratio"] = _ratio(found["import_s"], found["without_s"])
    for name, read in reads.items():
        found[name] = {
            "ours_s": read.get("median_s"),
            "raw_s": (read.get("raw") or {}).get("median_s"),
            "rows": read.get("rows"),
        }
    found["stage_counts"] = entry.get("stage_counts")
    every = found.get("stored-stages", {}).get("ours_s")
    found["holds"] = every < STAGE_READ_BOUND if every is not None else None
    return found


def bounds(results: dict) -> dict:
    """Each missed-or-not target with a floor, set against it: the figures of "What bounds the missed targets".

    Stored in ``latest.json`` as ``bounds`` and rendered from there; every figure comes from the run's own
    measurements (``queries``, ``cohorts``, ``materialised``), none is typed in.
    """
    sizes = [str(n) for n in results.get("sizes", [])]
    if not sizes:
        return {}
    largest = sizes[-1]
    found: dict = {"cases import": _import_bound(results, largest)}
    for query, bound in CHECKED_QUERIES.items():
        if results.get("queries", {}).get(largest):
            found[query] = _query_bound(results, largest, query, bound)
    materialised = _materialised_bound(results)
    if materialised is not None:
        found["materialised stages"] = materialised
    return found


def _target(target: str, measured: str, baseline: str, holds: bool | None) -> dict:
    return {"target": target, "measured": measured, "baseline": baseline, "holds": holds}


def _import_targets(results: dict, largest: str) -> list[dict]:
    imported = results.get("cohorts", {}).get(largest, {}).get("import")
    name = f"`cases import` of {_cases(largest)} rows at least 10,000 rows/s including validation, under 600 MB"
    if not _ok(imported) or not imported.get("rows_per_s"):
        return [_target(name, outcome(imported), "absolute", None)]
    peak = imported.get("import_peak_mb") or imported.get("peak_mb") or 0
    measured = f"{imported['rows_per_s']:,.0f} rows/s, {peak:.0f} MB peak ({fmt_seconds(imported['seconds'])})"
    floor = _import_bound(results, largest)
    baseline = "absolute"
    if floor["floor_s"] is not None:
        baseline += (
            f"; floor (same run): CSV read + raw pyoxigraph load of its output, "
            f"{floor['floor_rows_per_s']:,.0f} rows/s "
            f"({fmt_seconds(floor['floor_s'])}; ours {fmt_ratio(floor['ours_over_floor'])} its time)"
        )
    return [_target(name, measured, baseline, imported["rows_per_s"] >= IMPORT_BOUND and peak < 600)]


def _load_targets(results: dict, sizes: list[str]) -> list[dict]:
    found = []
    for n in sizes:
        loads = results.get("load", {}).get(n, {})
        ours, raw = loads.get("ours"), loads.get("raw")
        name = f"load of release + {_cases(n)} cohort within 1.2x of raw pyoxigraph"
        if _ok(ours) and _ok(raw):
            ratio = _ratio(ours["seconds"], raw["seconds"])
            measured = f"{fmt_ratio(ratio)} ({fmt_seconds(ours['seconds'])}, {ours.get('triples', 0):,} triples)"
            baseline = f"raw `Store.bulk_load` {fmt_seconds(raw['seconds'])}"
            found.append(_target(name, measured, baseline, ratio is not None and ratio <= 1.2))
        else:
            found.append(_target(name, outcome(ours), "raw pyoxigraph", None))
    return found


def _query_targets(results: dict, largest: str) -> list[dict]:
    run = results.get("queries", {}).get(largest, {})
    rows = _query_table(run)
    ratios = [r for r in rows if r["vs_raw"] is not None]
    name = f"stored queries on {_cases(largest)} cases within 1.5x of raw pyoxigraph (geometric mean)"
    if ratios:
        mean = _geomean([r["vs_raw"] for r in ratios])
        worst = max(ratios, key=lambda r: r["vs_raw"])
        missing = len(rows) - len(ratios)
        measured = f"geomean {fmt_ratio(mean)} over {len(ratios)} queries; worst {fmt_ratio(worst['vs_raw'])} "
        measured += f"({worst['query']})" + (f"; {missing} not measured" if missing else "")
        found = [_target(name, measured, "raw pyoxigraph, same store, same text", mean is not None and mean <= 1.5)]
    else:
        found = [_target(name, outcome(run), "raw pyoxigraph", None)]
    by_name = {r["query"]: r for r in rows}
    for query, bound in CHECKED_QUERIES.items():
        row = by_name.get(query)
        name = f"`{query}` on {_cases(largest)} cases under {bound:g} s"
        floor = _floor_note(_query_bound(results, largest, query, bound))
        if row and _ok(row["ours"]):
            seconds = row["ours"]["median_s"]
            raw = _raw_note(_query_bound(results, largest, query, bound))
            runs = row["ours"].get("runs")
            measured = f"{fmt_seconds(seconds)} ({row['rows'].get('ours') or 0:,} rows"
            measured += ("; one run" if runs == 1 else "") + (
                f"; {fmt_ratio(row['vs_raw'])} raw)" if row["vs_raw"] else ")"
            )
            found.append(_target(name, measured, f"absolute; {raw}{floor}", seconds < bound))
        else:  # a timeout (ours' cap, or the library's own query time limit) is above the bound: missed
            ours = row["ours"] if row else None
            found.append(_target(name, outcome(ours, "median_s"), f"absolute{floor}", _missed_if_timeout(ours)))
    materialised = _materialised_bound(results)
    if materialised is not None:
        found.append(_materialised_target(materialised, largest))
    return found


def _raw_note(entry: dict) -> str:
    if entry["raw_s"] is not None:
        return f"raw pyoxigraph {fmt_seconds(entry['raw_s'])}"
    elsewhere = entry.get("raw_elsewhere")
    here = "not run here" if entry["raw"].startswith("not run") else entry["raw"]
    if elsewhere:
        return f"raw pyoxigraph {here} (ours {fmt_ratio(elsewhere['ratio'])} raw on {_cases(elsewhere['cases'])})"
    return f"raw pyoxigraph {entry['raw']}"


def _floor_note(entry: dict) -> str:
    if entry["floor_s"] is None:
        return "" if entry["floor"] == "-" else f"; floor (same run): {entry['floor']}"
    ratio = f"; ours {fmt_ratio(entry['ours_over_floor'])} it" if entry["ours_over_floor"] else ""
    return f"; floor (same run), {entry['floor_is']}: {fmt_seconds(entry['floor_s'])}{ratio}"


def _materialised_target(entry: dict, largest: str) -> dict:
    name = (
        f"`case-stages` by the route the issue allows: stages materialised at import (`cases import "
        f"--materialise-stage -o .nt`), every case's stored stage read back on {_cases(largest)} cases under "
        f"{STAGE_READ_BOUND:g} s (not case-stages itself: no reason column)"
    )
    if entry.get("status") != "ok":
        return _target(name, entry.get("outcome", "-"), "the import without stages, same run", entry.get("holds"))
    every, count = entry.get("stored-stages", {}), entry.get("stage-count", {})
    measured = (
        f"read {fmt_seconds(every.get('ours_s'))} ({every.get('rows') or 0:,} rows; the stage count of "
        f"examples/stage-count.rq {fmt_seconds(count.get('ours_s'))}); import with stages "
        f"{fmt_seconds(entry.get('import_s'))}, {fmt_ratio(entry.get('import_ratio'))} the import without"
    )
    baseline = f"the import without stages {fmt_seconds(entry.get('without_s'))} (same run, -o .{_suffix(entry)})"
    baseline += f"; raw pyoxigraph read {fmt_seconds(every.get('raw_s'))}"
    return _target(name, measured, baseline, entry.get("holds"))


def _suffix(entry: dict) -> str:
    return {"ntriples": "nt", "turtle": "ttl"}.get(entry.get("without_format") or "", "?")


def _scale_targets(results: dict) -> list[dict]:
    """Past one machine: the streaming import, the load into a server and the query there, at ``scale`` cases."""
    scale = results.get("scale")
    if not scale:
        return []
    entry = results.get("scale_out", {})
    big, base = entry.get("import"), entry.get("import_base")
    base_n = str(results["sizes"][-1])
    found = []
    name = f"`cases import -o cohort.nt` of {_cases(scale)} rows streams: peak within 1.5x of {_cases(base_n)}'s"
    if _ok(big) and _ok(base):
        growth = _ratio(big["import_peak_mb"], base["import_peak_mb"])
        measured = (
            f"{big['import_peak_mb']:.0f} MB vs {base['import_peak_mb']:.0f} MB ({fmt_ratio(growth)}); "
            f"{big['rows_per_s']:,.0f} rows/s"
            + ("" if big.get("format") == "ntriples" else f"; wrote {big.get('format')}, not N-Triples")
        )
        holds = growth is not None and growth <= 1.5 and big.get("format") == "ntriples"
        found.append(_target(name, measured, f"the same import of {_cases(base_n)} rows", holds))
    else:
        found.append(_target(name, outcome(big or entry.get("generate")), "-", None))
    oxigraph = ("an Oxigraph server", "`oxigraph load`")
    found += _server_targets(entry.get("server"), scale, *oxigraph, query_target="answers on {cases} cases, every case")
    virtuoso = ("Virtuoso 7", "Virtuoso's bulk loader (`ld_dir`, `rdf_loader_run`)")
    found += _server_targets(
        entry.get("virtuoso"), scale, *virtuoso, query_target="answers on Virtuoso 7 at {cases} cases"
    )
    return found


def _missed_if_timeout(result: dict | None) -> bool | None:
    """A step killed at its cap misses its target (it did not do it in the time ``make bench`` can give)."""
    return False if result and result.get("status") == "timeout" else None


def _server_targets(server: dict | None, scale: int, store: str, bulk_name: str, *, query_target: str) -> list[dict]:
    """The load into ``store`` (against its own bulk loader) and case-stages there (against bare HTTP)."""
    cases = _cases(scale)
    load_name = f"`sarcoma-kg load` of release + {cases} cohort into {store}"
    query_name = f"`query case-stages --endpoint` {query_target.format(cases=cases)}"
    if not _ok(server):
        missed = _missed_if_timeout(server)
        return [_target(load_name, outcome(server), bulk_name, missed),
                _target(query_name, outcome(server), "same text over bare HTTP", missed)]  # fmt: skip
    load, bulk = server.get("load"), server.get("bulk_loader")
    found = []
    if _ok(load):
        ratio = _ratio(load["seconds"], bulk["seconds"]) if _ok(bulk) else None
        measured = (
            f"{load['triples_per_s']:,.0f} triples/s ({fmt_seconds(load['seconds'])}, {load['triples']:,} triples), "
            f"{fmt_ratio(ratio)} the bulk loader; client {load['peak_mb']:.0f} MB, "
            f"server {_mb_value(load.get('server_peak_mb') or server.get('server_peak_mb'))}"
        )
        if _ok(bulk):
            baseline = f"{bulk_name} {fmt_seconds(bulk['seconds'])}, {bulk['triples']:,} triples"
            holds = load["triples"] >= bulk["triples"]
        else:
            baseline, holds = f"{bulk_name}: {outcome(bulk)}", load["triples"] > 0
        found.append(_target(load_name, measured, baseline, holds))
    else:
        found.append(_target(load_name, outcome(load), f"{bulk_name}: {outcome(bulk)}", _missed_if_timeout(load)))
    query, raw = server.get("query"), server.get("query_raw")
    if _ok(query):
        if _ok(raw):
            ratio = fmt_ratio(_ratio(query["seconds"], raw["seconds"]))
            baseline = f"same text over bare HTTP {fmt_seconds(raw['seconds'])}, {raw['rows']:,} rows"
        elif raw and raw.get("status") == "timeout":  # the baseline's cap is twice ours: ours is below half of raw
            ratio = fmt_ratio(_ratio(query["seconds"], raw["cap_s"]), "< ")
            baseline = f"same text over bare HTTP: {outcome(raw)}"
        else:
            ratio, baseline = "-", f"same text over bare HTTP: {outcome(raw)}"
        measured = f"{fmt_seconds(query['seconds'])}, {query['rows']:,} rows; {ratio} raw HTTP"
        if query["rows"] < scale:
            measured += f" (every case would be {scale:,}+; docs/portability.md)"
        same_rows = not _ok(raw) or raw["rows"] == query["rows"]
        found.append(_target(query_name, measured, baseline, same_rows and query["rows"] >= scale))
    elif _ok(load):  # loaded; ours did not answer within the cap (or failed): missed, whatever raw did
        found.append(_target(query_name, f"ours {outcome(query)}", "same text over bare HTTP", False))
    else:
        found.append(_target(query_name, "not run: the load did not finish", "same text over bare HTTP",
                             _missed_if_timeout(load)))  # fmt: skip
    return found


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the measured figure, its baseline and whether it holds (None: not measured)."""
    sizes = [str(n) for n in results.get("sizes", [])]
    if not sizes:
        return []
    largest = sizes[-1]
    found = [*_import_targets(results, largest), *_load_targets(results, sizes), *_query_targets(results, largest)]
    make_run = results.get("build", {}).get("make_run")
    found.append(
        _target(
            "`make run` under 60 s cold",
            outcome(make_run),
            "absolute",
            make_run["seconds"] < 60 if _ok(make_run) else None,
        )
    )
    whole = results.get("seconds")
    quick = results.get("quick")
    found.append(
        _target(
            "`make bench` under 15 minutes on 2 cores",
            f"{whole / 60:.1f} min"
            + (" (--quick)" if quick else "")
            + (f" (--only {results['only']})" if results.get("only") else "")
            if whole
            else "-",
            "absolute",
            None if quick or results.get("only") or not whole else whole < 900,
        )
    )
    return found + _scale_targets(results)


def _mb_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MB"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _load_table(results: dict, sizes: list[str]) -> list[str]:
    rows = []
    for n in sizes:
        loads = results.get("load", {}).get(n)
        if not loads:
            continue
        ours, raw = loads.get("ours"), loads.get("raw")
        triples = ours.get("triples") if _ok(ours) else None
        ratio = _ratio(ours["seconds"], raw["seconds"]) if _ok(ours) and _ok(raw) else None
        runs = ours.get("runs", "-") if _ok(ours) else "-"
        rows.append([_cases(n), f"{triples:,}" if triples else "-", outcome(ours), outcome(raw), fmt_ratio(ratio),
                     str(runs), _mb_value(loads.get("peak_mb"))])  # fmt: skip
    header = ["cases", "triples", "ours (`load_files`)", "raw pyoxigraph (`bulk_load`)", "ours / raw", "runs each"]
    return _table([*header, "peak (loads + queries)"], rows)


def _import_table(results: dict, sizes: list[str]) -> list[str]:
    rows = []
    imports = [(n, results.get("cohorts", {}).get(n, {}).get("import")) for n in sizes]
    entry = results.get("scale_out", {})
    if results.get("scale"):
        if entry.get("import_base") != dict(imports).get(sizes[-1]):  # older runs imported the largest cohort twice
            imports.append((sizes[-1], entry.get("import_base")))
        imports.append((str(results["scale"]), entry.get("import")))
    for n, imported in imports:
        if not imported:
            continue
        ok = _ok(imported)
        rate = f"{imported['rows_per_s']:,.0f}" if ok and imported.get("rows_per_s") else "-"
        cpu_rate = f"{imported['rows'] / imported['cpu_s']:,.0f}" if ok and imported.get("cpu_s") else "-"
        peak = imported.get("import_peak_mb") if ok else None
        written = imported.get("format", "-") if ok else "-"
        suffix = Path(imported.get("output", "")).suffix if ok else ""
        size = f"{imported['bytes'] / 1e6:,.1f} MB" if ok and imported.get("bytes") else "-"
        asked = f"-o {imported.get('asked', suffix)}" if ok else "-"
        floor = results.get("cohorts", {}).get(n, {}).get("import_floor") if n in sizes else None
        floor_rate = f"{floor['rows_per_s']:,.0f}" if _ok(floor) and floor.get("rows_per_s") else "-"
        rows.append([_cases(n), asked, written, outcome(imported), rate, cpu_rate, floor_rate, _mb_value(peak), size])
    header = ["cases", "output", "written", "import", "rows/s", "rows/s (CPU)", "floor rows/s (CSV + raw load)"]
    return _table([*header, "import peak", "output size"], rows)


def _query_summary(results: dict, sizes: list[str]) -> list[str]:
    rows = []
    for n in sizes:
        run = results.get("queries", {}).get(n)
        if not run:
            continue
        qrows = _query_table(run)
        vs_raw = [r["vs_raw"] for r in qrows if r["vs_raw"] is not None]
        total = sum(r["ours"]["median_s"] for r in qrows if _ok(r["ours"]))
        worst = max((r for r in qrows if r["vs_raw"] is not None), key=lambda r: r["vs_raw"], default=None)
        not_done = sum(1 for r in qrows if not _ok(r["ours"]))
        rows.append([_cases(n), str(len(qrows)), fmt_seconds(total), fmt_ratio(_geomean(vs_raw)),
                     f"{fmt_ratio(worst['vs_raw'])} ({worst['query']})" if worst else "-", str(not_done)])  # fmt: skip
    header = ["cases", "queries", "sum of medians (ours)", "ours / raw: geomean", "worst", "timeouts or errors"]
    return _table(header, rows)


def _rows(result: dict) -> str:
    return f"{result['rows']:,} rows" if _ok(result) else "-"


def _throughput(result: dict | None) -> str:
    if not _ok(result) or not result.get("seconds"):
        return "-"
    return f"{result['triples'] / result['seconds']:,.0f} triples/s"


def _server_table(server: dict | None, bulk_name: str, load_name: str) -> list[str]:
    if not _ok(server):
        return [f"Not measured: {outcome(server)}."] if server else []
    load, bulk = server.get("load") or {}, server.get("bulk_loader") or {}
    query, raw = server.get("query") or {}, server.get("query_raw") or {}
    rows = [
        [f"{bulk_name} (the baseline)", outcome(bulk), _throughput(bulk), _mb_value(bulk.get("peak_mb")),
         _mb_value(bulk.get("server_peak_mb"))],
        [load_name, outcome(load), _throughput(load), _mb_value(load.get("peak_mb")),
         _mb_value(load.get("server_peak_mb"))],
        ["`sarcoma-kg query case-stages --endpoint`", outcome(query), _rows(query), _mb_value(query.get("peak_mb")),
         _mb_value(server.get("server_peak_mb"))],
        ["case-stages, the `--show` text over bare HTTP (JSON)", outcome(raw), _rows(raw), "-", "-"],
    ]  # fmt: skip
    return _table(["step", "time", "throughput / rows", "client peak", "server peak (VmHWM, so far)"], rows)


def _steps_table(results: dict, top: int = 10) -> list[str]:
    """Where ``make bench``'s minutes went: the longest steps, then the rest together."""
    steps = sorted(results.get("steps", []), key=lambda s: -s["seconds"])
    if not steps:
        return []
    whole = results.get("seconds") or sum(s["seconds"] for s in steps)
    rows = [[s["step"], fmt_seconds(s["seconds"]), f"{100 * s['seconds'] / whole:.0f}%"] for s in steps[:top]]
    rest = sum(s["seconds"] for s in steps[top:])
    if rest:
        rows.append([f"{len(steps) - top} other steps", fmt_seconds(rest), f"{100 * rest / whole:.0f}%"])
    return _table(["step (its own process, caps included)", "wall time", "of the run"], rows)


def _against_bound(floor_s: float | None, bound_s: float) -> str:
    if floor_s is None:
        return "-"
    if floor_s > bound_s:
        return f"**above** it ({fmt_ratio(floor_s / bound_s)}): even the floor misses the bound"
    return f"below it ({fmt_ratio(floor_s / bound_s)}): the engine leaves room"


def _bounds_section(results: dict) -> list[str]:
    """ "What bounds the missed targets": each target with a floor, against it, from this run's measurements."""
    found = bounds(results)
    if not found:
        return []
    out = ["", "## What bounds the missed targets", ""]
    out.append(
        "Each target below set against its floor, measured in the same run: the same store answering the query "
        "with our logic taken out, or the same sheet read and its triples bulk-loaded with no checking. "
        "ours / floor says how far ours is from what the engine can do; a floor above the bound says that no "
        "rewrite of ours on this engine meets it: the work has to move (for case-stages, to the import: below)."
    )
    out.append("")
    rows = []
    for query in CHECKED_QUERIES:
        entry = found.get(query)
        if not entry:
            continue
        rows_note = ""
        if entry["rows"] is not None:
            rows_note = f" ({entry['rows']:,} rows" + ("; one run)" if entry.get("ours_runs") == 1 else ")")
        floor = "not measured in this run" if entry["floor"] == "-" else entry["floor"]
        if entry["floor_s"] is not None:
            floor = f"{fmt_seconds(entry['floor_s'])}: {entry['floor_is']} ({entry['floor_rows'] or 0:,} rows)"
        rows.append([
            f"`{query}` on {_cases(entry['cases'])} cases under {entry['bound_s']:g} s", VERDICT[entry["holds"]],
            entry["ours"] + rows_note, _raw_note(entry), floor,
            fmt_ratio(entry["ours_over_floor"]), _against_bound(entry["floor_s"], entry["bound_s"]),
        ])  # fmt: skip
    imported = found["cases import"]
    if imported.get("import_s"):
        bound_s = imported["cases"] / IMPORT_BOUND
        floor = imported.get("floor", "-")
        floor = "not measured in this run" if floor == "-" else floor
        if imported["floor_s"] is not None:
            floor = (
                f"{fmt_seconds(imported['floor_s'])} ({imported['floor_rows_per_s']:,.0f} rows/s): CSV read "
                f"{fmt_seconds(imported['csv_s'])}, raw `{imported['loader']}` of its {imported['triples']:,} triples "
                f"{fmt_seconds(imported['load_s'])}"
            )
        rows.append([
            f"`cases import` of {_cases(imported['cases'])} rows at {IMPORT_BOUND:,} rows/s "
            f"({fmt_seconds(bound_s)})", VERDICT[imported["holds"]],
            f"{fmt_seconds(imported['import_s'])} ({imported['rows_per_s']:,.0f} rows/s)", "-", floor,
            fmt_ratio(imported["ours_over_floor"]), _against_bound(imported["floor_s"], bound_s),
        ])  # fmt: skip
    header = ["target", "holds", "ours", "raw pyoxigraph, same text", "floor (same run)", "ours / floor"]
    out += _table([*header, "the floor against the bound"], rows)
    shares = imported.get("shares")
    if shares:
        out += [
            "",
            f"`cases import` of {_cases(imported['cases'])} rows ({fmt_seconds(imported['import_s'])}, "
            f"{imported.get('format') or '?'}): reading the CSV {fmt_seconds(imported['csv_s'])} "
            f"({shares['csv_s']:.0%}), the engine loading the same triples {fmt_seconds(imported['load_s'])} "
            f"({shares['load_s']:.0%}); the rest, {fmt_seconds(imported['rest_s'])} ({shares['rest_s']:.0%}), is "
            "the importer's own work: checking rows and resolving their terms, validating each batch with the "
            "shapes, writing the RDF.",
        ]
    staged = found.get("materialised stages")
    if staged and staged.get("status") == "ok":
        every, count = staged.get("stored-stages", {}), staged.get("stage-count", {})
        counts = staged.get("stage_counts") or {}
        out += [
            "",
            f"The route the issue allows for `case-stages`, stages materialised at import (its own row in the "
            f"targets, not case-stages itself: the reason and the staging system are not stored): `cases import "
            f"--materialise-stage -o .nt` of the {_cases(staged['cases'])}-case cohort took "
            f"{fmt_seconds(staged['import_s'])} against {fmt_seconds(staged['without_s'])} without "
            f"({fmt_ratio(staged['import_ratio'])}; {staged.get('staged') or 0:,} cases given a stage, peak "
            f"{_mb_value(staged.get('import_peak_mb'))}). Read back from `sarc:computedStage` on release + that "
            f"file: every case's stage {fmt_seconds(every.get('ours_s'))} ({every.get('rows') or 0:,} rows; raw "
            f"pyoxigraph {fmt_seconds(every.get('raw_s'))}), the stage count of `examples/stage-count.rq` "
            f"{fmt_seconds(count.get('ours_s'))} ({sum(counts.values()):,} cases in {len(counts)} stages).",
        ]
    return out


def render_markdown(results: dict, *, per_query: bool = True) -> str:
    """The report as Markdown: machine, targets, then a table per measured thing (``per_query``: every query)."""
    m = results.get("machine", {})
    sizes = [str(n) for n in results.get("sizes", [])]
    out = ["# sarcoma-kg at cohort scale", ""]
    out.append(
        f"Measured {results.get('started', '?')} on {m.get('cpus')} CPUs ({m.get('cpu')}), {m.get('memory_gb')} GB, "
        f"{m.get('os')}; Python {m.get('python')}, {m.get('java')}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(m.get("packages", {}).items()))
        + f". Cohorts of {', '.join(_cases(n) for n in sizes)} cases"
        + (f", and {_cases(results['scale'])} past one machine" if results.get("scale") else "")
        + f". The whole run took {results.get('seconds', 0) / 60:.1f} min"
        + (" (--quick: short caps, fewer repetitions)." if results.get("quick") else ".")
    )
    out.append("")
    out.append(
        "Every figure is one child process (its own peak memory, killed at its time cap), and every ratio is "
        "against a baseline measured in the same run: raw pyoxigraph in the same process as ours, alternately "
        "(loads: medians of alternating runs; queries: medians after a discarded warm-up, on the very store under "
        "ours); the server's own bulk loader and a bare HTTP client for the server. The data is the inferred "
        "release plus the cohort."
    )
    if "load_average_at_start" in m:
        busiest = max([*m["load_average_at_start"][:1], *m.get("load_average_at_end", [0])[:1]])
        shared = (
            "above the CPU count: other work shared the machine, and the times are inflated by it (ratios of "
            "measurements taken side by side, less so)"
            if busiest > (m.get("cpus") or 1)
            else "at most the CPU count"
        )
        out.append(
            f"Load average (1, 5, 15 min) at the start {m['load_average_at_start']}, at the end "
            f"{m.get('load_average_at_end', '?')}: {shared}."
        )

    out += ["", "## Targets", ""]
    out += _table(
        ["target", "measured", "baseline (same run)", "holds"],
        [[t["target"], t["measured"], t["baseline"], VERDICT[t["holds"]]] for t in targets(results)],
    )
    out += _bounds_section(results)
    out += ["", "## Load: release + cohort into one in-memory store", ""]
    out += _load_table(results, sizes)
    out += ["", "## `cases import` (CSV to RDF, validation included, CLI run)", ""]
    out += _import_table(results, sizes)
    out += ["", "## Stored queries: summary", ""]
    out += _query_summary(results, sizes)
    for n in sizes if per_query else []:
        run = results.get("queries", {}).get(n)
        if not run:
            continue
        out += ["", f"## Stored queries on {_cases(n)} cases (median latency)", ""]
        table_rows = []
        for r in _query_table(run):
            counts = set(r["rows"].values())
            rows_cell = str(counts.pop()) if len(counts) == 1 else ", ".join(f"{k} {v}" for k, v in r["rows"].items())
            floor = r["ours"].get("floor")
            floor_cell = "-" if floor is None else outcome(floor, "median_s")
            if _ok(floor) and _ok(r["ours"]):
                floor_cell += f" ({fmt_ratio(_ratio(r['ours']['median_s'], floor['median_s']))})"
            table_rows.append([r["query"], rows_cell or "-", outcome(r["ours"], "median_s"),
                               outcome(r["raw"], "median_s"), fmt_ratio(r["vs_raw"]), floor_cell])  # fmt: skip
        header = ["query", "rows", "ours", "raw pyoxigraph", "ours / raw", "floor, same store (ours / floor)"]
        out += _table(header, table_rows)
    if results.get("scale"):
        scale_out = results.get("scale_out", {})
        out += ["", f"## Past one machine: {_cases(results['scale'])} cases in an Oxigraph server", ""]
        out += [
            "A fresh on-disk Oxigraph server (`oxigraph serve --union-default-graph`); the bulk loader fills its own "
            "store. Ours queries first, on the server's cold caches, then the same text over bare HTTP, given at "
            "most twice ours (past it, the ratio is a bound): one run each.",
            "",
            *_server_table(
                scale_out.get("server"),
                "`oxigraph load` (bulk loader, offline)",
                "`sarcoma-kg load` release (PUT), then cohort `--bulk`",
            ),
        ]
        out += ["", f"## Past one machine: {_cases(results['scale'])} cases in Virtuoso 7", ""]
        out += [
            "Two fresh Virtuoso 7 servers (open-source edition, Debian): one filled by its bulk loader (`ld_dir`, "
            "`rdf_loader_run`, `checkpoint` through `isql-vt`), one by `sarcoma-kg load` through the Graph Store "
            "Protocol (Digest auth, one PUT per file), then queried with both graphs as the default graph. "
            "Virtuoso answers case-stages with fewer rows than the other stores (docs/portability.md).",
            "",
            *_server_table(
                scale_out.get("virtuoso"), "Virtuoso's bulk loader", "`sarcoma-kg load` release, then cohort (PUT each)"
            ),
        ]

    out += ["", "## SHACL validation of the cohort (shipped shapes)", ""]
    rows = []
    for n in sizes:
        per_mode = results.get("shacl", {}).get(n)
        if not per_mode:
            continue
        cells = [f"{outcome(per_mode.get(k))} ({_mb(per_mode.get(k))})" if k in per_mode else "with --only shacl"
                 for k in ("ours", "jena", "pyshacl")]  # fmt: skip
        counts = " / ".join(str(per_mode[k].get("results")) if _ok(per_mode.get(k)) else "-" for k in per_mode)
        rows.append([_cases(n), *cells, counts])
    out += _table(["cases", "ours", "Apache Jena SHACL", "pyshacl, rdflib graph", "results"], rows)

    if results.get("steps"):
        out += ["", "## Where the time went", ""]
        out += _steps_table(results)
    out += ["", "## Build", ""]
    build = results.get("build", {})
    out += _table(
        ["what", "time", "peak memory"],
        [
            ["sarcoma-kg build (load, HermiT, write)", outcome(build.get("build")), _mb(build.get("build"))],
            ["make run, cold (no dist/)", outcome(build.get("make_run")), _mb(build.get("make_run"))],
        ],
    )
    return "\n".join(out) + "\n"


def summarise(results: dict) -> list[str]:
    """The verdict on each target, one line each, for the terminal."""
    lines = ["", "targets (baselines measured in this run):"]
    verdict = {True: "holds", False: "MISSED", None: "not measured"}
    lines += [f"  [{verdict[t['holds']]}] {t['target']}: {t['measured']}" for t in targets(results)]
    return lines


README_START = "<!-- bench-table:start -->"
README_END = "<!-- bench-table:end -->"


def readme_section(results: dict) -> str:
    """The summary tables for the README: no per-query tables, headings demoted under the README's own."""
    lines = render_markdown(results, per_query=False).splitlines()[2:]  # without the title
    return "\n".join("#### " + line[3:] if line.startswith("## ") else line for line in lines).strip() + "\n"


def update_readme(path: Path, results: dict) -> None:
    """Replace what lies between the bench-table markers of ``path`` with the latest summary."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(README_START) + len(README_START), text.index(README_END)
    path.write_text(text[:start] + "\n" + readme_section(results) + text[end:], encoding="utf-8")


if __name__ == "__main__":
    # python bench/report.py FILE.json [--summary] [--update-readme PART.md]: re-render a saved run.
    data = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    if "--update-readme" in sys.argv:
        update_readme(Path(sys.argv[sys.argv.index("--update-readme") + 1]), data)
    else:
        print(render_markdown(data, per_query="--summary" not in sys.argv[2:]))
        print("\n".join(summarise(data)))
