"""A 20-row spreadsheet of the commonest adult soft tissue sarcoma histologies imports, stages and gets options.

The histology classes (liposarcoma and its subtypes, leiomyosarcoma, UPS, myxofibrosarcoma, angiosarcoma, MPNST,
epithelioid sarcoma) come from the NCIt import module; until it is in the ontology this module is skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph

from sarcoma_kg.cases import build_term_index, import_cases
from sarcoma_kg.options import treatment_options
from sarcoma_kg.queries import table_rows
from sarcoma_kg.staging import NOT_STAGED, merged_graph, stage_cases

SHEET = "adult-cohort.csv"


@pytest.fixture(scope="module")
def imported(kg: Graph, test_data: Path):
    index = build_term_index(kg)
    if index.diagnoses.resolve("leiomyosarcoma") is None:
        pytest.skip("the NCIt histology import (leiomyosarcoma, liposarcoma, ...) is not in the ontology yet")
    return import_cases(test_data / "cases" / SHEET, kg, index=index)


def test_every_row_imports(imported) -> None:
    assert len(imported.cases) == 20 and imported.problems == ()


def test_every_case_with_the_facts_recorded_is_staged(kg: Graph, imported) -> None:
    rows = {row[0]: row for row in table_rows(stage_cases(kg, imported.graph, imported.cases))}
    unstaged = {case for case, row in rows.items() if row[3] == NOT_STAGED}
    assert unstaged == {"A-20"}  # nodal spread and distant metastasis not recorded
    assert rows["A-20"][5].endswith("not recorded: nodal spread, distant metastasis")


def test_every_case_gets_sourced_options_for_its_stage_or_status(kg: Graph, imported) -> None:
    rows = table_rows(treatment_options(merged_graph(kg, imported.graph)))
    staged_or_status = {
        r[0]
        for r in rows
        if r[0].startswith("A-") and ("; stage " in r[5] or "; recurrent" in r[5] or "; progressive" in r[5])
    }
    assert staged_or_status == {f"A-{n:02d}" for n in range(1, 20)}
