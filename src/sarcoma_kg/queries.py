"""The catalogue of stored SPARQL queries: strict headers, parameters bound as RDF terms, W3C result formats.

Each ``queries/*.rq`` file answers one question. It starts with a grlc-style ``#+`` YAML header::

    #+ summary: Therapies for a disease and its subtypes
    #+ description: ...
    #+ tags: [therapy]
    #+ params:
    #+   disease: {type: iri, default: sarc:AlveolarSoftPartSarcoma, description: ...}
    #+ columns: [therapy, therapyLabel, source]

The header is validated strictly (unknown or missing keys, bad parameter types, a parameter the query does
not use, declared columns that differ from the SELECT projection are all errors), because researchers rely on
it: the README's catalogue and ``sarcoma-kg queries`` are generated from it.

Parameters are never pasted into query text as typed: a value is parsed into an RDF term of its declared type
(an IRI is validated by Oxigraph) and bound through a ``VALUES`` block written from the term and proven by
parsing it back (:func:`inject_bindings`), the same way on the embedded store and on remote endpoints
(:mod:`sarcoma_kg.endpoint`).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path

import pyoxigraph as ox
import yaml
from pyparsing import ParseException
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.query import Result
from rdflib.term import Node

from . import paths
from .errors import EndpointError, QueryError
from .fileio import write_atomic
from .graph import from_ox, ox_query_options, ox_store
from .limits import run_limited
from .namespaces import PREFIXES, sparql_prologue
from .services import check_services, service_endpoints

__all__ = [
    "DEFAULT_TIMEOUT",
    "README_END",
    "README_START",
    "ParamType",
    "QueryForm",
    "QueryParam",
    "QueryResult",
    "ResultFormat",
    "Rows",
    "StoredQuery",
    "adhoc_query",
    "answerable_form",
    "bind_params",
    "catalogue_markdown",
    "compact_term",
    "ensure_read_only",
    "ensure_terms_in_graph",
    "get_query",
    "inject_bindings",
    "load_catalogue",
    "load_query",
    "parse_header",
    "parse_param_value",
    "projection",
    "result_from_rdflib",
    "run_local",
    "serialize_result",
    "table_rows",
    "update_readme",
    "values_block",
]

README_START = "<!-- query-catalogue:start -->"
#: Seconds a query may run, on the embedded store as on an endpoint (``--timeout``).
DEFAULT_TIMEOUT = 30.0
README_END = "<!-- query-catalogue:end -->"

_HEADER_KEYS = {"summary", "description", "tags", "params", "columns"}
_REQUIRED_KEYS = {"summary", "description", "tags", "columns"}
_PARAM_KEYS = {"type", "default", "description"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_QUERY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_TAG = _QUERY_NAME
# Schemes accepted in full IRIs; anything else before a colon is taken for a CURIE with an unknown prefix.
_IRI_SCHEMES = {"http", "https", "urn", "ftp", "file", "mailto", "tag"}


class ParamType(StrEnum):
    """The type of a query parameter; a value is parsed into an RDF term of this type."""

    IRI = "iri"
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"


class QueryForm(StrEnum):
    """The SPARQL query forms we answer (updates are refused before they get here)."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"


class ResultFormat(StrEnum):
    """Output formats: the W3C SPARQL 1.1 results formats, and an aligned table for a terminal."""

    TABLE = "table"
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"


@dataclass(frozen=True)
class QueryParam:
    """One declared parameter: its SPARQL variable name, type, default (text, as a user would type it)."""

    name: str
    type: ParamType
    default: str | None = None
    description: str = ""


@dataclass(frozen=True)
class StoredQuery:
    """A query with its validated header. Ad-hoc queries have an empty header and columns from the query."""

    name: str
    path: Path | None
    summary: str
    description: str
    tags: tuple[str, ...]
    params: tuple[QueryParam, ...]
    columns: tuple[str, ...]
    text: str = field(repr=False)

    def param(self, name: str) -> QueryParam:
        """The declared parameter ``name``; ``QueryError`` naming the declared ones otherwise."""
        for param in self.params:
            if param.name == name:
                return param
        declared = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"query '{self.name}' has no parameter '{name}' (its parameters: {declared})")


