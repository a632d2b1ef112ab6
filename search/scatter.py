"""Several shards searched as one index: Elasticsearch's ``dfs_query_then_fetch``.

1. dfs: every shard reports the collection statistics of the query's words; they are added up
   (``CollectionStats.merged``). Scored with each shard's own figures, 86 of 200 top-10 lists of a
   prototype differed from one index's; with the merged ones none did (issue 18).
2. query: every shard whose days can pass the date filter matches the query under the merged
   statistics and answers its total, its best documents and its facet counts before any cut;
   the totals and counts add up, the best lists merge by their sort key.
3. re-rank and fetch: the proximity bonus and the pages (search/context.py) are asked of the
   shards holding the best ``RERANK_DEPTH`` (search/whoosh/proximity.py), then the page's hits of
   the shards holding them.

A single index is one shard, so there is one way to search. Ties between equal keys go to the
earlier shard, then the lower document number, as one index orders them by document number.
"""
from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from indexer.shards import shard_dirs
from indexer.store import open_for_reading
from search.backend import CollectionStats, Ranking, Shard, ShardUnavailable
from search.context import context_bonus
from search.facets import KEYWORD_NAMES, Filters
from search.results import Hit
from search.stories import distinct_stories, fold_across
from search.whoosh.shard import WhooshShard, open_searcher


@dataclass(frozen=True, slots=True)
class Found:
    """What the shards answered together: total, the best (shard, doc, score), merged facet counts,
    and, folded, the other members of each best document's story as (shard, doc) pairs, by (shard, doc)."""

    total: int
    top: tuple[tuple[int, int, float], ...]
    facets: dict[str, Counter] = field(default_factory=dict)
    stats: CollectionStats = field(default_factory=CollectionStats)
    others: dict[tuple[int, int], tuple[tuple[int, int], ...]] = field(default_factory=dict)
    question: bool = False  # ``Ranking.question``: the re-rank weighs a question's words otherwise


