"""``GET /export.csv`` and ``/export.jsonl``: a whole result list, streamed (search/export.py).

The same query-string arguments as the results page and ``/api/search`` (``page`` and
``per_page`` aside), plus ``limit`` (at most 100,000 rows). The response is a generator: rows
leave as they are written, so neither the server nor the client holds the list. Errors in the
arguments answer as the API does, ``{"error": …}`` with status 400: exports are read by programs.
"""
from __future__ import annotations

import re

from flask import Blueprint, Response, jsonify, request, stream_with_context

from indexer.errors import NewsearchError, QuerySyntaxError
from search.export import FORMATS, MAX_ROWS, export_hits, export_lines
from web.index import get_searcher
from web.pages import request_from_args

bp = Blueprint("export", __name__)


@bp.get("/export.<fmt>")
def export(fmt: str):
    if fmt not in FORMATS:
        raise QuerySyntaxError(f"Unbekanntes Exportformat „{fmt}“: erlaubt sind {', '.join(FORMATS)}.")
    args = request.args.copy()
    args.poplist("page")
    args.poplist("per_page")
    search_request = request_from_args(args)
    limit = export_limit(request.args.get("limit"))
    searcher = get_searcher()
    lines = export_lines(export_hits(searcher, search_request, limit), fmt)
    response = Response(stream_with_context((line.encode("utf-8") for line in lines)),
                        mimetype=FORMATS[fmt], content_type=f"{FORMATS[fmt]}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name(search_request.text)}.{fmt}"'
    return response


def export_limit(value: str | None) -> int:
    if value is None or value == "":
        return MAX_ROWS
    if not value.strip().isdigit() or not 1 <= int(value) <= MAX_ROWS:
        raise QuerySyntaxError(f"limit muss eine ganze Zahl zwischen 1 und {MAX_ROWS} sein, nicht {value!r}.")
    return int(value)


def file_name(text: str) -> str:
    """``newsearch-impfstoff-muenchen``: the query's words in ASCII, which every header and file system takes."""
    folded = text.lower().translate(_ASCII)
    words = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:60].strip("-")
    return "newsearch" + (f"-{words}" if words else "")


_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@bp.errorhandler(NewsearchError)
def export_error(err: NewsearchError):
    return jsonify({"error": err.message}), err.status
