"""One error hierarchy for the whole package.

Library code raises these (never prints or exits); the CLI maps each family to an exit code and a one-line
message. Exceptions from rdflib, pyoxigraph, owlready2, pyshacl, SPARQLWrapper and HTTP are translated into
these where they enter our code, with a message that says what to do.
"""

from __future__ import annotations

__all__ = [
    "EXIT_ENVIRONMENT",
    "EXIT_FAILED",
    "EXIT_INPUT",
    "EXIT_OK",
    "EndpointError",
    "EnvironmentProblem",
    "IncoherentOntology",
    "InputError",
    "JavaNotFound",
    "QueryError",
    "QueryTimeout",
    "RdfSyntaxError",
    "SarcomaKGError",
    "exit_code_for",
]

EXIT_OK = 0
EXIT_FAILED = 1  # data does not conform, a QC check failed, the ontology is incoherent
EXIT_INPUT = 2  # bad input or usage
EXIT_ENVIRONMENT = 3  # Java missing, server unreachable, ...


class SarcomaKGError(Exception):
    """Root of every error this package raises on purpose."""

    exit_code = EXIT_FAILED


class InputError(SarcomaKGError, ValueError):
    """The user gave us something we cannot use: a missing file, a bad option value, a malformed spreadsheet."""

    exit_code = EXIT_INPUT


class RdfSyntaxError(InputError):
    """An RDF file does not parse; the message names the file and, where the parser knows it, the line."""

    def __init__(self, path: str, detail: str, line: int | None = None, column: int | None = None) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = f"{path}:{line}" + (f":{column}" if column else "") if line else path
        super().__init__(f"{where}: invalid RDF: {detail}")


class QueryError(InputError):
    """A SPARQL query or its parameters are not acceptable (syntax, updates, unknown parameter...)."""


class EnvironmentProblem(SarcomaKGError, RuntimeError):
    """Something outside the user's input is missing or broken: Java, a server, a package resource."""

    exit_code = EXIT_ENVIRONMENT


class JavaNotFound(EnvironmentProblem):
    """HermiT runs on Java; without it we cannot reason."""

    def __init__(self) -> None:
        super().__init__(
            "Java was not found, and the HermiT reasoner needs it: install a Java runtime "
            "(e.g. 'apt-get install default-jre-headless') or put 'java' on PATH"
        )


class QueryTimeout(EnvironmentProblem):
    """A query or upload ran past its time limit (``--timeout``) and was stopped; nothing was written."""


class EndpointError(EnvironmentProblem):
    """A remote SPARQL endpoint could not be reached, timed out or answered with an HTTP error."""


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error (2 for anything that is not ours: we refuse to guess)."""
    if isinstance(error, SarcomaKGError):
        return error.exit_code
    return EXIT_INPUT


class IncoherentOntology(SarcomaKGError):
    """HermiT found the ontology inconsistent or some named classes unsatisfiable (exit 1)."""

    def __init__(self, consistent: bool, unsatisfiable: tuple[str, ...] = ()) -> None:
        self.consistent = consistent
        self.unsatisfiable = unsatisfiable
        if not consistent:
            message = "the ontology and data are inconsistent (HermiT): no model satisfies them"
        else:
            names = ", ".join(unsatisfiable)
            message = f"{len(unsatisfiable)} unsatisfiable class(es) (HermiT): {names}"
        super().__init__(message)
