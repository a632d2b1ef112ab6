"""Term proximity: the best matches re-ranked by how close together the query's words stand.

A headline or a question shares word pairs with its article: "Präsident Trump", "Zahl der
Todesfälle". The sequential dependence model (Metzler & Croft, "A Markov random field model for
term dependencies", SIGIR 2005) scores, beside each word, each pair of neighbouring query words
twice: as an ordered bigram (the words next to each other, in query order) and within an
unordered window of ``WINDOW`` positions; words up to ``PAIR_SPAN`` apart in the query pair in the
window too. Its weights there are 0.85 / 0.1 / 0.05 on language-model
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
from search.whoosh.evaluate import Matches
from search.whoosh.postings import state_of, term_positions
from search.backend import CollectionStats
from search.context import in_context
from search.ranking import ANALYSED_APART, FIELD_BOOSTS, idf
from search.required import QUESTION_WORDS
from search.syntax import Group, Phrase, Required, Word

# Chosen by 2-fold cross-validation over both dev sets (bench/README.md, "Issue 17"): each fold
# chose these from 0.5-4 / 0.25-2 on its own half; headlines prefer less, questions more.
ORDERED_WEIGHT = 3.0  # the bigram "w1 w2", as a multiple of the pair's IDF
UNORDERED_WEIGHT = 1.5  # both words within WINDOW positions, in any order
WINDOW = 16  # Metzler & Croft's #uw8 at first; 16 with PAIR_SPAN 3 by 2-fold CV (bench/README.md)
SATURATION = 1.0  # k of count / (k + count): the first co-occurrence counts most
RERANK_DEPTH = 100
# How far apart in the query two words may stand to form a pair: 1 is the sequential dependence
# model (neighbours only); more also pairs words with one or two words between them, counted in
# the window only (Metzler & Croft's full dependence model pairs all). "Zahl der Todesfälle in
# Italien" pairs zahl-todesfall, zahl-itali and todesfall-itali. With WINDOW 16, 3 was chosen by
# 2-fold cross-validation on both dev sets (bench/README.md, "Issue 17, ranking side"): xquad-de
# nDCG@10 0.7902 -> 0.7934, news-titles MRR@10 0.4718 -> 0.4806.
PAIR_SPAN = 3

# A question (``search.ranking.is_question``) shares looser word pairs with its answer than a
# headline with its article: its pairs count within a wider window. And the answer to a question
# holds few of its words, each about once: a passage that holds more of the question's distinct
# content words (IDF-weighted share, its question words aside) is ranked up, its score times
# 1 + COORDINATION * share. Both by 2-fold cross-validation on both dev sets (bench/README.md,
# "Issue 17, question words optional; question-specific ..."): xquad-de nDCG@10 0.8206 -> 0.8271;
# the 46 of 1,000 dev headlines that end with "?" cost news-titles MRR@10 0.0006, the others rank
# as before. Headlines and keyword searches keep WINDOW and no coordination.
QUESTION_WINDOW = 32
COORDINATION = 1.0


def _window(question: bool) -> int:
    return int(QUESTION_WINDOW if question else WINDOW)


def proximity_bonus(searcher, terms: list[str], fields: dict[str, float], docs: np.ndarray,
                    stats: CollectionStats | None = None, question: bool = False) -> np.ndarray:
    """The proximity score of each of ``docs`` (ascending global numbers) for the query's stemmed
    ``terms`` in query order, over the stemmed ``fields`` with their weights.

    The pairs' IDFs come from ``stats`` (the collection's figures, ``proximity_pairs``), or from
    this index where none are given.

    All pairs and fields are counted in one pass: each position becomes a key (word, field,
    document, position), sorted once, and each pair asks where its first word's keys, moved to
    the second word, meet the second word's. Counting pair by pair and field by field took two
    thirds of a re-rank in numpy calls on small arrays (bench/README.md, "Issue 17").
    """
    window = _window(question)
    bonus = np.zeros(len(docs))
    pairs, adjacent = [], []  # adjacent: neighbours in the query, which alone count as bigrams
    for i, a in enumerate(terms):
        for gap, b in enumerate(terms[i + 1:i + 1 + PAIR_SPAN], start=1):
            if a != b:
                pairs.append((a, b))
                adjacent.append(gap == 1)
    if not pairs or not len(docs) or not fields:
        return bonus
    doc_count = stats.doc_count if stats is not None else searcher.reader().doc_count_all()
    words = list(dict.fromkeys(word for pair in pairs for word in pair))
    weights = list(fields.values())
    cells = len(fields) * len(docs)  # (field, document) cells of one word
    df = dict.fromkeys(words, 0)
    groups, positions = [], []
    for w, word in enumerate(words):
        for n, name in enumerate(fields):
            owners, at, frequency = term_positions(searcher, name, word, docs)
            if stats is not None:
                frequency = stats.doc_frequency(name, word)
            df[word] = max(df[word], frequency)
            groups.append((w * len(fields) + n) * len(docs) + owners)
            positions.append(at)
    group, at = np.concatenate(groups), np.concatenate(positions)
    if not len(at):
        return bonus
    # Keys of one (word, field, document) lie in [group * span + window, group * span + span - window):
    # a window around a key never reaches into the next cell.
    span = int(at.max()) + 2 * window + 1
    keys = np.sort(group * span + at + window)
    group = keys // span
    word_of = group // cells
    first, cell_of = [], []
    for p, (a, b) in enumerate(pairs):
        wa, wb = words.index(a), words.index(b)
        mine = np.flatnonzero(word_of == wa)
        first.append(keys[mine] + (wb - wa) * cells * span)
        cell_of.append(p * cells + group[mine] % cells)
    first, cell_of = np.concatenate(first), np.concatenate(cell_of)
    # the bigram: b at a + 1; the window: the nearest b at or after a - window + 1 is below a + window
    at_next = np.minimum(np.searchsorted(keys, first + 1), len(keys) - 1)
    next_to = keys[at_next] == first + 1
    nearest = np.minimum(np.searchsorted(keys, first - (window - 1)), len(keys) - 1)
    near = (keys[nearest] >= first - (window - 1)) & (keys[nearest] <= first + (window - 1))
    shape = (len(pairs), len(fields), len(docs))
    next_counts = np.bincount(cell_of[next_to], minlength=len(pairs) * cells).reshape(shape)
    near_counts = np.bincount(cell_of[near], minlength=len(pairs) * cells).reshape(shape)
    ordered, unordered = np.zeros((len(pairs), len(docs))), np.zeros((len(pairs), len(docs)))
    for n, weight in enumerate(weights):  # field by field, so the sums are the same floats as one pair at a time
        ordered += weight * next_counts[:, n]
        unordered += weight * near_counts[:, n]
    pair_idf = np.array([(idf(doc_count, df[a]) + idf(doc_count, df[b])) / 2 for a, b in pairs])
    each = pair_idf[:, None] * (np.where(np.array(adjacent), ORDERED_WEIGHT, 0.0)[:, None] * ordered / (SATURATION + ordered)
                                + UNORDERED_WEIGHT * unordered / (SATURATION + unordered))
    for row in each:  # pair by pair, in query order
        bonus += row
    return bonus


def word_share(searcher, terms: list[str], fields: dict[str, float], docs: np.ndarray,
               stats: CollectionStats | None = None) -> np.ndarray:
    """For each of ``docs`` (ascending global numbers), the share of the distinct ``terms`` it
    holds in any of ``fields``, each term weighted by its IDF (``COORDINATION``). The question
    words (``search.required.QUESTION_WORDS``) do not count: the answer seldom repeats them
    (xquad-de nDCG@10 0.8260 with them, 0.8271 without; bench/README.md)."""
    reader = searcher.reader()
    state = state_of(reader)
    words = list(dict.fromkeys(terms))
    asking = _question_stems(searcher.schema[f.BODY].analyzer)
    words = [w for w in words if w not in asking] or words  # only question words: all of them count
    doc_count = stats.doc_count if stats is not None else searcher.reader().doc_count_all()
    held, total = np.zeros(len(docs)), 0.0
    for word in words:
        present, df = np.zeros(len(docs), dtype=bool), 0
        for name in fields:
            ids, _ = state.postings(reader, name, searcher.schema[name].to_bytes(word))
            present |= np.isin(docs, ids)
            df = max(df, stats.doc_frequency(name, word) if stats is not None else len(ids))
        weight = idf(doc_count, df)
        held += weight * present
        total += weight
    return held / total if total else held


_stems: dict[int, frozenset[str]] = {}


def _question_stems(analyzer) -> frozenset[str]:
    """The stemmed fields' terms of ``QUESTION_WORDS`` (most are stop words and have none), once per analyzer."""
    if id(analyzer) not in _stems:
        _stems[id(analyzer)] = frozenset(t.text for t in analyzer(" ".join(QUESTION_WORDS), mode="query"))
    return _stems[id(analyzer)]


