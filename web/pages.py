"""The German HTML pages. Each view calls the same ``search/`` function as its API twin.

Every state of the search page (query, dates, facet choices, sort, page) lives in the query
string, so any view can be bookmarked, shared or saved as a feed; the helpers here build the
links that change one part of that state.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request, url_for
from markupsafe import Markup, escape

from search.display import format_count
from indexer.errors import QuerySyntaxError
from search.around import hit_context, rank_from
from search.documents import get_document, similar_documents
from search.export import MAX_ROWS as MAX_EXPORT_ROWS
from search.facets import KEYWORD_FACETS, KEYWORD_NAMES, MONTHS_DE
from search.highlight import mark_text
from search.query import SORTS, build_request, run_query
from search.quick import quick_dates
from search.sections import section_label
from web.histogram import build_histogram
from web.index import get_searcher
from web.openapi import EXAMPLE_ID, openapi_document, type_label

bp = Blueprint("pages", __name__)

# The query-string arguments that make up a search's state, in the order links write them.
STATE_ARGS = ("q", "exact", "from", "to", *KEYWORD_NAMES, "sort", "recency", "per_page", "collapse")
MULTI_ARGS = KEYWORD_NAMES  # facet choices: several values mean any of them
FILTER_ARGS = ("from", "to", *MULTI_ARGS, "recency")  # what "Alle Filter entfernen" drops
# Arguments that ask for a result list; with none of them the start page shows the newest documents.
# ``sort`` alone lists every document (``/?sort=newest``: all, newest first).
RESULT_ARGS = ("q", "from", "to", *MULTI_ARGS, "sort")
FACET_TITLES = {"year": "Jahr", **{facet.name: facet.title for facet in KEYWORD_FACETS}}
SORT_LABELS = {"relevance": "Relevanz", "newest": "Neueste zuerst", "oldest": "Älteste zuerst"}
assert tuple(SORT_LABELS) == SORTS, "every sort needs its German label"
PER_PAGE_CHOICES = (10, 25, 50, 100)  # the page offers these; the API takes any number up to its limit
KIND_LABELS = {"article": "Artikel", "related": "Meldung"}
NEWEST_ON_START = 5


def request_from_args(args):
    """A ``SearchRequest`` from query-string arguments; shared by page, feed and API so they cannot differ."""
    return build_request(
        args.get("q", ""),
        args.get("from"),
        args.get("to"),
        sort=args.get("sort"),
        page=args.get("page"),
        per_page=args.get("per_page") or current_app.config["PER_PAGE"],
        recency=args.get("recency"),
        exact=args.get("exact"),
        collapse=args.get("collapse"),
        **{name: args.getlist(name) for name in MULTI_ARGS},
    )


@dataclass(frozen=True, slots=True)
class Chip:
    """An active filter as shown above the results, with the link that removes it."""

    name: str  # "Ressort", "Zeitraum", …
    value: str
    remove_url: str


@bp.get("/")
def search():
    search_request = request_from_args(request.args)
    listing = any(request.args.get(name) for name in RESULT_ARGS)
    result = newest = histogram = None
    started = time.perf_counter()
    if listing:
        result = run_query(get_searcher(), search_request)
        granularity, buckets = result.histogram
        histogram = build_histogram(granularity, buckets, (search_request.date_from, search_request.date_to))
    else:
        newest = run_query(get_searcher(), build_request(sort="newest", per_page=NEWEST_ON_START))
    took = time.perf_counter() - started
    return render_template(
        "search.html",
        args=request.args,
        search_request=search_request,
        result=result,
        newest=newest,
        histogram=histogram,
        chips=active_filters(search_request),
        took=took,
        facet_titles=FACET_TITLES,
        sort_labels=SORT_LABELS,
        per_page_choices=PER_PAGE_CHOICES,
        pages=page_window(result.page, result.pages) if result else [],
        quick=quick_dates(get_searcher()) if result else None,
    )


@bp.get("/artikel/<doc_id>")
def document(doc_id: str):
    """An article or related item in full, with its links and the documents most like it."""
    searcher = get_searcher()
    doc = get_document(searcher, doc_id)
    similar = similar_documents(searcher, doc_id, current_app.config["SIMILAR_COUNT"])
    context = None
    if any(request.args.get(name) for name in RESULT_ARGS):  # opened from a search: its state is in the link
        try:
            context = hit_context(searcher, request_from_args(request.args), rank_from(request.args.get("hit")))
        except QuerySyntaxError:
            context = None  # an edited link with a bad date: the article still shows, without the search
    return render_template("document.html", doc=doc, similar=similar, missing=searcher.missing, context=context,
                           mark=lambda text: Markup(mark_text(text, context.matchers).html()) if context else text)


def hit_url(doc_id: str, rank: int) -> str:
    """An article's page from the current search: the search's state and the hit's rank come along."""
    return url_for("pages.document", doc_id=doc_id, **_state(request.args, drop=("page",)), hit=rank)


