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

import numpy as np
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer import schema as f
from indexer.errors import QuerySyntaxError
from indexer.german import STOP_WORDS, fold
from indexer.model import ARTICLE, RELATED
from indexer.settings import MAX_PER_PAGE, PER_PAGE
from search.authors import any_word, author_query, is_author, without_authors
from search.dates import EXAMPLES, parse_date_range
from search.documents import stored_hit
from search.evaluate import Matches, evaluate, published
from search.exactness import as_written, near_query
from search.folding import fold_stories, with_duplicates
from search.facets import KEYWORD_NAMES, Filters, count_facets, document_columns, passing
from search.ranking import (
    FIELD_BOOSTS,
    ANALYSED_APART,
    SCORED_APART,
    SPLIT_WEIGHT,
    CombinedTerm,
    recency_factor,
    weighting,
)
from search.proximity import ranked_matches
from search.results import SearchResult
from search.suggest import suggest_query
from search.syntax import Group, Not, Phrase, Required, Word, parse_user_query

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
    collapse: bool = True  # near-duplicates folded under one hit (search/folding.py); False shows each


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
        collapse=str(collapse).lower() not in ("0", "false", "nein", "off"),
    )


def _switch(value: bool | str | None) -> bool:
    """A checkbox or flag: ``1``, ``true``, ``ja``, ``on`` (any case) or ``True``."""
    return str(value).lower() in ("1", "true", "ja", "on") if isinstance(value, str) else bool(value)


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
    if request.exact:
        parsed = replace(parsed, tree=as_written(parsed.tree))
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

    folded = fold_stories(searcher.reader(), matched) if request.collapse else None
    if folded is not None:
        matched = folded.stories
    start, limit = (request.page - 1) * request.per_page, request.page * request.per_page
    if request.sort == "oldest":
        ranked = matched.by_key(_oldest_first(published(searcher.reader())), limit)
    elif request.sort == "newest" or parsed.tree is None:
        ranked = matched.by_key(published(searcher.reader()), limit)
    else:
        ranked = ranked_matches(searcher, without_authors(parsed.tree), matched, limit)
    page_hits = [(searcher.stored_fields(doc), score) for doc, score in ranked[start:limit]]
    result = _result(searcher, request, text, q, page_hits, base.docs, len(matched), columns, filters,
                     messages, notice)
    return with_duplicates(result, folded, searcher, [doc for doc, _ in ranked[start:limit]])


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


def to_whoosh(node, schema, boosts: dict[str, float] | None = None) -> wq.Query:
    """The Whoosh query for a parsed tree; ``None`` (nothing searchable) matches every document.

    ``boosts`` replaces ``FIELD_BOOSTS`` (fields and weights) for ablation studies in bench/.
    """
    built = _build(node, schema, boosts or FIELD_BOOSTS) if node is not None else None
    if built is None:
        return _everything()
    if isinstance(built, wq.Not):  # "NICHT Krieg" alone: everything except
        return wq.And([_everything(), built])
    return built.normalize()


def parse_query(searcher: Searcher, text: str, any_words: bool = False,
                boosts: dict[str, float] | None = None) -> wq.Query:
    """The Whoosh query for a query string, without filters (bench and quality scripts use it).

    ``any_words`` ORs the top level: for questions and headlines used as queries, where requiring
    every word would find almost nothing. Quotes there are quotations, not a demand for the exact
    wording: ``„Wir müssen die Lieferketten aufrechterhalten“`` asks for its words, and an article
    that has them in this order gains the phrase on top (``_words_and_phrase``).
    """
    tree = parse_user_query(text).tree
    if any_words:
        tree = any_words_tree(tree)
    return to_whoosh(tree, searcher.schema, boosts)


def search_ranked(searcher: Searcher, text: str, limit: int, any_words: bool = False,
                  boosts: dict[str, float] | None = None, proximity: bool = True) -> list[tuple[int, float]]:
    """The best ``limit`` (document number, score) for a query string, ranked as ``run_query``
    ranks them, without filters (the quality script asks this; ``boosts`` and ``proximity``
    switch features off for its ablation rows)."""
    tree = parse_user_query(text).tree
    matches = evaluate(searcher, to_whoosh(any_words_tree(tree) if any_words else tree, searcher.schema, boosts))
    return ranked_matches(searcher, tree, matches, limit, boosts) if proximity else matches.ranked(limit)


def any_words_tree(tree):
    """The parsed tree with its top level OR-ed, each top-level phrase as its words plus the phrase."""
    if isinstance(tree, Group) and tree.op == "AND":
        children = tree.children
    elif isinstance(tree, Phrase):
        children = (tree,)
    else:
        return tree
    return Group("OR", tuple(c for child in children for c in _words_and_phrase(child)))


def _words_and_phrase(node) -> tuple:
    if not isinstance(node, Phrase):
        return (node,)
    return (*(Word(w, node.field) for w in node.words), node)


def _everything() -> wq.Query:
    # Every searchable document; the index's source ledger is not one.
    return wq.Or([wq.Term(f.KIND, ARTICLE), wq.Term(f.KIND, RELATED)])


