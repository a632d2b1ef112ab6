"""Author and publisher kept apart from the agency, from every input format to the API and the page (issue 15.10)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from whoosh import query as wq

from indexer import schema as f
from indexer.store import open_for_reading
from indexer.write import index_files
from tests.conftest import fetch, write_jsonl

PAGE_URL = "https://www.rheinkurier.example/region/buslinie-wiesau-100.html"
RECORD_URL = "https://www.wiesauer-bote.example/politik/haushalt-200.html"
FEED_URL = "https://www.rheinkurier.example/wissen/sternwarte-300.html"

PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Neue Buslinie verbindet Wiesau und Oberfeld", "datePublished": "2025-03-14T06:00:00+01:00",
 "url": "%s",
 "author": [{"@type": "Person", "name": "Anna Weber"}, {"@type": "Organization", "name": "dpa"}],
 "publisher": {"@type": "NewsMediaOrganization", "name": "Rheinkurier"}}</script>
<meta property="og:site_name" content="Rheinkurier Online"></head>
<body><article><h1>Neue Buslinie verbindet Wiesau und Oberfeld</h1>
<p>Ab Montag fährt die Linie 61 alle 20 Minuten.</p><p>Der Kreis zahlt die Hälfte der Kosten.</p>
</article></body></html>""" % PAGE_URL

FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Wissen</title>
<item><title>Sternwarte öffnet für Mondfinsternis</title><link>%s</link>
<description>In der Nacht zum Freitag ist der Mond im Erdschatten.</description>
<dc:creator>Lena Hoffmann</dc:creator><dc:creator>AFP</dc:creator></item>
</channel></rss>""" % FEED_URL


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "bus.html").write_text(PAGE, encoding="utf-8")
    (folder / "wissen.xml").write_text(FEED, encoding="utf-8")
    write_jsonl(folder / "bote.jsonl", [{
        "url": RECORD_URL, "title": "Stadtrat beschließt Haushalt", "text": "Der Etat umfasst 48 Millionen Euro.",
        "date": "2025-03-13 18:00", "authors": ["Jonas Klein", "Mira Öztürk"], "publisher": "Wiesauer Bote",
    }])
    target = tmp_path / "index"
    report = index_files([folder], target)
    assert (report.articles, report.failures) == (3, ()), report
    return target


def api_document(base: str, url: str) -> dict:
    status, _, body = fetch(f"{base}/api/search?q=&per_page=10")
    assert status == 200, body
    ids = {hit["title"]: hit["id"] for hit in json.loads(body)["hits"]}
    by_url = {}
    for doc_id in ids.values():
        status, _, body = fetch(f"{base}/api/document/{doc_id}")
        assert status == 200, body
        doc = json.loads(body)
        by_url[doc["url"]] = doc
    return by_url[url]


@pytest.mark.parametrize("url, author, agency, publisher", [
    (PAGE_URL, ["Anna Weber"], "dpa", "Rheinkurier"),  # JSON-LD publisher before og:site_name
    (RECORD_URL, ["Jonas Klein", "Mira Öztürk"], None, "Wiesauer Bote"),
    (FEED_URL, ["Lena Hoffmann"], "AFP", None),
])  # fmt: skip
def test_api_document_keeps_authors_agency_and_publisher_apart(live_server, url, author, agency, publisher):
    doc = api_document(live_server, url)

    assert (doc["author"], doc["agency"], doc["publisher"]) == (author, agency, publisher)


def test_article_page_shows_author_agency_and_publisher_each_once(live_server):
    doc = api_document(live_server, PAGE_URL)
    status, _, body = fetch(f"{live_server}/artikel/{doc['id']}")
    assert status == 200, body

    meta = BeautifulSoup(body, "html.parser").select_one("article.doc .meta")

    assert " ".join(meta.get_text().split()) == "Artikel 14. März 2025, 06:00 Uhr Von Anna Weber Quelle: dpa Erschienen bei Rheinkurier"


def test_search_hits_name_their_authors(live_server):
    status, _, body = fetch(f"{live_server}/api/search?q=Haushalt")
    assert status == 200, body

    assert [(hit["title"], hit["author"]) for hit in json.loads(body)["hits"]] == [
        ("Stadtrat beschließt Haushalt", ["Jonas Klein", "Mira Öztürk"]),
    ]


def test_each_author_is_one_lower_cased_index_term(index_dir):
    with open_for_reading(index_dir).searcher() as searcher:
        def titles(name: str) -> list[str]:
            return [hit[f.TITLE] for hit in searcher.search(wq.Term(f.AUTHOR, name))]

        assert titles("mira öztürk") == ["Stadtrat beschließt Haushalt"]
        assert titles("anna weber") == ["Neue Buslinie verbindet Wiesau und Oberfeld"]
        assert titles("dpa") == []  # an agency is no author
        assert sorted(searcher.lexicon(f.AUTHOR)) == [b"anna weber", b"jonas klein", b"lena hoffmann", b"mira \xc3\xb6zt\xc3\xbcrk"]
