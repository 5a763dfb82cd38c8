"""Turn the benchmark's JSON into the Markdown tables, the ratios and the verdict on the issue's targets.

Kept apart from ``run.py`` so a saved ``latest.json`` can be re-rendered (``python bench/report.py FILE``)
without measuring again.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

__all__ = ["readme_section", "render_markdown", "summarise_ratios", "targets", "update_readme"]

LOAD_MODES = {
    "oxigraph": "Oxigraph (default)",
    "memory": "rdflib memory store",
    "rdflib": "rdflib parser + store",
    "pyoxigraph": "raw pyoxigraph",
}


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
        return f"timeout (> {result.get('cap_s', 0):.0f} s)"
    if status == "skipped":
        return f"not run: {result.get('reason', '')}"
    return f"error: {result.get('error', '')[:80]}"


def _mb(result: dict | None) -> str:
    if not result or result.get("peak_mb") is None:
        return "-"
    return f"{result['peak_mb']:.0f} MB"


def _ok(result: dict | None) -> bool:
    return bool(result) and result.get("status", "ok") == "ok"


def _query_table(per_mode: dict) -> tuple[list[str], list[dict]]:
    """Per query: its rows and median on each store, with the two ratios."""
    ours = per_mode.get("oxigraph", {}).get("queries", {})
    # Raw pyoxigraph is timed in the same process as ours, on the same store (nested); older runs had their own.
    raw = {name: q["raw"] for name, q in ours.items() if isinstance(q.get("raw"), dict)}
    raw = raw or per_mode.get("pyoxigraph", {}).get("queries", {})
    memory = per_mode.get("memory", {}).get("queries", {})
    names = sorted(set(raw) | set(ours) | set(memory))
    rows = []
    for name in names:
        r, o, m = raw.get(name), ours.get(name), memory.get(name)
        row: dict[str, Any] = {"query": name, "raw": r, "ours": o, "memory": m}
        row["vs_raw"] = (o["median_s"] / r["median_s"]) if _ok(o) and _ok(r) and r["median_s"] else None
        if _ok(o) and o["median_s"]:
            if _ok(m):
                row["memory_vs_ours"], row["bound"] = m["median_s"] / o["median_s"], ""
            elif m and m.get("status") == "timeout":
                row["memory_vs_ours"], row["bound"] = m["cap_s"] / o["median_s"], ">"
            else:
                row["memory_vs_ours"], row["bound"] = None, ""
        else:
            row["memory_vs_ours"], row["bound"] = None, ""
        row_counts = {k: v.get("rows") for k, v in (("raw", r), ("ours", o), ("memory", m)) if _ok(v)}
        row["rows"] = row_counts
        rows.append(row)
    return names, rows


def _geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def targets(results: dict) -> list[dict]:
    """The issue's targets, each with the measured figure and whether it holds (None: not measured)."""
    sizes = [str(n) for n in results.get("sizes", [])]
    largest = sizes[-1] if sizes else None
    found: list[dict] = []

    if largest and largest in results.get("queries", {}):
        _, rows = _query_table(results["queries"][largest])
        vs_raw = [r["vs_raw"] for r in rows if r["vs_raw"] is not None]
        worst = max(rows, key=lambda r: r["vs_raw"] or 0, default=None)
        found.append(
            {
                "target": f"stored queries on {largest} cases within 1.5x of raw pyoxigraph",
                "measured": (
                    f"worst {fmt_ratio(worst['vs_raw'])} ({worst['query']}), "
                    f"geometric mean {fmt_ratio(_geomean(vs_raw))}"
                    if vs_raw
                    else "not measured"
                ),
                "holds": (max(vs_raw) <= 1.5) if vs_raw else None,
            }
        )
        speedups = [r for r in rows if r["memory_vs_ours"] is not None]
        slowest = min(speedups, key=lambda r: r["memory_vs_ours"], default=None)
        found.append(
            {
                "target": f"stored queries on {largest} cases at least 100x faster than rdflib memory",
                "measured": (
                    f"least {fmt_ratio(slowest['memory_vs_ours'], slowest['bound'])} ({slowest['query']}), "
                    f"geometric mean {fmt_ratio(_geomean([r['memory_vs_ours'] for r in speedups]))}"
                    if slowest
                    else "not measured"
                ),
                "holds": (slowest["memory_vs_ours"] >= 100) if slowest else None,
            }
        )

    imported = results.get("cohorts", {}).get(largest, {}).get("import") if largest else None
    if _ok(imported) and imported.get("rows_per_s"):
        peak = imported.get("import_peak_mb", imported.get("peak_mb")) or 0
        found.append(
            {
                "target": f"cases import of {largest} rows at least 10,000 rows/s including validation, under 600 MB",
                "measured": f"{imported['rows_per_s']:,.0f} rows/s, {peak:.0f} MB; "
                f"{fmt_ratio(imported.get('vs_raw_load'))} raw pyoxigraph's load of the output",
                "holds": imported["rows_per_s"] >= 10_000 and peak < 600,
            }
        )

    load_ratios = []
    for n in sizes:
        loads = results.get("load", {}).get(n, {})
        if _ok(loads.get("oxigraph")) and _ok(loads.get("rdflib")):
            load_ratios.append((n, loads["rdflib"]["seconds"] / loads["oxigraph"]["seconds"]))
    if load_ratios:
        found.append(
            {
                "target": "cohort load at least 15x faster than rdflib",
                "measured": ", ".join(f"{n} cases {fmt_ratio(r)}" for n, r in load_ratios),
                "holds": all(r >= 15 for _, r in load_ratios),
            }
        )

    shacl = results.get("shacl", {})
    if "10000" in shacl:
        ours, jena = shacl["10000"].get("ours"), shacl["10000"].get("jena")
        if _ok(ours) and _ok(jena):
            ratio = ours["seconds"] / jena["seconds"]
            same = ours.get("results") == jena.get("results")
            found.append(
                {
                    "target": "SHACL of 10k cases within 2x of Apache Jena, same results",
                    "measured": f"{fmt_ratio(ratio)} "
                    f"({fmt_seconds(ours['seconds'])} vs {fmt_seconds(jena['seconds'])}); "
                    f"results {ours.get('results')} vs {jena.get('results')}",
                    "holds": ratio <= 2 and same,
                }
            )
    if "50000" in shacl:
        ours = shacl["50000"].get("ours")
        found.append(
            {
                "target": "SHACL of 50k cases under 2 minutes and 4 GB",
                "measured": f"{outcome(ours)}, {_mb(ours)}",
                "holds": (_ok(ours) and ours["seconds"] < 120 and ours["peak_mb"] < 4096) if ours else None,
            }
        )

    make_run = results.get("build", {}).get("make_run")
    if _ok(make_run):
        found.append(
            {
                "target": "make run under 60 s cold",
                "measured": fmt_seconds(make_run["seconds"]),
                "holds": make_run["seconds"] < 60,
            }
        )
    if "seconds" in results and not results.get("quick"):
        found.append(
            {
                "target": "make bench under 15 minutes",
                "measured": f"{results['seconds'] / 60:.1f} min",
                "holds": results["seconds"] < 900,
            }
        )
    return found


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _cases(n: str) -> str:
    value = int(n)
    return f"{value // 1000}k" if value >= 1000 and value % 1000 == 0 else str(value)