def _build(node, schema, boosts: dict[str, float], any_part: bool = False) -> wq.Query | None:
    """``any_part``: the node is one of OR-ed words, where a compound's parts need not all match."""
    if is_author(node):
        return author_query(node)
    if isinstance(node, Word):
        return _word_query(node, schema, boosts, any_part)
    if isinstance(node, Phrase):
        return _phrase_query(node, schema, boosts)
    if isinstance(node, Not):
        child = _build(node.child, schema, boosts)
        return wq.Not(child) if child is not None else None
    if isinstance(node, Required):
        return _build(node.child, schema, boosts)
    if isinstance(node, Group):
        built = [(c, _build(c, schema, boosts, node.op == "OR")) for c in node.children]
        built = [(c, b) for c, b in built if b is not None]
        if not built:
            return None
        if node.op == "AND":
            positive = [b for c, b in built if not isinstance(b, wq.Not)]
            if not positive:
                return wq.And([_everything(), *(b for _, b in built)])
            return wq.And([b for _, b in built])
        required = [b for c, b in built if isinstance(c, Required)]
        optional = [b for c, b in built if not isinstance(c, Required)]
        if required and optional:
            return wq.AndMaybe(wq.And(required), wq.Or(optional))
        return wq.And(required) if required else wq.Or(optional)
    return None


def _fields_for(fieldname: str | None, boosts: dict[str, float]) -> dict[str, float]:
    if fieldname == "title":
        return {f.TITLE: boosts.get(f.TITLE, FIELD_BOOSTS[f.TITLE])}
    return boosts


def _word_query(word: Word, schema, boosts: dict[str, float], any_part: bool = False) -> wq.Query | None:
    fields = _fields_for(word.field, boosts)
    alternatives = []
    if not word.prefix:
        # The stemmed text fields share one analyzer: the word is one BM25F term over all of them.
        stemmed = {name: boost for name, boost in fields.items() if name not in ANALYSED_APART | SCORED_APART}
        fields = {name: boost for name, boost in fields.items() if name in ANALYSED_APART | SCORED_APART}
        if stemmed:
            combined = _combined_query(word.text, schema, stemmed)
            if combined is not None:
                alternatives.append(combined)
            split = _split_query(word.text, schema, stemmed, boosts, any_part)
            if split is not None:
                alternatives.append(split)
    for name, boost in fields.items():
        if word.prefix:
            prefix = _prefix_query(word.text, name, schema, boost) if name != f.PARTS else None
            if prefix is not None:
                alternatives.append(prefix)
            continue
        tokens = list(schema[name].process_text(word.text, mode="query"))
        if name == f.EXACT:  # it holds stop words for phrases; alone they are no search word
            tokens = [t for t in tokens if t not in STOP_WORDS]
        if len(tokens) == 1:
            alternatives.append(wq.Term(name, tokens[0], boost=boost))
        elif tokens:
            # "Hotelzimmer-Quarantäne", "CDU/CSU": the joined whole as indexed, or all parts in any
            # order; a strict phrase lost articles that write the parts apart.
            parts = wq.And([wq.Term(name, t) for t in tokens])
            whole = next(iter(schema[name].process_text(word.text, mode="index")), None)
            joined = [wq.Term(name, whole)] if whole and whole not in tokens else []
            alternatives.append(wq.Or([*joined, parts], boost=boost))
    return wq.Or(alternatives) if alternatives else None


def _split_query(text: str, schema, stemmed: dict[str, float], boosts: dict[str, float],
                 any_part: bool) -> wq.Query | None:
    """A compound typed as one word, asked for as its parts too: ``Gletscherabfluss`` finds an
    article about the ``Abfluss`` of a ``Gletscher``.

    Each part is one BM25F term over the stemmed fields and the ``parts`` field, so it counts
    written alone and inside another compound (``Abflussmenge``). All parts together weigh
    ``SPLIT_WEIGHT``, below the whole word, so the article with the compound itself stays first.
    Among OR-ed words (``any_part``: questions, headlines) one part is enough; where every word
    is required, every part is, or ``Botschaftsbesitz`` would find each article about ``Besitz``.
    """
    if not SPLIT_WEIGHT or f.PARTS not in boosts:
        return None
    parts = list(dict.fromkeys(schema[f.PARTS].process_text(text, mode="index")))
    if not parts:
        return None
    fields = {**stemmed, f.PARTS: boosts[f.PARTS]}
    terms = [CombinedTerm.of(part, fields) for part in parts]
    return (wq.Or if any_part else wq.And)(terms, boost=SPLIT_WEIGHT)


def _combined_query(text: str, schema, fields: dict[str, float]) -> wq.Query | None:
    """The word in the stemmed fields as ``CombinedTerm``s: a hyphenated word as its joined whole,
    or all its parts anywhere in the article (not necessarily in one field)."""
    analyzed = schema[next(iter(fields))]
    tokens = list(analyzed.process_text(text, mode="query"))
    if len(tokens) == 1:
        return CombinedTerm.of(tokens[0], fields)
    if not tokens:
        return None
    parts = wq.And([CombinedTerm.of(t, fields) for t in tokens])
    whole = next(iter(analyzed.process_text(text, mode="index")), None)
    return wq.Or([CombinedTerm.of(whole, fields), parts]) if whole and whole not in tokens else parts


