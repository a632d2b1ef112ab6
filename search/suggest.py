""""Meinten Sie …?": a better spelling of the query, from the index's own vocabulary.

Candidates, per word, cheapest first: two words that the index knows as one (``Bundes tag`` →
``Bundestag``), umlauts restored from their two-letter spellings (``Muenchen`` → ``München``),
a compound the index only knows in parts (``Impfzentrumsleiter`` → ``Impfzentrum Leiter``), and
last the nearest known word by edit distance. The vocabulary is the ``exact`` field: lower-cased surface
forms, so a suggestion is a word people write, not a stem. A suggestion is offered only when it
finds more documents than the query did.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from indexer.compounds import split_compound
from indexer.german import DIGRAPHS, STOP_WORDS
from search.scatter import as_shards
from search.syntax import FIELD_ALIASES, OPERATORS

_WORD = re.compile(r"[^\W\d_][\w-]*")
MAX_VARIANTS = 16
MIN_CORRECTED_LENGTH = 4
MAX_CORRECTED_LENGTH = 40  # longer is no misspelling but a paste; German compounds rarely pass 40
EDIT_ODDS = 20  # how much likelier one edit is than two, in frequency


def suggest_query(vocabulary, text: str, total: int, count: Callable[[str], int]) -> str | None:
    """A rewritten ``text`` that finds more than ``total`` documents, or ``None``.

    ``vocabulary`` answers ``known``, ``near`` and ``frequency`` over the surface forms of every
    shard (``search/scatter.py``; a Whoosh searcher is taken as one shard). ``count`` runs a
    query text with the request's filters and returns its number of matches.
    """
    vocabulary = as_shards(vocabulary)
    known = vocabulary.known

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
        better = _restored_umlauts(lower, known) or _split(lower, known) or _corrected(vocabulary, lower)
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
    spots = [(i, pair) for pair in DIGRAPHS for i in _find_all(word, pair[0])]
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


def _corrected(vocabulary, word: str) -> str | None:
    """The likeliest known word for ``word``: at most 2 edits away, the first letter kept, ranked
    by frequency with each edit costing a factor of ``EDIT_ODDS``.

    Whoosh's corrector walked every term with the same first letter through a pure-Python edit
    distance: 0.2-0.9 s per misspelled word over the 28k FANG articles. Each shard keeps its
    words of that letter and checks them with rapidfuzz's C++ distance (the same restricted
    Damerau-Levenshtein) in ~3 ms (``near`` of ``search/whoosh/shard.py``).
    """
    if not MIN_CORRECTED_LENGTH <= len(word) <= MAX_CORRECTED_LENGTH:
        return None
    best = vocabulary.near(word)
    if not best:
        return None
    # One edit is far likelier than two: a word two edits away wins only if it is 20x as frequent
    # (Whoosh ranked by frequency alone and turned "tite" into "tage" before "titel").
    return max(sorted(best), key=lambda c: vocabulary.frequency(c) / EDIT_ODDS ** best[c])


def _find_all(word: str, digraph: str) -> list[int]:
    return [m.start() for m in re.finditer(f"(?={digraph})", word)]


def _cased_like(original: str, word: str) -> str:
    return word[:1].upper() + word[1:] if original[:1].isupper() else word
