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
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Measured", "main", "peak_rss_mb", "run_measured"]

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


def _raw_load(files: list[str]) -> tuple[Any, int]:
    """Raw pyoxigraph's own load: its bulk loader straight into a fresh in-memory store (the engine's limit)."""
    import pyoxigraph as ox

    store = ox.Store()
    for file in files:
        store.bulk_load(path=file, format=ox.RdfFormat.from_extension(Path(file).suffix[1:]))
    return store, len(store)


def _our_load(files: list[str]) -> tuple[Any, int]:
    """Our path: ``graph.load_files`` into the default store (Oxigraph behind rdflib's Graph)."""
    from sarcoma_kg.graph import load_files

    graph = load_files(files)
    return graph, len(graph)


def _paired_loads(files: list[str], reps: int) -> tuple[dict, Any]:
    """Ours and raw pyoxigraph loading the same files, alternately in this one process, ``reps`` times each.

    The files are read once before (both then find them in the page cache); the order alternates (raw first,
    then ours first) so that neither always comes second; each store is dropped before the next load starts.
    Returns the medians and the last graph ours loaded (the queries run on it).
    """
    import gc

    import pyoxigraph  # noqa: F401  (imported before timing: a load time is the parse, not Python's imports)

    import sarcoma_kg.graph  # noqa: F401

    for file in files:
        Path(file).read_bytes()
    times: dict[str, list[float]] = {"ours": [], "raw": []}
    triples: dict[str, int] = {}
    graph = None
    for rep in range(reps):
        order = ("raw", "ours") if rep % 2 == 0 else ("ours", "raw")
        for label in order:
            graph = None
            gc.collect()
            seconds, (loaded, count) = _timed(lambda label=label: (_our_load if label == "ours" else _raw_load)(files))
            times[label].append(seconds)
            triples[label] = count
            if label == "ours":
                graph = loaded
            del loaded
    if graph is None:  # the last load was raw's: load ours once more, untimed, for the queries
        graph, _ = _our_load(files)
    result = {
        label: {"status": "ok", "seconds": statistics.median(values), "runs": len(values), "triples": triples[label]}
        for label, values in times.items()
    }
    return result, graph


# --------------------------------------------------------------------------------------------------- queries


def _catalogue() -> list[Any]:
    from sarcoma_kg import queries

    return list(queries.load_catalogue())


#: The engine's floor under a stored query: the same store answering a query with the logic taken out, so that
#: the report can say how far ours is from what the engine can do at all (``ours / floor``).
#:
#: - case-stages: only the facts a stage depends on (case, case id, tumour, site, size, grade, nodal spread,
#:   distant metastasis, the tumour's and the site's classes): no hierarchy walk, no rule, no aggregate, no sort.
#: - case-treatment-options: as many rows as the answer, with the answer's ten columns, every value a stored term
#:   (each case's id beside each therapy statement's own values, cut at the answer's row count): no matching of
#:   conditions, no wording, no ``DISTINCT``, no sort. ``%(rows)d`` is the answer's row count, taken from ours.
FLOOR_QUERIES = {
    "case-stages": """
SELECT ?case ?case_id ?tumour ?site ?size ?grade ?nodes ?metastasis ?tumourClass ?siteClass
WHERE {
  ?case a sarc:PatientCase ; sarc:hasDiagnosis ?tumour ; sarc:caseId ?case_id .
  ?tumour sarc:hasPrimarySite ?site ; a ?tumourClass .
  ?site a ?siteClass .
  OPTIONAL { ?tumour sarc:tumourSizeCm ?size }
  OPTIONAL { ?tumour sarc:hasGrade ?grade }
  OPTIONAL { ?tumour sarc:hasNodalSpread ?nodes }
  OPTIONAL { ?tumour sarc:hasDistantMetastasis ?metastasis }
}""",
    "case-treatment-options": """
SELECT ?case_id ?stage ?staging_system ?therapy ?therapyLabel ?conditions ?recommendationStatus ?evidenceLevel
    ?source ?sourceTitle
WHERE {
  ?case a sarc:PatientCase ; sarc:caseId ?case_id .
  ?statement a sarc:TherapyStatement ; sarc:therapy ?therapy ; dcterms:source ?source ; rdfs:label ?conditions ;
             sarc:recommendationStatus ?recommendationStatus .
  OPTIONAL { ?therapy rdfs:label ?therapyLabel }
  OPTIONAL { ?statement sarc:evidenceLevel ?evidenceLevel }
  OPTIONAL { ?source dcterms:title ?sourceTitle }
  OPTIONAL { ?recommendationStatus rdfs:label ?stage }
  OPTIONAL { ?statement sarc:forStagingSystem/rdfs:label ?staging_system }
}
LIMIT %(rows)d""",
}


