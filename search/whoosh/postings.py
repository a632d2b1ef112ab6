"""The index as arrays: posting lists, positions, field lengths and dates, read once and kept.

Split from ``search/whoosh/evaluate.py`` (issue 18's review: one job a module): what is read out
of Whoosh's segments lives here, what a query makes of it there. Each posting list is read block
by block into arrays and kept per segment (``search/whoosh/cache.py``: a segment never changes);
what joins all segments (live documents, field lengths, dates) is kept per index state. The
readers below use private Whoosh internals (the whoosh3 codec's blocks and length columns), each
with a fallback through Whoosh's public matchers for other codecs.

A search asks for a term's postings over all segments several times (its document frequency for
the statistics step, its scores, a phrase's candidates, the proximity re-rank), and joining them
from 20 segments each time cost more than the rest of the search on the 28k FANG index
(bench/README.md, "Issue 17's speed goal"). So a term's postings and positions joined over all
segments are kept too, per index state (``IndexState.postings``, ``IndexState.positions``), made
from the per-segment arrays: after a commit only the new segment is read from disk.
"""
from __future__ import annotations

from itertools import accumulate, chain
from pickle import loads

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from indexer.schema import PAGE, PUBLISHED
from search.whoosh.cache import Budgeted, PerSegment, PerState, segment_leaves, state_key

POSTINGS_CACHE_BYTES = 128 * 1024 * 1024  # ~16M postings: every word of the common queries stays read
POSITIONS_CACHE_BYTES = 64 * 1024 * 1024
# The same joined over all segments: 16 bytes a posting (global number, weight as float64), so ~8M
JOINED_POSTINGS_BYTES = 128 * 1024 * 1024
JOINED_POSITIONS_BYTES = 64 * 1024 * 1024
TIMES_CACHE_BYTES = 32 * 1024 * 1024  # publication times and pages: 8 bytes a document each
_LENGTH_OF_BYTE = np.array([byte_to_length(b) or 0 for b in range(256)], dtype=np.float64)


def term_positions(searcher, fieldname: str, text: str, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Where an analysed term stands in each of ``docs`` (ascending global numbers) that holds it:
    (index into ``docs``, position) pairs as two arrays, and the term's document frequency (as
    ``reader.doc_frequency``), from the same joined arrays phrases use."""
    reader = searcher.reader()
    state = state_of(reader)
    btext = searcher.schema[fieldname].to_bytes(text)
    ids, _ = state.postings(reader, fieldname, btext)
    rows = np.minimum(np.searchsorted(ids, docs), max(len(ids) - 1, 0))
    holding = np.flatnonzero(ids[rows] == docs) if len(ids) else rows[:0]
    if not len(holding):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), len(ids)
    flat, starts = state.positions(reader, fieldname, btext, searcher.schema[fieldname].format)
    owners, at = _gathered(flat, starts, rows[holding])
    return holding[owners], at, len(ids)


def _gathered(flat: np.ndarray, starts: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the postings ``rows``: for each position the index into ``rows`` of its
    posting, and the position (int64), posting after posting."""
    counts = starts[rows + 1] - starts[rows]
    return np.repeat(np.arange(len(rows), dtype=np.int64), counts), flat[runs(starts[rows], counts)].astype(np.int64)


