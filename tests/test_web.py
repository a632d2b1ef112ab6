"""The web app over real HTTP: pages and API answer alike, errors are German and never 500."""
from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from indexer.parse import parse_article
from tests.conftest import SAMPLE, fetch, run_cli

ARTICLE = parse_article(SAMPLE)


def page_ids(html: str) -> list[str]:
    return re.findall(r'<li class="hit" data-id="([0-9a-f]+)"', html)


QUERIES = [
    {"q": "Ukraine"},
    {"q": "Ukraine", "sort": "date"},
    {"q": "Ukraine", "from": "24.01.2026", "section": "Ausland"},
    {"q": "Abu Dhabi"},
    {"q": "Botschaft"},
    {"q": "Ukraine", "page": "2", "per_page": "4"},
]


@pytest.mark.parametrize("params", QUERIES, ids=lambda p: urllib.parse.urlencode(p))
def test_page_and_api_list_the_same_ids_in_the_same_order(live_server, params):
    query = urllib.parse.urlencode(params)
    status, _, html = fetch(f"{live_server}/?{query}")
    api_status, content_type, body = fetch(f"{live_server}/api/search?{query}")
    assert (status, api_status) == (200, 200), body
    assert content_type.startswith("application/json")
    api_ids = [h["id"] for h in json.loads(body)["hits"]]
    assert api_ids and page_ids(html) == api_ids


def test_api_answers_exactly_what_query_json_prints(live_server, index_dir):
    _, _, body = fetch(f"{live_server}/api/search?q=Ukraine&from=2026-01-24")
    cli = run_cli("query", "Ukraine", "--from", "2026-01-24", "--json", index_dir=index_dir)
    assert json.loads(body) == json.loads(cli.stdout)


def test_results_page_speaks_german_and_marks_matches(live_server):
    status, content_type, html = fetch(f"{live_server}/?q=Botschaft")
    assert status == 200 and content_type.startswith("text/html")
    assert '<html lang="de">' in html
    assert "1 Treffer" in html and "Artikel" in html and "27.02.2025, 11:57 Uhr" in html
    assert "<mark>Botschaften</mark>" in html
    assert 'value="Botschaft"' in html


def test_facet_links_filter_the_results(live_server):
    _, _, html = fetch(f"{live_server}/?q=Ukraine")
    link = re.search(r'<a href="([^"]+)">Boerse</a>', html).group(1).replace("&amp;", "&")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(link).query) == {"q": ["Ukraine"], "section": ["Boerse"]}
    _, _, filtered = fetch(live_server + link)
    assert page_ids(filtered) == [ARTICLE.related[0].id]


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/api/search?q=Ukraine&from=gestern-ish", 400, "Von-Datum 'gestern-ish' ist kein Datum"),
        ("/api/search?q=Ukraine&page=-1", 400, "Seite muss zwischen 1 und 1000 liegen"),
        ("/api/search?q=Ukraine&sort=klicks", 400, "Unbekannte Sortierung"),
        ("/api/nichts", 404, "Diese Seite gibt es nicht."),
    ],
)
def test_api_reports_bad_input_as_json_error(live_server, path, status, message):
    got, content_type, body = fetch(live_server + path)
    assert got == status and content_type.startswith("application/json"), body
    assert message in json.loads(body)["error"]


def test_page_reports_bad_date_with_german_error_page(live_server):
    status, _, html = fetch(f"{live_server}/?q=Ukraine&to=32.13.2026")
    assert status == 400
    assert "Die Suche ist nicht lesbar" in html and "Bis-Datum &#39;32.13.2026&#39; ist kein Datum" in html


def test_missing_index_is_a_503_with_instructions(tmp_path):
    from web import create_app

    client = create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/api/search?q=Ukraine")
    assert response.status_code == 503
    assert "kein Index" in response.get_json()["error"]


def test_running_server_shows_new_commits_and_full_rebuilds_without_restart(live_server, index_dir, tmp_path):
    from tests.pages import write_page

    def total(q):
        return json.loads(fetch(f"{live_server}/api/search?q={urllib.parse.quote(q)}")[2])["total"]

    assert total("Windpark") == 0
    inbox = tmp_path / "neu"
    inbox.mkdir()
    write_page(inbox / "wind.txt", "Windpark vor Rügen genehmigt")
    assert run_cli("index", str(inbox), index_dir=index_dir).returncode == 0
    assert total("Windpark") == 1 and total("Botschaft") == 1
    # --full from the new folder alone: the swapped-in generation holds only that article.
    assert run_cli("index", "--full", str(inbox), index_dir=index_dir).returncode == 0
    assert total("Windpark") == 1 and total("Botschaft") == 0
