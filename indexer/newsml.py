"""IPTC NewsML-G2 news items to ``Article`` values. Knows nothing about Whoosh.

A file is one ``newsItem`` or a ``newsMessage`` whose ``itemSet`` holds several
(https://iptc.org/standards/newsml-g2/). What the reader needs sits in three places: ``itemMeta``
(provider, ``versionCreated``, ``firstCreated``), ``contentMeta`` (urgency, located, creator and
``by``, subjects, genre, headlines, descriptions, ``creditline``) and ``contentSet`` (the text, as
XHTML or NITF inside ``inlineXML``, or plain ``inlineData``). The item's ``guid`` and ``version``
attributes identify the story and its version. Parsed with defusedxml, as feeds are (``parse_xml``).
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from indexer.dates import parse_datetime_or_none
from indexer.errors import ArticleParseError
from indexer.feeds import parse_xml
from indexer.html import read_source
from indexer.markup import Fragment, html_text, parse_fragment
from indexer.model import Article, Caption
from indexer.wire import WireItem, urgency_number, version_number, wire_article

OnError = Callable[[str, str], None]

NAR = "{http://iptc.org/std/nar/2006-10-01/}"
NEWSML_ROOTS = frozenset({"newsItem", "newsMessage"})
_LEAD_ROLES = ("summary", "teaser", "abstract", "lead")
# NITF markup renamed to the HTML the body reader knows
_NITF_TAGS = {"hl2": "h2", "media": "figure", "media-caption": "figcaption", "media-producer": "small", "block": "div"}


def parse_newsml(path: str | Path, on_error: OnError) -> list[Article]:
    path = Path(path)
    return parse_newsml_bytes(read_source(path), str(path), on_error)


def parse_newsml_bytes(data: bytes, source_path: str, on_error: OnError) -> list[Article]:
    """The news items of a NewsML-G2 document, in document order.

    Malformed XML, entity declarations and a document without news items raise
    ``ArticleParseError``; one unreadable item of a ``newsMessage`` goes to ``on_error`` (as
    ``path [Meldung n]``) and the others are read.
    """
    root = parse_xml(data, source_path)
    if _local(root.tag) == "newsItem":
        return [_article_or_error(root, source_path)]
    if _local(root.tag) != "newsMessage":
        raise ArticleParseError(source_path, f"keine NewsML-G2-Meldung (Wurzelelement <{_local(root.tag)}>)")
    items = list(root.iter(NAR + "newsItem"))
    if not items:
        raise ArticleParseError(source_path, "newsMessage ohne newsItem")
    articles = []
    for number, item in enumerate(items, start=1):
        try:
            articles.append(_article_or_error(item, source_path))
        except ArticleParseError as err:
            on_error(f"{source_path} [Meldung {number}]", err.reason)
    return articles


def _article_or_error(item: ET.Element, source_path: str) -> Article:
    try:
        return newsml_article(item, source_path)
    except RecursionError as err:  # markup nested thousands deep inside inlineXML
        raise ArticleParseError(source_path, "zu tief verschachteltes XHTML im Text") from err


def newsml_article(item: ET.Element, source_path: str) -> Article:
    meta = item.find(NAR + "itemMeta")
    content_meta = item.find(NAR + "contentMeta")
    if content_meta is None:
        content_meta = ET.Element(NAR + "contentMeta")
    meta = meta if meta is not None else ET.Element(NAR + "itemMeta")
    headlines = sorted(content_meta.findall(NAR + "headline"), key=_rank)
    main = [h for h in headlines if "sub" not in h.get("role", "")]
    sub = [h for h in headlines if "sub" in h.get("role", "")] or [h for h in main if h.get("rank") == "2"]
    descriptions = {_role(d): _text(d) for d in reversed(content_meta.findall(NAR + "description"))}
    content, nitf_head = _content(item.find(NAR + "contentSet"))
    pictures = ()
    if "caption" in descriptions:  # a picture item: its caption, credited by the creditline
        pictures = (Caption(descriptions["caption"], _text(content_meta.find(NAR + "creditline"))),)
    return wire_article(
        WireItem(
            item_id=item.get("guid", ""),
            version=version_number(item.get("version")),
            headline=_text(main[0]) if main else nitf_head.get("hl1", ""),
            subheadline=_text(sub[0]) if sub else nitf_head.get("hl2", ""),
            lead=next((descriptions[r] for r in _LEAD_ROLES if descriptions.get(r)), "") or nitf_head.get("abstract", ""),
            content=content,
            byline=_text(content_meta.find(NAR + "by")) or nitf_head.get("byline", "")
            or ", ".join(_names(content_meta.findall(NAR + "creator"))),
            located=", ".join(_names(content_meta.findall(NAR + "located"))),
            subjects=_names(content_meta.findall(NAR + "subject"), codes_are_no_names=True),
            genres=_names(content_meta.findall(NAR + "genre")),
            urgency=urgency_number(content_meta.findtext(NAR + "urgency")),
            first_created=parse_datetime_or_none(meta.findtext(NAR + "firstCreated")),
            version_created=parse_datetime_or_none(meta.findtext(NAR + "versionCreated")),
            provider=", ".join(_names(meta.findall(NAR + "provider"))),
            pictures=pictures,
        ),
        source_path,
    )


def _content(content_set: ET.Element | None) -> tuple[Fragment, dict[str, str]]:
    """The body as paragraphs, and what a NITF ``body.head`` states (hl1, hl2, byline, abstract)."""
    if content_set is None:
        return Fragment(), {}
    for inline in content_set.findall(NAR + "inlineXML"):
        for node in inline.iter():
            node.tag = _local(node.tag)  # html.parser knows <p>, not <{…xhtml}p>
        nitf = inline.find(".//nitf") if inline.find("nitf") is None else inline.find("nitf")
        if nitf is not None:
            return _nitf(nitf)
        body = inline.find(".//body")
        holder = body if body is not None else inline
        for header in holder.findall("header"):  # dpa repeats headline, kicker and byline there
            holder.remove(header)
        markup = "".join(ET.tostring(child, encoding="unicode") for child in holder)
        if markup.strip():
            return parse_fragment(markup), {}
    for data in content_set.findall(NAR + "inlineData"):
        text = data.text or ""
        if "html" in data.get("contenttype", ""):
            return parse_fragment(text), {}
        return Fragment(paragraphs=tuple(p for p in (" ".join(s.split()) for s in re.split(r"\n\s*\n|\n", text)) if p)), {}
    return Fragment(), {}


def _nitf(nitf: ET.Element) -> tuple[Fragment, dict[str, str]]:
    head = {}
    for name, path in (("hl1", ".//hedline/hl1"), ("hl2", ".//hedline/hl2"), ("byline", ".//byline"),
                       ("abstract", ".//abstract")):
        element = nitf.find(path)
        if element is not None and _text(element):
            head[name] = _text(element)
    content = nitf.find(".//body.content")
    if content is None:
        return Fragment(), head
    for media in content.iter("media"):  # the credit belongs inside the caption, as <small>
        caption, producer = media.find("media-caption"), media.find("media-producer")
        if caption is not None and producer is not None:
            media.remove(producer)
            caption.append(producer)
    for node in content.iter():
        node.tag = _NITF_TAGS.get(node.tag, node.tag)
    return parse_fragment("".join(ET.tostring(child, encoding="unicode") for child in content)), head


def _names(elements: list[ET.Element], codes_are_no_names: bool = False) -> tuple[str, ...]:
    """Concept names: the ``<name>`` child, else a ``literal``. For subjects, a name that only
    repeats the qcode's code (dpa's ``<subject qcode="dpacat:wi"><name>wi</name>``) is no topic."""
    names = []
    for element in elements:
        name = _text(element.find(NAR + "name")) or element.get("literal", "")
        if name and not (codes_are_no_names and name == element.get("qcode", "").rpartition(":")[2]):
            names.append(name)
    return tuple(dict.fromkeys(names))


def _rank(headline: ET.Element) -> int:
    return version_number(headline.get("rank")) or 1


def _role(element: ET.Element) -> str:
    return element.get("role", "").rpartition(":")[2].lower()


def _text(element: ET.Element | None) -> str:
    return html_text(html_escape("".join(element.itertext()))) if element is not None else ""


def html_escape(text: str) -> str:
    """XML text is already unescaped; ``html_text`` would read "&lt;" as markup again."""
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
