"""The web pages over real HTTP: what a person reads on the search, article, feed and API pages."""
from __future__ import annotations

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from indexer.dates import BERLIN
from indexer.parse import parse_article
from search.results import FacetCount
from tests.conftest import SAMPLE, fetch
from web.histogram import build_histogram
from web.pages import page_window

ARTICLE = parse_article(SAMPLE)
RELATED = ARTICLE.related
ATOM = "{http://www.w3.org/2005/Atom}"


def soup_of(base: str, path: str, status: int = 200) -> BeautifulSoup:
    got, content_type, body = fetch(base + path)
    assert (got, content_type.split(";")[0]) == (status, "text/html"), body[:500]
    return BeautifulSoup(body, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text().split())


def query_of(href: str) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)


def mentions_ukraine(item) -> bool:
    """Independent of the analyzer: does the stored text contain a word starting with "Ukrain"?"""
    words = " ".join([item.title, getattr(item, "teaser", ""), getattr(item, "lead", ""), *getattr(item, "body", ())])
    return bool(re.search(r"ukrain", words, re.IGNORECASE))


UKRAINE = sorted([d for d in (ARTICLE, *RELATED) if mentions_ukraine(d)], key=lambda d: d.published, reverse=True)


# -- article page ------------------------------------------------------------------------------


def test_article_page_shows_the_whole_article_with_captions_and_credits(live_server):
    page = soup_of(live_server, f"/artikel/{ARTICLE.id}")
    doc = page.select_one("article.doc")
    assert text(doc.h1) == ARTICLE.title
    assert [text(a) for a in doc.select(".kicker a")] == ["USA", "Russland"]
    assert text(doc.select_one(".meta")) == "Artikel 27. Februar 2025, 11:57 Uhr Quelle: dpa"
    assert text(doc.select_one(".lead")) == ARTICLE.lead
    assert [text(fig) for fig in doc.select("figcaption")] == [
        f"{c.text} Foto: {c.credit}" for c in ARTICLE.captions
    ]
    assert [text(li) for li in doc.select(".subheadings li")] == list(ARTICLE.subheadings)
    assert [text(p) for p in doc.select(".body p")] == list(ARTICLE.body)
    assert text(page.title) == f"{ARTICLE.title} – newsearch"


def test_article_page_links_each_related_item_to_its_own_page(live_server):
    page = soup_of(live_server, f"/artikel/{ARTICLE.id}")
    links = page.select("section.related a.doc-title")
    assert [(text(a), a["href"]) for a in links] == [(r.title, f"/artikel/{r.id}") for r in RELATED]
    assert [text(li.select_one(".meta")) for li in page.select("section.related li")][:2] == [
        "Meldung 26.01.2026, 11:32 Uhr · Boerse",
        "Meldung 25.01.2026, 13:06 Uhr · Ausland",
    ]
    stub = soup_of(live_server, links[1]["href"])
    assert text(stub.h1) == RELATED[1].title
    assert text(stub.select_one(".lead")) == RELATED[1].teaser
    assert [(text(a), a["href"]) for a in stub.select("section.parents a")] == [
        (ARTICLE.title, f"/artikel/{ARTICLE.id}")
    ]


def test_similar_articles_on_the_page_are_those_of_the_api(live_server):
    page = soup_of(live_server, f"/artikel/{RELATED[0].id}")
    _, _, body = fetch(f"{live_server}/api/similar/{RELATED[0].id}")
    api = json.loads(body)
    assert api["id"] == RELATED[0].id and len(api["hits"]) == 5
    assert [text(a) for a in page.select("section.similar a.doc-title")] == [h["title"] for h in api["hits"]]
    assert RELATED[0].id not in [h["id"] for h in api["hits"]]


def test_unknown_article_is_a_german_404_page_and_a_json_404(live_server):
    page = soup_of(live_server, "/artikel/gibtsnicht", status=404)
    assert text(page.h1) == "Nicht gefunden"
    assert text(page.select_one(".message")) == (
        "Ein Dokument mit der Kennung 'gibtsnicht' gibt es im Index nicht (mehr). "
        "Suchen Sie nach seinem Titel, um es wiederzufinden."
    )
    for path in ("/api/document/gibtsnicht", "/api/similar/gibtsnicht"):
        status, content_type, body = fetch(live_server + path)
        assert (status, content_type) == (404, "application/json"), body
        assert json.loads(body) == {"error": text(page.select_one(".message"))}


