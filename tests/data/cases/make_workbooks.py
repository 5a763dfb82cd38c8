"""Writes the workbook fixtures of the spreadsheet-reading tests (run from the repository root, then commit them).

    .venv/bin/python tests/data/cases/make_workbooks.py

- cases.xlsx: a first sheet "cases" as a researcher keeps it in Excel (numbers as numbers, a blank cell, a list
  cell), and a second sheet "follow-up" with other cases, read with ``--sheet follow-up``;
- unicode-text.txt: the same first sheet saved as Excel's "Unicode Text" (UTF-16 with a byte-order mark, tabs).

The workbook's timestamps are fixed so that re-running the script gives the same cells and properties.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER = ["case_id", "diagnosis", "primary_site", "size_cm", "grade", "nodal_spread", "distant_metastasis",
          "metastasis_sites", "age", "sex", "therapies", "recorded_stage"]  # fmt: skip
CASES = [
    ["W-1", "alveolar soft part sarcoma", "thigh", 8.5, "high", "no", "yes", "lung; brain", 24, "female",
     "wide local excision; atezolizumab", "IV"],
    ["W-2", "synovial sarcoma", "arm", 4, "intermediate", "no", "no", None, 31, "male", None, None],
]  # fmt: skip
FOLLOW_UP = [["W-3", "soft tissue sarcoma", "trunk", 12.0, "low", "no", "no", None, 55, "female", None, None]]


def main() -> None:
    workbook = Workbook()
    first = workbook.active
    first.title = "cases"
    for row in [HEADER, *CASES]:
        first.append(row)
    second = workbook.create_sheet("follow-up")
    for row in [HEADER, *FOLLOW_UP]:
        second.append(row)
    fixed = datetime.datetime(2026, 1, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    workbook.save(HERE / "cases.xlsx")
    lines = ["\t".join("" if v is None else str(v) for v in row) for row in [HEADER, *CASES]]
    (HERE / "unicode-text.txt").write_bytes("\r\n".join(lines).encode("utf-16") + "\r\n".encode("utf-16-le"))


if __name__ == "__main__":
    main()
