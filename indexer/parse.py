"""Article files to ``Article`` values. Knows nothing about Whoosh.

The page-dump format is what a browser's "save as text" makes of a German news portal article
(``sample_data/`` holds one): a topics line, the headline, a ``27.02.2025 - 11:57:57`` stamp, the
lead, photo captions as bullets (each repeated as a bare credit line, and once more glued together),
body paragraphs with short subheadings, an ``@ dpa.de`` agency line and a "Weitere Meldungen" list
whose entries run title, teaser and ``(Ressort, 26.01.2026 - 11:32) weiterlesen...`` together.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from indexer.dates import parse_datetime_or_none, to_utc
from indexer.errors import ArticleParseError
from indexer.german import SENTENCE_OPENERS
from indexer.model import Article, Caption, RelatedItem
from indexer.paragraphs import split_paragraphs

MAX_FILE_BYTES = 20 * 1024 * 1024

_STAMP = re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}\s*[-–,]?\s*\d{1,2}:\d{2}(?::\d{2})?(?:\s*Uhr)?$")
_BULLET = re.compile(r"^[•·▪●*]\s*")
_CREDIT_KIND = r"(?:Foto|Fotos|Bild|Bilder|Grafik|Video|Illustration)\s*:\s*"
# "… Klassizismus. - Foto: Alexander Zemlianichenko/AP/dpa", with any dash, or "… vor. (Foto: Jonas Reichert/dpa)".
_CREDIT = re.compile(
    rf"(?:\s+[-–—]\s+{_CREDIT_KIND}(?P<dashed>.+)|\s*\({_CREDIT_KIND}(?P<bracketed>[^()]+)\))$"
)
_AGENCY = re.compile(r"^@\s*(?P<agency>[\w.\-]+)$")
_RELATED_HEADING = re.compile(r"^(?:weitere|mehr|ähnliche)\s+(?:meldungen|nachrichten|artikel)\s*:?$", re.I)
_RELATED_TAIL = re.compile(
    r"\s*\((?P<section>[^(),]*),\s*(?P<stamp>\d{1,2}\.\d{1,2}\.\d{4}\s*[-–]\s*\d{1,2}:\d{2}(?::\d{2})?)\)"
    r"\s*(?:weiterlesen\s*(?:\.{3}|…)?)?\s*$",
    re.I,
)
_SENTENCE_END = re.compile(r"(?<=[^\s\d])[.!?](?=\s+[\"„»]?[A-ZÄÖÜ])")
_ABBREVIATIONS = frozenset("dr prof st nr bzw ca vgl inkl ggf usw etc mio mrd jh abs art hl".split())
_SUBHEADING_MAX_CHARS = 120


def parse_article(path: str | Path) -> Article:
    """Read one page-dump file as an ``Article``.

    Raises ``ArticleParseError`` naming the path when the file is unreadable, binary, empty, too
    large or holds no headline.
    """
    path = Path(path)
    return parse_page_dump(_read_text(path), source_path=str(path))


def parse_page_dump(text: str, source_path: str = "<text>") -> Article:
    """Parse the text of a saved news page; see the module docstring for the layout."""
    blocks = _blocks(text)
    if not blocks:
        raise ArticleParseError(source_path, "die Datei enthält keinen Text")

    stamp_at = next((i for i, b in enumerate(blocks[:6]) if _STAMP.match(b.text)), None)
    published = None
    if stamp_at is not None:
        published = parse_datetime_or_none(blocks[stamp_at].text)
        head, rest = blocks[:stamp_at], blocks[stamp_at + 1 :]
    else:
        head, rest = blocks[:2] if _looks_like_topics(blocks[0].text) and len(blocks) > 1 else blocks[:1], None
        rest = blocks[len(head) :]
    if not head:
        raise ArticleParseError(source_path, "keine Überschrift vor dem Zeitstempel gefunden")
    title = head[-1].text
    topics = tuple(t.strip() for t in head[-2].text.split(",") if t.strip()) if len(head) >= 2 else ()

    # The page repeats each caption as it was written, so match repeats against the bullet text
    # itself rather than a rebuilt "text - Foto: credit": credits come with other dashes and brackets.
    sources = [_BULLET.sub("", b.text) for b in rest if _BULLET.match(b.text)]
    captions = [_caption(source) for source in sources]
    repeats = {c.credit for c in captions} | set(sources)
    lead, body, subheadings, agency, related = "", [], [], "", []
    in_related = False
    for block in rest:
        line = block.text
        if in_related:
            item = _related_item(line)
            if item is not None:
                related.append(item)
            continue
        if _RELATED_HEADING.match(line):
            in_related = True
        elif (m := _AGENCY.match(line)) :
            agency = m.group("agency").split(".")[0]
        elif _BULLET.match(line) or line in repeats or _is_glued_repeat(line, repeats):
            continue
        elif not lead:
            lead = line
        elif _is_subheading(line):
            subheadings.append(line)
        else:
            # A block is a paragraph, but a dump of a hard-wrapped or one-paragraph-per-line page
            # holds several in one block: the paragraph rule decides, as for every other format.
            body.extend(split_paragraphs(block.raw.replace("\xa0", " ")))

    return Article(
        id=document_id(title, published),
        title=title,
        topics=topics,
        lead=lead,
        body=tuple(body),
        subheadings=tuple(subheadings),
        captions=tuple(captions),
        published=published,
        agency=agency,
        source_path=source_path,
        related=tuple(related),
    )


def document_id(title: str, published: datetime | None, url: str = "") -> str:
    """A stable id: from the URL when there is one, else from normalised title and publication time.

    The same article saved twice, or listed as a related item on two pages, gets the same id. The
    time counts to the minute in UTC: related lists print ``26.01.2026 - 11:32`` for an article
    stamped ``11:32:41``, and the stub must get the full article's id to be replaced by it.
    """
    if url:
        key = "url:" + url.strip()
    else:
        norm = " ".join(unicodedata.normalize("NFC", title).casefold().split())
        when = to_utc(published).strftime("%Y-%m-%dT%H:%MZ") if published else ""
        key = f"title:{norm}|{when}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


class _Block:
    __slots__ = ("raw", "text")

    def __init__(self, raw: str):
        self.raw = raw
        self.text = " ".join(raw.replace("\xa0", " ").split())


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ArticleParseError(path, f"die Datei ist {size} Bytes groß, erlaubt sind {MAX_FILE_BYTES}")
        data = path.read_bytes()
    except OSError as err:
        raise ArticleParseError(path, f"nicht lesbar ({err.strerror or err})") from err
    if b"\x00" in data[:8192]:
        raise ArticleParseError(path, "keine Textdatei (enthält Binärdaten)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older Windows exports of German pages are cp1252; it decodes every byte but five.
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            raise ArticleParseError(path, f"weder UTF-8 noch Windows-1252 ({err.reason})") from err
    if not text.strip():
        raise ArticleParseError(path, "die Datei ist leer")
    return unicodedata.normalize("NFC", text)


def _blocks(text: str) -> list[_Block]:
    raw_blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    return [b for b in (_Block(raw) for raw in raw_blocks) if b.text]


def _looks_like_topics(text: str) -> bool:
    return len(text) < 80 and not re.search(r"[.!?]$", text)


def _caption(source: str) -> Caption:
    """One bullet's text as a ``Caption``; a caption without a recognised credit keeps it all as text."""
    match = _CREDIT.search(source)
    if match is None:
        return Caption(text=source.strip())
    credit = match.group("dashed") or match.group("bracketed")
    return Caption(text=source[: match.start()].strip(), credit=credit.strip())


