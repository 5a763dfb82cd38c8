"""``cases import -o FILE.nt``: N-Triples streamed batch by batch, with the promises of the Turtle import.

The batch size is lowered (``cases.VALIDATION_BATCH``) so that a sheet of a few hundred generated cases spans
several batches, as a 200k-case cohort does with the real size; the spreadsheet is read a few bytes at a time
(``cases._READ_CHUNK``) where the reader's chunk boundaries are what is tested.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from sarcoma_kg import cases
from sarcoma_kg.cases import build_term_index, generate_cases, read_spreadsheet, spreadsheet_csv
from sarcoma_kg.cli import main
from sarcoma_kg.errors import InputError

CASES = 250
BATCH = 60  # five batches, the last one partial


@pytest.fixture(scope="module")
def sheet_text(kg) -> str:
    return spreadsheet_csv(generate_cases(CASES, build_term_index(kg), seed=3))


@pytest.fixture
def sheet(tmp_path: Path, sheet_text: str) -> Path:
    path = tmp_path / "cohort.csv"
    path.write_text(sheet_text, encoding="utf-8")
    return path


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(cases, "VALIDATION_BATCH", BATCH)


def _import(sheet: Path, output: Path, build_dir: Path, *args: str):
    return CliRunner().invoke(main, ["cases", "import", str(sheet), "-o", str(output), "--build-dir", str(build_dir),
                                     *args])  # fmt: skip


def _triples(path: Path, fmt: ox.RdfFormat) -> set[ox.Triple]:
    return set(ox.parse(path=str(path), format=fmt))


def test_nt_output_holds_the_triples_of_the_turtle_output(tmp_path, sheet, build_dir, small_batches):
    streamed, turtle = tmp_path / "cohort.nt", tmp_path / "cohort.ttl"
    assert _import(sheet, streamed, build_dir).exit_code == 0
    result = _import(sheet, turtle, build_dir)
    assert result.exit_code == 0, result.output
    assert f"imported {CASES} case(s)" in result.stderr
    found = _triples(streamed, ox.RdfFormat.N_TRIPLES)
    assert found == _triples(turtle, ox.RdfFormat.TURTLE)
    assert len(found) > 20 * CASES


def test_nt_output_is_byte_identical_across_runs(tmp_path, sheet, build_dir, small_batches):
    first, second = tmp_path / "first.nt", tmp_path / "second.nt"
    assert _import(sheet, first, build_dir).exit_code == 0
    assert _import(sheet, second, build_dir).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def _break_row(sheet: Path, row: int, column: str, value: str) -> None:
    lines = sheet.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[row - 1].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells) + "\n"
    sheet.write_text("".join(lines), encoding="utf-8")


def test_a_bad_row_in_a_late_batch_leaves_the_previous_nt_intact(tmp_path, sheet, build_dir, small_batches):
    output = tmp_path / "cohort.nt"
    output.write_bytes(b"<urn:previous> <urn:p> <urn:o> .\n")
    last_row = CASES + 1  # the header is row 1
    _break_row(sheet, last_row, "size_cm", "-2")
    result = _import(sheet, output, build_dir)
    assert result.exit_code == 2
    assert f"row {last_row} (case GEN-3-0250), column size_cm, value '-2'" in result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith("1 problem(s) in 1 row(s); nothing was written")
    assert output.read_bytes() == b"<urn:previous> <urn:p> <urn:o> .\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv", "cohort.nt"]  # no temporary file left


def test_a_shape_violation_in_a_late_batch_writes_nothing(tmp_path, sheet, build_dir, small_batches):
    output = tmp_path / "cohort.nt"
    # a stage the PDQ rules cannot give this case: only the staging shape (run per batch) finds it
    _break_row(sheet, CASES - 5, "recorded_stage", "IV")
    _break_row(sheet, CASES - 5, "distant_metastasis", "no")
    _break_row(sheet, CASES - 5, "metastasis_sites", "")
    result = _import(sheet, output, build_dir)
    assert result.exit_code == 2, result.output
    assert "contradicts the stage computed from the tumour" in result.stderr
    assert not output.exists()


def test_skip_invalid_streams_the_good_rows_of_every_batch(tmp_path, sheet, build_dir, small_batches):
    output = tmp_path / "cohort.nt"
    _break_row(sheet, 2, "diagnosis", "no such sarcoma")
    _break_row(sheet, CASES + 1, "size_cm", "-2")
    result = _import(sheet, output, build_dir, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert f"imported {CASES - 2} case(s) from cohort.csv" in result.stderr
    ids = {t.object.value for t in _triples(output, ox.RdfFormat.N_TRIPLES) if t.predicate.value.endswith("caseId")}
    assert len(ids) == CASES - 2 and "GEN-3-0001" not in ids and "GEN-3-0250" not in ids


@pytest.mark.parametrize("encoding, newline", [("utf-8-sig", "\r\n"), ("utf-16", "\r\n"), ("utf-8", "\r")])
def test_reading_a_few_bytes_at_a_time_gives_the_same_sheet(tmp_path, sheet_text, monkeypatch, encoding, newline):
    path = tmp_path / "exported.csv"
    path.write_bytes(sheet_text.replace("\n", newline).encode(encoding))
    whole = read_spreadsheet(path)
    monkeypatch.setattr(cases, "_READ_CHUNK", 7)  # CRLF pairs and UTF-16 code units split across reads
    assert read_spreadsheet(path) == whole
    assert len(whole.rows) == CASES and whole.columns[0] == "case_id"


def test_an_undecodable_byte_is_named_by_its_place_in_the_whole_file(tmp_path, sheet_text, monkeypatch):
    data = sheet_text.encode("utf-8")
    at = len(data) - 40
    path = tmp_path / "latin.csv"
    path.write_bytes(data[:at] + "é".encode("latin-1") + data[at:])
    monkeypatch.setattr(cases, "_READ_CHUNK", 1000)
    with pytest.raises(InputError, match=f"not UTF-8 text .* at byte {at};"):
        read_spreadsheet(path)


def test_a_shape_violation_in_the_second_batch_names_its_row(tmp_path, sheet, build_dir, small_batches):
    output = tmp_path / "cohort.nt"
    row = BATCH + 12  # the 71st case: the second batch
    _break_row(sheet, row, "recorded_stage", "IV")
    _break_row(sheet, row, "distant_metastasis", "no")
    _break_row(sheet, row, "metastasis_sites", "")
    result = _import(sheet, output, build_dir, "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert f"row {row} (case GEN-3-{row - 1:04d}), column recorded_stage, value 'IV'" in result.stderr
    assert f"imported {CASES - 1} case(s) from cohort.csv" in result.stderr
    ids = {t.object.value for t in _triples(output, ox.RdfFormat.N_TRIPLES) if t.predicate.value.endswith("caseId")}
    assert f"GEN-3-{row - 1:04d}" not in ids and len(ids) == CASES - 1


@pytest.mark.parametrize("suffix", [".nt", ".ttl"])
def test_batches_do_not_change_a_byte_of_the_output(tmp_path, sheet, build_dir, monkeypatch, suffix):
    one, several = tmp_path / f"one{suffix}", tmp_path / f"several{suffix}"
    assert _import(sheet, one, build_dir).exit_code == 0  # the real batch size: one batch
    monkeypatch.setattr(cases, "VALIDATION_BATCH", BATCH)
    assert _import(sheet, several, build_dir).exit_code == 0
    assert one.read_bytes() == several.read_bytes()


def test_materialised_stages_stream_batch_by_batch_with_the_turtle_triples(tmp_path, sheet, build_dir, small_batches):
    """--materialise-stage on .nt stages each batch as it goes: the triples of the whole-sheet Turtle import."""
    streamed, turtle = tmp_path / "cohort.nt", tmp_path / "cohort.ttl"
    result = _import(sheet, streamed, build_dir, "--materialise-stage")
    assert result.exit_code == 0, result.output
    assert _import(sheet, turtle, build_dir, "--materialise-stage").exit_code == 0
    found = _triples(streamed, ox.RdfFormat.N_TRIPLES)
    assert found == _triples(turtle, ox.RdfFormat.TURTLE)
    staged = {t for t in found if t.predicate.value == "https://w3id.org/sarcoma-kg/computedStage"}
    assert 0 < len(staged) < CASES  # some cases (head, neck, ...) are not staged
    assert f"computed stage written for {len(staged)} of {CASES} case(s)" in result.stderr


def test_materialised_stages_with_skip_invalid_are_those_of_the_turtle_import(
    tmp_path, sheet, build_dir, small_batches
):
    """Each batch is staged on the store it was validated on, bad rows and all: the stages written are still
    those of the kept cases only, the triples of the whole-sheet Turtle import of the same sheet."""
    _break_row(sheet, 70, "diagnosis", "no such sarcoma")  # a row error, second batch
    _break_row(sheet, 130, "recorded_stage", "IV")  # a shape violation, third batch
    _break_row(sheet, 130, "distant_metastasis", "no")
    _break_row(sheet, 130, "metastasis_sites", "")
    streamed, turtle = tmp_path / "cohort.nt", tmp_path / "cohort.ttl"
    result = _import(sheet, streamed, build_dir, "--skip-invalid", "--materialise-stage")
    assert result.exit_code == 0, result.output
    assert f"imported {CASES - 2} case(s)" in result.stderr
    assert _import(sheet, turtle, build_dir, "--skip-invalid", "--materialise-stage").exit_code == 0
    found = _triples(streamed, ox.RdfFormat.N_TRIPLES)
    assert found == _triples(turtle, ox.RdfFormat.TURTLE)
    staged = {t.subject.value for t in found if t.predicate.value == "https://w3id.org/sarcoma-kg/computedStage"}
    assert staged and not {s for s in staged if s.endswith(("GEN-3-0069", "GEN-3-0129"))}
