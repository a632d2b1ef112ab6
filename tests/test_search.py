"""Searching a real index of the sample article: matching, filters, facets, snippets, errors."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from indexer.analysis import german_analyzer
from indexer.dates import BERLIN
from indexer.errors import QuerySyntaxError, SchemaMismatchError
from indexer.parse import parse_article
from indexer.store import META_FILE, open_for_reading
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query
from search.results import result_to_json
from tests.conftest import SAMPLE

ARTICLE = parse_article(SAMPLE)
RELATED = ARTICLE.related


def search(index_dir, text, **options):
    with open_searcher(open_for_reading(index_dir)) as searcher:
        return run_query(searcher, build_request(text, **options))


def ids(result):
    return [hit.id for hit in result.hits]


def analyzed(text):
    return [t.text for t in german_analyzer()(text)]


@pytest.mark.parametrize("word", ["Botschaft", "Botschaften", "Botschafter", "Aussenministerium", "Außenministerium"])
def test_inflected_and_folded_forms_find_the_article_first(index_dir, word):
    result = search(index_dir, word)
    assert ids(result)[:1] == [ARTICLE.id], (word, [h.title for h in result.hits])


def test_spelling_without_umlaut_finds_same_documents_as_with_umlaut(index_dir):
    assert ids(search(index_dir, "Praesident")) == ids(search(index_dir, "Präsident")) == [ARTICLE.id]


def test_abu_dhabi_finds_exactly_the_three_related_items_that_mention_it(index_dir):
    result = search(index_dir, "Abu Dhabi")
    assert sorted(ids(result)) == sorted([RELATED[1].id, RELATED[2].id, RELATED[5].id])
    assert {hit.kind for hit in result.hits} == {"related"}
    assert {hit.parent_id for hit in result.hits} == {ARTICLE.id}


def test_quoted_phrase_matches_adjacent_words_only(index_dir):
    assert sorted(ids(search(index_dir, '"Abu Dhabi"'))) == sorted([RELATED[1].id, RELATED[2].id, RELATED[5].id])
    assert ids(search(index_dir, '"Dhabi Abu"')) == []


def test_from_date_excludes_earlier_documents_and_facets_follow_the_filter(index_dir):
    result = search(index_dir, "Ukraine", date_from="2026-01-24")
    start = datetime(2026, 1, 24, tzinfo=BERLIN)
    assert result.hits and all(hit.published >= start for hit in result.hits)
    # Independent count: related items mentioning Ukraine (any inflection) dated on or after the day.
    expected = [r for r in RELATED if "ukrain" in (r.title + r.teaser).lower() and r.published >= start]
    assert sorted(ids(result)) == sorted(r.id for r in expected)
    facets = result_to_json(result)["facets"]
    assert facets["year"] == [{"value": "2026", "count": len(expected)}]
    days = Counter(r.published.strftime("%Y-%m-%d") for r in expected)
    assert facets["day"] == [{"value": d, "count": n} for d, n in sorted(days.items())]
    assert facets["section"] == [{"value": "Ausland", "count": 3}, {"value": "Boerse", "count": 1}]


def test_german_day_first_dates_equal_iso_dates(index_dir):
    iso = search(index_dir, "Ukraine", date_from="2026-01-24", date_to="2026-01-25")
    german = search(index_dir, "Ukraine", date_from="24.01.2026", date_to="25.01.2026")
    assert ids(iso) == ids(german) and len(ids(iso)) == 3


def test_facet_counts_cover_all_matches_not_only_the_page(index_dir):
    result = search(index_dir, "Ukraine", per_page=2)
    assert len(result.hits) == 2 and result.total == 6
    assert sum(c.count for c in result.facets["year"]) == 6
    assert [(c.value, c.count) for c in result.facets["year"]] == [("2025", 1), ("2026", 5)]


def test_section_filter_keeps_only_that_section_case_insensitively(index_dir):
    result = search(index_dir, "Ukraine", section="boerse")
    assert ids(result) == [RELATED[0].id]
    # Multi-select: the other sections keep their counts, as if the section filter were off.
    assert [(c.value, c.count, c.selected) for c in result.facets["section"]] == [("Ausland", 4, False),
                                                                                  ("Boerse", 1, True)]


def test_sort_by_date_lists_newest_first(index_dir):
    result = search(index_dir, "Ukraine", sort="date")
    times = [hit.published for hit in result.hits]
    assert times == sorted(times, reverse=True) and len(times) == 6


def write_page(path, title, lead, body, stamp="01.02.2026 - 10:00", topics="Politik"):
    path.write_text(f"{topics}\n\n{title}\n\n{stamp}\n\n{lead}\n\n{body}\n\n@ dpa.de\n", encoding="utf-8")
    return path


def test_title_match_outranks_body_match(tmp_path):
    write_page(tmp_path / "a.txt", "Streit um Windräder im Norden", "Der Bau stockt.",
               "Am Hafen gab es Protest. Der Hafen ist alt. Beim Hafen wird gebaut. " * 3)
    write_page(tmp_path / "b.txt", "Neuer Hafen für Hamburg", "Die Stadt plant groß.", "Die Arbeiten beginnen im Mai.")
    index_files([tmp_path], tmp_path / "ix")
    assert [h.title for h in search(tmp_path / "ix", "Hafen").hits] == [
        "Neuer Hafen für Hamburg",
        "Streit um Windräder im Norden",
    ]


def test_pages_split_hits_without_overlap(index_dir):
    first = search(index_dir, "Ukraine", per_page=4, page=1)
    second = search(index_dir, "Ukraine", per_page=4, page=2)
    assert len(ids(first)) == 4 and len(ids(second)) == 2 and not set(ids(first)) & set(ids(second))
    assert set(ids(first)) | set(ids(second)) == set(ids(search(index_dir, "Ukraine")))


def test_snippet_marks_inflected_match_and_escapes_quotes(index_dir):
    result = search(index_dir, "Abu Dhabi")
    hardt = next(h for h in result.hits if h.id == RELATED[1].id)
    assert "<mark>Abu</mark> <mark>Dhabi</mark>" in hardt.snippet.html()
    hit = search(index_dir, "Botschaft").hits[0]
    assert "<mark>Botschaften</mark>" in hit.snippet.html()


def test_snippet_marks_the_part_inside_a_hyphenated_word(index_dir):
    hit = search(index_dir, "Generalkonsuls").hits[0]
    assert "US-<mark>Generalkonsuls</mark>" in hit.snippet.html()


def test_markup_in_article_text_is_escaped_in_snippets(tmp_path):
    page = tmp_path / "xss.txt"
    page.write_text(
        "Test\n\nAngriff <script>alert(1)</script> auf Botschaft\n\n01.02.2026 - 10:00\n\n"
        "Die <b>Botschaft</b> wurde <img src=x onerror=alert(1)> geschlossen.\n",
        encoding="utf-8",
    )
    index_files([page], tmp_path / "ix")
    hit = search(tmp_path / "ix", "Botschaft").hits[0]
    html = hit.snippet.html()
    assert "<b>" not in html and "<img" not in html and "&lt;img src=x" in html
    assert "<mark>Botschaft</mark>" in html


def test_reindexing_the_same_files_does_not_duplicate(index_dir, sample_files):
    index_files([sample_files], index_dir)
    result = search(index_dir, "Ukraine")
    assert result.total == 6 and len(set(ids(result))) == 6


def test_index_built_with_another_analyzer_version_is_refused(index_dir):
    meta = json.loads((index_dir / META_FILE).read_text())
    (index_dir / META_FILE).write_text(json.dumps({**meta, "analyzer_version": 0}))
    with pytest.raises(SchemaMismatchError, match="neu indexieren"):
        open_for_reading(index_dir)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"date_from": "morgen vielleicht"}, "ist kein Datum"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "liegt nach dem Bis-Datum"),
        ({"page": "zwei"}, "ganze Zahl"),
        ({"page": "0"}, "zwischen 1 und"),
        ({"sort": "beliebt"}, "Unbekannte Sortierung"),
    ],
)
def test_bad_request_values_raise_a_german_message_naming_the_value(options, message):
    with pytest.raises(QuerySyntaxError, match=message):
        build_request("Ukraine", **options)


def test_analyzer_indexes_hyphenated_whole_and_parts_and_keeps_us():
    assert analyzed("US-Botschaft") == ["usbotschaft", "us", "botschaft"]
    assert analyzed("Ukraine-Gespräche") == ["ukrainegesprach", "ukrain", "gesprach"]
    assert analyzed("Die USA und die Straße") == ["usa", "strass"]


def test_query_mode_analyzes_hyphenated_word_to_its_parts():
    tokens = [t.text for t in german_analyzer()("US-Botschaft", mode="query")]
    assert tokens == ["us", "botschaft"]


def test_switches_read_alike_and_collapse_is_on_unless_switched_off():
    """``recency``, ``exact`` and ``collapse`` are read by one parser: the same words switch each
    on or off (spaces aside); missing, the first two are off and folding is on."""
    def reads(value):
        return tuple(getattr(build_request("x", **{name: value}), name) for name in ("recency", "exact", "collapse"))

    values = (None, "", "1", " ja ", "ON", "0", " nein ", "Off", True, False)
    assert [reads(v) for v in values] == [(False, False, True)] * 2 + [(True, True, True)] * 3 + \
        [(False, False, False)] * 3 + [(True, True, True), (False, False, False)]
