"""BM25F proper (search/ranking.py CombinedTerm) and headline-style queries (parse_query any_words)."""
from __future__ import annotations

from math import log

import pytest

from indexer import schema as f
from indexer.model import Article
from indexer.store import open_for_reading
from indexer.write import index_articles
from search.query import any_words_tree, open_searcher, parse_query
from search.ranking import BM25_B, BM25_K1, FIELD_B, FIELD_BOOSTS
from search.whoosh.combined import CombinedTerm
from search.syntax import Group, Phrase, Word, parse_user_query

ARTICLES = [
    Article("lead-und-text", "Meldung eins", lead="Der Hafen wächst.",
            body=("Am Hafen wird gebaut, der Hafen ist alt.", "Ein zweiter Absatz ohne das Wort.")),
    Article("nur-text", "Meldung zwei", lead="Die Stadt plant.", body=("Ein Leuchtturm steht am Meer.",)),
    Article("zitat", "Meldung drei", lead="Ein Interview.",
            body=("Die Ministerin sagte: Wir müssen die Lieferketten aufrechterhalten.",)),
    Article("woerter", "Meldung vier", lead="Ein Bericht.",
            body=("Die Lieferketten sind gerissen. Wir müssen sie wieder aufrechterhalten, sagt der Verband.",)),
    Article("anderes", "Meldung fünf", lead="Nichts davon.", body=("Der Hafen und die Stadt.",)),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ranking") / "ix"
    index_articles(ARTICLES, folder)
    return open_for_reading(folder)


def scores(searcher, query):
    return {hit[f.ID]: hit.score for hit in searcher.search(query, limit=None)}


def test_combined_term_scores_bm25f_by_the_formula(ix):
    """Frequencies of lead and body are weighted, length-normalised and added, then saturated once."""
    weights = {f.LEAD: FIELD_BOOSTS[f.LEAD], f.BODY: FIELD_BOOSTS[f.BODY]}
    with open_searcher(ix) as searcher:
        got = scores(searcher, CombinedTerm.of("haf", weights))
        reader = searcher.reader()
        df = max(reader.doc_frequency(name, "haf") for name in weights)
        idf = log(reader.doc_count_all() / (df + 1)) + 1
        expected = {}
        for doc_id in ("lead-und-text", "anderes"):
            docnum = searcher.document_number(id=doc_id)
            tf = 0.0
            for name, weight in weights.items():
                b = FIELD_B.get(name, BM25_B)
                norm = (1 - b) + b * reader.doc_field_length(docnum, name) / searcher.avg_field_length(name)
                tf += weight * frequencies(reader, name, "haf").get(docnum, 0) / norm
            expected[doc_id] = idf * tf * (BM25_K1 + 1) / (BM25_K1 + tf)
        assert frequencies(reader, f.LEAD, "haf") and frequencies(reader, f.BODY, "haf")  # both fields count
    assert got == pytest.approx(expected)


def frequencies(reader, field, text):
    postings, found = reader.postings(field, text), {}
    while postings.is_active():
        found[postings.id()] = postings.weight()
        postings.next()
    return found


def test_word_in_lead_and_body_saturates_once_not_per_field(ix):
    """Whoosh's BM25F gives each field its own saturation, so the same word in lead and body adds
    up to nearly twice what the body alone could give. One BM25F term cannot pass idf * (K1 + 1)."""
    with open_searcher(ix) as searcher:
        combined = CombinedTerm.of("haf", {f.LEAD: FIELD_BOOSTS[f.LEAD], f.BODY: FIELD_BOOSTS[f.BODY]})
        top = max(scores(searcher, combined).values())
        reader = searcher.reader()
        df = max(reader.doc_frequency(name, "haf") for name in (f.LEAD, f.BODY))
        assert top < (log(reader.doc_count_all() / (df + 1)) + 1) * (BM25_K1 + 1)


def test_product_query_scores_each_word_once_over_the_text_fields(ix):
    with open_searcher(ix) as searcher:
        query = parse_query(searcher, "Hafen")
    combined = [q for q in _walk(query) if isinstance(q, CombinedTerm)]
    assert len(combined) == 1
    assert {t.fieldname for t in combined[0].subqueries} == set(FIELD_BOOSTS) - {f.TITLE, f.EXACT, f.PARTS}


def _walk(q):
    yield q
    if not q.is_leaf() and not isinstance(q, CombinedTerm):
        for child in q.children():
            yield from _walk(child)


def test_headline_quotes_ask_for_the_words_and_rank_the_exact_wording_first(ix):
    """A quoted headline is a quotation: with any_words its words are asked for, and the article
    that has them in this order comes first; in the product's normal search quotes stay a phrase."""
    headline = "„Wir müssen die Lieferketten aufrechterhalten“"
    with open_searcher(ix) as searcher:
        hits = [hit[f.ID] for hit in searcher.search(parse_query(searcher, headline, any_words=True), limit=None)]
        strict = [hit[f.ID] for hit in searcher.search(parse_query(searcher, headline), limit=None)]
    assert hits[:2] == ["zitat", "woerter"]
    assert strict == ["zitat"]


def test_any_words_tree_keeps_the_phrase_beside_its_words():
    tree = any_words_tree(parse_user_query('Ein "faires Schuljahr" als Ziel').tree)
    assert tree == Group("OR", (Word("Ein"), Word("faires"), Word("Schuljahr"), Phrase(("faires", "Schuljahr")),
                                Word("als"), Word("Ziel")))
    assert any_words_tree(parse_user_query("Botschaft").tree) == Word("Botschaft")
    assert any_words_tree(parse_user_query("Kreml ODER Moskau").tree) == Group("OR", (Word("Kreml"), Word("Moskau")))
