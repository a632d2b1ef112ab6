"""Filters and facet counts, both read from per-document columns of the matching documents.

Whoosh's own ``groupedby=`` scores every match and buckets dates in UTC months, which is both
slower (WHOOSH-NOTES) and wrong for people in Berlin; our ``day`` column already holds the Berlin
day. The columns of a whole index are read once per index state and kept (``document_columns``),
so a query only walks the doc numbers it matched.

Keyword facets are multi-select, as Solr's tag/ex: a facet's counts apply every filter except
its own, so choosing "Ausland" does not zero the count of "Inland". Date facets apply all
filters: they show where the hits shown lie in time.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from threading import Lock

from indexer import schema as f
from search.results import FacetCount

MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")  # fmt: skip

MAX_VALUES = 50  # per keyword facet: a sidebar, not a dump of the vocabulary


@dataclass(frozen=True, slots=True)
class Filters:
    start: str | None = None  # Berlin day, YYYY-MM-DD, inclusive
    end: str | None = None
    sections: frozenset[str] = frozenset()  # casefolded; several mean any of them
    topics: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Columns:
    """Per-document values by doc number: Berlin day, section, topics, agency."""

    day: list[str]
    section: list[str]
    topics: list[tuple[str, ...]]
    agency: list[str]


_cache: dict[tuple, Columns] = {}
_cache_lock = Lock()
_CACHE_SIZE = 4  # index states: the current one and a few a long request may still hold


def document_columns(reader) -> Columns:
    """The facet columns of every document, read once per index state (segments and deletions).

    Reading 112k documents' columns takes about a second; keyed by the segments' ids and deletion
    counts, the cache is valid exactly as long as the index state is.
    """
    key = tuple((r.segment().segment_id(), r.segment().deleted_count()) for r, _ in reader.leaf_readers())
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    columns = Columns(
        day=list(reader.column_reader(f.DAY)),
        section=list(reader.column_reader(f.SECTION)),
        topics=[tuple(t for t in v.split(",") if t) for v in reader.column_reader(f.TOPIC)],
        agency=list(reader.column_reader(f.AGENCY)),
    )
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = columns
    return columns


def passing(columns: Columns, doc: int, filters: Filters, skip: str = "") -> bool:
    """Whether document ``doc`` passes every filter, except the one named ``skip``."""
    if filters.start or filters.end:
        day = columns.day[doc]
        if not day or (filters.start and day < filters.start) or (filters.end and day > filters.end):
            return False
    if filters.sections and skip != "section" and columns.section[doc].casefold() not in filters.sections:
        return False
    if filters.topics and skip != "topic" and not any(t.casefold() in filters.topics for t in columns.topics[doc]):
        return False
    if filters.agencies and skip != "agency" and columns.agency[doc].casefold() not in filters.agencies:
        return False
    return True


def count_facets(columns: Columns, docs: list[int], filters: Filters) -> dict[str, tuple[FacetCount, ...]]:
    """Every facet over ``docs`` (the word matches before filters), in a fixed order.

    One pass: each document counts for the facets whose other filters it passes.
    """
    days, sections, topics, agencies = Counter(), Counter(), Counter(), Counter()
    for doc in docs:
        if passing(columns, doc, filters, skip="section"):
            if columns.section[doc]:
                sections[columns.section[doc]] += 1
            if passing(columns, doc, filters):
                if columns.day[doc]:
                    days[columns.day[doc]] += 1
        if passing(columns, doc, filters, skip="topic"):
            topics.update(columns.topics[doc])
        if passing(columns, doc, filters, skip="agency") and columns.agency[doc]:
            agencies[columns.agency[doc]] += 1
    return {
        **date_facets(days),
        "section": keyword_facet(sections, filters.sections),
        "topic": keyword_facet(topics, filters.topics),
        "agency": keyword_facet(agencies, filters.agencies),
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


def histogram_granularity(facets: dict[str, tuple[FacetCount, ...]]) -> str:
    """Years for a wide spread of hits, days for a narrow one, months in between."""
    days = facets.get("day") or ()
    if not days:
        return "day"
    first, last = date.fromisoformat(days[0].value), date.fromisoformat(days[-1].value)
    span = (last - first).days
    return "year" if span > 3 * 366 else "month" if span > 92 else "day"


def keyword_facet(counts: Counter, selected: frozenset[str]) -> tuple[FacetCount, ...]:
    """Most frequent first, ties alphabetically; selected values are always listed."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
    top = ranked[:MAX_VALUES]
    shown = {v.casefold() for v, _ in top}
    top += [kv for kv in ranked[MAX_VALUES:] if kv[0].casefold() in selected and kv[0].casefold() not in shown]
    return tuple(FacetCount(v, v, n, v.casefold() in selected) for v, n in top)
