"""What an article and a related item become in the index: their Whoosh fields.

Absent values are left out, as Whoosh wants; the unstored ``exact`` and ``parts`` fields are
derived from the stored text, so a document read back can be written again.
"""
from __future__ import annotations

import hashlib

from indexer import schema as f
from indexer.analysis import compound_terms
from indexer.dates import berlin_day, to_utc
from indexer.model import ARTICLE, RELATED, Article, RelatedItem
from indexer.versions import version_of, with_version

def article_document(article: Article, counted_as_text: bool = False) -> dict:
    """The Whoosh fields of an article; absent values are left out, as Whoosh wants.

    ``exact`` is all the text (it has positions, for quoted phrases); ``parts`` is handed over as a
    ready term list (Whoosh's own writer would run one more analyzer chain), or with
    ``counted_as_text`` as the text itself, for the bulk writer, whose build processes analyse it
    in parallel, reusing the analysis of the other fields.
    """
    doc = {
        f.ID: article.id,
        f.KIND: ARTICLE,
        f.TITLE: article.title,
        f.TOPICS: ", ".join(article.topics),
        f.TOPIC: ",".join(article.topics),
        f.LEAD: article.lead,
        f.BODY: "\n\n".join(article.body),
        f.SUBHEADINGS: "\n".join(article.subheadings),
        f.CAPTIONS: "\n".join(c.text for c in article.captions),
        f.CREDITS: [c.credit for c in article.captions],
        f.SECTION: article.section,
        f.AGENCY: article.agency,
        # Names are joined with commas, so a comma inside one ("Weber, Anna") would split it in two.
        f.AUTHOR: ",".join(name.replace(",", " ") for name in article.author),
        f.PUBLISHER: article.publisher,
        f.SOURCE: article.source_path,
        f.URL: article.url,
        f.RELATED_IDS: [item.id for item in article.related],
        **page_field(article.url),
    }
    if article.item_id:
        doc.update(_item_fields(article))
    searchable = searchable_text(doc)
    doc[f.EXACT] = searchable
    doc[f.PARTS] = searchable if counted_as_text else compound_terms(searchable)
    doc.update(_date_fields(article.published))
    return doc


def _item_fields(article: Article) -> dict:
    """An agency item's own fields; its list of versions seen so far is only this one."""
    fields = {
        f.ITEM_ID: article.item_id,
        f.VERSION: article.version,
        f.URGENCY: article.urgency,
        f.GENRE: article.genre,
        f.LOCATED: article.located,
        f.VERSIONS: with_version([], version_of(article)),
    }
    if article.first_created is not None:
        fields[f.FIRST_CREATED] = to_utc(article.first_created)
    return fields


def searchable_text(doc: dict) -> str:
    """All searchable text of an article document, for the unstored ``exact`` and ``parts`` fields."""
    return "\n".join(filter(None, (doc.get(f.TITLE), doc.get(f.TOPICS), doc.get(f.LEAD), doc.get(f.SUBHEADINGS),
                                  doc.get(f.BODY), doc.get(f.CAPTIONS))))


def related_document(item: RelatedItem, parents: list[str]) -> dict:
    """A related item as a document of its own: its teaser is searched like an article's lead."""
    doc = {
        f.ID: item.id,
        f.KIND: RELATED,
        f.TITLE: item.title,
        f.LEAD: item.teaser,
        f.SECTION: item.section,
        f.PARENTS: ",".join(parents),
        f.URL: item.url,
        **page_field(item.url),
    }
    doc.update(_related_searchable(item.title, item.teaser))
    doc.update(_date_fields(item.published))
    return doc


def _related_searchable(title: str, teaser: str) -> dict:
    """The unstored fields of a related item, derived from what is stored, so a rewrite keeps them."""
    text = f"{title}\n{teaser}"
    return {f.EXACT: text, f.PARTS: compound_terms(text)}


def stored_to_fields(stored: dict) -> dict:
    """A stored related item as fields to write again; its unstored fields are derived anew."""
    fields = {k: v for k, v in stored.items() if v not in (None, "")}
    fields.update(_related_searchable(stored.get(f.TITLE, ""), stored.get(f.LEAD, "")))
    fields.update(page_field(stored.get(f.URL)))
    return fields


def page_field(url: str | None) -> dict:
    """The ``page`` column of a document at ``url``: the parts of one page fed as documents of their
    own (a Wikipedia article's passages, a live blog's entries) carry the page's address, each with
    a ``#`` fragment of its own, so the page is the address up to ``#`` (search/context.py). Its
    first 8 bytes of BLAKE2b, never 0, which is a document without address. Empty without one.

    >>> page_field("https://de.wikipedia.org/wiki/Warschau#s1") == page_field("https://de.wikipedia.org/wiki/Warschau#s2")
    True
    """
    page = (url or "").partition("#")[0].strip()
    if not page:
        return {}
    key = int.from_bytes(hashlib.blake2b(page.encode("utf-8"), digest_size=8).digest(), "big")
    return {f.PAGE: key or 1}


def _date_fields(published) -> dict:
    if published is None:
        return {}
    return {f.PUBLISHED: to_utc(published), f.DAY: berlin_day(published)}
