"""Saved HTML news pages to ``Article`` values. Knows nothing about Whoosh.

Finding an article's text among navigation, adverts, teasers and paywall boxes is a problem of its
own with its own benchmarks; trafilatura (with htmldate for dates) solves it better than page rules
of ours did (bench/README.md, "HTML extraction"). It gives the main text, title, day and author.
Around it we keep what it does not do and a news index needs:

- what the page says about itself for machines (``indexer/structured.py``): section, keywords as
  topics, publisher, agency, the exact publication time, and JSON-LD ``articleBody``, taken when it
  is fuller than the extracted text (teaser and paywall pages);
- from the markup (``indexer/markup.py``): "Weitere Meldungen" as related items of their own,
  figure captions with their photo credits (kept out of the body), the headline without its kicker;
- the encodings German pages come in (``decode_html``).
"""
from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bs4.dammit import EncodingDetector, UnicodeDammit

from indexer.bylines import Byline, read_bylines
from indexer.dates import berlin_day, parse_datetime_or_none
from indexer.errors import ArticleParseError
from indexer.markup import (
    first_datetime, make_soup, page_captions, page_headings, promote_article_asides, take_related, visible_headline,
)
from indexer.model import Article
from indexer.paragraphs import split_paragraphs
from indexer.parse import document_id
from indexer.structured import Structured, clean, read_structured

if TYPE_CHECKING:
    from lxml.etree import _Element

# "Mainz (epd) - Die Landesregierung …": German agency copy names its agency in the dateline.
_DATELINE = re.compile(r"^[A-ZÄÖÜ][^()]{0,60}?\((?P<agency>[A-Za-z]{2,8}(?:/[A-Za-z]{2,8})*)\)\s*[-–—]\s")
# Lines of the article block that are about the article, not of it.
_STAMP = re.compile(r"^(?:stand|aktualisiert|veröffentlicht|erstellt|zuletzt aktualisiert)\s*(?:am)?\s*:?\s*\d", re.I)
# "Read more: Looted colonial art", "Lesen Sie auch: …": a link to another story set between paragraphs.
_CROSS_LINK = re.compile(r"^(?:read more|see also|lesen sie (?:auch|mehr|hier)|mehr (?:zum thema|dazu)|"
                         r"auch interessant|siehe auch)\s*:", re.I)
# "Von Anna Weber und Jonas Klein, NDR": only capitalised names after "Von", so a sentence that
# starts with the word ("Von Montag an gilt …") stays text.
_NAME = r"[A-ZÄÖÜ][\w.'-]*"
_BYLINE = re.compile(
    rf"^(?:[Vv]on|[Bb]y|Text|Autor(?:in)?)\s*:?\s+{_NAME}(?:\s+{_NAME})*(?:\s*(?:,|und|&|and)\s*{_NAME}(?:\s+{_NAME})*)*$"
)
_DOMAIN = re.compile(r"\w\.[a-z]{2,}\b")  # "tagesschau.de" as an author is the site again
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True, slots=True)
class _Extracted:
    """What trafilatura made of a page, as our types."""

    title: str = ""
    date: str = ""  # "YYYY-MM-DD HH:MM" from htmldate, "00:00" when it found the day only
    author: str = ""  # "Anna Weber; Jonas Klein"
    paragraphs: tuple[str, ...] = ()
    subheadings: tuple[str, ...] = ()
    bylines: tuple[str, ...] = ()  # "Von Anna Weber, NDR" lines taken out of the text


def parse_html(path: str | Path) -> Article:
    """Read one saved HTML page as an ``Article``; see ``parse_html_bytes``."""
    path = Path(path)
    return parse_html_bytes(read_source(path), source_path=str(path))


