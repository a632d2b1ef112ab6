"""RSS 2.0 and Atom feeds to ``Article`` values, one per item. Knows nothing about Whoosh.

Feeds come from other people's servers, so they are parsed with defusedxml: the stdlib parser
expands entity declarations, and a "billion laughs" feed of a few hundred bytes would take
gigabytes. defusedxml refuses entity declarations, which real news feeds never need.

HTML inside ``description``, ``content:encoded`` and Atom ``content`` is read by ``indexer.markup``
the way a page's article body is: paragraphs, subheadings and figure captions. The description (or
Atom summary) is the lead; without one, the first paragraph of the content is.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from indexer.bylines import read_bylines
from indexer.dates import parse_datetime_or_none
from indexer.errors import ArticleParseError
from indexer.html import read_source
from indexer.markup import Fragment, html_text, parse_fragment
from indexer.model import Article
from indexer.parse import document_id, split_title_teaser

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"


def parse_feed(path: str | Path) -> list[Article]:
    """Read one RSS 2.0 or Atom file; see ``parse_feed_bytes``."""
    path = Path(path)
    return parse_feed_bytes(read_source(path), source_path=str(path))


def parse_feed_bytes(data: bytes, source_path: str = "<bytes>") -> list[Article]:
    """The items of an RSS 2.0 or Atom feed as articles, in feed order.

    The XML declaration decides the encoding, as the XML specification says. An item with neither
    a title nor any text is skipped; an item without a title takes the first sentence of its text.
    Raises ``ArticleParseError`` naming ``source_path`` for empty bytes, malformed XML (with line and
    column), entity declarations, or a document that is neither RSS nor Atom.
    """
    if not data.strip():
        raise ArticleParseError(source_path, "die Datei ist leer")
    root = parse_xml(data, source_path)
    if root.tag == "rss":
        channel = root.find("channel")
        entries = channel.findall("item") if channel is not None else []
        articles = (_rss_item(item, source_path) for item in entries)
    elif root.tag == ATOM + "feed":
        articles = (_atom_entry(entry, source_path) for entry in root.findall(ATOM + "entry"))
    else:
        name = root.tag.rpartition("}")[2]
        raise ArticleParseError(source_path, f"weder RSS 2.0 noch Atom (Wurzelelement <{name}>)")
    return [article for article in articles if article is not None]


def parse_xml(data: bytes, source_path: str) -> ET.Element:
    """The root element of untrusted XML (feeds, NewsML-G2); a German reason with line and column
    for XML that is not well-formed, and a refusal of entity declarations."""
    try:
        return SafeET.fromstring(data)
    except ET.ParseError as err:
        line, column = err.position
        # expat counts columns from 0; editors count from 1.
        raise ArticleParseError(source_path, f"kein gültiges XML (Zeile {line}, Spalte {column + 1})") from err
    except DefusedXmlException as err:
        raise ArticleParseError(
            source_path, "enthält Entity-Deklarationen, die aus Sicherheitsgründen nicht gelesen werden"
        ) from err


def _rss_item(item: ET.Element, source_path: str) -> Article | None:
    content = item.findtext(CONTENT + "encoded") or ""
    guid = item.find("guid")
    url = (item.findtext("link") or "").strip()
    if not url and guid is not None and guid.get("isPermaLink", "true").lower() != "false":
        url = (guid.text or "").strip()  # RSS 2.0: a permalink guid is the item's address
    return _article(
        source_path,
        # Titles are plain text by the spec, yet feeds routinely escape entities twice ("&amp;quot;").
        title=html_text(item.findtext("title") or ""),
        summary=html_text(item.findtext("description") or ""),
        content=parse_fragment(content) if content.strip() else Fragment(),
        url=url if url.startswith(("http://", "https://")) else "",
        published=parse_datetime_or_none(item.findtext("pubDate") or item.findtext(DC + "date")),
        topics=[c.text or "" for c in item.findall("category")] + [s.text or "" for s in item.findall(DC + "subject")],
        authors=[_rss_author(e.text or "") for e in item.findall(DC + "creator") or item.findall("author")],
    )


def _atom_entry(entry: ET.Element, source_path: str) -> Article | None:
    links = [link for link in entry.findall(ATOM + "link") if link.get("rel", "alternate") == "alternate"]
    content = entry.find(ATOM + "content")
    return _article(
        source_path,
        title=html_text(_atom_markup(entry.find(ATOM + "title"))),
        summary=html_text(_atom_markup(entry.find(ATOM + "summary"))),
        content=parse_fragment(_atom_markup(content)) if content is not None else Fragment(),
        url=(links[0].get("href") or "").strip() if links else "",
        published=parse_datetime_or_none(entry.findtext(ATOM + "published") or entry.findtext(ATOM + "updated")),
        topics=[c.get("label") or c.get("term") or "" for c in entry.findall(ATOM + "category")],
        authors=[a.findtext(ATOM + "name") or "" for a in entry.findall(ATOM + "author")],
    )


def _article(
    source_path: str, *, title: str, summary: str, content: Fragment, url: str,
    published: datetime | None, topics: list[str], authors: list[str],
) -> Article | None:
    body = list(content.paragraphs)
    lead = summary or (body.pop(0) if body else "")
    if not title and not lead:
        return None
    if not title:
        title, _ = split_title_teaser(lead)
    byline = read_bylines(*map(html_text, authors))
    return Article(
        id=document_id(title, published, url),
        title=title,
        url=url,
        topics=_unique(topics),
        lead=lead,
        body=tuple(p for p in body if p != lead),
        subheadings=content.subheadings,
        captions=content.captions,
        published=published,
        agency=byline.agency,
        source_path=source_path,
        author=byline.author,
    )


def _atom_markup(element: ET.Element | None) -> str:
    """An Atom text construct as HTML: ``type="text"`` is escaped, ``"xhtml"`` is serialised."""
    if element is None or element.get("src"):
        return ""
    kind = element.get("type", "text")  # RFC 4287 also allows MIME types
    if kind in ("xhtml", "application/xhtml+xml"):
        for node in element.iter():
            node.tag = node.tag.rpartition("}")[2]  # html.parser knows <p>, not <{…xhtml}p>
        return "".join(ET.tostring(child, encoding="unicode") for child in element)
    text = element.text or ""
    return text if kind in ("html", "text/html") else text.replace("&", "&amp;").replace("<", "&lt;")


def _rss_author(value: str) -> str:
    """RSS ``author`` is an e-mail address, often with the name in brackets: ``a.weber@… (Anna Weber)``."""
    value = value.strip()
    if "@" in value and "(" in value and value.endswith(")"):
        return value[value.index("(") + 1 : -1]
    return value


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in (html_text(v) for v in values) if v))
