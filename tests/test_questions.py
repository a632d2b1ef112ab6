"""A query typed as a question is weighted as one: how many of its words a text holds counts more
than how often it repeats one (``QUESTION_K1``), and the exact word form less (``QUESTION_EXACT``).

The index: Kiel's short article repeats ``Kran``; Rostock's longer one names ``Bagger`` (lead) and
``Hafen`` (body) once each, in different fields so that no word pair adds proximity. No article
holds all three words, so the search falls back to any of them.
"""
from __future__ import annotations

from indexer.store import open_for_reading
from indexer.write import index_files
from search.query import build_request, open_searcher, run_query, search_ranked
from search.scatter import as_shards
from tests.test_search import search, write_page

FILLER = "Die Stadt plant den Umbau der alten Speicher am Ufer und will die Straßen neu ordnen, sagt der Senat. "


def built(tmp_path):
    write_page(tmp_path / "kiel.txt", "Bericht aus Kiel", "Neu im Norden.", "Ein Kran. Ein Kran.")
    write_page(tmp_path / "rostock.txt", "Bericht aus Rostock", "Ein Bagger wurde geliefert.",
               FILLER + "Er steht am Hafen.")
    write_page(tmp_path / "wetter.txt", "Wetter", "Es regnet.", "Der Wind dreht.")
    index_files([tmp_path], tmp_path / "ix")
    return tmp_path / "ix"


def test_a_question_ranks_the_article_with_more_of_its_words_first(tmp_path):
    ix = built(tmp_path)
    assert [h.title for h in search(ix, "Kran Bagger Hafen?").hits] == ["Bericht aus Rostock", "Bericht aus Kiel"]


def test_the_same_words_without_a_question_mark_rank_the_repetition_first(tmp_path):
    ix = built(tmp_path)
    assert [h.title for h in search(ix, "Kran Bagger Hafen").hits] == ["Bericht aus Kiel", "Bericht aus Rostock"]


def test_the_quality_bench_ranks_a_question_as_the_search_does(tmp_path):
    ix = built(tmp_path)
    with open_searcher(open_for_reading(ix)) as searcher:
        def titles(text):
            return [searcher.stored_fields(doc)["title"] for doc, _ in search_ranked(searcher, text, 10, any_words=True)]

        assert titles("Kran Bagger Hafen?") == ["Bericht aus Rostock", "Bericht aus Kiel"]
        assert titles("Kran Bagger Hafen") == ["Bericht aus Kiel", "Bericht aus Rostock"]


def test_a_question_search_builds_its_whoosh_query_once(tmp_path):
    """Statistics, match and snippets share the question's query: one ``to_whoosh`` (several
    milliseconds) per search, as for any other query, not one per weighting."""
    ix = built(tmp_path)
    with open_searcher(open_for_reading(ix)) as searcher:
        shards = as_shards(searcher)
        assert [h.title for h in run_query(shards, build_request("Kran?")).hits] == ["Bericht aus Kiel"]
        assert [h.title for h in run_query(shards, build_request("Kran")).hits] == ["Bericht aus Kiel"]
        kept = [(tree.text, question) for tree, question in shards.shards[0]._queries]
    assert kept == [("Kran", True), ("Kran", False)]
