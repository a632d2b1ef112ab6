"""Words as written: the "exakt" switch, and quoted words near each other (``"Merkel Macron"~5``).

Both search the ``exact`` field (indexer/schema.py): lower-cased surface forms with positions,
neither stemmed nor umlaut-folded, stop words kept. search/query.py asks here for the two things
it cannot say itself:

- ``as_written(tree)``: the "exakt" switch (``exact=1``, ``--exact``) turns every plain word into
  a quoted one-word phrase, which the query language already reads as "this form only"
  (``"Linken"`` does not find ``Linke``). Prefixes, ``autor:`` and the filters stay as they are.
- ``near_query(phrase, …)``: a phrase with a slop, as Lucene writes it. ``"Merkel Macron"~5``
  finds the words with at most 5 other words between them, in either order (Lucene would need
  2 more for the reversed order; nobody asking for "near" means "but not the other way round").
  Whoosh's ``SpanNear2`` counts the distance between positions, so the slop given to it is one
  more than the words allowed between.
"""
from __future__ import annotations

from whoosh import query as wq
from whoosh.query import spans

from indexer import schema as f
from search.syntax import AUTHOR, Group, Not, Phrase, Required, Word


def as_written(node):
    """The tree with each plain word (not a prefix, not an author) as a one-word phrase."""
    if isinstance(node, Word):
        return Phrase((node.text,), node.field) if not node.prefix and node.field != AUTHOR else node
    if isinstance(node, Group):
        return Group(node.op, tuple(as_written(c) for c in node.children))
    if isinstance(node, (Not, Required)):
        return type(node)(as_written(node.child))
    return node


def near_query(phrase: Phrase, schema, stemmed: list[wq.Query]) -> wq.Query | None:
    """The words of ``phrase`` within ``phrase.slop`` words of each other in ``exact``, in any order.

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
