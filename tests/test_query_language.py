"""The query language, German date expressions, multi-select facets and suggestions."""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from indexer.dates import BERLIN
from indexer.store import open_for_reading
from indexer.write import index_files
from search.query import OR_FALLBACK_NOTICE, build_request, open_searcher, run_query

NOW = datetime(2026, 1, 28, 12, 0, tzinfo=BERLIN)  # a Wednesday

ARTICLES = {
    "kreml": dict(title="Kreml lehnt Gespräche ab", text="Der Kreml in Moskau lehnt weitere Gespräche ab.",
                  section="Ausland", topics=["Russland"], agency="dpa", date="2026-01-26 09:00"),
    "gas": dict(title="Gaspreise steigen wieder", text="Die Gaspreise in Moskau und Berlin steigen.",
                section="Wirtschaft", topics=["Energie", "Russland"], agency="afp", date="2026-01-20 12:00"),
    "botschaft": dict(title="Botschafterin in Berlin empfangen", text="Die neue Botschafterin kam ins Kanzleramt.",
                      section="Inland", topics=["Diplomatie"], agency="dpa", date="2026-01-27 18:00"),
    "krieg": dict(title="Krieg in der Ukraine: neue Angriffe", text="Russland greift erneut an. Der Krieg dauert an.",
                  section="Ausland", topics=["Ukraine", "Russland"], agency="dpa", date="2025-12-15 08:00"),
    "haushalt": dict(title="Bundestag berät Haushalt", text="Der Bundestag in Berlin berät den Haushalt.",
                     section="Inland", topics=["Haushalt"], agency="epd", date="2026-01-28 07:00"),
    "museum": dict(title="Neues Museum in München", text="In München öffnet ein Museum.",
                   section="Kultur", topics=["Kunst"], agency="dpa", date="2026-01-10 10:00"),
}


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    folder = tmp_path_factory.mktemp("news")
    lines = [json.dumps({"id": key, "source": "test", **fields}, ensure_ascii=False) for key, fields in ARTICLES.items()]
    (folder / "news.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    index_files([folder], folder / "ix")
    return folder / "ix"


def found(index_dir, text="", **options):
    with open_searcher(open_for_reading(index_dir)) as searcher:
        return run_query(searcher, build_request(text, now=NOW, per_page=50, **options))


def keys(result):
    by_title = {fields["title"]: key for key, fields in ARTICLES.items()}
    return sorted(by_title[h.title] for h in result.hits)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Moskau", ["gas", "kreml"]),
        ("Moskau Gaspreise", ["gas"]),  # words are AND-ed
        ('"neue Angriffe"', ["krieg"]),
        ('"Angriffe neue"', []),
        ("Museum ODER Haushalt", ["haushalt", "museum"]),
        ("Museum OR Haushalt", ["haushalt", "museum"]),
        ("Moskau NICHT Gaspreise", ["kreml"]),
        ("Moskau NOT Gaspreise", ["kreml"]),
        ("Moskau -Gaspreise", ["kreml"]),
        ("Moskau UND Gaspreise", ["gas"]),
        ("Museum ODER +Kreml", ["kreml"]),
        ("(Museum ODER Haushalt) Berlin", ["haushalt"]),
        ("titel:Berlin", ["botschaft"]),
        ("title:Berlin", ["botschaft"]),
        ("ressort:Inland Berlin", ["botschaft", "haushalt"]),
        ("section:inland", ["botschaft", "haushalt"]),
        ("thema:Russland", ["gas", "kreml", "krieg"]),
        ("topic:energie", ["gas"]),
        ("agentur:epd", ["haushalt"]),
        ("Botschaft*", ["botschaft"]),
        ("Gaspr*", ["gas"]),
        ("datum:gestern", ["botschaft"]),
        ('datum:"letzte Woche"', ["gas"]),
        ("date:2026-01 Moskau", ["gas", "kreml"]),
        ("NICHT Russland", ["botschaft", "haushalt", "museum"]),
    ],
)
def test_query_forms_find_exactly_the_expected_articles(news, text, expected):
    result = found(news, text)
    assert keys(result) == expected
    assert result.messages == () and result.notice is None


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("heute", ["haushalt"]),
        ("gestern", ["botschaft"]),
        ("letzte Woche", ["gas"]),
        ("letzten Monat", ["krieg"]),
        ("seit Montag", ["botschaft", "haushalt", "kreml"]),
        ("vor 2 Tagen", ["kreml"]),
        ("Januar 2026", ["botschaft", "gas", "haushalt", "kreml", "museum"]),
        ("2026-01", ["botschaft", "gas", "haushalt", "kreml", "museum"]),
        ("10.1.26", ["museum"]),
        ("2025-12-15", ["krieg"]),
    ],
)
def test_german_date_expressions_filter_from_start_to_end_of_their_range(news, expression, expected):
    assert keys(found(news, date_from=expression, date_to=expression)) == expected


