"""The query page in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium):
open the page, pick a stored query, run it, see its rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from sarcoma_kg.queries import bind_params, get_query, run_local
from sarcoma_kg.serve import RunningServer, ServeConfig, running

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def served(build_dir: Path) -> Iterator[RunningServer]:
    with running(ServeConfig(port=0, build_dir=build_dir)) as server:
        yield server


def _open(browser, url: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return !!(window.sarcomaKg && window.Yasgui)"))


@pytest.mark.parametrize("name", ["therapies-for-metastatic-asps", "asps-symptoms", "case-stages"])
def test_a_stored_query_runs_in_the_page_and_shows_its_rows(browser, served: RunningServer, kg: Graph, name) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    query = get_query(name)
    expected = run_local(kg, query.text, bind_params(query))
    assert expected.rows, "the stored query should have rows on the release"
    _open(browser, served.url)
    Select(browser.find_element(By.ID, "example")).select_by_visible_text(f"{query.name} \u2014 {query.summary}")
    assert browser.find_element(By.ID, "example-description").text == query.description
    browser.find_element(By.ID, "run").click()
    rows = WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable tbody tr")
    )
    headers = [h.text.strip() for h in browser.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable thead th")]
    assert [h for h in headers if h and h != "#"] == list(query.columns)
    summary = browser.find_element(By.CSS_SELECTOR, ".yasr_response_chip").text
    assert summary.startswith(f"{len(expected.rows)} result")
    assert len(rows) == min(len(expected.rows), 50)  # YASR's first page


def test_the_page_made_no_request_outside_the_server(browser, served: RunningServer) -> None:
    _open(browser, served.url)
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls, "the page loads its assets"
    assert all(url.startswith(served.url) for url in urls), urls
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


# -- the browsing pages (pages.py): tree, search as you type, term page with its picture ---------------------

SCREENSHOTS_ENV = "SARCOMA_KG_SCREENSHOTS"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browsing tests save their screenshots (a tmp directory, kept by pytest for inspection)."""
    return tmp_path_factory.mktemp("screenshots")


def _wait(browser, condition, seconds: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds).until(condition)


def _off_host(browser, served: RunningServer) -> list[str]:
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [url for url in urls if not url.startswith(served.url)]


def test_the_tree_expands_a_category(browser, served: RunningServer, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(served.url + "browse")
    disease = browser.find_element(By.CSS_SELECTOR, 'li[data-iri="https://w3id.org/sarcoma-kg/Disease"]')
    disease.find_element(By.CSS_SELECTOR, "button.toggle").click()
    children = _wait(browser, lambda d: disease.find_elements(By.CSS_SELECTOR, ":scope > ul > li > a"))
    assert "soft tissue sarcoma" in [a.text for a in children]
    sts = disease.find_element(By.CSS_SELECTOR, 'li[data-iri="https://w3id.org/sarcoma-kg/SoftTissueSarcoma"]')
    sts.find_element(By.CSS_SELECTOR, "button.toggle").click()
    grandchildren = _wait(browser, lambda d: sts.find_elements(By.CSS_SELECTOR, ":scope > ul > li > a"))
    assert "alveolar soft part sarcoma" in [a.text for a in grandchildren]
    browser.save_screenshot(str(screenshots / "tree.png"))
    assert _off_host(browser, served) == []


def test_typing_in_the_search_box_shows_ranked_suggestions(browser, served: RunningServer, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(served.url + "browse")
    box = browser.find_element(By.ID, "search")
    box.send_keys("asps")
    items = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#suggestions li a"))
    assert items[0].text.startswith("alveolar soft part sarcoma")
    assert "exact synonym: ASPS" in items[0].text
    browser.save_screenshot(str(screenshots / "search.png"))
    items[0].click()
    _wait(browser, lambda d: d.current_url.endswith("/AlveolarSoftPartSarcoma"))
    assert _off_host(browser, served) == []


def test_a_term_page_renders_its_picture(browser, served: RunningServer, screenshots: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(served.url + "AlveolarSoftPartSarcoma")
    assert browser.find_element(By.TAG_NAME, "h1").text == "alveolar soft part sarcoma"
    picture = browser.find_element(By.CSS_SELECTOR, "#picture svg")
    assert picture.size["width"] > 200 and picture.size["height"] > 200
    nodes = browser.find_elements(By.CSS_SELECTOR, "#picture svg g.node")
    assert len(nodes) > 5
    browser.save_screenshot(str(screenshots / "term.png"))
    assert _off_host(browser, served) == []
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