Term = Node | ox.NamedNode | ox.BlankNode | ox.Literal
_OX_PLAIN = frozenset({str(XSD.string), "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"})


class Rows(Sequence[tuple[Node | None, ...]]):
    """A result's rows as tuples of rdflib terms (None where unbound), made from the engine's terms when read.

    Oxigraph answers with its own terms; making an rdflib term of each cell costs more than most stored queries
    take inside Oxigraph, and many callers only count rows or render them as text. So the engine's rows are
    kept (``cells``) and a row is converted when it is read (and kept). Rows compare equal to a tuple of the
    same rows, so a ``Rows`` stands wherever a tuple of rows did.
    """

    __slots__ = ("_cells", "_read")

    def __init__(self, cells: Sequence[Iterable[Term | None]]) -> None:
        self._cells = cells
        self._read: list[tuple[Node | None, ...] | None] | None = None

    def cells(self) -> Sequence[Iterable[Term | None]]:
        """The rows as the engine gave them (pyoxigraph or rdflib terms), for renderers that need only text."""
        return self._cells

    def _row(self, index: int) -> tuple[Node | None, ...]:
        if self._read is None:
            self._read = [None] * len(self._cells)
        row = self._read[index]
        if row is None:
            row = self._read[index] = tuple(map(_rdflib_term, self._cells[index]))
        return row

    def __len__(self) -> int:
        return len(self._cells)

    def __getitem__(self, index):  # type: ignore[override]  # int -> row, slice -> tuple of rows
        if isinstance(index, slice):
            return tuple(self._row(i) for i in range(*index.indices(len(self._cells))))
        return self._row(range(len(self._cells))[index])

    def __iter__(self) -> Iterator[tuple[Node | None, ...]]:
        return (self._row(i) for i in range(len(self._cells)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows | tuple | list):
            return len(self) == len(other) and all(a == tuple(b) for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


def _rdflib_term(term: Term | None) -> Node | None:
    return from_ox(term) if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal) else term


@dataclass(frozen=True)
class QueryResult:
    """Rows of RDF terms (None where unbound) under named columns; ``boolean`` is set for ASK queries only.

    ``rows`` is a tuple of tuples or, from the embedded store, :class:`Rows` (converted as read).
    """

    columns: tuple[str, ...]
    rows: Sequence[tuple[Node | None, ...]]
    boolean: bool | None = None

    def cells(self) -> Iterable[Iterable[Term | None]]:
        """The rows with the terms as the engine gave them (pyoxigraph or rdflib ones): what renderers read."""
        return self.rows.cells() if isinstance(self.rows, Rows) else self.rows


# ---------------------------------------------------------------------------------------------------------
# Headers and the catalogue
# ---------------------------------------------------------------------------------------------------------


def parse_header(text: str, source: str = "<query>") -> dict | None:
    """The YAML of the leading ``#+`` lines of a query, or None when it has no header.

    >>> parse_header("#+ summary: x\\n#+ tags: [a]\\nSELECT * {}")
    {'summary': 'x', 'tags': ['a']}
    """
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#+"):
            body = stripped[2:]
            lines.append(body[1:] if body.startswith(" ") else body)
        elif stripped and not stripped.startswith("#"):
            break
    if not lines:
        return None
    try:
        header = yaml.safe_load("\n".join(lines))
    except yaml.YAMLError as exc:
        detail = str(exc).replace("\n", " ")
        raise QueryError(f"{source}: header is not valid YAML: {detail}") from exc
    if not isinstance(header, dict):
        raise QueryError(f"{source}: header must be a YAML mapping of summary, description, tags, params, columns")
    return header


def _text_field(header: dict, key: str, source: str) -> str:
    value = header[key]
    if not isinstance(value, str) or not value.strip():
        raise QueryError(f"{source}: header '{key}' must be a non-empty string")
    return " ".join(value.split())


def _name_list(header: dict, key: str, source: str, pattern: re.Pattern[str] = _NAME) -> tuple[str, ...]:
    value = header[key]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and pattern.match(v) for v in value):
        example = "[therapy, asps]" if pattern is _TAG else "[therapy, therapyLabel, source]"
        raise QueryError(f"{source}: header '{key}' must be a non-empty list of names, e.g. {example}")
    if len(set(value)) != len(value):
        raise QueryError(f"{source}: header '{key}' repeats a name")
    return tuple(value)