def _phrase_query(phrase: Phrase, schema, boosts: dict[str, float]) -> wq.Query | None:
    """A quoted phrase: the words as written, in this order, stop words included (``exact``).

    Only case is folded there, so ``"die Linke"`` does not find ``den Linken``, though both
    stem to ``link`` and the stemmed fields drop ``die``. The stemmed fields' phrase (each word
    one field, as before) adds its field weights to the score where it matches, so a phrase in
    the headline ranks first; ``titel:"…"`` requires it in the headline.
    """
    if phrase.slop:  # "a b"~5: near each other (search/exactness.py)
        stemmed = [_word_query(Word(w, phrase.field), schema, boosts) for w in phrase.words]
        return near_query(phrase, schema, [q for q in stemmed if q is not None])
    text = " ".join(phrase.words)
    exact_tokens = list(schema[f.EXACT].process_text(text, mode="query"))
    if not exact_tokens:
        return None
    exact = wq.Phrase(f.EXACT, exact_tokens) if len(exact_tokens) > 1 else wq.Term(f.EXACT, exact_tokens[0])
    alternatives = []
    for name, boost in _fields_for(phrase.field, boosts).items():
        if name in ANALYSED_APART:
            continue
        tokens = list(schema[name].process_text(text, mode="query"))
        if len(tokens) > 1:
            alternatives.append(wq.Phrase(name, tokens, boost=boost))
        elif tokens:
            alternatives.append(wq.Term(name, tokens[0], boost=boost))
    if phrase.field is not None:
        return wq.And([exact, wq.Or(alternatives)]) if alternatives else None
    return wq.AndMaybe(exact, wq.Or(alternatives)) if alternatives else exact


def _prefix_query(text: str, name: str, schema, boost: float) -> wq.Query | None:
    """A prefix as the index spells terms: lower-case in ``exact``; in the stemmed fields folded as
    the stemmer folds (``Praesid*`` and ``Präsid*`` both ``prasid``), and the typed word's own stem
    beside it, which may be shorter than the word: ``Gebaeude*`` finds ``gebaud`` (``Gebäude``)
    as ``Gebäude*`` does, though ``gebaude`` starts no term."""
    prefix = text.lower() if name == f.EXACT else fold(text)
    if not prefix:
        return None
    stems = [] if name == f.EXACT else list(schema[name].process_text(text, mode="query"))
    if len(stems) == 1 and stems[0] != prefix:
        return wq.Or([wq.Prefix(name, prefix), wq.Term(name, stems[0])], boost=boost)
    return wq.Prefix(name, prefix, boost=boost)


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



def query_matchers(searcher: Searcher, request: SearchRequest) -> list[tuple[object, set[str]]]:
    """What marks the search's words in a text, as in its snippets: for the article page opened from it."""
    tree = parse_user_query(request.text[:MAX_QUERY_CHARS]).tree
    tree = as_written(tree) if request.exact else tree
    return _matchers(searcher.schema, _highlight_terms(to_whoosh(tree, searcher.schema), searcher.reader()))


def _highlight_terms(q: wq.Query, reader) -> dict[str, set[str]]:
    """The analysed terms to mark, per field, prefixes and wildcards expanded against the index.

    Walks the leaves itself: Whoosh 2.7's ``Query.existing_terms`` rebinds its ``fieldname``
    argument inside the loop and so skips every field after the first. Terms under a NOT are
    not marked. A phrase in ``exact`` is marked as a whole (a tuple of its words), not word by word.
    """
    terms: dict[str, set] = {}
    for leaf in _positive_leaves(q):
        if isinstance(leaf, wq.Phrase) and leaf.fieldname == f.EXACT:
            terms.setdefault(f.EXACT, set()).add(tuple(leaf.words))
            continue
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in FIELD_BOOSTS:
                terms.setdefault(fieldname, set()).add(text.decode("utf-8") if isinstance(text, bytes) else text)
    return terms


def _positive_leaves(q: wq.Query):
    if isinstance(q, wq.Not):
        return
    if isinstance(q, wq.AndMaybe) and q.a.is_leaf() and q.a.field() == f.EXACT:
        # a quoted phrase (_phrase_query): the stemmed words only add to its score, and marking
        # them would mark "den Linken" in a hit found for "die Linke"
        yield q.a
        return
    if q.is_leaf():
        yield q
        return
    for child in q.children():
        yield from _positive_leaves(child)


def _matchers(schema, terms: dict[str, set[str]]) -> list[tuple[object, set[str]]]:
    """(analyzer, terms) pairs for the highlighter: stemmed words, exact forms and phrases, compound parts."""
    stemmed = set().union(*(t for name, t in terms.items() if name not in ANALYSED_APART))
    pairs = [(schema[f.BODY].analyzer, stemmed)]
    pairs += [(schema[name].analyzer, terms[name]) for name in sorted(ANALYSED_APART) if terms.get(name)]
    return pairs


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
