"""A private Virtuoso 7 on 127.0.0.1, for the benchmark (``bench/run.py``) and the store-parity tests.

Debian's ``virtuoso-opensource`` (``make system-deps``) ships a system service on fixed ports; neither the tests nor
the benchmark use it. Each server started here has its own database directory, its own ``virtuoso.ini`` on free
ports, and is stopped by whoever started it. Kept out of ``src/``: it is how we test and measure, not what users
run. Failures raise ``VirtuosoError`` with the server's log tail; callers turn it into a test failure or a
benchmark row.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Virtuoso", "VirtuosoError", "free_port", "start", "stop"]

INI = """\
; Written by sarcoma-kg's tests or benchmark: a throw-away Virtuoso 7 on 127.0.0.1, no system service, no fixed port.
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
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty_buffers}
ThreadsPerQuery = 2
CheckpointInterval = 0

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 4
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = {query_time_s}
"""


class VirtuosoError(RuntimeError):
    """Virtuoso is missing, did not start, or an ``isql-vt`` script failed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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

    def isql(self, *statements: str, timeout: float = 300) -> str:
        """Run SQL statements through ``isql-vt`` (as the README's bulk-load commands do); its output."""
        command = ["isql-vt", str(self.sql_port), "dba", self.password, "VERBOSE=OFF", "BANNER=OFF"]
        script = "".join(f"{statement};\n" for statement in statements)
        try:
            done = subprocess.run(command, input=script, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise VirtuosoError(f"isql-vt did not finish within {timeout:.0f} s") from exc
        if done.returncode != 0 or "*** Error" in done.stdout:
            raise VirtuosoError(f"isql-vt failed: {done.stdout}{done.stderr}")
        return done.stdout


def start(
    directory: Path,
    *,
    buffers: int = 10_000,
    dirty_buffers: int = 6_000,
    max_rows: int = 1_000_000,
    query_time_s: int = 120,
    wait_s: float = 120,
) -> tuple[subprocess.Popen, Virtuoso]:
    """Start ``virtuoso-t`` with its database in ``directory`` (created, should be empty); returns once it answers.

    ``buffers`` are 8 KiB pages of cache (Virtuoso's guide: about 85,000 per GB given to it); the tests' small
    graphs need the default, a load of millions of triples wants far more. ``query_time_s`` is Virtuoso's own
    per-query limit (``MaxQueryExecutionTime``).
    """
    exe = shutil.which("virtuoso-t")
    if exe is None:
        raise VirtuosoError("Virtuoso is not installed: run 'make system-deps' (Debian package virtuoso-opensource)")
    directory = directory.resolve()  # the server runs in it: its ini's paths must not be relative
    directory.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    settings = {"db": directory, "sql_port": sql_port, "http_port": http_port, "buffers": buffers}
    settings |= {"dirty_buffers": dirty_buffers, "max_rows": max_rows, "query_time_s": query_time_s}
    ini = directory / "virtuoso.ini"
    ini.write_text(INI.format(**settings), encoding="utf-8")
    process = subprocess.Popen(
        [exe, "+foreground", "+configfile", str(ini)],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Virtuoso(url=f"http://127.0.0.1:{http_port}", sql_port=sql_port, directory=directory)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = directory / "virtuoso.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise VirtuosoError(f"virtuoso-t exited early: {tail}")
        try:
            with urllib.request.urlopen(f"{server.sparql}?query=ASK%7B%7D", timeout=2):
                return process, server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    stop(process)
    raise VirtuosoError(f"virtuoso did not start within {wait_s:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a server started by ``start`` (SIGTERM, then SIGKILL after ``timeout``)."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