class Shards:
    """The shards of one index, oldest first. ``days`` holds each shard's first and last Berlin
    day (``None``: unknown, always asked); a date filter asks only the shards it overlaps."""

    def __init__(self, shards: list[Shard], days: list[tuple[str, str] | None] | None = None):
        self.shards = list(shards)
        self.days = list(days) if days is not None else [None] * len(self.shards)
        self.missing: list[str] = []  # why shards did not answer this request (a cluster's), in German
        self._lost: set[int] = set()

    def __enter__(self) -> Shards:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for shard in self.shards:
            shard.close()

    def statistics(self, tree, question: bool | None = None) -> CollectionStats:
        """Step 1 (dfs): all shards' figures for ``tree``, added up, whatever the filters
        (``question``: the shards build the query as ``match`` will, ``Ranking.question``)."""
        return CollectionStats.merged(self.each("statistics", tree, question).values())

    def each(self, method: str, *args, among=None) -> dict[int, object]:
        """``method(*args)`` of every shard still answering (of ``among``), by shard number; a
        shard that does not answer (``ShardUnavailable``, only shards in other processes) is
        left out of the rest of the request and named in ``missing``."""
        answers = {}
        waiting = {number: _sent(shard, method, args) for number, shard in enumerate(self.shards)
                   if number not in self._lost and (among is None or number in among)}
        for number, answer in waiting.items():
            try:
                answers[number] = answer()
            except ShardUnavailable as err:
                self._lost.add(number)
                self.missing.append(err.message)
        return answers

    def search(self, tree, filters: Filters, ranking: Ranking, facets: bool = True) -> Found:
        """Steps 1 and 2: every match of ``tree`` under the merged statistics, the best
        ``ranking.depth`` by the sort key over all shards, totals and facet counts added up."""
        stats = self.statistics(tree, ranking.question)
        total, facet_sums, entries, others = 0, {}, [], {}
        asked = {number for number in range(len(self.shards)) if self._overlaps(number, filters)}
        answers = self.each("match", tree, stats, filters, ranking, facets, among=asked)
        for number, answer in answers.items():
            total += answer.total
            for name, counts in answer.facets.items():
                facet_sums.setdefault(name, Counter()).update(counts)
            entries += [(-key, number, doc, score) for doc, score, key in answer.top]
            others.update(((number, doc), tuple((number, d) for d in docs)) for doc, docs in answer.others.items())
        entries.sort(key=lambda e: e[:3])
        top = tuple((number, doc, score) for _, number, doc, score in entries[: ranking.depth])
        if ranking.collapse and len(answers) > 1:  # a story may have copies in two shards: fold it once
            total = distinct_stories([answer.keys for answer in answers.values()])
            top, others = fold_across(answers, entries, ranking.depth, _key_of(tree, ranking),
                                      lambda number, keys: self.each("story_members", tree, stats, filters, ranking,
                                                                     keys, among={number}).get(number, {}))
            top = tuple(top)
        if facets and not facet_sums:  # no shard's days overlap the filter: every list is empty
            facet_sums = {name: Counter() for name in ("day", *KEYWORD_NAMES)}
        return Found(total, top, facet_sums, stats, others, ranking.question)

    def count(self, tree, filters: Filters) -> int:
        return self.search(tree, filters, Ranking(depth=0), facets=False).total

    def reranked(self, found: Found, tree, limit: int) -> list[tuple[int, int, float]]:
        """Step 3: ``found.top`` with each document's proximity bonus for ``tree`` added, then its
        context bonus (search/context.py), re-sorted, cut to ``limit``; the bonuses are never
        negative, so the re-ranked stay above the rest."""
        if not found.top:
            return []
        scores = np.array([score for _, _, score in found.top])
        rows = {number: np.array([i for i, (n, _, _) in enumerate(found.top) if n == number], dtype=np.int64)
                for number in {n for n, _, _ in found.top}}
        docs = {number: np.sort(np.array([found.top[i][1] for i in at], dtype=np.int64)) for number, at in rows.items()}
        pages = [0] * len(found.top)
        for number in rows:
            at = rows[number][np.argsort(np.array([found.top[i][1] for i in rows[number]]))]  # by doc, as docs
            bonus = self.each("proximity", tree, docs[number], found.stats, scores[at], found.question,
                              among={number}).get(number)
            if bonus is not None:
                scores[at] += bonus
            for i, page in zip(rows[number], self.each("pages", [found.top[i][1] for i in rows[number]], among={number}).get(number, ())):
                pages[i] = page
        scores += context_bonus(scores, pages)  # the parts of one page lift each other, across shards too
        best = sorted(range(len(found.top)), key=lambda i: (-scores[i], found.top[i][0], found.top[i][1]))[:limit]
        return [(found.top[i][0], found.top[i][1], float(scores[i])) for i in best]

    def fetch(self, tree, ranked: list[tuple[int, int, float]], others=None) -> list[Hit]:
        """The hits of ``ranked`` (shard, doc, score), in that order, each from its own shard, with
        the stories' other members of ``others`` (``Found.others``: (shard, doc) pairs) as their
        duplicates: asked of the hit's shard with it, or, for a story across shards, of each one."""
        hits: dict[int, Hit] = {}
        others = others or {}
        across = {}  # row -> its story's members as (shard, doc), some in other shards
        for number in sorted({n for n, _, _ in ranked}):
            rows = [i for i, (n, _, _) in enumerate(ranked) if n == number]
            folded = [others.get((number, ranked[i][1]), ()) for i in rows]
            across.update((i, pairs) for i, pairs in zip(rows, folded) if any(n != number for n, _ in pairs))
            local = [tuple(d for _, d in pairs) if all(n == number for n, _ in pairs) else () for pairs in folded]
            fetched = self.each("fetch", tree, [(ranked[i][1], ranked[i][2]) for i in rows], local, among={number})
            hits.update(zip(rows, fetched.get(number, ())))
        for i, pairs in across.items():
            if i in hits:
                hits[i] = replace(hits[i], duplicates=self._duplicates(pairs))
        return [hits[i] for i in range(len(ranked)) if i in hits]

    def _duplicates(self, pairs: tuple[tuple[int, int], ...]) -> tuple:
        """The members ``pairs`` (shard, doc) as ``Duplicate``s, in that order, each from its shard."""
        found = {}
        for number in sorted({n for n, _ in pairs}):
            docs = [d for n, d in pairs if n == number]
            found.update(zip(((number, d) for d in docs), self.each("duplicates", docs, among={number}).get(number, ())))
        return tuple(found[pair] for pair in pairs if pair in found)

    def matchers(self, tree) -> list[tuple[object, set]]:
        """What marks the words of ``tree`` in a text (the article page opened from a search): the
        terms of every shard, so a prefix marks the words it stands for in any shard."""
        terms: dict[str, set] = {}
        for answer in self.each("highlight_terms", tree).values():
            for name, found in answer.items():
                terms.setdefault(name, set()).update(found)
        for number in range(len(self.shards)):
            answer = self.each("matchers", terms, among={number})
            if number in answer:
                return answer[number]
        return []

    def day_range(self) -> tuple[str, str] | None:
        """The first and last Berlin day of all shards' dated documents (None: none dated)."""
        ranges = [days for days in self.each("day_range").values() if days]
        return (min(d[0] for d in ranges), max(d[1] for d in ranges)) if ranges else None

    def stored(self, doc_id: str) -> tuple[Shard, dict] | tuple[None, None]:
        """The shard holding ``doc_id`` and its stored fields; the newest shard first (an update
        lands where its date says, so an id lives in one shard)."""
        for number in reversed(range(len(self.shards))):
            stored = self.each("stored", doc_id, among={number}).get(number)
            if stored is not None:
                return self.shards[number], stored
        return None, None

    # --- the suggestion vocabulary of all shards ---

    def known(self, word: str) -> bool:
        return any(self.each("known", word).values())

    def near(self, word: str) -> dict[str, int]:
        best: dict[str, int] = {}
        for near in self.each("near", word).values():
            for candidate, distance in near.items():
                best[candidate] = min(distance, best.get(candidate, distance))
        return best

    def frequency(self, word: str) -> int:
        return sum(self.each("frequency", word).values())

    def _overlaps(self, number: int, filters: Filters) -> bool:
        days = self.days[number]
        if days is None or len(self.shards) == 1:
            return True
        first, last = days
        return not ((filters.start and last < filters.start) or (filters.end and first > filters.end))


