"""Shared fixtures. Fixture files under tests/data/ are read-only; tests write only under tmp_path."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from rdflib import Graph

from sarcoma_kg.build import INFERRED_FILE, BuildSummary, build, load_built_graph

REPO = Path(__file__).resolve().parent.parent


def _bench_module(name: str) -> ModuleType:
    """A helper of ``bench/`` shared with the tests (bench/ is scripts, not a package on the path)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


_virtuoso = _bench_module("virtuoso")
Virtuoso = _virtuoso.Virtuoso  # tests/test_stores.py imports it from here
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def build_summary(tmp_path_factory: pytest.TempPathFactory) -> BuildSummary:
    """One real build (HermiT included) shared by the session."""
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def build_dir(build_summary: BuildSummary) -> Path:
    """The directory of the session's build: sarcoma-kg.ttl, .owl and -inferred.ttl."""
    return build_summary.outputs[0].parent


@pytest.fixture(scope="session")
def kg(build_dir: Path) -> Graph:
    """The reasoned knowledge graph on the default (Oxigraph) store. Read it; never modify it."""
    return load_built_graph(build_dir)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _oxigraph_executable() -> str:
    exe = Path(sys.executable).parent / "oxigraph"
    found = str(exe) if exe.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the 'oxigraph' server (PyPI package oxigraph) is not installed: run 'make install'")
    return found


@pytest.fixture(scope="session")
def start_oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Start real Oxigraph servers on 127.0.0.1 (free port); returns the base URL (``http://127.0.0.1:N``).

    ``start_oxigraph(files=[...], read_only=True)`` loads the files first; ``union_default_graph=True`` makes the
    default graph the union of the named graphs (as GraphDB's and Virtuoso's are), so queries see what was loaded
    into a named graph. Endpoints: ``/query``, ``/update``, ``/store``. Every server is stopped at the end of the
    session.
    """
    exe = _oxigraph_executable()
    processes: list[subprocess.Popen] = []

    def start(
        files: list[Path] | tuple[Path, ...] = (), *, read_only: bool = False, union_default_graph: bool = False
    ) -> str:
        location = tmp_path_factory.mktemp("oxigraph")
        for file in files:
            subprocess.run(
                [exe, "load", "--location", str(location), "--file", str(file)], check=True, capture_output=True
            )
        port = _free_port()
        command = [
            exe,
            "serve-read-only" if read_only else "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        if union_default_graph:
            command.append("--union-default-graph")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"oxigraph exited early: {process.stderr.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/query?query=ASK%7B%7D", timeout=2):
                    return url
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        pytest.fail("oxigraph did not start within 20 s")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def start_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Virtuoso]]:
    """Start real Virtuoso 7 servers (Debian ``virtuoso-opensource``, installed by ``make system-deps``) on
    127.0.0.1, each with a temporary database directory and its own virtuoso.ini on free ports (``bench/virtuoso.py``,
    which the benchmark uses too); all stopped at the end of the session. Keyword arguments are ``start()``'s
    settings, e.g. ``start_virtuoso(max_rows=5)`` for a server that cuts answers at 5 rows."""
    processes: list[subprocess.Popen] = []

    def start(**settings: int) -> Virtuoso:
        try:
            process, server = _virtuoso.start(tmp_path_factory.mktemp("virtuoso"), **settings)
        except _virtuoso.VirtuosoError as exc:
            pytest.fail(str(exc))
        processes.append(process)
        return server

    yield start
    for process in processes:
        _virtuoso.stop(process)


@pytest.fixture(scope="session")
def kg_server(start_oxigraph: Callable[..., str], build_dir: Path) -> str:
    """A read-only Oxigraph server holding the session's inferred release."""
    return start_oxigraph([build_dir / INFERRED_FILE], read_only=True)


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the installed script in a subprocess (cwd = tmp_path)."""
    env = dict(os.environ)
    env.pop("PYTHONHASHSEED", None)
    return env


CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# Flags that keep Chromium offline and quiet in a container: no sandbox, no GPU, no background traffic.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1600",
)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Debian's headless Chromium driven by selenium (one per test module)."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    for binary in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(binary):
            pytest.fail(f"{binary} is missing: run 'make system-deps' (Debian packages chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
