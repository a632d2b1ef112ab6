"""One Whoosh index as a shard (``search/backend.py``'s ``Shard``): the only searching code that
holds a Whoosh searcher.

Every method takes and returns plain values (parsed trees, ``Filters``, ``CollectionStats``,
document numbers local to this index, ``Hit``), so the same object answers in this process or,
wrapped in an actor, on another machine. Scores are computed under the statistics passed in, so
a shard scores a document as one index of all shards would.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from threading import Lock

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from whoosh import query as wq

from indexer import schema as f
from indexer.model import ARTICLE, RELATED
from search.backend import CollectionStats, Ranking, ShardMatch
from search.facets import Filters, document_columns, facet_counts, passing
from search.hits import stored_hit
from search.ranking import FIELD_BOOSTS, field_boosts, recency_factor
from search.results import Hit
from search.whoosh.cache import PerSegment, segment_leaves
from search.whoosh.combined import weighting
from search.whoosh.evaluate import Matches, evaluate
from search.whoosh.postings import pages, published
from search.whoosh.statistics import query_prefixes, query_terms, statistics
from search.whoosh.folding import duplicates, fold_stories, members, story_keys
from search.whoosh.proximity import proximity_fields, proximity_pairs, proximity_terms, rerank_bonus
from search.whoosh.translate import _highlight_terms, _matchers, to_whoosh

# The words of one first letter per segment, kept for correcting: all letters of the 28k FANG
# index would take ~80 MB; common letters stay, rare ones are read again (~70 ms for 't').
VOCABULARY_CACHE_BYTES = 48 * 1024 * 1024
MAX_EDITS = 2
KEPT_QUERIES = 8


def open_searcher(ix):
    """A searcher over the newest committed generation, scoring with ``search/ranking.py``."""
    return ix.searcher(weighting=weighting())


class WhooshShard:
    """A Whoosh searcher answering the ``Shard`` protocol in this process."""

    def __init__(self, searcher, name: str = ""):
        self.searcher = searcher
        self.name = name
        self._queries: dict = {}  # the last trees' Whoosh queries (``_query``)
        self._lock = Lock()

    @property
    def schema(self):
        return self.searcher.schema

    def _query(self, tree, question: bool | None = None):
        """``to_whoosh(tree)``, kept for the last ``KEPT_QUERIES`` trees: a search asks for its
        tree's query three times (statistics, match, snippets), which took 5 % of the time of the
        500 ``bench_query`` searches on FANG in a profile; the syntax trees are frozen, so hashable.
        A question's words are weighted otherwise (``search.ranking.field_boosts``), its terms are
        the same: ``question=None`` (snippets) takes whichever of the two is kept."""
        with self._lock:
            if question is None:
                question = (tree, True) in self._queries
            found = self._queries.get((tree, question))
        if found is None:
            found = to_whoosh(tree, self.schema, field_boosts(question))
            with self._lock:
                while len(self._queries) >= KEPT_QUERIES:
                    self._queries.pop(next(iter(self._queries)))
                self._queries[tree, question] = found
        return found

    def statistics(self, tree, question: bool | None = None) -> CollectionStats:
        q = self._query(tree, question)
        return statistics(self.searcher, query_terms(q) | proximity_pairs(tree, self.schema), query_prefixes(q))

    def term_statistics(self, terms) -> CollectionStats:
        """The shard's figures for explicit (field, term) pairs ("more like this" asks its key terms)."""
        return statistics(self.searcher, terms)

    def _matched(self, tree, stats: CollectionStats, filters: Filters, ranking: Ranking) -> tuple[Matches, Matches]:
        """Every match with its score, and those that pass ``filters``."""
        reader = self.searcher.reader()
        # Every match with its score in one evaluation over posting arrays (search/whoosh/evaluate.py):
        # the total and the facets need all of them anyway, and ranking them costs a sort of the scores.
        base = evaluate(self.searcher, self._query(tree, ranking.question), stats,
                        weighting(True) if ranking.question else None)
        if ranking.recency:
            base = Matches(base.docs, base.scores * recency_factor(published(reader)[base.docs], ranking.now))
        return base, base.keep(passing(document_columns(reader), base.docs, filters)) if filters.any() else base

    def match(self, tree, stats: CollectionStats, filters: Filters, ranking: Ranking, facets: bool) -> ShardMatch:
        reader = self.searcher.reader()
        columns = document_columns(reader)
        base, matched = self._matched(tree, stats, filters, ranking)
        folded = fold_stories(reader, matched) if ranking.collapse else None
        if folded is not None:  # the total counts stories; the facets below count documents
            matched = folded.stories
        if ranking.sort == "relevance" and tree is not None:
            top = tuple((doc, score, score) for doc, score in matched.ranked(ranking.depth))
        else:
            times = published(reader)
            keys = _oldest_first(times) if ranking.sort == "oldest" else times
            top = tuple((doc, score, float(keys[doc])) for doc, score in matched.by_key(keys, ranking.depth))
        if folded is None:
            return ShardMatch(len(matched), top, facet_counts(columns, base.docs, filters) if facets else {})
        stories = members(reader, folded, [doc for doc, _, _ in top])
        others = {doc: tuple(d for d, _, _ in story[1:]) for doc, (_, story) in stories.items() if len(story) > 1}
        return ShardMatch(len(matched), top, facet_counts(columns, base.docs, filters) if facets else {},
                          others, story_keys(reader, matched.docs), stories)

    def story_members(self, tree, stats: CollectionStats, filters: Filters, ranking: Ranking,
                      keys) -> dict[int, tuple[float, tuple[tuple[int, int, int], ...]]]:
        """For each group key of ``keys``, its story's best score here and its members that match
        (``members``, the fullest first): the part of a story split across shards that did not
        make this shard's best (search/stories.py)."""
        reader = self.searcher.reader()
        _, matched = self._matched(tree, stats, filters, ranking)
        wanted = np.isin(story_keys(reader, matched.docs), np.array(sorted(keys), dtype=np.uint64))
        folded = fold_stories(reader, matched.keep(wanted))
        stories = members(reader, folded, folded.stories.docs.tolist())
        return {stories[doc][0]: (score, stories[doc][1])
                for doc, score in zip(folded.stories.docs.tolist(), folded.stories.scores.tolist())}

    def duplicates(self, docs) -> tuple:
        """The stored ``docs`` as ``Duplicate``s (a story's members in this shard, shown under a hit of another)."""
        return duplicates(self.searcher, docs)

    def proximity(self, tree, docs: np.ndarray, stats: CollectionStats, scores: np.ndarray | None = None,
                  question: bool = False) -> np.ndarray:
        fields = proximity_fields(lambda name: stats.field_lengths.get(name, 0))
        scores = np.zeros(len(docs)) if scores is None else scores
        return rerank_bonus(self.searcher, proximity_terms(tree, self.schema), fields, docs, scores, stats, question)

    def pages(self, docs) -> list[str]:
        """The page each of ``docs`` is part of (``search/context.py``), 0 for none."""
        return pages(self.searcher.reader())[np.asarray(docs, dtype=np.int64)].tolist()

    def fetch(self, tree, ranked: list[tuple[int, float]], others: list[tuple[int, ...]] | None = None) -> list[Hit]:
        if not ranked:
            return []
        matchers = self.matchers(self.highlight_terms(tree))
        hits = [stored_hit(self.searcher.stored_fields(doc), score, matchers) for doc, score in ranked]
        if others:
            hits = [replace(hit, duplicates=duplicates(self.searcher, docs)) if docs else hit
                    for hit, docs in zip(hits, others)]
        return hits

    def highlight_terms(self, tree) -> dict[str, set]:
        """The analysed terms ``tree`` marks, per field, its prefixes expanded against this shard."""
        return _highlight_terms(self._query(tree), self.searcher.reader())

    def matchers(self, terms: dict[str, set]) -> list[tuple[object, set]]:
        """(analyzer, terms) pairs that mark ``terms`` (``highlight_terms``, of one or more shards)."""
        return _matchers(self.schema, terms)

    def stored(self, doc_id: str) -> dict | None:
        return self.searcher.document(**{f.ID: doc_id}) if doc_id else None

    # --- "more like this": the key terms' weights and their scores under the collection's figures ---

    def analysed(self, fieldname: str, text: str) -> dict[str, float]:
        """Each analysed term of ``text`` in ``fieldname`` with its weight there (Whoosh's
        ``Expander.add_text``)."""
        field = self.schema[fieldname]
        weights: Counter = Counter()
        for btext, _, weight, _ in field.index(text):
            weights[field.from_bytes(btext)] += weight
        return dict(weights)

    def frequencies(self, fieldname: str, words) -> dict[str, int]:
        """How often each of ``words`` occurs in ``fieldname`` over the shard (0: not at all)."""
        reader = self.searcher.reader()
        field = self.schema[fieldname]
        found = {}
        for word in words:
            btext = field.to_bytes(word)
            found[word] = reader.frequency(fieldname, btext) if (fieldname, btext) in reader else 0
        return found

    def similar(self, key_terms: list[tuple[str, float]], fields: list[str], exclude: str, depth: int,
                stats: CollectionStats) -> list[tuple[int, float, int]]:
        """The shard's best ``depth`` documents for the OR of ``key_terms`` in ``fields``, as (doc,
        score, number of key terms shared), ``exclude`` (an id) and the ledger left out."""
        searcher = self.searcher
        # Evaluated over posting arrays (search/whoosh/evaluate.py): Whoosh's matchers took 6-17 s
        # for these 20 words in six fields over the 28k FANG articles. The words are OR-ed: scores add up.
        scores = np.zeros(searcher.reader().doc_count_all())
        shared = np.zeros(len(scores), dtype=np.int32)
        for word, weight in key_terms:
            q = wq.Or([wq.Term(name, word, boost=FIELD_BOOSTS[name]) for name in fields], boost=weight)
            matches = evaluate(searcher, q, stats)
            scores[matches.docs] += matches.scores
            shared[matches.docs] += 1
        searchable = evaluate(searcher, wq.Or([wq.Term(f.KIND, ARTICLE), wq.Term(f.KIND, RELATED)]), stats).docs
        docnum = searcher.document_number(**{f.ID: exclude}) if exclude else None
        candidates = searchable[(shared[searchable] > 0) & (searchable != (-1 if docnum is None else docnum))]
        found = Matches(candidates, scores[candidates])
        return [(doc, score, int(shared[doc])) for doc, score in found.ranked(depth)]

    def hits(self, ranked: list[tuple[int, float]]) -> list[Hit]:
        """Hits without marked snippets (the similar list)."""
        return [stored_hit(self.searcher.stored_fields(doc), score) for doc, score in ranked]

    # --- the suggestion vocabulary: surface forms of the ``exact`` field ---

    def known(self, word: str) -> bool:
        return (f.EXACT, word) in self.searcher.reader()

    def near(self, word: str) -> dict[str, int]:
        best: dict[str, int] = {}
        for leaf, _ in segment_leaves(self.searcher.reader()):
            words = _vocabulary.get(leaf, (f.EXACT, word[0]), lambda: _words_from(leaf, word[0]))
            for candidate, distance, _ in process.extract(word, words, scorer=OSA.distance, score_cutoff=MAX_EDITS,
                                                          limit=None):
                if distance and distance < best.get(candidate, MAX_EDITS + 1):
                    best[candidate] = distance
        return best

    def frequency(self, word: str) -> int:
        return self.searcher.reader().frequency(f.EXACT, word)

    def day_range(self) -> tuple[str, str] | None:
        days = [d for d in document_columns(self.searcher.reader()).day.values.tolist() if d]
        return (days[0], days[-1]) if days else None

    def close(self) -> None:
        self.searcher.close()


def _oldest_first(times: np.ndarray) -> np.ndarray:
    """Keys whose descending order is the oldest first; documents without a date last, as for newest."""
    return np.where(times > 0, -times, np.iinfo(np.int64).min)


def _words_from(leaf, first: str) -> list[str]:
    """The words of a segment's ``exact`` field that begin with ``first``."""
    return [w.decode("utf-8") if isinstance(w, bytes) else w for w in leaf.expand_prefix(f.EXACT, first)]


_vocabulary = PerSegment(VOCABULARY_CACHE_BYTES, lambda words: sum(len(w) + 56 for w in words))
