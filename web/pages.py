"""The German HTML pages. Each view calls the same ``search/`` function as its API twin."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, render_template, request, url_for

from search.query import build_request, run_query
from web import get_searcher

bp = Blueprint("pages", __name__)

FILTER_ARGS = ("q", "from", "to", "section", "topic", "sort")


def request_from_args(args):
    """A ``SearchRequest`` from query-string arguments; shared by page and API so they cannot differ."""
    return build_request(
        args.get("q", ""),
        args.get("from"),
        args.get("to"),
        args.get("section"),
        args.get("topic"),
        args.get("sort"),
        args.get("page"),
        args.get("per_page") or current_app.config["PER_PAGE"],
    )


@bp.get("/")
def search():
    search_request = request_from_args(request.args)
    result = run_query(get_searcher(), search_request) if request.args.get("q") else None
    return render_template(
        "search.html",
        args=request.args,
        search_request=search_request,
        result=result,
        link=link,
        period=period_range,
    )


def link(**changes) -> str:
    """The current search's URL with some arguments changed (``None`` removes one); pages restart at 1."""
    args = {k: v for k, v in request.args.items() if k in FILTER_ARGS and v}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for("pages.search", **args)


def period_range(facet: str, value: str) -> tuple[str, str]:
    """The first and last day of a year, month or day facet value, for from/to links."""
    if facet == "year":
        return f"{value}-01-01", f"{value}-12-31"
    if facet == "month":
        year, month = int(value[:4]), int(value[5:7])
        following = date(year + (month == 12), month % 12 + 1, 1)
        return f"{value}-01", date.fromordinal(following.toordinal() - 1).isoformat()
    return value, value
