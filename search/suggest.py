""""Meinten Sie …?": a better spelling of the query, from the index's own vocabulary.

Candidates, per word, cheapest first: two words that the index knows as one (``Bundes tag`` →
``Bundestag``), umlauts restored from their two-letter spellings (``Muenchen`` → ``München``),
a compound the index only knows in parts (``Impfzentrumsleiter`` → ``Impfzentrum Leiter``), and
last Whoosh's edit-distance corrector. The vocabulary is the ``exact`` field: lower-cased surface
forms, so a suggestion is a word people write, not a stem. A suggestion is offered only when it
finds more documents than the query did.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from indexer import schema as f
from indexer.compounds import split_compound
from indexer.german import STOP_WORDS
from search.syntax import FIELD_ALIASES, OPERATORS

_WORD = re.compile(r"[^\W\d_][\w-]*")
_DIGRAPHS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"), ("ss", "ß"))
MAX_VARIANTS = 16


def suggest_query(searcher, text: str, total: int, count: Callable[[str], int]) -> str | None:
    """A rewritten ``text`` that finds more than ``total`` documents, or ``None``.

    ``count`` runs a query text with the request's filters and returns its number of matches.
    """
    reader = searcher.reader()

    def known(word: str) -> bool:
        return (f.EXACT, word) in reader

    words = [m for m in _WORD.finditer(text) if not _is_syntax(text, m)]
    replacements: list[tuple[int, int, str]] = []
    skip_next = False
    for i, m in enumerate(words):
        if skip_next:
            skip_next = False
            continue
        word = m.group()
        lower = word.lower()
        following = words[i + 1] if i + 1 < len(words) else None
        if following is not None and not text[m.end() : following.start()].strip():
            joined = lower + following.group().lower()
            if known(joined) and not (known(lower) and known(following.group().lower()) and total):
                replacements.append((m.start(), following.end(), _cased_like(word, joined)))
                skip_next = True
                continue
        if known(lower) or "-" in lower:
            continue
        better = _restored_umlauts(lower, known) or _split(lower, known) or _corrected(searcher, lower)
        if better and better != lower:
            replacements.append((m.start(), m.end(), " ".join(_cased_like(word, w) for w in better.split())))
    if not replacements:
        return None
    suggestion = text
    for start, end, new in reversed(replacements):
        suggestion = suggestion[:start] + new + suggestion[end:]
    return suggestion if count(suggestion) > total else None


def _is_syntax(text: str, m: re.Match) -> bool:
    word = m.group()
    if text[m.end() : m.end() + 1] == ":" and word.lower() in FIELD_ALIASES:
        return True
    return (word.isupper() and word.lower() in OPERATORS) or word.lower() in STOP_WORDS


def _restored_umlauts(word: str, known: Callable[[str], bool]) -> str | None:
    spots = [(i, pair) for pair in _DIGRAPHS for i in _find_all(word, pair[0])]
    if not spots:
        return None
    for size in range(1, len(spots) + 1):
        for chosen in itertools.islice(itertools.combinations(spots, size), MAX_VARIANTS):
            variant = word
            for i, (digraph, umlaut) in sorted(chosen, reverse=True):
                if variant[i : i + 2] == digraph:
                    variant = variant[:i] + umlaut + variant[i + 2 :]
            if known(variant):
                return variant
    return None


def _split(word: str, known: Callable[[str], bool]) -> str | None:
    parts = [word[a:b] for a, b in split_compound(word)]
    return " ".join(parts) if parts and all(known(p) for p in parts) else None


def _corrected(searcher, word: str) -> str | None:
    if len(word) < 4:
        return None
    found = searcher.corrector(f.EXACT).suggest(word, limit=1, maxdist=2, prefix=1)
    return found[0] if found else None


def _find_all(word: str, digraph: str) -> list[int]:
    return [m.start() for m in re.finditer(f"(?={digraph})", word)]


def _cased_like(original: str, word: str) -> str:
    return word[:1].upper() + word[1:] if original[:1].isupper() else word