def test_words_with_no_common_document_fall_back_to_any_word_and_say_so(news):
    result = found(news, "Moskau Museum")
    assert keys(result) == ["gas", "kreml", "museum"]
    assert result.notice == OR_FALLBACK_NOTICE


@pytest.mark.parametrize(
    "text, message, expected",
    [
        ('"neue Angriffe', "Das Anführungszeichen an Stelle 1 wird nicht geschlossen", ["krieg"]),
        ("(Museum ODER Haushalt", "Die Klammer an Stelle 1 wird nicht geschlossen", ["haushalt", "museum"]),
        ("Museum)", "Die schließende Klammer an Stelle 7 hat keine öffnende", ["museum"]),
        ("Museum ODER", "„ODER“ an Stelle 8 fehlt ein Suchwort", ["museum"]),
        ("NICHT", "„NICHT“ an Stelle 1 fehlt das Wort", ["botschaft", "gas", "haushalt", "kreml", "krieg", "museum"]),
        ("farbe:rot Museum", "Unbekanntes Feld „farbe:“", ["museum"]),
        ("datum:irgendwann Museum", "datum:irgendwann wird übergangen", ["museum"]),
    ],
)
def test_malformed_queries_explain_the_problem_and_return_best_effort_results(news, text, message, expected):
    result = found(news, text)
    assert any(m.startswith(message) for m in result.messages), result.messages
    assert keys(result) == expected


def test_keyword_facets_are_multi_select_and_match_a_direct_count(news):
    result = found(news, "Berlin ODER Moskau", section="Inland")
    assert keys(result) == ["botschaft", "haushalt"]
    matching = [a for a in ARTICLES.values() if "Berlin" in a["title"] + a["text"] or "Moskau" in a["title"] + a["text"]]
    sections = Counter(a["section"] for a in matching)  # the section facet ignores its own filter
    assert [(c.value, c.count) for c in result.facets["section"]] == sorted(sections.items(), key=lambda kv: (-kv[1], kv[0]))
    in_section = [a for a in matching if a["section"] == "Inland"]  # other facets apply it
    topics = Counter(t for a in in_section for t in a["topics"])
    assert [(c.value, c.count) for c in result.facets["topic"]] == sorted(topics.items(), key=lambda kv: (-kv[1], kv[0]))
    days = Counter(a["date"][:10] for a in in_section)
    assert [(c.value, c.count) for c in result.facets["day"]] == sorted(days.items())


def test_several_values_of_one_facet_mean_any_of_them(news):
    assert keys(found(news, section=["Kultur", "Wirtschaft"])) == ["gas", "museum"]


def test_histogram_uses_days_for_a_narrow_range_and_months_for_a_wider_one(news):
    assert found(news, "Berlin").histogram[0] == "day"
    assert found(news, "").histogram[0] == "day"  # 15.12.2025 to 28.01.2026 is 44 days


def test_suggests_joined_compound_and_corrected_spelling_only_when_they_find_more(news):
    assert found(news, "Bundes tag").suggestion == "Bundestag"
    assert found(news, "Mseum").suggestion == "Museum"
    assert found(news, "Museum").suggestion is None


def test_spelling_without_umlauts_finds_the_umlaut_spelling_directly(news):
    assert keys(found(news, "Muenchen")) == ["museum"]


def test_sort_by_date_lists_newest_first(news):
    assert [h.title for h in found(news, "Berlin", sort="date").hits] == [
        ARTICLES["haushalt"]["title"], ARTICLES["botschaft"]["title"], ARTICLES["gas"]["title"]]


def test_recency_boost_multiplies_scores_by_freshness_with_a_30_day_half_life(news):
    plain = {h.title: h.score for h in found(news, "Russland").hits}
    recent = {h.title: h.score for h in found(news, "Russland", recency=True).hits}
    assert set(plain) == set(recent)
    factor = {key: recent[ARTICLES[key]["title"]] / plain[ARTICLES[key]["title"]] for key in ("kreml", "gas", "krieg")}
    # Ages at NOW: kreml 2.1 days, gas 8.0 days, krieg 44.2 days; factor = 1 + 0.5 * 2 ** (-age / 30).
    assert factor["kreml"] == pytest.approx(1 + 0.5 * 2 ** (-(2 + 3 / 24) / 30), rel=1e-3)
    assert factor["krieg"] == pytest.approx(1 + 0.5 * 2 ** (-(44 + 4 / 24) / 30), rel=1e-3)
    assert factor["kreml"] > factor["gas"] > factor["krieg"] > 1
