"""Which words a document must hold to be found: the one decision, for every way of searching.

- A query's words are all required (the query language's default AND).
- A question (``search.ranking.is_question``: it ends with ``?``) requires its content words only.
  Its interrogatives and auxiliaries (``QUESTION_WORDS``: ``wer``, ``wann``, ``wurde``, ``wie
  viele``, ``hat`` ...) say what kind of answer is wanted, and the answer seldom repeats them:
  "Wer wurde Präsident?" required ``wer`` and ``wurde`` too and found 6 of the 156 Wikinews
  articles about a ``Präsident``. They stay in the query as optional words, which add to a
  document's score where it has them (dropping them measured worse: bench/README.md, "Issue 17,
  question words optional; question-specific proximity and coordination").
- When the first search finds nothing and the searcher wrote no operator, some of the words
  are enough (``fallback``), with a notice; an ``autor:`` stays required, it is a filter.

``run_query`` (search/query.py) asks ``asked`` once per search, before any shard is asked, so
the web page, ``/api/search``, the CLI and every shard of a sharded or Ray index search the same
tree; the fallback is decided on the total over all shards.

Quoted phrases, fielded words (``titel:wer``), prefixes, ``+``/``-`` and operators keep their
meaning in a question: only the plain words at the top level of a question are looked at, and a
question written with AND/OR/NOT or parentheses is searched as written.
"""
from __future__ import annotations

from dataclasses import dataclass

from search.authors import is_author
from search.syntax import Group, Not, ParsedQuery, Phrase, Required, Word

# German interrogatives and the auxiliaries and modal verbs questions are built with, lower-case.
# Most of them are stop words already, and the analyzer drops those (they cost nothing either
# way); the others (``wer``, ``wann``, ``warum``, ``wurde``, ``viele``, ``gibt``, ``heißt`` ...) are
# frequent, so their IDF is low, but required they cut the matches to the texts that happen to
# use them. Verbs with meaning of their own (``genannt``, ``gegründet``) are content words.
QUESTION_WORDS = frozenset(
    """
    wer wen wem wessen was wann wo woher wohin warum wieso weshalb weswegen wie wieviel wieviele
    viel viele welche welcher welches welchen welchem wozu wofür womit wodurch worüber worauf
    woran wovon worin woraus wonach worum wogegen
    ist sind war waren wird werden wurde wurden worden sein gewesen hat haben hatte hatten hätte
    hätten gibt gab gaben kann können konnte konnten muss müssen musste mussten soll sollen
    sollte sollten darf dürfen durfte will wollen wollte wollten heißt hieß hießen nennt nennen
    nannte nannten lautet lautete
    """.split()
)


@dataclass(frozen=True, slots=True)
class Asked:
    """What a search asks the shards: ``tree`` first; ``fallback`` (some of the words) if that
    finds nothing over all shards, ``None`` where finding nothing is the answer."""

    tree: object | None
    fallback: object | None = None


def asked(parsed: ParsedQuery, question: bool) -> Asked:
    """The trees to search for ``parsed``: a question's content words required, its question words
    optional (``question``: ``search.ranking.is_question`` of the typed text)."""
    tree = parsed.tree
    if parsed.explicit_operators or not isinstance(tree, Group) or tree.op != "AND":
        return Asked(tree)
    asking = [question and _is_question_word(c, i) for i, c in enumerate(tree.children)]
    words = [c for c, q in zip(tree.children, asking) if isinstance(c, (Word, Phrase)) and not is_author(c) and not q]
    fallback = any_word(tree) if len(words) >= 2 else None
    if not any(asking) or not any(not q and not isinstance(c, Not) and not is_author(c)
                                  for c, q in zip(tree.children, asking)):
        return Asked(tree, fallback)  # no question word, or nothing but question words to require
    # In query order, which proximity reads: "+Präsident wer wurde" in the query language.
    return Asked(Group("OR", tuple(c if q or isinstance(c, Required) else Required(c)
                                   for c, q in zip(tree.children, asking))), fallback)


def any_word(tree: Group) -> Group:
    """Some of the words instead of all; an ``autor:`` stays required, it is a filter."""
    authors = tuple(c for c in tree.children if is_author(c))
    words = Group("OR", tuple(c for c in tree.children if not is_author(c)))
    return Group("AND", (words, *authors)) if authors else words


def _is_question_word(node, position: int) -> bool:
    """A plain word of ``QUESTION_WORDS``, written lower-case or opening the question: a capital
    inside a German sentence marks a noun (``Welche Waren …?``: the goods, not ``waren``)."""
    return (isinstance(node, Word) and node.field is None and not node.prefix
            and node.text.lower() in QUESTION_WORDS and (position == 0 or not node.text.istitle()))
