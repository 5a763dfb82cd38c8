"""Which sourced treatment options apply to each patient case: the stored query ``case-treatment-options``.

The matching lives in the query (queries/case-treatment-options.rq), on the condition slots of the therapy
statements (docs/model.md "Applicability"); this module only runs it on the knowledge base plus the cases, in
either of its two modes, so that the CLI, the report and the tests all ask the same question the same way.
"""

from __future__ import annotations

from rdflib import Graph, Literal
from rdflib.namespace import XSD

from .queries import QueryResult, get_query, run_local

__all__ = ["OPTION_COLUMNS", "TREATMENT_OPTIONS_QUERY", "treatment_options"]

TREATMENT_OPTIONS_QUERY = "case-treatment-options"
OPTION_COLUMNS = (
    "case_id", "stage", "staging_system", "therapy", "therapyLabel", "conditions", "recommendationStatus",
    "evidenceLevel", "source", "sourceTitle",
)  # fmt: skip


def treatment_options(graph: Graph, *, ruled_out: bool = False) -> QueryResult:
    """Rows of ``case-treatment-options`` on ``graph`` (knowledge base and cases in one graph).

    With ``ruled_out`` the rows are the options that at least one condition of the case rules out, and their
    ``conditions`` say which; otherwise the applicable options, with the facts that made them apply and the
    conditions not known for the case.
    """
    query = get_query(TREATMENT_OPTIONS_QUERY)
    return run_local(graph, query.text, {"ruled_out": Literal(ruled_out, datatype=XSD.boolean)})
