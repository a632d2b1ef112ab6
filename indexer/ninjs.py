"""IPTC ninjs ("News in JSON") items to ``Article`` values. Knows nothing about Whoosh.

ninjs comes in two incompatible generations (https://www.iptc.org/std/ninjs/): 1.x names single
values (``headline``, ``byline``, ``body_html``, ``description_text``, ``subject``, ``genre``,
``infosource``, ``associations`` as an object keyed by name), 2.x and later lists with roles
(``headlines``, ``by``, ``bodies``, ``descriptions``, ``subjects``, ``genres``, ``infosources``,
``associations`` as a list). Both are read: an agency's feed does not say which it speaks, and
some (TT's) mix the two. A file holds one item or a JSON list of items.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from indexer.dates import parse_datetime_or_none
from indexer.errors import ArticleParseError, NotArticlesError
from indexer.html import read_source
from indexer.markup import Fragment, html_text, parse_fragment
from indexer.model import Article, Caption
from indexer.wire import WireItem, urgency_number, version_number, wire_article

OnError = Callable[[str, str], None]

# Keys only a ninjs item has (both generations); a JSON object with none of them is something else.
NINJS_KEYS = frozenset({"uri", "headline", "headlines", "body_html", "body_text", "body_xhtml", "bodies", "versioncreated"})
_LEAD_ROLES = ("summary", "teaser", "abstract", "lead", "description", "text", "")
_PICTURE_TYPES = frozenset({"picture", "graphic", "image"})


def looks_like_ninjs(value) -> bool:
    """A decoded JSON value that is a ninjs item, or a list whose first entry is one."""
    if isinstance(value, list) and value:
        value = value[0]
    return isinstance(value, dict) and "uri" in value and bool(NINJS_KEYS & (value.keys() - {"uri"}))


def parse_ninjs(path: str | Path, on_error: OnError) -> list[Article]:
    path = Path(path)
    return list(parse_ninjs_bytes(read_source(path), str(path), on_error))


def parse_ninjs_bytes(data: bytes, source_path: str, on_error: OnError) -> Iterator[Article]:
    """The items of a ninjs file, in file order.

    A file that is not JSON raises ``ArticleParseError``; valid JSON that is no ninjs (an export
    manifest, a configuration file lying in the folder) raises ``NotArticlesError``: skipped, not broken. One broken
    item of a list goes to ``on_error`` (as ``path [Meldung n]``) and the others are read.
    """
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ArticleParseError(source_path, f"kein UTF-8 (Byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise ArticleParseError(source_path, f"kein gültiges JSON (Zeile {err.lineno}, Spalte {err.colno})") from err
    except RecursionError as err:  # [[[[…]]]] a hundred thousand deep: no news item is built so
        raise ArticleParseError(source_path, "zu tief verschachteltes JSON") from err
    if not looks_like_ninjs(value):
        # A manifest, a configuration: JSON that is no news item is not ours to read.
        raise NotArticlesError(source_path, "JSON, aber kein ninjs (keine Agenturmeldung)")
    if isinstance(value, dict):
        yield ninjs_article(value, source_path)
        return
    for number, entry in enumerate(value, start=1):
        try:
            if not isinstance(entry, dict):
                raise ArticleParseError(source_path, "ist kein JSON-Objekt")
            yield ninjs_article(entry, source_path)
        except ArticleParseError as err:
            on_error(f"{source_path} [Meldung {number}]", err.reason)


def ninjs_article(item: dict, source_path: str) -> Article:
    headlines = _texts(item.get("headlines"))  # 2.x: [{"role": "main", "value": ...}]
    return wire_article(
        WireItem(
            item_id=_string(item.get("uri")),
            version=version_number(item.get("version")),
            headline=html_text(_string(item.get("headline")) or _by_role(headlines, ("main", ""))),
            subheadline=html_text(_by_role(headlines, ("sub", "subheadline", "subtitle"))),
            lead=_lead(item),
            content=_body(item),
            byline=_string(item.get("byline")) or _string(item.get("by")),
            located=html_text(_string(item.get("located"))),
            subjects=_names(item.get("subjects") or item.get("subject")),
            genres=_names(item.get("genres") or item.get("genre")),
            urgency=urgency_number(item.get("urgency")),
            first_created=parse_datetime_or_none(_string(item.get("firstcreated"))),
            version_created=parse_datetime_or_none(_string(item.get("versioncreated"))),
            provider=_provider(item),
            pictures=_pictures(item.get("associations")),
            url=_url(item),
        ),
        source_path,
    )


def _lead(item: dict) -> str:
    descriptions = _texts(item.get("descriptions"))
    if description := _by_role(descriptions, _LEAD_ROLES):
        return html_text(description)
    return html_text(_string(item.get("description_html")) or _string(item.get("description_text")))


def _body(item: dict) -> Fragment:
    """HTML bodies first (they keep paragraphs and figures), plain text split at line breaks."""
    bodies = [b for b in _list(item.get("bodies")) if isinstance(b, dict) and isinstance(b.get("value"), str)]
    html = [b["value"] for b in bodies if "html" in _string(b.get("contenttype")) or "<p" in b["value"]]
    plain = [b["value"] for b in bodies if _string(b.get("contenttype")) in ("", "text/plain")]
    markup = (html[:1] or [_string(item.get("body_html")) or _string(item.get("body_xhtml"))])[0]
    if markup.strip():
        return parse_fragment(markup)
    text = (plain[:1] or [_string(item.get("body_text"))])[0]
    return Fragment(paragraphs=tuple(p for p in (" ".join(line.split()) for line in text.splitlines()) if p))


def _provider(item: dict) -> str:
    """The agency: an information source named as such, else the copyright holder."""
    sources = item.get("infosources") or item.get("infosource") or ()
    names = _names(sources if isinstance(sources, list) else [sources])
    return names[0] if names else html_text(_string(item.get("copyrightholder")))


def _pictures(associations) -> tuple[Caption, ...]:
    """Associated pictures as captions with credits: 1.x keys them by name, 2.x lists them."""
    if isinstance(associations, dict):
        associations = list(associations.values())
    captions = []
    for assoc in _list(associations):
        if not isinstance(assoc, dict) or _string(assoc.get("type")) not in _PICTURE_TYPES:
            continue
        text = _by_role(_texts(assoc.get("descriptions")), ("caption", "summary", "")) or _string(
            assoc.get("description_text")) or _string(assoc.get("headline")) or _by_role(_texts(assoc.get("headlines")), ("main", ""))
        credit = _string(assoc.get("by")) or _string(assoc.get("byline")) or _string(assoc.get("copyrightholder"))
        if html_text(text):
            captions.append(Caption(html_text(text), html_text(credit)))
    return tuple(captions)


def _url(item: dict) -> str:
    uri = _string(item.get("uri"))
    return uri if uri.startswith(("http://", "https://")) else ""


def _texts(entries) -> list[tuple[str, str]]:
    """``[{"role": r, "value": v}, …]`` as ``(role, value)`` pairs; the role without its scheme."""
    pairs = []
    for entry in _list(entries):
        if isinstance(entry, dict) and isinstance(entry.get("value"), str):
            pairs.append((_string(entry.get("role")).rpartition(":")[2].lower(), entry["value"]))
    return pairs


def _by_role(pairs: list[tuple[str, str]], roles: tuple[str, ...]) -> str:
    for role in roles:
        for found, value in pairs:
            if found == role and value.strip():
                return value
    return pairs[0][1] if pairs and "" in roles else ""


def _names(entries) -> tuple[str, ...]:
    """The ``name`` of each concept (subject, genre, info source); a bare string is a name too."""
    names = []
    for entry in _list(entries):
        name = entry.get("name") if isinstance(entry, dict) else entry
        if isinstance(name, str) and name.strip():
            names.append(html_text(name))
    return tuple(names)


def _list(value) -> list:
    """Only lists are lists: an object or number where ninjs wants a list is treated as absent."""
    return value if isinstance(value, list) else []


def _string(value) -> str:
    """Only strings are text: a number or object where text belongs is treated as absent."""
    return value if isinstance(value, str) else ""
