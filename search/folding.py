"""Near-duplicates folded under one hit: the matches as stories, and the other versions of each.

The index gives every article its near-duplicate group (``indexer/duplicates.py``). A search
folds its matches, after filters, group by group: the story ranks where its best-scoring member
would rank, and shows its fullest member (the longest lead and body; on a tie the earliest, then
the lowest document number), because that is the version a reader wants to open. The others that
match too are listed under the hit as ``duplicates``. So ``total`` counts stories; facet counts
are left to count documents (``search/facets.py``): an outlet's count says how many of its
articles match, including the copies folded under another outlet's hit.

Folding is a few array operations over the matches, with two columns read once per index state.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from indexer import schema as f
from indexer.dates import from_utc
from search.cache import PerState, segment_leaves
from search.evaluate import Matches, published
from search.results import Duplicate, SearchResult


@dataclass(frozen=True, slots=True)
class Folded:
    """The matches folded: one per story, and each story's other matching members."""

    stories: Matches  # the shown member of each story, ascending, with the best score of its story
    members: np.ndarray  # the folded matches ordered by story, then as shown (fullest first)
    first: dict[int, int]  # shown document -> its position in ``members``
    ends: dict[int, int]  # shown document -> the end of its story in ``members``

    def others(self, doc: int) -> np.ndarray:
        """The other matching members of the story ``doc`` shows, fullest first."""
        start = self.first.get(doc)
        return self.members[start + 1:self.ends[doc]] if start is not None else self.members[:0]


@dataclass(frozen=True, slots=True)
class _Columns:
    groups: np.ndarray  # group number of every document; a document without a group has its own
    chars: np.ndarray  # length of lead and body


_states = PerState()


def fold_stories(reader, matches: Matches) -> Folded:
    """``matches`` folded by near-duplicate group (see the module docstring for the choices)."""
    columns = _columns(reader)
    docs, scores = matches.docs, matches.scores
    groups = columns.groups[docs]
    times = published(reader)[docs]
    undated_last = np.where(times > 0, times, np.iinfo(np.int64).max)
    order = np.lexsort((docs, undated_last, -columns.chars[docs], groups))
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]) if len(order) else order
    ends = np.r_[starts[1:], len(order)].astype(np.int64)
    members = docs[order]
    shown = members[starts]
    best = np.maximum.reduceat(scores[order], starts) if len(order) else scores[:0]
    ascending = np.argsort(shown, kind="stable")
    first = dict(zip(shown.tolist(), starts.tolist()))
    return Folded(Matches(shown[ascending], best[ascending]), members, first, dict(zip(shown.tolist(), ends.tolist())))


def with_duplicates(result: SearchResult, folded: Folded | None, searcher, page_docs: list[int]) -> SearchResult:
    """The result with each hit's folded ``duplicates`` (id, title, date, outlet) filled in."""
    if folded is None:
        return result
    hits = []
    for hit, doc in zip(result.hits, page_docs):
        others = [searcher.stored_fields(int(other)) for other in folded.others(doc)]
        hits.append(replace(hit, duplicates=tuple(
            Duplicate(id=s[f.ID], title=s.get(f.TITLE, ""), published=from_utc(s[f.PUBLISHED]) if s.get(f.PUBLISHED) else None, source=s.get(f.PUBLISHER) or "")
            for s in others)))
    return replace(result, hits=tuple(hits))


def _columns(reader) -> _Columns:
    def read() -> _Columns:
        labels, chars = [], []
        for leaf, _ in segment_leaves(reader):
            labels += list(leaf.column_reader(f.DUP_GROUP))
            chars += list(leaf.column_reader(f.DUP_CHARS))
        values, codes = np.unique(np.array(labels, dtype=object).astype(str), return_inverse=True)
        codes = codes.astype(np.int64)
        alone = np.flatnonzero(values[codes] == "")  # related items and the ledger: each its own story
        codes[alone] = len(values) + alone
        return _Columns(codes, np.array(chars, dtype=np.int64))

    return _states.get(reader, read)