def test_api_document_is_the_stored_article(live_server):
    status, _, body = fetch(f"{live_server}/api/document/{ARTICLE.id}")
    assert status == 200, body
    assert json.loads(body) == {
        "id": ARTICLE.id, "kind": "article", "title": ARTICLE.title, "url": None,
        "published": "2025-02-27T11:57:57+01:00", "section": None, "agency": "dpa", "author": [], "publisher": None,
        "topics": ["USA", "Russland"],
        "lead": ARTICLE.lead, "body": list(ARTICLE.body), "subheadings": list(ARTICLE.subheadings),
        "captions": [{"text": c.text, "credit": c.credit} for c in ARTICLE.captions],
        "parents": [],
        "related": [{"id": r.id, "kind": "related", "title": r.title, "published": r.published.isoformat(),
                     "section": r.section} for r in RELATED],
        "author": [],
        # agency-item fields (tests/test_versions.py): a saved page is no agency item
        "item_id": None, "version": None, "first_created": None, "urgency": None, "genre": None, "located": None,
        "versions": [],
    }  # fmt: skip


# -- search page -------------------------------------------------------------------------------


def test_results_link_to_their_article_pages_and_show_time_taken(live_server):
    page = soup_of(live_server, "/?q=Botschaft")
    assert [(text(a), a["href"]) for a in page.select("li.hit h2 a")] == [
        (ARTICLE.title, f"/artikel/{ARTICLE.id}?q=Botschaft&hit=1")]  # the search comes along (issue 20)
    assert re.fullmatch(r"in \d+,\d\d Sekunden", text(page.select_one(".took")))
    assert [text(a) for a in page.select("li.hit .topics a")] == ["USA", "Russland"]


def test_histogram_has_one_bar_per_month_with_hits_linking_to_that_month(live_server):
    page = soup_of(live_server, "/?q=Ukraine")
    chart = page.select_one("section.histogram")
    assert text(chart.h3) == "Treffer je Monat"
    months = Counter(f"{d.published:%Y-%m}" for d in UKRAINE)  # independent of the facet code
    assert months == {"2025-02": 1, "2026-01": 5}
    bars = chart.select("svg a")
    assert [b["aria-label"] for b in bars] == ["Februar 2025: 1 Treffer", "Januar 2026: 5 Treffer"]
    assert [query_of(b["href"]) for b in bars] == [
        {"q": ["Ukraine"], "from": ["01.02.2025"], "to": ["28.02.2025"]},
        {"q": ["Ukraine"], "from": ["01.01.2026"], "to": ["31.01.2026"]},
    ]
    # Heights are proportional to the counts; the eleven months between are drawn as gaps.
    heights = [float(b.select_one("rect.bar")["height"]) for b in bars]
    assert heights == [14.0, 70.0]
    assert [float(b.select_one("rect.bar")["x"]) for b in bars] == [2.0, 222.0]
    assert [text(t) for t in chart.select("text")] == ["Feb. 2025", "Jan. 2026"]


def test_histogram_of_one_month_counts_days(live_server):
    chart = soup_of(live_server, "/?q=Ukraine&from=01.01.2026&to=31.01.2026").select_one("section.histogram")
    days = Counter(f"{d.published:%d.%m.%Y}" for d in UKRAINE if d.published.year == 2026)
    assert text(chart.h3) == "Treffer je Tag"
    assert [b["aria-label"] for b in chart.select("svg a")] == [f"{d}: {n} Treffer" for d, n in sorted(days.items())]


def test_build_histogram_fills_periods_without_hits_and_marks_the_chosen_one():
    buckets = (FacetCount("2025-11", "November 2025", 4), FacetCount("2026-02", "Februar 2026", 2))
    chart = build_histogram("month", buckets, (date(2026, 2, 1), date(2026, 2, 28)))
    assert [(b.label, b.count, b.start, b.end, b.selected) for b in chart.bars] == [
        ("November 2025", 4, date(2025, 11, 1), date(2025, 11, 30), False),
        ("Dezember 2025", 0, date(2025, 12, 1), date(2025, 12, 31), False),
        ("Januar 2026", 0, date(2026, 1, 1), date(2026, 1, 31), False),
        ("Februar 2026", 2, date(2026, 2, 1), date(2026, 2, 28), True),
    ]
    assert [b.height for b in chart.bars] == [70.0, 0.0, 0.0, 35.0]
    assert build_histogram("day", ()) is None


