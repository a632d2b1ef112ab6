"""Every match of a query and its score, computed over whole posting lists as arrays.

Whoosh walks a query's matchers one posting at a time in Python: on the 28k FANG articles two
thirds of a search went into ``UnionMatcher`` and friends (bench/README.md, "Query latency").
The search page needs every match anyway (the total, the facets, the filters), so nothing is
saved by Whoosh's top-N pruning. Here each posting list is read once, block by block, into
arrays and kept (segments never change); a word's score for all its documents is one array
expression, and AND/OR/NOT are array operations over all documents of the index.

The scores are Whoosh's own, computed the same way: ``Term`` by BM25 with the searcher's B and K1
(``scoring.BM25F``), ``CombinedTerm`` by ``CombinedTerm.plan`` (search/whoosh/combined.py), both
through the one formula of ``search/ranking.py`` and under the collection statistics passed in
(``CollectionStats``: all shards' figures, or this index's own when none are given), ``And`` and
``Or`` as sums of their children, ``AndMaybe`` adding the optional part where it matches, ``Not``
worth 1 as Whoosh's inverse matcher, ``"a b"~N`` (``SpanNear2``) as Whoosh scores it but under the
collection's figures (``near``), a prefix as the ``Or`` of the words it stands for in the whole
collection (``prefix``: Whoosh's own rule changes from segment to segment). Queries without a rule
here are handed to Whoosh alone and their scores taken over. tests/test_evaluate.py holds both to
the same scores. What is read out of the segments is kept in ``search/whoosh/postings.py``; the
statistics of a query's words come from ``search/whoosh/statistics.py``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq
from whoosh import scoring
from whoosh.query import qcore, spans

from search.backend import CollectionStats
from search.ranking import BM25_K1, idf, length_norm, saturated
from search.whoosh.combined import CombinedTerm, term_text
from search.whoosh.postings import IndexState, positions_in, state_of
from search.whoosh.statistics import expand, query_prefixes, query_terms, statistics

_NO_SCORES = (np.zeros(0, dtype=np.int64), np.zeros(0))


@dataclass(frozen=True, slots=True)
class Matches:
    """Global document numbers, ascending, and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)

    def keep(self, allowed: np.ndarray) -> "Matches":
        """Only the matches whose entry in the boolean ``allowed`` (by position) is true."""
        return Matches(self.docs[allowed], self.scores[allowed])

    def ranked(self, limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` as (doc, score), best first; equal scores in document order, as Whoosh."""
        return self._ordered(-self.scores, limit)

    def by_key(self, keys: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The first ``limit`` by descending ``keys`` (one per document of the index), then document order."""
        return self._ordered(-keys[self.docs].astype(np.float64), limit)

    def _ordered(self, cost: np.ndarray, limit: int) -> list[tuple[int, float]]:
        if limit <= 0 or not len(cost):
            return []
        if len(cost) > limit:
            # Only the candidates that can make the page are sorted; ties at the cut are all kept
            # so that document order decides among them, whatever the partition picked.
            kth = np.partition(cost, limit - 1)[limit - 1]
            candidates = np.flatnonzero(cost <= kth)
        else:
            candidates = np.arange(len(cost))
        order = candidates[np.lexsort((self.docs[candidates], cost[candidates]))][:limit]
        return [(int(self.docs[i]), float(self.scores[i])) for i in order]


def evaluate(searcher, q: wq.Query, stats: CollectionStats | None = None,
             weighting: scoring.BM25F | None = None) -> Matches:
    """Every document ``q`` matches in the searcher's index, deleted ones left out, with its score.

    Scored under ``stats``, the collection's figures for ``q``'s terms (``statistics`` of every
    shard, merged); without them, under this index's own. The searcher's weighting must be
    Whoosh's ``BM25F`` (``search.query.open_searcher``); a ``final`` step such as the recency
    boost is applied by the caller. ``weighting`` replaces the searcher's for this query (a
    question's K1, ``search.ranking.bm25_k1``).
    """
    reader = searcher.reader()
    state = state_of(reader)
    weighting = weighting or searcher.weighting
    if not isinstance(weighting, scoring.BM25F):
        raise TypeError(f"evaluate scores with BM25F, not {type(weighting).__name__}")
    if not state.size:  # no documents match anything, and idf has no value over zero documents
        return Matches(np.zeros(0, dtype=np.int64), np.zeros(0))
    if stats is None:
        stats = statistics(searcher, query_terms(q), query_prefixes(q))
    mask, scores = _Evaluation(searcher, state, weighting, stats).node(q)
    docs = np.flatnonzero(mask & state.alive)
    return Matches(docs, scores[docs])


# --- the query tree, evaluated over all documents at once ---


class _Evaluation:
    def __init__(self, searcher, state: IndexState, weighting: scoring.BM25F, stats: CollectionStats):
        self.searcher, self.state, self.weighting, self.stats = searcher, state, weighting, stats
        self.reader = searcher.reader()

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros(self.state.size, dtype=bool), np.zeros(self.state.size)

    def node(self, q) -> tuple[np.ndarray, np.ndarray]:
        """(matches, scores) over every document number; scores are 0 where nothing matches."""
        if isinstance(q, type(wq.NullQuery)):
            return self.empty()
        kind = type(q)
        if kind is wq.Term:
            mask, scores = self.term(q.fieldname, q.text)
        elif kind is CombinedTerm:
            return self.combined(q)  # its boost is in the plan's scale, as in its matcher
        elif kind is wq.Phrase and q.slop == 1:
            mask, scores = self.phrase(q.fieldname, q.words)
        elif kind is wq.Prefix and q.text:
            mask, scores = self.prefix(q)
        elif kind is spans.SpanNear2 and all(type(t) is wq.Term for t in q.qs):
            mask, scores = self.near(q)
        elif kind in (wq.And, wq.Or):
            children = [self.node(child) for child in q.subqueries]
            if not children:
                return self.empty()
            mask = children[0][0].copy()
            for child_mask, _ in children[1:]:
                if kind is wq.And:
                    mask &= child_mask
                else:
                    mask |= child_mask
            scores = np.sum([s for _, s in children], axis=0) if len(children) > 1 else children[0][1].copy()
            scores[~mask] = 0.0
        elif kind is wq.Not:
            child_mask, _ = self.node(q.query)
            mask = ~child_mask & self.state.alive
            return mask, mask.astype(np.float64)  # Whoosh's inverse matcher scores 1, unboosted
        elif kind in (wq.AndNot, wq.AndMaybe, wq.Require):
            mask, scores = self.node(q.a)
            other_mask, other = self.node(q.b)
            if kind is wq.AndNot:
                mask = mask & ~other_mask
            elif kind is wq.Require:
                mask = mask & other_mask
            else:
                scores = scores + np.where(mask, other, 0.0)
            scores = np.where(mask, scores, 0.0)
        else:
            return self.by_whoosh(q)
        boost = getattr(q, "boost", 1.0)
        if boost != 1.0:
            scores = scores * boost
        return mask, scores

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """A term's (global doc numbers, weights) over all segments, shared: never written to."""
        return self.state.postings(self.reader, fieldname, btext)

    def term(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        mask, scores = self.empty()
        ids, values = self.term_scores(fieldname, text)
        mask[ids] = True
        scores[ids] = values
        return mask, scores

    def term_scores(self, fieldname: str, text) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding the term (global numbers, ascending) and its score in each."""
        schema = self.searcher.schema
        if fieldname not in schema:
            return _NO_SCORES
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return _NO_SCORES
        ids, weights = self.postings(fieldname, btext)
        if not len(ids) or not field.scorable:
            return ids, weights  # Whoosh's WeightScorer for fields without lengths
        w = self.weighting
        b = w._field_B.get(fieldname, w.B)
        avg = self.stats.avg_field_length(fieldname) or 1
        lengths = self.state.lengths(self.reader, fieldname)[ids]
        term_idf = idf(self.stats.doc_count, self.stats.doc_frequency(fieldname, term_text(text)))
        return ids, term_idf * saturated(weights / length_norm(lengths, avg, b), w.K1)

    def combined(self, q: CombinedTerm) -> tuple[np.ndarray, np.ndarray]:
        scale, fields = q.plan(self.searcher.schema, self.stats)
        k1 = getattr(self.weighting, "K1", BM25_K1)
        mask, tf = self.empty()
        for fieldname, btext, weight, b, avg in fields:
            ids, weights = self.postings(fieldname, btext)
            if not len(ids):
                continue
            lengths = self.state.lengths(self.reader, fieldname)[ids]
            tf[ids] += weight * weights / length_norm(lengths, avg, b)  # ids are unique within a field
            mask[ids] = True
        scores = np.where(mask, scale * saturated(tf, k1), 0.0)
        return mask, scores

    def phrase(self, fieldname: str, words) -> tuple[np.ndarray, np.ndarray]:
        """Documents with the words at consecutive positions, scored as Whoosh's ``SpanNear2``:
        the sum of each word's ``Term`` score in the field."""
        schema = self.searcher.schema
        mask, scores = self.empty()
        field = schema[fieldname] if fieldname in schema else None
        if field is None or not words:
            return mask, scores
        if not field.format or not field.format.supports("positions"):
            raise qcore.QueryError(f"Phrase search: {fieldname!r} field has no positions")
        try:
            btexts = [field.to_bytes(w) for w in words]
        except ValueError:
            return mask, scores
        postings = [self.postings(fieldname, b) for b in btexts]
        candidates = postings[0][0]
        for ids, _ in postings[1:]:
            candidates = np.intersect1d(candidates, ids, assume_unique=True)
        if not len(candidates):
            return mask, scores
        # Each word's positions in the candidates, as keys (candidate, position - offset in the
        # phrase): the phrase starts where the keys of all words meet.
        keys = None
        for i, btext in enumerate(btexts):
            owners, at = positions_in(self.reader, fieldname, btext, field.format, candidates)
            word_keys = (owners << 32) | (at + len(btexts) - i)
            keys = word_keys if keys is None else np.intersect1d(keys, word_keys, assume_unique=True)
            if not len(keys):
                return mask, scores
        found = candidates[np.unique(keys >> 32)]
        mask[found] = True
        for word in words:
            scores += self.term(fieldname, word)[1]
        return mask, np.where(mask, scores, 0.0)

    def prefix(self, q: wq.Prefix) -> tuple[np.ndarray, np.ndarray]:
        """``Präsid*``: the words it stands for in the whole collection (``stats.expansions``; this
        index's own where the statistics have none), scored as their ``Or``: the sum of the words'
        ``Term`` scores under the collection's figures, times the prefix's boost.

        Whoosh's own ``Prefix`` decides per segment: one word of the segment scores as that word
        unboosted, two as their sum, three or more in a segment of at most 5,000 documents 1 each
        (its preloaded ``Or`` without weighting), so a shard, like a segment, scored a document
        otherwise than one index of all shards (issue 18).
        """
        words = self.stats.expansions.get((q.fieldname, q.text))
        if words is None:
            words = expand(self.reader, q.fieldname, q.text) if q.fieldname in self.searcher.schema else ()
        mask, scores = self.empty()
        for word in words:
            ids, values = self.term_scores(q.fieldname, word)
            mask[ids] = True
            scores[ids] += values
        return mask, scores

    def near(self, q: spans.SpanNear2) -> tuple[np.ndarray, np.ndarray]:
        """``"a b"~N``: the documents Whoosh's ``SpanNear2`` finds (where the words stand is this
        index's alone), scored as it scores them, the sum of its words' ``Term`` scores, but under
        the collection's figures rather than this index's."""
        mask, _ = self.by_whoosh(q)
        scores = np.zeros(self.state.size)
        for term in q.qs:
            scores += self.term(term.fieldname, term.text)[1]
        return mask, np.where(mask, scores, 0.0)

    def by_whoosh(self, q) -> tuple[np.ndarray, np.ndarray]:
        """Phrases, prefixes and the rest: Whoosh finds and scores them, as it would inside the tree."""
        mask, scores = self.empty()
        results = self.searcher.search(q, limit=None)
        if results.top_n:
            found = np.array(results.top_n, dtype=np.float64)
            ids = found[:, 1].astype(np.int64)
            mask[ids] = True
            scores[ids] = found[:, 0]
        return mask, scores
