"""An index without documents (``index`` of an empty directory) answers every question with
nothing: no traceback, no HTTP 500 (issue 15, defect 1)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import fetch, run_cli

NOT_FOUND = ("Ein Dokument mit der Kennung 'x' gibt es im Index nicht (mehr). "
             "Suchen Sie nach seinem Titel, um es wiederzufinden.")
NO_FACETS = {"year": [], "month": [], "day": [], "section": [], "topic": [], "agency": [], "source": []}


def empty_search(query: str, per_page: int = 10) -> dict:
    return {"query": query, "total": 0, "page": 1, "per_page": per_page, "hits": [], "facets": NO_FACETS,
            "suggestion": None, "messages": [], "notice": None,
            "histogram": {"granularity": "day", "buckets": []}}


def test_query_on_empty_index_prints_zero_hits_and_exits_0(empty_index_dir):
    result = run_cli("query", "Ukraine", index_dir=empty_index_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0 Treffer für „Ukraine“ – Seite 1 von 1\n"
    assert result.stderr == ""


@pytest.mark.parametrize("args", [
    ["Ukraine"],
    ["Ukraine", "--sort", "date", "--from", "01.01.2020", "--section", "Ausland"],
    ["Ukrane"],  # a misspelling asks for a suggestion
    ["Ukr*"],
    ['"die Ukraine"'],
])
def test_query_json_on_empty_index_is_an_empty_result(empty_index_dir, args):
    result = run_cli("query", *args, "--json", index_dir=empty_index_dir)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == empty_search(args[0])


def test_similar_on_empty_index_says_the_id_is_unknown(empty_index_dir):
    result = run_cli("similar", "x", index_dir=empty_index_dir)
    assert result.returncode == 1, result.stderr
    assert result.stderr == f"Fehler: {NOT_FOUND}\n"


def test_api_on_empty_index_answers_empty_search_and_404_for_ids(empty_server):
    for _ in range(2):  # the second request reuses the server thread's searcher
        status, content_type, body = fetch(empty_server + "/api/search?q=Ukraine")
        assert (status, content_type, json.loads(body)) == (200, "application/json", empty_search("Ukraine")), body
    for path in ("/api/document/x", "/api/similar/x"):
        status, _, body = fetch(empty_server + path)
        assert (status, json.loads(body)) == (404, {"error": NOT_FOUND}), body


def test_pages_on_empty_index_show_no_hits_and_404_for_ids(empty_server):
    status, _, html = fetch(empty_server + "/?q=Ukraine")
    assert status == 200 and "Keine Treffer für „Ukraine“" in html, html
    status, _, html = fetch(empty_server + "/")
    assert status == 200 and "Suche in deutschen Nachrichten" in html, html
    status, _, html = fetch(empty_server + "/artikel/x")
    assert status == 404 and "gibt es im Index nicht (mehr)" in html, html
    status, content_type, feed = fetch(empty_server + "/feed.atom?q=Ukraine")
    assert (status, content_type) == (200, "application/atom+xml; charset=utf-8"), feed
    assert "<entry>" not in feed and "(0 insgesamt)" in feed
