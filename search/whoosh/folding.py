"""Near-duplicates folded under one hit: the matches as stories, and the other versions of each.

The index gives every article its near-duplicate group (``indexer/duplicates.py``). A search
folds its matches, after filters, group by group: the story ranks where its best-scoring member
would rank, and shows its fullest member (the longest lead and body; on a tie the earliest, then
the lowest document number), because that is the version a reader wants to open. The others that
match too are listed under the hit as ``duplicates``. So ``total`` counts stories; facet counts
are left to count documents (``search/facets.py``): an outlet's count says how many of its
articles match, including the copies folded under another outlet's hit.

Over time shards (``search/scatter.py``) each shard folds its own matches in ``match()``. A group
lives within one shard almost always, since its copies are at most three days apart
(``indexer/duplicates.py``); copies published across a shard boundary share the group of the
first (the indexer looks them up in the neighbouring shards), and ``search/stories.py`` folds such
a story once over all shards. For that each shard answers the group key of every story that
passed (``story_keys``: the same number in every shard) and, for its best documents, the members
here with what decides which member shows (``members``).

Folding is a few array operations over the matches, with two columns read once per index state.
The order within stories (group, then fullest, earliest, lowest number) does not depend on the
query, so all documents are put in it once per index state (``_Columns.order``) and a search
keeps its matches in that order: sorting the matches by those four keys per search took more
than the rest of the search for a word matching most of the 28k FANG articles (bench/README.md,
"Issue 17's speed goal").
"""
from __future__ import annotations

from dataclasses import dataclass
from hashlib import blake2b

import numpy as np

from indexer import schema as f
from indexer.dates import from_utc
from search.results import Duplicate
from search.stories import ALONE
from search.whoosh.cache import PerState, segment_leaves
from search.whoosh.evaluate import Matches
from search.whoosh.postings import published, runs


@dataclass(frozen=True, slots=True)
class Folded:
    """The matches folded: one per story, and each story's other matching members."""

    stories: Matches  # the shown member of each story, ascending, with the best score of its story
    members: np.ndarray  # the folded matches ordered by story, then as shown (fullest first)
    starts: np.ndarray  # for each of ``stories.docs``: where its story starts in ``members`` (itself)
    ends: np.ndarray  # and where it ends

    def others(self, doc: int) -> np.ndarray:
        """The other matching members of the story ``doc`` shows, fullest first."""
        at = int(np.searchsorted(self.stories.docs, doc))
        if at == len(self.stories.docs) or self.stories.docs[at] != doc:
            return self.members[:0]
        return self.members[self.starts[at] + 1:self.ends[at]]


@dataclass(frozen=True, slots=True)
class _Columns:
    groups: np.ndarray  # group number of every document; a document without a group has its own
    chars: np.ndarray  # length of lead and body
    keys: np.ndarray  # the group's key, equal in every shard: 63 bits of a hash of its id (ALONE: none)
    order: np.ndarray  # every document by group, then fullest, earliest (undated last), lowest number


_states = PerState()


def fold_stories(reader, matches: Matches) -> Folded:
    """``matches`` folded by near-duplicate group (see the module docstring for the choices)."""
    columns = _columns(reader)
    matched = np.zeros(len(columns.groups), dtype=bool)
    matched[matches.docs] = True
    members = columns.order[matched[columns.order]]  # the matches in the order of all documents
    score_of = np.zeros(len(columns.groups))
    score_of[matches.docs] = matches.scores
    sorted_groups = columns.groups[members]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) if len(members) else members
    ends = np.r_[starts[1:], len(members)].astype(np.int64)
    shown = members[starts]
    best = np.maximum.reduceat(score_of[members], starts) if len(members) else matches.scores[:0]
    # the stories by their shown document, ascending: where each shown document stands among all
    # documents, read back in document order (a sort of the shown documents cost ~1.5 ms at 27k)
    story_of = np.zeros(len(columns.groups), dtype=np.int64)
    story_of[shown] = np.arange(len(shown))
    is_shown = np.zeros(len(columns.groups), dtype=bool)
    is_shown[shown] = True
    ascending = story_of[is_shown]
    return Folded(Matches(shown[ascending], best[ascending]), members, starts[ascending], ends[ascending])


def story_keys(reader, docs: np.ndarray) -> np.ndarray:
    """The group key of each of ``docs``: equal for the members of one story in every shard."""
    return _columns(reader).keys[docs]


def members(reader, folded: Folded, shown) -> dict[int, tuple[int, tuple[tuple[int, int, int], ...]]]:
    """For each of the ``shown`` documents of ``folded`` (each a story's shown one): its group key and its story's members
    here (itself first, then ``others``) as (doc, length of lead and body, publication time), what
    decides across shards which member of a story shows (the fullest, then the earliest).

    All at once: a search asks this of its best ``RERANK_DEPTH`` documents, and a few array
    operations per document cost ~3 ms a search."""
    columns, times = _columns(reader), published(reader)
    shown = np.asarray(shown, dtype=np.int64)
    at = np.searchsorted(folded.stories.docs, shown)  # each of ``shown`` shows a story of ``folded``
    counts = folded.ends[at] - folded.starts[at]
    docs = folded.members[runs(folded.starts[at], counts)]
    every = list(zip(docs.tolist(), columns.chars[docs].tolist(), times[docs].tolist()))
    ends = np.cumsum(counts).tolist()
    return {doc: (key, tuple(every[end - count:end]))
            for doc, key, end, count in zip(shown.tolist(), columns.keys[shown].tolist(), ends, counts.tolist())}


def duplicates(searcher, docs) -> tuple[Duplicate, ...]:
    """The stored ``docs`` (a hit's other members, fullest first) as ``Duplicate``s."""
    stored = [searcher.stored_fields(int(doc)) for doc in docs]
    # The outlet: a wire item (ninjs, NewsML-G2) names it as its provider, kept as the agency
    return tuple(Duplicate(id=s[f.ID], title=s.get(f.TITLE, ""), source=s.get(f.PUBLISHER) or s.get(f.AGENCY) or "",
                           published=from_utc(s[f.PUBLISHED]) if s.get(f.PUBLISHED) else None) for s in stored)


def _columns(reader) -> _Columns:
    def read() -> _Columns:
        labels, chars = [], []
        for leaf, _ in segment_leaves(reader):
            labels += list(leaf.column_reader(f.DUP_GROUP))
            chars += list(leaf.column_reader(f.DUP_CHARS))
        values, codes = np.unique(np.array(labels, dtype=object).astype(str), return_inverse=True)
        codes = codes.astype(np.int64)
        alone = np.flatnonzero(values[codes] == "")  # related items and the ledger: each its own story
        hashed = np.array([int.from_bytes(blake2b(v.encode("utf-8"), digest_size=8).digest(), "big") >> 1
                           for v in values.tolist()], dtype=np.uint64)
        keys = hashed[codes] if len(codes) else np.zeros(0, dtype=np.uint64)
        keys[alone] = np.uint64(ALONE) | alone.astype(np.uint64)  # its own story in any shard
        codes[alone] = len(values) + alone
        chars = np.array(chars, dtype=np.int64)
        times = published(reader)
        undated_last = np.where(times > 0, times, np.iinfo(np.int64).max)
        order = np.lexsort((np.arange(len(codes)), undated_last, -chars, codes))
        return _Columns(codes, chars, keys, order)

    return _states.get(reader, read)