def _sent(shard: Shard, method: str, args: tuple):
    """What waits for ``method(*args)`` of ``shard``: a shard in another process (``RayShard.ask``)
    starts at once, so all shards of a step work side by side; one in this process when waited for."""
    if hasattr(type(shard), "ask"):
        return shard.ask(method, *args)
    return functools.partial(getattr(shard, method), *args)


def _key_of(tree, ranking: Ranking):
    """A folded story's sort key from its best score and its shown member's publication time, as
    ``WhooshShard.match`` keys its best (relevance; newest; oldest first, undated last)."""
    if ranking.sort == "relevance" and tree is not None:
        return lambda score, published: score
    if ranking.sort == "oldest":
        return lambda score, published: float(-published if published > 0 else np.iinfo(np.int64).min)
    return lambda score, published: float(published)


def as_shards(source) -> Shards:
    """``source`` as ``Shards``: itself, or one Whoosh searcher (as callers before the seam pass)."""
    if isinstance(source, Shards):
        return source
    return Shards([WhooshShard(source)])


def open_shards(index_dir) -> Shards:
    """The index under ``index_dir`` for searching: each time shard's current generation
    (indexer/shards.py), or the one index of an unsharded directory. Close it, or use ``with``."""
    layout, opened = shard_dirs(index_dir), []
    try:
        for name, path, _ in layout:
            opened.append(WhooshShard(open_searcher(open_for_reading(path)), name))
    except BaseException:
        for shard in opened:
            shard.close()
        raise
    return Shards(opened, [days for _, _, days in layout])
