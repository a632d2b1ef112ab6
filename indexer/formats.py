"""Which parser reads which file, and the limits every file is held to before parsing.

Each parser turns one file into ``Article`` values and knows nothing about the index. Files are
chosen by suffix; content that contradicts the suffix (an ``.xml`` file that is a feed, a ``.txt``
that is HTML) is sniffed from its first bytes. An ``.xml`` file is a NewsML-G2 item or an RSS/Atom
feed by its root element; a ``.json`` file must be ninjs (checked by its keys in ``indexer.ninjs``).

In a directory, a file of no known suffix is skipped and named (``FoundFiles.skipped``): someone
who drops ``bericht.pdf`` into the archive should hear that it was not read. Hidden files and
directories (``.git``, ``.DS_Store``, editor swap files such as ``.notiz.txt.swp``) and editor
backups (``notiz.txt~``, ``#notiz.txt#``) are not anybody's articles and are passed over without a
word. Whatever goes wrong inside a parser becomes an ``ArticleParseError`` naming the file, so a
parser's bug costs one file, never the batch.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import ArticleParseError
from indexer.feeds import parse_feed_bytes
from indexer.german import format_count
from indexer.html import parse_html, read_source
from indexer.jsonl import GZIP_MAGIC, located_records
from indexer.model import Article
from indexer.newsml import NEWSML_ROOTS, parse_newsml_bytes
from indexer.ninjs import parse_ninjs_bytes
from indexer.parse import parse_article
from indexer.settings import MAX_FILE_BYTES

OnError = Callable[[str, str], None]


# Each parser yields (where, article): ``path:line`` for a line of a JSON Lines file, else the path.
Located = Iterable[tuple[str, Article]]


def _page_dump(path: Path, on_error: OnError, max_bytes: int) -> Located:
    return [(str(path), parse_article(path))]


def _json_lines(path: Path, on_error: OnError, max_bytes: int, lines: Collection[int] | None = None) -> Located:
    problems = []

    def note(where: str, reason: str) -> None:
        problems.append(where)
        on_error(where, reason)

    found = False
    for located in located_records(path, note, max_line_bytes=max_bytes, lines=lines):
        found = True
        yield located
    if not found and not problems and lines is None:
        raise ArticleParseError(path, "enthält keinen Artikel (nur Leerzeilen)")


def _html(path: Path, on_error: OnError, max_bytes: int) -> Located:
    return [(str(path), parse_html(path))]


# The first element's local name, past the XML declaration, comments and a doctype.
_ROOT_ELEMENT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)")


def _xml(path: Path, on_error: OnError, max_bytes: int) -> Located:
    """NewsML-G2 (``newsItem``, ``newsMessage``) or, by default, an RSS/Atom feed."""
    data = read_source(path)
    root = _ROOT_ELEMENT.search(re.sub(rb"<!--.*?-->", b"", data[:8192], flags=re.DOTALL))
    if root and root.group(1).decode("ascii", "replace") in NEWSML_ROOTS:
        return [(str(path), article) for article in parse_newsml_bytes(data, str(path), on_error)]
    return [(str(path), article) for article in parse_feed_bytes(data, source_path=str(path))]


def _ninjs(path: Path, on_error: OnError, max_bytes: int) -> Located:
    return [(str(path), article) for article in parse_ninjs_bytes(read_source(path), str(path), on_error)]


PARSERS: dict[str, Callable[[Path, OnError, int], Located]] = {
    ".txt": _page_dump,
    ".html": _html,
    ".htm": _html,
    ".xml": _xml,
    ".rss": _xml,
    ".atom": _xml,
    ".json": _ninjs,
    ".jsonl": _json_lines,
    ".jsonl.gz": _json_lines,
    ".ndjson": _json_lines,
}


LINE_FORMATS = frozenset({".jsonl", ".jsonl.gz", ".ndjson"})


def format_of(path: Path) -> str | None:
    """The parser key for ``path``: its suffix (``.jsonl.gz`` counts whole), if we read it at all."""
    name = path.name.lower()
    if _is_clutter(name):
        return None
    for suffix in sorted(PARSERS, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


def _is_clutter(name: str) -> bool:
    """Hidden files (editor swap files, partial downloads, .DS_Store) and editor backups."""
    return name.startswith((".", "#", "~")) or name.endswith("~")


@dataclass(frozen=True, slots=True)
class FoundFiles:
    files: tuple[Path, ...]  # the article files, resolved, in a stable order
    skipped: tuple[Path, ...]  # files in the given directories of no format we read


def find_article_files(paths: Iterable[str | Path]) -> FoundFiles:
    """The article files under the given files and directories, and the files of unknown type in
    those directories. A file named directly is always taken: ``stream_articles`` says if it is
    of no format we read."""
    files: list[Path] = []
    skipped: list[Path] = []
    for given in paths:
        path = Path(given).resolve()
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                inside = found.relative_to(path).parts
                if not found.is_file() or any(_is_clutter(part.lower()) for part in inside):
                    continue
                (files if format_of(found) else skipped).append(found)
        elif path.exists():
            files.append(path)
    return FoundFiles(tuple(files), tuple(skipped))


def read_articles(path: Path, on_error: OnError, max_bytes: int = MAX_FILE_BYTES) -> list[Article]:
    """All articles in one file. Raises ``ArticleParseError`` for a file that yields none.

    ``on_error(where, reason)`` hears about parts of a file that failed while the rest was read,
    such as one broken line of a JSON Lines file. ``max_bytes`` bounds what is read into memory
    at once: a whole file, or for JSON Lines (an archive streamed line by line) each line, so a
    28,000-article export is not refused.
    """
    return list(stream_articles(path, on_error, max_bytes))


def stream_articles(path: Path, on_error: OnError, max_bytes: int = MAX_FILE_BYTES) -> Iterator[Article]:
    """``read_articles`` one article at a time; a JSON Lines file is read as the articles are taken."""
    return (article for _, article in located_articles(path, on_error, max_bytes))


def located_articles(path: Path, on_error: OnError, max_bytes: int = MAX_FILE_BYTES,
                     lines: Collection[int] | None = None) -> Iterator[tuple[str, Article]]:
    """``stream_articles`` with where each article came from: ``path:line`` in a JSON Lines file,
    else the path, for naming an article that fails later (while it is written). ``lines`` (a JSON
    Lines file only): just the articles of those lines, the others not even parsed.

    ``ArticleParseError`` comes before the first article or not at all: after it, problems go to
    ``on_error``, so a caller never has to undo half a file.
    """
    key = format_of(path)
    if key is None:
        raise ArticleParseError(path, "unbekanntes Dateiformat")
    try:
        size = path.stat().st_size
    except OSError as err:
        raise ArticleParseError(path, f"nicht lesbar ({err.strerror or err})") from err
    if size > max_bytes and key not in LINE_FORMATS:
        raise ArticleParseError(path, f"zu groß ({format_count(size)} Bytes, erlaubt sind {format_count(max_bytes)})")
    if size == 0:
        raise ArticleParseError(path, "die Datei ist leer")
    try:
        if lines is None:
            yield from PARSERS[key](path, on_error, max_bytes)
        elif key in LINE_FORMATS:
            yield from _json_lines(path, on_error, max_bytes, lines)
        else:
            raise ValueError(f"lines= is for JSON Lines files, not {key}")
    except ArticleParseError:
        raise
    except Exception as err:  # a parser's bug, or markup nested past Python's stack (RecursionError)
        raise ArticleParseError(path, f"nicht lesbar (unerwarteter Fehler: {type(err).__name__}: {err})") from err


def content_size(path: Path) -> int:
    """About how many bytes of text the file holds: a gzip file's decompressed size (its last four
    bytes, modulo 4 GiB), else the file's size. Tells a large batch from a small one."""
    try:
        size = path.stat().st_size
        if format_of(path) in LINE_FORMATS and size >= 18:
            with path.open("rb") as fh:
                if fh.read(2) == GZIP_MAGIC:
                    fh.seek(-4, 2)
                    return max(size, int.from_bytes(fh.read(4), "little"))
        return size
    except OSError:
        return 0  # the read that follows reports it