def runs(first: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The indexes of the runs ``first[i]`` to ``first[i] + counts[i]``, one run after the other."""
    return np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))


def positions_in(reader, fieldname: str, btext: bytes, fmt, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The term's positions in each of ``docs`` (ascending global numbers, all holding the term):
    the index into ``docs`` of each position's document, and the position, both int64, doc by doc."""
    state = state_of(reader)
    ids, _ = state.postings(reader, fieldname, btext)
    flat, starts = state.positions(reader, fieldname, btext, fmt)
    return _gathered(flat, starts, np.searchsorted(ids, docs))


def published(reader) -> np.ndarray:
    """Each document's publication time as Whoosh's microsecond number; 0 where it has none."""
    return state_of(reader).published(reader)


def pages(reader) -> np.ndarray:
    """Each document's page (``indexer.documents.page_field``) as uint64; 0 where it has none."""
    return state_of(reader).pages(reader)


def state_of(reader) -> "IndexState":
    """The arrays of the reader's index state (its segments and deletions), made when first asked."""
    return _states.get(reader, lambda: IndexState(reader))


def segment_positions(leaf, fieldname: str, btext: bytes, fmt) -> tuple[np.ndarray, np.ndarray]:
    """A term's positions in one segment (``_read_positions``), kept."""
    return _positions_of.get(leaf, (fieldname, btext), lambda: _read_positions(leaf, fieldname, btext, fmt))


# --- the index as arrays: one state per set of segments and deletions ---


class IndexState:
    """Document count, live documents and, read when first asked, field lengths and dates."""

    def __init__(self, reader):
        self.key = state_key(reader)
        self.size = reader.doc_count_all()
        self.alive = np.ones(self.size, dtype=bool)
        for leaf, offset in segment_leaves(reader):
            if leaf.has_deletions():
                self.alive[np.fromiter(leaf.deleted_docs_set, dtype=np.int64) + offset] = False
        self._lengths: dict[str, np.ndarray] = {}
        self._published: np.ndarray | None = None
        self._pages: np.ndarray | None = None

    def lengths(self, reader, fieldname: str) -> np.ndarray:
        """The field's length in every document, as Whoosh stores it (one byte, lossy) and reads it back."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = self._lengths[fieldname] = _joined(reader, lambda leaf: _segment_lengths(leaf, fieldname))
        return found

    def published(self, reader) -> np.ndarray:
        if self._published is None:
            self._published = _joined(reader, _segment_published)
        return self._published

    def pages(self, reader) -> np.ndarray:
        if self._pages is None:
            self._pages = _joined(reader, _segment_pages)
        return self._pages

    def postings(self, reader, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """A term's (global doc numbers as int64, ascending; weights as float64) over all segments,
        kept read-only: every caller of a search shares them."""

        def join():
            parts = [(ids, weights, offset) for leaf, offset in segment_leaves(reader)
                     for ids, weights in [segment_postings(leaf, fieldname, btext)] if len(ids)]
            ids = np.concatenate([i.astype(np.int64) + offset for i, _, offset in parts]) if parts else _NO_DOCS
            weights = np.concatenate([w for _, w, _ in parts]).astype(np.float64) if parts else _NO_WEIGHTS
            return _frozen(ids), _frozen(weights)

        return _joined_postings.kept_or_read((self.key, fieldname, btext), join)

    def positions(self, reader, fieldname: str, btext: bytes, fmt) -> tuple[np.ndarray, np.ndarray]:
        """A term's positions over all segments, posting after posting in the order of ``postings``,
        and where each posting's positions start (one more entry than postings), kept read-only."""

        def join():
            flats, starts, at = [], [np.zeros(1, dtype=np.int64)], 0
            for leaf, _ in segment_leaves(reader):
                flat, begins = segment_positions(leaf, fieldname, btext, fmt)
                flats.append(flat)
                starts.append(begins[1:] + at)
                at += len(flat)
            flat = np.concatenate(flats) if flats else np.zeros(0, dtype=np.int32)
            return _frozen(flat), _frozen(np.concatenate(starts))

        return _joined_positions.kept_or_read((self.key, fieldname, btext), join)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _joined(reader, per_segment) -> np.ndarray:
    parts = [per_segment(leaf) for leaf, _ in segment_leaves(reader)]
    return np.concatenate(parts) if parts else np.zeros(0)


def _segment_lengths(leaf, fieldname: str) -> np.ndarray:
    """One segment's field lengths: its length column (a byte per document) read in one go."""
    doccount = leaf.doc_count_all()
    perdoc = getattr(leaf, "_perdoc", None)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN) if perdoc is not None else None
    if column is None or not hasattr(column, "_basepos"):  # another codec: ask document by document
        return np.array([leaf.doc_field_length(d, fieldname, 0) or 0 for d in range(doccount)], dtype=np.float64)
    raw = np.zeros(doccount, dtype=np.uint8)
    stored = min(column._count, doccount)
    if stored:
        raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    return _LENGTH_OF_BYTE[raw]


def _segment_published(leaf) -> np.ndarray:
    """One segment's publication times, read once: a commit adds a segment, the others stay."""

    def read():
        values = leaf.column_reader(PUBLISHED, translate=False)
        # Whoosh fills documents without a date with the column's maximum (2**64 - 1).
        return np.fromiter((v if v < 2**63 else 0 for v in values), dtype=np.int64, count=leaf.doc_count_all())

    return _times.get(leaf, PUBLISHED, read)