def _query_summary(results: dict, sizes: list[str]) -> list[str]:
    rows = []
    for n in sizes:
        per_mode = results.get("queries", {}).get(n)
        if not per_mode:
            continue
        _, qrows = _query_table(per_mode)
        vs_raw = [r["vs_raw"] for r in qrows if r["vs_raw"] is not None]
        vs_mem = [r for r in qrows if r["memory_vs_ours"] is not None]
        least = min(vs_mem, key=lambda r: r["memory_vs_ours"], default=None)
        not_done = sum(1 for r in qrows if r["memory"] and r["memory"].get("status") in ("timeout", "skipped"))
        total = sum(r["ours"]["median_s"] for r in qrows if _ok(r["ours"]))
        rows.append(
            [
                _cases(n),
                str(len(qrows)),
                fmt_seconds(total),
                fmt_ratio(_geomean(vs_raw)),
                fmt_ratio(max(vs_raw, default=None)),
                fmt_ratio(_geomean([r["memory_vs_ours"] for r in vs_mem])),
                f"{fmt_ratio(least['memory_vs_ours'], least['bound'])} ({least['query']})" if least else "-",
                str(not_done),
            ]
        )
    header = ["cases", "queries", "sum of medians (default)", "default / raw: geomean", "worst"]
    header += ["rdflib memory / default: geomean", "least", "rdflib timeouts or not run"]
    return _table(header, rows)