def back_url(context) -> str:
    """The result page that lists the hit, scrolled to it."""
    page = context.result_page
    anchor = f"#treffer-{context.rank}" if context.rank else ""
    return url_for("pages.search", **_state(request.args), **({"page": page} if page > 1 else {})) + anchor


@bp.get("/feed.atom")
def feed():
    """The search as an Atom feed: the same filters, newest matches first."""
    args = request.args.copy()
    args.setlist("sort", ["newest"])
    args.setlist("page", ["1"])
    args.setlist("per_page", [str(current_app.config["FEED_ENTRIES"])])
    result = run_query(get_searcher(), request_from_args(args))
    dated = [hit.published for hit in result.hits if hit.published]
    updated = max(dated) if dated else datetime.now(UTC).replace(microsecond=0)
    body = render_template(
        "feed.xml",
        result=result,
        updated=updated,
        self_url=request.url,
        search_url=url_for("pages.search", _external=True, **_state(request.args, drop=("sort", "page"))),
    )
    return Response(body, mimetype="application/atom+xml")


@bp.get("/api")
def api_docs():
    """The API described for people, rendered from the same OpenAPI document clients fetch."""
    examples = {
        "search": url_for("api.search", q="Abu Dhabi", section="Ausland"),
        "document": url_for("api.document", doc_id=EXAMPLE_ID),
        "similar": url_for("api.similar", doc_id=EXAMPLE_ID),
        "openapi": url_for("api.openapi"),
    }
    return render_template("api.html", spec=openapi_document(request.host_url), type_label=type_label, examples=examples)


# -- links that change one part of the state --------------------------------------------------


def _state(args, drop: tuple[str, ...] = ()) -> dict[str, list[str]]:
    return {name: [v for v in args.getlist(name) if v] for name in STATE_ARGS if name not in drop and args.get(name)}


def search_url(**changes) -> str:
    """The current search's URL with some arguments replaced (``None`` removes one); back to page 1.

    Values may be lists for the multi-valued facet arguments. ``page`` is kept only when given.
    """
    state = _state(request.args)
    for name, value in changes.items():
        if value is None:
            state.pop(name, None)
        else:
            state[name] = value if isinstance(value, list) else [str(value)]
    return url_for("pages.search", **state)


def toggle_url(name: str, value: str) -> str:
    """The search with facet value ``value`` of ``name`` added, or removed when it is chosen already."""
    chosen = [v for v in request.args.getlist(name) if v]
    kept = [v for v in chosen if v.casefold() != value.casefold()]
    return search_url(**{name: (kept if len(kept) < len(chosen) else [*chosen, value]) or None})


def period_url(start, end) -> str:
    """The search limited to the days ``start`` to ``end``, written as people write dates."""
    return search_url(**{"from": f"{start:%d.%m.%Y}", "to": f"{end:%d.%m.%Y}"})


def quick_url(choice) -> str:
    """A quick date choice: its words when it is relative to today, else its days."""
    if choice.words:
        return search_url(**{"from": choice.words, "to": choice.words})
    return period_url(choice.start, choice.end)


def without_filters_url() -> str:
    """The search with its words and sorting, without any filter."""
    return search_url(**{name: None for name in FILTER_ARGS})


def feed_url() -> str:
    return url_for("pages.feed", **_state(request.args, drop=("sort", "page")))


def export_url(fmt: str) -> str:
    """The whole result list as a file (web/export.py): the search's state without its page."""
    return url_for("export.export", fmt=fmt, **_state(request.args, drop=("page", "per_page")))


