"""The seam between searching and an index: what ``search/`` asks of one shard, in plain values.

A search runs as Elasticsearch's ``dfs_query_then_fetch`` (``search/scatter.py``) over one or
more shards, each a complete index of some of the documents (``search/whoosh/shard.py`` is the
one backend today). First every shard reports the collection statistics the query's words need
(``CollectionStats``); they are added up, so every shard scores with the figures of the whole
collection and the scores compare across shards as if one index held everything. Then each shard
matches the parsed query under those figures and answers its best documents and its uncut facet
counts (``ShardMatch``); last the shards holding the page's hits fetch them.

A shard speaks only in parsed query trees (``search/syntax.py``), ``Filters``, document numbers
local to the shard, and the types of ``search/results.py``: nothing here knows Whoosh, so a
shard can answer in this process or in another (an actor on a cluster).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from indexer.errors import NewsearchError
from search.facets import Filters
from search.results import Hit


class ShardUnavailable(NewsearchError):
    """A shard that did not answer in time (its process died, its node is gone, it is slow):
    the search goes on with the others and says which one is missing."""

    status = 503  # should one ever reach the edge: the service, not the request, is at fault

    def __init__(self, label: str):
        super().__init__(f"Der Indexabschnitt {label} hat nicht rechtzeitig geantwortet; "
                         f"seine Treffer fehlen in diesem Ergebnis.")
        self.label = label


@dataclass(frozen=True, slots=True)
class CollectionStats:
    """What BM25F needs to know about the whole collection, for the words of one query.

    ``doc_count`` counts deleted documents until a merge drops them, and ``doc_frequencies``
    too, as Whoosh's own figures do. ``field_lengths`` holds each field's total length in terms,
    so the average over several shards is their sum over their summed document count.
    """

    doc_count: int = 0
    field_lengths: Mapping[str, int] = field(default_factory=dict)
    doc_frequencies: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (field, term)
    # Documents of ``doc_count`` that every shard holds alike (the ledger of the files read, which
    # every shard's run records): one index holds them once, so the shards together count them once.
    shared: int = 0
    # The words each prefix of the query stands for, (field, prefix) -> sorted terms, over all
    # shards: a prefix scores as those words of the whole collection (search/whoosh/evaluate.py
    # ``prefix``), which no single shard knows.
    expansions: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)

    def avg_field_length(self, fieldname: str) -> float:
        """The field's mean length over all documents; 0 where no document has it."""
        return self.field_lengths.get(fieldname, 0) / self.doc_count if self.doc_count else 0.0

    def doc_frequency(self, fieldname: str, term: str) -> int:
        return self.doc_frequencies.get((fieldname, term), 0)

    @classmethod
    def merged(cls, parts: Iterable[CollectionStats]) -> CollectionStats:
        """The statistics of the shards together: every figure is a count, so they add up."""
        doc_count, shared, lengths, frequencies, expansions = 0, [], Counter(), Counter(), {}
        for part in parts:
            doc_count += part.doc_count - part.shared
            shared.append(part.shared)
            lengths.update(part.field_lengths)
            frequencies.update(part.doc_frequencies)
            for prefix, words in part.expansions.items():
                expansions.setdefault(prefix, set()).update(words)
        return cls(doc_count + max(shared, default=0), dict(lengths), dict(frequencies), max(shared, default=0),
                   {prefix: tuple(sorted(words)) for prefix, words in expansions.items()})


@dataclass(frozen=True, slots=True)
class Ranking:
    """How a shard orders its matches: ``sort`` as in ``SearchRequest``; ``depth`` how many it
    returns in that order; ``recency`` whether newer articles gain, counted from ``now`` (None: now);
    ``collapse`` whether near-duplicates fold into stories (``search/whoosh/folding.py``);
    ``question`` whether the words are weighted as a question's (``search.ranking.is_question``)."""

    sort: str = "relevance"
    depth: int = 10
    recency: bool = False
    now: object = None  # datetime | None
    collapse: bool = False
    question: bool = False


@dataclass(frozen=True, slots=True)
class ShardMatch:
    """One shard's answer to a query: how many documents (stories, folded) passed the filters, its
    best ``depth`` as (local document number, score, sort key) in its order, its facet counts
    (of documents) before any cut, and, folded, the other members of each best document's story."""

    total: int
    top: tuple[tuple[int, float, float], ...]
    facets: dict[str, Counter] = field(default_factory=dict)
    others: dict[int, tuple[int, ...]] = field(default_factory=dict)  # doc of ``top`` -> its story's others
    # Folded, for a story split across shards (search/stories.py): the group key of every story that
    # passed (equal in every shard), and for each doc of ``top`` its key and its story's members
    # here as (doc, length of lead and body, publication time), the shown one first.
    keys: np.ndarray | None = None
    stories: dict[int, tuple[int, tuple[tuple[int, int, int], ...]]] = field(default_factory=dict)


class Shard(Protocol):
    """What a search asks of one shard. ``search/whoosh/shard.py`` answers over a Whoosh index."""

    def statistics(self, tree) -> CollectionStats:
        """The shard's own figures for the words of ``tree`` (and their proximity pairs)."""

    def match(self, tree, stats: CollectionStats, filters: Filters, ranking: Ranking, facets: bool) -> ShardMatch:
        """Every document ``tree`` matches, scored under ``stats``, filtered, its best ones."""

    def story_members(self, tree, stats: CollectionStats, filters: Filters, ranking: Ranking,
                      keys) -> dict[int, tuple[float, tuple[tuple[int, int, int], ...]]]:
        """The matching members of the stories with group ``keys`` (``ShardMatch.stories``) and
        each story's best score here: the part of a story split across shards that did not make
        this shard's best."""

    def duplicates(self, docs) -> tuple:
        """The stored ``docs`` as ``Duplicate``s."""

    def proximity(self, tree, docs: np.ndarray, stats: CollectionStats, scores: np.ndarray | None = None,
                  question: bool = False) -> np.ndarray:
        """What the re-rank adds to each of ``docs`` (ascending local numbers, with their ``scores``)
        for ``tree``: the proximity bonus, and for a ``question`` the coordination."""

    def pages(self, docs) -> list[int]:
        """The page each of ``docs`` (local numbers) is part of, 0 for none (search/context.py)."""

    def fetch(self, tree, ranked: list[tuple[int, float]], others: list[tuple[int, ...]] | None = None) -> list[Hit]:
        """The stored documents of ``ranked`` as hits, their snippets marked for ``tree``; each with
        the stored ``others`` of its row (``ShardMatch.others``) as its ``duplicates``."""

    def stored(self, doc_id: str) -> dict | None:
        """The stored fields of the document with id ``doc_id``, or None."""

    def known(self, word: str) -> bool:
        """Whether the suggestion vocabulary (surface forms) holds ``word``."""

    def near(self, word: str) -> dict[str, int]:
        """Known words at most two edits from ``word``, the first letter kept, with their distance."""

    def frequency(self, word: str) -> int:
        """How often ``word`` occurs in the suggestion vocabulary's field."""

    def day_range(self) -> tuple[str, str] | None:
        """The first and last Berlin day (``YYYY-MM-DD``) of the shard's dated documents."""

    def close(self) -> None:
        """Let go of what the shard holds open."""
