"""BM25F proper as a Whoosh query (``CombinedTerm``), and the weighting every searcher uses.

Moved here from ``search/ranking.py`` (issue 18), which keeps the parameters and the one formula
(``length_norm``, ``saturated``, ``idf``): this module only applies them to Whoosh's matchers.
"""
from __future__ import annotations

from whoosh import matching, scoring
from whoosh import query as wq
from whoosh.query import qcore
from whoosh.query.compound import CompoundQuery

from search import ranking
from search.backend import CollectionStats
from search.ranking import BM25_K1, field_b, idf, length_norm, saturated


def weighting(question: bool = False) -> scoring.WeightingModel:
    """The scorer every searcher uses: BM25F with our B per field and K1; for a question, its K1
    (``ranking.bm25_k1``).

    Read from ``search.ranking`` when called, so a setting put there (bench/sweep.py) holds."""
    return scoring.BM25F(B=ranking.BM25_B, K1=ranking.bm25_k1(question),
                         **{f"{name}_B": b for name, b in ranking.FIELD_B.items()})


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

    def plan(self, schema, stats: CollectionStats) -> tuple[float, list[tuple[str, bytes, float, float, float]]]:
        """``idf * boost`` and, per field in the schema, (field, term, weight, b, average length).

        The matcher below and the array evaluation in ``search/whoosh/evaluate.py`` both score
        from this plan with ``length_norm`` and ``saturated``, so they cannot drift apart.
        ``stats`` are the collection's (all shards'), not the searcher's.
        """
        fields, df = [], 0
        for term in self.subqueries:
            if term.fieldname not in schema:
                continue
            btext = schema[term.fieldname].to_bytes(term.text)
            df = max(df, stats.doc_frequency(term.fieldname, term_text(term.text)))
            fields.append((term.fieldname, btext, term.boost, field_b(term.fieldname),
                           stats.avg_field_length(term.fieldname) or 1.0))
        return idf(stats.doc_count, df) * self.boost, fields

    def own_statistics(self, searcher) -> CollectionStats:
        """The searcher's figures for this word: what Whoosh's own search of it scores with."""
        parent = searcher.get_parent()
        schema = searcher.schema
        names = [t.fieldname for t in self.subqueries if t.fieldname in schema]
        return CollectionStats(
            parent.doc_count_all(),
            {name: parent.field_length(name) for name in names},
            {(t.fieldname, term_text(t.text)): parent.doc_frequency(t.fieldname, schema[t.fieldname].to_bytes(t.text))
             for t in self.subqueries if t.fieldname in schema},
        )

    def matcher(self, searcher, context=None):
        reader = searcher.reader()
        weighting = searcher.weighting if context is None else context.weighting
        k1 = getattr(weighting, "K1", BM25_K1)
        scale, fields = self.plan(searcher.schema, self.own_statistics(searcher))
        postings = [_FieldPostings(reader.postings(name, btext), name, weight, b, avg)
                    for name, btext, weight, b, avg in fields if (name, btext) in reader]
        if not postings:
            return matching.NullMatcher()
        return _CombinedMatcher(postings, reader.doc_field_length, scale, k1)


def term_text(text) -> str:
    """A term as ``CollectionStats`` keys it: the analysed text, never its bytes."""
    return text.decode("utf-8") if isinstance(text, bytes) else text


class _FieldPostings:
    __slots__ = ("matcher", "field", "weight", "b", "avg")

    def __init__(self, matcher, field, weight, b, avg):
        self.matcher, self.field, self.weight = matcher, field, weight
        self.b, self.avg = b, avg

    def copy(self):
        return _FieldPostings(self.matcher.copy(), self.field, self.weight, self.b, self.avg)


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
                total += p.weight * m.weight() / length_norm(self._field_length(current, p.field), p.avg, p.b)
        return total

    def score(self):
        return self._scale * saturated(self.weight(), self._k1)
