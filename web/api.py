"""``/api/...``: the JSON twin of every page, built by the ``*_to_json`` functions of ``search/``.

Every endpoint is described in ``web/openapi.py``, which ``/api/openapi.json`` serves and the
``/api`` page renders.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from search.documents import (
    document_to_json,
    get_document,
    similar_documents,
    similar_to_json,
)
from search.query import run_query
from search.results import result_to_json
from web.index import get_searcher
from web.openapi import openapi_document
from web.pages import request_from_args

bp = Blueprint("api", __name__)


@bp.get("/search")
def search():
    """Same parameters as the results page: q, from, to, section, topic, agency, sort, page, per_page."""
    result = run_query(get_searcher(), request_from_args(request.args))
    return jsonify(result_to_json(result))


@bp.get("/document/<doc_id>")
def document(doc_id: str):
    """The article page's twin: the whole stored document."""
    return jsonify(document_to_json(get_document(get_searcher(), doc_id)))


@bp.get("/similar/<doc_id>")
def similar(doc_id: str):
    """The article page's "Ähnliche Artikel" list."""
    searcher = get_searcher()
    hits = similar_documents(searcher, doc_id, current_app.config["SIMILAR_COUNT"])
    return jsonify(similar_to_json(doc_id, hits, searcher.missing))


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(request.host_url))
