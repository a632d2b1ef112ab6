"""Saved HTML news pages to ``Article`` values. Knows nothing about Whoosh.

A news page says most things up to three times: in schema.org JSON-LD written for search engines,
in OpenGraph and ``article:*`` meta tags written for social networks, and in the visible markup.
The structured forms need no guessing about layout, so each field comes from the first of them that
has it: JSON-LD, then meta tags, then markup. Paragraphs exist only in the markup (JSON-LD
``articleBody`` is the fallback for pages that render their text with script).

Before the markup is read, a "Weitere Meldungen" block is taken out as ``RelatedItem`` values (it
usually sits in an ``<aside>``, which is dropped next), then navigation, page header and footer,
scripts, forms, ads, cookie banners and share bars are removed.
"""
from __future__ import annotations

import codecs
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag
from bs4.dammit import EncodingDetector, UnicodeDammit

from indexer.bylines import read_bylines
from indexer.dates import parse_datetime_or_none
from indexer.errors import ArticleParseError
from indexer.model import Article, Caption, RelatedItem
from indexer.paragraphs import split_paragraphs
from indexer.parse import document_id

# Specific news types win over a generic Article node on the same page (often the whole WebPage).
_NEWS_RANK = {"Article": 1, "BlogPosting": 1, "Report": 1, "LiveBlogPosting": 1}
_RELATED_HEADING = re.compile(
    r"^(?:weitere (?:meldungen|nachrichten|artikel)|mehr zum thema|mehr aus dem ressort|ähnliche artikel"
    r"|das könnte sie auch interessieren|lesen sie auch|auch interessant)\s*:?$",
    re.I,
)
_DROPPED_TAGS = ["nav", "aside", "script", "style", "noscript", "form", "iframe", "template", "svg", "button"]
# Matched against each id and class token; "ad" only as a whole dash-separated part, so "download" stays.
_NOISE = re.compile(r"cookie|consent|banner|advert|newsletter|paywall|social|share|sharing|(?:^|[-_])ads?(?:[-_]|$)", re.I)
_KEPT_CONTAINERS = {"html", "body", "main"}
_BLOCK_TAGS = ["p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer",
               "figcaption", "blockquote", "td", "th", "dt", "dd"]
_LEAD_CLASS = re.compile(r"(?:^|[-_])(?:lead|intro|teaser|standfirst)(?:[-_]|$)", re.I)
_BYLINE_CLASS = re.compile(r"(?:^|[-_])(?:author|autor|byline)(?:[-_]|$)", re.I)
_CREDIT_CLASS = re.compile(r"credit|copyright|quelle", re.I)
_SECTION_CLASS = re.compile(r"section|ressort|kicker|category|rubrik", re.I)
_CREDIT_KIND = r"(?:Foto|Fotos|Bild|Bilder|Grafik|Illustration|Video)\s*:\s*"
_CREDIT_SUFFIX = re.compile(rf"(?:\s+[-–—|]\s+|\s*\(|\s+){_CREDIT_KIND}(?P<credit>[^()]+?)\)?$")
_CREDIT_PREFIX = re.compile(rf"^(?:{_CREDIT_KIND}|Quelle\s*:\s*|©\s*)", re.I)
# "Mainz (epd) - Die Landesregierung …": German agency copy names its agency in the dateline.
_DATELINE = re.compile(r"^[A-ZÄÖÜ][^()]{0,60}?\((?P<agency>[A-Za-z]{2,8}(?:/[A-Za-z]{2,8})*)\)\s*[-–—]\s")
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")


@dataclass(frozen=True, slots=True)
class Fragment:
    """The readable parts of an HTML element or snippet, in document order."""

    paragraphs: tuple[str, ...] = ()
    subheadings: tuple[str, ...] = ()
    captions: tuple[Caption, ...] = ()


def parse_html(path: str | Path) -> Article:
    """Read one saved HTML page as an ``Article``; see ``parse_html_bytes``."""
    path = Path(path)
    return parse_html_bytes(read_source(path), source_path=str(path))


