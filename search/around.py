"""An article opened from a result list: where it stood, its neighbours, the words to mark.

The result page links each hit with the search's state and its rank (``hit=3``), so the article
page can lead back to the same result page and on to the hits before and after, and mark the
words searched for. The neighbours are found by asking the same search (``run_query``) for one
hit at that rank, so they are what the result pages list, in the same order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from search.query import SearchRequest, query_matchers, run_query
from search.results import Hit

MAX_RANK = 100_000  # as far as an export goes; a result page lists at most page 1000 of 100


@dataclass(frozen=True, slots=True)
class HitContext:
    """The search an article was opened from."""

    request: SearchRequest
    rank: int | None  # 1-based place in the result list; None when the link did not say
    total: int
    previous: Hit | None
    next: Hit | None
    matchers: list  # (analyzer, terms) pairs for search/highlight.mark_text

    @property
    def result_page(self) -> int:
        """The result page that lists this hit (page 1 when the rank is unknown)."""
        return 1 if self.rank is None else (self.rank - 1) // self.request.per_page + 1


def hit_context(searcher, request: SearchRequest, rank: int | None) -> HitContext:
    """The neighbours of the hit at ``rank`` of ``request`` and what marks its words."""
    one = replace(request, per_page=1, facets=False, suggest=False)

    def at(place: int) -> tuple[Hit | None, int]:
        result = run_query(searcher, replace(one, page=place))
        return (result.hits[0] if result.hits else None), result.total

    previous = at(rank - 1)[0] if rank and rank > 1 else None
    following, total = at(rank + 1) if rank else (None, run_query(searcher, replace(one, page=1)).total)
    return HitContext(request, rank, total, previous, following, query_matchers(searcher, request))


def rank_from(value: str | None) -> int | None:
    """``hit=3`` from a link; anything else is no rank (an edited link still shows the article)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_RANK else None
