"""``autor:`` in a query: a filter on the bylines, built into the Whoosh query but never scored.

The ``author`` field holds one lower-cased term per name (``anna weber``, indexer/schema.py), so
``autor:Weber`` is a wildcard over those terms: the typed words as whole words of a name. The
rest of the query machinery asks here whether a node is such a filter, so that the fallback
from all words to some (search/required.py) keeps it required and proximity does not count its words.
"""
from __future__ import annotations

from whoosh import query as wq

from indexer import schema as f
from search.syntax import AUTHOR, Group, Not, Phrase, Required, Word


def is_author(node) -> bool:
    return isinstance(node, (Word, Phrase)) and node.field == AUTHOR


def without_authors(node):
    """The tree without its ``autor:`` parts: their words are no text to find close together."""
    if is_author(node):
        return None
    if isinstance(node, Group):
        kept = tuple(c for c in (without_authors(c) for c in node.children) if c is not None)
        return Group(node.op, kept) if kept else None
    if isinstance(node, (Not, Required)):
        child = without_authors(node.child)
        return type(node)(child) if child is not None else None
    return node


_NOT_IN_NAMES = str.maketrans("", "", "*?[]")  # wildcard syntax: a name is matched as written


def author_query(node) -> wq.Query | None:
    """``autor:Weber``, ``autor:"Anna Weber"``: the names that hold these words, in this order.

    ``author`` has one lower-cased term per name (``anna weber``), so a surname ends a term, a
    first name starts one, and the whole name is one: a wildcard over the author terms (a few
    thousand). It filters and adds nothing to the score, as a byline says nothing about relevance.
    """
    words = node.words if isinstance(node, Phrase) else (node.text,)
    name = " ".join(w.lower().translate(_NOT_IN_NAMES) for w in words).strip()
    if not name:
        return None
    if isinstance(node, Word) and node.prefix:
        patterns = [f"{name}*", f"* {name}*"]
    else:
        patterns = [name, f"* {name}", f"{name} *", f"* {name} *"]
    return wq.ConstantScoreQuery(wq.Or([wq.Wildcard(f.AUTHOR, p) for p in patterns]), 0.0)
