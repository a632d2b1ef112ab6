"""Snippets: the best passage of a document's text, with the query's matches marked.

Matches are found by running the field's own analyzer over the words of the stored text, so a
match is exactly what the index matched: ``Botschaften`` for the query ``Botschaft``, and only
``Botschaft`` inside ``US-Botschaft``. Escaping happens once, in ``Snippet.html()``, before marks
are added.

The words analysed (``_analysed``) and turned down (``_rejected``) are kept at module level on
purpose: they depend on the analyzer and the query terms only, never on an index state, so every
searcher and request shares them. Each is bounded (8 analyzers and 64 term sets, 200,000 words
each, emptied when full), and ``clear_word_caches()`` empties both.
"""
from __future__ import annotations

import re

from indexer.analysis import WORD_PATTERN
from indexer.german import fold, fold_umlauts
from search.results import Snippet

SNIPPET_CHARS = 220
# Only the opening of a text is searched for the passage, as Solr's hl.maxAnalyzedChars (51,200
# there): nine in ten FANG articles are shorter than this, and the longest (333k characters)
# cost more than the whole search.
MAX_ANALYZED_CHARS = 10_000
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+[\"“”»]?|$)\s*")


def make_snippet(texts: list[str], matchers: list[tuple[object, set[str]]], max_chars: int = SNIPPET_CHARS) -> Snippet:
    """The run of sentences with the most distinct query terms from ``texts``, cut to ``max_chars``.

    ``matchers`` pairs each analyzer with the analysed forms the query matched through it (the
    stemmed words; the compound parts, which mark ``Botschaft`` inside ``Botschaftsbesitz``); a
    tuple among them is a phrase, marked from its first word to its last where its terms stand at
    consecutive positions, and nowhere else.
    Earlier texts and passages win ties, so without any match the snippet is the opening of the
    first non-empty text, unmarked.

    Analysis is the expensive part, so only the first ``MAX_ANALYZED_CHARS`` of each text are
    searched, and only sentences whose folded text contains one of the terms as a substring are
    analysed: stems and compound parts are substrings of the words they come from, once umlauts
    are folded and case is lowered.
    """
    needles = {word for _, terms in matchers for term in terms for word in _words(term)}
    best: tuple[int, str, list[tuple[int, int]]] | None = None
    for text in texts:
        if not text:
            continue
        head = text[:MAX_ANALYZED_CHARS]
        sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(head) if m.group().strip()]
        # Words never cross a sentence end, so a window's matches are its sentences' matches:
        # each sentence is analysed once, however many windows it belongs to.
        found = [_sentence_spans(text, a, b, matchers) if may else []
                 for (a, b), may in zip(sentences, _may_match(head, sentences, needles))]
        marked = [0]  # how many sentences before each have a match: a window without any is skipped
        for spans in found:
            marked.append(marked[-1] + bool(spans))
        for i, (start, end) in enumerate(sentences):
            j = i
            while j + 1 < len(sentences) and sentences[j + 1][1] - start <= max_chars:
                j += 1
                end = sentences[j][1]
            if best is not None and marked[j + 1] == marked[i]:
                continue
            spans = _merge(sorted((a - start, b - start) for k in range(i, j + 1) for a, b in found[k]))
            if best is not None and not spans:
                continue
            window = text[start:end]
            distinct = len({window[a:b].casefold() for a, b in spans})
            if best is None or distinct > best[0]:
                best = (distinct, window, spans)
    if best is None:
        return Snippet(())
    return _cut(best[1], best[2], max_chars)


def mark_text(text: str, matchers: list[tuple[object, set[str]]]) -> Snippet:
    """All of ``text`` with every match marked, as a snippet marks them: the article page opened
    from a search. Only the first ``MAX_ANALYZED_CHARS`` of a longer text are searched, as for
    snippets; the rest is shown unmarked."""
    head = text[:MAX_ANALYZED_CHARS]
    spans = _merge(sorted(span for analyzer, terms in matchers for span in _match_spans(head, terms, analyzer)))
    return Snippet(tuple(_split(text, spans)))


def _sentence_spans(text: str, start: int, end: int, matchers) -> list[tuple[int, int]]:
    """The matches in ``text[start:end]``, as offsets into ``text``; its words are found once for
    all matchers."""
    sentence = text[start:end]
    words = _words_of(sentence)
    return [(start + a, start + b) for analyzer, terms in matchers for a, b in _match_spans(sentence, terms, analyzer, words)]


