"""Field weights and the BM25F parameters: the one place ranking is tuned.

The default search fields are the keys of ``FIELD_BOOSTS``. A headline word is the strongest sign
of what an article is about, topics are the editors' own labels, the lead summarises, the body
mentions much in passing, and captions describe pictures. Photo credits are not searched at all.
Changing these needs no reindexing: the schema sets no ``field_boost``.
"""
from __future__ import annotations

from whoosh import scoring

from indexer import schema as f

FIELD_BOOSTS = {
    f.TITLE: 4.0,
    f.TOPICS: 2.5,
    f.LEAD: 2.0,
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


def weighting() -> scoring.WeightingModel:
    """The scorer every searcher uses."""
    return scoring.BM25F(B=BM25_B, K1=BM25_K1, **{f"{name}_B": b for name, b in FIELD_B.items()})