def _segment_pages(leaf) -> np.ndarray:
    """One segment's page column, read once (zeros in a segment written before it existed)."""

    def read():
        if PAGE not in leaf.schema or not leaf.has_column(PAGE):
            return np.zeros(leaf.doc_count_all(), dtype=np.uint64)
        return np.fromiter(leaf.column_reader(PAGE, translate=False), dtype=np.uint64, count=leaf.doc_count_all())

    return _times.get(leaf, PAGE, read)

# --- posting lists as arrays, kept per segment (a segment never changes) ---


_NO_POSTINGS = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32))
_NO_DOCS, _NO_WEIGHTS = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)


def _raw_postings(leaf, fieldname: str, btext: bytes):
    """The term's matcher in one segment without the deletion filter (``IndexState.alive`` applies
    that for all documents at once), or None if the segment lacks the term.

    Straight from the segment's term table where there is one: ``leaf.postings`` wraps the matcher
    in a deletion filter that has already skipped the deleted postings at its start, and asking
    ``(field, term) in leaf`` first would cost a second lookup.
    """
    terms = getattr(leaf, "_terms", None)
    try:
        if terms is not None and fieldname in leaf.schema:
            return terms.matcher(fieldname, btext, leaf.schema[fieldname].format)
        m = leaf.postings(fieldname, btext)
    except (TermNotFound, KeyError):
        return None
    return m.child if isinstance(m, FilterMatcher) else m


def _blocks(m):
    """Whether ``m`` reads whoosh3 blocks, whose ids, weights and values come as a block at a time."""
    return hasattr(m, "_read_ids") and hasattr(m, "_next_block")


def _read_postings(leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(doc numbers in the segment, weights) of a term."""
    m = _raw_postings(leaf, fieldname, btext)
    if m is None:
        return _NO_POSTINGS
    ids, weights = [], []
    if _blocks(m):
        while m.is_active():
            m._read_ids()
            m._read_weights()
            ids.append(np.asarray(m._ids, dtype=np.int32))
            weights.append(np.asarray(m._weights, dtype=np.float32))
            m._next_block()
        return (np.concatenate(ids), np.concatenate(weights)) if ids else _NO_POSTINGS
    while m.is_active():  # inlined postings of rare terms: a list matcher, a posting or two
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return np.array(ids, dtype=np.int32), np.array(weights, dtype=np.float32)


def _read_values(leaf, fieldname: str, btext: bytes) -> list[bytes]:
    """A term's posting values (encoded positions) in one segment, in posting order."""
    m = _raw_postings(leaf, fieldname, btext)
    out: list[bytes] = []
    if m is None:
        return out
    if _blocks(m):
        while m.is_active():
            m._read_values()
            out += m._values
            m._next_block()
        return out
    while m.is_active():
        out.append(m.value())
        m.next()
    return out


def segment_postings(leaf, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
    return _postings.get(leaf, (fieldname, btext), lambda: _read_postings(leaf, fieldname, btext))


_states = PerState()
_postings = PerSegment(POSTINGS_CACHE_BYTES, lambda p: p[0].nbytes + p[1].nbytes)
# Positions are read only for phrases, and only kept for the words phrases use.
_positions_of = PerSegment(POSITIONS_CACHE_BYTES, lambda p: p[0].nbytes + p[1].nbytes)
_times = PerSegment(TIMES_CACHE_BYTES, lambda a: a.nbytes)
_joined_postings = Budgeted(JOINED_POSTINGS_BYTES, lambda p: p[0].nbytes + p[1].nbytes)
_joined_positions = Budgeted(JOINED_POSITIONS_BYTES, lambda p: p[0].nbytes + p[1].nbytes)


def _read_positions(leaf, fieldname: str, btext: bytes, fmt) -> tuple[np.ndarray, np.ndarray]:
    """A term's positions in one segment, decoded once into one array (posting after posting) and
    where each posting's start: a phrase of common words (``"die Linke"``) checks thousands of
    documents, and decoding them one by one per search cost more than the rest of the search."""
    decode = _decode_positions if type(fmt) is Positions else fmt.decode_positions
    decoded = [decode(value) for value in _read_values(leaf, fieldname, btext)]
    begins = np.zeros(len(decoded) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in decoded], out=begins[1:])
    return np.fromiter(chain.from_iterable(decoded), dtype=np.int32, count=int(begins[-1])), begins


def _decode_positions(value: bytes) -> list[int]:
    """``Positions.decode_positions`` in C: the count (4 bytes), then the pickled position deltas."""
    return list(accumulate(loads(value[4:] if value.endswith(b".") else value[4:] + b".")))
