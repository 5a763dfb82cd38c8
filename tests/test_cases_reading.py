"""Reading researchers' spreadsheets: every cell is accounted for, in the formats researchers actually save.

Each fixture under tests/data/cases/ is a file a spreadsheet program (or a hurried researcher) writes: a row with
more cells than the header, an unclosed quote, a row cut short, a header with no case, a European export with
decimal commas, an Excel workbook, Excel's "Unicode Text", a Latin-1 export, a size written with its unit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg.cases import (
    CaseImportError,
    NoCasesError,
    RowProblem,
    build_term_index,
    import_cases,
    read_spreadsheet,
)
from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError


@pytest.fixture(scope="module")
def index(kg):
    return build_term_index(kg)


@pytest.fixture(scope="module")
def cases_dir(test_data: Path) -> Path:
    return test_data / "cases"


def _import_cli(*args: str):
    return CliRunner().invoke(main, ["cases", "import", *args])


def _failed(path: Path, kg, index) -> tuple[RowProblem, ...]:
    with pytest.raises(CaseImportError) as caught:
        import_cases(path, kg, index=index)
    return caught.value.problems


# ------------------------------------------------------------------------------------------- every cell counted


def test_a_row_with_more_cells_than_the_header_is_a_row_error_naming_the_case(cases_dir, kg, index):
    (problem,) = _failed(cases_dir / "extra-cells.csv", kg, index)
    assert (problem.row, problem.case_id, problem.value) == (3, "X2", "left arm")
    assert "13 cells but the header only 12" in problem.reason


def test_empty_cells_beyond_the_header_are_not_an_error(cases_dir, kg, index):
    result = import_cases(cases_dir / "extra-cells.csv", kg, index=index, skip_invalid=True)
    assert [c.case_id for c in result.cases] == ["X1", "X3"]


def test_an_unclosed_quote_is_an_error_of_its_row_and_the_rows_after_it_are_still_read(cases_dir, kg, index):
    result = import_cases(cases_dir / "unclosed-quote.csv", kg, index=index, skip_invalid=True)
    (problem,) = result.problems
    assert (problem.row, problem.case_id, problem.column) == (3, "Q2", "primary_site")
    assert "never closed" in problem.reason
    assert [c.case_id for c in result.cases] == ["Q1", "Q3", "Q4"]


def test_a_row_with_fewer_cells_than_the_header_is_a_row_error(cases_dir, kg, index):
    (problem,) = _failed(cases_dir / "ragged.csv", kg, index)
    assert (problem.row, problem.case_id) == (3, "R2")
    assert "10 cells but the header 12" in problem.reason


@pytest.mark.parametrize("name", ["extra-cells.csv", "unclosed-quote.csv", "ragged.csv"])
def test_skip_invalid_counts_every_row_it_does_not_import(cases_dir, build_dir, tmp_path, name):
    rows = len((cases_dir / name).read_text().splitlines()) - 1
    result = _import_cli(str(cases_dir / name), "-o", str(tmp_path / "out.ttl"), "--skip-invalid",
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 0, result.output
    skipped = sum(line.startswith("skipped: row ") for line in result.stderr.splitlines())
    imported = int(result.stderr.split("imported ")[1].split(" ")[0])
    assert skipped + imported == rows
    assert f"{skipped} row(s) skipped" in result.stderr


def test_every_row_error_names_the_case_id(test_data, kg, index):
    problems = _failed(test_data / "cases" / "errors.csv", kg, index)
    rows = read_spreadsheet(test_data / "cases" / "errors.csv").rows
    case_of = {number: cells["case_id"] for number, cells in rows}
    assert all(p.case_id == case_of[p.row] for p in problems)
    named = [p for p in problems if p.case_id]
    assert all(f"(case {p.case_id})" in str(p) for p in named)


def test_shape_violations_name_the_case_id_too(test_data, kg, index):
    problems = _failed(test_data / "cases" / "errors.csv", kg, index)
    (staged,) = [p for p in problems if p.column == "recorded_stage" and p.value == "IV"]
    assert staged.case_id == "E17"


# ------------------------------------------------------------------------------------------- nothing to write


def test_a_header_only_sheet_is_refused_unless_empty_is_allowed(cases_dir, kg, index):
    with pytest.raises(NoCasesError, match="no case row"):
        import_cases(cases_dir / "header-only.csv", kg, index=index)
    assert import_cases(cases_dir / "header-only.csv", kg, index=index, allow_empty=True).cases == ()


def test_skip_invalid_with_every_row_bad_keeps_the_previous_output(cases_dir, build_dir, tmp_path):
    output = tmp_path / "out.ttl"
    output.write_text("# previous import\n")
    result = _import_cli(str(cases_dir / "units.csv"), "-o", str(output), "--skip-invalid",
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 2
    assert "every row is bad (2 row(s) skipped)" in result.stderr
    assert output.read_text() == "# previous import\n"


def test_header_only_sheet_on_the_command_line_exits_2_and_writes_nothing(cases_dir, build_dir, tmp_path):
    output = tmp_path / "out.ttl"
    result = _import_cli(str(cases_dir / "header-only.csv"), "-o", str(output), "--build-dir", str(build_dir))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].endswith("nothing was written (pass --allow-empty to write it)")
    assert not output.exists()


def test_allow_empty_writes_an_empty_graph_and_says_so(cases_dir, build_dir, tmp_path):
    output = tmp_path / "out.ttl"
    result = _import_cli(str(cases_dir / "header-only.csv"), "-o", str(output), "--allow-empty",
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "imported 0 case(s)" in result.stderr
    assert "sarc:caseId" not in output.read_text()


# ------------------------------------------------------------------------------------------- number cells


def test_decimal_commas_are_read_when_the_delimiter_is_a_semicolon(cases_dir, kg, index):
    result = import_cases(cases_dir / "european.csv", kg, index=index, skip_invalid=True)
    by_id = {c.case_id: c for c in result.cases}
    assert str(by_id["EU1"].size_cm) == "4.5"
    assert str(by_id["EU1"].age) == "30.5"
    assert len(by_id["EU2"].metastasis_sites) == 2  # a quoted list cell still splits on its own ';'


def test_a_number_with_thousands_separators_is_refused_even_with_semicolons(cases_dir, kg, index):
    result = import_cases(cases_dir / "european.csv", kg, index=index, skip_invalid=True)
    (problem,) = result.problems
    assert (problem.case_id, problem.column, problem.value) == ("EU3", "size_cm", "1.234,5")


def test_a_decimal_comma_with_comma_delimiter_is_still_refused(test_data, kg, index):
    problems = _failed(test_data / "cases" / "errors.csv", kg, index)
    (comma,) = [p for p in problems if p.value == "4,5"]
    assert "use a decimal point, not a comma" in comma.reason


def test_a_size_with_its_unit_is_refused_with_drop_the_unit(cases_dir, kg, index):
    problems = {p.case_id: p for p in _failed(cases_dir / "units.csv", kg, index)}
    assert "drop the unit: write '12'; the column is in cm" in problems["U1"].reason
    assert "drop the unit: write '30'; the column is in years" in problems["U2"].reason


# ------------------------------------------------------------------------------------------- formats


def test_an_xlsx_workbook_is_read_from_its_first_sheet(cases_dir, kg, index):
    result = import_cases(cases_dir / "cases.xlsx", kg, index=index)
    assert [c.case_id for c in result.cases] == ["W-1", "W-2"]
    assert str(result.cases[0].size_cm) == "8.5"
    assert str(result.cases[1].size_cm) == "4"  # a whole number stored as a number, not "4.0"
    assert len(result.cases[0].metastasis_sites) == 2


def test_sheet_names_the_workbook_sheet_to_read(cases_dir, build_dir, tmp_path):
    output = tmp_path / "out.ttl"
    result = _import_cli(str(cases_dir / "cases.xlsx"), "--sheet", "follow-up", "-o", str(output),
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert 'sarc:caseId "W-3"' in output.read_text()


def test_an_unknown_sheet_is_refused_listing_the_sheets(cases_dir, build_dir, tmp_path):
    result = _import_cli(str(cases_dir / "cases.xlsx"), "--sheet", "Sheet9", "-o", str(tmp_path / "o.ttl"),
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 2
    assert "no sheet named 'Sheet9'; the workbook has 'cases', 'follow-up'" in result.stderr
    assert "Traceback" not in result.output


def test_excel_unicode_text_utf16_is_read_like_the_workbook(cases_dir):
    text = read_spreadsheet(cases_dir / "unicode-text.txt")
    book = read_spreadsheet(cases_dir / "cases.xlsx")
    assert text.rows == book.rows


def test_another_encoding_is_refused_with_what_to_save_instead(cases_dir):
    with pytest.raises(InputError, match=r"not UTF-8 text \(perhaps Windows-1252 or Latin-1\).*'CSV UTF-8'"):
        read_spreadsheet(cases_dir / "latin1.csv")


def test_reading_never_changes_the_input(cases_dir, kg, index):
    before = {p.name: (p.read_bytes(), stat.S_IMODE(os.stat(p).st_mode)) for p in cases_dir.iterdir()}
    for name in ("unclosed-quote.csv", "cases.xlsx", "unicode-text.txt", "european.csv"):
        import_cases(cases_dir / name, kg, index=index, skip_invalid=True)
    assert {p.name: (p.read_bytes(), stat.S_IMODE(os.stat(p).st_mode)) for p in cases_dir.iterdir()} == before


# ------------------------------------------------------------------------------------------- warnings


def test_an_ignored_column_is_named_even_when_the_import_fails(cases_dir, build_dir, tmp_path):
    result = _import_cli(str(cases_dir / "extra-column.csv"), "-o", str(tmp_path / "o.ttl"),
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 2
    assert "warning: column 'notes' is not a case column and was ignored" in result.stderr


def test_shape_warnings_are_printed_and_counted_by_import(cases_dir, build_dir, tmp_path):
    result = _import_cli(str(cases_dir / "implausible-size.csv"), "-o", str(tmp_path / "o.ttl"),
                         "--build-dir", str(build_dir))  # fmt: skip
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: row 2 (case B1)")]
    assert any("size_cm" in line and "'250'" in line for line in warnings)
    assert f"({len(warnings)} warning(s))" in result.stderr


def test_shape_warnings_are_returned_by_the_library(cases_dir, kg, index):
    result = import_cases(cases_dir / "implausible-size.csv", kg, index=index)
    assert [c.case_id for c in result.cases] == ["B1"]
    assert any(w.column == "size_cm" and w.case_id == "B1" for w in result.warnings)


# ------------------------------------------------------------------------------------------- batches


def test_validation_in_batches_finds_what_one_store_finds(test_data, cases_dir, kg, index, monkeypatch):
    from sarcoma_kg import cases

    sheets = [test_data / "cases" / "errors.csv", cases_dir / "implausible-size.csv", cases_dir / "european.csv"]

    def outcome():
        found = []
        for sheet in sheets:
            result = import_cases(sheet, kg, index=index, skip_invalid=True)
            found.append((result.problems, result.warnings, result.turtle()))
        return found

    whole = outcome()
    monkeypatch.setattr(cases, "VALIDATION_BATCH", 1)
    assert outcome() == whole
    assert any(problems for problems, _, _ in whole) and any(warnings for _, warnings, _ in whole)
