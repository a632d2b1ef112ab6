"""The article model every parser produces and every later stage consumes.

The fields follow what real news pages carry; ``sample_data/`` shows all of them in one dpa article.
Dates are timezone-aware: a parser that cannot tell the zone reads the time as Europe/Berlin.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ARTICLE = "article"
RELATED = "related"


@dataclass(frozen=True, slots=True)
class Caption:
    text: str
    credit: str = ""


@dataclass(frozen=True, slots=True)
class RelatedItem:
    """An entry of a page's "Weitere Meldungen" list; indexed as a document of its own."""

    id: str
    title: str
    teaser: str = ""
    section: str = ""
    published: datetime | None = None
    url: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    url: str = ""
    topics: tuple[str, ...] = ()
    lead: str = ""
    body: tuple[str, ...] = ()
    subheadings: tuple[str, ...] = ()
    captions: tuple[Caption, ...] = ()
    published: datetime | None = None
    section: str = ""
    agency: str = ""
    source_path: str = ""
    related: tuple[RelatedItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Failure:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What one indexing run did; the CLI prints it and derives the exit code from ``failures``."""

    articles: int = 0
    related: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    undated: int = 0  # articles indexed without a publication date: searchable, but in no date facet
    failures: tuple[Failure, ...] = field(default_factory=tuple)
    skipped: tuple[str, ...] = ()  # files in the given directories of no format we read
    bulk: bool = False  # written by the bulk writer (a large batch, or --full): committed once, at the end
