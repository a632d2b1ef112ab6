"""A newsroom's daily search (issue 20): the outlet as facet and filter, autor:, oldest first, page sizes.

The corpus is FANG's shape: ``source`` names the outlet, ``author`` the byline. The API and the
page are the real app over HTTP (``newsearch serve``), the CLI a real subprocess.
"""
from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import built_index, fetch, run_cli, write_jsonl

RECORDS = [
    dict(id="1", source="tagesspiegel.de", author="Anna Weber", date="2020-03-02T10:00:00+01:00", section="politik",
         url="https://www.tagesspiegel.de/politik/impfstoff-1", title="Impfstoff für Berlin",
         text="Der Impfstoff kommt nach Berlin. Die Senatorin rechnet mit einer schnellen Verteilung."),
    dict(id="2", source="zeit.de", author="Jonas Weber", date="2020-04-02T10:00:00+02:00", section="wissen",
         url="https://www.zeit.de/wissen/impfstoff-2", title="Impfstoff in der Forschung",
         text="Forschende prüfen den Impfstoff. Die Studie läuft noch mehrere Monate."),
    dict(id="3", source="sueddeutsche.de", author="Anna Schmidt", date="2020-05-02T10:00:00+02:00",
         section="muenchen", url="https://www.sueddeutsche.de/muenchen/impfstoff-3", title="Impfstoff in München",
         text="München bekommt den Impfstoff. Die Stadt richtet ein Zentrum ein."),
    dict(id="4", source="tagesspiegel.de", author="Max Webermann", date="2020-06-02T10:00:00+02:00",
         section="berlin", url="https://www.tagesspiegel.de/berlin/impfstoff-4", title="Impfzentrum mit Impfstoff",
         text="Das Impfzentrum verteilt den Impfstoff. Es öffnet am Montag."),
    dict(id="5", source="zeit.de", section="wissen", url="https://www.zeit.de/wissen/impfstoff-5",
         title="Impfstoff ohne Datum", text="Ein Text über den Impfstoff ohne Datum. Er steht trotzdem im Archiv."),
]
TITLES = {r["id"]: r["title"] for r in RECORDS}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """The newsroom corpus instead of the sample article: ``live_server`` and ``page`` serve it."""
    folder = tmp_path / "fang"
    folder.mkdir()
    write_jsonl(folder / "fang.jsonl", RECORDS)
    return built_index(folder, tmp_path / "index", articles=5, related=0)


def api(base: str, **params) -> dict:
    status, _, body = fetch(f"{base}/api/search?{urllib.parse.urlencode(params, doseq=True)}")
    assert status == 200, body
    return json.loads(body)


def titles(answer: dict) -> list[str]:
    return [hit["title"] for hit in answer["hits"]]


# -- 1. the outlet -------------------------------------------------------------------------------


def test_fang_source_is_the_outlet_of_every_hit_and_a_facet(live_server):
    answer = api(live_server, q="Impfstoff", sort="oldest")
    assert [hit["publisher"] for hit in answer["hits"]] == [
        "tagesspiegel.de", "zeit.de", "sueddeutsche.de", "tagesspiegel.de", "zeit.de"]
    assert answer["facets"]["source"] == [
        {"value": "tagesspiegel.de", "count": 2}, {"value": "zeit.de", "count": 2},
        {"value": "sueddeutsche.de", "count": 1}]


def test_source_parameter_is_repeatable_any_of_and_keeps_its_own_facet_counts(live_server):
    one = api(live_server, q="Impfstoff", source="tagesspiegel.de", sort="oldest")
    assert titles(one) == [TITLES["1"], TITLES["4"]]
    both = api(live_server, q="Impfstoff", source=["TAGESSPIEGEL.DE", "sueddeutsche.de"], sort="oldest")
    assert titles(both) == [TITLES["1"], TITLES["3"], TITLES["4"]]
    assert both["facets"]["source"][0] == {"value": "tagesspiegel.de", "count": 2}  # multi-select: all outlets
    assert both["facets"]["section"] == [
        {"value": "berlin", "count": 1}, {"value": "muenchen", "count": 1}, {"value": "politik", "count": 1}]


@pytest.mark.parametrize("word", ["quelle", "source", "Medium"])
def test_quelle_in_the_query_filters_by_outlet(live_server, word):
    answer = api(live_server, q=f"Impfstoff {word}:zeit.de", sort="oldest")
    assert titles(answer) == [TITLES["2"], TITLES["5"]]
    assert answer["messages"] == []


def test_outlet_is_shown_on_every_hit_of_the_page(live_server):
    status, _, body = fetch(f"{live_server}/?q=Impfstoff&sort=oldest")
    assert status == 200
    shown = [part.split("</span>")[0] for part in body.split('<span class="publisher">')[1:]]
    assert shown == ["tagesspiegel.de", "zeit.de", "sueddeutsche.de", "tagesspiegel.de", "zeit.de"]