def _is_glued_repeat(line: str, repeats: set[str]) -> bool:
    """A line made only of caption texts run together, as the page's image slider repeats them."""
    pieces = sorted((r for r in repeats if r), key=len, reverse=True)
    if not pieces:
        return False
    rest = line
    for piece in pieces:
        rest = rest.replace(piece, " ")
    return not rest.strip() and len(line) > 0


def _is_subheading(line: str) -> bool:
    """A short line without closing punctuation, or a single short question ("Was fordert der Verband?").

    German news subheadings are often questions; a paragraph of prose ends in a full stop or holds
    more than one sentence, so a lone question line is a heading, not body text.
    """
    if len(line) > _SUBHEADING_MAX_CHARS:
        return False
    if line.endswith("?"):
        return not re.search(r"[.!?:;]", line[:-1])
    return not re.search(r"[.!?:;,\"“”«»)]$", line)


def _related_item(line: str) -> RelatedItem | None:
    tail = _RELATED_TAIL.search(line)
    if tail is None:
        return None
    head = line[: tail.start()].strip()
    title, teaser = split_title_teaser(head)
    if not title:
        return None
    published = parse_datetime_or_none(tail.group("stamp"))
    return RelatedItem(
        id=document_id(title, published),
        title=title,
        teaser=teaser,
        section=tail.group("section").strip(),
        published=published,
    )


def split_title_teaser(text: str) -> tuple[str, str]:
    """Split a headline run together with its teaser.

    The headline ends at the first sentence end, or where a word that German writes in lower case
    inside a sentence (an article, a pronoun, a conjunction) appears with a capital: only a new
    sentence capitalises ``Der`` or ``Nach``, while every noun carries a capital anyway.

    >>> split_title_teaser("Kreml sieht Gespräche am Anfang Der Kreml sieht die Gespräche")
    ('Kreml sieht Gespräche am Anfang', 'Der Kreml sieht die Gespräche')
    """
    cut = None
    for m in _SENTENCE_END.finditer(text):
        word = re.findall(r"\w+$", text[: m.start()])
        if word and word[0].lower() in _ABBREVIATIONS:
            continue
        # A headline keeps its "?" or "!" ("Wird das Deutschlandticket teurer?"), never its full stop.
        cut = (m.end() if text[m.start()] in "?!" else m.start(), m.end())
        break
    words = list(re.finditer(r"\S+", text))
    for i, w in enumerate(words[2:], start=2):
        if cut is not None and w.start() >= cut[1]:
            break
        token = w.group().strip("\"„“”»«'‚‘’()")
        previous = words[i - 1].group()
        if previous.endswith((":", "„", "\"", "«", "»")):
            continue
        if token[:1].isupper() and token[1:].islower() and token.lower() in SENTENCE_OPENERS:
            cut = (w.start(), w.start())
            break
    if cut is None:
        return text.strip(), ""
    # _SENTENCE_END skips a full stop after a digit, to keep ordinals ("zum 3. Pflegegipfel") whole;
    # a headline ending in a year ("seit 1999. Die Statistiker …") is cut at the opener instead.
    title = re.sub(r"(?<=\d)\.$", "", text[: cut[0]].strip())
    return title, text[cut[1] :].strip()
