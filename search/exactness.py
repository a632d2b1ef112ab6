"""Words as written: the "exakt" switch, and quoted words near each other (``"Merkel Macron"~5``).

Both search the ``exact`` field (indexer/schema.py): lower-cased surface forms with positions,
neither stemmed nor umlaut-folded, stop words kept.

- ``as_written(tree)``: the "exakt" switch (``exact=1``, ``--exact``) turns every plain word into
  a quoted one-word phrase, which the query language already reads as "this form only"
  (``"Linken"`` does not find ``Linke``). Prefixes, ``autor:`` and the filters stay as they are.
  It rewrites the parsed tree, so it holds for every backend.
- a phrase with a slop, as Lucene writes it: ``"Merkel Macron"~5`` finds the words with at most
  5 other words between them, in either order. The parser reads it (``Phrase.slop``); the Whoosh
  backend turns it into ``SpanNear2`` (search/whoosh/translate.py, ``_near_query``).
"""
from __future__ import annotations

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
