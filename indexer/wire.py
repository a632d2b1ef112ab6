"""What ninjs and NewsML-G2 items have in common: one ``Article`` built from an agency item's parts.

``indexer/ninjs.py`` and ``indexer/newsml.py`` only find the parts in their format; the rules for
turning parts into an article (which text is the lead, how a byline becomes names, which id the
item gets) live here, so the two formats cannot drift apart. Knows nothing about Whoosh.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from indexer.bylines import read_bylines
from indexer.errors import ArticleParseError
from indexer.markup import Fragment, html_text
from indexer.model import Article, Caption
from indexer.parse import split_title_teaser
from indexer.versions import item_document_id


@dataclass(frozen=True, slots=True)
class WireItem:
    """The parts of one agency item, as its format states them; empty where it states nothing."""

    item_id: str
    version: int = 0
    headline: str = ""
    subheadline: str = ""
    lead: str = ""
    content: Fragment = Fragment()
    byline: str = ""
    located: str = ""
    subjects: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    urgency: int = 0
    first_created: datetime | None = None
    version_created: datetime | None = None
    provider: str = ""
    pictures: tuple[Caption, ...] = ()
    url: str = ""


def wire_article(item: WireItem, source_path: str) -> Article:
    """The article of one agency item.

    The lead is the item's description (summary, teaser), else its subheadline, else the first
    paragraph; a subheadline that is not the lead becomes the first subheading. The publication
    time is the time this version was created: the newest version of a story sorts by its update.
    Raises ``ArticleParseError`` for an item with no id or no text at all.
    """
    if not item.item_id.strip():
        raise ArticleParseError(source_path, "Meldung ohne Kennung (guid/uri): Fassungen ließen sich nicht zuordnen")
    body = list(item.content.paragraphs)
    subheadings = list(item.content.subheadings)
    lead = item.lead or item.subheadline or (body.pop(0) if body else "")
    if item.subheadline and item.subheadline != lead:
        subheadings.insert(0, item.subheadline)
    title = item.headline
    if not title and not lead:
        raise ArticleParseError(source_path, f"Meldung {item.item_id} hat weder Überschrift noch Text")
    if not title:
        title, _ = split_title_teaser(lead)
    return Article(
        id=item_document_id(item.item_id),
        title=title,
        url=item.url,
        topics=_unique(item.subjects),
        lead=lead,
        body=tuple(p for p in body if p != lead),
        subheadings=tuple(subheadings),
        captions=_unique_captions(item.content.captions + item.pictures),
        published=item.version_created or item.first_created,
        agency=item.provider,
        source_path=source_path,
        author=byline_names(item.byline),
        item_id=item.item_id.strip(),
        version=item.version,
        urgency=item.urgency,
        genre=", ".join(_unique(item.genres)),
        located=item.located,
        first_created=item.first_created or item.version_created,
    )


def byline_names(byline: str) -> tuple[str, ...]:
    """The people in a byline, in its order: ``"Von Anna Weber und Jan Petersen, dpa"`` gives
    ``("Anna Weber", "Jan Petersen")``; agency names are not people."""
    # A bracket holds an agency or a place ("(AFP)", "(Berlin)"), never a further person.
    return read_bylines(re.sub(r"\([^)]*\)", ",", html_text(byline))).author


def version_number(value) -> int:
    """ninjs writes ``"version": "2"``, NewsML-G2 ``version="2"``; anything else counts as no version."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return 0
    return number if number > 0 else 0


def urgency_number(value) -> int:
    """IPTC urgency is 1 to 9; other values are not an urgency."""
    number = version_number(value)
    return number if 1 <= number <= 9 else 0


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in (html_text(v or "") for v in values) if v))


def _unique_captions(captions: Iterable[Caption]) -> tuple[Caption, ...]:
    """A picture described both in the body's ``<figure>`` and as an association is one caption,
    with the credit of whichever names one (an association usually does, a figure not always)."""
    seen: dict[str, Caption] = {}
    for caption in captions:
        if caption.text and not (caption.text in seen and seen[caption.text].credit):
            seen[caption.text] = caption
    return tuple(seen.values())
