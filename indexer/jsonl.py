"""JSON Lines files to ``Article`` values, one article per line. Knows nothing about Whoosh.

The file may be plain UTF-8 or gzip-compressed; gzip is recognised by its magic bytes, not by the
``.gz`` suffix. Blank lines are skipped. Every other line is one JSON object with these keys, all
optional except that a line needs a ``title`` or a ``text``; keys not listed here are ignored:

``id``
    The record's own id (string or number). Used for the article id only when there is no ``url``.
``url``
    The article's address. When present, the article id is ``document_id(title, date, url)``, the
    id a page dump of the same article gets.
``date``
    The publication time, as ``indexer.dates.parse_datetime`` reads it: ISO 8601 with an offset
    (``2020-04-24T20:17:56+02:00``, ``...Z``) keeps its offset; a time without one
    (``2020-12-25 16:31:15``, ``2005-08-20``, ``27.02.2025 - 11:57``) is Europe/Berlin time.
``source``
    Where the record came from (``zeit.de``): the outlet (``publisher``) when the record names no
    ``publisher``, and what keeps record ids of different sources apart (without it the file's
    name stands in).
``section``, or ``category``
    The section (``wissen``, ``Sport``).
``title``
    The headline. When it is missing or empty, the first sentence of ``text`` is the title and the
    rest of the text goes on as usual (10kGNAD fuses the title into the text this way).
``text``
    The article as running text, split into paragraphs by ``indexer.paragraphs.split_paragraphs``:
    a blank line or a sentence end ends a paragraph, a hard-wrapped line is joined to the next.
    The first paragraph is the lead, the rest the body. ``text``
    only fills what ``lead`` and ``body`` leave open: with ``lead`` given, all of ``text`` is the
    body; with ``body`` given, ``text`` supplies the lead only.
``lead``
    The lead as a string.
``body``
    The body as a string (split like ``text``) or a list of paragraph strings.
``topics``
    A list of strings, or one comma-separated string.
``subheadings``
    A list of strings.
``captions``
    A list of strings or of objects ``{"text": ..., "credit": ...}``.
``agency``
    The news agency (``dpa``).
``author``, or ``authors``
    A byline string (``"Von Anna Weber und Jonas Klein"``) or a list of names. An agency named
    there (``"dpa"``) becomes the ``agency`` when the record gives none (``indexer.bylines``).
``publisher``
    The paper or site that published the article (``ZEIT ONLINE``); ``source`` stands in for it.
``related``
    A list of objects ``{"title", "teaser", "section", "date", "url"}``; each needs a ``title``.

The article id falls back in this order: from the ``url``; else from ``source`` (or the file name)
and the record ``id``, hashed like ``document_id`` so it has the same form, never equals an id made
from a URL or a title, and stays the same when the file is indexed again; else from title and date.

A line that is not JSON, not an object, has neither ``title`` nor ``text``, or has a value of the
wrong kind is reported, not fatal: ``parse_jsonl`` goes on with the next line.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata
import zlib
from collections.abc import Callable, Collection, Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from indexer.bylines import read_bylines
from indexer.dates import DateError, parse_datetime
from indexer.errors import ArticleParseError
from indexer.german import format_count
from indexer.model import Article, Caption, RelatedItem
from indexer.paragraphs import split_paragraphs
from indexer.parse import document_id, split_title_teaser

GZIP_MAGIC = b"\x1f\x8b"

# Called with "path:line" (or the path alone, for a broken file) and a German reason.
ErrorReport = Callable[[str, str], None]

# JSON may escape any control character ("\u0000"); in news text they are debris of an export, and a
# NUL or an ESC in a title would reach every page and terminal that shows it. Tab and line breaks stay.
_CONTROLS = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r") | {0x7F: None}


def parse_jsonl(
    path: str | Path, on_error: ErrorReport | None = None, max_line_bytes: int | None = None
) -> Iterator[Article]:
    """The articles of a JSON Lines file, plain or gzipped, in file order.

    A JSON Lines file is an archive, read one line at a time, so a size limit applies to each line
    (one article), not to the file: ``max_line_bytes`` longer lines are reported and skipped.

    A bad line is passed to ``on_error(where, reason)`` with ``where`` like ``data.jsonl:17`` and
    reading goes on; a file that cannot be opened or whose gzip stream breaks off is passed with the
    bare path, after the articles read so far. Without ``on_error`` the first problem raises
    ``ArticleParseError`` instead. See the module docstring for the accepted keys.
    """
    return (article for _, article in located_records(path, on_error, max_line_bytes))


def located_records(
    path: str | Path, on_error: ErrorReport | None = None, max_line_bytes: int | None = None,
    lines: Collection[int] | None = None,
) -> Iterator[tuple[str, Article]]:
    """``parse_jsonl``, each article with its ``path:line``; with ``lines``, only the articles of
    those lines (numbered from 1): the others are passed over unparsed and reading stops after
    the last of them, so a time shard reads its share of an archive and no more (indexer/routing.py)."""
    name = str(path)
    wanted = None if lines is None else frozenset(lines)
    last = max(wanted, default=0) if wanted is not None else None
    fallback_source = Path(path).name

    def fail(where: str, reason: str) -> None:
        if on_error is None:
            raise ArticleParseError(where, reason)
        on_error(where, reason)

    try:
        stream = open_jsonl(path)
    except OSError as err:
        fail(name, f"nicht lesbar ({err.strerror or err})")
        return
    with stream:
        line_no = 0
        try:
            for line_no, raw in enumerate(stream, start=1):
                if wanted is not None and line_no not in wanted:
                    if line_no >= last:
                        break
                    continue
                if not raw.strip():
                    continue
                where = f"{name}:{line_no}"
                if max_line_bytes is not None and len(raw) > max_line_bytes:
                    fail(where, f"Zeile zu groß ({format_count(len(raw))} Bytes, erlaubt sind {format_count(max_line_bytes)})")
                    continue
                try:
                    article = _article(_decode(raw), name, fallback_source)
                except _BadRecord as err:
                    fail(where, str(err))
                    continue
                except RecursionError:
                    fail(where, "zu tief verschachteltes JSON")
                    continue
                except Exception as err:  # a bug of ours must cost this line, not the rest of the archive
                    fail(where, f"nicht lesbar (unerwarteter Fehler: {type(err).__name__}: {err})")
                    continue
                yield where, article
        except (OSError, EOFError, zlib.error) as err:
            # gzip.BadGzipFile is an OSError; a stream cut short raises EOFError.
            fail(name, f"nach Zeile {line_no} nicht weiter lesbar ({err})")


def open_jsonl(path: str | Path) -> BinaryIO:
    """The file's bytes, decompressed when it starts with the gzip magic bytes, whatever its name."""
    with open(path, "rb") as probe:
        compressed = probe.read(len(GZIP_MAGIC)) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def article_from_record(record, source_path: str = "", fallback_source: str = "") -> Article:
    """One decoded JSON value as an ``Article``; raises ``ArticleParseError`` naming ``source_path``.

    ``fallback_source`` keeps record ids apart when the record names no ``source`` (``parse_jsonl``
    passes the file name).
    """
    try:
        return _article(record, source_path, fallback_source)
    except _BadRecord as err:
        raise ArticleParseError(source_path, str(err)) from None


