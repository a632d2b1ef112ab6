"""Running a search: the request, the parsed query, the filters, one page of hits and the facets.

The CLI and the web build a ``SearchRequest`` from what the person typed with ``build_request``
(where bad dates or page numbers become a ``QuerySyntaxError`` with a German message) and hand it
to ``run_query``. Problems inside the query text itself never raise: they come back as messages
beside the best-effort results. Page and API views differ only in how they render the result.

Filters (dates and the keyword facets of ``search/facets.KEYWORD_FACETS``) are not Whoosh queries: they are checked against the
per-document columns of the documents the words matched (see ``search/facets.py``). A date range
as a query costs ~130 ms whatever it matches (WHOOSH-NOTES); reading the columns of the matches
is what facet counting needs anyway, so filtering there is nearly free.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from indexer.errors import QuerySyntaxError
from indexer.settings import MAX_PER_PAGE, PER_PAGE
from search.authors import without_authors
from search.backend import Ranking
from search.dates import EXAMPLES, parse_date_range
from search.exactness import as_written
from search.facets import KEYWORD_NAMES, Filters, cut_facets
from search.ranking import is_question
from search.required import asked
from search.results import SearchResult
from search.scatter import as_shards
from search.suggest import suggest_query
from search.syntax import parse_user_query
from search.whoosh.proximity import RERANK_DEPTH
from search.whoosh.shard import open_searcher  # noqa: F401 (re-exported: callers import it from here)
from search.whoosh.translate import (  # noqa: F401 (re-exported: callers import them from here)
    any_words_tree,
    parse_query,
    search_ranked,
    to_whoosh,
)

SORTS = ("relevance", "newest", "oldest")
SORT_ALIASES = {"date": "newest"}  # the name before "oldest" existed: old links and feeds keep working
MAX_PAGE = 1000
MAX_QUERY_CHARS = 1000  # longer input is cut, with a message: nobody types more, scrapers paste more

OR_FALLBACK_NOTICE = "Kein Dokument enthält alle Wörter; gezeigt werden Treffer, die einige davon enthalten."


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None
    chosen: dict[str, tuple[str, ...]] = field(default_factory=dict)  # keyword facet name -> values (any of)
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    recency: bool = False
    exact: bool = False  # the words as written, not stemmed ("exakt", search/exactness.py)
    now: datetime | None = field(default=None, compare=False)  # "today" for datum:gestern; None: now
    # Always on for people; the query benchmark switches them off to time each part alone.
    facets: bool = True
    suggest: bool = True
    collapse: bool = True  # near-duplicates folded under one hit (search/whoosh/folding.py); False shows each


def build_request(
    text: str | None = "",
    date_from: str | None = None,
    date_to: str | None = None,
    *,
    sort: str | None = None,
    page: str | int | None = None,
    per_page: str | int | None = None,
    recency: bool | str | None = False,
    exact: bool | str | None = False,
    now: datetime | None = None,
    collapse: bool | str | None = True,
    **chosen: str | list[str] | tuple[str, ...] | None,
) -> SearchRequest:
    """A ``SearchRequest`` from the strings a person typed; raises ``QuerySyntaxError`` naming the bad value.

    ``date_from``/``date_to`` take every expression of ``search/dates.py``: the start of the
    ``from`` range and the end of the ``to`` range count. ``chosen`` holds the values of the
    keyword facets by their names (``section="Ausland"``, ``source=["zeit.de", "sueddeutsche.de"]``).
    """
    unknown = set(chosen) - set(KEYWORD_NAMES)
    if unknown:
        raise TypeError(f"unknown facets {sorted(unknown)}; known: {KEYWORD_NAMES}")
    start = _day(date_from, "Von-Datum", now)[0] if date_from else None
    end = _day(date_to, "Bis-Datum", now)[1] if date_to else None
    if start and end and start > end:
        raise QuerySyntaxError(f"Das Von-Datum {start:%d.%m.%Y} liegt nach dem Bis-Datum {end:%d.%m.%Y}.")
    sort = (sort or "relevance").strip().lower()
    sort = SORT_ALIASES.get(sort, sort)
    if sort not in SORTS:
        raise QuerySyntaxError(f"Unbekannte Sortierung {sort!r}: erlaubt sind {', '.join(SORTS)}.")
    return SearchRequest(
        text=(text or "").strip(),
        date_from=start,
        date_to=end,
        chosen={name: _values(values) for name, values in chosen.items() if _values(values)},
        sort=sort,
        page=_number(page, "Seite", 1, 1, MAX_PAGE),
        per_page=_number(per_page, "Treffer pro Seite", PER_PAGE, 1, MAX_PER_PAGE),
        recency=_switch(recency),
        exact=_switch(exact),
        now=now,
        collapse=_switch(collapse, default=True),
    )


def _switch(value: bool | str | None, default: bool = False) -> bool:
    """A checkbox or flag: ``1``, ``true``, ``ja``, ``on`` (any case, spaces aside) or ``True`` is on;
    ``0``, ``false``, ``nein``, ``off`` or ``False`` is off; missing or anything else, ``default``
    (``collapse`` is on unless switched off, the others off unless switched on)."""
    if isinstance(value, str):
        word = value.strip().lower()
        return True if word in ("1", "true", "ja", "on") else False if word in ("0", "false", "nein", "off") else default
    return default if value is None else bool(value)


def run_query(source, request: SearchRequest) -> SearchResult:
    """One page of hits for ``request``, with facets counted over every match after filters.

    ``source`` is the index's ``Shards`` (``search/scatter.py``) or one Whoosh searcher.
    """
    shards = as_shards(source)
    messages: list[str] = []
    text = request.text
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        messages.append(f"Die Anfrage war länger als {MAX_QUERY_CHARS} Zeichen; gesucht wurde mit dem Anfang.")
    parsed = parse_user_query(text)
    messages += parsed.messages
    filters = _filters(request, parsed, messages)
    trees = _asked(parsed, text, request.exact)

    start, limit = (request.page - 1) * request.per_page, request.page * request.per_page
    by_relevance = request.sort == "relevance" and parsed.tree is not None
    ranking = Ranking(request.sort, max(limit, RERANK_DEPTH) if by_relevance else limit, request.recency, request.now,
                      request.collapse, is_question(text))
    tree = trees.tree
    found = shards.search(tree, filters, ranking, request.facets)
    notice = None
    if not found.total and trees.fallback is not None:  # decided once, over all shards
        tree = trees.fallback
        found = shards.search(tree, filters, ranking, request.facets)
        notice = OR_FALLBACK_NOTICE if found.total else None

    if by_relevance:
        ranked = shards.reranked(found, without_authors(parsed.tree), limit)
    else:
        ranked = list(found.top[:limit])
    suggestion = None
    if request.suggest:
        suggestion = suggest_query(shards, text, found.total,
                                   lambda t: shards.count(_asked(parse_user_query(t), t, request.exact).tree, filters))
    return SearchResult(
        query=text,
        hits=tuple(shards.fetch(tree, ranked[start:limit], found.others)),
        total=found.total,
        page=request.page,
        per_page=request.per_page,
        facets=cut_facets(found.facets, filters) if request.facets else {},
        suggestion=suggestion,
        messages=tuple(messages + shards.missing),
        notice=notice,
    )


def _filters(request: SearchRequest, parsed, messages: list[str]) -> Filters:
    start, end = request.date_from, request.date_to
    for expression in parsed.dates:
        try:
            first, last = parse_date_range(expression, request.now)
        except QuerySyntaxError as err:
            messages.append(f"datum:{expression} wird übergangen: {err.message}")
            continue
        start = max(start, first) if start else first
        end = min(end, last) if end else last
    chosen: dict[str, set[str]] = {}
    for name, values in request.chosen.items():
        chosen.setdefault(name, set()).update(v.casefold() for v in values)
    for name, value in parsed.filters:
        chosen.setdefault(name, set()).add(value.casefold())
    excluded: dict[str, set[str]] = {}
    for name, value in parsed.excluded:
        excluded.setdefault(name, set()).add(value.casefold())
    return Filters(
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        chosen={name: frozenset(values) for name, values in chosen.items()},
        excluded={name: frozenset(values) for name, values in excluded.items()},
    )


def _asked(parsed, text: str, exact: bool):
    """What to search for ``parsed`` (``search/required.py``: a question requires its content
    words only), each plain word as written under the "exakt" switch."""
    trees = asked(parsed, is_question(text))
    if not exact:
        return trees
    return replace(trees, tree=as_written(trees.tree), fallback=as_written(trees.fallback))


def query_matchers(source, request: SearchRequest) -> list[tuple[object, set[str]]]:
    """What marks the search's words in a text, as in its snippets: for the article page opened from it.

    ``source`` as for ``run_query``; prefixes are expanded against the terms of every shard.
    """
    tree = parse_user_query(request.text[:MAX_QUERY_CHARS]).tree
    return as_shards(source).matchers(as_written(tree) if request.exact else tree)


def _values(value) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(v.strip() for v in items if v and v.strip())


def _day(text: str, label: str, now: datetime | None) -> tuple[date, date]:
    try:
        return parse_date_range(text, now)
    except QuerySyntaxError:
        raise QuerySyntaxError(f"{label} {text!r} ist kein Datum. Erlaubt sind z. B. {EXAMPLES}.") from None


def _number(value, label: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise QuerySyntaxError(f"{label} muss eine ganze Zahl sein, nicht {value!r}.") from None
    if not low <= number <= high:
        raise QuerySyntaxError(f"{label} muss zwischen {low} und {high} liegen, nicht {number}.")
    return number
