"""ROBOT ``report``-style quality checks on the ontology and knowledge base, in Python.

Each check is one SPARQL file ``queries/qc/<check>.rq`` returning ``?entity ?property ?value``, one row per
problem, with a strict header::

    #+ check: missing_label
    #+ level: ERROR
    #+ description: A class, property or named individual has no rdfs:label.

Names and levels follow ROBOT's default report profile (ERROR, WARN, INFO), so a curator who knows ROBOT reads
the report at once; ``undeclared_property``, ``punned_property`` and ``statement_without_source`` are ours.
The checks run on the *asserted* ontology plus knowledge-base data (what curators edit, not what HermiT
concluded), with Oxigraph's SPARQL engine. Running ROBOT itself would need a 100 MB Java download for checks
that are a few lines of SPARQL each.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from . import paths
from .errors import InputError
from .graph import load_knowledge_base, ox_store

__all__ = ["Level", "QcCheck", "QcResult", "failed", "load_checks", "run_checks"]


class Level(StrEnum):
    """ROBOT's report levels, most severe first."""

    ERROR = "ERROR"
    WARN = "WARN"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass(frozen=True)
class QcCheck:
    """One stored check: its name, level, description and query text."""

    name: str
    level: Level
    description: str
    query: str
    path: Path


@dataclass(frozen=True)
class QcResult:
    """One problem found by a check, as ROBOT reports it (IRIs and literal values as text, ``""`` when unbound)."""

    check: str
    level: Level
    entity: str
    property: str
    value: str

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Most severe first, then by check, entity, property and value."""
        return (self.level.rank, self.check, self.entity, self.property, self.value)


_HEADER = re.compile(r"^#\+\s*(?P<key>[a-z_]+)\s*:\s*(?P<value>.*?)\s*$")
_REQUIRED = ("check", "level", "description")
_NAME = re.compile(r"^[a-z][a-z_]*$")


def _parse_check(path: Path) -> QcCheck:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#+"):
            break
        match = _HEADER.match(line)
        if match is None:
            raise InputError(f"{path}: malformed header line {line!r} (expected '#+ key: value')")
        if match["key"] not in _REQUIRED:
            raise InputError(f"{path}: unknown header key {match['key']!r} (allowed: {', '.join(_REQUIRED)})")
        header[match["key"]] = match["value"]
    missing = [key for key in _REQUIRED if not header.get(key)]
    if missing:
        raise InputError(f"{path}: header lacks {', '.join(missing)}")
    if header["check"] != path.stem or not _NAME.match(path.stem):
        raise InputError(f"{path}: '#+ check: {header['check']}' must equal the file name in snake_case")
    try:
        level = Level(header["level"])
    except ValueError:
        raise InputError(f"{path}: level {header['level']!r} is not one of ERROR, WARN, INFO") from None
    try:
        parsed = ox.Store().query(text)
    except SyntaxError as exc:
        raise InputError(f"{path}: invalid SPARQL: {exc}") from exc
    if not isinstance(parsed, ox.QuerySolutions) or [v.value for v in parsed.variables] != [
        "entity",
        "property",
        "value",
    ]:
        raise InputError(f"{path}: a QC query must be a SELECT of exactly ?entity ?property ?value")
    return QcCheck(header["check"], level, header["description"], text, path)


def load_checks(directory: str | os.PathLike[str] | None = None) -> list[QcCheck]:
    """Every ``*.rq`` check in ``directory`` (default ``queries/qc/``), sorted by name; bad headers raise."""
    folder = Path(directory) if directory is not None else paths.qc_queries_dir()
    files = sorted(folder.glob("*.rq"))
    if not files:
        raise InputError(f"no QC checks (*.rq) found in {folder}")
    return [_parse_check(file) for file in files]


def _text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def run_checks(
    graph: Graph | None = None,
    *,
    checks: list[QcCheck] | None = None,
) -> list[QcResult]:
    """Run the checks on ``graph`` (default: the asserted ontology and knowledge base), sorted by level, check,
    entity, property, value."""
    target = graph if graph is not None else load_knowledge_base()
    store = ox_store(target)
    if store is None:  # an rdflib in-memory graph: copy it into Oxigraph once
        store = ox.Store()
        store.load(target.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    results: set[QcResult] = set()
    for check in checks if checks is not None else load_checks():
        for row in store.query(check.query):
            results.add(
                QcResult(check.name, check.level, _text(row["entity"]), _text(row["property"]), _text(row["value"]))
            )
    return sorted(results, key=QcResult.sort_key)


def failed(results: list[QcResult], level: Level = Level.ERROR) -> bool:
    """True when a result is at ``level`` or more severe (what ``--fail-on`` tests)."""
    return any(result.level.rank <= level.rank for result in results)
