"""Near-duplicates: documents whose text is nearly the same share a group id, given at index time.

An agency text printed by several outlets with small edits (a changed headline, a sentence cut,
a paragraph added) is one story; ``search/whoosh/folding.py`` shows each group as one hit. The measure
is the Jaccard similarity of the sets of 5-word shingles of lead and body, estimated by MinHash
(Broder 1997) and found with LSH banding (Indyk & Motwani 1998; Leskovec, Rajaraman & Ullman,
*Mining of Massive Datasets*, ch. 3). The threshold was chosen by reading pairs of FANG articles
around it (bench/README.md, "Near-duplicates").

Each document stores its MinHash signature (``dup_signature``), its LSH band hashes as terms of an
unstored keyword field (``dup_bands``) and its group (``dup_group``). A new document finds its
candidates with term lookups in the index it is written into, plus those of the run so far
(``Grouping`` remembers them: the bulk writer builds its segments only at the end, and Whoosh's
writer holds documents until the next commit); it joins the group of the most similar candidate
at or above the threshold, or founds its own. So an article arriving later, through ``watch`` or a
second ``index`` run, joins the group of copies already indexed, and the groups are committed in
the same commit as their documents (as crash-safe as they). Groups are never merged afterwards:
a document that bridges two groups joins the nearer one.

The MinHash is our own, with numpy: hashing every shingle with SHA-1, as datasketch does, took
longer than this whole step; what counts is that the same text always gives the same signature
(no Python ``hash()``, which differs per process).
"""
from __future__ import annotations

import math
import zlib
from array import array
from collections.abc import Iterable
from datetime import timezone

import numpy as np

from indexer import schema as f

SHINGLE_WORDS = 5  # words per shingle: one changed word changes five shingles, a paragraph dozens
PERMUTATIONS = 64  # signature length (bins): the similarity estimate's standard error is ≤ 0.0625
BANDS, ROWS = 16, 4  # 16 bands of 4 rows: a pair at 0.72 shares a band with probability 0.993, at 0.5 0.64
THRESHOLD = 0.72  # estimated Jaccard similarity at which two documents are one story (bench/README.md)
MIN_SHINGLES = 20  # shorter texts (a flash, a teaser) are never folded: too little text to tell stories apart
# Copies of a story appear within hours or days; the same text weeks apart is boilerplate around
# different stories (Tagesspiegel's weekly district newsletters share 800 characters of it and
# reach 0.8). Undated documents are compared with every other.
MAX_DAYS_APART = 3
MAX_CANDIDATES = 200  # per band: a text printed hundreds of times is compared with the newest of it only

WORD_CHARS = 24  # a word's letters from the 24th on share one weight (_CHAR_WEIGHTS)
# Which code points belong to words: letters and digits; past the table (U+2100 on) all but
# nothing a German text uses there, so they count as letters
_WORD_CHAR = np.array([chr(c).isalnum() for c in range(0x2100)] + [True], dtype=bool)
_BIN_SHIFT = np.uint64(64 - 6)  # the top 6 bits of a shingle hash pick its bin of 64
# Random odd multipliers, written out (once drawn with numpy's default_rng(20260919)): signatures
# are stored in the index, so they must not change with a numpy version's random streams.
_CHAR_WEIGHTS = np.array([
    0x1a83545d1e9b1e87, 0x6ebcc021e56b0897, 0x6090c3160c8af8df, 0x643a6b71d2f003eb, 0x7e40a79943bea0ff,
    0x49dbda59049743d1, 0x07c8654c9c6e22e1, 0x702dc04376076ccb, 0x33f0e60f7e69b1ef, 0x32aab43c87af03b7,
    0x0e5418c8ee668a41, 0x66a8e7ce9ff86d13, 0x3652d06292f6c7f3, 0x77a0cacee8c6e10d, 0x0483ea44b88e19e5,
    0x380f3624034aecdd, 0x55be8b5bda2856bd, 0x4693e921357ab2d7, 0x776221a97316eec9, 0x3a5fd7b5ccff2397,
    0x619949c58fd2e56f, 0x208eab87c8bb4c73, 0x2e0d581c76925459, 0x6f78ae890dbe79fb], dtype=np.uint64)
_POSITION_WEIGHTS = np.array([
    0x0fc064036d64a05f, 0x0fc637e4226ce5b1, 0x1d16037c0f3ee2fb, 0x6f99e94e27f9b893, 0x2ab9f3ff017c99b1],
    dtype=np.uint64)


