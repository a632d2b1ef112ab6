"""Fuzzing every parser and the query path: only our own errors, with a message, may escape.

Fixed seed (``derandomize=True``) so the suite is repeatable; 1,000 examples each. Longer runs:
``python -m pytest tests/test_fuzz.py --hypothesis-profile=long`` (bench/README.md).
"""
from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.errors import ArticleParseError, NewsearchError, QuerySyntaxError
from indexer.feeds import parse_feed_bytes
from indexer.html import parse_html_bytes
from indexer.jsonl import parse_jsonl
from indexer.parse import parse_page_dump
from indexer.store import open_for_reading
from search.query import build_request, open_searcher, run_query
from search.syntax import parse_user_query

settings.register_profile("ci", max_examples=1000, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=50_000, derandomize=False, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("ci")

GERMAN = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
QUERY_PIECES = st.sampled_from(['"', "(", ")", "ODER", "UND", "NICHT", "-", "+", "*", ":", "titel:", "datum:",
                                "ressort:", "thema:", "foo:", "Botschaft", "Ukraine", "Abu Dhabi", "ß", "\x00",
                                "\u202e", " ", "  ", "?", "letzte Woche", "gestern", "2026-01", "Müller*"])
QUERIES = st.one_of(GERMAN, st.lists(QUERY_PIECES, max_size=12).map("".join),
                    st.lists(QUERY_PIECES, max_size=12).map(" ".join))


def _layout(parts):
    return "\n\n".join(parts)


PAGE_DUMPS = st.lists(st.one_of(GERMAN, st.sampled_from([
    "USA, Russland", "27.02.2025 - 11:57:57", "  • Bild - Foto: A/dpa", "    A/dpa", "@ dpa.de", "Weitere Meldungen",
    "Titel Der Text. (Ausland, 26.01.2026 - 11:32) weiterlesen...", "(, 31.02.2026 - 25:61) weiterlesen..."])),
    max_size=12).map(_layout)


@given(PAGE_DUMPS)
def test_page_dump_parser_returns_an_article_or_our_error(text):
    try:
        article = parse_page_dump(text, "fuzz.txt")
    except ArticleParseError as err:
        assert err.message.startswith("fuzz.txt: ")
    else:
        assert article.title and article.id


HTML = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from(["<html>", "<head>", "<meta charset='latin-1'>", "<title>T</title>", "<h1>Überschrift",
                              "</h1>", "<article>", "<p>Text ä ö ü ß", "</p>", "<script>x", "<figure><figcaption>",
                              "<time datetime='2026-99-99'>", '<script type="application/ld+json">{"@type":',
                              '"NewsArticle", "headline": "H", "datePublished": "gestern"}</script>', "<!--", "\x00",
                              "<h2>Weitere Meldungen</h2><ul><li><a href='/x'>A</a>", "</html>"]), max_size=20)
    .map("".join).map(lambda s: s.encode("utf-8")),
)


@given(HTML)
def test_html_parser_returns_an_article_or_our_error(data):
    try:
        article = parse_html_bytes(data, "fuzz.html")
    except ArticleParseError as err:
        assert err.message.startswith("fuzz.html: ")
    else:
        assert article.id


FEEDS = st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from(['<?xml version="1.0"?>', "<rss version='2.0'>", "<channel>", "<item>", "<title>T</title>",
                              "<pubDate>Fri, 32 Feb 2026 99:00:00 +0100</pubDate>", "<description>&lt;p&gt;x</description>",
                              "</item>", "</channel>", "</rss>", "<feed xmlns='http://www.w3.org/2005/Atom'>",
                              "<entry>", "<updated>nie</updated>", "</entry>", "</feed>", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
                              "&a;", "\x00"]), max_size=16).map("".join).map(lambda s: s.encode("utf-8")),
)


@given(FEEDS)
def test_feed_parser_returns_articles_or_our_error(data):
    try:
        articles = parse_feed_bytes(data, "fuzz.xml")
    except ArticleParseError as err:
        assert err.message.startswith("fuzz.xml: ")
    else:
        assert all(a.id for a in articles)


LINES = st.lists(st.one_of(
    GERMAN,
    st.fixed_dictionaries({}, optional={"title": GERMAN, "text": GERMAN, "date": st.one_of(GERMAN, st.integers()),
                                        "topics": st.one_of(GERMAN, st.lists(GERMAN), st.integers()),
                                        "related": st.one_of(GERMAN, st.lists(st.dictionaries(GERMAN, GERMAN))),
                                        "id": st.one_of(GERMAN, st.integers(), st.none())}).map(json.dumps),
), max_size=6)


@given(LINES, st.booleans())
def test_jsonl_reader_yields_articles_and_reports_every_bad_line(tmp_path_factory, lines, compressed):
    path = tmp_path_factory.mktemp("jsonl") / "fuzz.jsonl"
    data = "\n".join(lines).encode("utf-8")
    path.write_bytes(gzip.compress(data) if compressed else data)
    problems = []
    articles = list(parse_jsonl(path, lambda where, reason: problems.append((where, reason))))
    assert all(a.id for a in articles)
    assert all(where.startswith(str(path)) and reason for where, reason in problems)


@given(QUERIES)
def test_query_parser_never_raises(text):
    parsed = parse_user_query(text)
    assert all(isinstance(m, str) and m for m in parsed.messages)


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    from indexer.write import index_files
    from tests.conftest import SAMPLE

    target = tmp_path_factory.mktemp("fuzz-ix")
    index_files([SAMPLE], target)
    with open_searcher(open_for_reading(target)) as s:
        yield s


@given(QUERIES, st.one_of(st.none(), QUERIES), st.one_of(st.none(), QUERIES))
def test_any_query_text_gives_results_and_any_bad_filter_our_german_error(searcher, text, date_from, section):
    try:
        request = build_request(text, date_from=date_from, section=section)
    except QuerySyntaxError as err:
        assert "Datum" in err.message
        return
    result = run_query(searcher, request)
    assert result.total >= 0 and len(result.hits) <= result.per_page


@given(st.one_of(st.integers(), GERMAN), st.one_of(st.integers(), GERMAN))
def test_bad_page_numbers_raise_our_error_only(page, per_page):
    try:
        build_request("Ukraine", page=page, per_page=per_page)
    except NewsearchError as err:
        assert err.status == 400 and err.message
