"""Term proximity: the best matches re-ranked by how close together the query's words stand.

A headline or a question shares word pairs with its article: "Präsident Trump", "Zahl der
Todesfälle". The sequential dependence model (Metzler & Croft, "A Markov random field model for
term dependencies", SIGIR 2005) scores, beside each word, each pair of neighbouring query words
twice: as an ordered bigram (the words next to each other, in query order) and within an
unordered window of ``WINDOW`` positions. Its weights there are 0.85 / 0.1 / 0.05 on language-model
log probabilities; here the word part is our BM25F score and each pair feature is a saturated
count, weighted like a BM25 term whose IDF is the mean of the two words' IDFs. Positions are those
of the stemmed fields (stop words are not counted, so "Zahl der Todesfälle" is a bigram of
``zahl todesfall``), per field and weighted by ``FIELD_BOOSTS``.

Only the best ``RERANK_DEPTH`` matches are re-ranked, so a search reads the positions of its
words in at most that many documents; the bonus is never negative, so every re-ranked document
stays above every other. The weights were fitted by 2-fold cross-validation on the dev sets
(bench/README.md, "Quality").
"""
from __future__ import annotations

import numpy as np

from indexer import schema as f
from search.evaluate import Matches, term_positions
from search.ranking import ANALYSED_APART, FIELD_BOOSTS, idf
from search.syntax import Group, Phrase, Required, Word

# Chosen by 2-fold cross-validation over both dev sets (bench/README.md, "Issue 17"): each fold
# chose these from 0.5-4 / 0.25-2 on its own half; headlines prefer less, questions more.
ORDERED_WEIGHT = 3.0  # the bigram "w1 w2", as a multiple of the pair's IDF
UNORDERED_WEIGHT = 1.5  # both words within WINDOW positions, in any order
WINDOW = 8  # Metzler & Croft's #uw8
SATURATION = 1.0  # k of count / (k + count): the first co-occurrence counts most
RERANK_DEPTH = 100
_SPAN = 1 << 32  # positions are below this; a document's positions are keyed above it


def proximity_bonus(searcher, terms: list[str], fields: dict[str, float], docs: np.ndarray) -> np.ndarray:
    """The proximity score of each of ``docs`` (ascending global numbers) for the query's stemmed
    ``terms`` in query order, over the stemmed ``fields`` with their weights."""
    bonus = np.zeros(len(docs))
    pairs = [(a, b) for a, b in zip(terms, terms[1:]) if a != b]
    if not pairs or not len(docs):
        return bonus
    reader = searcher.reader()
    doc_count = reader.doc_count_all()
    keys: dict[tuple[str, str], np.ndarray] = {}
    df: dict[str, int] = {}
    for term in dict.fromkeys(terms):
        for name in fields:
            owners, at = term_positions(searcher, name, term, docs)
            keys[name, term] = np.sort(owners * _SPAN + at + WINDOW)
            df[term] = max(df.get(term, 0), reader.doc_frequency(name, term))
    for a, b in pairs:
        ordered, unordered = np.zeros(len(docs)), np.zeros(len(docs))
        for name, weight in fields.items():
            first, second = keys[name, a], keys[name, b]
            if not len(first) or not len(second):
                continue
            next_to = np.isin(first + 1, second, assume_unique=True)
            ordered += weight * np.bincount(first[next_to] // _SPAN, minlength=len(docs))
            # the nearest occurrence of b at or after a - WINDOW + 1: within the window if below a + WINDOW
            nearest = np.searchsorted(second, first - (WINDOW - 1))
            near = nearest < len(second)
            near[near] = second[nearest[near]] <= first[near] + (WINDOW - 1)
            unordered += weight * np.bincount(first[near] // _SPAN, minlength=len(docs))
        pair_idf = (idf(doc_count, df[a]) + idf(doc_count, df[b])) / 2
        bonus += pair_idf * (ORDERED_WEIGHT * ordered / (SATURATION + ordered)
                             + UNORDERED_WEIGHT * unordered / (SATURATION + unordered))
    return bonus


def reranked(searcher, ranked: list[tuple[int, float]], terms: list[str], fields: dict[str, float],
             limit: int) -> list[tuple[int, float]]:
    """``ranked`` (best first, at least ``limit`` deep where there are that many) with each
    document's proximity bonus added, re-sorted, cut to ``limit``; ties in document order."""
    if len(terms) < 2 or not ranked:
        return ranked[:limit]
    docs = np.array([doc for doc, _ in ranked], dtype=np.int64)
    scores = np.array([score for _, score in ranked])
    order = np.argsort(docs)
    bonus = np.empty(len(docs))
    bonus[order] = proximity_bonus(searcher, terms, fields, docs[order])
    total = scores + bonus
    best = np.lexsort((docs, -total))[:limit]
    return [(int(docs[i]), float(total[i])) for i in best]


def ranked_matches(searcher, tree, matches: Matches, limit: int,
                   boosts: dict[str, float] | None = None) -> list[tuple[int, float]]:
    """The best ``limit`` matches by score, the best ``RERANK_DEPTH`` of them re-ranked by how
    close the query's words stand in them (``search/proximity.py``)."""
    # Fields no document of the index has (FANG: topics, subheadings, captions) would cost their
    # position lookups for nothing.
    reader = searcher.reader()
    fields = {name: weight for name, weight in (boosts or FIELD_BOOSTS).items()
              if name not in ANALYSED_APART and reader.field_length(name)}
    ranked = matches.ranked(max(limit, RERANK_DEPTH))
    return reranked(searcher, ranked, proximity_terms(tree, searcher.schema), fields, limit)


def proximity_terms(tree, schema) -> list[str]:
    """The stemmed words of the query, in the order typed, leaving out negated words and prefixes."""
    words: list[str] = []

    def walk(node):
        if isinstance(node, Word) and not node.prefix:
            words.append(node.text)
        elif isinstance(node, Phrase):
            words.extend(node.words)
        elif isinstance(node, Required):
            walk(node.child)
        elif isinstance(node, Group):
            for child in node.children:
                walk(child)

    walk(tree)
    return list(schema[f.BODY].process_text(" ".join(words), mode="query")) if words else []