def rerank_bonus(searcher, terms: list[str], fields: dict[str, float], docs: np.ndarray, scores: np.ndarray,
                 stats: CollectionStats | None = None, question: bool = False) -> np.ndarray:
    """What the re-rank adds to each of ``docs`` (ascending global numbers) with its ``scores``:
    the proximity bonus, and for a question the coordination, ``scores * COORDINATION * share``
    (``word_share``), so that its score becomes ``score * (1 + COORDINATION * share)`` plus the
    proximity bonus. Never negative, as the re-rank needs."""
    bonus = proximity_bonus(searcher, terms, fields, docs, stats, question)
    if question and COORDINATION and len(terms) > 1:
        bonus = bonus + COORDINATION * np.asarray(scores) * word_share(searcher, terms, fields, docs, stats)
    return bonus


def reranked(searcher, ranked: list[tuple[int, float]], terms: list[str], fields: dict[str, float],
             limit: int, question: bool = False) -> list[tuple[int, float]]:
    """``ranked`` (best first, at least ``limit`` deep where there are that many) with each
    document's proximity bonus added, re-sorted, cut to ``limit``; ties in document order."""
    if len(terms) < 2 or not ranked:
        return ranked[:limit]
    docs = np.array([doc for doc, _ in ranked], dtype=np.int64)
    scores = np.array([score for _, score in ranked])
    order = np.argsort(docs)
    bonus = np.empty(len(docs))
    bonus[order] = rerank_bonus(searcher, terms, fields, docs[order], scores[order], question=question)
    total = scores + bonus
    best = np.lexsort((docs, -total))[:limit]
    return [(int(docs[i]), float(total[i])) for i in best]