def _words_of(text: str) -> list[tuple[int, str]]:
    """Each word of ``text`` as the analyzers' tokenizer finds it, with its offset."""
    return [(m.start(), m.group()) for m in _WORD.finditer(text)]


def _words(term) -> tuple[str, ...]:
    return term if isinstance(term, tuple) else (term,)


def _may_match(text: str, sentences: list[tuple[int, int]], needles: set[str]) -> list[bool]:
    """For each of the ``sentences`` (spans) of ``text``, whether a term may occur in it (``_holds``).

    The text is lowered and folded once, not sentence by sentence: folding changes letters only,
    never the punctuation the sentences end at, so each form splits into the same sentences, at
    the same offsets where it is as long as the text (no ß folded to ss).
    """
    lower = text.lower()
    umlauts = fold_umlauts(lower)
    squeezed = umlauts.replace("e", "")
    # what is in no sentence's forms is in none of the whole text's (for the fold: see _holds)
    present = [(n, bare) for n, bare in _without_e(needles) if n in lower or n in umlauts or bare in squeezed]
    if not present:
        return [False] * len(sentences)
    split = [[form[a:b] for a, b in sentences] if len(form) == len(text) else
             [m.group() for m in _SENTENCE.finditer(form) if m.group().strip()] for form in (lower, umlauts)]
    if any(len(parts) != len(sentences) for parts in split):  # not expected; then every sentence is analysed
        return [True] * len(sentences)
    return [_holds(lower, umlauts, present) for lower, umlauts in zip(*split)]


def _match_spans(text: str, terms: set[str], analyzer, words=None) -> list[tuple[int, int]]:
    """Where the analyzer turns a word of ``text`` (its ``words``, if found already) into one of
    ``terms``, as character spans.

    The analyzers work word by word (tokenizer ``WORD_PATTERN``, then filters of one token each),
    so each distinct word is analysed once and its terms kept: news repeats its words, and the
    analysis (stemming, compound splitting) was most of a search's time before.
    """
    if not terms:
        return []
    phrases = [t for t in terms if isinstance(t, tuple)]
    if phrases:
        rest = {t for t in terms if not isinstance(t, tuple)}
        return _phrase_spans(text, phrases, analyzer) + (_match_spans(text, rest, analyzer, words) if rest else [])
    known = _analysed_words(analyzer)
    rejected = _rejected_words(terms)
    bare = None  # the terms for _may_contain, made when first needed
    spans = []
    for at, word in _words_of(text) if words is None else words:
        found = known.get(word)
        if found is None:
            if word in rejected:
                continue
            bare = bare or _without_e(terms)
            if not _may_contain(word, bare):
                rejected.add(word)  # not analysed nor kept: most words of a matching sentence are other words
                continue
            found = _analyse_word(analyzer, word, known)
        for _, start, end, term in found:
            if term in terms:
                spans.append((at + start, at + end))
    return spans


def _analyse_word(analyzer, word: str, known: dict) -> tuple:
    """(position, start, end, term) of each term the analyzer makes of ``word``, kept in ``known``."""
    found = tuple((t.pos, t.startchar, t.endchar, t.text)
                  for t in analyzer(word, positions=True, chars=True, mode="index", removestops=True))
    if len(known) >= _WORDS_PER_ANALYZER:
        known.clear()
    known[word] = found
    return found


def _phrase_spans(text: str, phrases: list[tuple[str, ...]], analyzer) -> list[tuple[int, int]]:
    """Where a phrase's terms stand at consecutive positions in ``text``: from its first word's
    start to its last word's end.

    Positions are counted as the index counts them, word by word: the phrase analyzer
    (``exact_analyzer``) drops no word, and a hyphenated word takes one position per part.
    """
    lower = text.lower()
    phrases = [phrase for phrase in phrases if all(word in lower for word in phrase)]
    if not phrases:  # a sentence with some of the words only: most of those that get here
        return []
    known = _analysed_words(analyzer)
    at: dict[int, dict[str, tuple[int, int]]] = {}
    base = 0
    for m in _WORD.finditer(text):
        word = m.group()
        found = known.get(word) or _analyse_word(analyzer, word, known)
        for pos, start, end, term in found:
            at.setdefault(base + pos, {})[term] = (m.start() + start, m.start() + end)
        base += 1 + found[-1][0]  # the last part of a hyphenated word has the highest position
    spans = []
    for phrase in phrases:
        for pos in list(at):
            found = [at.get(pos + i, {}).get(word) for i, word in enumerate(phrase)]
            if all(found):
                spans.append((found[0][0], found[-1][1]))
    return spans