def render_markdown(results: dict, *, per_query: bool = True) -> str:
    """The report as Markdown: machine, targets, then a table per measured thing (``per_query``: every query)."""
    m = results.get("machine", {})
    sizes = [str(n) for n in results.get("sizes", [])]
    out = ["# sarcoma-kg at cohort scale", ""]
    out.append(
        f"Measured {results.get('started', '?')} on {m.get('cpus')} CPUs ({m.get('cpu')}), {m.get('memory_gb')} GB, "
        f"{m.get('os')}; Python {m.get('python')}, {m.get('java')}, Apache Jena {m.get('jena')}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(m.get("packages", {}).items()))
        + f". The whole run took {results.get('seconds', 0) / 60:.1f} min"
        + (" (--quick: short caps, fewer repetitions)." if results.get("quick") else ".")
    )
    out.append("")
    out.append(
        "Every figure is one child process (its own peak memory, killed at its time cap). Query times are medians "
        "after a discarded warm-up; the data is the inferred release plus the cohort. Load times of the default "
        "and memory stores come from their query runs (each loads once, then queries; its peak memory includes "
        "the queries); raw pyoxigraph is timed on the default store's own pyoxigraph store, alternately with ours."
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
    verdict = {True: "yes", False: "**no**", None: "not measured"}
    out += _table(
        ["target", "measured", "holds"],
        [[t["target"], t["measured"], verdict[t["holds"]]] for t in targets(results)],
    )

    out += ["", "## Load: release + cohort into one store", ""]
    rows = []
    for n in sizes:
        loads = results.get("load", {}).get(n)
        if not loads:
            continue
        triples = next(
            (r.get("triples") for r in loads.values() if _ok(r) and r.get("triples")),
            None,
        )
        ratio = (
            loads["rdflib"]["seconds"] / loads["oxigraph"]["seconds"]
            if _ok(loads.get("rdflib")) and _ok(loads.get("oxigraph"))
            else None
        )
        cells = [f"{outcome(loads.get(mode))} ({_mb(loads.get(mode))})" for mode in LOAD_MODES]
        rows.append([_cases(n), f"{triples:,}" if triples else "-", *cells, fmt_ratio(ratio)])
    out += _table(["cases", "triples", *LOAD_MODES.values(), "rdflib parser / default"], rows)

    out += ["", "## CSV import (cases pipeline, CSV to Turtle, CLI run)", ""]
    out += [
        "Baseline: raw pyoxigraph loading the Turtle the import wrote, in its own process right after the import "
        "(the engine's cost of taking those triples in once). CPU rows/s divides by the import's own CPU time.",
        "",
    ]
    rows = []
    for n in sizes:
        cohort = results.get("cohorts", {}).get(n, {})
        imported = cohort.get("import")
        ok = _ok(imported)
        rate = f"{imported['rows_per_s']:,.0f}" if ok and imported.get("rows_per_s") else "-"
        cpu_rate = f"{imported['rows'] / imported['cpu_s']:,.0f}" if ok and imported.get("cpu_s") else "-"
        raw = fmt_seconds(imported["raw_load_s"]) if ok and "raw_load_s" in imported else "-"
        peak = imported.get("import_peak_mb", imported.get("peak_mb")) if ok else None
        rows.append(
            [
                _cases(n),
                outcome(cohort.get("generate")),
                outcome(imported),
                rate,
                cpu_rate,
                f"{peak:.0f} MB" if peak is not None else "-",
                raw,
                fmt_ratio(imported.get("vs_raw_load")) if ok and imported.get("vs_raw_load") else "-",
            ]
        )
    out += _table(
        ["cases", "generate", "import", "rows/s", "rows/s (CPU)", "import peak", "raw load of output",
         "import / raw load"],
        rows,
    )  # fmt: skip

    out += ["", "## Stored queries: summary (ratios per query, timeouts counted at their cap)", ""]
    out += _query_summary(results, sizes)
    for n in sizes if per_query else []:
        per_mode = results.get("queries", {}).get(n)
        if not per_mode:
            continue
        out += ["", f"## Stored queries on {_cases(n)} cases (median latency)", ""]
        out.append(
            f"Peak memory of the query runs: default (with raw pyoxigraph) {_mb(per_mode.get('oxigraph'))}, "
            f"rdflib memory {_mb(per_mode.get('memory'))}. Raw pyoxigraph runs on the very store under ours, "
            "alternately with it."
        )
        out.append("")
        _, qrows = _query_table(per_mode)
        table_rows = []
        for r in qrows:
            counts = set(r["rows"].values())
            rows_cell = (
                str(counts.pop())
                if len(counts) == 1
                else "differ: " + ", ".join(f"{k} {v}" for k, v in r["rows"].items())
            )
            table_rows.append(
                [
                    r["query"],
                    rows_cell,
                    outcome(r["ours"], "median_s"),
                    outcome(r["raw"], "median_s"),
                    outcome(r["memory"], "median_s"),
                    fmt_ratio(r["vs_raw"]),
                    fmt_ratio(r["memory_vs_ours"], r["bound"]),
                ]
            )
        out += _table(
            [
                "query",
                "rows",
                "default",
                "raw pyoxigraph",
                "rdflib memory",
                "default / raw",
                "memory / default",
            ],
            table_rows,
        )

    out += ["", "## SHACL validation of the cohort (shipped shapes)", ""]
    rows = []
    for n in sizes:
        per_mode = results.get("shacl", {}).get(n)
        if not per_mode:
            continue
        ours, jena, plain = (
            per_mode.get("ours"),
            per_mode.get("jena"),
            per_mode.get("pyshacl"),
        )
        counts = " / ".join(str(r.get("results")) if _ok(r) else "-" for r in (ours, jena, plain))
        ratio = ours["seconds"] / jena["seconds"] if _ok(ours) and _ok(jena) else None
        rows.append(
            [
                _cases(n),
                f"{outcome(ours)} ({_mb(ours)})",
                f"{outcome(jena)} ({_mb(jena)})",
                f"{outcome(plain)} ({_mb(plain)})",
                counts,
                fmt_ratio(ratio),
            ]
        )
    out += _table(
        [
            "cases",
            "ours",
            "Apache Jena SHACL",
            "pyshacl, rdflib graph",
            "results ours / Jena / pyshacl",
            "ours / Jena",
        ],
        rows,
    )

    out += ["", "## Build", ""]
    build = results.get("build", {})
    out += _table(
        ["what", "time", "peak memory"],
        [
            [
                "sarcoma-kg build (load, HermiT, write)",
                outcome(build.get("build")),
                _mb(build.get("build")),
            ],
            [
                "make run, cold (no dist/)",
                outcome(build.get("make_run")),
                _mb(build.get("make_run")),
            ],
        ],
    )
    return "\n".join(out) + "\n"


def summarise_ratios(results: dict) -> list[str]:
    """The ratios against the same run's baselines, one line each, for the terminal."""
    lines = ["", "ratios (baselines measured in this run):"]
    for n in (str(s) for s in results.get("sizes", [])):
        loads = results.get("load", {}).get(n, {})
        if _ok(loads.get("oxigraph")) and _ok(loads.get("rdflib")):
            ratio = loads["rdflib"]["seconds"] / loads["oxigraph"]["seconds"]
            lines.append(f"  load {_cases(n)}: rdflib parser / default = {fmt_ratio(ratio)}")
        per_mode = results.get("queries", {}).get(n)
        if per_mode:
            _, rows = _query_table(per_mode)
            vs_raw = [r["vs_raw"] for r in rows if r["vs_raw"]]
            vs_mem = [r["memory_vs_ours"] for r in rows if r["memory_vs_ours"]]
            if vs_raw:
                lines.append(
                    f"  queries {_cases(n)}: default / raw pyoxigraph: "
                    f"geomean {fmt_ratio(_geomean(vs_raw))}, worst {fmt_ratio(max(vs_raw))}"
                )
            if vs_mem:
                lines.append(
                    f"  queries {_cases(n)}: rdflib memory / default: geomean {fmt_ratio(_geomean(vs_mem))}, "
                    f"least {fmt_ratio(min(vs_mem))} (timeouts count at their cap)"
                )
        shacl = results.get("shacl", {}).get(n, {})
        if _ok(shacl.get("ours")) and _ok(shacl.get("jena")):
            ratio = shacl["ours"]["seconds"] / shacl["jena"]["seconds"]
            lines.append(f"  SHACL {_cases(n)}: ours / Jena = {fmt_ratio(ratio)}")
    verdict = {True: "holds", False: "MISSED", None: "not measured"}
    lines.append("targets:")
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
        print("\n".join(summarise_ratios(data)))
