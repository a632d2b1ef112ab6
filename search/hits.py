"""A stored document as a result-list entry: what every shard's fetch step builds.

Kept apart from ``search/documents.py`` so that a backend can build hits without importing the
document pages' code, which itself asks the backend (no import cycle).
"""
from __future__ import annotations

from datetime import datetime

from indexer import schema as f
from indexer.dates import from_utc
from indexer.model import ARTICLE
from search.highlight import make_snippet
from search.results import Hit


def stored_hit(stored: dict, score: float, matchers=()) -> Hit:
    """A stored document as a result-list entry: the search page's and the similar list's.

    The snippet is the best passage of lead and body for ``matchers`` (``search/highlight.py``),
    without any the opening of the lead or body.
    """
    parents = split_field(stored.get(f.PARENTS), ",")
    return Hit(
        id=stored[f.ID],
        kind=stored.get(f.KIND, ARTICLE),
        title=stored.get(f.TITLE, ""),
        published=published_of(stored),
        section=stored.get(f.SECTION) or "",
        topics=split_field(stored.get(f.TOPIC), ","),
        agency=stored.get(f.AGENCY) or "",
        author=split_field(stored.get(f.AUTHOR), ","),
        publisher=stored.get(f.PUBLISHER) or "",
        snippet=make_snippet([stored.get(f.LEAD) or "", stored.get(f.BODY) or ""], list(matchers)),
        score=score,
        parent_id=parents[0] if parents else None,
        url=stored.get(f.URL) or "",
    )


def published_of(stored: dict) -> datetime | None:
    published = stored.get(f.PUBLISHED)
    return from_utc(published) if published else None


def split_field(value: str | None, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(separator) if part.strip())