def parse_html_bytes(data: bytes, source_path: str = "<bytes>") -> Article:
    """Parse the bytes of an HTML news page.

    Raises ``ArticleParseError`` naming ``source_path`` when the bytes are empty or binary, or the page
    holds neither a headline nor any text (a download cut off inside ``<head>``).
    """
    markup = decode_html(data, source_path)
    soup = make_soup(markup)
    info = read_structured(soup)
    related = take_related(soup, info.url)
    promoted = promote_article_asides(soup)
    figure_captions = page_captions(soup)  # takes the figures out of the page as it reads them
    captions = info.captions or figure_captions
    # trafilatura is told to leave figures out (their captions are ours, credits apart). A related
    # list's dates are not the article's, so the page goes without it, written out anew (~20 ms a
    # page) only then.
    extracted = _extract(str(soup) if related or promoted else markup, info.url)

    # The headline as the page shows it; else as it tells machines (JSON-LD, og:title), which keeps
    # a kicker less often than trafilatura's title (bench/README.md, "HTML extraction").
    title = visible_headline(soup, info.headline, extracted.title) or _strip_site(
        info.headline or extracted.title or (clean(soup.title.get_text()) if soup.title else ""), info.site
    )
    # On a page it cannot make out, trafilatura hands back all text as lines: a line that is a
    # headline or heading on the page is no body text, nor is a caption, a credit or a related title.
    headings = page_headings(soup)
    aside = {c.text for c in captions} | {c.credit for c in captions} | {title} | {i.title for i in related}
    aside |= headings.headlines
    body = [p for p in extracted.paragraphs if p not in aside and p not in headings.subheadings]
    subheadings = [*extracted.subheadings, *(p for p in extracted.paragraphs if p in headings.subheadings)]
    # Teaser and paywall pages show a paragraph or two and carry the whole text in JSON-LD only.
    structured_body = split_paragraphs(info.article_body)
    if structured_body and len(" ".join(structured_body)) >= len(" ".join(body)):
        body = structured_body
    lead = info.description
    if not lead or body and body[0].startswith(lead.rstrip(" .…")):
        lead = body.pop(0) if body else lead  # the description was the first paragraph, cut short
    body = [p for p in body if p != lead]
    if not title:
        reason = "keine Überschrift gefunden" if lead or body else (
            "kein Artikelinhalt gefunden (weder Überschrift noch Text), die Seite ist leer oder abgeschnitten"
        )
        raise ArticleParseError(source_path, reason)

    byline = _byline(info, extracted)
    dateline = _DATELINE.match(lead) or (_DATELINE.match(body[0]) if body else None)
    published = _published(extracted.date, info.dates)
    return Article(
        id=document_id(title, published, info.url),
        title=title,
        url=info.url,
        topics=info.topics,
        lead=lead,
        body=tuple(body),
        subheadings=tuple(dict.fromkeys(h for h in subheadings if h not in aside)),
        captions=captions,
        published=published,
        section=info.section,
        agency=byline.agency or (dateline.group("agency") if dateline else ""),
        source_path=source_path,
        related=related,
        author=byline.author,
        publisher=info.publisher,
    )


def read_source(path: Path) -> bytes:
    """The bytes of a file to parse; the size limit is checked by the caller before."""
    try:
        return path.read_bytes()
    except OSError as err:
        raise ArticleParseError(path, f"nicht lesbar ({err.strerror or err})") from err