def shingle_hashes(text: str) -> np.ndarray:
    """The 64-bit hashes of the text's shingles of ``SHINGLE_WORDS`` lower-cased words (repeats kept:
    a minimum does not mind them). A word is a run of letters and digits: outlets differ in
    quotation marks and dashes („…“ or "…", – or -), and a copy must not differ by them.

    >>> len(shingle_hashes("Die Bahn saniert im Sommer – drei Brücken."))  # 7 words, 3 shingles
    3
    """
    # All in array operations over the code points: a Python step per word (a regex, crc32 or
    # sha1 of each) cost more than the rest of the indexing of an article.
    # Over the letters' places, not masks over the text: a quarter less CPU (bench/README.md,
    # "Build cost, re-measured"), the same hashes.
    points = np.frombuffer(text.lower().encode("utf-32-le"), dtype=np.uint32)
    at = np.flatnonzero(_WORD_CHAR.take(points, mode="clip"))  # where the letters are in the text
    new_word = np.empty(len(at), dtype=bool)
    new_word[:1] = True
    np.not_equal(np.diff(at), 1, out=new_word[1:])  # a letter after a gap begins a word
    starts = np.flatnonzero(new_word)  # where each word begins among the letters
    count = len(starts) - SHINGLE_WORDS + 1
    if count < 1:
        return np.zeros(0, dtype=np.uint64)
    offset = np.arange(len(at)) - np.repeat(starts, np.diff(starts, append=len(at)))  # each letter's place in its word
    with np.errstate(over="ignore"):  # arithmetic modulo 2**64 is the point
        weighted = points.take(at).astype(np.uint64) * _CHAR_WEIGHTS.take(offset, mode="clip")
        codes = np.add.reduceat(weighted, starts)
        hashes = np.zeros(count, dtype=np.uint64)
        for j in range(SHINGLE_WORDS):
            hashes = (hashes ^ (codes[j:j + count] * _POSITION_WEIGHTS[j])) * np.uint64(0x9E3779B97F4A7C15)
    return hashes


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature of the text (``PERMUTATIONS`` 32-bit values), ``None`` if too short.

    One permutation hashing (Li, Owen & Zhang 2012): the shingle hashes are split into
    ``PERMUTATIONS`` bins by their top bits, and each bin keeps its minimum; a bin no shingle fell
    into borrows from the next filled bin to its right (rotation densification, Shrivastava & Li
    2014), so two texts agree in a bin with probability of about their Jaccard similarity. One
    sort instead of 64 hash functions over every shingle: 30 µs an article instead of 250.
    """
    hashes = shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return None
    ordered = np.sort(hashes)
    bins = np.arange(PERMUTATIONS, dtype=np.uint64)
    at = np.minimum(np.searchsorted(ordered, bins << _BIN_SHIFT), len(ordered) - 1)
    filled = np.flatnonzero((ordered[at] >> _BIN_SHIFT) == bins)
    source = filled[np.searchsorted(filled, np.arange(PERMUTATIONS)) % len(filled)]
    distance = (source - np.arange(PERMUTATIONS)) % PERMUTATIONS
    minima = (ordered[at[source]] >> np.uint64(_BIN_SHIFT - 32)) & np.uint64(0xFFFFFFFF)
    return ((minima + distance.astype(np.uint64) * np.uint64(0x9E3779B1)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The estimated Jaccard similarity of two signatures: the share of equal minima."""
    return float(np.count_nonzero(a == b)) / PERMUTATIONS


def band_terms(sig: np.ndarray) -> list[str]:
    """The LSH band hashes of a signature as index terms, the band's number first: two documents
    that share one are candidates."""
    data = sig.tobytes()
    size = len(data) // BANDS
    return [f"{band:02d}{zlib.crc32(rows):08x}{zlib.adler32(rows):08x}"
            for band, rows in enumerate(data[at:at + size] for at in range(0, len(data), size))]


def folded_text(doc: dict) -> str:
    """The text compared: lead and body. Headlines are left out, as outlets rewrite them."""
    return "\n".join(filter(None, (doc.get(f.LEAD), doc.get(f.BODY))))


def restored_fields(stored: dict) -> dict:
    """The unstored near-duplicate fields of a stored document, derived again (group kept), so a
    document written back from what the index stores (an older version arriving late) keeps them."""
    found = {f.DUP_CHARS: len(folded_text(stored))}
    sig = stored.get(f.DUP_SIGNATURE)
    if sig:
        found[f.DUP_BANDS] = band_terms(np.frombuffer(sig, dtype=np.uint32))
    return found