def _query_runners(target: Any) -> dict[str, Callable[[Any], int]]:
    """Functions running one stored query (default parameters) to its last row; each returns the row count.

    ``ours`` is the library's own path (``queries.run_local`` on the rdflib Graph, rows converted to rdflib
    terms). ``raw`` runs the same text with the same bindings (the library's ``VALUES`` block: Oxigraph's
    ``substitutions`` refuse variables that are not projected) and the same prefixes straight on the pyoxigraph
    store underneath: the in-process limit, measured on the very same store, alternately with ours, so that
    whatever else the machine is doing weighs on both alike. ``floor`` (for the queries of ``FLOOR_QUERIES``)
    runs the query's floor on that same store; it comes after ours, whose row count it may need.
    ``ours_untimed``: ours without the library's query time limit (a query given a longer cap than it).
    """
    import pyoxigraph as ox

    from sarcoma_kg import queries
    from sarcoma_kg.graph import ox_store
    from sarcoma_kg.namespaces import PREFIXES

    store = ox_store(target)
    prefixes = dict(PREFIXES)
    texts: dict[str, str] = {}
    answered: dict[str, int] = {}  # the row count ours last gave, per query (a floor's LIMIT)

    def ours(stored: Any, timeout: float | None) -> int:
        bindings = queries.bind_params(stored)
        answered[stored.name] = len(queries.run_local(target, stored.text, bindings, timeout=timeout).rows)
        return answered[stored.name]

    def count(text: str) -> int:
        result = store.query(text, prefixes=prefixes)
        if isinstance(result, ox.QueryBoolean):
            return 1
        return sum(1 for _ in result)

    def run_raw(stored: Any) -> int:
        if stored.name not in texts:  # the limit: Oxigraph alone, so the text is prepared once, untimed
            texts[stored.name] = queries.inject_bindings(stored.text, queries.bind_params(stored))
        return count(texts[stored.name])

    def run_floor(stored: Any) -> int:
        return count(FLOOR_QUERIES[stored.name] % {"rows": answered.get(stored.name, 0)})

    return {
        "ours": lambda stored: ours(stored, queries.DEFAULT_TIMEOUT),
        "ours_untimed": lambda stored: ours(stored, None),
        "raw": run_raw,
        "floor": run_floor,
    }


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


def _time_in_process(runs: dict[str, Callable[[], int]], reps: int) -> dict[str, dict]:
    """``_time_query`` in this process (a fast query: no cap of its own), summarised per runner."""
    times: dict[str, list[float]] = {label: [] for label in runs}
    rows: dict[str, int] = {}

    def report(label: str, seconds: float, count: int) -> None:
        times[label].append(seconds)
        rows[label] = count

    _time_query(runs, reps, report)
    return {label: _summarise(times[label], rows[label]) for label in runs}


def _summarise(times: list[float], rows: int | None) -> dict:
    # With a warm-up, the first timing is discarded whenever later ones exist.
    measured = times[1:] if len(times) > 1 else times
    return {
        "status": "ok",
        "median_s": statistics.median(measured),
        "runs": len(measured),
        "rows": rows,
    }


#: A query's child is killed when the machine has less memory than this left (MemAvailable): a query answer that
#: outgrows the machine (case-treatment-options at 50k holds about 15 GB) is reported, not left to the OOM killer.
MEMORY_FLOOR_MB = 1024


