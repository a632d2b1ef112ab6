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

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.errors import QuerySyntaxError
from search.authors import any_word, is_author, without_authors
from search.dates import EXAMPLES, parse_date_range
from search.documents import stored_hit
from search.whoosh.evaluate import Matches, evaluate, published
from search.facets import KEYWORD_NAMES, Filters, count_facets, document_columns, passing
from search.ranking import recency_factor, weighting
from search.whoosh.proximity import ranked_matches
from search.results import SearchResult
from search.suggest import suggest_query
from search.syntax import Group, Phrase, Word, parse_user_query
from search.whoosh.translate import (  # noqa: F401 (re-exported: callers import them from here)
    _highlight_terms,
    _matchers,
    any_words_tree,
    parse_query,
    search_ranked,
    to_whoosh,
)

SORTS = ("relevance", "newest", "oldest")
SORT_ALIASES = {"date": "newest"}  # the name before "oldest" existed: old links and feeds keep working
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
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
    per_page: int = DEFAULT_PER_PAGE
    recency: bool = False
    now: datetime | None = field(default=None, compare=False)  # "today" for datum:gestern; None: now
    # Always on for people; the query benchmark switches them off to time each part alone.
    facets: bool = True
    suggest: bool = True


def build_request(
    text: str | None = "",
    date_from: str | None = None,
    date_to: str | None = None,
    *,
    sort: str | None = None,
    page: str | int | None = None,
    per_page: str | int | None = None,
    recency: bool | str | None = False,
    now: datetime | None = None,
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
        per_page=_number(per_page, "Treffer pro Seite", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE),
        recency=str(recency).lower() in ("1", "true", "ja", "on") if isinstance(recency, str) else bool(recency),
        now=now,
    )


def open_searcher(ix) -> Searcher:
    """A searcher over the newest committed generation, scoring with ``search/ranking.py``."""
    return ix.searcher(weighting=weighting())


def run_query(searcher: Searcher, request: SearchRequest) -> SearchResult:
    """One page of hits for ``request``, with facets counted over every match after filters."""
    messages: list[str] = []
    text = request.text
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS]
        messages.append(f"Die Anfrage war länger als {MAX_QUERY_CHARS} Zeichen; gesucht wurde mit dem Anfang.")
    parsed = parse_user_query(text)
    messages += parsed.messages
    filters = _filters(request, parsed, messages)

    schema = searcher.schema
    q = to_whoosh(parsed.tree, schema)
    columns = document_columns(searcher.reader())
    # Every match with its score in one evaluation over posting arrays (search/evaluate.py): the
    # total and the facets need all of them anyway, and ranking them costs a sort of the scores.
    base = _scored(searcher, q, request)
    matched = _passing(base, columns, filters)
    notice = None
    if not len(matched) and _can_fall_back_to_or(parsed):
        q = to_whoosh(any_word(parsed.tree), schema)
        base = _scored(searcher, q, request)
        matched = _passing(base, columns, filters)
        notice = OR_FALLBACK_NOTICE if len(matched) else None

    start, limit = (request.page - 1) * request.per_page, request.page * request.per_page
    if request.sort == "oldest":
        ranked = matched.by_key(_oldest_first(published(searcher.reader())), limit)
    elif request.sort == "newest" or parsed.tree is None:
        ranked = matched.by_key(published(searcher.reader()), limit)
    else:
        ranked = ranked_matches(searcher, without_authors(parsed.tree), matched, limit)
    page_hits = [(searcher.stored_fields(doc), score) for doc, score in ranked[start:limit]]
    return _result(searcher, request, text, q, page_hits, base.docs, len(matched), columns, filters,
                   messages, notice)


def _oldest_first(times: np.ndarray) -> np.ndarray:
    """Keys whose descending order is the oldest first; documents without a date last, as for newest."""
    return np.where(times > 0, -times, np.iinfo(np.int64).min)


def _scored(searcher: Searcher, q: wq.Query, request: SearchRequest) -> Matches:
    matches = evaluate(searcher, q)
    if not request.recency:
        return matches
    times = published(searcher.reader())[matches.docs]
    return Matches(matches.docs, matches.scores * recency_factor(times, request.now))


def _passing(matches: Matches, columns, filters: Filters) -> Matches:
    if not filters.any():
        return matches
    return matches.keep(passing(columns, matches.docs, filters))


def _result(searcher, request, text, q, page_hits, base, total, columns, filters, messages, notice):
    matchers = _matchers(searcher.schema, _highlight_terms(q, searcher.reader()))
    suggestion = None
    if request.suggest:
        suggestion = suggest_query(searcher, text, total, lambda t: _count(searcher, t, columns, filters))
    return SearchResult(
        query=text,
        hits=tuple(stored_hit(stored, score, matchers) for stored, score in page_hits),
        total=total,
        page=request.page,
        per_page=request.per_page,
        facets=count_facets(columns, base, filters) if request.facets else {},
        suggestion=suggestion,
        messages=tuple(messages),
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
    return Filters(
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        chosen={name: frozenset(values) for name, values in chosen.items()},
    )


def _count(searcher: Searcher, text: str, columns, filters: Filters) -> int:
    q = to_whoosh(parse_user_query(text).tree, searcher.schema)
    return len(_passing(evaluate(searcher, q), columns, filters))


def _can_fall_back_to_or(parsed) -> bool:
    tree = parsed.tree
    return (
        not parsed.explicit_operators
        and isinstance(tree, Group)
        and tree.op == "AND"
        and sum(isinstance(c, (Word, Phrase)) and not is_author(c) for c in tree.children) >= 2
    )



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
