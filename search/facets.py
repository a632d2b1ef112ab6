"""Filters and facet counts, both read from per-document columns of the matching documents.

Whoosh's own ``groupedby=`` scores every match and buckets dates in UTC months, which is both
slower (WHOOSH-NOTES) and wrong for people in Berlin; our ``day`` column already holds the Berlin
day. The columns are read once per segment and kept as arrays of value indexes
(``document_columns``), so filtering and counting the matches are a few array operations.

Keyword facets are multi-select, as Solr's tag/ex: a facet's counts apply every filter except
its own, so choosing "Ausland" does not zero the count of "Inland". Date facets apply all
filters: they show where the hits shown lie in time.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from indexer import schema as f
from search.whoosh.cache import PerSegment, PerState, segment_leaves
from search.results import FacetCount
from search.sections import section_label

MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")  # fmt: skip

MAX_VALUES = 50  # per keyword facet: a sidebar, not a dump of the vocabulary
COLUMNS_CACHE_BYTES = 64 * 1024 * 1024  # value indexes of 5 columns: ~24 bytes a document


@dataclass(frozen=True, slots=True)
class KeywordFacet:
    """A facet whose values people choose: the one place that names it.

    ``name`` is at once the query-string and API parameter, the facet's key in results and in
    ``Filters.chosen``; ``words`` are what people type before ``:`` in a query (``quelle:zeit.de``).
    The page, the API, the OpenAPI document, the CLI and the query language all read this tuple.
    """

    name: str
    field: str  # the sortable schema column holding each document's value
    title: str  # the German heading on the page and in the active-filter chips
    words: tuple[str, ...]  # typed before ":"; the second, German, is the one help texts name
    example: str  # a value, for the API description
    listed: bool = False  # the column holds a comma-joined list (topics)
    label: Callable[[str], str | None] = str  # how a value reads; None: not offered (search/sections.py)


KEYWORD_FACETS = (
    KeywordFacet("section", f.SECTION, "Ressort", ("section", "ressort", "rubrik"), "Ausland", label=section_label),
    KeywordFacet("topic", f.TOPIC, "Thema", ("topic", "thema", "topics", "themen"), "Russland", listed=True),
    KeywordFacet("agency", f.AGENCY, "Agentur", ("agency", "agentur"), "dpa"),
    KeywordFacet("source", f.PUBLISHER, "Quelle", ("source", "quelle", "medium"), "tagesspiegel.de"),
)
KEYWORD_NAMES = tuple(facet.name for facet in KEYWORD_FACETS)


@dataclass(frozen=True, slots=True)
class Filters:
    start: str | None = None  # Berlin day, YYYY-MM-DD, inclusive
    end: str | None = None
    chosen: dict[str, frozenset[str]] = field(default_factory=dict)  # facet name -> casefolded values (any of)
    excluded: dict[str, frozenset[str]] = field(default_factory=dict)  # facet name -> casefolded values (none of)

    def any(self) -> bool:
        return bool(self.start or self.end or any(self.chosen.values()) or any(self.excluded.values()))


@dataclass(frozen=True, slots=True)
class Column:
    """One value per document: ``values`` (sorted, ``""`` for none) and each document's index into them.

    A multi-valued column (topics) holds each document's value indexes at
    ``codes[starts[doc]:starts[doc + 1]]``.
    """

    values: np.ndarray
    codes: np.ndarray
    starts: np.ndarray | None = None

    def per_value(self, docs: np.ndarray) -> Counter:
        """How many of ``docs`` have each value."""
        counts = np.bincount(self._codes_of(docs)[1], minlength=len(self.values))
        return Counter({str(self.values[i]): int(counts[i]) for i in np.flatnonzero(counts) if self.values[i]})

    def having(self, docs: np.ndarray, wanted: np.ndarray) -> np.ndarray:
        """For each of ``docs``, whether it has a value whose entry in the boolean ``wanted`` is set."""
        owners, codes = self._codes_of(docs)
        if self.starts is None:
            return wanted[codes]
        found = np.zeros(len(docs), dtype=bool)
        found[owners[wanted[codes]]] = True
        return found

    def _codes_of(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``docs``, value index) for every value the documents have."""
        if self.starts is None:
            return np.arange(len(docs)), self.codes[docs]
        first, counts = self.starts[docs], self.starts[docs + 1] - self.starts[docs]
        owners = np.repeat(np.arange(len(docs)), counts)
        at = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        return owners, self.codes[at]


@dataclass(frozen=True, slots=True)
class Columns:
    """The facet columns of every document of an index state: the Berlin day and each keyword facet's."""

    day: Column
    keywords: dict[str, Column]  # by KeywordFacet.name


_states = PerState()
_segments = PerSegment(COLUMNS_CACHE_BYTES, lambda found: sum(a.nbytes for column in found.values() for a in column))


def document_columns(reader) -> Columns:
    """The facet columns of every document, read once per segment and joined once per index state.

    A segment never changes, so adding a few articles reads the columns of the new segment only
    (reading all 112k documents' columns took about a second, once per commit while indexing).
    """

    def join() -> Columns:
        parts = [_segment_columns(leaf) for leaf, _ in segment_leaves(reader)]
        return Columns(_join([p["day"] for p in parts]),
                       {name: _join([p[name] for p in parts]) for name in KEYWORD_NAMES})

    return _states.get(reader, join)


