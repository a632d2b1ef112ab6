"""``/api/...``: the JSON twin of every page, built by ``search.results.result_to_json``."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from search.query import run_query
from search.results import result_to_json
from web import get_searcher
from web.pages import request_from_args

bp = Blueprint("api", __name__)


@bp.get("/search")
def search():
    """Same parameters as the results page: q, from, to, section, topic, sort, page, per_page."""
    result = run_query(get_searcher(), request_from_args(request.args))
    return jsonify(result_to_json(result))
