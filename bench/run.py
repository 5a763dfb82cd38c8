"""``make bench``: the cohort-scale benchmark, every target of the issue measured side by side in one run.

For synthetic cohorts of 1k, 10k and 50k cases (about 35k, 300k and 1.5M triples with the knowledge base):

- ``cases import`` throughput (rows/s, validation included) and its peak memory;
- the load of release + cohort by our path (``graph.load_files``) against raw pyoxigraph's own bulk load of the
  same files, alternately in one process;
- every stored query's median latency on our path against raw pyoxigraph with the same text and bindings, on
  the same store, alternately (case-stages and case-treatment-options among them);
- SHACL validation of the cohort with the shipped shapes (ours; the peers, Apache Jena and pyshacl, with
  ``--only shacl``: ``make bench-shacl``);
- the release build end to end (HermiT included) and ``make run`` from cold;
- past one machine, a cohort of 200k cases (``--scale``): ``cases import`` to N-Triples (streamed: its peak
  memory against the same import of the 50k cohort), ``sarcoma-kg load`` of release + cohort into a running
  Oxigraph server against the server's own bulk loader, and ``query case-stages --endpoint`` there against the
  same text sent by a bare HTTP client; then the same into Virtuoso 7 against its bulk loader (``ld_dir``).

One sheet is generated (the largest cohort's); the smaller cohorts are its first rows, the 200k sheet is it
repeated with re-seeded case ids. Every step has a cap (``FULL``): the caps are the 15-minute budget, and a step
past its cap is killed and its target reported as missed.

Every measurement runs in its own child process (``worker.py``: its own peak memory, killed at its time cap).
Ratios are computed against baselines measured in the same run. Writes ``<out>/latest.md`` and
``<out>/latest.json`` and prints the Markdown and the verdicts. Scratch files go to ``bench/work/`` (git-ignored).

Usage: ``python bench/run.py [--sizes 1000,10000,50000] [--scale 200000] [--quick] [--out bench/results]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKER = HERE / "worker.py"
BIN = Path(sys.executable).parent
CLI = str(BIN / "sarcoma-kg")
RESULT_PREFIX = "BENCH-RESULT "
INFERRED = "sarcoma-kg-inferred.ttl"

sys.path.insert(0, str(HERE))
from report import bounds, render_markdown, summarise  # noqa: E402


@dataclass(frozen=True)
class Caps:
    """Time limits that keep ``make bench`` under 15 minutes on 2 cores."""

    worker_s: float  # any single measurement
    query_s: float  # one stored query (ours and raw together)
    query_budget_s: float  # all stored queries, per cohort
    pyshacl_s: float  # pyshacl on a plain rdflib graph (--only shacl)
    pyshacl_max_cases: int  # larger cohorts are not tried (it does not finish)
    reps: int  # timed repetitions of a fast query (after one discarded warm-up)
    shacl_max_cases: int  # ours on larger cohorts only with --only shacl (no target bounds it)
    server_s: float  # each load into the Oxigraph server (its bulk loader's, ours)
    server_query_s: float  # case-stages on a server: ours; the bare-HTTP baseline gets at most this too
    virtuoso_s: float  # each load into Virtuoso (its bulk loader's, ours)
    virtuoso_query_s: float  # case-stages on Virtuoso: ours, and at most this for the baseline
    virtuoso_buffers: int  # Virtuoso's page cache (8 KiB pages): about 85,000 per GB
    long_query_s: float  # case-treatment-options on the largest cohort: one run of ours, then its floor


#: The whole of ``make bench`` must stay under 15 minutes: the caps of the past-one-machine steps are their budget
#: (worst case about 2 x server_s + 2 x server_query_s, and the same for Virtuoso); a step past its cap is killed
#: and reported as a missed target, never waited for.
FULL = Caps(
    worker_s=600,
    query_s=60,
    query_budget_s=120,
    pyshacl_s=60,
    pyshacl_max_cases=10_000,
    reps=5,
    shacl_max_cases=10_000,
    server_s=240,
    server_query_s=120,
    virtuoso_s=240,
    virtuoso_query_s=60,
    virtuoso_buffers=250_000,
    long_query_s=150,
)
QUICK = Caps(
    worker_s=300,
    query_s=30,
    query_budget_s=90,
    pyshacl_s=20,
    pyshacl_max_cases=10_000,
    reps=2,
    shacl_max_cases=10_000,
    server_s=120,
    server_query_s=60,
    virtuoso_s=120,
    virtuoso_query_s=60,
    virtuoso_buffers=20_000,
    long_query_s=60,
)

#: The query too long for ``query_s`` on the largest cohort (about 1.4M rows at 50k cases, 100 s on a quiet
#: machine): it gets ``long_query_s``, outside the queries' budget, for one run of ours and its floor.
LONG_QUERY = "case-treatment-options"
#: The stage count over stored stages (the route the issue allows for case-stages: stages materialised at import).
STAGE_COUNT = REPO / "examples" / "stage-count.rq"

#: The named graph the cohort goes into on the server (the release goes into the ontology's, load's default).
COHORT_GRAPH = "https://w3id.org/sarcoma-kg/cohort"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_worker(spec: dict, timeout: float) -> dict:
    """Run one measurement in a child process; a timeout kills its whole process group (Java included)."""
    process = subprocess.Popen(
        [sys.executable, str(WORKER), json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=REPO,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"status": "timeout", "cap_s": timeout}
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            result.setdefault("status", "ok")
            return result
    tail = (err or out).strip().splitlines()[-3:]
    return {
        "status": "error",
        "error": " | ".join(tail) or f"exit {process.returncode}",
    }


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else "unknown"


def machine() -> dict:
    """Where the figures were measured: they mean little without it."""
    memory_kb = 0
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from importlib.metadata import version

    packages = {name: version(name) for name in ("rdflib", "pyoxigraph", "oxrdflib", "pyshacl", "owlready2")}
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": _version(["java", "-version"]),
        "jena": "4.5.0 (Debian libapache-jena-java)" if jena_available() else "not installed",
        "packages": packages,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def jena_script() -> Path:
    return Path(os.environ.get("BENCH_JENA", REPO.parent / "shared" / "tools" / "jena.sh"))


def jena_available() -> bool:
    return jena_script().is_file() and Path("/usr/share/java/jena-shacl.jar").is_file() and bool(shutil.which("java"))


def oxigraph_executable() -> str | None:
    """The ``oxigraph`` server of the PyPI package beside this Python (``make install``), else one on PATH."""
    beside = BIN / "oxigraph"
    return str(beside) if beside.exists() else shutil.which("oxigraph")


class Bench:
    """One benchmark run: measures, keeps every figure in ``self.results``, saves after each step."""

    def __init__(
        self,
        sizes: list[int],
        caps: Caps,
        out: Path,
        work: Path,
        quick: bool,
        seed: int,
        release: Path | None = None,
        only: str | None = None,
        scale: int = 0,
    ) -> None:
        self.release = release
        self.only = only
        self.sizes = sizes
        self.caps = caps
        self.out = out
        self.work = work
        self.quick = quick
        self.seed = seed
        self.scale = scale
        self._generated: list[dict] = []
        self.results: dict[str, Any] = {
            "machine": machine(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "sizes": sizes,
            "scale": scale,
            "quick": quick,
            "only": only,
            "caps": caps.__dict__,
            "build": {},
            "cohorts": {},
            "load": {},
            "queries": {},
            "shacl": {},
            "scale_out": {},
            "materialised": {},
            "steps": [],
        }
        self.started = time.monotonic()
        self.dist = work / "dist"

    # ------------------------------------------------------------------------------------------ steps
    def measure(self, what: str, spec: dict, timeout: float | None = None) -> dict:
        log(f"{what} ...")
        started = time.monotonic()
        result = run_worker(spec, timeout or self.caps.worker_s)
        self.results["steps"].append({"step": what, "seconds": round(time.monotonic() - started, 1)})
        status = result.get("status")
        shown = f"{result['seconds']:.2f} s" if "seconds" in result else status
        log(f"{what}: {shown} (peak {result.get('peak_mb', '?')} MB)")
        return result

    def build(self) -> Path:
        if self.release is not None:
            self.dist = self.release
            reason = f"--release {self.release}: an existing build was used"
            self.results["build"] = {k: {"status": "skipped", "reason": reason} for k in ("build", "make_run")}
            return self.release / INFERRED
        dist = self.dist
        shutil.rmtree(dist, ignore_errors=True)
        build = self.measure(
            "build (HermiT)",
            {"task": "build", "command": [CLI, "build", "--out", str(dist)]},
        )
        self.results["build"]["build"] = build
        if build["status"] != "ok":
            raise SystemExit(f"bench: the build failed, nothing to measure: {build.get('error')}")
        if self.quick or self.only:
            self.results["build"]["make_run"] = {
                "status": "skipped",
                "reason": "--quick" if self.quick else f"--only {self.only}",
            }
        else:
            target = self.work / "make-run-dist"
            shutil.rmtree(target, ignore_errors=True)
            # -o: never let the timing include a pip install of an out-of-date venv.
            command = ["make", "-s", "-C", str(REPO), "run", f"DIST={target}", "-o", ".venv/.installed"]
            self.results["build"]["make_run"] = self.measure("make run (cold)", {"task": "build", "command": command})
        self.save()
        return dist / INFERRED

    def generate(self, n: int, seed: int, csv: Path) -> dict:
        csv.unlink(missing_ok=True)
        spec = {"task": "generate", "n": n, "seed": seed, "output": str(csv), "build_dir": str(self.dist)}
        return self.measure(f"generate {n} cases (seed {seed})", spec)

    def import_cases(self, csv: Path, output: Path) -> dict:
        for stale in (output, output.with_suffix(".ttl")):
            stale.unlink(missing_ok=True)
        spec = {"task": "import", "csv": str(csv), "output": str(output), "build_dir": str(self.dist)}
        return self.measure(f"import {csv.name} -> {output.suffix}", spec)

    def _scale_on(self) -> bool:
        return bool(self.scale) and self.only in (None, "scale")

    def generate_sheets(self) -> None:
        """The one sheet the run generates: the largest cohort's (seed ``seed``). The smaller cohorts are its first
        rows and the past-one-machine sheet is it again and again, case ids re-seeded: generating measures nothing
        (and takes 40 s and 1.8 GB for 50k cases), so it is done once."""
        base = self.sizes[-1]
        self._generated = [self.generate(base, self.seed, self.work / f"cohort-{base}.csv")]

    def cohort(self, n: int) -> Path | None:
        base = self.sizes[-1]
        csv = self.work / f"cohort-{n}.csv"
        entry: dict[str, Any] = {"cases": n}
        self.results["cohorts"][str(n)] = entry
        if n == base:
            entry["generate"] = self._generated[0]
        else:
            spec = {"task": "concatenate", "parts": [str(self.work / f"cohort-{base}.csv")], "output": str(csv)}
            entry["generate"] = self.measure(f"first {n} cases of the {base}", spec | {"rows": n})
            entry["generate"]["cut_from"] = base
        if entry["generate"]["status"] != "ok":
            return None
        # The largest cohort is imported once, to N-Triples when the past-one-machine step runs: that import is both
        # its own row and the streaming baseline of the big import (the same path at a quarter of the size).
        suffix = ".nt" if n == base and self._scale_on() else ".ttl"
        entry["import"] = self.import_cases(csv, self.work / f"cohort-{n}{suffix}")
        if entry["import"]["status"] == "ok" and self.only is None:
            spec = {"task": "import_floor", "csv": str(csv), "output": entry["import"]["output"]}
            entry["import_floor"] = self.measure(f"import floor {n} cases (csv + raw bulk_load)", spec)
        self.save()
        return Path(entry["import"]["output"]) if entry["import"]["status"] == "ok" else None

    def materialised(self, n: int, release: Path) -> None:
        """The route the issue allows for case-stages: the cohort imported with its stages stored, then read."""
        spec = {"task": "materialised", "csv": str(self.work / f"cohort-{n}.csv"), "build_dir": str(self.dist)}
        spec |= {"output": str(self.work / f"cohort-{n}-staged.nt"), "release": str(release)}
        spec |= {"stage_count": str(STAGE_COUNT), "reps": self.caps.reps}
        entry = self.measure(f"import {n} cases with stages (--materialise-stage), read them back", spec)
        self.results["materialised"] = entry | {"cases": n}
        self.save()

    def queries(self, n: int, files: list[str]) -> None:
        """The paired loads (ours, raw), then every stored query, ours and raw, in one worker on one store."""
        spec = {
            "task": "queries",
            "files": files,
            "reps": self.caps.reps,
            "load_reps": 3 if n <= 10_000 else 2,
            "cap_s": self.caps.query_s,
            "budget_s": self.caps.query_budget_s,
            "skip": self._timed_out_before(n),
            "long": {LONG_QUERY: self.caps.long_query_s} if n == self.sizes[-1] else {},
        }
        timeout = self.caps.worker_s + self.caps.query_budget_s + self.caps.long_query_s
        run = self.measure(f"loads and stored queries on {n} cases", spec, timeout)
        self.results["queries"][str(n)] = run
        loads = run.get("load") or {"ours": run, "raw": run}  # a failed run: its status for both
        self.results["load"][str(n)] = {**loads, "peak_mb": run.get("peak_mb")}
        self.save()

    def _timed_out_before(self, n: int) -> dict[str, str]:
        """Queries that did not finish on a smaller cohort: not worth their cap again on a larger one."""
        skip: dict[str, str] = {}
        for size in (s for s in self.sizes if s < n):
            for name, result in self.results["queries"].get(str(size), {}).get("queries", {}).items():
                if result.get("status") == "timeout":
                    skip.setdefault(name, f"timeout (> {result.get('cap_s', 0):.0f} s) on {size} cases")
                elif result.get("status") == "skipped":
                    skip.setdefault(name, result.get("reason", "skipped"))
        return skip

    def shacl(self, n: int, cohort: Path) -> None:
        """The cohort validated as ``sarcoma-kg validate COHORT`` does it: asserted ontology and knowledge base
        beside the file as reference, results reported only on what the file describes. The peers (Jena,
        pyshacl on an rdflib graph) only with ``--only shacl``: minutes ``make bench`` spends on the targets."""
        from sarcoma_kg import paths

        if self.only != "shacl" and n > self.caps.shacl_max_cases:
            reason = f"above {self.caps.shacl_max_cases} cases only with --only shacl (make bench-shacl)"
            self.results["shacl"][str(n)] = {"ours": {"status": "skipped", "reason": reason}}
            return
        shapes = [str(p) for p in paths.shapes_files()]
        reference = [*(str(p) for p in paths.ontology_files()), *(str(p) for p in paths.data_files())]
        data = [str(cohort)]
        common = {"task": "shacl", "reference": reference, "data": data}
        per_mode: dict[str, Any] = {}
        self.results["shacl"][str(n)] = per_mode
        per_mode["ours"] = self.measure(f"SHACL {n} cases [ours]", {**common, "mode": "ours"})
        if self.only != "shacl":
            self.save()
            return
        if jena_available():
            shapes_file = self.work / "shapes-all.ttl"
            data_file = self.work / f"shacl-data-{n}.ttl"
            _concatenate_turtle(shapes, shapes_file)
            _concatenate_turtle([*reference, *data], data_file)
            spec = {**common, "mode": "jena", "jena": str(jena_script())}
            spec |= {"shapes_file": str(shapes_file), "data_file": str(data_file)}
            per_mode["jena"] = self.measure(f"SHACL {n} cases [Apache Jena]", spec)
        else:
            per_mode["jena"] = {"status": "skipped", "reason": "libapache-jena-java is not installed"}
        earlier = [
            size
            for size in self.sizes
            if size < n and self.results["shacl"].get(str(size), {}).get("pyshacl", {}).get("status") == "timeout"
        ]
        if earlier:
            per_mode["pyshacl"] = {"status": "skipped", "reason": f"timed out on {earlier[0]} cases"}
        elif n <= self.caps.pyshacl_max_cases:
            spec = {**common, "mode": "pyshacl", "shapes": shapes}
            per_mode["pyshacl"] = self.measure(f"SHACL {n} cases [pyshacl, rdflib graph]", spec, self.caps.pyshacl_s)
        else:
            per_mode["pyshacl"] = {
                "status": "skipped",
                "reason": f"not tried above {self.caps.pyshacl_max_cases} cases (does not finish in minutes)",
            }
        self.save()

    def scale_out(self, release: Path) -> None:
        """Past one machine: ``scale`` cases imported to N-Triples, loaded into running Oxigraph and Virtuoso
        servers, queried there.

        The big sheet is the largest cohort's, repeated with its case ids re-seeded (``GEN-1-`` becomes ``GEN-2-``,
        ...): distinct cases, each the same work to import, load and stage as a freshly generated one. Its import is
        compared with the largest cohort's own (the same streaming path at a quarter of the size), so that the two
        peaks say whether memory stays bounded.
        """
        entry: dict[str, Any] = self.results["scale_out"]
        base = self.sizes[-1]
        if self._generated[0]["status"] != "ok":
            entry["generate"] = self._generated[0]
            self.save()
            return
        big_csv = self.work / f"cohort-{self.scale}.csv"
        seeds = [self.seed + k for k in range(-(-self.scale // base))]
        spec = {"task": "replicate", "sheet": str(self.work / f"cohort-{base}.csv"), "seeds": seeds}
        spec |= {"rows": self.scale, "output": str(big_csv)}
        entry["generate"] = self.measure(f"sheet of {self.scale} cases", spec) | {"seeds": seeds}
        entry["import_base"] = self.results["cohorts"].get(str(base), {}).get("import", {"status": "skipped"})
        entry["import"] = self.import_cases(big_csv, self.work / f"cohort-{self.scale}.nt")
        self.save()
        if entry["import"]["status"] != "ok":
            return
        files = [str(release), entry["import"]["output"]]
        common = {"work": str(self.work), "files": files, "cohort_graph": COHORT_GRAPH}
        exe = oxigraph_executable()
        if exe is None:
            entry["server"] = {"status": "skipped", "reason": "the oxigraph server (PyPI oxigraph) is not installed"}
        else:
            caps = {"cap_s": self.caps.server_s, "query_cap_s": self.caps.server_query_s}
            spec = {"task": "server", "oxigraph": exe, **common, **caps}
            timeout = 3 * self.caps.server_s + 2 * self.caps.server_query_s + 120  # past every inner cap
            entry["server"] = self.measure(f"Oxigraph server with {self.scale} cases", spec, timeout)
            self.save()
        if shutil.which("virtuoso-t") is None or shutil.which("isql-vt") is None:
            reason = "Virtuoso 7 is not installed (make system-deps: Debian virtuoso-opensource)"
            entry["virtuoso"] = {"status": "skipped", "reason": reason}
        else:
            caps = {"cap_s": self.caps.virtuoso_s, "query_cap_s": self.caps.virtuoso_query_s}
            spec = {"task": "virtuoso", **common, **caps, "buffers": self.caps.virtuoso_buffers}
            timeout = 3 * self.caps.virtuoso_s + 2 * self.caps.virtuoso_query_s + 180  # two server starts, stops
            entry["virtuoso"] = self.measure(f"Virtuoso with {self.scale} cases", spec, timeout)
        self.save()

    # ------------------------------------------------------------------------------------------ run
    def run(self) -> dict:
        self.work.mkdir(parents=True, exist_ok=True)
        release = self.build()
        self.generate_sheets()
        for n in self.sizes[-1:] if self.only == "scale" else self.sizes:
            cohort = self.cohort(n)
            if cohort is None:
                log(f"no cohort of {n} cases: skipping its measurements")
                continue
            if self.only is None:
                self.queries(n, [str(release), str(cohort)])
                if n == self.sizes[-1]:
                    self.materialised(n, release)
            if self.only in (None, "shacl"):
                self.shacl(n, cohort)
        if self._scale_on():
            self.scale_out(release)
        self.results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        self.results["seconds"] = time.monotonic() - self.started
        self.save()
        return self.results

    def save(self) -> None:
        self.results["seconds"] = time.monotonic() - self.started
        self.results["bounds"] = bounds(self.results)
        self.out.mkdir(parents=True, exist_ok=True)
        _write(
            self.out / "latest.json",
            json.dumps(self.results, indent=2, sort_keys=True) + "\n",
        )


def _concatenate_turtle(files: list[str], target: Path) -> None:
    """One Turtle file from several (Jena's shacl takes one --data and one --shapes), written by Oxigraph."""
    import pyoxigraph as ox

    store = ox.Store()
    for file in files:
        store.bulk_load(path=file, format=ox.RdfFormat.TURTLE)
    store.dump(output=str(target), format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph())


def _write(path: Path, text: str) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], prog="bench/run.py")
    parser.add_argument(
        "--sizes",
        default="1000,10000,50000",
        help="cohort sizes in cases, comma-separated",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short caps and fewer repetitions (smoke runs)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "results",
        help="where latest.md and latest.json go",
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=HERE / "work",
        help="scratch directory (cohorts, builds)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the cohort generator")
    parser.add_argument(
        "--scale",
        type=int,
        help="cases of the past-one-machine step (server load and query); 0 skips it "
        "(default: 200000, with --quick twice the largest size)",
    )
    parser.add_argument(
        "--release",
        type=Path,
        help="use this existing build directory instead of building (and timing) one",
    )
    parser.add_argument(
        "--only",
        choices=["shacl", "scale"],
        help="measure only this part (the build and the cohorts it needs are still made; scale: the largest "
        "cohort and the past-one-machine step)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    scale = args.scale if args.scale is not None else 2 * sizes[-1] if args.quick else 200_000
    if scale and scale <= sizes[-1]:
        raise SystemExit(f"bench: --scale {scale} must be above the largest size ({sizes[-1]}), or 0")
    caps = QUICK if args.quick else FULL
    bench = Bench(sizes, caps, args.out, args.work, args.quick, args.seed, args.release, args.only, scale)
    results = bench.run()
    markdown = render_markdown(results)
    _write(args.out / "latest.md", markdown)
    print(markdown)
    print("\n".join(summarise(results)))
    log(f"done in {results['seconds']:.0f} s; wrote {args.out / 'latest.md'} and {args.out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
