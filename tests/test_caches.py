"""Caches that outlive a request are sized and can be emptied by whoever owns the index."""
from __future__ import annotations

from indexer.analysis import TokenLexicon
from indexer.store import open_for_reading
from search import highlight
from search.whoosh import cache, postings
from search.query import build_request, open_searcher, run_query


def test_token_lexicon_clear_forgets_both_generations():
    made = []
    lexicon = TokenLexicon(lambda raw: made.append(raw) or raw.upper(), limit=2)
    for word in ("hafen", "bahn", "deich", "kai"):  # past the limit: the first words move to the older generation
        assert lexicon[word] == word.upper()
    assert lexicon.older
    lexicon.clear()
    assert (dict(lexicon), lexicon.older) == ({}, {})
    assert lexicon["hafen"] == "HAFEN" and made == ["hafen", "bahn", "deich", "kai", "hafen"]


def test_clearing_the_search_caches_empties_every_one_and_searches_still_answer(index_dir):
    with open_searcher(open_for_reading(index_dir)) as searcher:
        before = run_query(searcher, build_request("Botschaft"))
        assert postings._postings.used > 0 and highlight._analysed
        cache.clear_caches()
        highlight.clear_word_caches()
        assert (postings._postings.used, len(postings._postings._items), len(postings._states._items)) == (0, 0, 0)
        assert (highlight._analysed, highlight._rejected) == ({}, {})
        assert run_query(searcher, build_request("Botschaft")) == before