def parse_html_bytes(data: bytes, source_path: str = "<bytes>") -> Article:
    """Parse the bytes of an HTML news page.

    Raises ``ArticleParseError`` naming ``source_path`` when the bytes are empty or binary, or the page
    holds neither a headline nor any text (a download cut off inside ``<head>``).
    """
    soup = _soup(decode_html(data, source_path))
    ld, by_id = _json_ld(soup)
    meta = _meta(soup)
    canonical = soup.find("link", rel="canonical", href=True)
    page = ld.get("mainEntityOfPage")
    page_url = _ld_text(page.get("@id") if isinstance(page, dict) else page, by_id)
    url = _first(_ld_text(ld.get("url"), by_id), page_url, *meta.get("og:url", ()), canonical["href"] if canonical else "")
    related = _take_related(soup, url)
    _drop_noise(soup)

    root = _article_root(soup)
    h1 = root.find("h1") or soup.find("h1")
    page_title = soup.find("title")
    site = _first(*meta.get("og:site_name", ()), _ld_text(ld.get("publisher"), by_id))
    title = _strip_site(
        _first(
            _ld_text(ld.get("headline"), by_id), _ld_text(ld.get("name"), by_id), *meta.get("og:title", ()),
            *meta.get("twitter:title", ()), _text(h1) if h1 else "", _text(page_title) if page_title else "",
        ),
        site,
    )
    time_tag = root.find("time", datetime=True) or root.find("time")
    published = _first_datetime(
        _ld_text(ld.get("datePublished"), by_id), *meta.get("article:published_time", ()),
        *meta.get("datepublished", ()), *meta.get("date", ()),
        (time_tag.get("datetime") or _text(time_tag)) if time_tag else "",
        # No publication time anywhere: the last change still dates the article better than nothing.
        _ld_text(ld.get("dateModified"), by_id), *meta.get("article:modified_time", ()),
    )
    byline = _take(root, _BYLINE_CLASS)
    markup_lead = _take(root, _LEAD_CLASS)
    fragment = _read_fragment(root)
    body = list(fragment.paragraphs)
    # Teaser and paywall pages show a paragraph or two and carry the whole text in JSON-LD only.
    raw_body = ld.get("articleBody")
    ld_body = split_paragraphs(html.unescape(raw_body)) if isinstance(raw_body, str) else []
    if sum(map(len, ld_body)) > sum(map(len, body)):
        body = ld_body
    if markup_lead:
        body.insert(0, markup_lead)
    lead = _first(_ld_text(ld.get("description"), by_id), *meta.get("og:description", ()), *meta.get("description", ()))
    if not lead and body:
        lead = body.pop(0)  # as in print: the first paragraph is the lead
    body = [p for p in body if p != lead]
    if not title:
        reason = "keine Überschrift gefunden" if lead or body else (
            "kein Artikelinhalt gefunden (weder Überschrift noch Text), die Seite ist leer oder abgeschnitten"
        )
        raise ArticleParseError(source_path, reason)

    dateline = _DATELINE.match(lead) or (_DATELINE.match(body[0]) if body else None)
    # The first place that names anyone decides; an agency there ("dpa") is the agency, not an author.
    byline = read_bylines(next(filter(None, (
        ", ".join(_ld_names(ld.get("author"), by_id)), ", ".join(meta.get("author", ())),
        ", ".join(a for a in meta.get("article:author", ()) if not a.startswith("http")), byline,
    )), ""))
    keywords = [k for v in meta.get("keywords", ()) for k in v.split(",")]
    return Article(
        id=document_id(title, published, url),
        title=title,
        url=url,
        topics=_unique(_ld_keywords(ld.get("keywords"), by_id) or meta.get("article:tag", ()) or keywords),
        lead=lead,
        body=tuple(body),
        subheadings=fragment.subheadings,
        captions=_ld_captions(ld.get("image"), by_id) or fragment.captions,
        published=published,
        section=_first(*_ld_names(ld.get("articleSection"), by_id), *meta.get("article:section", ())),
        agency=_first(byline.agency, dateline.group("agency") if dateline else ""),
        source_path=source_path,
        related=related,
        author=byline.author,
        publisher=_first(_ld_text(ld.get("publisher"), by_id), *meta.get("og:site_name", ())),
    )


def parse_fragment(markup: str) -> Fragment:
    """Read an HTML snippet (a feed's ``content:encoded``) the way an article body is read.

    A snippet without ``<p>`` elements is running text whose lines ``<br>`` breaks: paragraphs as
    ``split_paragraphs`` finds them.
    """
    soup = _soup(markup)
    _drop_noise(soup)
    fragment = _read_fragment(soup)
    if fragment.paragraphs:
        return fragment
    return Fragment(tuple(split_paragraphs(soup.get_text())), fragment.subheadings, fragment.captions)


