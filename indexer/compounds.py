"""Splitting German compounds into the words they are made of. Knows nothing about Whoosh.

``Botschaftsbesitz`` is ``Botschaft`` + linking ``s`` + ``Besitz``; a searcher who types
``Botschaft`` means it. The method is Koehn & Knight, "Empirical Methods for Compound Splitting"
(EACL 2003): among all ways to cut a word into known words, with the linking elements German puts
between them, take the one whose parts have the highest geometric mean frequency, and split only
when that beats the frequency of the whole word. Frequent words stay whole (``Bundestag``), rare
compounds split (``Wahlbeeinflussung``).

The vocabulary is wordfreq's German list (pinned in pyproject.toml, about 634,000 word forms with
frequencies from Wikipedia, subtitles, news and web text): a source we can name and ship, not a
hand-written list. Upgrading it changes how text is analysed, so it bumps ``ANALYZER_VERSION``.
"""
from __future__ import annotations

from functools import lru_cache

from indexer.german import STOP_WORDS

MIN_WORD = 8  # shorter words are hardly ever compounds worth splitting
MIN_PART = 4  # shorter parts are mostly noise ("tag", "ion", "ger")
# At most three parts: _best_split searches two and three (more split news words into junk).
# Zipf scale: log10 of occurrences per billion words. 3.0 is about once per million words.
MIN_PART_ZIPF = 3.0
# A word this frequent is a word of its own, whatever it was built from: "Bundestag",
# "Bürgermeister", "Pressekonferenz" stay whole.
MAX_WHOLE_ZIPF = 4.0
# The parts must be this much more frequent (in Zipf units, i.e. 10**0.5 ≈ 3x) than the whole.
MARGIN = 0.5
# Linking elements (Fugenelemente) between parts, most common first.
# "er" and "nen" are left out: they mostly produced junk ("wied" + "er" + "annäherung").
LINKS = ("", "s", "es", "n", "en", "e", "ens")
# After a linking element the head may be a short word: "Gesundheit-s-amt", "Bund-es-rat".
MIN_HEAD_AFTER_LINK = 3
# Inflection a compound's head may carry beyond the dictionary form ("Generalkonsul-s").
HEAD_ENDINGS = ("s", "es", "n", "en", "e", "er", "ern", "ns")
# Each part beyond the second must earn its place: without this, frequent short words win
# ("land" + "tags" + "wahl" over "landtag" + "wahl").
EXTRA_PART_COST = 0.4
# Derivational endings that are "words" only by accident of the list, and function words
# (sich, nach, wieder …), are never parts: they turn "Sicherheit" into "sich" + "heit".
NOT_PARTS = STOP_WORDS | frozenset("heit keit lich isch chen lein ling haft schaft ungen tion".split())

_vocabulary: dict[str, float] | None = None


# Words rarer than this never decide a split: parts need MIN_PART_ZIPF, which is above any such
# word's Zipf plus MARGIN, so leaving them out changes no result and loads 4x fewer words.
MIN_VOCABULARY_ZIPF = 2.0


def vocabulary() -> dict[str, float]:
    """Word form → Zipf frequency, loaded once per process (about 0.2 s)."""
    global _vocabulary
    if _vocabulary is None:
        from wordfreq import get_frequency_list

        # wordfreq's list is bucketed by centibels: bucket i holds words of frequency 10**(-i/100),
        # that is Zipf 9 - i/100.
        buckets = get_frequency_list("de", wordlist="large")[: int((9 - MIN_VOCABULARY_ZIPF) * 100) + 1]
        _vocabulary = {word: 9 - i / 100 for i, bucket in enumerate(buckets) for word in bucket}
    return _vocabulary


