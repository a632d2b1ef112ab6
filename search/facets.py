"""Facet counts over every matching document, not only the page shown.

Counting reads the per-document columns of the matched doc numbers directly: Whoosh's own
``groupedby=`` scores every match and buckets dates in UTC months, which is both slower (see
WHOOSH-NOTES) and wrong for people in Berlin. Our ``day`` column already holds the Berlin day.

Each facet kind is one small function returning ``FacetCount`` values in a fixed order; new kinds
join the ``FACETS`` registry.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from indexer import schema as f
from search.results import FacetCount

MONTHS_DE = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
             "November", "Dezember")  # fmt: skip

MAX_VALUES = 50  # per keyword facet: a sidebar, not a dump of the vocabulary


def date_facets(days: Counter, selected: dict[str, str]) -> dict[str, tuple[FacetCount, ...]]:
    """Counts per year, month and day, oldest first, from a count of Berlin days (``YYYY-MM-DD``)."""
    years, months = Counter(), Counter()
    for day, n in days.items():
        years[day[:4]] += n
        months[day[:7]] += n
    return {
        "year": tuple(FacetCount(y, y, n, selected.get("year") == y) for y, n in sorted(years.items())),
        "month": tuple(
            FacetCount(m, f"{MONTHS_DE[int(m[5:7]) - 1]} {m[:4]}", n, selected.get("month") == m)
            for m, n in sorted(months.items())
        ),
        "day": tuple(
            FacetCount(d, f"{d[8:10]}.{d[5:7]}.{d[:4]}", n, selected.get("day") == d) for d, n in sorted(days.items())
        ),
    }


def keyword_facet(counts: Counter, selected: str | None) -> tuple[FacetCount, ...]:
    """Most frequent first, ties alphabetically; the selected value is always listed."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold()))
    top = ranked[:MAX_VALUES]
    wanted = (selected or "").casefold()
    if wanted and all(v.casefold() != wanted for v, _ in top):
        top += [kv for kv in ranked if kv[0].casefold() == wanted]
    return tuple(FacetCount(v, v, n, v.casefold() == wanted) for v, n in top)


def _column_counts(reader, field: str, docnums: Iterable[int], split: str | None = None) -> Counter:
    column = reader.column_reader(field)
    counts = Counter()
    for docnum in docnums:
        value = column[docnum]
        if not value:
            continue
        if split:
            counts.update(v.strip() for v in value.split(split) if v.strip())
        else:
            counts[value] += 1
    return counts


FacetFn = Callable[[object, list[int], dict[str, str]], dict[str, tuple[FacetCount, ...]]]

FACETS: list[FacetFn] = [
    lambda reader, docs, sel: date_facets(_column_counts(reader, f.DAY, docs), sel),
    lambda reader, docs, sel: {"section": keyword_facet(_column_counts(reader, f.SECTION, docs), sel.get("section"))},
    lambda reader, docs, sel: {"topic": keyword_facet(_column_counts(reader, f.TOPIC, docs, ","), sel.get("topic"))},
    lambda reader, docs, sel: {"agency": keyword_facet(_column_counts(reader, f.AGENCY, docs), sel.get("agency"))},
]


def count_facets(reader, docnums: Iterable[int], selected: dict[str, str]) -> dict[str, tuple[FacetCount, ...]]:
    """All registered facets over ``docnums``; ``selected`` maps facet names to the active value."""
    docs = list(docnums)
    facets: dict[str, tuple[FacetCount, ...]] = {}
    for facet in FACETS:
        facets.update(facet(reader, docs, selected))
    return facets
