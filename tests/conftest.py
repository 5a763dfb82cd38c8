"""Shared fixtures. Fixture files under tests/data/ are read-only; tests write only under tmp_path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph

from sarcoma_kg.build import INFERRED_FILE, BuildSummary, build, load_built_graph

REPO = Path(__file__).resolve().parent.parent
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


_VIRTUOSO_INI = """\
; Written by the test fixture: a throw-away Virtuoso 7 on 127.0.0.1, no system service, no fixed port.
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DirsAllowed = ., {db}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 4
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 120
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its base URL, SQL port (for ``isql-vt``), database directory, and dba password."""

    url: str
    sql_port: int
    directory: Path
    password: str = "dba"

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    @property
    def graph_store(self) -> str:
        """The Graph Store Protocol endpoint, credentials in the URL as ``sarcoma-kg load`` takes them."""
        return self.url.replace("http://", f"http://dba:{self.password}@") + "/sparql-graph-crud-auth"

    def isql(self, *statements: str) -> str:
        """Run SQL statements through ``isql-vt`` (as the README's bulk-load commands do)."""
        command = ["isql-vt", str(self.sql_port), "dba", self.password, "VERBOSE=OFF", "BANNER=OFF"]
        script = "".join(f"{statement};\n" for statement in statements)
        done = subprocess.run(command, input=script, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode != 0 or "*** Error" in done.stdout:
            pytest.fail(f"isql-vt failed: {done.stdout}{done.stderr}")
        return done.stdout


@pytest.fixture(scope="session")
def start_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Virtuoso]]:
    """Start real Virtuoso 7 servers (Debian ``virtuoso-opensource``, installed by ``make system-deps``) on
    127.0.0.1, each with a temporary database directory and its own virtuoso.ini on free ports; all stopped at
    the end of the session."""
    exe = shutil.which("virtuoso-t")
    if exe is None:
        pytest.fail("Virtuoso is not installed: run 'make system-deps' (Debian package virtuoso-opensource)")
    processes: list[subprocess.Popen] = []

    def start() -> Virtuoso:
        directory = tmp_path_factory.mktemp("virtuoso")
        sql_port, http_port = _free_port(), _free_port()
        ini = directory / "virtuoso.ini"
        ini.write_text(_VIRTUOSO_INI.format(db=directory, sql_port=sql_port, http_port=http_port), encoding="utf-8")
        process = subprocess.Popen(
            [exe, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(process)
        server = Virtuoso(url=f"http://127.0.0.1:{http_port}", sql_port=sql_port, directory=directory)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = directory / "virtuoso.log"
                pytest.fail(
                    f"virtuoso-t exited early: {log.read_text(errors='replace')[-2000:] if log.exists() else ''}"
                )
            try:
                with urllib.request.urlopen(f"{server.sparql}?query=ASK%7B%7D", timeout=2):
                    return server
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        pytest.fail("virtuoso did not start within 120 s")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


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
