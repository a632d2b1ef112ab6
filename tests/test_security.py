"""Hostile input on the web: markup shows as text everywhere, headers forbid the rest, nothing writes."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import pytest

from indexer.write import index_files
from web import SECURITY_HEADERS, create_app

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def evil_client(tmp_path):
    page = tmp_path / "in" / "evil.txt"
    page.parent.mkdir()
    page.write_text(
        f"Politik, {EVIL}\n\nBotschaft {EVIL} geschlossen\n\n01.02.2026 - 10:00:00\n\n"
        f"Die Botschaft {EVIL} ist zu.\n\n  • Bild {EVIL}. - Foto: {EVIL}/dpa\n\n    {EVIL}/dpa\n\n"
        f"Im Text {EVIL} steht die Botschaft.\n\n@ dpa.de\n\nWeitere Meldungen\n\n"
        f"Botschaft {EVIL} meldet sich Der Text {EVIL}. (Ausland, 02.02.2026 - 09:15) weiterlesen...\n",
        encoding="utf-8",
    )
    index_files([page.parent], tmp_path / "ix")
    return create_app({"TESTING": True, "INDEX_DIR": str(tmp_path / "ix")}).test_client()


def assert_inert(body: str):
    assert "<script>alert" not in body and "<img src=x" not in body and "onerror=alert(1)>" not in body


@pytest.mark.parametrize("path", ["/?q=Botschaft", "/?q=Botschaft&sort=date", "/feed.atom?q=Botschaft",
                                  f"/?q={urllib.parse.quote(EVIL)}", f"/?q=Botschaft&section={urllib.parse.quote(EVIL)}",
                                  f"/feed.atom?q={urllib.parse.quote(EVIL)}"])
def test_markup_from_articles_and_queries_is_shown_as_text(evil_client, path):
    response = evil_client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert_inert(body)
    assert "&lt;script&gt;" in body or "&amp;lt;script&amp;gt;" in body


def test_article_page_and_related_item_show_markup_as_text(evil_client):
    hits = evil_client.get("/api/search?q=Botschaft").get_json()["hits"]
    assert len(hits) == 2
    for hit in hits:
        body = evil_client.get(f"/artikel/{hit['id']}").get_data(as_text=True)
        assert_inert(body)
        assert "&lt;script&gt;" in body


def test_api_json_carries_markup_only_inside_strings_and_escapes_snippets(evil_client):
    data = evil_client.get("/api/search?q=Botschaft").get_json()
    assert all("<script>" not in h["snippet"] for h in data["hits"])
    assert any(EVIL in h["title"] for h in data["hits"])  # JSON is data: the raw title, for the client to escape


@pytest.mark.parametrize("path", ["/", "/?q=Botschaft", "/api/search?q=x", "/api", "/nicht-da", "/?q=x&from=murks"])
def test_every_response_sends_the_security_headers(evil_client, path):
    response = evil_client.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)


def test_the_web_app_has_no_route_that_accepts_writes(evil_client):
    app = evil_client.application
    writing = sorted(str(rule) for rule in app.url_map.iter_rules() if rule.methods & {"POST", "PUT", "PATCH", "DELETE"})
    assert writing == []
    assert evil_client.post("/api/search?q=x").status_code == 405


@pytest.mark.parametrize("query", [
    "x" * 10_000, "\x00\x01\x02 Botschaft", "Botschaft\u202e", "((((((((((", '"' * 501, "NICHT " * 300,
    "titel:" * 200, "*" * 1000, "Bots*chaft?",
])
def test_hostile_queries_answer_200_with_results_or_messages(evil_client, query):
    response = evil_client.get("/api/search?" + urllib.parse.urlencode({"q": query}))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.get_json()["total"] >= 0


@pytest.mark.parametrize("params, status", [
    ({"q": "x", "page": "-1"}, 400), ({"q": "x", "per_page": "100000"}, 400), ({"q": "x", "page": "10000"}, 400),
    ({"q": "x", "from": "31.02.2026"}, 400), ({"q": "x", "unbekannt": "1", "sort": "date"}, 200),
    ({"q": "x", "from": "\x00"}, 400),
])
def test_hostile_parameters_get_a_4xx_with_message_or_are_ignored(evil_client, params, status):
    response = evil_client.get("/api/search?" + urllib.parse.urlencode(params))
    assert response.status_code == status
    if status == 400:
        assert response.get_json()["error"]
