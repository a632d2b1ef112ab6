"""The one German analyzer, used for indexing and for queries alike.

Whoosh pickles the analyzer into the index, so every filter here must be importable by name and a
change to any of them changes what is in the index: bump ``ANALYZER_VERSION`` with it, and
``search/`` refuses an index built with another version instead of silently matching nothing.

Order matters and each stage says why it sits where it does:
tokenizer (keeps ``US-Botschaft`` whole) → lowercase → German stop words (before stemming and
folding, because the list is spelled with umlauts) → hyphen parts → Snowball German stemmer
(PyStemmer: folds ä/ö/ü/ß and reads ``ae``/``oe``/``ue`` as umlauts, so ``Praesident`` meets
``Präsident``) of the word's lemma where a dictionary knows a form Snowball misses (``ging`` is
``gehen``: ``indexer/lemmas.py``).

>>> [t.text for t in german_analyzer()("Die US-Botschaft und die Ukraine-Gespräche")]
['usbotschaft', 'us', 'botschaft', 'ukrainegesprach', 'ukrain', 'gesprach']
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import accumulate, chain
from operator import itemgetter

from whoosh.analysis import Filter, LowercaseFilter, RegexTokenizer, StopFilter

from indexer.compounds import split_compound
from indexer.german import STOP_WORDS
from indexer.lemmas import stem_lemma

# Bump with any change to the chain below, to the word lists it uses or to indexer/schema.py:
# indexes built with another version must be rebuilt, and search/ says so instead of returning
# wrong results. 2: source ledger documents. 3: ids keyed on the UTC minute. 4: exact forms and
# compound parts in fields of their own. 5: author, publisher and the agency-item fields (versions).
# 6: the ledger keeps the failures of a file. 7: exact forms with stop words and positions (quoted phrases).
# 8: the lemma of a word is stemmed where Snowball misses its form (indexer/lemmas.py).
# 9: near-duplicate groups (indexer/duplicates.py).
# 10: more lemmas: a participle used as a noun (``das Entwickelte``) no longer blocks its forms (indexer/lemmas.py).
# 11: no lemma far rarer than the word's form (``Leuten`` is no form of ``läuten``: indexer/lemmas.py).
# 12: the page a document is part of, a column (``page``: search/context.py).
ANALYZER_VERSION = 12

# A word, with hyphen-joined parts kept together so HyphenPartsFilter sees the whole compound.
WORD_PATTERN = r"\w+(?:[-‐‑]\w+)*"
_HYPHEN = re.compile(r"[-‐‑]")


class HyphenPartsFilter(Filter):
    """Index a hyphenated word as the joined whole plus each part; queries get only the parts.

    ``US-Botschaft`` is indexed as ``usbotschaft`` (at the first part's position) and ``us``,
    ``botschaft`` at consecutive positions, so the phrase ``"US Botschaft"``, the word ``Botschaft``
    and the run-together ``USBotschaft`` all find it. At query time the parts alone are emitted and
    the schema turns them into a phrase. Parts that are stop words are dropped. Place it after the
    stop filter (which renumbers positions and would otherwise pull the whole and first part
    apart) and before the stemmer, which then stems each part.

    >>> [(t.text, t.pos) for t in (RegexTokenizer(WORD_PATTERN) | HyphenPartsFilter())("US-Botschaft Moskau", positions=True)]
    [('USBotschaft', 0), ('US', 0), ('Botschaft', 1), ('Moskau', 2)]
    """

    def __init__(self, stoplist=STOP_WORDS):
        self.stops = frozenset(stoplist)

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__ and self.stops == other.stops

    def __call__(self, tokens):
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            if not _HYPHEN.search(t.text):
                yield t
                continue
            whole, base_pos = t.text, t.pos if t.positions else 0
            start = t.startchar if t.chars else 0
            parts = []
            offset = 0
            for piece in _HYPHEN.split(whole):
                if piece and piece not in self.stops:
                    parts.append((piece, offset))
                offset += len(piece) + 1
            if t.mode != "query":
                t.text = _HYPHEN.sub("", whole)
                yield t
            for i, (piece, piece_offset) in enumerate(parts):
                t.text = piece
                if t.positions:
                    t.pos = base_pos + i
                if t.chars:
                    t.startchar = start + piece_offset
                    t.endchar = t.startchar + len(piece)
                yield t
            if t.positions and parts:
                shift += len(parts) - 1


class GermanStemFilter(Filter):
    """Snowball German via PyStemmer (a C stemmer, about five times faster than Whoosh's own), of
    the word's lemma where a lemma dictionary knows forms Snowball misses (``indexer/lemmas.py``).

    >>> [t.text for t in (RegexTokenizer() | LowercaseFilter() | GermanStemFilter())("Botschaften Praesident Präsidenten ging")]
    ['botschaft', 'prasident', 'prasident', 'geh']
    """

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        stem = stem_lemma
        for t in tokens:
            if not t.stopped:
                t.text = stem(t.text)
            yield t


class CompoundPartsFilter(Filter):
    """At index time, replace each compound by its parts and drop every other word.

    The parts keep the compound's position and get character offsets inside it, so a snippet
    marks ``Botschaft`` in ``Botschaftsbesitz``. At query time words pass through unchanged: the
    query ``Botschaft`` is stemmed and meets the stemmed part. Place it before the stemmer (the
    vocabulary holds surface forms) and after lowercasing; see ``indexer/compounds.py``.

    >>> [(t.text, t.startchar, t.endchar) for t in (RegexTokenizer() | LowercaseFilter() | CompoundPartsFilter())("Der Botschaftsbesitz", chars=True)]
    [('botschaft', 4, 13), ('besitz', 14, 20)]
    """

    def __eq__(self, other):
        return other is not None and self.__class__ is other.__class__

    def __call__(self, tokens):
        for t in tokens:
            if t.mode == "query":
                yield t
                continue
            word, start = t.text, t.startchar if t.chars else 0
            for a, b in split_compound(word):
                t.text = word[a:b]
                if t.chars:
                    t.startchar, t.endchar = start + a, start + b
                yield t


def german_analyzer():
    """The analysis chain for every German text field: see the module docstring for the order."""
    return (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | HyphenPartsFilter()
        | GermanStemFilter()
    )


def exact_analyzer():
    """Lower-cased surface forms with positions, stop words kept, neither stemmed nor folded.

    A quoted phrase is matched here, so ``"die Linke"`` finds the words as written and not
    ``den Linken`` (the stemmed fields drop ``die`` and read both as ``link``). Word queries use
    it as a bonus: an exact spelling or word form ranks above one that only shares the stem
    (``Müller`` is not ``Mueller`` here; ``search/ranking.py`` weighs it).

    >>> [(t.text, t.pos) for t in exact_analyzer()("Die Müller-Werke", positions=True)]
    [('die', 0), ('müllerwerke', 1), ('müller', 1), ('werke', 2)]
    """
    return RegexTokenizer(WORD_PATTERN) | LowercaseFilter() | HyphenPartsFilter()


def compound_parts_analyzer():
    """Only the parts of compounds, stemmed, for the field that lets ``Botschaft`` find ``Botschaftsbesitz``.

    >>> [t.text for t in compound_parts_analyzer()("Das US-Außenministerium und die Botschaft")]
    ['auss', 'ministerium']
    """
    return (
        RegexTokenizer(WORD_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=STOP_WORDS, minsize=1)
        | HyphenPartsFilter()
        | CompoundPartsFilter()
        | GermanStemFilter()
    )


_WORD = re.compile(WORD_PATTERN)


class TokenLexicon(dict):
    """Raw token -> what the chains make of it: ``(stems, forms, parts, steps)``.

    ``forms`` are the lower-cased words HyphenPartsFilter emits at index time (the joined whole,
    then each part that is no stop word), ``stems`` their stems (german_analyzer), ``parts`` the
    stemmed compound parts of the forms (compound_parts_analyzer), ``steps`` how far each stem's
    position is from the previous one (a hyphenated word's first part shares the whole's
    position). A stop word has its form and a step of one (the exact field keeps it), and no
    stems or parts. German news repeats its vocabulary, so after
    the first few hundred articles nearly every token is one lookup. ``make`` turns a raw
    token into its entry (``indexer.fused.Vocabulary`` keeps one whose entries hold term numbers).
    """

    def __init__(self, make, limit: int):
        super().__init__()
        self.make = make
        self.limit = limit
        self.older: dict = {}

    def clear(self) -> None:
        """Forget both generations (``dict.clear`` alone would keep the older one)."""
        super().clear()
        self.older = {}

    def __missing__(self, raw: str):
        # Two generations bound the memory: when this one is full it becomes the older one, and
        # words still in use move back on their next lookup, so only rare words are analysed again.
        if len(self) > self.limit:
            self.older = dict(self)
            super().clear()
        entry = self.older.pop(raw, None)
        if entry is None:
            entry = self.make(raw)
        self[raw] = entry
        return entry


def lexicon_entry(raw: str) -> tuple:
    word = raw.lower()
    if word in STOP_WORDS:
        return (), (word,), (), (1,)
    if _HYPHEN.search(word):
        forms = (_HYPHEN.sub("", word), *(p for p in _HYPHEN.split(word) if p and p not in STOP_WORDS))
        steps = (1, 0, *(1,) * (len(forms) - 2)) if len(forms) > 1 else (1,)
    else:
        forms = (word,)
        steps = (1,)
    stems = tuple(stem_lemma(form) for form in forms)
    parts = tuple(stem_lemma(form[a:b]) for form in forms for a, b in split_compound(form))
    return stems, forms, parts, steps


STEMS, FORMS, PARTS, STEPS = (itemgetter(k) for k in range(4))  # fields of a lexicon entry
# Module-level on purpose: an entry depends on the word and the analyzer version only, never on an
# index, so every writer of the process shares it; bounded (two generations, about 50 MB each)
# and emptied by ``_LEXICON.clear()``. A build's numbered lexicon is owned by the build (indexer.fused).
_LEXICON = TokenLexicon(lexicon_entry, 150_000)  # entries a generation, about 50 MB


def text_entries(text: str, lexicon: TokenLexicon = _LEXICON) -> list[tuple]:
    """The lexicon entry of every word of ``text``, stop words included, in order."""
    return list(map(lexicon.__getitem__, _WORD.findall(text)))


def kept_entries(entries: list[tuple]) -> tuple[int, list[tuple]]:
    """The entries of the words that are no stop words, and the token number of the first of
    them (the stop filter renumbers from there)."""
    kept = list(filter(STEMS, entries))
    first = 0
    if kept:
        while not entries[first][0]:
            first += 1
    return first, kept


def form_positions(entries: list[tuple]) -> tuple[list, Iterable[int]]:
    """The forms ``exact_analyzer()`` indexes for the entries of a text, and the position of each.

    >>> form_positions(text_entries("Die US-Botschaft"))
    (['die', 'usbotschaft', 'us', 'botschaft'], [0, 1, 1, 2])
    """
    forms = list(chain.from_iterable(map(FORMS, entries)))
    if len(forms) == len(entries):  # no hyphenated word with parts: one position per word
        return forms, range(len(forms))
    return forms, list(accumulate(chain.from_iterable(map(STEPS, entries)), initial=-1))[1:]


def compound_terms(text: str) -> list[str]:
    """The terms ``compound_parts_analyzer()`` gives for ``text``, read off the token lexicon.

    As a Whoosh filter chain that is one more full analysis per document (each generator stage
    costs per token), so the writer hands Whoosh this ready list (the field has no positions);
    the bulk writer reads the same lexicon. Queries and snippets still use the chain;
    ``tests/test_analysis.py`` holds the two to the same output.

    >>> compound_terms("Der US-Botschaftsbesitz")
    ['botschaft', 'besitz']
    """
    return list(chain.from_iterable(map(PARTS, text_entries(text))))