def _may_contain(word: str, terms: list[tuple[str, str]]) -> bool:
    """Whether one of ``terms`` (``_without_e``) can come from ``word``: the test ``_may_match``
    makes per sentence.

    Asked only of words not yet analysed, where it saves the analysis (stemming, compound
    splitting: about 50 µs a word); asked before the cache it would cost every word.
    """
    lower = word.lower()
    return _holds(lower, fold_umlauts(lower), terms)


def _without_e(needles) -> list[tuple[str, str]]:
    """Each needle with itself without its e's, for ``_holds``."""
    return [(n, n.replace("e", "")) for n in needles]


def _holds(lower: str, umlauts: str, needles: list[tuple[str, str]]) -> bool:
    """Whether one of ``needles`` (``_without_e``) is a substring of a lowered text (``lower``),
    of it with only umlauts and ß folded (``umlauts``: a compound part is folded apart from the
    letters beside it), or of it folded as the stemmer folds (``indexer.german.fold``), where
    every stem is a prefix of its word's form.

    The stemmer's fold is worked out only where it may hold a needle the others lack: it differs
    from the umlaut fold only in dropping the e of each ae/oe/ue it reads as an umlaut, so a needle
    in it is, without its e's, in the umlaut fold without e's. Folding every hit's whole text that
    way (a regular expression over 10,000 characters) made snippets a third slower.
    """
    if any(n in umlauts or n in lower for n, _ in needles):
        return True
    squeezed = umlauts.replace("e", "")
    maybe = [n for n, bare in needles if bare in squeezed]
    if not maybe:
        return False
    folded = fold(lower)
    return any(n in folded for n in maybe)


def _rejected_words(terms: set[str]) -> set[str]:
    """The words ``_may_contain`` has turned down for ``terms``: the hits of one search share
    their words (and the next page's search its terms), so each is tested once."""
    key = frozenset(terms)
    found = _rejected.get(key)
    if found is None or len(found) >= _WORDS_PER_ANALYZER:
        if len(_rejected) >= 64:
            _rejected.pop(next(iter(_rejected)), None)
        found = _rejected[key] = set()
    return found


_WORD = re.compile(WORD_PATTERN)  # the tokenizer of every analyzer in indexer/analysis.py
_WORDS_PER_ANALYZER = 200_000
_analysed: dict[int, tuple[object, dict[str, tuple]]] = {}
_rejected: dict[frozenset, set[str]] = {}


def clear_word_caches() -> None:
    """Forget every analysed and turned-down word; they are found again as snippets are made."""
    _analysed.clear()
    _rejected.clear()


def _analysed_words(analyzer) -> dict[str, tuple]:
    """The per-word cache of one analyzer; the entry holds the analyzer, so its id stays its own."""
    entry = _analysed.get(id(analyzer))
    if entry is None:
        if len(_analysed) >= 8:  # analyzers of indexes opened earlier in this process
            _analysed.pop(next(iter(_analysed)))
        entry = _analysed[id(analyzer)] = (analyzer, {})
    return entry[1]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans (a hyphenated whole and its part, a word and its compound part) as one mark."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _cut(passage: str, spans: list[tuple[int, int]], max_chars: int) -> Snippet:
    text = passage.strip()
    shift = len(passage) - len(passage.lstrip())
    spans = [(a - shift, b - shift) for a, b in spans]
    if len(text) > max_chars:
        start = 0
        if spans and spans[0][1] > max_chars:
            start = max(0, spans[0][0] - max_chars // 3)
        end = text.rfind(" ", 0, start + max_chars)
        end = end if end > start else start + max_chars
        pieces = _split(text[start:end], [(a - start, b - start) for a, b in spans if a >= start and b <= end])
        if start > 0:
            pieces.insert(0, ("…", False))
        pieces.append((" …", False))
        return Snippet(tuple(pieces))
    return Snippet(tuple(_split(text, spans)))


def _split(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    pieces, at = [], 0
    for a, b in spans:
        if a > at:
            pieces.append((text[at:a], False))
        pieces.append((text[a:b], True))
        at = b
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