class _BadRecord(ValueError):
    """A record that cannot be an article; the message is the German reason."""


def _article(record, source_path: str, fallback_source: str) -> Article:
    if not isinstance(record, dict):
        raise _BadRecord(f"kein JSON-Objekt, sondern {_kind(record)}")
    title = _string(record, "title")
    text = _raw_string(record, "text")
    if not title and not text.strip():
        raise _BadRecord("weder „title“ noch „text“ vorhanden")
    paragraphs = split_paragraphs(text)
    if not title:
        title, teaser = split_title_teaser(paragraphs[0])
        paragraphs[:1] = [teaser] if teaser else []

    lead = _string(record, "lead")
    if not lead and "lead" not in record and paragraphs:
        lead = paragraphs.pop(0)
    body = _paragraph_list(record, "body") if "body" in record else paragraphs

    url = _string(record, "url")
    published = _date(record.get("date"), "date")
    byline = read_bylines(*_names(record, "author"), *_names(record, "authors"))
    return Article(
        id=_article_id(record, title, published, url, fallback_source),
        title=title,
        url=url,
        topics=tuple(_topics(record.get("topics"))),
        lead=lead,
        body=tuple(body),
        subheadings=tuple(_string_list(record, "subheadings")),
        captions=tuple(_captions(record.get("captions"))),
        published=published,
        section=_string(record, "section") or _string(record, "category"),
        agency=_first(_string(record, "agency"), byline.agency),
        source_path=source_path,
        related=tuple(_related(record.get("related"))),
        author=byline.author,
        publisher=_string(record, "publisher") or _string(record, "source"),
    )


