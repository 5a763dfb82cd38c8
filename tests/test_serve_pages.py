"""`sarcoma-kg serve`'s browsing side (pages.py): term pages with content negotiation, search, tree, cohort."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.namespace import RDFS

from sarcoma_kg import paths
from sarcoma_kg.cli import main
from sarcoma_kg.namespaces import KB, SARC
from sarcoma_kg.queries import bind_params, get_query, run_local
from sarcoma_kg.serve import RunningServer, ServeConfig, running

pytestmark = pytest.mark.server

ASPS = SARC.AlveolarSoftPartSarcoma


@pytest.fixture(scope="module")
def cases_file(build_dir: Path, repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cases") / "cases.ttl"
    result = CliRunner().invoke(
        main,
        ["cases", "import", str(repo_root / "examples" / "cases.csv"), "-o", str(out), "--build-dir", str(build_dir)],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def served(build_dir: Path, cases_file: Path) -> Iterator[RunningServer]:
    # --data replaces the packaged knowledge base: the packaged files and the cases.
    data = (*paths.data_files(), cases_file)
    with running(ServeConfig(port=0, build_dir=build_dir, data=data)) as server:
        yield server


def get(server: RunningServer, path: str, accept: str | None = None) -> tuple[int, str, bytes]:
    headers = {"Accept": accept} if accept else {}
    request = urllib.request.Request(server.url.rstrip("/") + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_a_term_page_shows_label_definition_picture_and_statements(served: RunningServer, kg: Graph) -> None:
    status, kind, body = get(served, "/AlveolarSoftPartSarcoma")
    page = body.decode()
    assert (status, kind) == (200, "text/html; charset=utf-8")
    assert "<h1>alveolar soft part sarcoma</h1>" in page
    assert '<p class="definition">A soft tissue sarcoma whose tumour cells carry' in page
    assert '<figure id="picture"><svg' in page
    assert 'href="https://bioregistry.io/NCIT:C3750"' in page
    assert "pazopanib is a targeted-therapy option for metastatic alveolar soft part sarcoma" in page
    assert 'title="inferred by the HermiT reasoner, not asserted">inferred</span>' in page


def test_a_term_page_offers_its_stored_queries_with_a_run_link(served: RunningServer) -> None:
    page = get(served, "/AlveolarSoftPartSarcoma")[2].decode()
    assert 'href="/?run=therapies-for-disease&amp;disease=sarc%3AAlveolarSoftPartSarcoma"' in page
    status, _, body = get(served, "/?run=therapies-for-disease&disease=sarc%3AKaposiSarcoma")
    assert status == 200
    examples = json.loads(body.decode().split('type="application/json">')[1].split("</script>")[0])
    assert examples[0]["name"] == "therapies-for-disease"
    assert "VALUES ?disease { <https://w3id.org/sarcoma-kg/KaposiSarcoma> }" in examples[0]["text"]


def test_a_run_link_with_a_bad_value_is_refused(served: RunningServer) -> None:
    status, kind, body = get(served, "/?run=therapies-for-disease&disease=%3E%20%7D%20DROP")
    assert status == 400 and kind.startswith("text/plain")
    assert b"is not an IRI" in body


@pytest.mark.parametrize(
    ("accept", "rdf_format"),
    [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")],
)
def test_the_same_url_answers_rdf_by_content_negotiation(served: RunningServer, kg: Graph, accept, rdf_format) -> None:
    status, kind, body = get(served, "/AlveolarSoftPartSarcoma", accept)
    assert status == 200 and kind.split(";")[0] == accept
    data = Graph().parse(data=body, format=rdf_format)
    assert (ASPS, RDFS.label, kg.value(ASPS, RDFS.label)) in data
    assert (KB["statement/asps-pazopanib-metastatic"], SARC.therapy, SARC.Pazopanib) in data


def test_a_browser_accept_header_gets_html_and_format_overrides_it(served: RunningServer) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert get(served, "/Pazopanib", browser)[1].startswith("text/html")
    assert get(served, "/Pazopanib?format=turtle", browser)[1].startswith("text/turtle")
    assert get(served, "/Pazopanib?format=rdfxml")[0] == 400
    assert get(served, "/Pazopanib", "image/png")[0] == 406


def test_statements_and_cases_have_pages_too(served: RunningServer) -> None:
    status, _, body = get(served, "/kb/statement/asps-pazopanib-metastatic")
    assert status == 200 and "metastatic disease setting" in body.decode()
    assert get(served, "/case/P-001")[0] == 200


def test_an_unknown_term_is_a_404_page(served: RunningServer) -> None:
    status, kind, body = get(served, "/NoSuchTerm")
    assert (status, kind) == (404, "text/html; charset=utf-8")
    assert "https://w3id.org/sarcoma-kg/NoSuchTerm" in body.decode()
    assert get(served, "/NoSuchTerm", "text/turtle")[0] == 404
    assert get(served, "/a%20b%3Cc%3E")[0] == 404  # not even an IRI: still a page, not a server error


def test_labels_from_the_data_are_escaped(served: RunningServer) -> None:
    status, _, body = get(served, "/search?q=%3Cscript%3E")
    assert status == 200 and json.loads(body)["query"] == "<script>"
    page = get(served, "/browse?q=%3Cscript%3Ealert(1)%3C/script%3E")[2].decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_search_ranks_alveolar_soft_part_sarcoma_first_for_asps(served: RunningServer) -> None:
    status, kind, body = get(served, "/search?q=asps")
    assert (status, kind) == (200, "application/json")
    first = json.loads(body)["results"][0]
    assert (first["curie"], first["match"], first["path"]) == (
        "sarc:AlveolarSoftPartSarcoma",
        "exact synonym",
        "/AlveolarSoftPartSarcoma",
    )


def test_search_under_a_class_and_its_limit(served: RunningServer) -> None:
    body = json.loads(get(served, "/search?q=sarcoma&under=sarc:SoftTissueSarcoma&limit=3")[2])
    assert len(body["results"]) == 3 and body["under"] == str(SARC.SoftTissueSarcoma)
    assert get(served, "/search?q=sarcoma&limit=many")[0] == 400
    assert get(served, "/search?q=sarcoma&under=sarc:NoSuchClass")[0] == 400


def test_search_leaves_patient_cases_out_unless_asked(served: RunningServer) -> None:
    plain = json.loads(get(served, "/search?q=P-001&limit=50")[2])["results"]
    assert not any(r["curie"].startswith("case:") for r in plain)
    with_cases = json.loads(get(served, "/search?q=P-001&cases=true&limit=50")[2])["results"]
    assert any(r["curie"].startswith("case:P-001") for r in with_cases)


def test_the_tree_lists_the_top_categories_and_their_children(served: RunningServer) -> None:
    page = get(served, "/browse")[2].decode()
    assert 'data-iri="https://w3id.org/sarcoma-kg/Disease"' in page
    body = json.loads(get(served, "/_look/children?iri=sarc:SoftTissueSarcoma")[2])
    labels = [c["label"] for c in body["children"]]
    assert "alveolar soft part sarcoma" in labels and labels == sorted(labels, key=str.casefold)
    assert get(served, "/_look/children?iri=sarc:NoSuchClass")[0] == 400


def test_the_cohort_page_charts_the_computed_stages(served: RunningServer, kg: Graph, cases_file: Path) -> None:
    graph = Graph(store=kg.store.__class__())
    graph += kg
    graph.parse(cases_file)
    query = get_query("case-stages")
    rows = run_local(graph, query.text, bind_params(query)).rows
    page = get(served, "/cohort")[2].decode()
    assert f"{len(rows)} patient cases loaded" in page
    assert '<figure id="stage-chart"><svg' in page
    stage_iv = sum(1 for row in rows if str(row[3]) == "IV")
    assert f"<title>IV: {stage_iv}</title>" in page