def test_facet_values_toggle_in_and_out_of_the_url(live_server):
    page = soup_of(live_server, "/?q=Ukraine")
    ausland = page.select_one('section[data-facet=section] a:-soup-contains("Ausland")')
    assert query_of(ausland["href"]) == {"q": ["Ukraine"], "section": ["Ausland"]}
    page = soup_of(live_server, ausland["href"])
    facet = page.select_one("section[data-facet=section]")
    assert [(text(li.a), text(li.select_one(".n")), "selected" in li.a.get("class", [])) for li in facet.select("li")] == [
        ("Ausland", "4", True), ("Boerse", "1", False)
    ]
    both = facet.select_one('a:-soup-contains("Boerse")')["href"]
    assert query_of(both) == {"q": ["Ukraine"], "section": ["Ausland", "Boerse"]}
    assert query_of(facet.select_one("a.selected")["href"]) == {"q": ["Ukraine"]}
    assert len(soup_of(live_server, both).select("li.hit")) == 5


def test_active_filters_are_chips_that_remove_only_themselves(live_server):
    page = soup_of(live_server, "/?q=Ukraine&section=Ausland&topic=USA&from=24.01.2026&sort=date")
    chips = page.select(".chips a.chip")
    assert [text(c) for c in chips] == ["Zeitraum: ab 24.01.2026 ✕", "Ressort: Ausland ✕", "Thema: USA ✕"]
    assert [c["aria-label"] for c in chips][1] == "Filter Ressort: Ausland entfernen"
    assert [query_of(c["href"]) for c in chips] == [
        {"q": ["Ukraine"], "section": ["Ausland"], "topic": ["USA"], "sort": ["date"]},
        {"q": ["Ukraine"], "from": ["24.01.2026"], "topic": ["USA"], "sort": ["date"]},
        {"q": ["Ukraine"], "from": ["24.01.2026"], "section": ["Ausland"], "sort": ["date"]},
    ]
    assert query_of(page.select_one(".chips a.clear")["href"]) == {"q": ["Ukraine"], "sort": ["date"]}


def test_date_chip_shows_the_days_a_german_expression_was_read_as(live_server):
    today = datetime.now(BERLIN).date()
    monday = today - timedelta(days=today.weekday() + 7)
    page = soup_of(live_server, "/?q=Ukraine&from=letzte+Woche")
    assert text(page.select_one(".chips a.chip")) == f"Zeitraum: ab letzte Woche ({monday:%d.%m.%Y} – …) ✕"
    assert page.select_one("#from")["value"] == "letzte Woche"


def test_empty_result_explains_and_offers_the_search_without_filters(live_server):
    page = soup_of(live_server, "/?q=Ukraine&section=Sport")
    assert text(page.select_one("#count")) == "0 Treffer"
    empty = page.select_one(".empty")
    assert text(empty.h2) == "Keine Treffer für „Ukraine“"
    assert query_of(empty.select_one('a:-soup-contains("ohne Filter suchen")')["href"]) == {"q": ["Ukraine"]}


def test_misspelt_query_offers_the_suggestion_as_a_link(live_server):
    page = soup_of(live_server, "/?q=Ukrane")
    suggestion = page.select_one(".suggestion")
    assert text(suggestion) == "Meinten Sie „Ukraine“?"
    assert query_of(suggestion.a["href"]) == {"q": ["Ukraine"]}


def test_bad_sort_is_a_german_400_page_in_the_site_style(live_server):
    page = soup_of(live_server, "/?q=Ukraine&sort=klicks", status=400)
    assert text(page.h1) == "Die Suche ist nicht lesbar"
    assert text(page.select_one(".status")) == "Fehler 400"
    assert page.select_one("header.site a.brand") is not None


def test_start_page_lists_the_newest_documents(live_server):
    page = soup_of(live_server, "/")
    newest = sorted((ARTICLE, *RELATED), key=lambda d: d.published, reverse=True)[:5]
    assert [text(a) for a in page.select(".newest a.doc-title")] == [d.title for d in newest]
    assert text(page.select_one(".newest p > a")) == "Alle 7 Dokumente nach Datum"


def test_page_window_keeps_first_last_and_neighbours():
    assert page_window(1, 1) == [1]
    assert page_window(6, 20) == [1, None, 4, 5, 6, 7, 8, None, 20]
    assert page_window(2, 5) == [1, 2, 3, 4, 5]


# -- feed --------------------------------------------------------------------------------------


