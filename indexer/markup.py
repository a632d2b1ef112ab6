"""The news knowledge we keep around the extractor: what a page's markup says that trafilatura drops.

trafilatura finds an article's main text; it keeps no photo credits, no "Weitere Meldungen" list and
no headline without its kicker. These readers take those from the markup (BeautifulSoup), and read
HTML snippets (a feed's ``content:encoded``) the way an article body is read.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from indexer.dates import parse_datetime_or_none
from indexer.model import Caption, RelatedItem
from indexer.paragraphs import split_paragraphs
from indexer.parse import document_id
from indexer.structured import clean

_RELATED_HEADING = re.compile(
    r"^(?:weitere (?:meldungen|nachrichten|artikel)|mehr zum thema|mehr aus dem ressort|ähnliche artikel"
    r"|das könnte sie auch interessieren|lesen sie auch|auch interessant)\s*:?$",
    re.I,
)
_DROPPED_TAGS = ["script", "style", "noscript", "template", "svg", "button", "form", "iframe"]
_BLOCK_TAGS = frozenset(["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header",
                         "footer", "figcaption", "blockquote", "td", "th", "dt", "dd"])
_CREDIT_CLASS = re.compile(r"credit|copyright|quelle|source", re.I)
_SECTION_CLASS = re.compile(r"section|ressort|kicker|category|rubrik", re.I)
# The line above a headline ("Klimaschutz", "Interne Unterlagen im Netz"), set in the <h1> itself.
_KICKER_CLASS = re.compile(r"kicker|dachzeile|topline|overline|roofline|sub-?heading|eyebrow|spitzmarke|"
                           r"visually-hidden|sr-only", re.I)
_CREDIT_KIND = r"(?:Foto|Fotos|Bild|Bilder|Grafik|Illustration|Video)\s*:\s*"
_CREDIT_SUFFIX = re.compile(rf"(?:\s+[-–—|]\s+|\s*\(|\s+){_CREDIT_KIND}(?P<credit>[^()]+?)\)?$")
_CREDIT_PREFIX = re.compile(rf"^(?:{_CREDIT_KIND}|Quelle\s*:\s*|©\s*)", re.I)
_ARTICLE_CHARS = 500  # running text in an <aside> below this is a sidebar's, whatever its share
# Figures of an article: not the teaser cards of other stories (links) nor page chrome.
_CHROME = ["nav", "aside", "footer", "header", "a"]


@dataclass(frozen=True, slots=True)
class Headings:
    """The texts of a page's headline elements (``<h1>``) and of its other headings."""

    headlines: frozenset[str] = frozenset()
    subheadings: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Fragment:
    """The readable parts of an HTML element or snippet, in document order."""

    paragraphs: tuple[str, ...] = ()
    subheadings: tuple[str, ...] = ()
    captions: tuple[Caption, ...] = ()


def make_soup(markup: str) -> BeautifulSoup:
    """Parse markup so that ``get_text()`` keeps words apart that only the layout separated.

    A separator in ``get_text(" ")`` would also split "<b>Spaß</b>," into "Spaß ,"; instead a
    newline goes after each block and each ``<br>``, and ``clean`` folds it to a space.
    """
    soup = BeautifulSoup(markup, "lxml")
    # One pass over the tags: bs4's find_all with a name list costs a third of the parse again.
    for tag in list(soup.descendants):
        name = getattr(tag, "name", None)
        if name == "br":
            tag.insert_after("\n")  # the <br> stays, so the page can still be handed on as HTML
        elif name in _BLOCK_TAGS:
            tag.append("\n")
    return soup


def parse_fragment(markup: str) -> Fragment:
    """Read an HTML snippet (a feed's ``content:encoded``) the way an article body is read.

    A snippet without ``<p>`` elements is running text whose lines ``<br>`` breaks: paragraphs as
    ``split_paragraphs`` finds them.
    """
    soup = make_soup(markup)
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    captions = page_captions(soup)
    paragraphs = tuple(t for t in (text_of(p) for p in soup.find_all("p")) if t)
    subheadings = tuple(t for t in (text_of(h) for h in soup.find_all(["h2", "h3"])) if t)
    if not paragraphs:
        paragraphs = tuple(split_paragraphs(soup.get_text()))
    return Fragment(paragraphs, subheadings, captions)


def html_text(markup: str) -> str:
    """An HTML snippet (or plain text with entities) as one line of text: ``"<b>Spaß</b> &amp; Ärger"``
    gives ``"Spaß & Ärger"``."""
    soup = make_soup(markup)
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
    return clean(soup.get_text())


def text_of(tag: Tag) -> str:
    return clean(tag.get_text())


def visible_headline(soup: BeautifulSoup, *named: str) -> str:
    """The page's ``<h1>`` as a reader sees the headline, without the kicker set above it.

    Only an ``<h1>`` that shares most of its words with a title the page gives elsewhere (``named``:
    JSON-LD headline, og:title, the extractor's title) counts: a site's logo or a section name in
    an ``<h1>`` is no headline. Without any such title, the first ``<h1>`` with text.
    """
    known = {w for title in named for w in _words(title)}
    for h1 in soup.find_all("h1"):
        headline = clean(" ".join(s for s in h1.find_all(string=True) if not _in_kicker(s, h1)))
        words = _words(headline)
        if headline and (not known or len(words & known) * 2 >= len(words)):
            return headline
    return ""