def record_id(source: str, own_id: str) -> str:
    """The article id of a record known only by its source and own id, in ``document_id``'s form."""
    return hashlib.sha1(f"record:{source}:{own_id}".encode("utf-8")).hexdigest()[:16]


def _decode(raw: bytes):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _BadRecord(f"kein UTF-8 ({err.reason} bei Byte {err.start})") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _BadRecord(f"ungültiges JSON ({err})") from err


def _article_id(record: dict, title: str, published: datetime | None, url: str, fallback_source: str) -> str:
    if url:
        return document_id(title, published, url)
    own = record.get("id")
    if own is not None and own != "":
        if isinstance(own, bool) or not isinstance(own, (str, int)):
            raise _BadRecord(f"„id“ muss Text oder eine ganze Zahl sein, nicht {_kind(own)}")
        return record_id(_string(record, "source") or fallback_source, str(own).strip())
    return document_id(title, published)


def _raw_string(record: dict, key: str) -> str:
    value = record.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _BadRecord(f"„{key}“ muss Text sein, nicht {_kind(value)}")
    return value.translate(_CONTROLS)


def _string(record: dict, key: str) -> str:
    """A one-line value: NFC, with runs of whitespace (line breaks included) made one space."""
    return _clean(_raw_string(record, key))


def _clean(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value.translate(_CONTROLS)).replace("\xa0", " ").split())


def _string_list(record: dict, key: str) -> list[str]:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _BadRecord(f"„{key}“ muss eine Liste von Texten sein, nicht {_kind(value)}")
    return [c for c in (_clean(v) for v in value) if c]


def _paragraph_list(record: dict, key: str) -> list[str]:
    value = record.get(key)
    if isinstance(value, str):
        return split_paragraphs(value)
    return _string_list(record, key)


def _topics(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    elif not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _BadRecord(f"„topics“ muss eine Liste oder ein Text mit Kommas sein, nicht {_kind(value)}")
    return [c for c in (_clean(v) for v in value) if c]


def _names(record: dict, key: str) -> list[str]:
    """Author names given as one byline string or a list of them."""
    value = record.get(key)
    if isinstance(value, str):
        return [value]
    return _string_list(record, key)


def _first(*values: str) -> str:
    return next((v for v in values if v), "")


def _date(value, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _BadRecord(f"„{key}“ muss ein Datum als Text sein, nicht {_kind(value)}")
    try:
        return parse_datetime(value)
    except DateError as err:
        raise _BadRecord(f"„{key}“ {err}: {value!r}") from None


def _captions(value) -> list[Caption]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadRecord(f"„captions“ muss eine Liste sein, nicht {_kind(value)}")
    captions = []
    for item in value:
        if isinstance(item, str):
            text, credit = item, ""
        elif isinstance(item, dict):
            text, credit = _raw_string(item, "text"), _raw_string(item, "credit")
        else:
            raise _BadRecord(f"ein Eintrag in „captions“ ist {_kind(item)}, erwartet Text oder Objekt")
        if _clean(text):
            captions.append(Caption(text=_clean(text), credit=_clean(credit)))
    return captions


def _related(value) -> list[RelatedItem]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _BadRecord(f"„related“ muss eine Liste sein, nicht {_kind(value)}")
    items = []
    for entry in value:
        if not isinstance(entry, dict):
            raise _BadRecord(f"ein Eintrag in „related“ ist {_kind(entry)}, erwartet ein Objekt")
        title = _string(entry, "title")
        if not title:
            raise _BadRecord("ein Eintrag in „related“ hat keinen „title“")
        published = _date(entry.get("date"), "related.date")
        url = _string(entry, "url")
        items.append(
            RelatedItem(
                id=document_id(title, published, url),
                title=title,
                teaser=_string(entry, "teaser"),
                section=_string(entry, "section"),
                published=published,
                url=url,
            )
        )
    return items


def _kind(value) -> str:
    """The JSON kind of a value, in German, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "ein Wahrheitswert"
    if isinstance(value, (int, float)):
        return "eine Zahl"
    if isinstance(value, str):
        return "ein Text"
    if isinstance(value, list):
        return "eine Liste"
    return "ein Objekt"