def active_filters(search_request) -> list[Chip]:
    chips = []
    given_from, given_to = request.args.get("from", "").strip(), request.args.get("to", "").strip()
    if given_from or given_to:
        chips.append(Chip("Zeitraum", _describe_period(given_from, given_to, search_request),
                          search_url(**{"from": None, "to": None})))  # fmt: skip
    for name in MULTI_ARGS:
        for value in dict.fromkeys(v for v in request.args.getlist(name) if v):
            shown = next(facet.label(value) for facet in KEYWORD_FACETS if facet.name == name) or value
            chips.append(Chip(FACET_TITLES[name], shown, toggle_url(name, value)))
    if search_request.recency:
        chips.append(Chip("Gewichtung", "neuere bevorzugt", search_url(recency=None)))
    return chips


def _describe_period(given_from: str, given_to: str, search_request) -> str:
    """What the person typed, and the days it was read as when that is not already plain."""
    if given_from and given_to:
        typed = given_from if given_from == given_to else f"{given_from} bis {given_to}"
    else:
        typed = f"ab {given_from}" if given_from else f"bis {given_to}"
    start, end = search_request.date_from, search_request.date_to
    read = " – ".join(f"{d:%d.%m.%Y}" if d else "…" for d in (start, end))
    plain = {f"{d:%d.%m.%Y}" for d in (start, end) if d} | {d.isoformat() for d in (start, end) if d}
    if {t for t in (given_from, given_to) if t} <= plain:
        return typed
    return f"{typed} ({read})"


def page_window(page: int, pages: int, around: int = 2) -> list[int | None]:
    """Page numbers to link: the first, the last and ``around`` either side of ``page``; ``None`` marks a gap."""
    wanted = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    window: list[int | None] = []
    for number in wanted:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


# -- how dates and kinds read on the pages -----------------------------------------------------


@bp.app_template_filter("datum")
def format_short(moment: datetime | None) -> str:
    """``27.02.2025, 11:57 Uhr``: result lists and links."""
    return f"{moment:%d.%m.%Y, %H:%M} Uhr" if moment else ""


@bp.app_template_filter("datum_lang")
def format_long(moment: datetime | None) -> str:
    """``27. Februar 2025, 11:57 Uhr``: the article page."""
    if not moment:
        return ""
    return f"{moment.day}. {MONTHS_DE[moment.month - 1]} {moment.year}, {moment:%H:%M} Uhr"


bp.add_app_template_filter(format_count, "anzahl")
bp.add_app_template_filter(lambda value: section_label(value) or "", "ressort")  # muenchen: München; 2020: none  # 27.149: counts with the German thousands point


@bp.app_template_filter("dauer")
def format_duration(seconds: float) -> str:
    """``0,02 Sekunden``: German decimal comma."""
    return f"{seconds:.2f}".replace(".", ",") + " Sekunden"


@bp.app_template_filter("zeichen")
def format_change(change: int | None) -> str:
    """``+1.204 Zeichen``, ``−37 Zeichen``, ``gleich lang``: how much a version added or cut."""
    if change is None:
        return ""
    if change == 0:
        return "gleich lang"
    sign = "+" if change > 0 else "−"
    return f"{sign}{abs(change):,} Zeichen".replace(",", ".")


@bp.app_template_filter("code_spans")
def code_spans(text: str) -> Markup:
    """The API descriptions' `backticks` as ``<code>``; everything else escaped."""
    parts = (text or "").split("`")
    return Markup("".join(f"<code>{escape(p)}</code>" if i % 2 else str(escape(p)) for i, p in enumerate(parts)))


@bp.app_context_processor
def link_helpers() -> dict:
    return {
        "search_url": search_url,
        "toggle_url": toggle_url,
        "period_url": period_url,
        "quick_url": quick_url,
        "feed_url": feed_url,
        "export_url": export_url,
        "hit_url": hit_url,
        "back_url": back_url,
        "max_export": MAX_EXPORT_ROWS,
        "without_filters_url": without_filters_url,
        "state_args": STATE_ARGS,
        "kind_label": lambda kind: KIND_LABELS.get(kind, kind),
    }
