"""Term proximity (search/proximity.py): of two articles with the same words, the one where the
query's words stand together ranks first, through the real index and the product's ranking."""
from __future__ import annotations

import numpy as np
import pytest

from indexer import schema as f
from indexer.model import Article
from indexer.store import open_for_reading
from indexer.write import index_articles
from search.whoosh.proximity import ORDERED_WEIGHT, UNORDERED_WEIGHT, proximity_bonus
from search.query import build_request, open_searcher, run_query, search_ranked
from search.ranking import idf

# Both bodies hold the same words, so BM25F scores them alike; indexed first, "fern" wins a tie.
ARTICLES = [
    Article("fern", "Meldung eins", body=("Trump besucht heute Berlin, Präsident Macron Paris.",)),
    Article("nah", "Meldung zwei", body=("Präsident Trump besucht heute Berlin, Macron Paris.",)),
    # Trump and Präsident 19 words apart, beyond the window of 16
    Article("weit", "Meldung drei", body=("Trump besucht Berlin, Hamburg, München, Köln, Bonn, Kiel, Ulm, Jena, "
                                         "Gera, Suhl, Halle, Essen, Trier, Mainz, Fulda und Passau, sagt Präsident Macron.",)),
]


@pytest.fixture(scope="module")
def ix(tmp_path_factory):
    folder = tmp_path_factory.mktemp("proximity") / "ix"
    index_articles(ARTICLES, folder)
    return open_for_reading(folder)


def ranked_ids(ix, text: str) -> list[str]:
    with open_searcher(ix) as searcher:
        return [hit.id for hit in run_query(searcher, build_request(text)).hits]


def test_words_next_to_each_other_in_query_order_rank_first(ix):
    assert ranked_ids(ix, "Präsident Trump") == ["nah", "fern", "weit"]


def test_pair_bonus_counts_bigrams_and_window_pairs_in_each_field(ix):
    """An independent count: in "nah" the stems trump, prasident stand in query order next to each
    other (ordered and window), in "fern" four positions apart (window only), in "weit" further
    apart than the window (nothing). Each count saturates as c / (1 + c), times the pair's IDF."""
    got, expected = bonus_and_independent_count(ix)
    assert got == pytest.approx(expected)


def bonus_and_independent_count(ix) -> tuple[dict[str, float], dict[str, float]]:
    """``proximity_bonus`` for "Präsident Trump" in the body of the three articles, by id, and
    what it must be by the count in the test above."""
    with open_searcher(ix) as searcher:
        reader = searcher.reader()
        docs = np.array(sorted(searcher.document_number(id=i) for i in ("fern", "nah", "weit")))
        names = [searcher.stored_fields(int(d))["id"] for d in docs]
        got = dict(zip(names, proximity_bonus(searcher, ["prasident", "trump"], {f.BODY: 1.0}, docs)))
        n = reader.doc_count_all()
        pair_idf = (idf(n, reader.doc_frequency(f.BODY, "prasident")) + idf(n, reader.doc_frequency(f.BODY, "trump"))) / 2
    half = 1 / (1 + 1)
    return got, {
        "nah": pair_idf * (ORDERED_WEIGHT * half + UNORDERED_WEIGHT * half),
        "fern": pair_idf * UNORDERED_WEIGHT * half,
        "weit": 0.0,
    }


def test_headline_queries_are_ranked_with_proximity_as_the_product_ranks(ix):
    with open_searcher(ix) as searcher:
        found = [searcher.stored_fields(doc)["id"] for doc, _ in search_ranked(searcher, "Präsident Trump", 10, any_words=True)]
    assert found[:1] == ["nah"]


def test_positions_are_read_in_the_segment_that_holds_each_document(tmp_path):
    """Two commits, two segments: each document's pair count comes from its own segment's
    positions, whatever its global number."""
    folder = tmp_path / "ix"
    index_articles(ARTICLES[:1], folder)
    index_articles(ARTICLES[1:], folder, source="<zweiter>")
    ix = open_for_reading(folder)
    with open_searcher(ix) as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
    got, expected = bonus_and_independent_count(ix)
    assert got == pytest.approx(expected)


def test_no_fields_or_no_positions_give_no_bonus(ix):
    with open_searcher(ix) as searcher:
        docs = np.array(sorted(searcher.document_number(id=i) for i in ("fern", "nah", "weit")))
        assert proximity_bonus(searcher, ["prasident", "trump"], {}, docs).tolist() == [0.0, 0.0, 0.0]
        assert proximity_bonus(searcher, ["gibtsnicht", "trump"], {f.BODY: 1.0}, docs).tolist() == [0.0, 0.0, 0.0]


def test_query_words_with_one_between_them_pair_in_the_window_only(ix):
    """"Präsident Gibtsnicht Trump": neither neighbour pair is in any article, but präsident and
    trump, two apart in the query (``PAIR_SPAN``), stand together in "nah" and four apart in
    "fern": a window pair each, never a bigram, as they are not neighbours in the query."""
    with open_searcher(ix) as searcher:
        reader = searcher.reader()
        docs = np.array(sorted(searcher.document_number(id=i) for i in ("fern", "nah", "weit")))
        names = [searcher.stored_fields(int(d))["id"] for d in docs]
        got = dict(zip(names, proximity_bonus(searcher, ["prasident", "gibtsnicht", "trump"], {f.BODY: 1.0}, docs)))
        n = reader.doc_count_all()
        pair_idf = (idf(n, reader.doc_frequency(f.BODY, "prasident")) + idf(n, reader.doc_frequency(f.BODY, "trump"))) / 2
    assert got == pytest.approx({"nah": pair_idf * UNORDERED_WEIGHT / 2, "fern": pair_idf * UNORDERED_WEIGHT / 2, "weit": 0.0})


def test_a_question_counts_pairs_within_its_wider_window(ix):
    """In "weit" Trump and Präsident stand 19 words apart: beyond ``WINDOW`` (16), within
    ``QUESTION_WINDOW`` (32), so only a question's pair counts there, once in the window:
    the pair's IDF times ``UNORDERED_WEIGHT`` times 1 / (1 + 1)."""
    with open_searcher(ix) as searcher:
        reader = searcher.reader()
        docs = np.array([searcher.document_number(id="weit")])
        n = reader.doc_count_all()
        pair_idf = (idf(n, reader.doc_frequency(f.BODY, "prasident")) + idf(n, reader.doc_frequency(f.BODY, "trump"))) / 2
        asked = {question: proximity_bonus(searcher, ["prasident", "trump"], {f.BODY: 1.0}, docs, question=question).tolist()
                 for question in (False, True)}
    assert asked == {False: [0.0], True: [pytest.approx(pair_idf * UNORDERED_WEIGHT / 2)]}
