"""One benchmark measurement, run in its own process by ``bench/run.py``.

Each measurement runs in a fresh child process so that its peak memory is its own (``ru_maxrss`` of this
process and of the children it waited for, e.g. Java for HermiT or Jena) and so that a measurement that runs
too long (rdflib's engine on a large cohort, pyshacl on 1M triples) can be killed and reported as a timeout.

Usage (by run.py): ``python bench/worker.py '<json spec>'``; the result is one JSON line on standard output,
prefixed with ``BENCH-RESULT``. Imports are done inside each task so the raw-pyoxigraph measurements do not
pay for rdflib in their memory figure.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["main", "peak_rss_mb"]

RESULT_PREFIX = "BENCH-RESULT "
CLI = str(Path(sys.executable).parent / "sarcoma-kg")


def peak_rss_mb() -> float:
    """Peak resident memory of this process or of any child it has waited for, in MB (ru_maxrss is KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


# --------------------------------------------------------------------------------------------------- loading


def _loader(mode: str) -> Callable[[list[str]], tuple[Any, int]]:
    """A function loading files the way ``mode`` says, returning (store or graph, triple count).

    Modules are imported here, before any timing starts: a load time is the parse, not Python's imports.
    """
    if mode == "pyoxigraph":
        import pyoxigraph as ox

        def load_raw(files: list[str]) -> tuple[Any, int]:
            store = ox.Store()
            for file in files:
                store.bulk_load(path=file, format=ox.RdfFormat.TURTLE)
            return store, len(store)

        return load_raw
    if mode == "rdflib":
        from rdflib import Graph

        def load_rdflib(files: list[str]) -> tuple[Any, int]:
            graph = Graph()
            for file in files:
                graph.parse(file, format="turtle")
            return graph, len(graph)

        return load_rdflib
    from sarcoma_kg.graph import StoreKind, load_files

    def load_ours(files: list[str]) -> tuple[Any, int]:
        graph = load_files(files, store=StoreKind(mode))
        return graph, len(graph)

    return load_ours


def task_load(spec: dict) -> dict:
    """Parse the release plus a cohort into one store: Oxigraph (ours), rdflib memory, rdflib's parser, raw."""
    load = _loader(spec["mode"])
    seconds, (_, triples) = _timed(lambda: load(spec["files"]))
    return {"seconds": seconds, "triples": triples}


# --------------------------------------------------------------------------------------------------- queries


def _catalogue() -> list[Any]:
    from sarcoma_kg import queries

    return list(queries.load_catalogue())


def _query_runners(mode: str, target: Any) -> dict[str, Callable[[Any], int]]:
    """Functions running one stored query (default parameters) to its last row; each returns the row count.

    ``ours`` is the library's own path (``queries.run_local`` on the rdflib Graph, rows converted to rdflib
    terms). On the Oxigraph store, ``raw`` runs the same text with the same bindings (the library's ``VALUES``
    block: Oxigraph's ``substitutions`` refuse variables that are not projected) and the same prefixes straight
    on the pyoxigraph store underneath: the in-process limit, measured on the very same store, alternately with
    ours, so that whatever else the machine is doing weighs on both alike.
    """
    from sarcoma_kg import queries

    def run_ours(stored: Any) -> int:
        return len(queries.run_local(target, stored.text, queries.bind_params(stored)).rows)

    runners = {"ours": run_ours}
    if mode == "oxigraph":
        import pyoxigraph as ox

        from sarcoma_kg.graph import ox_store
        from sarcoma_kg.namespaces import PREFIXES

        store = ox_store(target)
        prefixes = dict(PREFIXES)

        texts: dict[str, str] = {}

        def run_raw(stored: Any) -> int:
            if stored.name not in texts:  # the limit: Oxigraph alone, so the text is prepared once, untimed
                texts[stored.name] = queries.inject_bindings(stored.text, queries.bind_params(stored))
            result = store.query(texts[stored.name], prefixes=prefixes)
            if isinstance(result, ox.QueryBoolean):
                return 1
            return sum(1 for _ in result)

        runners["raw"] = run_raw
    return runners


def _time_query(
    runs: dict[str, Callable[[], int]],
    reps: int,
    report: Callable[[str, float, int], None],
) -> None:
    """Run a query until its median is trustworthy: one discarded warm-up each, then ``reps`` rounds when fast.

    Each round runs every runner once, in turn, so paired measurements see the same machine conditions.
    """
    slowest = 0.0
    for label, run in runs.items():
        seconds, rows = _timed(run)
        report(label, seconds, rows)
        slowest = max(slowest, seconds)
    rounds = reps if slowest < 0.5 else 2 if slowest < 5 else 0
    for _ in range(rounds):
        for label, run in runs.items():
            seconds, rows = _timed(run)
            report(label, seconds, rows)


def _summarise(times: list[float], rows: int | None) -> dict:
    # With a warm-up, the first timing is discarded whenever later ones exist.
    measured = times[1:] if len(times) > 1 else times
    return {
        "status": "ok",
        "median_s": statistics.median(measured),
        "runs": len(measured),
        "rows": rows,
    }


def _run_forked(runs: dict[str, Callable[[], int]], reps: int, cap: float) -> dict:
    """Time a query in a forked child (copy-on-write view of the loaded store) and kill it after ``cap`` s.

    Returns the outcome of ``ours``, with the outcome of each other runner nested under its label.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            _time_query(
                runs,
                reps,
                lambda label, seconds, rows: sender.send((label, seconds, rows)),
            )
        except Exception as exc:  # reported as this query's outcome
            sender.send((None, _one_line(exc), None))
        sender.close()

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    deadline = time.monotonic() + cap
    times: dict[str, list[float]] = {label: [] for label in runs}
    rows: dict[str, int] = {}
    error = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not receiver.poll(remaining):
            break
        try:
            label, seconds, count = receiver.recv()
        except EOFError:
            break
        if label is None:
            error = seconds
            break
        times[label].append(seconds)
        rows[label] = count
    timed_out = process.is_alive()
    if timed_out:
        process.kill()
    process.join()
    outcomes = {}
    for label in runs:
        if error is not None:
            outcomes[label] = {"status": "error", "error": error}
        elif times[label]:
            outcomes[label] = _summarise(times[label], rows[label])
        else:
            outcomes[label] = {
                "status": "timeout" if timed_out else "error",
                "cap_s": cap,
            }
    result = outcomes.pop("ours")
    return result | outcomes


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def task_queries(spec: dict) -> dict:
    """Load once, then time every stored query (default parameters) on that store.

    A query can take minutes (rdflib's engine on a cohort; a pathological plan on any engine), so each runs in a
    forked child (a copy-on-write view of the loaded store) killed after ``cap_s``; all of them together get
    ``budget_s``; queries named in ``skip`` (timed out on a smaller cohort) are not run again.
    """
    mode = spec["mode"]
    load = _loader(mode)
    load_seconds, (target, triples) = _timed(lambda: load(spec["files"]))
    runners = _query_runners(mode, target)
    results: dict[str, dict] = {}
    budget_end = time.monotonic() + spec.get("budget_s", 1e9)
    for stored in _catalogue():
        name = stored.name
        if name in spec.get("skip", ()):
            results[name] = {"status": "skipped", "reason": spec["skip"][name]}
            continue
        remaining = budget_end - time.monotonic()
        if remaining < 1:
            results[name] = {
                "status": "skipped",
                "reason": f"time budget of {spec['budget_s']:.0f} s spent",
            }
            continue
        runs = {label: (lambda r=run, s=stored: r(s)) for label, run in runners.items()}
        results[name] = _run_forked(runs, spec["reps"], min(spec["cap_s"], remaining))
    return {"load_s": load_seconds, "triples": triples, "queries": results}


# --------------------------------------------------------------------------------------------------- cases


def _run_checked(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    seconds, done = _timed(lambda: subprocess.run(command, capture_output=True, text=True, check=False))
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[1:3])} exited {done.returncode}: {(done.stderr or done.stdout)[-1500:]}")
    return seconds, done


def task_generate(spec: dict) -> dict:
    """The cases helper's seeded generator, through the CLI as a user would run it."""
    command = [
        CLI,
        "cases",
        "generate",
        "--n",
        str(spec["n"]),
        "--seed",
        str(spec["seed"]),
        "-o",
        spec["output"],
    ]
    command += ["--build-dir", spec["build_dir"]]
    seconds, _ = _run_checked(command)
    return {"seconds": seconds}


_RAW_LOAD = """
import sys, time
import pyoxigraph as ox
started = time.perf_counter()
store = ox.Store()
store.load(path=sys.argv[1], format=ox.RdfFormat.TURTLE)
print(time.perf_counter() - started, len(store))
"""


def task_import(spec: dict) -> dict:
    """CSV import throughput: the cases pipeline (read, check, resolve, validate, write Turtle), as a user runs it.

    ``--skip-invalid`` so that a row the importer rejects is counted (``problems``) rather than stopping the run.
    The baseline, measured right after in its own process: raw pyoxigraph loading the Turtle the import wrote
    (the engine's own cost of taking in those triples once; the import parses them twice, for the shapes and
    for the output, besides reading and checking the sheet). ``cpu_s`` is the import's own CPU time, which a
    busy machine inflates less than the wall clock.
    """
    command = [
        CLI,
        "cases",
        "import",
        spec["csv"],
        "-o",
        spec["output"],
        "--build-dir",
        spec["build_dir"],
        "--skip-invalid",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, done = _run_checked(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    import_peak = peak_rss_mb()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    skipped = sum(1 for line in done.stderr.splitlines() if line.startswith("skipped:"))
    with open(spec["csv"], encoding="utf-8", newline="") as sheet:
        rows = max(0, sum(1 for _ in csv.reader(sheet)) - 1)
    _, raw = _run_checked([sys.executable, "-c", _RAW_LOAD, spec["output"]])
    raw_seconds, triples = raw.stdout.split()
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "rows": rows,
        "problems": skipped,
        "rows_per_s": rows / seconds if seconds else None,
        "import_peak_mb": import_peak,
        "raw_load_s": float(raw_seconds),
        "triples": int(triples),
        "vs_raw_load": seconds / float(raw_seconds) if float(raw_seconds) else None,
    }


# --------------------------------------------------------------------------------------------------- SHACL


def _count_results(report: Any, reference: list[str], data: list[str]) -> dict:
    """A peer's results counted as ours are: not those about nodes only the reference (ontology, KB) describes.

    ``sarcoma-kg validate FILE`` loads the ontology and knowledge base beside the file (class hierarchy, staging
    rules) and reports only on what the file describes; pyshacl and Jena see one merged graph, so their results
    are filtered the same way.
    """
    import pyoxigraph as ox
    from rdflib import URIRef
    from rdflib.namespace import RDF, SH

    def subjects(files: list[str]) -> set[str]:
        store = ox.Store()
        for file in files:
            store.bulk_load(path=file, format=ox.RdfFormat.TURTLE)
        return {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}

    in_reference, in_data = subjects(reference), subjects(data)
    kept = 0
    results = set(report.subjects(RDF.type, SH.ValidationResult))
    for result in results:
        focus = report.value(result, SH.focusNode)
        if isinstance(focus, URIRef) and str(focus) in in_reference and str(focus) not in in_data:
            continue
        kept += 1
    conforms = next(iter(report.objects(None, SH.conforms)), None)
    return {
        "results": kept,
        "all_results": len(results),
        "conforms": None if conforms is None else conforms.toPython(),
    }


def task_shacl(spec: dict) -> dict:
    """Validate the cohort with the shipped shapes: ours, pyshacl on a plain rdflib graph, or Apache Jena."""
    mode = spec["mode"]
    if mode == "ours":
        from sarcoma_kg import validate

        seconds, report = _timed(lambda: validate.validate(spec["data"]))
        return {
            "seconds": seconds,
            "results": len(report.results),
            "conforms": report.conforms,
        }
    if mode == "pyshacl":
        import pyshacl
        from rdflib import Graph

        def run() -> Graph:
            data = Graph()
            for file in [*spec["reference"], *spec["data"]]:
                data.parse(file, format="turtle")
            shapes = Graph()
            for file in spec["shapes"]:
                shapes.parse(file, format="turtle")
            _, report, _ = pyshacl.validate(data, shacl_graph=shapes, advanced=True, allow_warnings=True)
            return report

        seconds, report = _timed(run)
        return {
            "seconds": seconds,
            **_count_results(report, spec["reference"], spec["data"]),
        }
    if mode == "jena":
        command = [
            spec["jena"],
            "shacl.shacl",
            "validate",
            "--shapes",
            spec["shapes_file"],
            "--data",
            spec["data_file"],
        ]
        seconds, done = _timed(lambda: subprocess.run(command, capture_output=True, text=True, check=False))
        if done.returncode not in (0, 1):
            raise RuntimeError(f"jena exited {done.returncode}: {done.stderr[-2000:]}")
        from rdflib import Graph

        report = Graph().parse(data=done.stdout, format="turtle")
        return {
            "seconds": seconds,
            **_count_results(report, spec["reference"], spec["data"]),
        }
    raise ValueError(f"unknown SHACL mode {mode}")


# --------------------------------------------------------------------------------------------------- build


def task_build(spec: dict) -> dict:
    """The release build end to end (load, HermiT, write) through the CLI, as ``make run`` does it."""
    command = spec["command"]
    env = dict(os.environ, **spec.get("env", {}))
    seconds, done = _timed(lambda: subprocess.run(command, capture_output=True, text=True, env=env, check=False))
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}: {(done.stderr or done.stdout)[-2000:]}")
    return {"seconds": seconds}


TASKS: dict[str, Callable[[dict], dict]] = {
    "load": task_load,
    "queries": task_queries,
    "generate": task_generate,
    "import": task_import,
    "shacl": task_shacl,
    "build": task_build,
}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    result = TASKS[spec["task"]](spec)
    result["peak_mb"] = peak_rss_mb()
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
