"""The fused analyzers of a full build: what ``german_analyzer()``, ``exact_analyzer()`` and
``compound_parts_analyzer()`` index, computed in a few passes that run in C.

Text fields analysed with exactly the chain of ``indexer.analysis.german_analyzer()`` go through
``token_positions``, one fused function doing what the tokenizer and its four filters do; keyword
fields with counts (``listed_terms``) become lists of terms; any other analyzer falls back to
Whoosh's own ``field.index`` (``fused_plan`` decides).
``tests/test_bulk.py`` proves the fused functions give the same terms and positions as the chains.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, chain

from whoosh.analysis import KeywordAnalyzer
from whoosh.formats import Frequency, Positions
from whoosh.formats import tokens as whoosh_tokens

from indexer.analysis import (
    ANALYZER_VERSION,
    PARTS,
    STEMS,
    STEPS,
    TokenLexicon,
    compound_parts_analyzer,
    exact_analyzer,
    form_positions,
    german_analyzer,
    kept_entries,
    lexicon_entry,
    text_entries,
)

# The chains this module reproduces, and the analyzer version they were proven against: a field
# with any other analyzer, or an index of another analyzer version, takes Whoosh's own path.
FUSED_FOR_ANALYZER_VERSION = 12  # 5, 6, 9 and 12 changed only the schema; 7 the exact chain (EXACT_CHAIN); 8, 10 and 11 lemmas (via lexicon_entry)
STEMMED_CHAIN = german_analyzer()
EXACT_CHAIN = exact_analyzer()
PARTS_CHAIN = compound_parts_analyzer()

LEXICON_LIMIT = 150_000  # words a lexicon generation holds, about 50 MB


class Vocabulary:
    """The terms one build has met, each with a number, and the token lexicon that numbers them.

    Tokens are kept as arrays of numbers, and the texts are looked up once per segment, when it
    is written. The build that owns a vocabulary (``indexer.builds``) keeps it across its
    segments, so each word is analysed once per build; ``len()`` is the number of terms, and
    ``clear()`` forgets them all, which is safe only while no segment holds tokens. Owned, not
    module-level: a second build in the same process starts from nothing instead of from every
    term of the first.
    """

    def __init__(self, lexicon_limit: int = LEXICON_LIMIT):
        self.lexicon_limit = lexicon_limit
        self.clear()

    def __len__(self) -> int:
        return len(self.texts)

    def clear(self) -> None:
        self.texts: list[str] = []
        self._numbers: dict[str, int] = {}
        self._lexicon = TokenLexicon(self._numbered_entry, self.lexicon_limit)

    def number(self, term: str) -> int:
        number = self._numbers.get(term)
        if number is None:
            number = self._numbers[term] = len(self.texts)
            self.texts.append(term)
        return number

    def _numbered_entry(self, raw: str) -> tuple:
        """``analysis.lexicon_entry`` with term numbers in place of the stems, forms and parts."""
        stems, forms, parts, steps = lexicon_entry(raw)
        number = self.number
        return tuple(map(number, stems)), tuple(map(number, forms)), tuple(map(number, parts)), steps

    def entries(self, text: str) -> list[tuple]:
        """``analysis.text_entries`` of ``text``, numbered."""
        return text_entries(text, self._lexicon)


def token_positions(first: int, kept: list[tuple]) -> tuple[list[int], Iterable[int]]:
    """The term numbers ``german_analyzer()`` indexes for the kept entries of a text, token by
    token, and the position of each.

    Does the work of RegexTokenizer → LowercaseFilter → StopFilter (renumbering) →
    HyphenPartsFilter → GermanStemFilter in a few passes that run in C: the first kept word keeps
    its token number and each later one follows it; a hyphenated word gives its joined stem at
    its position and its parts at consecutive positions, pushing later words back.
    """
    numbers = list(chain.from_iterable(map(STEMS, kept)))
    if len(numbers) == len(kept):  # no hyphenated word with parts: one position per word
        return numbers, range(first, first + len(numbers))
    positions = accumulate(chain.from_iterable(map(STEPS, kept)), initial=first - 1)
    next(positions)
    return numbers, positions


def index_positions(text: str, vocabulary: Vocabulary | None = None) -> dict[str, list[int]]:
    """Each term ``german_analyzer()`` indexes from ``text``, with its positions, as the build sees them.

    >>> index_positions("Die US-Botschaft in Moskau")
    {'usbotschaft': [1], 'us': [1], 'botschaft': [2], 'moskau': [3]}
    """
    vocabulary = Vocabulary() if vocabulary is None else vocabulary
    return _grouped(vocabulary, *token_positions(*kept_entries(vocabulary.entries(text))))


def index_forms(text: str, vocabulary: Vocabulary | None = None) -> dict[str, list[int]]:
    """Each term ``exact_analyzer()`` indexes from ``text``, with its positions, as the build sees them.

    >>> index_forms("Die US-Botschaft")
    {'die': [0], 'usbotschaft': [1], 'us': [1], 'botschaft': [2]}
    """
    vocabulary = Vocabulary() if vocabulary is None else vocabulary
    return _grouped(vocabulary, *form_positions(vocabulary.entries(text)))


def _grouped(vocabulary: Vocabulary, numbers, positions) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for number, position in zip(numbers, positions):
        grouped.setdefault(vocabulary.texts[number], []).append(position)
    return grouped


def index_parts(text: str, vocabulary: Vocabulary | None = None) -> Counter:
    """Term frequencies ``compound_parts_analyzer()`` indexes from ``text`` (no positions there).

    >>> index_parts("Die Botschaftsbesitz-Frage, die Botschaft")
    Counter({'botschaft': 2, 'besitz': 2, 'frag': 1})
    """
    vocabulary = Vocabulary() if vocabulary is None else vocabulary
    return Counter(map(vocabulary.texts.__getitem__, chain.from_iterable(map(PARTS, vocabulary.entries(text)))))


STEMMED, EXACT, COUNTED, LISTED, GENERIC = 0, 1, 2, 3, 4  # how a field is analysed: see fused_plan
POSITIONAL = (STEMMED, EXACT)  # plans that index positions and take a text only
# Whoosh's keyword analyzers: each token is a whole item, as given or lower-cased, with no boosts
# and no stop words, so the terms of a value are just its tokens' texts (``listed_terms``)
KEYWORD_CHAINS = [KeywordAnalyzer(lowercase=lower, commas=commas) for lower in (False, True) for commas in (False, True)]


def fused_plan(field) -> int:
    """How ``field`` is analysed here: a fused function that indexes it exactly as its own
    analyzer would, or ``GENERIC`` (Whoosh's ``field.index``)."""
    if not field.indexed or ANALYZER_VERSION != FUSED_FOR_ANALYZER_VERSION or field.format.field_boost != 1.0:
        return GENERIC
    fmt = field.format.__class__
    if fmt is Positions and field.analyzer == STEMMED_CHAIN:
        return STEMMED
    if fmt is Positions and field.analyzer == EXACT_CHAIN:
        return EXACT
    if fmt is Frequency and field.analyzer == PARTS_CHAIN:
        return COUNTED
    if fmt is Frequency and field.analyzer in KEYWORD_CHAINS:
        return LISTED
    return GENERIC


def listed_terms(field, value) -> list[str]:
    """The terms, one per token, that Whoosh indexes for ``value`` in a ``LISTED`` field: a list
    as it is (Whoosh does not analyse a list), a text as the field's keyword analyzer splits it.
    The near-duplicate band terms (16 a document, nearly all distinct) come this way, as lists."""
    if isinstance(value, (list, tuple)):
        return value
    return [token.text for token in whoosh_tokens(value, field.analyzer, {"mode": "index", "boosts": True})]