def decode_html(data: bytes, source_path: str = "<bytes>") -> str:
    """The text of an HTML page, whatever its ``<meta charset>`` claims.

    Bytes that are valid UTF-8 are UTF-8: text in a single-byte code page that happens to be valid
    UTF-8 would have to contain sequences like "Ã¤", which German text does not. Otherwise a page
    that is mostly UTF-8 with a few pasted Windows-1252 characters is repaired with bs4's
    ``detwingle``; the rest is read in the declared single-byte encoding, where ``iso-8859-1`` and a
    lying ``utf-8`` both mean Windows-1252, as browsers read them (it adds „ “ – € to Latin-1).
    """
    if not data.strip():
        raise ArticleParseError(source_path, "die Datei ist leer")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return unicodedata.normalize("NFC", data[len(bom):].decode(codec, errors="replace"))
    if b"\x00" in data[:8192]:
        raise ArticleParseError(source_path, "keine Textdatei (enthält Binärdaten)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8_chars = len(_UTF8_SEQUENCE.findall(data))
        strays = len(_HIGH_BYTE.findall(_UTF8_SEQUENCE.sub(b"", data)))
        if utf8_chars > strays:
            text = UnicodeDammit.detwingle(data).decode("utf-8", errors="replace")
        else:
            text = data.decode(_single_byte_codec(EncodingDetector.find_declared_encoding(data, is_html=True)),
                               errors="replace")
    return unicodedata.normalize("NFC", text)


def _single_byte_codec(declared: str | None) -> str:
    try:
        name = codecs.lookup(declared).name if declared else ""
    except LookupError:
        name = ""
    if not name or name.startswith("utf") or name in ("ascii", "iso8859-1"):
        return "cp1252"
    return name


def _extract(markup: str, url: str) -> _Extracted:
    """trafilatura's reading of the page: its main text as paragraphs and subheadings.

    Comments are no article text. Lines it keeps within one block (``<br>`` in a ``<div>``, as
    spiegel.de sets its text) go through ``split_paragraphs`` like every other running text.
    """
    # Imported here: it takes about half a second, which every `newsearch query` and server start
    # would pay, though only indexing HTML pages needs it.
    import trafilatura
    from trafilatura.settings import set_date_params

    doc = trafilatura.bare_extraction(markup, url=url or None, with_metadata=True, include_comments=False,
                                      prune_xpath="//figure",
                                      # htmldate as trafilatura calls it, with the time of day where there is one
                                      date_extraction_params={**set_date_params(), "outputformat": "%Y-%m-%d %H:%M"})
    if doc is None:
        return _Extracted()
    paragraphs: list[str] = []
    subheadings: list[str] = []
    bylines: list[str] = []
    for element in doc.body if doc.body is not None else ():
        if element.tag == "head":
            heading = clean(_element_text(element))
            if heading and element.get("rend") != "h1":
                subheadings.append(heading)
            continue
        items = element.findall(".//item") if element.tag == "list" else [element]
        for item in items:
            for paragraph in split_paragraphs(_element_text(item)):
                if _STAMP.match(paragraph) or _CROSS_LINK.match(paragraph):
                    continue
                if _BYLINE.match(paragraph):
                    bylines.append(paragraph)
                    continue
                paragraphs.append(paragraph)
    return _Extracted(
        title=clean(doc.title or ""), date=doc.date or "", author=doc.author or "",
        paragraphs=tuple(paragraphs), subheadings=tuple(subheadings), bylines=tuple(bylines),
    )


def _element_text(element: _Element) -> str:
    """An extracted element's text with its line breaks (``<lb/>``) as newlines."""
    parts = []
    for node in element.iter():
        if node.tag == "lb":
            parts.append("\n")
        elif node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _byline(info: Structured, extracted: _Extracted) -> Byline:
    """Authors from the page's structured data, else its byline line, else trafilatura's guess;
    a "person" that is the publisher again ("Tagesschau De") is none."""
    own = {_alnum(info.publisher), _alnum(info.site)} - {""}
    for source in (info.byline, read_bylines(*extracted.bylines), read_bylines(*extracted.author.split(";"))):
        people = tuple(name for name in source.author if _alnum(name) not in own and not _DOMAIN.search(name))
        if people or source.agency:
            return Byline(people, source.agency or info.byline.agency)
    return Byline((), info.byline.agency)


def _published(found: str, structured: tuple[str, ...]) -> datetime | None:
    """The publication time: htmldate's, to the minute and with its offset where the page's own
    stamp (JSON-LD, meta) falls on the same day.

    htmldate reads dates our structured sources lack (``itemprop`` spans, ``<time>``, a WebPage
    node, the URL) and prefers the original date over a later change; its time has no offset.
    """
    stamped = first_datetime(*structured)
    if stamped is None and any(value.strip() for value in structured):
        # The page states its date and no stated value is one ("2020-02-30", "2020"): htmldate
        # would only guess from that same value (1 January), so the page stays undated (issue 15).
        return None
    when = parse_datetime_or_none(found) if found else None
    if when is None:
        return stamped
    if stamped is not None and berlin_day(stamped) == berlin_day(when):
        return stamped
    return when


def _alnum(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


def _strip_site(title: str, site: str) -> str:
    """ "Bahn saniert Brücken | Rheinkurier" without the portal's name, when we know it."""
    if site:
        title = re.sub(rf"\s*[|–—:-]\s*{re.escape(site)}$", "", title)
    return title
