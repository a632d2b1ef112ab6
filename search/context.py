"""Document context: the documents that are parts of one page lift each other.

A page fed as several documents (a Wikipedia article as its passages, a live blog as its entries)
splits what it says: a passage answers a question but names its subject only in the passage
before ("Sie wurde im April 1991 wiederhergestellt" after "Die Warschauer Börse …"). Passage
retrieval adds the evidence of the passage's document to its own (Callan, SIGIR 1994; Bendersky &
Kurland 2008): score(p) = (1 - λ) s(p) + λ c(p), c the scores of the page's other passages among
the matches. Here the bonus is ``CONTEXT_WEIGHT`` (λ / (1 - λ), the same order) times the best
score (``AGGREGATE`` "max") or the mean score ("mean") of the other parts of the page among the
re-ranked best, added after the proximity bonus: never negative, so the re-ranked stay above
the rest, as there.

A page is what the indexer keeps for it: the document's address (``url``) up to its ``#``, in the
``page`` column (``indexer.documents.page_field``). Parts of one page carry the page's address with
a fragment of their own (``…/wiki/Warschau#abschnitt-3``), which also keeps their ids apart
(``indexer/jsonl.py``). A column, not the stored address: reading 100 stored documents took 6 ms
CPU a search on FANG, half of a warm search (bench/README.md). Not the title: in FANG 827 articles share
a title with another, nearly all series ("Nachrichten am Morgen - die Übersicht für Eilige", 124
days), which are no parts of one page; FANG's 28,056 addresses are all different, so a news index
ranks as before. An article saved whole is one document already (headline, lead, captions and body
are its fields, scored together); a related item carries the address of the article it announces,
so it and that article, where indexed, count as one page.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from search.whoosh.postings import pages

# Chosen by 2-fold cross-validation on both dev sets (bench/README.md, "Issue 17, document context").
CONTEXT_WEIGHT = 0.43
AGGREGATE = "max"  # "max" or "mean" of the other parts' scores


def context_bonus(scores: np.ndarray, of: list[int]) -> np.ndarray:
    """Each document's bonus from the other documents of its page among ``scores``; ``of`` holds
    the pages in the same order (0: none): ``CONTEXT_WEIGHT`` times the others' best or mean
    score; 0 alone on its page or without one."""
    bonus = np.zeros(len(scores))
    members: dict[int, list[int]] = defaultdict(list)
    for i, page in enumerate(of):
        if page:
            members[page].append(i)
    for rows in members.values():
        if len(rows) < 2:
            continue
        theirs = scores[rows]
        for at, i in enumerate(rows):
            others = np.delete(theirs, at)
            bonus[i] = CONTEXT_WEIGHT * (others.max() if AGGREGATE == "max" else others.mean())
    return bonus


def in_context(searcher, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """``ranked`` (document number, score, best first) with each document's context bonus added and
    re-sorted, equal scores in document order as ``Shards.reranked`` sorts them; as it was where
    no two documents share a page."""
    if len(ranked) < 2:
        return ranked
    docs = np.array([doc for doc, _ in ranked], dtype=np.int64)
    scores = np.array([score for _, score in ranked])
    bonus = context_bonus(scores, pages(searcher.reader())[docs].tolist())
    if not bonus.any():
        return ranked
    total = scores + bonus
    return [(int(docs[i]), float(total[i])) for i in np.lexsort((docs, -total))]
