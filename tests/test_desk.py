"""A documentation desk's search (issue 20, second part): filters under NICHT, export, exact and
proximity search, the way back from an article, quick dates, readable sections.

The corpus is the newsroom's (tests/test_newsroom.py, FANG's shape). The API and the pages are the
real app over HTTP (``newsearch serve``), the pages in headless Chromium, the CLI a real subprocess.
"""
from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime
from pathlib import Path

import pytest

from indexer.dates import BERLIN
from tests.conftest import ROOT, built_index, fetch, run_cli, serving, write_jsonl
from tests.test_newsroom import RECORDS, TITLES, api, titles

# Beside the newsroom's five "Impfstoff" articles: words at known distances, and word forms.
MORE = [
    dict(id="a", source="zeit.de", date="2020-07-01T10:00:00+02:00", section="politik", title="Gipfel in Paris",
         text="Merkel traf Macron am Abend."),
    dict(id="b", source="zeit.de", date="2020-07-02T10:00:00+02:00", section="politik", title="Gipfel in Berlin",
         text="Merkel sprach lange mit dem französischen Präsidenten Macron."),
    dict(id="c", source="zeit.de", date="2020-07-03T10:00:00+02:00", section="politik", title="Gipfel in Rom",
         text="Macron und Merkel reisten ab."),
    dict(id="d", source="zeit.de", date="2020-07-04T10:00:00+02:00", section="politik", title="Gipfel in Wien",
         text="Merkel war in Wien. Es war ein langer Tag voller Termine und Gespräche; am Abend kam auch Macron."),
    dict(id="e", source="zeit.de", date="2020-07-05T10:00:00+02:00", section="2020", title="Abstimmung",
         text="Die Linke stimmt zu."),
    dict(id="f", source="zeit.de", date="2020-07-06T10:00:00+02:00", section="mobilitaet", title="Mehrheit",
         text="Den Linken fehlt die Mehrheit."),
]
TITLES = {**TITLES, **{r["id"]: r["title"] for r in MORE}}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """The newsroom corpus and ``MORE``: ``live_server`` and ``page`` serve it."""
    folder = tmp_path / "desk"
    folder.mkdir()
    write_jsonl(folder / "desk.jsonl", RECORDS + MORE)
    return built_index(folder, tmp_path / "index", articles=len(RECORDS) + len(MORE), related=0)

# -- 1. filters under NICHT / - ------------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ("Impfstoff NICHT quelle:zeit.de", ["1", "3", "4"]),
    ("Impfstoff -quelle:zeit.de", ["1", "3", "4"]),
    ("Impfstoff -Quelle:ZEIT.DE -quelle:tagesspiegel.de", ["3"]),
    ("NICHT quelle:zeit.de", ["1", "3", "4"]),
    ("Impfstoff NICHT NICHT quelle:zeit.de", ["2", "5"]),
    ("Impfstoff NICHT ressort:wissen", ["1", "3", "4"]),
    ("Impfstoff -ressort:wissen quelle:zeit.de", []),
    ("Impfstoff NICHT autor:Weber", ["3", "4", "5"]),
    ("Impfstoff NICHT titel:München", ["1", "2", "4", "5"]),
])  # fmt: skip
def test_filters_under_nicht_or_minus_exclude(live_server, query, expected):
    assert_finds(live_server, query, expected)


def assert_finds(base: str, query: str, expected: list[str]) -> None:
    """The API finds exactly the records ``expected``, oldest first, and has nothing to say about the query."""
    answer = api(base, q=query, sort="oldest")
    assert titles(answer) == [TITLES[i] for i in expected]
    assert answer["messages"] == []


def test_excluded_outlet_leaves_its_facet(live_server):
    answer = api(live_server, q="Impfstoff NICHT quelle:zeit.de")
    assert answer["facets"]["source"] == [{"value": "tagesspiegel.de", "count": 2},
                                          {"value": "sueddeutsche.de", "count": 1}]


@pytest.mark.parametrize("query", ["Impfstoff NICHT datum:2020", "Impfstoff -datum:2020"])
def test_a_date_cannot_be_excluded_and_says_so(live_server, query):
    answer = api(live_server, q=query, sort="oldest")
    assert titles(answer) == [TITLES[i] for i in "12345"]
    word = query.split()[-1].lstrip("-").split(":")[0]
    assert answer["messages"] == [
        f"„{word}:2020“ lässt sich nicht ausschließen (NICHT oder - vor einem Datum); die Angabe wird "
        f"übergangen. Einen Zeitraum wählen Sie mit {word}: ohne NICHT oder mit Von und Bis."]