def html_text(markup: str) -> str:
    """An HTML snippet (or plain text with entities) as one line of text: ``"<b>Spaß</b> &amp; Ärger"``
    gives ``"Spaß & Ärger"``."""
    soup = _soup(markup)
    for tag in soup.find_all(["script", "style"]):
        tag.decompose()
    return _clean(soup.get_text())


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


# -- structured data ----------------------------------------------------------------------------

def _json_ld(soup: BeautifulSoup) -> tuple[dict, dict[str, dict]]:
    """The page's news node and all nodes by ``@id``, for resolving ``{"@id": "#autor"}`` references."""
    nodes: list[dict] = []
    for script in soup.find_all("script", type=re.compile(r"ld\+json", re.I)):
        try:
            data = json.loads(script.get_text(), strict=False)
        except json.JSONDecodeError:
            continue  # a broken block is common; the meta tags and the markup still say the same
        nodes.extend(_ld_nodes(data))
    by_id = {node["@id"]: node for node in nodes if isinstance(node.get("@id"), str)}
    news = [n for n in nodes if any(t.endswith("NewsArticle") or t in _NEWS_RANK for t in _ld_types(n))]
    if not news:
        return {}, by_id
    return min(news, key=lambda n: min(_NEWS_RANK.get(t, 0) for t in _ld_types(n))), by_id


def _ld_nodes(data) -> Iterator[dict]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_nodes(item)
    elif isinstance(data, dict):
        yield data
        for key in ("@graph", "mainEntity"):
            if isinstance(data.get(key), (list, dict)):
                yield from _ld_nodes(data[key])


def _ld_types(node: dict) -> set[str]:
    types = node.get("@type", [])
    types = [types] if isinstance(types, str) else types
    # "NewsArticle", "schema:NewsArticle" and "https://schema.org/NewsArticle" are the same type.
    return {re.split(r"[/:#]", t)[-1] for t in types if isinstance(t, str)}


def _ld_names(value, by_id: dict[str, dict]) -> list[str]:
    """Names in a JSON-LD value: a string, a node with a ``name``, a reference, or a list of these."""
    if isinstance(value, list):
        return [name for item in value for name in _ld_names(item, by_id)]
    if isinstance(value, dict):
        return _ld_names(_ld_resolve(value, by_id).get("name", ""), by_id)
    text = _clean(html.unescape(str(value))) if value is not None else ""
    return [text] if text else []


def _ld_resolve(node: dict, by_id: dict[str, dict]) -> dict:
    """The node a bare reference ``{"@id": "#autor"}`` points to; any other node as it is."""
    ref = node.get("@id")
    return by_id.get(ref, node) if isinstance(ref, str) and set(node) <= {"@id", "@type"} else node


def _ld_text(value, by_id: dict[str, dict]) -> str:
    return _first(*_ld_names(value, by_id))


def _ld_keywords(value, by_id: dict[str, dict]) -> list[str]:
    return [k for name in _ld_names(value, by_id) for k in name.split(",")]


def _ld_captions(value, by_id: dict[str, dict]) -> tuple[Caption, ...]:
    images = value if isinstance(value, list) else [value]
    captions = []
    for image in images:
        if isinstance(image, dict):
            image = _ld_resolve(image, by_id)
            text = _ld_text(image.get("caption") or image.get("description"), by_id)
            credit = _first(_ld_text(image.get("creditText"), by_id), _ld_text(image.get("copyrightHolder"), by_id),
                            _ld_text(image.get("author"), by_id))
            if text:
                captions.append(Caption(text, credit))
    return tuple(captions)


def _meta(soup: BeautifulSoup) -> dict[str, list[str]]:
    """Meta tag contents by lower-cased ``property``, ``name`` or ``itemprop``, in page order."""
    found: dict[str, list[str]] = {}
    for tag in soup.find_all("meta", content=True):
        key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").strip().lower()
        value = _clean(tag["content"])
        if key and value:
            found.setdefault(key, []).append(value)
    return found


# -- markup -------------------------------------------------------------------------------------

def _take_related(soup: BeautifulSoup, page_url: str) -> tuple[RelatedItem, ...]:
    """Read and remove every "Weitere Meldungen" block: a heading, then siblings holding links."""
    items: dict[str, RelatedItem] = {}
    headings = soup.find_all(["h2", "h3", "h4", "h5", "h6", "p", "strong", "span", "b"])
    for heading in [h for h in headings if _RELATED_HEADING.match(_text(h))]:
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
    title = _text(headline) if headline else _text(link)
    if not title:
        return None
    url = urljoin(page_url, link["href"]) if page_url else link["href"]
    section_tag = entry.find(class_=_SECTION_CLASS)
    time_tag = entry.find("time")
    published = _first_datetime((time_tag.get("datetime") or _text(time_tag)) if time_tag else "")
    teaser = next((t for t in (_text(p) for p in entry.find_all("p")) if t and t != title), "")
    return RelatedItem(
        id=document_id(title, published, url),
        title=title,
        teaser=teaser,
        section=_text(section_tag) if section_tag else "",
        published=published,
        url=url,
    )


