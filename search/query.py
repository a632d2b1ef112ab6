"""Running a search: the request, the parsed query, the filters, one page of hits and the facets.

The CLI and the web build a ``SearchRequest`` from what the person typed with ``build_request``
(which is where bad input becomes a ``QuerySyntaxError`` with a German message) and hand it to
``run_query``. Page and API views differ only in how they render the ``SearchResult``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from whoosh import query as wq
from whoosh.qparser import AndGroup, MultifieldParser, QueryParserError
from whoosh.searching import Searcher

from indexer import schema as f
from indexer.dates import from_utc, parse_day
from indexer.errors import QuerySyntaxError
from indexer.model import ARTICLE, RELATED
from search.facets import count_facets
from search.highlight import make_snippet
from search.ranking import FIELD_BOOSTS, POSITIONLESS, weighting
from search.results import Hit, SearchResult

SORTS = ("relevance", "date")
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str = ""
    date_from: date | None = None
    date_to: date | None = None
    section: str | None = None
    topic: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    selected: dict = field(default_factory=dict)


def build_request(
    text: str | None = "",
    date_from: str | None = None,
    date_to: str | None = None,
    section: str | None = None,
    topic: str | None = None,
    sort: str | None = None,
    page: str | int | None = None,
    per_page: str | int | None = None,
) -> SearchRequest:
    """A ``SearchRequest`` from the strings a person typed; raises ``QuerySyntaxError`` naming the bad value."""
    start = _day(date_from, "Von-Datum") if date_from else None
    end = _day(date_to, "Bis-Datum") if date_to else None
    if start and end and start > end:
        raise QuerySyntaxError(f"Das Von-Datum {start:%d.%m.%Y} liegt nach dem Bis-Datum {end:%d.%m.%Y}.")
    sort = (sort or "relevance").strip().lower()
    if sort not in SORTS:
        raise QuerySyntaxError(f"Unbekannte Sortierung {sort!r}: erlaubt sind {', '.join(SORTS)}.")
    page_no = _number(page, "Seite", 1, 1, MAX_PAGE)
    size = _number(per_page, "Treffer pro Seite", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    return SearchRequest(
        text=(text or "").strip(),
        date_from=start,
        date_to=end,
        section=(section or "").strip() or None,
        topic=(topic or "").strip() or None,
        sort=sort,
        page=page_no,
        per_page=size,
    )


def open_searcher(ix) -> Searcher:
    """A searcher over the newest committed generation, scoring with ``search/ranking.py``."""
    return ix.searcher(weighting=weighting())


def parse_query(searcher: Searcher, text: str) -> wq.Query:
    """The user's text as a Whoosh query over the weighted fields, words AND-ed."""
    if not text:
        # Every searchable document, newest first; the index's source ledger is not one.
        return wq.Or([wq.Term(f.KIND, ARTICLE), wq.Term(f.KIND, RELATED)])
    parser = MultifieldParser(list(FIELD_BOOSTS), searcher.schema, fieldboosts=FIELD_BOOSTS, group=AndGroup)
    try:
        return _drop_positionless_phrases(parser.parse(text)).normalize()
    except QueryParserError as err:
        raise QuerySyntaxError(f"Die Suchanfrage {text!r} ist nicht lesbar: {err}") from err


def _drop_positionless_phrases(q: wq.Query) -> wq.Query:
    """Phrases can only match fields that store positions; Whoosh raises for the others."""
    if isinstance(q, wq.Phrase) and q.fieldname in POSITIONLESS:
        return wq.NullQuery
    return q.apply(_drop_positionless_phrases)


def run_query(searcher: Searcher, request: SearchRequest) -> SearchResult:
    """One page of hits for ``request``, with facets counted over every match after filters."""
    q = parse_query(searcher, request.text)
    filters = _filters(request)
    reader = searcher.reader()
    matched = sorted(searcher.docs_for_query(wq.And([q, *filters]) if filters else q))
    allowed = set(matched)

    limit = request.page * request.per_page
    if request.sort == "date" or not request.text:
        results = searcher.search(q, limit=limit, filter=allowed, sortedby=f.PUBLISHED, reverse=True)
    else:
        results = searcher.search(q, limit=limit, filter=allowed)
    page_hits = list(results)[(request.page - 1) * request.per_page : limit]

    matchers = _matchers(searcher.schema, _highlight_terms(q, reader))
    hits = tuple(_hit(hit, matchers) for hit in page_hits)
    selected = {"section": request.section, "topic": request.topic}
    return SearchResult(
        query=request.text,
        hits=hits,
        total=len(matched),
        page=request.page,
        per_page=request.per_page,
        facets=count_facets(reader, matched, selected),
        suggestion=None,
    )


def _filters(request: SearchRequest) -> list[wq.Query]:
    filters: list[wq.Query] = []
    if request.date_from or request.date_to:
        filters.append(
            wq.TermRange(
                f.DAY,
                request.date_from.isoformat() if request.date_from else None,
                request.date_to.isoformat() if request.date_to else None,
            )
        )
    if request.section:
        filters.append(wq.Term(f.SECTION, request.section.lower()))
    if request.topic:
        filters.append(wq.Term(f.TOPIC, request.topic.lower()))
    return filters


def _highlight_terms(q: wq.Query, reader) -> dict[str, set[str]]:
    """The analysed terms to mark, per field, prefixes and wildcards expanded against the index.

    Walks the leaves itself: Whoosh 2.7's ``Query.existing_terms`` rebinds its ``fieldname``
    argument inside the loop and so skips every field after the first.
    """
    terms: dict[str, set[str]] = {}
    for leaf in q.leaves():
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in FIELD_BOOSTS:
                terms.setdefault(fieldname, set()).add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return terms


def _matchers(schema, terms: dict[str, set[str]]) -> list[tuple[object, set[str]]]:
    """(analyzer, terms) pairs for the highlighter: stemmed words, exact forms, compound parts."""
    stemmed = set().union(*(t for name, t in terms.items() if name not in POSITIONLESS))
    pairs = [(schema[f.BODY].analyzer, stemmed)]
    pairs += [(schema[name].analyzer, terms[name]) for name in sorted(POSITIONLESS) if terms.get(name)]
    return pairs


def _hit(hit, matchers) -> Hit:
    stored = hit.fields()
    published = stored.get(f.PUBLISHED)
    parents = [p for p in (stored.get(f.PARENTS) or "").split(",") if p]
    texts = [stored.get(f.LEAD, ""), stored.get(f.BODY, "")]
    return Hit(
        id=stored[f.ID],
        kind=stored.get(f.KIND, ARTICLE),
        title=stored.get(f.TITLE, ""),
        published=from_utc(published) if published else None,
        section=stored.get(f.SECTION, ""),
        topics=tuple(t for t in (stored.get(f.TOPIC) or "").split(",") if t),
        agency=stored.get(f.AGENCY, ""),
        snippet=make_snippet(texts, matchers),
        score=float(hit.score or 0.0),
        parent_id=parents[0] if parents else None,
        url=stored.get(f.URL, ""),
    )


def _day(text: str, label: str) -> date:
    try:
        return parse_day(text)
    except ValueError:
        raise QuerySyntaxError(
            f"{label} {text!r} ist kein Datum. Erlaubt sind z. B. 2026-01-24 oder 24.01.2026."
        ) from None


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