def ranked_matches(searcher, tree, matches: Matches, limit: int,
                   boosts: dict[str, float] | None = None, question: bool = False) -> list[tuple[int, float]]:
    """The best ``limit`` matches by score, the best ``RERANK_DEPTH`` of them re-ranked by how
    close the query's words stand in them (``search/proximity.py``); ``question``: with the
    question's window and coordination (``QUESTION_WINDOW``, ``COORDINATION``)."""
    ranked = matches.ranked(max(limit, RERANK_DEPTH))
    fields = proximity_fields(searcher.reader().field_length, boosts)
    ranked = reranked(searcher, ranked, proximity_terms(tree, searcher.schema), fields, len(ranked), question)
    return in_context(searcher, ranked)[:limit]  # the parts of one page lift each other (search/context.py)


def proximity_fields(field_length, boosts: dict[str, float] | None = None) -> dict[str, float]:
    """The stemmed fields whose positions count, with their weights, given each field's total
    length (the collection's, so that every shard counts the same fields)."""
    # Fields no document of the index has (FANG: topics, subheadings, captions) would cost their
    # position lookups for nothing.
    return {name: weight for name, weight in (boosts or FIELD_BOOSTS).items()
            if name not in ANALYSED_APART and field_length(name)}


def proximity_pairs(tree, schema) -> set[tuple[str, str]]:
    """The (field, term) pairs whose document frequencies the proximity bonus of ``tree`` needs."""
    terms = proximity_terms(tree, schema)
    return {(name, term) for term in terms for name in FIELD_BOOSTS if name not in ANALYSED_APART}


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
