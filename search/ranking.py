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
from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.query import qcore
from whoosh.query.compound import CompoundQuery
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

# A compound typed as one word is also asked for as its parts (search/query.py ``_split_query``),
# all of them together at this weight: below the whole word. By 2-fold cross-validation on the
# dev sets (bench/README.md, "Issue 17"); xquad-de and news-titles both gain.
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


def weighting() -> scoring.WeightingModel:
    """The scorer every searcher uses: BM25F with our B per field and K1."""
    return scoring.BM25F(B=BM25_B, K1=BM25_K1, **{f"{name}_B": b for name, b in FIELD_B.items()})


# --- BM25F proper: one word scored once over all the fields it may occur in ---


class CombinedTerm(CompoundQuery):
    """A word in several fields, scored as if those fields were one weighted field (BM25F).

    Whoosh's ``BM25F`` scores each field on its own and adds the scores, so a word in lead and body
    counts twice, each time with its own saturation and its own IDF: a common word written in the
    lead outweighs a rare one in the body. BM25F as defined (Robertson & Zaragoza 2009, section
    3.8; Robertson, Zaragoza & Taylor, "Simple BM25 extension to multiple weighted fields", CIKM
    2004) first adds the field frequencies, each weighted (the ``boost`` of each ``Term`` child,
    from ``FIELD_BOOSTS``) and normalised by its field's length (``B`` per field), and saturates
    that sum once:

        tf~ = sum_f w_f * tf_f / ((1 - b_f) + b_f * len_f / avglen_f)
        score = idf * tf~ * (K1 + 1) / (K1 + tf~)

    The document frequency is the largest of the fields' (as Lucene's ``CombinedFieldQuery``
    does; counting the union would need a pass over every posting list first), and the IDF is
    Whoosh's, ``log(N / (df + 1)) + 1``. The children are plain ``Term`` queries, so highlighting
    and ``docs()`` see the terms as before; only the score is computed here.

    On the known-item dev queries this alone lifts MRR@10 by about 0.03 (bench/README.md).
    """

    JOINT = " | "

    def __init__(self, subqueries, boost=1.0):
        for sub in subqueries:
            if not isinstance(sub, wq.Term):
                raise qcore.QueryError(f"CombinedTerm takes Term queries, not {sub!r}")
        super().__init__(subqueries, boost=boost)

    @classmethod
    def of(cls, text: str, field_weights: dict[str, float], boost: float = 1.0) -> "CombinedTerm":
        return cls([wq.Term(name, text, boost=weight) for name, weight in field_weights.items() if weight],
                   boost=boost)

    def __unicode__(self):
        return "(" + self.JOINT.join(str(s) for s in self.subqueries) + ")"

    __str__ = __unicode__

    def normalize(self):
        # Never merged into a parent Or nor collapsed to one Term: that would change the score.
        subs = list(dict.fromkeys(self.subqueries))
        return self.__class__(subs, boost=self.boost) if subs else qcore.NullQuery

    def requires(self):
        return set()

    def estimate_min_size(self, ixreader):
        return max((q.estimate_min_size(ixreader) for q in self.subqueries), default=0)

    def plan(self, searcher, doc_frequency=None) -> tuple[float, list[tuple[str, bytes, float, float, float]]]:
        """``idf * boost`` and, per field in the schema, (field, term, weight, fixed, per_length).

        The norm of a field is ``fixed + per_length * length``. The matcher below and the array
        evaluation in ``search/evaluate.py`` both score from this plan, so they cannot drift apart.
        ``doc_frequency(field, btext)`` may stand in for the index's own (same numbers, cheaper).
        """
        parent = searcher.get_parent()  # collection statistics are global, the postings per segment
        doc_frequency = doc_frequency or parent.doc_frequency
        fields, df = [], 0
        for term in self.subqueries:
            if term.fieldname not in searcher.schema:
                continue
            btext = searcher.schema[term.fieldname].to_bytes(term.text)
            df = max(df, doc_frequency(term.fieldname, btext))
            b = FIELD_B.get(term.fieldname, BM25_B)
            avg = parent.avg_field_length(term.fieldname) or 1.0
            fields.append((term.fieldname, btext, term.boost, 1 - b, b / avg))
        return idf(parent.doc_count_all(), df) * self.boost, fields

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        weighting = searcher.weighting if context is None else context.weighting
        k1 = getattr(weighting, "K1", BM25_K1)
        scale, fields = self.plan(searcher)
        postings = [_FieldPostings(reader.postings(name, btext), name, weight, fixed, per_length)
                    for name, btext, weight, fixed, per_length in fields if (name, btext) in reader]
        if not postings:
            return matching.NullMatcher()
        return _CombinedMatcher(postings, reader.doc_field_length, scale, k1)


class _FieldPostings:
    __slots__ = ("matcher", "field", "weight", "fixed", "per_length")

    def __init__(self, matcher, field, weight, fixed, per_length):
        self.matcher, self.field, self.weight = matcher, field, weight
        self.fixed, self.per_length = fixed, per_length  # the norm is fixed + per_length * length

    def copy(self):
        return _FieldPostings(self.matcher.copy(), self.field, self.weight, self.fixed, self.per_length)


class _CombinedMatcher(matching.Matcher):
    """The union of one word's postings in several fields, scored by ``CombinedTerm``'s formula.

    Keeps the postings still active and the current document number, because Whoosh's union and
    intersection matchers ask ``is_active`` and ``id`` several times per document.
    """

    def __init__(self, postings, field_length, scale, k1):
        self._all = postings
        self._field_length = field_length
        self._scale, self._k1 = scale, k1
        self._update()

    def _update(self):
        self._active = [p for p in self._all if p.matcher.is_active()]
        self._id = min(p.matcher.id() for p in self._active) if self._active else None

    def is_active(self):
        return bool(self._active)

    def id(self):
        return self._id

    def next(self):
        current = self._id
        for p in self._active:
            if p.matcher.id() == current:
                p.matcher.next()
        self._update()
        return False

    def skip_to(self, id):
        for p in self._active:
            if p.matcher.id() < id:
                p.matcher.skip_to(id)
        self._update()

    def reset(self):
        for p in self._all:
            p.matcher.reset()
        self._update()

    def copy(self):
        return _CombinedMatcher([p.copy() for p in self._all], self._field_length, self._scale, self._k1)

    def replace(self, minquality=0):
        if not self._active:
            return matching.NullMatcher()
        return self

    def children(self):
        return [p.matcher for p in self._active]

    def depth(self):
        return 1 + max((p.matcher.depth() for p in self._all), default=0)

    def supports(self, astype):
        return False

    def supports_block_quality(self):
        return False

    def max_quality(self):
        # The saturation never reaches K1 + 1: a true upper bound, which is all that Whoosh's
        # union matchers need to drop a clause that can no longer reach the top N.
        return self._scale * (self._k1 + 1)

    block_quality = max_quality

    def weight(self):
        """The weighted, length-normalised frequency ``tf~`` of the current document."""
        current = self._id
        total = 0.0
        for p in self._active:
            m = p.matcher
            if m.id() == current:
                total += p.weight * m.weight() / (p.fixed + p.per_length * self._field_length(current, p.field))
        return total

    def score(self):
        tf = self.weight()
        return self._scale * tf * (self._k1 + 1) / (self._k1 + tf)