class Grouping:
    """Gives each article document written in one run its group, against the index and the run.

    ``searcher`` is over the index as it was when the run began (or last committed; ``None``: an
    empty index); documents of this run are looked up in what ``assign`` remembered, which
    replaces their older copies. ``neighbours`` are searchers over the other time shards of the
    same index (indexer/shards.py): a copy published across a shard boundary joins the story its
    first copy founded there, so the search can fold the story once over all shards by its group.
    """

    def __init__(self, searcher, neighbours=(), reach=None):
        self.searcher = searcher
        self.neighbours = list(neighbours)
        # Per neighbour, the publication times (POSIX seconds, first and last) its documents can
        # have and still be within MAX_DAYS_APART of a document's; None: any (it holds undated
        # ones). A neighbour out of reach is not looked up: its candidates would all be too far apart.
        self.reach = list(reach) if reach is not None else [None] * len(self.neighbours)
        self.ids: list[str] = []
        self.groups: list[str] = []
        self.signatures = array("I")
        self.times = array("d")  # POSIX time of each entry's publication; nan: undated
        self.latest: dict[str, int] = {}  # band term -> slot (entry * BANDS + band) of its newest holder
        self.previous = array("i")  # per slot: the previous slot holding the same term, or -1
        self.entry_of: dict[str, int] = {}  # document id -> its newest entry
        self.written: set[str] = set()  # ids assigned in this run: their copies in the index are stale

    def use_searcher(self, searcher) -> None:
        """After a commit: the run's documents so far are in the index too, and still remembered here."""
        self.searcher = searcher

    def assign(self, doc: dict) -> None:
        """Set the near-duplicate fields of an article document: signature, bands, group and length."""
        doc_id = doc[f.ID]
        self.written.add(doc_id)
        text = folded_text(doc)
        doc[f.DUP_CHARS] = len(text)
        sig = signature(text)
        if sig is None:
            doc[f.DUP_GROUP] = doc_id
            self.entry_of.pop(doc_id, None)
            return
        doc[f.DUP_SIGNATURE] = sig.tobytes()
        doc[f.DUP_BANDS] = band_terms(sig)
        doc[f.DUP_GROUP] = self.place(doc_id, sig, published_seconds(doc.get(f.PUBLISHED)), doc[f.DUP_BANDS])

    def place(self, doc_id: str, sig: np.ndarray, when: float, terms: list[str] | None = None) -> str:
        """The group of a document of signature ``sig`` (band terms ``terms``) published at ``when``
        (POSIX seconds, nan: undated), remembered for the documents after it: ``assign``'s choice,
        and that of the replay of a shard's documents with its neighbours (indexer/boundaries.py)."""
        terms = terms if terms is not None else band_terms(sig)
        best, group = 0.0, doc_id
        for candidate_group, candidate_sig, candidate_when in self._candidates(terms, doc_id, when):
            if abs(when - candidate_when) > MAX_DAYS_APART * 86400:  # nan (undated) compares False
                continue
            score = similarity(sig, candidate_sig)
            if score >= THRESHOLD and (score > best or (score == best and candidate_group < group)):
                best, group = score, candidate_group
        self._remember(doc_id, group, sig, terms, when)
        return group

    def _candidates(self, terms: list[str], doc_id: str, when: float) -> Iterable[tuple[str, np.ndarray, float]]:
        """(group, signature, time) of each document sharing a band with the new one: first this
        run's, then the index's (ledger and related items have no bands)."""
        seen = {doc_id}
        for term in terms:
            slot = self.latest.get(term, -1)
            for _ in range(MAX_CANDIDATES):
                if slot < 0:
                    break
                entry = slot // BANDS
                other = self.ids[entry]
                if other not in seen and self.entry_of.get(other) == entry:
                    seen.add(other)
                    sig = np.asarray(self.signatures[entry * PERMUTATIONS:(entry + 1) * PERMUTATIONS], dtype=np.uint32)
                    yield self.groups[entry], sig, self.times[entry]
                slot = self.previous[slot]
        near = [searcher for searcher, reach in zip(self.neighbours, self.reach)
                if reach is None or math.isnan(when) or reach[0] <= when <= reach[1]]
        for searcher in ([self.searcher] if self.searcher is not None else []) + near:
            reader = searcher.reader()
            for term in terms:
                if (f.DUP_BANDS, term) not in reader:
                    continue
                for docnum in list(reader.postings(f.DUP_BANDS, term).all_ids())[-MAX_CANDIDATES:]:
                    stored = reader.stored_fields(docnum)
                    other = stored.get(f.ID)
                    if other in seen or other in self.written:  # rewritten in this run: its new copy counts
                        continue
                    seen.add(other)
                    if stored.get(f.DUP_SIGNATURE) and stored.get(f.DUP_GROUP):
                        sig = np.frombuffer(stored[f.DUP_SIGNATURE], dtype=np.uint32)
                        yield stored[f.DUP_GROUP], sig, published_seconds(stored.get(f.PUBLISHED))

    def _remember(self, doc_id: str, group: str, sig: np.ndarray, terms: list[str], when: float) -> None:
        entry = len(self.ids)
        self.times.append(when)
        self.ids.append(doc_id)
        self.groups.append(group)
        self.signatures.frombytes(sig.tobytes())
        self.entry_of[doc_id] = entry
        for band, term in enumerate(terms):
            slot = entry * BANDS + band
            self.previous.append(self.latest.get(term, -1))
            self.latest[term] = slot


def published_seconds(published) -> float:
    """A stored publication time (naive UTC) as seconds, ``nan`` when there is none."""
    return published.replace(tzinfo=timezone.utc).timestamp() if published else math.nan