def split_compound(word: str) -> tuple[tuple[int, int], ...]:
    """The parts of a lower-cased compound as (start, end) offsets into ``word``; ``()`` if it stays whole.

    Linking elements are left out of the parts, so offsets mark exactly the known words; the last
    part keeps its inflection.

    >>> w = "botschaftsbesitz"; [w[a:b] for a, b in split_compound(w)]
    ['botschaft', 'besitz']
    >>> w = "außenministerium"; [w[a:b] for a, b in split_compound(w)]
    ['außen', 'ministerium']
    >>> split_compound("bundestag")
    ()
    """
    if len(word) < MIN_WORD or not word.isalpha():
        return ()
    if "ß" not in word:
        return _best_split(word)
    # The vocabulary is casefolded (ß → ss): split that spelling, then map offsets back.
    folded, origin = [], []
    for i, ch in enumerate(word):
        for piece in ch.casefold():
            folded.append(piece)
            origin.append(i)
    origin.append(len(word))
    return tuple((origin[a], origin[b - 1] + 1) for a, b in _best_split("".join(folded)))


def _part_vocabulary() -> dict[str, float]:
    """The words that may be parts: frequent enough and not in ``NOT_PARTS``. Only they can take
    part in a split (a part below ``MIN_PART_ZIPF`` never does), so one lookup here answers both
    questions ``vocabulary()`` and ``NOT_PARTS`` would."""
    global _parts
    if _parts is None:
        _parts = {word: zipf for word, zipf in vocabulary().items() if zipf >= MIN_PART_ZIPF and word not in NOT_PARTS}
    return _parts


_parts: dict[str, float] | None = None


# Module-level on purpose: a pure function of the word, bounded (about 7 MB), emptied by
# ``_best_split.cache_clear()``; a build caches whole analysed tokens anyway (indexer.analysis).
@lru_cache(maxsize=20_000)
def _best_split(word: str) -> tuple[tuple[int, int], ...]:
    """Koehn & Knight's search over two and three parts, without recursion (this runs for every
    distinct long word a build meets): first parts in order of their end, each linking element,
    then the rest as head, then the rest cut once more. The first best score wins."""
    whole = vocabulary().get(word, 0.0)
    if whole >= MAX_WHOLE_ZIPF:
        return ()
    parts = _part_vocabulary()
    best_score, best = whole + MARGIN, ()
    size = len(word)
    for end, first, middle, head_min in _cuts(word, 0, parts):
        head = _head_zipf(word, middle, head_min, parts)
        if head and (first + head) / 2 > best_score:
            best_score, best = (first + head) / 2, ((0, end), (middle, size))
        for end2, second, last, last_min in _cuts(word, middle, parts):
            head = _head_zipf(word, last, last_min, parts)
            score = (first + (second + head)) / 3 - EXTRA_PART_COST  # summed as Koehn & Knight's recursion did
            if head and score > best_score:
                best_score, best = score, ((0, end), (middle, end2), (last, size))
    return best


def _cuts(word: str, start: int, parts: dict[str, float]):
    """Each known part that begins at ``start`` and leaves room for a head, with each linking
    element that may follow it: (end of the part, its Zipf, where the rest begins, the shortest
    head allowed there)."""
    size = len(word)
    for end in range(start + MIN_PART, size - MIN_PART + 1):
        zipf = parts.get(word[start:end])
        if zipf is None:
            continue
        for link in LINKS:
            rest = end + len(link)
            if (link and not word.startswith(link, end)) or size - rest < MIN_HEAD_AFTER_LINK:
                continue
            yield end, zipf, rest, MIN_HEAD_AFTER_LINK if link else MIN_PART


def _head_zipf(word: str, start: int, min_len: int, parts: dict[str, float]) -> float:
    """How known a compound's last part ``word[start:]`` is, allowing it to carry an inflection
    ending; 0 if it cannot be a part."""
    rest = word[start:]
    best = parts.get(rest, 0.0) if len(rest) >= min_len else 0.0
    for ending in HEAD_ENDINGS:
        if rest.endswith(ending) and len(rest) - len(ending) >= min_len:
            best = max(best, parts.get(rest[: -len(ending)], 0.0))
    return best