def _params(header: dict, source: str) -> tuple[QueryParam, ...]:
    raw = header.get("params") or {}
    if not isinstance(raw, dict):
        raise QueryError(f"{source}: header 'params' must map each parameter name to {{type: ..., default: ...}}")
    params = []
    for name, spec in raw.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise QueryError(f"{source}: parameter name {name!r} is not a SPARQL variable name")
        if not isinstance(spec, dict):
            raise QueryError(f"{source}: parameter '{name}' must be a mapping with a 'type'")
        unknown = set(spec) - _PARAM_KEYS
        if unknown:
            raise QueryError(f"{source}: parameter '{name}' has unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        try:
            kind = ParamType(spec.get("type"))
        except ValueError:
            choices = ", ".join(t.value for t in ParamType)
            raise QueryError(
                f"{source}: parameter '{name}' has type {spec.get('type')!r}; expected one of {choices}"
            ) from None
        default = spec.get("default")
        if isinstance(default, bool):
            default = "true" if default else "false"
        elif default is not None:
            default = str(default)
        description = spec.get("description", "")
        if not isinstance(description, str):
            raise QueryError(f"{source}: parameter '{name}' description must be a string")
        param = QueryParam(name, kind, default, " ".join(description.split()))
        if default is not None:
            try:
                parse_param_value(param, default)
            except QueryError as exc:
                raise QueryError(f"{source}: default of parameter '{name}': {exc}") from None
        params.append(param)
    return tuple(params)


def _strip_comments(text: str) -> str:
    """The query without ``#`` comments (outside IRIs and strings), to look for variables in."""
    out = []
    for line in text.splitlines():
        in_string: str | None = None
        in_iri = False
        cut = len(line)
        for i, ch in enumerate(line):
            if in_string:
                if ch == in_string and line[i - 1] != "\\":
                    in_string = None
            elif in_iri:
                in_iri = ch != ">"
            elif ch in "\"'":
                in_string = ch
            elif ch == "<" and re.match(r"<[^<>\"{}|^`\\\s]*>", line[i:]):
                in_iri = True
            elif ch == "#":
                cut = i
                break
        out.append(line[:cut])
    return "\n".join(out)


def projection(text: str) -> tuple[str, ...]:
    """The variables a SELECT query projects, as Oxigraph reads it (evaluated on an empty store).

    A federated query is not evaluated, even on an empty store (Oxigraph would call its ``SERVICE``
    endpoints): rdflib's algebra gives its projection without running it.
    """
    if service_endpoints(text):
        return _parsed_projection(text)
    try:
        result = ox.Store().query(text, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    if not isinstance(result, ox.QuerySolutions):
        return ()
    return tuple(v.value for v in result.variables)


def _parsed_projection(text: str) -> tuple[str, ...]:
    try:
        algebra = translateQuery(parseQuery(sparql_prologue() + text)).algebra
    except (ParseException, Exception) as exc:  # rdflib raises plain Exceptions for unknown prefixes
        raise QueryError(f"SPARQL syntax error: {' '.join(str(exc).split())[:200]}") from None
    if algebra.name != "SelectQuery":
        return ()
    return tuple(str(v) for v in algebra["PV"])


def _build_query(name: str, path: Path | None, text: str, header: dict | None, source: str) -> StoredQuery:
    form = ensure_read_only(text, source=source)
    if header is None:
        columns = projection(text) if form is QueryForm.SELECT else ()
        return StoredQuery(name, path, "", "", (), (), columns, text)
    unknown = set(header) - _HEADER_KEYS
    if unknown:
        raise QueryError(f"{source}: unknown header key(s) {', '.join(sorted(map(str, unknown)))}")
    missing = _REQUIRED_KEYS - set(header)
    if missing:
        raise QueryError(f"{source}: header is missing {', '.join(sorted(missing))}")
    if form is not QueryForm.SELECT:
        raise QueryError(f"{source}: a stored query with a header must be a SELECT query (found {form.value})")
    summary = _text_field(header, "summary", source)
    description = _text_field(header, "description", source)
    tags = _name_list(header, "tags", source, _TAG)
    columns = _name_list(header, "columns", source)
    params = _params(header, source)
    body = _strip_comments(text)
    for param in params:
        if not re.search(rf"[?$]{param.name}\b", body):
            raise QueryError(f"{source}: parameter '{param.name}' is not used as ?{param.name} in the query")
    projected = projection(text)
    if projected != columns:
        raise QueryError(
            f"{source}: declared columns [{', '.join(columns)}] differ from the SELECT projection "
            f"[{', '.join(projected)}]"
        )
    return StoredQuery(name, path, summary, description, tags, params, columns, text)


def load_query(path: str | os.PathLike[str]) -> StoredQuery:
    """Read and validate one ``.rq`` file; its header, when present, is checked strictly."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QueryError(f"{file}: no such query file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryError(f"{file}: cannot read the query: {exc}") from None
    source = str(file)
    return _build_query(file.stem, file, text, parse_header(text, source), source)


def load_catalogue(directory: str | os.PathLike[str] | None = None) -> tuple[StoredQuery, ...]:
    """Every stored query (``queries/*.rq``, not the QC checks in ``queries/qc/``), sorted by name.

    Each must have a valid header: a stored query without one is an error, not something to skip.
    """
    folder = Path(directory) if directory is not None else paths.queries_dir()
    catalogue = []
    for file in sorted(folder.glob("*.rq")):
        if not _QUERY_NAME.match(file.stem):
            raise QueryError(f"{file}: stored query names are lower-case words joined by '-'")
        query = load_query(file)
        if not query.summary:
            raise QueryError(f"{file}: a stored query needs a '#+' header (summary, description, tags, columns)")
        catalogue.append(query)
    return tuple(catalogue)


def get_query(name_or_path: str, *, directory: str | os.PathLike[str] | None = None) -> StoredQuery:
    """A stored query by name (``therapies-for-disease``) or a query file by path (``my.rq``)."""
    if name_or_path.endswith((".rq", ".sparql")) or os.sep in name_or_path or "/" in name_or_path:
        return load_query(name_or_path)
    folder = Path(directory) if directory is not None else paths.queries_dir()
    if _QUERY_NAME.match(name_or_path) and (folder / f"{name_or_path}.rq").is_file():
        query = load_query(folder / f"{name_or_path}.rq")
        if not query.summary:
            raise QueryError(f"{query.path}: a stored query needs a '#+' header (summary, description, tags, columns)")
        return query
    if Path(name_or_path).is_file():  # a query file in the working directory, whatever its extension
        return load_query(name_or_path)
    names = [file.stem for file in sorted(folder.glob("*.rq"))]
    close = difflib.get_close_matches(name_or_path, names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; 'sarcoma-kg queries' lists them"
    raise QueryError(f"no stored query named '{name_or_path}'{hint}")


def adhoc_query(text: str, *, name: str = "<query-text>") -> StoredQuery:
    """A query typed by the user (``--query-text`` or standard input); a ``#+`` header is honoured if given."""
    if not text.strip():
        raise QueryError("the query text is empty")
    return _build_query(name, None, text, parse_header(text, name), name)


# ---------------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------------


def _parse_iri(value: str) -> URIRef:
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
    else:
        prefix, sep, local = text.partition(":")
        iri = PREFIXES[prefix] + local if sep and prefix in PREFIXES and not local.startswith("//") else text
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", iri)
    if not scheme or scheme.group(1).lower() not in _IRI_SCHEMES:
        known = ", ".join(sorted(PREFIXES))
        raise QueryError(
            f"'{value}' is not an IRI: give a full http(s) or urn IRI, or a CURIE with one of the prefixes {known}"
        )
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise QueryError(f"'{value}' is not a valid IRI ({exc})") from None
    return URIRef(iri)


def parse_param_value(param: QueryParam, value: str) -> Node:
    """The RDF term for a parameter value typed as text; ``QueryError`` when it does not fit the type.

    >>> parse_param_value(QueryParam("disease", ParamType.IRI), "sarc:KaposiSarcoma")
    rdflib.term.URIRef('https://w3id.org/sarcoma-kg/KaposiSarcoma')
    >>> parse_param_value(QueryParam("q", ParamType.STRING), '"} ; DROP ALL ; <').n3()
    '"\\\\"} ; DROP ALL ; <"'
    """
    if param.type is ParamType.IRI:
        return _parse_iri(value)
    if param.type is ParamType.STRING:
        return Literal(value)
    text = value.strip()
    if param.type is ParamType.INTEGER:
        if not re.fullmatch(r"[+-]?[0-9]+", text):
            raise QueryError(f"parameter '{param.name}' must be an integer, not '{value}'")
        return Literal(text, datatype=XSD.integer)
    if param.type is ParamType.DECIMAL:
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or not re.fullmatch(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)", text):
            raise QueryError(f"parameter '{param.name}' must be a decimal number, not '{value}'")
        return Literal(text, datatype=XSD.decimal)
    if text.lower() not in {"true", "false"}:
        raise QueryError(f"parameter '{param.name}' must be true or false, not '{value}'")
    return Literal(text.lower(), datatype=XSD.boolean)


def bind_params(query: StoredQuery, values: Mapping[str, str] | None = None) -> dict[str, Node]:
    """RDF terms for every declared parameter: the given text values, else the defaults.

    Unknown names and declared parameters with neither value nor default are errors.
    """
    given = dict(values or {})
    for name in given:
        query.param(name)
    bindings: dict[str, Node] = {}
    for param in query.params:
        text = given.get(param.name, param.default)
        if text is None:
            raise QueryError(
                f"query '{query.name}' needs a value for parameter '{param.name}' (--param {param.name}=...)"
            )
        bindings[param.name] = parse_param_value(param, text)
    return bindings


# ---------------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------------

# Skips what may hold a '{' without opening a group: comments, strings (long ones first) and IRIs.
_SKIP = re.compile(
    r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\s]*>',
    re.DOTALL,
)


def values_block(bindings: Mapping[str, Node]) -> str:
    """``VALUES ?a { term } VALUES ?b { term }`` for one row of bindings, checked by parsing it back.

    One single-variable block per parameter, not one ``VALUES (?a ?b)`` row: the join is the same, and
    Virtuoso 7 fails to compile a two-variable row beside DISTINCT and OPTIONAL ("SP031
    ssg_print_rvr_fixed_val"; docs/portability.md).

    >>> values_block({"q": Literal('x" } ; DROP ALL ; #')})
    'VALUES ?q { "x\\\\" } ; DROP ALL ; #" }'
    """
    names, terms = [], []
    for name, term in bindings.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise QueryError(f"'{name}' is not a SPARQL variable name")
        if isinstance(term, URIRef):
            try:
                ox.NamedNode(str(term))
            except ValueError as exc:
                raise QueryError(f"'{term}' is not a valid IRI ({exc})") from None
        elif not isinstance(term, Literal):
            raise QueryError(f"parameter '{name}' must be an IRI or a literal, not {type(term).__name__}")
        names.append(f"?{name}")
        terms.append(term.n3())
    block = " ".join(f"VALUES {name} {{ {term} }}" for name, term in zip(names, terms, strict=True))
    # The proof that nothing leaked: Oxigraph reads the block back as exactly these terms (one row, same values).
    solutions = list(ox.Store().query(f"SELECT * WHERE {{ {block} }}"))
    if len(solutions) != 1 or not all(_same_term(solutions[0][name], term) for name, term in bindings.items()):
        raise QueryError("a parameter value could not be written as an RDF term")
    return block


def _same_term(value: object, term: Node) -> bool:
    """Whether an Oxigraph term read back from a VALUES block is ``term`` (numbers compared by value, since
    Oxigraph writes their canonical form)."""
    if isinstance(term, URIRef):
        return isinstance(value, ox.NamedNode) and value.value == str(term)
    if not isinstance(value, ox.Literal) or not isinstance(term, Literal):
        return False
    datatype = str(term.datatype) if term.datatype else (None if term.language else str(XSD.string))
    language = value.language or None
    if language != (term.language or None) or (not language and value.datatype.value != datatype):
        return False
    if datatype in (str(XSD.integer), str(XSD.decimal)):
        try:
            return Decimal(value.value) == Decimal(str(term))
        except InvalidOperation:
            return False
    return value.value == str(term)


def inject_bindings(query_text: str, bindings: Mapping[str, Node]) -> str:
    """The query with a VALUES block for ``bindings`` at the start of its WHERE group.

    There the block binds the parameters before anything else in the group is evaluated, as a pre-bound
    variable would be. (Oxigraph's own ``substitutions``, behind rdflib's ``initBindings``, only accept
    variables of the SELECT projection, and a trailing VALUES clause, as rdflib's SPARQLStore writes it, joins
    after GROUP BY; neither fits parameters that filter a pattern.) The same text runs locally and remotely.

    >>> inject_bindings("SELECT ?x WHERE { ?x a ?c }", {"c": URIRef("https://w3id.org/sarcoma-kg/Drug")})
    'SELECT ?x WHERE { VALUES ?c { <https://w3id.org/sarcoma-kg/Drug> }\\n ?x a ?c }'
    """
    if not bindings:
        return query_text
    position = 0
    while True:
        skipped = _SKIP.search(query_text, position)
        brace = query_text.find("{", position)
        if brace < 0:
            raise QueryError("the query has no WHERE group to bind parameters in")
        if skipped is None or brace < skipped.start():
            break
        position = skipped.end()
    return f"{query_text[: brace + 1]} {values_block(bindings)}\n{query_text[brace + 1 :]}"


def ensure_read_only(text: str, *, source: str = "the query") -> QueryForm:
    """The form of a query; ``QueryError`` for SPARQL updates (INSERT, DELETE, DROP, LOAD, CLEAR, ...) and
    for text that is not SPARQL.

    >>> ensure_read_only("SELECT * WHERE { ?s ?p ?o }").value
    'SELECT'
    """
    kind = _parsed_kind(text)
    if kind is not None:
        return kind
    try:
        parseQuery(text)
    except ParseException as query_error:
        try:
            parseUpdate(text)
        except ParseException:
            detail = f"line {query_error.lineno}, column {query_error.col}: {query_error.msg}"
            raise QueryError(f"{source}: not a valid SPARQL query ({detail})") from None
        raise QueryError(
            f"{source} is a SPARQL update (INSERT, DELETE, DROP, LOAD, CLEAR, CREATE, ADD, MOVE or COPY): "
            "only read-only queries are run"
        ) from None
    raise AssertionError("unreachable: the query parsed once and not twice")  # pragma: no cover


@functools.lru_cache(maxsize=256)
def _parsed_kind(text: str) -> QueryForm | None:
    """The form of a query that rdflib's parser accepts, else None (cached: parsing costs ~50 ms a query)."""
    try:
        parsed = parseQuery(text)
    except ParseException:
        return None
    return {
        "SelectQuery": QueryForm.SELECT,
        "AskQuery": QueryForm.ASK,
        "ConstructQuery": QueryForm.CONSTRUCT,
        "DescribeQuery": QueryForm.DESCRIBE,
    }[parsed[1].name]


def answerable_form(text: str) -> QueryForm:
    """The form of a query we can answer (SELECT or ASK); ``QueryError`` for updates and other forms."""
    form = ensure_read_only(text)
    if form not in (QueryForm.SELECT, QueryForm.ASK):
        raise QueryError(
            f"{form.value} queries are not answered here: use SELECT or ASK ('sarcoma-kg export' writes graphs)"
        )
    return form


@functools.lru_cache(maxsize=256)
def _checked(query_text: str, allow_service: frozenset[str]) -> QueryForm:
    """The form of a query we may answer, its SERVICE endpoints allowed (cached: they depend on the text only)."""
    form = answerable_form(query_text)
    check_services(query_text, allow_service)
    return form


@functools.lru_cache(maxsize=1024)
def _bound_text(query_text: str, bindings: tuple[tuple[str, Node], ...]) -> str:
    """:func:`inject_bindings`, cached: writing and proving a VALUES block costs more than a small query."""
    return inject_bindings(query_text, dict(bindings))


def run_local(
    graph: Graph,
    query_text: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    allow_service: Sequence[str] = (),
) -> QueryResult:
    """Answer a SELECT or ASK query on ``graph`` (Oxigraph), with ``bindings`` substituted as RDF terms.

    ``SERVICE`` clauses are refused unless their endpoint is in ``allow_service``. The query stops after
    ``timeout`` seconds (``QueryTimeout``) or at Ctrl-C (``KeyboardInterrupt``): see :mod:`sarcoma_kg.limits`.
    On an Oxigraph-backed graph the query goes to the pyoxigraph store itself, asked as rdflib's ``Graph.query``
    would ask it (:func:`~sarcoma_kg.graph.ox_query_options`), and its rows stay Oxigraph terms until read
    (:class:`Rows`).
    """
    _checked(query_text, frozenset(allow_service))
    text = _bound_text(query_text, tuple((bindings or {}).items()))
    store = ox_store(graph)
    if store is None:

        def answer() -> QueryResult:
            return result_from_rdflib(graph.query(text))

    else:
        options = ox_query_options(graph)

        def answer() -> QueryResult:
            return _answer(store, text, options)

    try:
        return run_limited(answer, timeout=timeout)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    except OSError as exc:  # a SERVICE call that cannot be made
        detail = " ".join(str(exc).split())[:300]
        raise EndpointError(f"the query's SERVICE call failed: {detail}") from None


def _answer(store: ox.Store, text: str, options: Mapping[str, object]) -> QueryResult:
    """The query's whole answer from Oxigraph, read on this (worker) thread: pyoxigraph's solution iterator must
    be used and freed on the thread that made it, its solutions may go anywhere."""
    result = store.query(text, **options)
    if isinstance(result, ox.QueryBoolean):
        return QueryResult((), (), bool(result))
    columns = tuple(v.value for v in result.variables)
    return QueryResult(columns, Rows(list(result)))


def ensure_terms_in_graph(graph: Graph, bindings: Mapping[str, Node], names: Iterable[str]) -> None:
    """``QueryError`` when an IRI given for one of ``names`` occurs nowhere in ``graph`` (a typo, an old name):
    the query would answer 0 rows without saying why."""
    for name in names:
        term = bindings.get(name)
        if isinstance(term, URIRef) and (term, None, None) not in graph and (None, None, term) not in graph:
            raise QueryError(f"parameter '{name}': {compact_term(term)} is not in the graph (check the name)")


def result_from_rdflib(result: Result) -> QueryResult:
    """Our frozen result from an rdflib ``Result`` (SELECT or ASK)."""
    if result.type == "ASK":
        return QueryResult((), (), bool(result.askAnswer))
    variables = [Variable(v) for v in (result.vars or [])]
    rows = tuple(tuple(binding.get(v) for v in variables) for binding in result.bindings)
    return QueryResult(tuple(str(v) for v in variables), rows)


def _term_json(term: Term) -> dict[str, str]:
    """A term as in the W3C SPARQL 1.1 JSON results (the keys and values rdflib writes)."""
    if isinstance(term, URIRef | ox.NamedNode):
        return {"type": "uri", "value": str(term) if isinstance(term, URIRef) else term.value}
    if isinstance(term, BNode | ox.BlankNode):
        return {"type": "bnode", "value": str(term) if isinstance(term, BNode) else term.value}
    if isinstance(term, ox.Literal):
        if term.language:
            return {"type": "literal", "value": term.value, "xml:lang": term.language}
        return {"type": "literal", "value": _lexical(term), "datatype": term.datatype.value}
    if not isinstance(term, Literal):
        raise QueryError(f"cannot write {type(term).__name__} as a SPARQL result term")
    out = {"type": "literal", "value": str(term)}
    if term.datatype is not None:
        out["datatype"] = str(term.datatype)
    if term.language is not None:
        out["xml:lang"] = term.language
    return out


def _lexical(term: ox.Literal) -> str:
    """The literal's text as rdflib writes it: strings as they are; other datatypes through rdflib, whose
    normalised forms (``1.0`` for Oxigraph's ``1E0``) the outputs have always had."""
    if term.datatype.value in _OX_PLAIN:
        return term.value
    return str(from_ox(term))


def _results_json(result: QueryResult) -> bytes:
    """The SPARQL 1.1 JSON results document, key for key and byte for byte as rdflib's serializer writes it."""
    if result.boolean is not None:
        document: dict[str, object] = {"head": {}, "boolean": result.boolean}
    else:
        bindings = [
            {c: _term_json(v) for c, v in zip(result.columns, row, strict=True) if v is not None}
            for row in result.cells()
        ]
        document = {"results": {"bindings": bindings}, "head": {"vars": list(result.columns)}}
    return json.dumps(document, allow_nan=False, ensure_ascii=False).encode("utf-8")


def serialize_result(result: QueryResult, fmt: ResultFormat | str) -> bytes:
    """The result in a W3C SPARQL 1.1 results format (JSON written here; CSV and TSV by Oxigraph) or as a table.

    Rows keep the query's order (stored queries all have ORDER BY), so output is deterministic.
    """
    fmt = ResultFormat(fmt)
    if fmt is ResultFormat.TABLE:
        raise QueryError("tables are rendered by the CLI; use table_rows()")
    data = _results_json(result)
    if fmt is ResultFormat.JSON:
        return data + b"\n"
    ox_format = ox.QueryResultsFormat.CSV if fmt is ResultFormat.CSV else ox.QueryResultsFormat.TSV
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    if isinstance(parsed, ox.QueryBoolean):
        # CSV and TSV have no boolean form in the W3C specs; write the one value.
        return b"true\n" if bool(parsed) else b"false\n"
    return parsed.serialize(format=ox_format)


def compact_term(term: Term | None) -> str:
    """A term as a person reads it in a table: CURIEs for project IRIs, the lexical form for literals.

    Oxigraph's terms read the same as rdflib's.

    >>> compact_term(URIRef("https://w3id.org/sarcoma-kg/Pazopanib"))
    'sarc:Pazopanib'
    >>> compact_term(ox.NamedNode("https://w3id.org/sarcoma-kg/Pazopanib"))
    'sarc:Pazopanib'
    """
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return _compact_iri(term.value)
    if isinstance(term, ox.Literal):
        return _lexical(term)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, URIRef):
        return _compact_iri(str(term))
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


@functools.lru_cache(maxsize=65536)
def _compact_iri(iri: str) -> str:
    best = None
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and (best is None or len(ns) > len(PREFIXES[best])):
            best = prefix
    if best is not None:
        local = iri[len(PREFIXES[best]) :]
        if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./-]*", local or "_"):
            return f"{best}:{local}"
    return f"<{iri}>"


def table_rows(result: QueryResult) -> list[list[str]]:
    """Rows of compact text for an aligned table (read from the engine's terms, with no rdflib term made)."""
    return [[compact_term(value) for value in row] for row in result.cells()]


# ---------------------------------------------------------------------------------------------------------
# The README catalogue
# ---------------------------------------------------------------------------------------------------------


def _param_text(param: QueryParam) -> str:
    default = f" = `{param.default}`" if param.default is not None else ""
    return f"`{param.name}` ({param.type.value}{default})"


def catalogue_markdown(catalogue: Sequence[StoredQuery] | None = None) -> str:
    """The README's query catalogue (a Markdown table), generated from the headers."""
    queries = load_catalogue() if catalogue is None else catalogue
    lines = [
        "| query | answers | parameters | columns |",
        "|---|---|---|---|",
    ]
    for query in queries:
        params = "<br>".join(_param_text(p) for p in query.params) or "none"
        summary = query.summary.replace("|", "\\|")
        columns = ", ".join(query.columns)
        lines.append(f"| `{query.name}` | {summary} | {params} | {columns} |")
    return "\n".join(lines) + "\n"


def _readme_parts(text: str, readme: Path) -> tuple[str, str, str]:
    start = text.find(README_START)
    end = text.find(README_END)
    if start < 0 or end < start:
        raise QueryError(f"{readme}: the markers {README_START} and {README_END} were not found")
    head = text[: start + len(README_START)]
    return head, text[start + len(README_START) : end], text[end:]


def update_readme(
    readme: str | os.PathLike[str], *, check: bool = False, catalogue: Iterable[StoredQuery] | None = None
) -> bool:
    """Rewrite the catalogue between the README markers; with ``check``, only report whether it is current.

    Returns True when the README was already current.
    """
    file = Path(readme)
    text = file.read_text(encoding="utf-8")
    head, current, tail = _readme_parts(text, file)
    wanted = "\n" + catalogue_markdown(None if catalogue is None else list(catalogue))
    if current == wanted:
        return True
    if not check:
        write_atomic(file, (head + wanted + tail).encode("utf-8"))
    return False
