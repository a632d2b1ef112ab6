"""What a news page says about itself for machines: schema.org JSON-LD and meta tags.

A page's markup is written for people and needs guessing (``indexer/html.py`` hands that to
trafilatura); its JSON-LD ``NewsArticle`` node and OpenGraph/``article:*`` meta tags are written for
search engines and social networks and need none. They are the only place for section, keywords,
publisher and agency, and the first place for URL, description, dates and authors. JSON-LD wins
over meta tags where both say the same thing.
"""
from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup

from indexer.bylines import Byline, is_agency, read_bylines
from indexer.model import Caption

# Specific news types win over a generic Article node on the same page (often the whole WebPage).
_NEWS_RANK = {"Article": 1, "BlogPosting": 1, "Report": 1, "LiveBlogPosting": 1}
_ORGANIZATION = re.compile(r"Organi[sz]ation$|Corporation$|NewsMedia")


@dataclass(frozen=True, slots=True)
class Structured:
    """A page's own statements about the article; empty strings where it makes none."""

    headline: str = ""
    url: str = ""
    description: str = ""
    dates: tuple[str, ...] = ()  # publication time first, the last change after it, as written
    byline: Byline = Byline()
    publisher: str = ""
    site: str = ""  # the portal's name as titles end in it ("… | Rheinkurier")
    section: str = ""
    topics: tuple[str, ...] = ()
    captions: tuple[Caption, ...] = ()
    article_body: str = ""  # JSON-LD articleBody with its line breaks


def read_structured(soup: BeautifulSoup) -> Structured:
    """The JSON-LD news node and the meta tags of a parsed page, merged."""
    ld, by_id = _json_ld(soup)
    meta = _meta(soup)
    canonical = soup.find("link", rel="canonical", href=True)
    page = ld.get("mainEntityOfPage")
    page_url = _ld_text(page.get("@id") if isinstance(page, dict) else page, by_id)
    people, organizations = _ld_authors(ld.get("author"), by_id)
    byline = read_bylines(next(filter(None, (
        ", ".join(people), ", ".join(meta.get("author", ())),
        ", ".join(a for a in meta.get("article:author", ()) if not a.startswith("http")),
    )), ""))
    agency = "/".join(name for name in organizations if is_agency(name))
    if agency and not byline.agency:
        byline = Byline(byline.author, agency)
    publisher = _first(_ld_text(ld.get("publisher"), by_id), *meta.get("og:site_name", ()))
    keywords = [k for v in meta.get("keywords", ()) for k in v.split(",")]
    body = ld.get("articleBody")
    return Structured(
        headline=_first(_ld_text(ld.get("headline"), by_id), _ld_text(ld.get("name"), by_id),
                        *meta.get("og:title", ()), *meta.get("twitter:title", ())),
        url=_first(_ld_text(ld.get("url"), by_id), page_url, *meta.get("og:url", ()),
                   canonical["href"] if canonical else ""),
        description=_first(_ld_text(ld.get("description"), by_id), *meta.get("og:description", ()),
                           *meta.get("description", ())),
        dates=tuple(filter(None, (
            _ld_text(ld.get("datePublished"), by_id), *meta.get("article:published_time", ()),
            *meta.get("datepublished", ()), *meta.get("date", ()),
            _ld_text(ld.get("dateModified"), by_id), *meta.get("article:modified_time", ()),
        ))),
        byline=byline,
        publisher=publisher,
        site=_first(*meta.get("og:site_name", ()), _ld_text(ld.get("publisher"), by_id)),
        section=_first(*_ld_names(ld.get("articleSection"), by_id), *meta.get("article:section", ())),
        topics=_unique(_ld_keywords(ld.get("keywords"), by_id) or meta.get("article:tag", ()) or keywords),
        captions=_ld_captions(ld.get("image"), by_id),
        article_body=html.unescape(body) if isinstance(body, str) else "",
    )


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


def _ld_authors(value, by_id: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Author names split into people and organisations: "hessenschau.de" or "SPIEGEL" as an
    author node is the publisher again, "dpa" the agency, and neither is a person."""
    people: list[str] = []
    organizations: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        node = _ld_resolve(item, by_id) if isinstance(item, dict) else None
        names = _ld_names(node.get("name", "") if node is not None else item, by_id)
        is_org = node is not None and any(_ORGANIZATION.search(t) for t in _ld_types(node))
        (organizations if is_org else people).extend(names)
    return people, organizations


def _ld_names(value, by_id: dict[str, dict]) -> list[str]:
    """Names in a JSON-LD value: a string, a node with a ``name``, a reference, or a list of these."""
    if isinstance(value, list):
        return [name for item in value for name in _ld_names(item, by_id)]
    if isinstance(value, dict):
        return _ld_names(_ld_resolve(value, by_id).get("name", ""), by_id)
    text = clean(html.unescape(str(value))) if value is not None else ""
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
            # Only a caption: an image's "description" is often alt text or another story's teaser.
            text = _ld_text(image.get("caption"), by_id)
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
        value = clean(tag["content"])
        if key and value:
            found.setdefault(key, []).append(value)
    return found


def clean(text: str) -> str:
    """One line of NFC text; soft hyphens (``Bundes&shy;regierung``) and zero-width spaces go."""
    text = text.replace("\xad", "").replace("\u200b", "")
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _unique(values) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in (clean(v) for v in values) if v))