def _segment_columns(leaf) -> dict[str, tuple]:
    """One segment's facet columns as (values, codes[, starts]), read once."""

    def read() -> dict[str, tuple]:
        found = {"day": _coded(list(leaf.column_reader(f.DAY)))}
        for facet in KEYWORD_FACETS:
            values = leaf.column_reader(facet.field)
            found[facet.name] = (_coded_lists([[t for t in v.split(",") if t] for v in values]) if facet.listed
                                 else _coded(list(values)))
        return found

    return _segments.get(leaf, "facets", read)


def _coded(values: list[str]) -> tuple:
    vocabulary, codes = np.unique(np.array(values + [""], dtype=object).astype(str), return_inverse=True)
    return vocabulary, codes[:-1].astype(np.int32)


def _coded_lists(lists: list[list[str]]) -> tuple:
    flat = [v for values in lists for v in values]
    vocabulary, codes = _coded(flat)
    starts = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(values) for values in lists], out=starts[1:])
    return vocabulary, codes, starts


def _join(parts: list[tuple]) -> Column:
    """Segments' columns as one over the index's document numbers, with one sorted vocabulary."""
    if not parts:  # an empty index: no segment, no documents
        return Column(np.array([""]), np.zeros(0, dtype=np.int32), np.zeros(1, dtype=np.int64))
    vocabulary = np.unique(np.concatenate([p[0] for p in parts] + [np.array([""])]))
    codes = np.concatenate([np.searchsorted(vocabulary, p[0])[p[1]] for p in parts]).astype(np.int32)
    if len(parts[0]) == 2:
        return Column(vocabulary, codes)
    starts = np.zeros(1, dtype=np.int64)
    for p in parts:
        starts = np.concatenate([starts, starts[-1] + p[2][1:]])
    return Column(vocabulary, codes, starts)


def passing(columns: Columns, docs: np.ndarray, filters: Filters, skip: str = "") -> np.ndarray:
    """For each of ``docs``, whether it passes every filter except the one named ``skip``."""
    ok = np.ones(len(docs), dtype=bool)
    if filters.start or filters.end:
        days = columns.day.values
        wanted = days != ""
        if filters.start:
            wanted &= days >= filters.start
        if filters.end:
            wanted &= days <= filters.end
        ok &= columns.day.having(docs, wanted)
    for name, selected in filters.chosen.items():
        if selected and skip != name:
            ok &= _having(columns.keywords[name], docs, selected)
    for name, unwanted in filters.excluded.items():  # NICHT quelle:x applies to every facet, its own too
        if unwanted:
            ok &= ~_having(columns.keywords[name], docs, unwanted)
    return ok


def _having(column: Column, docs: np.ndarray, values: frozenset[str]) -> np.ndarray:
    """For each of ``docs``, whether it has one of the casefolded ``values``."""
    return column.having(docs, np.array([str(v).casefold() in values for v in column.values], dtype=bool))


def count_facets(columns: Columns, docs: np.ndarray, filters: Filters) -> dict[str, tuple[FacetCount, ...]]:
    """Every facet over ``docs`` (the word matches before filters), in a fixed order.

    Each keyword facet counts the documents that pass every other filter; dates count those that
    pass them all.
    """
    return cut_facets(facet_counts(columns, docs, filters), filters)


def facet_counts(columns: Columns, docs: np.ndarray, filters: Filters) -> dict[str, Counter]:
    """``count_facets`` before any list is cut: per facet, each value's count (days for dates).

    Shards answer these, so that their counts add up before the lists are cut: a value tenth in
    every shard may be first over all of them.
    """
    docs = np.asarray(docs, dtype=np.int64)
    return {
        "day": columns.day.per_value(docs[passing(columns, docs, filters)]),
        **{name: columns.keywords[name].per_value(docs[passing(columns, docs, filters, name)])
           for name in KEYWORD_NAMES},
    }


def cut_facets(counts: dict[str, Counter], filters: Filters) -> dict[str, tuple[FacetCount, ...]]:
    """The facet lists a result shows, from (merged) ``facet_counts``."""
    return {
        **date_facets(counts["day"]),
        **{facet.name: keyword_facet(counts[facet.name], filters.chosen.get(facet.name, frozenset()), facet.label)
           for facet in KEYWORD_FACETS},
    }


def date_facets(days: Counter) -> dict[str, tuple[FacetCount, ...]]:
    """Counts per year, month and day, oldest first, from a count of Berlin days (``YYYY-MM-DD``)."""
    years, months = Counter(), Counter()
    for day, n in days.items():
        years[day[:4]] += n
        months[day[:7]] += n
    return {
        "year": tuple(FacetCount(y, y, n) for y, n in sorted(years.items())),
        "month": tuple(FacetCount(m, f"{MONTHS_DE[int(m[5:7]) - 1]} {m[:4]}", n) for m, n in sorted(months.items())),
        "day": tuple(FacetCount(d, f"{d[8:10]}.{d[5:7]}.{d[:4]}", n) for d, n in sorted(days.items())),
    }


def keyword_facet(counts: Counter, selected: frozenset[str], label=str) -> tuple[FacetCount, ...]:
    """Most frequent first, ties alphabetically; selected values are always listed, values
    without a ``label`` (no section: ``2020``) only then."""
    labels = {value: label(value) for value in counts}
    ranked = sorted(((v, n) for v, n in counts.items() if labels[v] is not None or v.casefold() in selected),
                    key=lambda kv: (-kv[1], kv[0].casefold()))
    top = ranked[:MAX_VALUES]
    shown = {v.casefold() for v, _ in top}
    top += [kv for kv in ranked[MAX_VALUES:] if kv[0].casefold() in selected and kv[0].casefold() not in shown]
    return tuple(FacetCount(v, labels[v] or v, n, v.casefold() in selected) for v, n in top)