def test_feed_is_valid_atom_listing_newest_matches_first(live_server):
    status, content_type, body = fetch(f"{live_server}/feed.atom?q=Ukraine")
    assert (status, content_type) == (200, "application/atom+xml; charset=utf-8")
    feed = ET.fromstring(body.encode("utf-8"))
    assert feed.tag == f"{ATOM}feed"
    # RFC 4287 4.1.1: exactly one id, title and updated; an author on the feed covers every entry.
    for name in ("id", "title", "updated", "author"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{live_server}/feed.atom?q=Ukraine"
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{live_server}/?q=Ukraine"
    entries = feed.findall(f"{ATOM}entry")
    for entry in entries:  # 4.1.2: one id, title, updated and an alternate link per entry
        assert [len(entry.findall(f"{ATOM}{n}")) for n in ("id", "title", "updated")] == [1, 1, 1]
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == entry.findtext(f"{ATOM}id")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [d.title for d in UKRAINE]
    stamps = [datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries]
    assert stamps == [d.published for d in UKRAINE] and all(s.tzinfo for s in stamps)
    assert datetime.fromisoformat(feed.findtext(f"{ATOM}updated")) == UKRAINE[0].published
    assert entries[0].findtext(f"{ATOM}id") == f"{live_server}/artikel/{UKRAINE[0].id}"


def test_feed_applies_the_same_filters_as_the_page(live_server):
    page = soup_of(live_server, "/?q=Ukraine&section=Ausland&sort=date")
    href = page.select_one('link[rel=alternate][type="application/atom+xml"]')["href"]
    assert query_of(href) == {"q": ["Ukraine"], "section": ["Ausland"]}
    _, _, body = fetch(live_server + href)
    titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(body.encode("utf-8")).findall(f"{ATOM}entry")]
    assert titles == [text(a) for a in page.select("li.hit h2 a")]
    assert titles == [d.title for d in UKRAINE if getattr(d, "section", "") == "Ausland"]


# -- API description ---------------------------------------------------------------------------


def api_routes(app) -> set[str]:
    return {
        re.sub(r"<(?:\w+:)?\w+>", "{id}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/", "/export."))
    } - {"/export.{id}"} | {"/export.csv", "/export.jsonl"}  # one route serves both formats


def test_api_page_and_openapi_describe_every_api_route(live_server, app):
    _, _, body = fetch(f"{live_server}/api/openapi.json")
    spec = json.loads(body)
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == api_routes(app) == {
        "/api/search", "/api/document/{id}", "/api/similar/{id}", "/export.csv", "/export.jsonl", "/api/openapi.json"
    }
    page = soup_of(live_server, "/api")
    assert [text(h2.code) for h2 in page.select("section.endpoint h2")] == list(spec["paths"])
    assert [text(h3.code) for h3 in page.select("section.schema h3")] == list(spec["components"]["schemas"])


def conforms(value, schema: dict, schemas: dict, where: str = "$") -> list[str]:
    """Differences between a JSON value and the subset of JSON Schema that web/openapi.py uses."""
    if "$ref" in schema:
        return conforms(value, schemas[schema["$ref"].rsplit("/", 1)[-1]], schemas, where)
    kinds = schema.get("type", "object")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    python = {"string": str, "integer": int, "number": (int, float), "array": list, "object": dict,
              "null": type(None), "boolean": bool}  # fmt: skip
    if not any(isinstance(value, python[k]) and not (k in ("integer", "number") and isinstance(value, bool))
               for k in kinds):
        return [f"{where}: {value!r} is not {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not in {schema['enum']}"]
    problems = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            problems += conforms(item, schema.get("items", {}), schemas, f"{where}[{i}]")
    if isinstance(value, dict) and "properties" in schema:
        if set(value) != set(schema["properties"]):
            problems.append(f"{where}: keys {sorted(value)} != {sorted(schema['properties'])}")
        for key, sub in schema["properties"].items():
            if key in value:
                problems += conforms(value[key], sub, schemas, f"{where}.{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            problems += conforms(item, schema["additionalProperties"], schemas, f"{where}.{key}")
    return problems


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/search?q=Ukraine&section=Ausland&per_page=2", "200"),
        ("/api/search?q=Ukrane", "200"),
        (f"/api/document/{ARTICLE.id}", "200"),
        (f"/api/document/{RELATED[2].id}", "200"),
        (f"/api/similar/{ARTICLE.id}", "200"),
        ("/api/document/gibtsnicht", "404"),
        ("/api/search?q=Ukraine&page=0", "400"),
    ],
)
def test_api_answers_have_the_shapes_the_openapi_document_gives(live_server, path, status):
    _, _, spec_body = fetch(f"{live_server}/api/openapi.json")
    spec = json.loads(spec_body)
    got, _, body = fetch(live_server + path)
    assert str(got) == status, body
    template = re.sub(r"/api/(document|similar)/[^/?]+", r"/api/\1/{id}", path.split("?")[0])
    response = spec["paths"][template]["get"]["responses"][status]
    schema = response["content"]["application/json"]["schema"]
    assert conforms(json.loads(body), schema, spec["components"]["schemas"]) == []
