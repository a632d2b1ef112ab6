"""A whole result list for a spreadsheet or a script: CSV and JSON Lines, one hit a row, streamed.

``GET /export.csv`` / ``/export.jsonl`` (web/export.py) and ``newsearch query --format csv|jsonl
--all`` both write the rows of ``export_lines``, so a file from the page and one from the command
line are the same bytes.

The hits are fetched a chunk at a time through ``run_query``, the function behind every page: the
export is in exactly the order of the result pages, and at most ``CHUNK`` stored documents are in
memory at once whatever the number of rows. Each chunk evaluates the query again (a few hundred
milliseconds over FANG), which is cheap beside reading and writing 1,000 documents.

The CSV is written for a German spreadsheet (LibreOffice Calc, Excel with German settings) opened
by double click, without an import dialog:

- UTF-8 with a byte order mark: without it Excel reads the file as Windows-1252 and garbles
  every umlaut; LibreOffice and Python's ``utf-8-sig`` skip the mark.
- ``;`` between fields: German Excel splits on the list separator of the locale, which is ``;``
  there, because ``,`` is the decimal comma.
- every field quoted and rows ended by CRLF (RFC 4180), so a title with ``;`` or quotes stays one
  cell, and a snippet's line breaks are flattened to spaces.
- dates as ``2020-03-02 10:00`` in Berlin time: both programs read that ISO form as a date and
  time in every locale; an offset (``+01:00``) would make it text.
- the score with a decimal comma (``7,1234``), so it is a number in German settings.
- ``section`` as people read it (``München``, not ``muenchen``; search/sections.py).
- a text cell starting with ``=``, ``+``, ``-``, ``@`` gets a leading ``'``: spreadsheets would
  run it as a formula (CSV injection), and article text comes from anywhere.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace

from search.query import SearchRequest, run_query
from search.results import Hit, hit_to_json
from search.sections import section_label

MAX_ROWS = 100_000
CHUNK = 1000
FORMATS = {"csv": "text/csv", "jsonl": "application/x-ndjson"}  # format name -> media type
COLUMNS = ("id", "kind", "title", "published", "section", "topics", "author", "publisher", "agency", "url",
           "score", "snippet", "parent_id")  # fmt: skip
BOM = "\ufeff"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_hits(searcher, request: SearchRequest, limit: int = MAX_ROWS) -> Iterator[Hit]:
    """The search's hits in the order of its pages, at most ``limit``, fetched ``CHUNK`` at a time."""
    chunk = replace(request, per_page=CHUNK, facets=False, suggest=False)
    sent, page = 0, 1
    while sent < limit:
        result = run_query(searcher, replace(chunk, page=page))
        for hit in result.hits[: limit - sent]:
            yield hit
            sent += 1
        if page >= result.pages:
            return
        page += 1


def export_lines(hits: Iterator[Hit], fmt: str) -> Iterator[str]:
    """The text of an export file, a row at a time: ``csv`` (header first) or ``jsonl``."""
    if fmt == "jsonl":
        for hit in hits:
            yield json.dumps({**hit_to_json(hit), "url": hit.url or None}, ensure_ascii=False) + "\n"
        return
    yield BOM + _csv_row(COLUMNS)
    for hit in hits:
        yield _csv_row(csv_cells(hit))


def csv_cells(hit: Hit) -> tuple[str, ...]:
    """One hit as the CSV's cells, in ``COLUMNS`` order."""
    return (
        hit.id,
        hit.kind,
        _text(hit.title),
        f"{hit.published:%Y-%m-%d %H:%M}" if hit.published else "",
        _text(section_label(hit.section) or ""),
        _text(", ".join(hit.topics)),
        _text(", ".join(hit.author)),
        _text(hit.publisher),
        _text(hit.agency),
        hit.url,
        f"{hit.score:.4f}".replace(".", ","),
        _text(hit.snippet.text),
        hit.parent_id or "",
    )


def _text(value: str) -> str:
    flat = " ".join((value or "").split())
    return "'" + flat if flat.startswith(_FORMULA_STARTS) else flat


def _csv_row(cells) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerow(cells)
    return out.getvalue()
