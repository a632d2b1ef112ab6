"""Field weights and the BM25F parameters: the one place ranking is tuned.

The default search fields are the keys of ``FIELD_BOOSTS``. A headline word is the strongest sign
of what an article is about, topics are the editors' own labels, the lead summarises, the body
mentions much in passing, and captions describe pictures. Photo credits are not searched at all.
Changing these needs no reindexing: the schema sets no ``field_boost``.
"""
from __future__ import annotations

from datetime import datetime, timezone

from whoosh import scoring
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

# Fields without positions: phrases are matched in the others only.
POSITIONLESS = frozenset({f.EXACT, f.PARTS})

# BM25F as in Robertson & Zaragoza, "The Probabilistic Relevance Framework" (2009). Titles and
# topics are short and nearly uniform in length, so length normalisation (B) matters little there.
BM25_K1 = 1.2
BM25_B = 0.75
FIELD_B = {f.TITLE: 0.3, f.TOPICS: 0.0}


# The optional recency boost: a document's score is multiplied by 1 + RECENCY_WEIGHT * 2^(-age /
# half-life), so today's news weighs up to 1.5x and last month's about 1.25x. A multiplier, not an
# added term, so it reorders near-equals but never lifts an article that does not match well.
RECENCY_WEIGHT = 0.5
RECENCY_HALF_LIFE_DAYS = 30.0


class RecencyBM25F(scoring.BM25F):
    """BM25F whose final score is boosted by the document's freshness (Berlin-independent: UTC)."""

    use_final = True

    def __init__(self, now: datetime, **kwargs):
        super().__init__(**kwargs)
        self.now_long = datetime_to_long(now.astimezone(timezone.utc).replace(tzinfo=None))
        self._published = None

    def final(self, searcher, docnum, score):
        if self._published is None:
            self._published = searcher.reader().column_reader(f.PUBLISHED, translate=False)
        published = self._published[docnum]
        if not published:
            return score
        age_days = max(0.0, (self.now_long - published) / 86_400e6)
        return score * (1 + RECENCY_WEIGHT * 0.5 ** (age_days / RECENCY_HALF_LIFE_DAYS))


def weighting(recency_now: datetime | None = None, recency: bool = False) -> scoring.WeightingModel:
    """The scorer every searcher uses; with ``recency_now`` (or ``recency``) newer documents gain."""
    params = dict(B=BM25_B, K1=BM25_K1, **{f"{name}_B": b for name, b in FIELD_B.items()})
    if recency_now is None and not recency:
        return scoring.BM25F(**params)
    return RecencyBM25F(recency_now or datetime.now(timezone.utc), **params)