def _drop_noise(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(["header", "footer"]):
        # An article's own <header> holds its headline and time; only the page's is chrome.
        if not tag.decomposed and tag.find_parent("article") is None:
            tag.decompose()
    for tag in soup.find_all(_is_noise):
        if not tag.decomposed:
            tag.decompose()


def _is_noise(tag: Tag) -> bool:
    if tag.name in _KEPT_CONTAINERS:
        return False
    tokens = [tag.get("id") or "", *tag.get("class", [])]
    # A wrapper like <div class="page has-share-bar"> that holds the headline is not itself an ad.
    return any(_NOISE.search(t) for t in tokens) and tag.find("h1") is None


def _article_root(soup: BeautifulSoup) -> Tag:
    articles = soup.find_all("article")
    best = max(articles, key=lambda a: len(a.find_all("p")), default=None)
    if best is not None and best.find("p"):
        return best
    return soup.find("main") or soup.body or soup


def _take(root: Tag, class_pattern: re.Pattern) -> str:
    """The text of the first ``p``/``div``/``span`` with a matching class, removed from the tree.

    Only a text element counts: a ``<div class="teaser-bild">`` holding the lead image is not the lead.
    """
    candidates = root.find_all(["p", "div", "span"], class_=class_pattern)
    tag = next((t for t in candidates if _text(t) and not t.find(["figure", "img"]) and not t.find_parent("figure")), None)
    if tag is None:
        return ""
    text = _text(tag)
    tag.decompose()
    return text


def _read_fragment(root: Tag) -> Fragment:
    captions = []
    for figure in root.find_all("figure"):
        caption = _caption(figure)
        if caption is not None:
            captions.append(caption)
        figure.decompose()
    return Fragment(
        paragraphs=tuple(t for t in (_text(p) for p in root.find_all("p")) if t),
        subheadings=tuple(t for t in (_text(h) for h in root.find_all(["h2", "h3"])) if t),
        captions=tuple(captions),
    )


def _caption(figure: Tag) -> Caption | None:
    """A figure's caption; the credit sits in ``<small>``, a ``credit`` class or a "Foto: …" suffix."""
    figcaption = figure.find("figcaption")
    if figcaption is None:
        return None
    credit_tag = figcaption.find(["small", "cite"]) or figure.find(class_=_CREDIT_CLASS)
    credit = ""
    if credit_tag is not None:
        credit = _CREDIT_PREFIX.sub("", _text(credit_tag))
        credit_tag.decompose()
    text = _text(figcaption)
    if not credit and (match := _CREDIT_SUFFIX.search(text)):
        text, credit = text[: match.start()], match.group("credit").strip()
    text = text.rstrip(" -–—|")
    return Caption(text, credit) if text or credit else None


# -- small pieces -------------------------------------------------------------------------------

def _soup(markup: str) -> BeautifulSoup:
    """Parse markup so that ``get_text()`` keeps words apart that only the layout separated.

    A separator in ``get_text(" ")`` would also split "<b>Spaß</b>," into "Spaß ,"; instead a
    newline goes after each block and in place of each ``<br>``, and ``_clean`` folds it to a space.
    """
    soup = BeautifulSoup(markup, "html.parser")
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCK_TAGS):
        block.append("\n")
    return soup


def _text(tag: Tag) -> str:
    return _clean(tag.get_text())


def _clean(text: str) -> str:
    """One line of NFC text; soft hyphens (``Bundes&shy;regierung``) and zero-width spaces go."""
    text = text.replace("\xad", "").replace("\u200b", "")
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _first_datetime(*values: str) -> datetime | None:
    """The first readable date: "heute" or "vor 2 Stunden" in one source falls through to the next."""
    return next((d for d in map(parse_datetime_or_none, values) if d is not None), None)


def _strip_site(title: str, site: str) -> str:
    """ "Bahn saniert Brücken | Rheinkurier" without the portal's name, when we know it."""
    if site:
        title = re.sub(rf"\s*[|–—:-]\s*{re.escape(site)}$", "", title)
    return title


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in (_clean(v) for v in values) if v))
