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
    agency: str = ""  # the news agency whose copy this is ("dpa"), never a person
    source_path: str = ""
    related: tuple[RelatedItem, ...] = ()
    author: tuple[str, ...] = ()  # the people who wrote it, one name each, in byline order
    publisher: str = ""  # the newspaper, broadcaster or site that published it
    # Agency items (ninjs, NewsML-G2) carry an id of their own and a version; all versions of one
    # story share ``item_id`` (and so ``id``), and the index keeps only the highest version.
    item_id: str = ""  # the agency's guid or uri
    version: int = 0  # 0: not an agency item, or one that states no version
    urgency: int = 0  # IPTC urgency, 1 (most urgent) to 9; 0: not stated
    genre: str = ""  # the agency's genre names, comma-separated: "Eilmeldung", "Zusammenfassung"
    located: str = ""  # where the story was reported from ("Berlin")
    first_created: datetime | None = None  # when the first version of the story was created


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
    superseded: int = 0  # agency items older than the version the index holds: ignored
    undated: int = 0  # articles indexed without a publication date: searchable, but in no date facet
    failures: tuple[Failure, ...] = field(default_factory=tuple)
    skipped: tuple[Failure, ...] = ()  # files in the given directories that hold no articles we read, with why
    bulk: bool = False  # written by the bulk writer (a large batch, or --full): committed once, at the end
