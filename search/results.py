"""The values a search returns, and the one JSON shape built from them.

The API (``web/api.py``) and ``newsearch query --json`` both call ``result_to_json``, so they
cannot drift apart.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Snippet:
    """A passage as (text, matched) pieces; ``search/highlight.py`` renders it as escaped HTML."""

    parts: tuple[tuple[str, bool], ...] = ()

    @property
    def text(self) -> str:
        return "".join(text for text, _ in self.parts)

    def html(self) -> str:
        """Escaped text with ``<mark>`` around matches: escaping first, so text cannot inject markup."""
        return "".join(f"<mark>{html.escape(t)}</mark>" if hit else html.escape(t) for t, hit in self.parts)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Another version of a hit's story, folded under it (``search/whoosh/folding.py``)."""

    id: str
    title: str
    published: datetime | None  # Europe/Berlin
    source: str  # the outlet


@dataclass(frozen=True, slots=True)
class Hit:
    id: str
    kind: str
    title: str
    published: datetime | None  # Europe/Berlin
    section: str
    topics: tuple[str, ...]
    agency: str
    author: tuple[str, ...]
    publisher: str  # the outlet, as the source writes it ("tagesspiegel.de")
    snippet: Snippet
    score: float
    parent_id: str | None
    url: str = ""
    duplicates: tuple[Duplicate, ...] = ()  # near-duplicates folded under this hit, fullest first


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    total: int
    page: int
    per_page: int
    facets: dict[str, tuple[FacetCount, ...]]
    suggestion: str | None = None
    messages: tuple[str, ...] = ()  # what was wrong with the query and how it was read instead
    notice: str | None = None  # how the search was widened, e.g. from all words to some

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def histogram(self) -> tuple[str, tuple[FacetCount, ...]]:
        """The date facet whose granularity suits the spread of the hits, for a bar chart."""
        granularity = histogram_granularity(self.facets)
        return granularity, self.facets.get(granularity, ())


def histogram_granularity(facets: dict[str, tuple[FacetCount, ...]]) -> str:
    """Years for a wide spread of hits, days for a narrow one, months in between."""
    days = facets.get("day") or ()
    if not days:
        return "day"
    first, last = date.fromisoformat(days[0].value), date.fromisoformat(days[-1].value)
    span = (last - first).days
    return "year" if span > 3 * 366 else "month" if span > 92 else "day"


def hit_to_json(hit: Hit) -> dict:
    return {
        "id": hit.id,
        "kind": hit.kind,
        "title": hit.title,
        "published": hit.published.isoformat() if hit.published else None,
        "section": hit.section or None,
        "topics": list(hit.topics),
        "author": list(hit.author),
        "publisher": hit.publisher or None,
        "snippet": hit.snippet.html(),
        "score": round(hit.score, 4),
        "parent_id": hit.parent_id,
        "duplicates": [
            {"id": d.id, "title": d.title, "published": d.published.isoformat() if d.published else None,
             "source": d.source or None}
            for d in hit.duplicates
        ],
    }


def result_to_json(result: SearchResult) -> dict:
    """The JSON object of ``GET /api/search`` and ``newsearch query --json``."""
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "hits": [hit_to_json(h) for h in result.hits],
        "facets": {
            name: [{"value": c.value, "count": c.count} for c in counts] for name, counts in result.facets.items()
        },
        "suggestion": result.suggestion,
        "messages": list(result.messages),
        "notice": result.notice,
        "histogram": {
            "granularity": result.histogram[0],
            "buckets": [{"value": c.value, "count": c.count} for c in result.histogram[1]],
        },
    }
