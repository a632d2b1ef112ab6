"""The parsed query tree as Whoosh queries: words as BM25F ``CombinedTerm``s, phrases, prefixes.

Moved out of ``search/query.py`` (issue 18): what a typed word becomes in Whoosh is the Whoosh
backend's business; ``search/query.py`` re-exports the public names. The tree-level rewrites stay
outside (``search/exactness.py``'s ``as_written``); a phrase with a slop (``"a b"~5``) becomes
Whoosh's ``SpanNear2`` here (``_near_query``).
"""
from __future__ import annotations

from whoosh import query as wq
from whoosh.query import spans
from whoosh.searching import Searcher

from indexer import schema as f
from indexer.german import STOP_WORDS, fold
from indexer.model import ARTICLE, RELATED
from search.authors import author_query, is_author
from search import ranking
from search.ranking import ANALYSED_APART, FIELD_BOOSTS, SCORED_APART, field_boosts, is_question
from search.whoosh.combined import CombinedTerm, weighting
from search.syntax import Group, Not, Phrase, Required, Word, parse_user_query
from search.whoosh.evaluate import evaluate
from search.whoosh.proximity import ranked_matches


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
    switch features off for its ablation rows: with ``boosts`` given, a question is weighted as
    any other query)."""
    tree = parse_user_query(text).tree
    question = boosts is None and is_question(text)
    q = to_whoosh(any_words_tree(tree) if any_words else tree, searcher.schema, boosts or field_boosts(question))
    matches = evaluate(searcher, q, weighting=weighting(question) if question else None)
    return ranked_matches(searcher, tree, matches, limit, boosts, question) if proximity else matches.ranked(limit)


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
    split_weight = ranking.SPLIT_WEIGHT  # read when asked, so that bench/sweep.py can set it
    if not split_weight or f.PARTS not in boosts:
        return None
    parts = list(dict.fromkeys(schema[f.PARTS].process_text(text, mode="index")))
    if not parts:
        return None
    fields = {**stemmed, f.PARTS: boosts[f.PARTS]}
    terms = [CombinedTerm.of(part, fields) for part in parts]
    return (wq.Or if any_part else wq.And)(terms, boost=split_weight)


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
    if phrase.slop:  # "a b"~5: near each other
        stemmed = [_word_query(Word(w, phrase.field), schema, boosts) for w in phrase.words]
        return _near_query(phrase, schema, [q for q in stemmed if q is not None])
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


def _near_query(phrase: Phrase, schema, stemmed: list[wq.Query]) -> wq.Query | None:
    """The words of ``phrase`` within ``phrase.slop`` words of each other in ``exact``, in any order.

    As Lucene writes it: ``"Merkel Macron"~5`` finds the words with at most 5 other words between
    them, in either order (Lucene would need 2 more for the reversed order; nobody asking for
    "near" means "but not the other way round"). Whoosh's ``SpanNear2`` counts the distance
    between positions, so the slop given to it is one more than the words allowed between.
    ``stemmed`` (each word in the stemmed fields) adds to the score where it matches, as for a
    phrase; ``titel:"…"~N`` asks for the words in the headline too.
    """
    tokens = list(schema[f.EXACT].process_text(" ".join(phrase.words), mode="query"))
    if not tokens:
        return None
    terms = [wq.Term(f.EXACT, t) for t in tokens]
    near = terms[0] if len(terms) == 1 else spans.SpanNear2(terms, slop=phrase.slop + 1, ordered=False)
    if not stemmed:
        return near
    if phrase.field is not None:
        return wq.And([near, *stemmed])
    return wq.AndMaybe(near, wq.Or(stemmed))


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
