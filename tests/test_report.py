"""sarcoma-kg cases report: one section per patient with stage and reason, applicable and ruled-out options,
checked in a real headless Chromium (Debian's chromium + chromedriver through Selenium) and as Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sarcoma_kg.cli import main

COHORT_SIZE = 18  # rows of tests/data/cases/applicability.csv


@pytest.fixture(scope="module")
def cases_ttl(tmp_path_factory: pytest.TempPathFactory, build_dir: Path, test_data: Path) -> Path:
    out = tmp_path_factory.mktemp("report") / "cohort.ttl"
    result = CliRunner().invoke(main, ["cases", "import", str(test_data / "cases" / "applicability.csv"), "-o",
                                       str(out), "--build-dir", str(build_dir)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def _report(cases: Path, output: Path, build_dir: Path, *extra: str):
    return CliRunner().invoke(main, ["cases", "report", str(cases), "-o", str(output), "--build-dir", str(build_dir),
                                     *extra])  # fmt: skip


@pytest.fixture(scope="module")
def html_report(cases_ttl: Path, build_dir: Path) -> Path:
    out = cases_ttl.parent / "report.html"
    result = _report(cases_ttl, out, build_dir)
    assert result.exit_code == 0, result.output
    return out


def _section(browser, case_id: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.ID, f"case-{case_id}")


def _column(section, table_index: int) -> list[str]:
    from selenium.webdriver.common.by import By

    tables = section.find_elements(By.TAG_NAME, "table")
    return [
        row.find_elements(By.TAG_NAME, "td")[0].text for row in tables[table_index].find_elements(By.TAG_NAME, "tr")[1:]
    ]


@pytest.mark.browser
def test_the_page_has_one_section_per_patient_and_a_stage_chart_of_the_cohort(browser, html_report: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(html_report.as_uri())
    assert len(browser.find_elements(By.CSS_SELECTOR, "section.patient")) == COHORT_SIZE
    bars = browser.find_elements(By.CSS_SELECTOR, "#stage-chart svg g.bar")
    counts = {b.get_attribute("data-stage"): int(b.get_attribute("data-count")) for b in bars}
    assert sum(counts.values()) == COHORT_SIZE
    assert counts["IV"] == 3 and counts["IIIB"] == 3


@pytest.mark.browser
def test_a_patient_section_shows_stage_rule_options_and_ruled_out_options(browser, html_report: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(html_report.as_uri())
    child = _section(browser, "CHILD-REC-RT")
    assert child.find_element(By.CSS_SELECTOR, ".stage").text == "stage IIIA"
    assert child.find_element(By.CSS_SELECTOR, ".reason").text.startswith("PDQ rule: stage IIIA")
    assert "amputation" in _column(child, 0)
    assert "brachytherapy" not in _column(child, 0)
    assert "brachytherapy" in _column(child, 1)


@pytest.mark.browser
def test_the_page_makes_no_request_and_logs_no_error(browser, html_report: Path) -> None:
    browser.get(html_report.as_uri())
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls == []
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_a_patient_not_staged_says_why(tmp_path: Path, build_dir: Path, test_data: Path) -> None:
    cases = tmp_path / "sites.ttl"
    assert CliRunner().invoke(main, ["cases", "import", str(test_data / "cases" / "sites.csv"), "-o", str(cases),
                                     "--build-dir", str(build_dir)]).exit_code == 0  # fmt: skip
    assert _report(cases, tmp_path / "r.md", build_dir).exit_code == 0
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert "- why not staged: no standard staging system for soft tissue sarcoma of the head (source 003)" in text


def test_markdown_report_is_deterministic_and_lists_each_patient(cases_ttl: Path, tmp_path: Path, build_dir: Path):
    first, second = tmp_path / "a.md", tmp_path / "b.md"
    assert _report(cases_ttl, first, build_dir).exit_code == 0
    assert _report(cases_ttl, second, build_dir, "--format", "md").exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text(encoding="utf-8").count("\n## ") == COHORT_SIZE


def test_bad_cases_file_is_exit_2_and_leaves_the_previous_report(tmp_path: Path, build_dir: Path) -> None:
    previous = tmp_path / "report.html"
    previous.write_text("previous report", encoding="utf-8")
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle <", encoding="utf-8")
    result = _report(bad, previous, build_dir)
    assert result.exit_code == 2
    assert "bad.ttl" in result.output and "Traceback" not in result.output
    assert previous.read_text(encoding="utf-8") == "previous report"


def test_a_file_without_cases_is_exit_2(tmp_path: Path, build_dir: Path, repo_root: Path) -> None:
    result = _report(repo_root / "data" / "sources.ttl", tmp_path / "r.html", build_dir)
    assert result.exit_code == 2
    assert "no sarc:PatientCase" in result.output
    assert not (tmp_path / "r.html").exists()