def test_cli_filters_by_source_and_prints_outlet_and_authors(index_dir):
    done = run_cli("query", "Impfstoff", "--source", "sueddeutsche.de", index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    meta = done.stdout.splitlines()[2].strip()
    assert meta.split("  [")[0] == "Artikel · 02.05.2020 10:00 · München · sueddeutsche.de · von Anna Schmidt"


def test_browser_source_facet_filters_and_the_chip_removes_it(page):
    page.goto(page.base + "/?q=Impfstoff")
    facet = page.locator("section[data-facet=source]")
    assert facet.locator("h3").text_content() == "Quelle"
    facet.locator("a", has_text="sueddeutsche.de").click()
    page.wait_for_url("**source=sueddeutsche.de*")
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES["3"]]
    assert page.locator("li.hit .publisher").all_inner_texts() == ["sueddeutsche.de"]
    assert [" ".join(t.split()) for t in page.locator(".chips .chip").all_inner_texts()] == [
        "Quelle: sueddeutsche.de ✕"]
    page.locator(".chips .chip").click()
    page.wait_for_function("document.querySelectorAll('li.hit').length === 5")


# -- 2. authors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ('autor:"Anna Weber"', ["1"]),
    ("autor:Weber", ["1", "2"]),  # the surname; not Webermann
    ("autor:anna", ["1", "3"]),  # a first name, any case
    ("autor:Weber*", ["1", "2", "4"]),
    ("autorin:Schmidt", ["3"]),
    ("Impfstoff -autor:Weber", ["3", "4", "5"]),
    ('Impfstoff autor:"Anna Weber" ODER autor:Schmidt', ["1", "3"]),
])  # fmt: skip
def test_autor_filters_by_name_surname_or_first_name(live_server, query, expected):
    answer = api(live_server, q=query, sort="oldest")
    assert titles(answer) == [TITLES[i] for i in expected]
    assert answer["messages"] == []


def test_autor_does_not_fall_back_to_other_authors_when_words_are_missing(live_server):
    answer = api(live_server, q="Impfstoff Senatorin Zentrum autor:Schmidt")
    assert titles(answer) == [TITLES["3"]]
    assert answer["notice"] is not None  # some words, not all: the OR fallback, but only Anna Schmidt's


def test_authors_are_shown_on_hits(live_server):
    answer = api(live_server, q='autor:"Anna Weber"')
    assert answer["hits"][0]["author"] == ["Anna Weber"]
    status, _, body = fetch(f"{live_server}/?q=autor:Schmidt")
    assert '<span class="author">von Anna Schmidt</span>' in body


# -- 3. oldest first -----------------------------------------------------------------------------


@pytest.mark.parametrize("sort, expected", [
    ("oldest", ["1", "2", "3", "4", "5"]),
    ("newest", ["4", "3", "2", "1", "5"]),
    ("date", ["4", "3", "2", "1", "5"]),  # the old name of newest: old links hold
])  # fmt: skip
def test_sort_orders_by_date_undated_last(live_server, sort, expected):
    assert titles(api(live_server, q="Impfstoff", sort=sort)) == [TITLES[i] for i in expected]


def test_unknown_sort_names_all_three(live_server):
    status, _, body = fetch(f"{live_server}/api/search?q=Impfstoff&sort=alt")
    assert status == 400
    assert "erlaubt sind relevance, newest, oldest" in body


def test_cli_sort_oldest(index_dir):
    done = run_cli("query", "Impfstoff", "--sort", "oldest", "--json", index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert [hit["title"] for hit in json.loads(done.stdout)["hits"]] == [TITLES[i] for i in "12345"]


def test_browser_sort_switch_offers_all_three(page):
    page.goto(page.base + "/?q=Impfstoff")
    sort = page.locator("nav.sort")
    assert sort.locator("a, span.current").all_inner_texts() == ["Relevanz", "Neueste zuerst", "Älteste zuerst"]
    assert sort.locator(".current").inner_text() == "Relevanz"
    sort.locator("a", has_text="Älteste zuerst").click()
    page.wait_for_url("**sort=oldest*")
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES[i] for i in "12345"]
    assert page.locator("nav.sort .current").inner_text() == "Älteste zuerst"
    page.goto(page.base + "/?q=Impfstoff&sort=date")
    assert page.locator("nav.sort .current").inner_text() == "Neueste zuerst"


# -- 4. page size --------------------------------------------------------------------------------


def test_api_per_page_keeps_its_limit(live_server):
    assert api(live_server, q="Impfstoff", per_page=3)["per_page"] == 3
    status, _, body = fetch(f"{live_server}/api/search?q=Impfstoff&per_page=101")
    assert status == 400
    assert "zwischen 1 und 100" in body


def test_browser_page_size_can_be_chosen(page):
    page.goto(page.base + "/?q=Impfstoff&per_page=2")
    assert page.locator("li.hit").count() == 2
    sizes = page.locator("nav.per-page")
    assert sizes.locator("a, span.current").all_inner_texts() == ["10", "25", "50", "100"]
    sizes.locator("a", has_text="25").click()
    page.wait_for_url("**per_page=25*")
    assert page.locator("li.hit").count() == 5
    assert page.locator("nav.per-page .current").inner_text() == "25"
    assert page.locator("#count").inner_text() == "5 Treffer – Seite 1 von 1"