def memory_available_mb() -> float | None:
    """What the kernel says can still be allocated without swapping (``MemAvailable``), in MB; None off Linux."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _run_forked(runs: dict[str, Callable[[], int]], reps: int, cap: float) -> dict:
    """Time a query in a forked child (copy-on-write view of the loaded store) and kill it after ``cap`` s, or
    when the machine runs short of memory (``MEMORY_FLOOR_MB``).

    Returns the outcome of ``ours``, with the outcome of each other runner nested under its label. A runner that
    raises ends the child: its outcome is the error (the library's own time limit: a timeout), the runners
    already timed keep their figures, and those after it are reported as not run.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        def report(label: str, seconds: float, rows: int) -> None:
            sender.send((label, seconds, rows))

        def run(label: str, function: Callable[[], int]) -> Callable[[], int]:
            def wrapped() -> int:
                try:
                    return function()
                except Exception as exc:  # the library's own time limit as a timeout, anything else an error
                    status = "timeout" if type(exc).__name__.endswith("Timeout") else "error"
                    raise _RunnerFailed(label, _one_line(exc), status) from exc

            return wrapped

        try:
            _time_query({label: run(label, function) for label, function in runs.items()}, reps, report)
        except _RunnerFailed as failed:
            sender.send((None, failed.args, None))
        sender.close()

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    deadline = time.monotonic() + cap
    times: dict[str, list[float]] = {label: [] for label in runs}
    rows: dict[str, int] = {}
    failed: tuple[str, str, str] | None = None
    short_of_memory: float | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        if not receiver.poll(min(remaining, 0.5)):
            left = memory_available_mb()
            if left is not None and left < MEMORY_FLOOR_MB and process.is_alive():
                short_of_memory = left
                break
            continue
        try:
            label, seconds, count = receiver.recv()
        except EOFError:
            break
        if label is None:
            failed = seconds
            break
        times[label].append(seconds)
        rows[label] = count
    timed_out = process.is_alive()
    if timed_out:
        process.kill()
    process.join()
    outcomes: dict[str, dict] = {}
    for label in runs:
        if times[label]:
            outcomes[label] = _summarise(times[label], rows[label])
        elif failed is not None and failed[0] == label:
            outcomes[label] = {"status": failed[2], "error": failed[1]}
        elif failed is not None:
            outcomes[label] = {"status": "skipped", "reason": f"{failed[0]} failed first"}
        elif short_of_memory is not None:
            outcomes[label] = {"status": "memory", "memory_left_mb": round(short_of_memory)}
        else:
            outcomes[label] = {"status": "timeout" if timed_out else "error", "cap_s": cap}
    result = outcomes.pop("ours")
    return result | outcomes


class _RunnerFailed(Exception):
    """One runner of a timed query raised: its label, the one-line error, and its status (timeout or error)."""


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def task_queries(spec: dict) -> dict:
    """The paired loads (ours and raw pyoxigraph, alternately), then every stored query on the loaded store.

    A query can take minutes (a pathological plan), so each runs in a forked child (a copy-on-write view of the
    loaded store) killed after ``cap_s``; all of them together get ``budget_s``; queries named in ``skip`` (timed
    out on a smaller cohort) are not run again. A query of ``FLOOR_QUERIES`` is also timed against its floor.

    ``long`` names the queries given a cap of their own (seconds), outside the budget: ours runs once without the
    library's time limit, then the floor; raw pyoxigraph is not run (one run of ours is what the budget allows,
    and ours against raw is measured on the smaller cohorts).
    """
    loads, target = _paired_loads(spec["files"], spec["load_reps"])
    runners = _query_runners(target)
    results: dict[str, dict] = {}
    long_caps: dict[str, float] = spec.get("long", {})
    budget_end = time.monotonic() + spec.get("budget_s", 1e9)
    for stored in _catalogue():
        if stored.name in spec.get("skip", {}):
            results[stored.name] = {"status": "skipped", "reason": spec["skip"][stored.name]}
            continue
        floor = ["floor"] if stored.name in FLOOR_QUERIES else []
        if stored.name in long_caps:
            runs = (
                {"ours": runners["ours_untimed"], "floor": runners["floor"]}
                if floor
                else {"ours": runners["ours_untimed"]}
            )
            started = time.monotonic()
            result = _run_forked({k: (lambda r=r, s=stored: r(s)) for k, r in runs.items()}, 1, long_caps[stored.name])
            budget_end += time.monotonic() - started  # outside the budget of the others
            reason = "one run of ours is what the budget allows on this cohort"
            results[stored.name] = result | {
                "raw": {"status": "skipped", "reason": reason},
                "long_cap_s": long_caps[stored.name],
            }
            continue
        remaining = budget_end - time.monotonic()
        if remaining < 1:
            results[stored.name] = {"status": "skipped", "reason": f"time budget of {spec['budget_s']:.0f} s spent"}
            continue
        labels = ["ours", "raw", *floor]
        runs = {label: (lambda r=runners[label], s=stored: r(s)) for label in labels}
        results[stored.name] = _run_forked(runs, spec["reps"], min(spec["cap_s"], remaining))
    return {"load": loads, "triples": loads["ours"]["triples"], "queries": results}


# --------------------------------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Measured:
    """A child process run to its end: wall time, its own peak memory and CPU time (``os.wait4``), its output."""

    seconds: float
    peak_mb: float
    cpu_s: float
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool = False


class StepTimeout(RuntimeError):
    """A measured step ran past its cap and was killed."""


def run_measured(command: list[str], *, check: bool = True, timeout: float | None = None) -> Measured:
    """Run ``command``; its peak memory is its own (``wait4``'s rusage), not the largest of all children so far.

    Output goes to temporary files, not pipes, so the child never blocks on a full pipe while we wait for it.
    ``timeout``: the child is killed after that many seconds (``timed_out``), so that a step past its cap is
    reported as such rather than holding up the whole run.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err)
        fired = threading.Event()

        def kill() -> None:
            fired.set()
            process.kill()

        killer = threading.Timer(timeout, kill) if timeout else None
        if killer is not None:
            killer.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        if killer is not None:
            killer.cancel()
        timed_out = fired.is_set()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        measured = Measured(
            seconds=seconds,
            peak_mb=round(usage.ru_maxrss / 1024, 1),
            cpu_s=usage.ru_utime + usage.ru_stime,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", errors="replace"),
            stderr=err.read().decode("utf-8", errors="replace"),
            timed_out=timed_out,
        )
    if measured.timed_out:
        raise StepTimeout(f"{' '.join(Path(c).name for c in command[:3])} did not finish within {timeout:.0f} s")
    if check and measured.returncode != 0:
        tail = (measured.stderr or measured.stdout).strip()[-1500:]
        raise RuntimeError(f"{' '.join(Path(c).name for c in command[:3])} exited {measured.returncode}: {tail}")
    return measured


# --------------------------------------------------------------------------------------------------- cases


def task_generate(spec: dict) -> dict:
    """The cases helper's seeded generator, through the CLI as a user would run it."""
    command = [CLI, "cases", "generate", "--n", str(spec["n"]), "--seed", str(spec["seed"]), "-o", spec["output"]]
    command += ["--build-dir", spec["build_dir"]]
    return {"seconds": run_measured(command).seconds}


def _written_format(path: Path) -> str:
    """What the importer wrote: N-Triples, or Turtle (an importer without an N-Triples writer writes Turtle)."""
    with path.open("rb") as file:
        head = file.read(4096).lstrip()
    return "turtle" if head.startswith((b"@prefix", b"PREFIX", b"@base", b"BASE")) else "ntriples"


def task_import(spec: dict) -> dict:
    """Import throughput: the cases pipeline (read, check, resolve, validate, write RDF), as a user runs it.

    ``--skip-invalid`` so that a row the importer rejects is counted (``problems``) rather than stopping the run.
    The output's format follows its extension (``.ttl``, ``.nt``: the streaming path for big cohorts); an
    importer that writes Turtle whatever the extension is detected, and its ``.nt`` renamed ``.ttl`` so that
    what loads it next is told the truth. ``cpu_s`` is the import's own CPU time, which a busy machine inflates
    less than the wall clock; ``peak_mb`` its own peak memory.
    """
    output = Path(spec["output"])
    command = [CLI, "cases", "import", spec["csv"], "-o", str(output), "--build-dir", spec["build_dir"]]
    run = run_measured([*command, "--skip-invalid"])
    written = _written_format(output)
    if output.suffix == ".nt" and written == "turtle":
        output = output.replace(output.with_suffix(".ttl"))
    with open(spec["csv"], encoding="utf-8", newline="") as sheet:
        rows = max(0, sum(1 for _ in csv.reader(sheet)) - 1)
    return {
        "seconds": run.seconds,
        "cpu_s": run.cpu_s,
        "rows": rows,
        "problems": sum(1 for line in run.stderr.splitlines() if line.startswith("skipped:")),
        "rows_per_s": rows / run.seconds if run.seconds else None,
        "import_peak_mb": run.peak_mb,
        "format": written,
        "asked": Path(spec["output"]).suffix,
        "output": str(output),
        "bytes": output.stat().st_size,
    }


def task_import_floor(spec: dict) -> dict:
    """The floor under ``cases import``: the least work that turns the sheet into the same triples in a store.

    Reading the CSV with the csv module (every field of every row), then raw pyoxigraph loading the importer's own
    output into a fresh in-memory store, by ``bulk_load`` and by ``load``, the faster counted: no checking, no
    resolving of terms, no validation, no writing. All timed in this one process, the files read once before so
    that every step finds them in the page cache.
    """
    import pyoxigraph as ox

    output = Path(spec["output"])
    Path(spec["csv"]).read_bytes()
    output.read_bytes()

    def read_sheet() -> int:
        rows = 0
        with open(spec["csv"], encoding="utf-8", newline="") as sheet:
            for row in csv.reader(sheet):
                rows += bool(row)
        return max(0, rows - 1)

    def load(method: str) -> Callable[[], int]:
        def run() -> int:
            store = ox.Store()
            getattr(store, method)(path=str(output), format=ox.RdfFormat.from_extension(output.suffix[1:]))
            return len(store)

        return run

    csv_s, rows = _timed(read_sheet)
    # Both of pyoxigraph's loaders (in memory, ``Store.load`` is often the faster): the floor is the faster one.
    loads = {method: _timed(load(method)) for method in ("bulk_load", "load")}
    fastest = min(loads, key=lambda method: loads[method][0])
    load_s, triples = loads[fastest]
    seconds = csv_s + load_s
    return {
        "csv_s": csv_s,
        "load_s": load_s,
        "loader": f"Store.{fastest}",
        "loaders_s": {f"Store.{method}": timed[0] for method, timed in loads.items()},
        "seconds": seconds,
        "rows": rows,
        "triples": triples,
        "format": _written_format(output),
        "rows_per_s": rows / seconds if seconds else None,
    }


#: Every case's stage read back from what the import stored: the columns of case-stages a stage count needs.
STORED_STAGES = """
SELECT ?case_id ?stage
WHERE {
  ?case a sarc:PatientCase ; sarc:caseId ?case_id .
  OPTIONAL { ?case sarc:computedStage/skos:notation ?stage }
}
ORDER BY ?case_id"""


def task_materialised(spec: dict) -> dict:
    """The route the issue allows for case-stages: the stage computed at import, stored, and read back.

    - ``cases import --materialise-stage -o FILE.nt`` of the cohort (the CLI, as a user runs it): its time and
      peak, against the same cohort's import without stages (measured by ``task_import`` in the same run);
    - the release and that file loaded by our path (``graph.load_files``), then two reads, ours
      (``queries.run_local``) and raw pyoxigraph alternately on the same store: the stage count of
      ``examples/stage-count.rq``, and every case's stored stage (``STORED_STAGES``).
    Not case-stages itself: the reason column and the staging system are not stored.
    """
    import pyoxigraph as ox

    from sarcoma_kg import queries
    from sarcoma_kg.graph import ox_store
    from sarcoma_kg.namespaces import PREFIXES

    output = Path(spec["output"])
    output.unlink(missing_ok=True)
    command = [CLI, "cases", "import", spec["csv"], "-o", str(output), "--build-dir", spec["build_dir"]]
    run = run_measured([*command, "--skip-invalid", "--materialise-stage"])
    staged = next(
        (line.split()[4] for line in run.stderr.splitlines() if line.startswith("computed stage written")), None
    )
    imported = {
        "status": "ok",
        "seconds": run.seconds,
        "cpu_s": run.cpu_s,
        "import_peak_mb": run.peak_mb,
        "format": _written_format(output),
        "bytes": output.stat().st_size,
        "staged": int(staged) if staged and staged.isdigit() else None,
    }
    graph, triples = _our_load([spec["release"], str(output)])
    store = ox_store(graph)
    prefixes = dict(PREFIXES)
    texts = {"stage-count": Path(spec["stage_count"]).read_text(encoding="utf-8"), "stored-stages": STORED_STAGES}
    reads: dict[str, dict] = {}
    for name, text in texts.items():
        runs = {
            "ours": lambda text=text: len(queries.run_local(graph, text).rows),
            "raw": lambda text=text: sum(1 for _ in store.query(text, prefixes=prefixes)),
        }
        timed = _time_in_process(runs, spec["reps"])
        reads[name] = timed["ours"] | {"raw": timed["raw"]}
    counted = store.query(texts["stage-count"], prefixes=prefixes)
    by_stage = {str(s["stage"].value): int(s["cases"].value) for s in counted if isinstance(s["stage"], ox.Literal)}
    return {"import": imported, "triples": triples, "reads": reads, "stage_counts": by_stage, "output": str(output)}


def task_concatenate(spec: dict) -> dict:
    """One spreadsheet from several with the same header; ``rows``: only the first that many (a smaller cohort
    cut from a larger sheet: the generator writes one case per line, so a cut is whole cases)."""
    rows, limit = 0, spec.get("rows")
    with open(spec["output"], "w", encoding="utf-8", newline="") as target:
        for index, part in enumerate(spec["parts"]):
            with open(part, encoding="utf-8", newline="") as sheet:
                header = sheet.readline()
                if index == 0:
                    target.write(header)
                for line in sheet:
                    if rows == limit:
                        return {"rows": rows}
                    target.write(line)
                    rows += 1
    return {"rows": rows}


def task_replicate(spec: dict) -> dict:
    """A big sheet from a generated one: its rows again and again, each copy's case ids under the next seed.

    The generator names its cases ``GEN-<seed>-<number>`` in the first column, so the copy under seed 2 holds
    cases ``GEN-2-...``, distinct from the original's; everything else in a row is the same, and so is the work
    of importing, loading and staging it. Up to ``rows`` rows.
    """
    seeds, limit = spec["seeds"], spec["rows"]
    prefix = f"GEN-{seeds[0]}-"
    with open(spec["sheet"], encoding="utf-8", newline="") as sheet:
        header = sheet.readline()
        lines = sheet.readlines()
    if not all(line.startswith(prefix) for line in lines):
        raise ValueError(f"{spec['sheet']}: not a generated sheet of seed {seeds[0]} (case ids {prefix}...)")
    rows = 0
    with open(spec["output"], "w", encoding="utf-8", newline="") as target:
        target.write(header)
        for seed in seeds:
            for line in lines:
                if rows == limit:
                    return {"rows": rows}
                target.write(f"GEN-{seed}-{line[len(prefix) :]}")
                rows += 1
    return {"rows": rows}


# --------------------------------------------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_peak_mb(pid: int) -> float | None:
    """The server's peak resident memory (VmHWM), read from /proc while it still runs; None where unreadable."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _sparql(url: str, query: str, accept: str, timeout: float) -> bytes:
    """A SPARQL Protocol query by form POST (as SPARQLWrapper sends ours; Virtuoso 7 waits on a direct POST)."""
    body = urllib.parse.urlencode({"query": query}).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
    request = urllib.request.Request(url, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


def _count(url: str, timeout: float) -> int:
    body = _sparql(url, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", "text/csv", timeout)
    return int(body.decode("utf-8").split()[1])


def _start_oxigraph(exe: str, location: Path) -> tuple[subprocess.Popen, str]:
    """``oxigraph serve`` on a free port of 127.0.0.1, its default graph the union of its named graphs."""
    port = _free_port()
    command = [exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"oxigraph serve exited early ({process.returncode})")
        try:
            _sparql(f"{url}/query", "ASK {}", "application/sparql-results+json", 2)
            return process, url
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("oxigraph serve did not answer within 30 s")


def _bare_http(url: str, text: str, cap: float) -> dict:
    """The query text POSTed by a bare HTTP client (JSON results), given ``cap`` seconds in all.

    urllib's timeout bounds each read, not the whole answer, so the request runs in a thread given ``cap`` s.
    """
    box: dict[str, dict] = {}

    def ask() -> None:
        try:
            seconds, body = _timed(lambda: _sparql(url, text, "application/sparql-results+json", cap))
            box["result"] = {"status": "ok", "seconds": seconds, "rows": len(json.loads(body)["results"]["bindings"])}
        except (OSError, ValueError, KeyError) as exc:  # urllib's errors are OSErrors; a body that is not JSON
            timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
            box["result"] = {"status": "timeout" if timed_out else "error", "cap_s": cap, "error": _one_line(exc)}

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(cap)
    return box.get("result") or {"status": "timeout", "cap_s": cap}


def _case_stages(query_url: str, cap: float) -> dict:
    """``sarcoma-kg query case-stages --endpoint``, then the same text (``--show``) over bare HTTP, on one server.

    Ours runs first (it pays the server's cold caches), within ``cap``. The baseline only has to say how far ours
    is from the server's own time, so it gets ``min(cap, max(30 s, 2x ours))``: past that the report gives the
    ratio as a bound (ours below half of raw). When ours does not answer, the target is missed and there is no
    ratio to take: the baseline is not run, and its minutes go to the rest of ``make bench``.
    """
    text = run_measured([CLI, "query", "case-stages", "--show"]).stdout
    endpoint = ["--endpoint", query_url, "--format", "csv", "--timeout", str(cap)]
    result: dict[str, Any] = {}
    try:
        ours = run_measured([CLI, "query", "case-stages", *endpoint], check=False, timeout=cap + 30)
    except StepTimeout:
        result["query"] = {"status": "timeout", "cap_s": cap}
    else:
        if ours.returncode == 0:
            rows = max(0, sum(1 for _ in csv.reader(ours.stdout.splitlines())) - 1)
            result["query"] = {"seconds": ours.seconds, "rows": rows, "peak_mb": ours.peak_mb}
        elif "within" in ours.stderr:  # exit 3, the endpoint's time limit: "did not finish within N s"
            result["query"] = {"status": "timeout", "cap_s": cap, "error": ours.stderr.strip()[-300:]}
        else:
            result["query"] = {"status": "error", "error": ours.stderr.strip()[-300:], "seconds": ours.seconds}
    if result["query"].get("status", "ok") == "ok":
        result["query_raw"] = _bare_http(query_url, text, min(cap, max(30.0, 2 * result["query"]["seconds"])))
    else:
        result["query_raw"] = {"status": "skipped", "reason": "ours did not answer: no ratio to take"}
    return result


def _step(run: Callable[[], dict], cap: float) -> dict:
    """One step of a server task: its figures, or its timeout (past ``cap``) or error, so later steps still run."""
    try:
        return {"status": "ok", **run()}
    except StepTimeout as exc:
        return {"status": "timeout", "cap_s": cap, "error": str(exc)}
    except (RuntimeError, OSError, ValueError) as exc:
        return {"status": "error", "error": _one_line(exc)[:300]}


def task_server(spec: dict) -> dict:
    """Past one machine: the release and a large cohort into a running Oxigraph server, then case-stages there.

    - baseline: the server's own bulk loader (``oxigraph load``, offline) on the same files, into its own store;
    - ours: ``sarcoma-kg load`` of the release (one PUT) and of the cohort (``--bulk``) into ``oxigraph serve``;
      throughput, the client's peak memory (streamed from disk: bounded) and the server's (VmHWM);
    - ``sarcoma-kg query case-stages --endpoint``, against the same text sent by a bare HTTP client (``_case_stages``).

    Every step is killed at its cap and reported as a timeout; the steps after it still run where they can.
    """
    exe, work = spec["oxigraph"], Path(spec["work"])
    release, cohort = spec["files"]
    cap = spec["cap_s"]
    for name in ("bulk-store", "served-store"):
        shutil.rmtree(work / name, ignore_errors=True)

    def bulk_load() -> dict:
        files = ["--file", release, "--file", cohort]
        bulk = run_measured([exe, "load", "--location", str(work / "bulk-store"), *files], timeout=cap)
        count_query = ["--results-format", "csv", "--query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"]
        count = run_measured([exe, "query", "--location", str(work / "bulk-store"), *count_query], timeout=cap)
        return {"seconds": bulk.seconds, "peak_mb": bulk.peak_mb, "triples": int(count.stdout.split()[1])}

    result: dict[str, Any] = {"bulk_loader": _step(bulk_load, cap)}
    shutil.rmtree(work / "bulk-store", ignore_errors=True)
    server, url = _start_oxigraph(exe, work / "served-store")
    try:

        def load() -> dict:
            release_run = run_measured([CLI, "load", "--endpoint", f"{url}/store", "--file", release], timeout=cap)
            into_cohort_graph = ["--graph", spec["cohort_graph"], "--bulk", "--timeout", str(cap)]
            command = [CLI, "load", "--endpoint", f"{url}/store", "--file", cohort, *into_cohort_graph]
            cohort_run = run_measured(command, timeout=cap + 30)
            return _load_figures(release_run, cohort_run, _count(f"{url}/query", cap), server.pid)

        result["load"] = _step(load, cap)
        if result["load"]["status"] == "ok":
            result |= _case_stages(f"{url}/query", spec["query_cap_s"])
        result["server_peak_mb"] = _server_peak_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return result


def _load_figures(release_run: Measured, cohort_run: Measured, triples: int, server_pid: int) -> dict:
    seconds = release_run.seconds + cohort_run.seconds
    return {
        "seconds": seconds,
        "release_s": release_run.seconds,
        "cohort_s": cohort_run.seconds,
        "triples": triples,
        "triples_per_s": triples / seconds if seconds else None,
        "peak_mb": max(release_run.peak_mb, cohort_run.peak_mb),
        "server_peak_mb": _server_peak_mb(server_pid),
    }


def _link_or_copy(source: str, target: Path) -> None:
    """The file where Virtuoso's bulk loader may read it (``DirsAllowed``): a hard link, a copy across devices."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def task_virtuoso(spec: dict) -> dict:
    """The same past-one-machine path into Virtuoso 7 (open-source edition, a private server per load).

    - baseline: Virtuoso's own bulk loader (``ld_dir`` then ``rdf_loader_run`` through ``isql-vt``, as the README
      documents it) reading the same files, release and cohort into their graphs, in a fresh server;
    - ours: ``sarcoma-kg load`` through Virtuoso's Graph Store Protocol endpoint (Digest auth, one PUT per file:
      ``--bulk`` is Oxigraph's) into another fresh server; then ``query case-stages --endpoint`` there with both
      graphs as the default graph, against the same text over bare HTTP. Virtuoso answers case-stages with fewer
      rows than the other stores (docs/portability.md): the rows are reported as they come.
    """
    import virtuoso

    from sarcoma_kg.load import DEFAULT_GRAPH

    release, cohort = spec["files"]
    work = Path(spec["work"]) / "virtuoso"
    shutil.rmtree(work, ignore_errors=True)
    cap, query_cap = spec["cap_s"], spec["query_cap_s"]
    graphs = {release: DEFAULT_GRAPH, cohort: spec["cohort_graph"]}
    # Virtuoso's own limit well past the client's, so that a slow query is our timeout, never a partial answer.
    settings = {
        "buffers": spec["buffers"],
        "dirty_buffers": spec["buffers"] * 3 // 4,
        "query_time_s": int(query_cap) + 60,
    }
    values = " ".join(f"<{graph}>" for graph in graphs.values())  # constants of ours, not user input
    count_text = f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"

    def count(server: Any) -> int:
        return int(_sparql(server.sparql, count_text, "text/csv", cap).decode("utf-8").split()[1])

    result: dict[str, Any] = {}
    try:
        process, server = virtuoso.start(work / "bulk", **settings)
    except virtuoso.VirtuosoError as exc:
        return {"status": "error", "error": _one_line(exc)[:300]}
    try:

        def bulk_load() -> dict:
            directory = server.directory / "load"
            directory.mkdir()
            statements = []
            for index, (file, graph) in enumerate(graphs.items()):
                name = f"{index}-{Path(file).name}"
                _link_or_copy(file, directory / name)
                statements.append(f"ld_dir('{directory}', '{name}', '{graph}')")
            try:
                seconds, _ = _timed(lambda: server.isql(*statements, "rdf_loader_run()", "checkpoint", timeout=cap))
            except virtuoso.VirtuosoError as exc:
                if "within" in str(exc):
                    raise StepTimeout(str(exc)) from exc
                raise
            failed = server.isql("SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_error IS NOT NULL")
            if "/" in failed:
                raise RuntimeError(f"the bulk loader refused a file: {' '.join(failed.split())[:200]}")
            triples = count(server)
            return {"seconds": seconds, "triples": triples, "server_peak_mb": _server_peak_mb(process.pid)}

        result["bulk_loader"] = _step(bulk_load, cap)
    finally:
        virtuoso.stop(process)
        shutil.rmtree(work / "bulk", ignore_errors=True)
    try:
        process, server = virtuoso.start(work / "gsp", **settings)
    except virtuoso.VirtuosoError as exc:
        return result | {"load": {"status": "error", "error": _one_line(exc)[:300]}}
    try:

        def load() -> dict:
            base = [CLI, "load", "--endpoint", server.graph_store, "--timeout", str(cap)]
            release_run = run_measured([*base, "--file", release], timeout=cap + 30)
            cohort_run = run_measured([*base, "--file", cohort, "--graph", spec["cohort_graph"]], timeout=cap + 30)
            return _load_figures(release_run, cohort_run, count(server), process.pid)

        result["load"] = _step(load, cap)
        if result["load"]["status"] == "ok":
            defaults = "&".join(f"default-graph-uri={urllib.parse.quote(g, safe='')}" for g in graphs.values())
            result |= _case_stages(f"{server.sparql}?{defaults}", query_cap)
        result["server_peak_mb"] = _server_peak_mb(process.pid)
    finally:
        virtuoso.stop(process)
        shutil.rmtree(work / "gsp", ignore_errors=True)
    return result


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
    run = run_measured(spec["command"])
    return {"seconds": run.seconds, "peak_mb": run.peak_mb}


TASKS: dict[str, Callable[[dict], dict]] = {
    "queries": task_queries,
    "generate": task_generate,
    "concatenate": task_concatenate,
    "replicate": task_replicate,
    "import": task_import,
    "import_floor": task_import_floor,
    "materialised": task_materialised,
    "server": task_server,
    "virtuoso": task_virtuoso,
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