def _in_kicker(string, h1: Tag) -> bool:
    for parent in string.parents:
        if parent is h1:
            return False
        if _KICKER_CLASS.search(" ".join(parent.get("class", []))):
            return True
    return False


def promote_article_asides(soup: BeautifulSoup) -> bool:
    """Turn an ``<aside>`` that holds most of the page's paragraph text into a ``<div>``.

    Extractors drop ``<aside>`` as a sidebar, but some sites set the article column itself in one;
    a sidebar never carries the bulk of a page's running text. Says whether it changed the page.
    """
    asides = soup.find_all("aside")
    if not asides:
        return False
    total = sum(len(p.get_text()) for p in soup.find_all("p"))
    promoted = False
    for aside in asides:
        own = sum(len(p.get_text()) for p in aside.find_all("p"))
        if own >= _ARTICLE_CHARS and 2 * own > total:
            aside.name = "div"
            promoted = True
    return promoted


def page_headings(soup: BeautifulSoup) -> Headings:
    found = {name: {text_of(h) for h in soup.find_all(name)} for name in ("h1", "h2", "h3", "h4", "h5", "h6")}
    return Headings(frozenset(found.pop("h1")) - {""}, frozenset().union(*found.values()) - {""})


def page_captions(root: Tag) -> tuple[Caption, ...]:
    """Captions of the figures that illustrate the article: not those of teaser cards linking to
    other stories, nor of navigation, header or footer. Each figure is removed once read."""
    captions = []
    for figure in root.find_all("figure"):
        if figure.decomposed:
            continue
        if figure.find_parent(_CHROME) is None and figure.find("a", href=re.compile(r"^(?!#)")) is None:
            caption = _caption(figure)
            if caption is not None:
                captions.append(caption)
        figure.decompose()
    return tuple(captions)


def take_related(soup: BeautifulSoup, page_url: str) -> tuple[RelatedItem, ...]:
    """Read and remove every "Weitere Meldungen" block: a heading, then siblings holding links."""
    items: dict[str, RelatedItem] = {}
    headings = soup.find_all(["h2", "h3", "h4", "h5", "h6", "p", "strong", "span", "b"])
    for heading in [h for h in headings if _RELATED_HEADING.match(text_of(h))]:
        if heading.decomposed:
            continue
        anchor, block = heading, []
        # The heading may be wrapped (<header><h2>…</h2></header><ul>…): climb until links follow.
        for _ in range(3):
            block = list(_linked_siblings(anchor))
            if block or anchor.parent is None or anchor.parent.name in ("article", "main", "body"):
                break
            anchor = anchor.parent
        for entry in (e for part in block for e in _entries(part)):
            item = _related_item(entry, page_url)
            if item is not None:
                items.setdefault(item.id, item)
        for el in [anchor, *block]:
            el.decompose()
    return tuple(items.values())


def first_datetime(*values: str) -> datetime | None:
    """The first readable date: "heute" or "vor 2 Stunden" in one source falls through to the next."""
    return next((d for d in map(parse_datetime_or_none, values) if d is not None), None)


def _words(text: str) -> set[str]:
    return {w.casefold() for w in re.findall(r"\w+", text)}


def _linked_siblings(anchor: Tag) -> Iterator[Tag]:
    for sibling in anchor.find_next_siblings():
        if sibling.name in ("h1", "h2", "h3", "h4") or not sibling.find("a", href=True) and sibling.name != "a":
            return
        yield sibling


def _entries(part: Tag) -> list[Tag]:
    if part.name in ("li", "article", "a"):
        return [part]
    leaves = [e for e in part.find_all(["li", "article"]) if not e.find(["li", "article"])]
    return leaves or part.find_all("a", href=True)


def _related_item(entry: Tag, page_url: str) -> RelatedItem | None:
    link = entry if entry.name == "a" else entry.find("a", href=True)
    if link is None or not link.get("href"):
        return None
    headline = entry.find(["h2", "h3", "h4", "h5", "strong"])
    title = text_of(headline) if headline else text_of(link)
    if not title:
        return None
    url = urljoin(page_url, link["href"]) if page_url else link["href"]
    section_tag = entry.find(class_=_SECTION_CLASS)
    time_tag = entry.find("time")
    published = first_datetime((time_tag.get("datetime") or text_of(time_tag)) if time_tag else "")
    teaser = next((t for t in (text_of(p) for p in entry.find_all("p")) if t and t != title), "")
    return RelatedItem(
        id=document_id(title, published, url),
        title=title,
        teaser=teaser,
        section=text_of(section_tag) if section_tag else "",
        published=published,
        url=url,
    )


def _caption(figure: Tag) -> Caption | None:
    """A figure's caption; the credit sits in ``<small>``, a ``credit`` class or a "Foto: …" suffix."""
    figcaption = figure.find("figcaption")
    if figcaption is None:
        return None
    credit_tag = figcaption.find(["small", "cite"]) or figure.find(class_=_CREDIT_CLASS)
    credit = ""
    if credit_tag is not None:
        credit = _CREDIT_PREFIX.sub("", text_of(credit_tag))
        credit_tag.decompose()
    text = text_of(figcaption)
    if not credit and (match := _CREDIT_SUFFIX.search(text)):
        text, credit = text[: match.start()], match.group("credit").strip()
    text = text.rstrip(" -–—|")
    return Caption(text, credit) if text or credit else None
