"""Field weights and the BM25F parameters: the one place ranking is tuned.

The default search fields are the keys of ``FIELD_BOOSTS``. A headline word is the strongest sign
of what an article is about, topics are the editors' own labels, the lead summarises, the body
mentions much in passing, and captions describe pictures. Photo credits are not searched at all.
Changing these needs no reindexing: the schema sets no ``field_boost``.

A word is scored by BM25F proper (``CombinedTerm``): its frequencies in topics, lead,
subheadings, body and captions, weighted by ``FIELD_BOOSTS``, are added before they saturate,
instead of Whoosh's ``BM25F``, which scores every field alone and adds the scores.
"""
from __future__ import annotations

from datetime import datetime, timezone
from math import log

import numpy as np
from whoosh.util.times import datetime_to_long

from indexer import schema as f

FIELD_BOOSTS = {
    f.TITLE: 4.0,
    f.TOPICS: 2.5,
    f.LEAD: 1.2,  # 2.0 cost 0.05 MRR@10 on known-item search (bench/README.md): leads restate the body
    f.SUBHEADINGS: 1.5,
    f.BODY: 1.0,
    f.CAPTIONS: 0.5,
    # The same text again: surface forms add a bonus when the word is written as typed
    # (Müller over Mueller, Botschaft over Botschaften); compound parts find Botschaftsbesitz for
    # Botschaft, but weigh less than the word standing alone.
    f.EXACT: 1.0,
    f.PARTS: 0.4,
}

# A compound typed as one word is also asked for as its parts (``_split_query`` in
# search/whoosh/translate.py), all of them together at this weight: below the whole word. By
# 2-fold cross-validation on the dev sets (bench/README.md, "Issue 17"); xquad-de and
# news-titles both gain.
SPLIT_WEIGHT = 0.5

# The text again, analysed otherwise than the stemmed fields: a word is asked there on its own.
# Quoted phrases are matched in EXACT (surface forms, stop words kept), as the words are written.
ANALYSED_APART = frozenset({f.EXACT, f.PARTS})

# Each word is scored once over the text fields together (``CombinedTerm``, BM25F), except in the
# headline, which is scored on its own and added: one headline word outranks an article that only
# repeats the word all through its text (tests/test_search.py). Folding the headline into BM25F
# too gave xquad-de nDCG@10 0.7819 instead of 0.7756 (bench/README.md): not worth that rule.
SCORED_APART = frozenset({f.TITLE})

# BM25F as in Robertson & Zaragoza, "The Probabilistic Relevance Framework" (2009). Titles and
# topics are short and nearly uniform in length, so length normalisation (B) matters little there.
# K1 0.9 (was 1.2): chosen by 2-fold cross-validation on the dev sets together with the
# proximity weights (bench/README.md, "Issue 17"): both folds chose it. Lower still helps
# xquad's one-sentence passages and costs news headlines.
BM25_K1 = 0.9
BM25_B = 0.75
FIELD_B = {f.TITLE: 0.3, f.TOPICS: 0.0}

# A question ("Wann wurde die Warschauer Börse gegründet?") asks for the text that answers it, which
# shares few of its words and seldom repeats them: how many of the question's words a text holds
# counts, how often it repeats one hardly does, so its words saturate sooner (K1), and the word
# forms of a question ("gegründet", "wurde") are no sign of the answer's ("gründete"), so the
# exact form weighs less. Both by 2-fold cross-validation on the dev sets (bench/README.md, "Issue
# 17, questions"); headlines and keyword searches keep BM25_K1 and FIELD_BOOSTS.
QUESTION_K1 = 0.3
QUESTION_EXACT = 0.5


def is_question(text: str) -> bool:
    """A query typed as a question: it ends with a question mark (the query language gives ``?`` no
    other meaning at the end of a word).

    >>> is_question("Wann wurde die Warschauer Börse gegründet? "), is_question("Warum es Fernstenliebe braucht")
    (True, False)
    """
    return text.rstrip().endswith("?")


def field_boosts(question: bool = False) -> dict[str, float]:
    """The field weights a query is asked with: ``FIELD_BOOSTS``, for a question the exact form at
    ``QUESTION_EXACT``."""
    return {**FIELD_BOOSTS, f.EXACT: QUESTION_EXACT} if question else FIELD_BOOSTS


def bm25_k1(question: bool = False) -> float:
    """BM25's K1 for a query: ``QUESTION_K1`` for a question, else ``BM25_K1``."""
    return QUESTION_K1 if question else BM25_K1


# The optional recency boost: a document's score is multiplied by 1 + RECENCY_WEIGHT * 2^(-age /
# half-life), so today's news weighs up to 1.5x and last month's about 1.25x. A multiplier, not an
# added term, so it reorders near-equals but never lifts an article that does not match well.
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 30.0


def recency_factor(published_us, now: datetime | None = None):
    """The recency multiplier for an array of publication times (Whoosh's UTC microseconds; 0: none).

    Documents without a date keep their score. (Whoosh fills their column with 2**64 - 1, which
    the former per-document ``final`` step read as a date in the far future: full boost.)
    """
    now_us = datetime_to_long((now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None))
    age_days = np.maximum(0.0, (now_us - published_us) / 86_400e6)
    factor = 1 + RECENCY_WEIGHT * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS)
    return np.where(published_us != 0, factor, 1.0)


def idf(doc_count: int, doc_frequency: int) -> float:
    """Whoosh's inverse document frequency (``WeightingModel.idf``), from counts the caller has."""
    return log(doc_count / (doc_frequency + 1)) + 1


# --- the one BM25F formula: every score of a word in a field goes through these two ---


def length_norm(length, avg_length: float, b: float):
    """BM25's length normalisation of a field: ``(1 - b) + b * length / avg_length``.

    ``avg_length`` is the collection's (``CollectionStats``), not one shard's, so that a document
    scores the same in whichever shard it lives. Works on numbers and numpy arrays alike.
    """
    return (1 - b) + b * length / avg_length


def saturated(tf, k1: float = BM25_K1):
    """BM25's saturation of a weighted, length-normalised frequency: ``tf (K1 + 1) / (K1 + tf)``.

    A single field's term (``Term``) passes its frequency over ``length_norm``; BM25F proper
    (``CombinedTerm``) passes the weighted sum over its fields. The score is ``idf`` times this.
    """
    return tf * (k1 + 1) / (k1 + tf)


def field_b(fieldname: str) -> float:
    return FIELD_B.get(fieldname, BM25_B)