def test_cli_excludes_an_outlet(index_dir):
    done = run_cli("query", "Impfstoff NICHT quelle:zeit.de", "--sort", "oldest", "--json", index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert [hit["title"] for hit in json.loads(done.stdout)["hits"]] == [TITLES[i] for i in "134"]


# -- 2. export -----------------------------------------------------------------------------------

CSV_HEADER = ('"id";"kind";"title";"published";"section";"topics";"author";"publisher";"agency";"url";"score";'
              '"snippet";"parent_id"\r\n')


def download(url: str) -> tuple[int, dict, bytes]:
    """Status, headers and the raw bytes of a GET over real HTTP."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_export_is_for_a_german_spreadsheet_and_streamed(live_server):
    status, headers, data = download(f"{live_server}/export.csv?q=Impfstoff&sort=oldest&page=2&per_page=1")
    assert status == 200, data
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="newsearch-impfstoff.csv"'
    assert headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in headers  # a generator
    assert data.startswith(b"\xef\xbb\xbf" + CSV_HEADER.encode())
    assert data.count(b"\r\n") == 6 and b"\n" not in data.replace(b"\r\n", b"")
    rows = csv_rows(data)
    assert [row[2] for row in rows[1:]] == [TITLES[i] for i in "12345"]  # all hits, page and per_page ignored
    first = rows[1]
    assert [row[0] for row in rows[1:]] == [hit["id"] for hit in api(live_server, q="Impfstoff", sort="oldest")["hits"]]
    assert first[1:10] == ["article", "Impfstoff für Berlin", "2020-03-02 10:00", "Politik", "", "Anna Weber",
                          "tagesspiegel.de", "", "https://www.tagesspiegel.de/politik/impfstoff-1"]
    assert re.fullmatch(r"\d+,\d{4}", first[10]), first[10]
    assert first[11:] == ["Der Impfstoff kommt nach Berlin. Die Senatorin rechnet mit einer schnellen Verteilung.", ""]
    assert rows[5][3] == ""  # no date: an empty cell


def test_jsonl_export_is_the_api_hits_with_their_url(live_server):
    status, headers, data = download(f"{live_server}/export.jsonl?q=Impfstoff&source=zeit.de&sort=newest")
    assert status == 200
    assert headers["Content-Type"] == "application/x-ndjson; charset=utf-8"
    lines = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    expected = api(live_server, q="Impfstoff", source="zeit.de", sort="newest")["hits"]
    assert lines == [{**hit, "url": url} for hit, url in zip(expected, [
        "https://www.zeit.de/wissen/impfstoff-2", "https://www.zeit.de/wissen/impfstoff-5"])]


@pytest.mark.parametrize("query, status, rows", [
    ("q=Impfstoff&limit=2", 200, 2),
    ("q=Impfstoff&limit=100000", 200, 5),
    ("q=Zeppelinhangar", 200, 0),
    ("", 200, 11),  # no words: every document, newest first
])  # fmt: skip
def test_export_limit(live_server, query, status, rows):
    code, _, data = download(f"{live_server}/export.csv?{query}")
    assert code == status
    assert len(csv_rows(data)) == rows + 1


@pytest.mark.parametrize("path, message", [
    ("/export.csv?q=Impfstoff&limit=100001", "limit muss eine ganze Zahl zwischen 1 und 100000 sein, nicht '100001'."),
    ("/export.csv?q=Impfstoff&limit=zwei", "limit muss eine ganze Zahl zwischen 1 und 100000 sein, nicht 'zwei'."),
    ("/export.jsonl?q=Impfstoff&from=gestern-ish",
     "Von-Datum 'gestern-ish' ist kein Datum. Erlaubt sind z. B. 2026-01-24, 24.01.2026, Januar 2026, 2026-01, "
     "gestern, letzte Woche, seit Montag, vor 3 Tagen."),
    ("/export.xlsx?q=Impfstoff", "Unbekanntes Exportformat „xlsx“: erlaubt sind csv, jsonl."),
])  # fmt: skip
def test_export_bad_arguments_are_a_json_400(live_server, path, message):
    status, headers, data = download(live_server + path)
    assert (status, headers["Content-Type"]) == (400, "application/json")
    assert json.loads(data) == {"error": message}


def test_cli_export_is_the_same_bytes_as_the_web(live_server, index_dir):
    for fmt in ("csv", "jsonl"):
        done = subprocess.run([sys.executable, "-m", "newsearch", "--index-dir", str(index_dir), "query", "Impfstoff",
                               "--sort", "oldest", "--format", fmt, "--all"], capture_output=True, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        assert done.stdout == download(f"{live_server}/export.{fmt}?q=Impfstoff&sort=oldest")[2]
    page = run_cli("query", "Impfstoff", "--sort", "oldest", "--format", "csv", "--limit", "2", index_dir=index_dir)
    assert [row[2] for row in csv_rows(page.stdout.encode())] == ["title", TITLES["1"], TITLES["2"]]  # one page


def test_cli_all_needs_a_file_format(index_dir):
    done = run_cli("query", "Impfstoff", "--all", index_dir=index_dir)
    assert done.returncode == 2
    assert "--all gibt es nur mit --format csv oder --format jsonl." in done.stderr


def test_export_of_more_rows_than_a_chunk_keeps_the_page_order_and_cleans_cells(tmp_path):
    """1,234 hits cross the 1,000-row chunks; a formula-like title is defused, ``;`` and quotes stay in one cell."""
    records = [dict(id=str(n), source="zeit.de", date=f"2020-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00+01:00",
                    title=f"Meldung {n}", text=f"Impfstoff Nummer {n}.") for n in range(1233)]
    records.append(dict(id="formel", source="zeit.de", date="2019-01-01T10:00:00+01:00",
                        title='=HYPERLINK("http://x";"klick")', text="Impfstoff; mit\t\"Anführung\"."))
    write_jsonl(tmp_path / "many.jsonl", records)
    index = built_index(tmp_path / "many.jsonl", tmp_path / "index", articles=1234, related=0)
    done = subprocess.run([sys.executable, "-m", "newsearch", "--index-dir", str(index), "query", "Impfstoff",
                           "--sort", "newest", "--format", "csv", "--all"], capture_output=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    rows = csv_rows(done.stdout)[1:]
    assert len(rows) == 1234 and len({row[0] for row in rows}) == 1234
    assert [row[3] for row in rows] == sorted((row[3] for row in rows), reverse=True)
    assert rows[-1][2:4] == ["'=HYPERLINK(\"http://x\";\"klick\")", "2019-01-01 10:00"]
    assert rows[-1][11] == 'Impfstoff; mit "Anführung".'
    with serving(index) as base:
        shown = api(base, q="Impfstoff", sort="newest", page=11, per_page=100)
        assert [hit["id"] for hit in shown["hits"]] == [row[0] for row in rows[1000:1100]]


def test_browser_export_link_downloads_the_whole_list(page):
    page.goto(page.base + "/?q=Impfstoff&source=zeit.de&per_page=10&page=1")
    link = page.locator("p.export a", has_text="CSV")
    assert " ".join(page.locator("p.export").inner_text().split()) == "Alle 2 Treffer exportieren: CSV · JSON Lines"
    with page.expect_download() as info:
        link.click()
    download_ = info.value
    assert download_.suggested_filename == "newsearch-impfstoff.csv"
    rows = csv_rows(Path(download_.path()).read_bytes())
    assert [row[2] for row in rows[1:]] == page.locator("li.hit h2").all_inner_texts()
    assert sorted(row[2] for row in rows[1:]) == sorted([TITLES["2"], TITLES["5"]])


# -- 3. exact and proximity search ---------------------------------------------------------------


@pytest.mark.parametrize("query, expected", [
    ('"Merkel Macron"~1', ["a", "c"]),  # one word between, either order
    ('"Macron Merkel"~1', ["a", "c"]),
    ('"Merkel Macron"~5', ["a", "c"]),
    ('"Merkel Macron"~6', ["a", "b", "c"]),  # six words between
    ('"Merkel Macron"~50', ["a", "b", "c", "d"]),
    ('"Merkel Macron"', []),  # a phrase: side by side
    ("Merkel Macron", ["a", "b", "c", "d"]),
    ('"Merkel Macron"~6 NICHT Rom', ["a", "b"]),
    ('titel:"Gipfel Paris"~1', ["a"]),
])  # fmt: skip
def test_quoted_words_with_a_slop_are_near_each_other(live_server, query, expected):
    assert_finds(live_server, query, expected)


def test_proximity_marks_the_words_and_caps_the_slop(live_server):
    answer = api(live_server, q='"Merkel Macron"~500', sort="oldest")
    assert len(answer["hits"]) == 4
    assert answer["messages"] == ["„~500“ an Stelle 16 wird als ~50 gelesen: mehr Wörter Abstand sucht newsearch nicht."]
    assert answer["hits"][0]["snippet"] == "<mark>Merkel</mark> traf <mark>Macron</mark> am Abend."


@pytest.mark.parametrize("query, exact, expected", [
    ("Linke", "0", ["e", "f"]),
    ("Linke", "1", ["e"]),
    ("Linken", "1", ["f"]),
    ("linke ODER Mehrheit", "1", ["e", "f"]),
    ("Link*", "1", ["e", "f"]),  # a prefix stays a prefix
])  # fmt: skip
def test_exact_parameter_searches_the_words_as_written(live_server, query, exact, expected):
    assert titles(api(live_server, q=query, exact=exact, sort="oldest")) == [TITLES[i] for i in expected]


def test_cli_exact(index_dir):
    done = run_cli("query", "Linken", "--exact", "--json", index_dir=index_dir)
    assert done.returncode == 0, done.stderr
    assert [hit["title"] for hit in json.loads(done.stdout)["hits"]] == [TITLES["f"]]
    near = run_cli("query", '"Merkel Macron"~6', "--sort", "oldest", "--json", index_dir=index_dir)
    assert [hit["title"] for hit in json.loads(near.stdout)["hits"]] == [TITLES[i] for i in "abc"]


def test_browser_exact_switch(page):
    page.goto(page.base + "/?q=Linke&sort=oldest")
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES["e"], TITLES["f"]]
    switch = page.get_by_label("exakt")
    assert not switch.is_checked()
    switch.check()
    page.locator("form.search button[type=submit]").click()
    page.wait_for_url("**exact=1*")
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES["e"]]
    assert page.get_by_label("exakt").is_checked()
    page.locator("nav.sort a", has_text="Neueste zuerst").click()  # the switch stays on in every link
    page.wait_for_url("**sort=newest*")
    assert "exact=1" in page.url and page.locator("li.hit h2").all_inner_texts() == [TITLES["e"]]


# -- 4. the article page from a search -----------------------------------------------------------


def test_browser_article_from_a_search_marks_words_and_leads_back_and_on(page):
    page.goto(page.base + "/?q=Impfstoff&sort=oldest&per_page=2")
    page.locator("li.hit h2 a", has_text=TITLES["2"]).click()
    page.wait_for_url("**hit=2*")
    assert page.locator("h1").inner_text() == TITLES["2"]
    assert page.locator("article.doc mark").all_inner_texts() == ["Impfstoff", "Impfstoff"]  # headline, body
    nav = page.locator("nav.from-search")
    assert nav.locator(".place").inner_text() == "Treffer 2 von 5"
    assert nav.locator(".prev").inner_text() == f"« Vorheriger: {TITLES['1']}"
    assert nav.locator(".next").inner_text() == f"Nächster: {TITLES['3']} »"
    nav.locator(".next").click()
    page.wait_for_url("**hit=3*")
    assert page.locator("h1").inner_text() == TITLES["3"]
    assert page.locator("nav.from-search .place").inner_text() == "Treffer 3 von 5"
    page.locator("nav.from-search .back").click()
    page.wait_for_url("**page=2#treffer-3")
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES["3"], TITLES["4"]]
    assert "per_page=2" in page.url and "sort=oldest" in page.url


def test_last_hit_has_no_next_and_first_no_previous(live_server):
    answer = api(live_server, q="Impfstoff", sort="oldest")
    first, last = answer["hits"][0]["id"], answer["hits"][-1]["id"]
    _, _, body = fetch(f"{live_server}/artikel/{first}?q=Impfstoff&sort=oldest&hit=1")
    assert 'class="prev"' not in body and f"Nächster: {TITLES['2']} »" in body
    _, _, body = fetch(f"{live_server}/artikel/{last}?q=Impfstoff&sort=oldest&hit=5")
    assert 'class="next"' not in body and f"« Vorheriger: {TITLES['4']}" in body


@pytest.mark.parametrize("query, nav", [
    ("", False),  # not from a search: the article alone
    ("?q=Impfstoff&hit=zwei", True),  # an edited rank: back to page 1, no neighbours
    ("?q=Impfstoff&from=gestern-ish&hit=1", False),  # a bad date: the article still shows
])  # fmt: skip
def test_article_page_with_odd_search_links_still_shows(live_server, query, nav):
    doc_id = api(live_server, q="Impfstoff", sort="oldest")["hits"][0]["id"]
    status, _, body = fetch(f"{live_server}/artikel/{doc_id}{query}")
    assert status == 200
    assert ('class="from-search"' in body) is nav
    assert ("<mark>" in body) is nav
    if nav:
        assert '<a class="back" href="/?q=Impfstoff">' in body and 'class="place"' not in body


# -- 5. quick date choices -----------------------------------------------------------------------


def test_browser_quick_dates_count_back_from_the_newest_document_of_an_old_archive(page):
    page.goto(page.base + "/?q=Merkel&sort=oldest")
    quick = page.locator("section.dates p.quick a")
    assert quick.all_inner_texts() == ["Neuester Tag", "Letzte 7 Tage", "Letzte 30 Tage", "Letzte 365 Tage"]
    assert page.locator(".quick-anchor").inner_text() == (
        "Das neueste Dokument ist vom 06.07.2020: die Schnellwahl zählt von diesem Tag zurück, nicht von heute.")
    quick.filter(has_text="Letzte 7 Tage").click()
    page.wait_for_url("**from=30.06.2020&to=06.07.2020*")
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES[i] for i in "abcd"]  # not 0
    page.locator("section.dates p.quick a", has_text="Neuester Tag").click()
    page.wait_for_url("**from=06.07.2020&to=06.07.2020*")
    assert page.locator("#count").inner_text().startswith("0 Treffer")  # no Merkel that day, but
    page.goto(page.base + "/?q=Mehrheit")
    page.locator("section.dates p.quick a", has_text="Neuester Tag").click()
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES["f"]]  # the newest article's day has it


def test_quick_dates_of_a_live_archive_are_relative_to_today(tmp_path):
    today = datetime.now(BERLIN).replace(microsecond=0)
    write_jsonl(tmp_path / "heute.jsonl", [dict(id="h", source="zeit.de", date=today.isoformat(), title="Heute neu",
                                                text="Eine Meldung von heute.")])
    index = built_index(tmp_path / "heute.jsonl", tmp_path / "index", articles=1, related=0)
    with serving(index) as base:
        _, _, body = fetch(f"{base}/?q=Meldung")
    quick = body.split('<p class="quick">')[1].split("</p>")[0]
    assert re.findall(r'href="([^"]*)"[^>]*>([^<]*)</a>', quick) == [
        ("/?q=Meldung&amp;from=heute&amp;to=heute", "Heute"),
        ("/?q=Meldung&amp;from=gestern&amp;to=gestern", "Gestern"),
        ("/?q=Meldung&amp;from=letzte+Woche&amp;to=letzte+Woche", "Letzte Woche"),
        ("/?q=Meldung&amp;from=letzter+Monat&amp;to=letzter+Monat", "Letzter Monat"),
        ("/?q=Meldung&amp;from=dieses+Jahr&amp;to=dieses+Jahr", "Dieses Jahr")]
    assert "quick-anchor" not in body


# -- 6. readable sections ------------------------------------------------------------------------


def test_browser_sections_read_as_words_and_years_are_no_section(page):
    page.goto(page.base + "/?q=Linke&sort=oldest")
    facet = page.locator("section[data-facet=section] li a")
    assert facet.all_inner_texts() == ["Mobilität"]  # "2020" (zeit.de's URL year) is not offered
    assert page.locator("li.hit .facts").all_inner_texts() == ["05.07.2020, 10:00 Uhr\xa0· zeit.de",
                                                               "06.07.2020, 10:00 Uhr\xa0· Mobilität\xa0· zeit.de"]
    facet.click()
    page.wait_for_url("**section=mobilitaet*")  # the stored value stays the filter's value
    assert page.locator("li.hit h2").all_inner_texts() == [TITLES["f"]]
    assert [" ".join(t.split()) for t in page.locator(".chips .chip").all_inner_texts()] == ["Ressort: Mobilität ✕"]
    page.locator("li.hit h2 a").click()
    assert page.locator("article .meta a.section").inner_text() == "Mobilität"


def test_sections_in_api_cli_and_csv(live_server, index_dir):
    answer = api(live_server, q="Impfstoff ODER Linke", sort="oldest")
    assert answer["facets"]["section"] == [
        {"value": "wissen", "count": 2}, {"value": "berlin", "count": 1}, {"value": "mobilitaet", "count": 1},
        {"value": "muenchen", "count": 1}, {"value": "politik", "count": 1}]
    assert [hit["section"] for hit in answer["hits"]][-3:-1] == ["2020", "mobilitaet"]  # the API keeps what is stored
    assert titles(api(live_server, q="ressort:2020")) == [TITLES["e"]]  # asked for by name, it still filters
    done = run_cli("query", "Linke", "--sort", "oldest", index_dir=index_dir)
    metas = [line.strip().split("  [")[0] for line in done.stdout.splitlines() if line.startswith("     Artikel")]
    assert metas == ["Artikel · 05.07.2020 10:00 · zeit.de", "Artikel · 06.07.2020 10:00 · Mobilität · zeit.de"]
    rows = csv_rows(download(f"{live_server}/export.csv?q=Linke&sort=oldest")[2])
    assert [row[4] for row in rows] == ["section", "", "Mobilität"]
