"""Building a fresh index fast: one pass over all documents, postings written straight to disk.

Whoosh's ``SegmentWriter`` spends most of a full build on bookkeeping, not on analysis: every
posting becomes a tuple in a pool that is sorted (spilling to temporary files) at commit, then fed
one by one through ``W3FieldWriter``, which looks up the document's field length again for each
posting. Here the postings of each term are collected in memory as the documents are analysed and
written in one go per term, in exactly the whoosh3 block format (128 postings a block, pickled and
zlib-compressed as ``W3PostingsWriter`` does); stored fields, length and sort columns still go
through Whoosh's own ``W3PerDocWriter``. The result is an ordinary Whoosh index: same schema (the
index's own), same terms, same postings, same stored values.

Term postings are kept as numpy arrays of tokens and written by ``indexer.blocks``. With
``procs=2`` two build processes take chunks of the spooled documents as they become free, so
the parent's parsing and both processes' building overlap (see ``BulkWriter``). Nothing is
merged.

Text fields analysed with exactly the chain of ``indexer.analysis.german_analyzer()`` go through
``token_positions``, one fused function doing what the tokenizer and its four filters do; any
other analyzer falls back to Whoosh's own ``field.index``. ``tests/test_bulk.py`` proves the fused
function gives the same terms and positions as the chain.
"""
from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import select
import shutil
import signal
import struct
import subprocess
import sys
import traceback
from array import array
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from hashlib import md5
from itertools import accumulate, chain
from pathlib import Path
from pickle import dumps

import numpy as np
from whoosh import index
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3Codec, W3Segment
from whoosh.fields import ID
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.formats import Frequency, Positions
from whoosh.reading import SegmentReader
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import length_to_byte

from indexer import blocks
from indexer.analysis import (
    ANALYZER_VERSION,
    PARTS,
    STEMS,
    STEPS,
    TokenLexicon,
    compound_parts_analyzer,
    exact_analyzer,
    form_positions,
    german_analyzer,
    kept_entries,
    lexicon_entry,
    text_entries,
)
from indexer.errors import NewsearchError
from indexer.mapped import MappedStorage

# Below this many documents per process a second process costs more than it saves.
MIN_DOCS_PER_PROC = 200
# A build process closes its segment at this many tokens (12 bytes each while held, ~70 more per
# token of the largest field while the segment is written), so two processes stay under 1 GB
# together on any corpus. At 4M the exact field's positions and stop words (ANALYZER_VERSION 7)
# took the FANG build's process tree to 1,045-1,054 MB (bench/bench_paths.py); 3M keeps it below
# 1 GB. Larger segments save per-term work and query time.
MAX_SEGMENT_POSTINGS = 3_000_000
# Spooled documents handed to a build process at a time while the caller still reads: about
# 2,700 FANG articles (~15 KB each pickled), ~3.5M tokens, so a chunk is one segment. Smaller
# chunks start the processes sooner but leave more, smaller segments.
CHUNK_SPOOL_BYTES = 8 << 20
_PROJECT_ROOT = Path(__file__).resolve().parent.parent  # where a build process imports indexer from

# --- the fused analyzers -------------------------------------------------------------------------

# The chains this module reproduces, and the analyzer version they were proven against: a field
# with any other analyzer, or an index of another analyzer version, takes Whoosh's own path.
FUSED_FOR_ANALYZER_VERSION = 8  # 5, 6 and 8 changed only the schema; 7 the exact chain (EXACT_CHAIN)
STEMMED_CHAIN = german_analyzer()
EXACT_CHAIN = exact_analyzer()
PARTS_CHAIN = compound_parts_analyzer()

# Every term a build process meets gets a number, for the whole life of the process: tokens are
# kept as arrays of numbers, and the texts are looked up once per segment, when it is written.
_TERM_TEXTS: list[str] = []
_TERM_NUMBERS: dict[str, int] = {}


def _term_number(term: str) -> int:
    number = _TERM_NUMBERS.get(term)
    if number is None:
        number = _TERM_NUMBERS[term] = len(_TERM_TEXTS)
        _TERM_TEXTS.append(term)
    return number


def _numbered_entry(raw: str) -> tuple:
    """``analysis.lexicon_entry`` with term numbers in place of the stems, forms and parts."""
    stems, forms, parts, steps = lexicon_entry(raw)
    return tuple(map(_term_number, stems)), tuple(map(_term_number, forms)), tuple(map(_term_number, parts)), steps


_NUMBERED = TokenLexicon(_numbered_entry, 150_000)  # entries a generation, about 50 MB


def numbered_entries(text: str) -> list[tuple]:
    """``analysis.text_entries`` of ``text``, numbered."""
    return text_entries(text, _NUMBERED)


def token_positions(first: int, kept: list[tuple]) -> tuple[list[int], Iterable[int]]:
    """The term numbers ``german_analyzer()`` indexes for the kept entries of a text, token by
    token, and the position of each.

    Does the work of RegexTokenizer → LowercaseFilter → StopFilter (renumbering) →
    HyphenPartsFilter → GermanStemFilter in a few passes that run in C: the first kept word keeps
    its token number and each later one follows it; a hyphenated word gives its joined stem at
    its position and its parts at consecutive positions, pushing later words back.
    """
    numbers = list(chain.from_iterable(map(STEMS, kept)))
    if len(numbers) == len(kept):  # no hyphenated word with parts: one position per word
        return numbers, range(first, first + len(numbers))
    positions = accumulate(chain.from_iterable(map(STEPS, kept)), initial=first - 1)
    next(positions)
    return numbers, positions


def index_positions(text: str) -> dict[str, list[int]]:
    """Each term ``german_analyzer()`` indexes from ``text``, with its positions, as the build sees them.

    >>> index_positions("Die US-Botschaft in Moskau")
    {'usbotschaft': [1], 'us': [1], 'botschaft': [2], 'moskau': [3]}
    """
    grouped: dict[str, list[int]] = {}
    return _grouped(*token_positions(*kept_entries(numbered_entries(text))))


def index_forms(text: str) -> dict[str, list[int]]:
    """Each term ``exact_analyzer()`` indexes from ``text``, with its positions, as the build sees them.

    >>> index_forms("Die US-Botschaft")
    {'die': [0], 'usbotschaft': [1], 'us': [1], 'botschaft': [2]}
    """
    return _grouped(*form_positions(numbered_entries(text)))


def _grouped(numbers, positions) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = {}
    for number, position in zip(numbers, positions):
        grouped.setdefault(_TERM_TEXTS[number], []).append(position)
    return grouped


def index_parts(text: str) -> Counter:
    """Term frequencies ``compound_parts_analyzer()`` indexes from ``text`` (no positions there).

    >>> index_parts("Die Botschaftsbesitz-Frage, die Botschaft")
    Counter({'botschaft': 1, 'besitz': 1})
    """
    return Counter(map(_TERM_TEXTS.__getitem__, chain.from_iterable(map(PARTS, numbered_entries(text)))))


# --- writing one segment -------------------------------------------------------------------------

_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # filetables._lengths
_HASH_POINTER = struct.Struct("!Iq")  # filetables._pointer
_EMPTY_SLOT = _HASH_POINTER.pack(0, 0)
_POSITIONS, _EXACT, _PARTS, _GENERIC = 0, 1, 2, 3  # how a field is analysed: see fused_plan
_POSITIONAL = (_POSITIONS, _EXACT)  # plans that index positions and take a text only


def fused_plan(field) -> int:
    """How ``field`` is analysed here: a fused function that indexes it exactly as its own
    analyzer would, or ``_GENERIC`` (Whoosh's ``field.index``)."""
    if not field.indexed or ANALYZER_VERSION != FUSED_FOR_ANALYZER_VERSION or field.format.field_boost != 1.0:
        return _GENERIC
    fmt = field.format.__class__
    if fmt is Positions and field.analyzer == STEMMED_CHAIN:
        return _POSITIONS
    if fmt is Positions and field.analyzer == EXACT_CHAIN:
        return _EXACT
    if fmt is Frequency and field.analyzer == PARTS_CHAIN:
        return _PARTS
    return _GENERIC


class _TermTable(OrderedHashWriter):
    """Whoosh's ordered term hash file, filled a whole field at a time (same bytes on disk)."""

    def add_sorted(self, keys: list[bytes], values: list[bytes]) -> None:
        if keys[0] <= self.lastkey:
            raise ValueError(f"Keys must increase: {self.lastkey!r}..{keys[0]!r}")
        pos = self.dbfile.tell()
        index_append = self.index.append
        buckets = self.buckets
        pack = _KEY_VALUE_LENGTHS.pack
        chunks = []
        for key, value in zip(keys, values):
            index_append(pos)
            h = int.from_bytes(md5(key).digest()[12:], "big")  # filetables.md5_hash
            buckets[h & 255].append((h, pos))
            chunks += (pack(len(key), len(value)), key, value)
            pos += 8 + len(key) + len(value)
        self.dbfile.write(b"".join(chunks))
        self.lastkey = keys[-1]

    def _write_hashes(self):
        # HashWriter._write_hashes, writing each table in one piece
        dbfile = self.dbfile
        pack = _HASH_POINTER.pack
        for entries in self.buckets:
            numslots = 2 * len(entries)
            self.directory.append((dbfile.tell(), numslots))
            table = [_EMPTY_SLOT] * numslots
            for hashval, position in entries:
                slot = (hashval >> 8) % numslots
                while table[slot] is not _EMPTY_SLOT:
                    slot = (slot + 1) % numslots
                table[slot] = pack(hashval, position)
            dbfile.write(b"".join(table))


class _Tokens:
    """One fused field's tokens in a segment, in document order: term numbers, positions (for a
    positions field) and how many tokens each document gave. About 12 bytes a token."""

    __slots__ = ("numbers", "positions", "docs", "counts")

    def __init__(self, positional: bool):
        self.numbers = array("I")
        self.positions = array("I") if positional else None
        self.docs = array("I")
        self.counts = array("I")

    def postings(self, prefix: bytes) -> blocks.FieldPostings | None:
        """The tokens grouped into postings, in term order (terms sorted as Whoosh sorts keys:
        UTF-8 bytes, which is code point order)."""
        numbers = np.frombuffer(self.numbers, np.uint32)
        if not len(numbers):
            return None
        seen = np.zeros(len(_TERM_TEXTS), bool)
        seen[numbers] = True
        present = np.flatnonzero(seen)
        texts = [_TERM_TEXTS[n] for n in present.tolist()]
        order = sorted(range(len(texts)), key=texts.__getitem__)
        rank = np.zeros(len(_TERM_TEXTS), np.int32)
        rank[present[order]] = np.arange(len(order), dtype=np.int32)
        keys = rank[numbers]
        del seen, rank
        # Stable: within a term, tokens stay in document and position order
        tokens = np.argsort(keys, kind="stable")
        keys = keys[tokens]
        docs = np.repeat(np.frombuffer(self.docs, np.uint32), np.frombuffer(self.counts, np.uint32))[tokens]
        new_posting = np.ones(len(keys), bool)
        new_posting[1:] = (keys[1:] != keys[:-1]) | (docs[1:] != docs[:-1])
        posting_starts = np.flatnonzero(new_posting).astype(np.int32)
        del new_posting
        freqs = np.diff(posting_starts, append=np.int32(len(keys)))
        new_term = np.ones(len(posting_starts), bool)
        new_term[1:] = keys[posting_starts[1:]] != keys[posting_starts[:-1]]
        term_starts = np.append(np.flatnonzero(new_term), len(posting_starts))
        values = None
        if self.positions is not None:
            positions = np.frombuffer(self.positions, np.uint32)[tokens]
            del tokens
            values = blocks.pickled_position_values(positions, posting_starts, freqs)
        return blocks.FieldPostings(
            terms=[prefix + texts[i].encode("utf-8") for i in order],
            term_starts=term_starts,
            docs=docs[posting_starts].astype(np.int64),
            freqs=freqs,
            values=values,
        )


class _SegmentBuilder:
    """Writes one segment from documents added in order: ``SegmentWriter`` without its pool.

    The fused fields (see ``fused_plan``) keep their tokens as arrays (``_Tokens``), written by
    ``indexer.blocks`` at the end. Any other indexed field keeps Whoosh's postings per term as
    a flat list ``[doc, (weight, value), ...]``: those are the few keyword fields.
    """

    def __init__(self, schema, storage: FileStorage, indexname: str):
        self.schema = schema
        self.storage = storage
        codec = default_codec()
        if not isinstance(codec, W3Codec):
            raise BulkWriteError(f"bulk writing knows the whoosh3 codec only, not {codec!r}")
        if codec._blocklimit != blocks.BLOCK_LIMIT:
            raise BulkWriteError(f"bulk writing writes blocks of {blocks.BLOCK_LIMIT}, not {codec._blocklimit}")
        self.segment = codec.new_segment(storage, indexname)
        self.perdoc = codec.per_document_writer(storage, self.segment)
        self.docnum = 0
        self.posting_count = 0  # tokens and postings held in memory so far
        self.plans = {name: fused_plan(field) for name, field in schema.items() if field.indexed}
        self.tokens = {name: _Tokens(plan in _POSITIONAL) for name, plan in self.plans.items() if plan != _GENERIC}
        self.postings: dict[str, dict] = {name: {} for name, plan in self.plans.items() if plan == _GENERIC}
        # field name -> length byte of each document (0 = none), for the block length statistics
        self.length_bytes = {name: array("B") for name, field in schema.items() if field.scorable}
        for name, field in schema.items():
            if field.vector or field.separate_spelling():
                raise BulkWriteError(f"bulk writing writes no vectors or spelling words (field {name!r})")

    def add_document(self, fields: dict) -> None:
        schema = self.schema
        docnum = self.docnum
        perdoc = self.perdoc
        perdoc.start_doc(docnum)
        analysed = self._analyse(fields)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            plan = self.plans.get(name)
            if plan is None:
                pass
            elif plan == _GENERIC:
                terms = self.postings[name]
                scorable = field.scorable
                for tbytes, freq, weight, vbytes in field.index(value):
                    self.posting_count += 1
                    if scorable:
                        length += freq
                    found = terms.get(tbytes)
                    if found is None:
                        terms[tbytes] = [docnum, (weight, vbytes)]
                    else:
                        found += (docnum, (weight, vbytes))
            else:
                tokens = self.tokens[name]
                if plan in _POSITIONAL:
                    entries = analysed[value]
                    numbers, positions = (token_positions(*kept_entries(entries)) if plan == _POSITIONS
                                          else form_positions(entries))
                    tokens.positions.extend(positions)
                elif isinstance(value, str):
                    numbers = list(chain.from_iterable(map(PARTS, analysed[value])))
                else:  # a list of terms: each one token, as Whoosh indexes a list
                    numbers = list(map(_term_number, value))
                length = len(numbers)
                if length:
                    tokens.numbers.extend(numbers)
                    tokens.docs.append(docnum)
                    tokens.counts.append(length)
                    self.posting_count += length
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.scorable:
                lengths = self.length_bytes[name]
                if len(lengths) < docnum:
                    lengths.frombytes(bytes(docnum - len(lengths)))  # documents without this field
                lengths.append(length_to_byte(length) if length else 0)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self.docnum += 1

    def _analyse(self, fields: dict) -> dict:
        """``numbered_entries`` of every text a fused plan indexes, each distinct text once.

        The text of ``exact`` and ``parts`` that is the newline-join of the document's stemmed
        texts (``article_document`` builds it that way) reuses their entries: no word crosses
        a newline, so the joined text's entries are theirs one after the other. ``parts`` given
        as a list of terms is indexed as Whoosh indexes a list: each item one token, not analysed.
        """
        analysed: dict = {}
        positional, counted = [], []  # texts of the stemmed fields; the joined texts
        for name, value in fields.items():
            plan = self.plans.get(name)
            if plan is None or plan == _GENERIC or value is None:
                continue
            if isinstance(value, str):
                if value not in analysed:
                    (positional if plan == _POSITIONS else counted).append(value)
                    analysed[value] = None
            elif plan in _POSITIONAL or not isinstance(value, (list, tuple)) or not set(map(type, value)) <= {str}:
                raise BulkWriteError(f"field {name!r} takes a string or a list of strings, not {value!r}")
        for value in positional:
            analysed[value] = numbered_entries(value)
        for value in counted:
            if analysed[value] is not None:
                continue
            texts = sorted((value.find(text), text) for text in positional if text)
            if texts and texts[0][0] >= 0 and "\n".join(text for _, text in texts) == value:
                analysed[value] = list(chain.from_iterable(analysed[text] for _, text in texts))
            else:
                analysed[value] = numbered_entries(value)
        return analysed

    def _lengths(self, name: str) -> array | None:
        """The field's length byte of every document of the segment."""
        length_bytes = self.length_bytes.get(name)
        if length_bytes is not None and len(length_bytes) < self.docnum:
            length_bytes.frombytes(bytes(self.docnum - len(length_bytes)))
        return length_bytes

    def finish(self):
        """Write the postings and the term table, assemble the segment file; returns the segment."""
        self.perdoc.close()
        segment = self.segment
        table = _TermTable(segment.create_file(self.storage, W3Codec.TERMS_EXT))
        fieldmap = table.extras["fieldmap"] = {}
        postfile = segment.create_file(self.storage, W3Codec.POSTS_EXT)
        for name in sorted(self.plans):
            if name in self.tokens:
                prefix = pack_ushort(len(fieldmap))
                postings = self.tokens.pop(name).postings(prefix)
                if postings is None:
                    continue
                fieldmap[name] = len(fieldmap)
                lengths = np.frombuffer(self._lengths(name), np.uint8)
                table.add_sorted(postings.terms, blocks.write_field(postings, lengths, prefix, postfile))
                del postings
            elif self.postings[name]:
                fieldmap[name] = len(fieldmap)
                self._write_generic_field(name, self.postings.pop(name), table, postfile)
        table.close()
        postfile.close()
        segment.set_doc_count(self.docnum)
        segment.create_compound_file(self.storage)
        return segment

    def _write_generic_field(self, name: str, terms: dict, table: _TermTable, postfile) -> None:
        """All terms of a field Whoosh analysed, in key order, as ``W3FieldWriter`` and
        ``W3PostingsWriter`` write them (the block data pickled with protocol 3, not 2, which
        ``W3LeafMatcher`` reads alike; small blocks uncompressed: see ``indexer.blocks``)."""
        fixedsize = self.schema[name].format.fixed_value_size()
        value_kind = "list" if fixedsize is None or fixedsize < 0 else ("none" if fixedsize == 0 else "joined")
        length_bytes = self._lengths(name)
        lookup_length = length_bytes.__getitem__ if length_bytes is not None else None
        prefix = pack_ushort(table.extras["fieldmap"][name])
        limit = blocks.BLOCK_LIMIT
        pack_terminfo = blocks.TERMINFO_EXTENT.pack
        offset = postfile.tell()
        keys, infos, chunks = [], [], []
        for term in sorted(terms):
            flat = terms.pop(term)  # frees the postings as they are written
            keys.append(prefix + term)
            ids, pairs = flat[0::2], flat[1::2]
            weights = list(array("f", [w for w, _ in pairs]))  # the float32 block array's values
            values = [v for _, v in pairs]
            count = len(ids)
            start_offset = offset
            chunks.append(blocks.MAGIC)
            offset += 4
            total_weight = 0.0
            min_byte = max_byte = 0
            max_weight = 0
            for start in range(0, count, limit):
                block_ids = ids[start:start + limit]
                block_weights = weights[start:start + limit]
                block_values = values[start:start + limit]
                n = len(block_ids)
                first = block_weights[0]
                deltas = [block_ids[0]]
                deltas += [b - a for a, b in zip(block_ids, block_ids[1:])]
                block_max_weight = max(block_weights)
                if block_weights.count(first) == n:
                    mini_weights = None if first == 1.0 else first
                else:
                    mini_weights = tuple(block_weights)
                if lookup_length:
                    lens = bytes(map(lookup_length, block_ids))
                    block_min, block_max = min(lens), max(lens)
                else:
                    block_min = block_max = 0
                if not block_max_weight > 0:
                    block_max_weight = 0
                if value_kind == "list":
                    mini_values = tuple(block_values) if all(block_values) else tuple([v for v in block_values if v])
                elif value_kind == "none":
                    mini_values = None
                else:
                    mini_values = b"".join(block_values)
                data = _pickle_block((tuple(deltas), mini_weights, mini_values))
                comp = 0
                if len(data) >= blocks.COMPRESS_FROM_BYTES:
                    data = blocks.compress(data)
                    comp = blocks.COMPRESSION_LEVEL
                info = dumps((n, block_ids[-1], block_max_weight, comp, block_min, block_max), 2)
                blocklength = len(info) + len(data)
                chunks += (pack_int(-blocklength if start + limit >= count else blocklength), info, data)
                offset += 4 + blocklength
                # The term's statistics, as W3TermInfo.add_block keeps them
                total_weight += sum(block_weights)
                if start == 0:
                    min_byte = block_min
                elif block_min and (not min_byte or block_min < min_byte):
                    min_byte = block_min
                if block_max > max_byte:
                    max_byte = block_max
                if block_max_weight > max_weight:
                    max_weight = block_max_weight
            infos.append(pack_terminfo(False, total_weight, count, min_byte, max_byte, max_weight, ids[0], ids[-1],
                                       start_offset, offset - start_offset))
        postfile.write(b"".join(chunks))
        table.add_sorted(keys, infos)


def _pickle_block(data: tuple) -> bytes:
    """``pickle.dumps(data, 3)`` without the memo (the block holds no shared objects that need it)."""
    _BLOCK_BUFFER.seek(0)
    _BLOCK_BUFFER.truncate()
    _BLOCK_PICKLER.dump(data)
    return _BLOCK_BUFFER.getvalue()


_BLOCK_BUFFER = io.BytesIO()
_BLOCK_PICKLER = pickle.Pickler(_BLOCK_BUFFER, 3)
_BLOCK_PICKLER.fast = True


# --- the bulk writer: spool the documents, build the segments, commit ----------------------------


class BulkWriteError(NewsearchError):
    """A bulk build cannot start or failed; the message says why (a worker's traceback included)."""


class BulkWriter:
    """A writer that builds new segments in up to ``procs`` processes, beside any the index has.

    Use it like Whoosh's writer: ``add_document``/``update_document(**fields)``,
    ``delete_by_term(unique_field, value)``, then ``commit()`` or ``cancel()``. Documents are
    pickled to a spool file beside the index as they come (memory stays flat). Once the spool
    holds ``chunk_bytes`` of documents, the build processes start, and each further chunk goes
    to whichever process is free while the caller goes on reading its files: parsing and
    building overlap, and the processes finish together. A process puts the chunks it gets into
    one segment until the segment is full (``max_postings``), so documents may be numbered in
    another order than they came. A small batch (one that never fills a chunk) is split at
    ``commit`` into ``procs`` contiguous parts and keeps its order. ``update_document`` replaces
    an earlier document with the same unique value even before the commit (Whoosh's own writer
    only sees committed ones): one not yet handed to a build process is left out, one already
    built is marked deleted in its segment. A document the index held before is marked deleted
    in its old segment, as Whoosh's writer does; old segments are kept as they are (no merge),
    and one left without a live document is dropped. Holds Whoosh's write lock from creation to
    commit or cancel.
    """

    def __init__(
        self,
        ix: index.Index,
        procs: int = 2,
        min_docs_per_proc: int = MIN_DOCS_PER_PROC,
        max_postings: int = MAX_SEGMENT_POSTINGS,
        chunk_bytes: int = CHUNK_SPOOL_BYTES,
    ):
        storage = ix.storage
        if not isinstance(storage, FileStorage):
            raise BulkWriteError(f"bulk writing needs an index in a directory, not {storage!r}")
        self.ix = ix
        self.procs = procs
        self.min_docs_per_proc = min_docs_per_proc
        self.max_postings = max_postings
        self.chunk_bytes = chunk_bytes
        self.folder = Path(storage.folder)
        self.is_closed = True
        self._lock = ix.lock("WRITELOCK")
        if not self._lock.acquire():
            raise BulkWriteError(f"Der Index unter {self.folder} wird gerade von einem anderen Writer geschrieben.")
        try:
            self._toc = ix._read_toc()
            self.schema = self._toc.schema
            # The index's own segments, to mark replaced documents deleted in (see delete_by_term),
            # read through memory maps: Whoosh's storage would copy each segment into memory.
            mapped = MappedStorage(str(self.folder))
            self._old = [(segment, SegmentReader(mapped, self.schema, segment)) for segment in self._toc.segments]
            self._unique = [name for name, field in self.schema.items() if field.unique]
            for name in self._unique:
                if not isinstance(self.schema[name], ID):
                    raise BulkWriteError(f"bulk writing keys documents on ID fields only, not {name!r}")
            self._spool_path = self.folder / f"bulk-{os.getpid()}-{os.urandom(4).hex()}.spool"
            self._spool = open(self._spool_path, "wb")
        except BaseException:
            self._lock.release()
            raise
        self._offsets: list[int] = []  # spool offset of each document
        self._deleted: set[int] = set()  # spool numbers of documents replaced or deleted
        self._by_key: dict[tuple[str, str], int] = {}  # (unique field, value) -> spool number
        self._processes: _BuildProcesses | None = None  # started with the first chunk
        self._sent = 0  # spool numbers below this are with a build process
        self.is_closed = False

    def add_document(self, **fields) -> None:
        self._check_open()
        for name in fields:
            if name.startswith("_") or name not in self.schema:
                raise BulkWriteError(f"bulk writing takes schema fields only, not {name!r}")
        number = len(self._offsets)
        self._offsets.append(self._spool.tell())
        pickle.dump(fields, self._spool, protocol=pickle.HIGHEST_PROTOCOL)
        for name in self._unique:
            if fields.get(name) is not None:
                self._by_key[(name, fields[name])] = number
        if self.procs > 1 and self._spool.tell() - self._offsets[self._sent] >= self.chunk_bytes:
            self._send(self._sent, number + 1)

    def update_document(self, **fields) -> None:
        self._check_open()
        for name in self._unique:
            if fields.get(name) is not None:
                self.delete_by_term(name, fields[name])
        self.add_document(**fields)

    def delete_by_term(self, fieldname: str, text: str, searcher=None) -> int:
        """Forget the documents with this unique value, added here or held by the index before;
        returns how many were dropped."""
        self._check_open()
        if fieldname not in self._unique:
            raise BulkWriteError(f"bulk writing deletes by unique field only, not by {fieldname!r}")
        dropped = 0
        for segment, reader in self._old:
            if (fieldname, text) in reader:
                for docnum in reader.postings(fieldname, text).all_ids():  # skips those deleted already
                    segment.delete_document(docnum)
                    dropped += 1
        number = self._by_key.pop((fieldname, text), None)
        if number is not None:
            self._deleted.add(number)
            dropped += 1
        return dropped

    def doc_count(self) -> int:
        return len(self._offsets) - len(self._deleted)

    def _send(self, start: int, stop: int) -> None:
        """Hand spool numbers ``start`` to ``stop`` to the next build process."""
        self._spool.flush()
        if self._processes is None:
            self._processes = _BuildProcesses(self.procs)
        deleted = frozenset(n for n in self._deleted if start <= n < stop)
        self._processes.send(self._job(start, stop, deleted))
        self._sent = stop

    def _job(self, start: int, stop: int, deleted: frozenset[int]) -> _Job:
        return _Job(self.schema, str(self.folder), self.ix.indexname, str(self._spool_path), self._offsets[start],
                    start, stop, deleted, self.max_postings)

    def commit(self, **_ignored) -> None:
        """Build the segments and write the new table of contents; Whoosh's merge options do not apply."""
        self._check_open()
        try:
            self._spool.flush()
            count = len(self._offsets)
            if self._processes is None:
                live = [i for i in range(count) if i not in self._deleted]
                ranges = [(live[a], live[b - 1] + 1) for a, b in split_evenly(len(live), self.procs, self.min_docs_per_proc)]
                if len(ranges) > 1:
                    self._processes = _BuildProcesses(len(ranges))
            else:  # what is left, split so that the processes finish together
                ranges = [(self._sent + a, self._sent + b) for a, b in split_evenly(count - self._sent, self.procs, 1)]
            if self._processes is None:
                built = _build_segments(self._job(start, stop, frozenset(self._deleted)) for start, stop in ranges)
            else:
                for start, stop in ranges:
                    self._send(start, stop)
                built = self._processes.finish()
            # Old segments keep their deletions in the new table of contents; an empty one goes.
            segments = [segment for segment, _ in self._old if segment.doc_count()]
            for segment, numbers in built:
                for local, number in enumerate(numbers):
                    if number in self._deleted:  # replaced after its chunk went to a build process
                        segment.delete_document(local)
                segments.append(segment)
            generation = self._toc.generation + 1
            index.TOC(self.schema, segments, generation).write(self.ix.storage, self.ix.indexname)
            index.clean_files(self.ix.storage, self.ix.indexname, generation, segments)
        finally:
            self._close()

    def cancel(self) -> None:
        self._check_open()
        self._close()

    def _check_open(self) -> None:
        if self.is_closed:
            raise BulkWriteError("this bulk writer is closed")

    def _close(self) -> None:
        self.is_closed = True
        for _, reader in self._old:
            reader.close()
        if self._processes is not None:
            self._processes.kill()
        self._spool.close()
        self._spool_path.unlink(missing_ok=True)
        self._lock.release()


def write_documents(
    ix: index.Index,
    docs: Iterable[dict],
    procs: int = 2,
    min_docs_per_proc: int = MIN_DOCS_PER_PROC,
    max_postings: int = MAX_SEGMENT_POSTINGS,
    chunk_bytes: int = CHUNK_SPOOL_BYTES,
) -> None:
    """Write ``docs`` (field dicts, as for ``add_document``) into the empty index ``ix`` and commit.

    The documents get the numbers 0, 1, … in the order given, as if added with one writer and
    committed once; see ``BulkWriter``.
    """
    writer = BulkWriter(ix, procs=procs, min_docs_per_proc=min_docs_per_proc, max_postings=max_postings,
                        chunk_bytes=chunk_bytes)
    try:
        for doc in docs:
            writer.add_document(**doc)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def split_evenly(count: int, procs: int, min_per_proc: int = MIN_DOCS_PER_PROC) -> list[tuple[int, int]]:
    """``(start, stop)`` of each process's share: contiguous, in order, at most ``procs`` of them.

    >>> split_evenly(1001, 2)
    [(0, 501), (501, 1001)]
    """
    if count == 0:
        return []
    parts = max(1, min(procs, count // max(1, min_per_proc)))
    bounds = [count - count * k // parts for k in range(parts, -1, -1)]  # any larger share first
    return list(zip(bounds, bounds[1:]))


@dataclass(frozen=True, slots=True)
class _Job:
    """Segments to build: spool numbers ``start`` to ``stop`` (read from ``offset``), minus ``deleted``."""

    schema: object
    folder: str
    indexname: str
    spool: str
    offset: int
    start: int
    stop: int
    deleted: frozenset[int]
    max_postings: int


class _SegmentBuilds:
    """The segments one process builds from the jobs it is given, in the order given.

    Documents of consecutive jobs go into the same segment until it holds ``max_postings``
    tokens and postings: that bounds the process's memory whatever the number of documents,
    and keeps segments large however small the jobs. Each segment is returned with the spool
    numbers of its documents, in its document order.
    """

    def __init__(self):
        self.done: list[tuple[object, list[int]]] = []
        self.builder: _SegmentBuilder | None = None
        self.numbers: list[int] = []
        self.scratch: Path | None = None
        self.folder: str | None = None

    def add(self, job: _Job) -> None:
        self.folder = job.folder
        with open(job.spool, "rb") as spool:
            spool.seek(job.offset)
            for number in range(job.start, job.stop):
                fields = pickle.load(spool)
                if number in job.deleted:
                    continue
                if self.builder is None:
                    self.scratch = Path(job.folder) / f"bulk-{os.getpid()}-{number}.tmp"
                    self.builder = _SegmentBuilder(job.schema, FileStorage(str(self.scratch)).create(), job.indexname)
                self.builder.add_document(fields)
                self.numbers.append(number)
                if self.builder.posting_count >= job.max_postings:
                    self._finish()

    def close(self) -> list[tuple[object, list[int]]]:
        if self.builder is not None:
            self._finish()
        return self.done

    def _finish(self) -> None:
        segment = self.builder.finish()
        name = segment.make_filename(W3Segment.COMPOUND_EXT)
        os.replace(self.scratch / name, Path(self.folder) / name)
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.done.append((segment, self.numbers))
        self.builder, self.numbers = None, []
        gc.collect()  # the finished builder's objects are garbage now; free them before the next

    def discard(self) -> None:
        """After a failure: remove what was written."""
        for segment, _ in self.done:
            _remove_segment(self.folder, segment)
        if self.folder is not None:
            for scratch in Path(self.folder).glob(f"bulk-{os.getpid()}-*.tmp"):
                shutil.rmtree(scratch, ignore_errors=True)


def _remove_segment(folder: str, segment) -> None:
    (Path(folder) / segment.make_filename(W3Segment.COMPOUND_EXT)).unlink(missing_ok=True)


def _build_segments(jobs: Iterable[_Job]) -> list[tuple[object, list[int]]]:
    """Build ``jobs`` in this process: see ``_SegmentBuilds``."""
    enabled = gc.isenabled()
    gc.disable()  # millions of small objects: the cyclic collector would rescan them over and over
    builds = _SegmentBuilds()
    try:
        for job in jobs:
            builds.add(job)
        return builds.close()
    except BaseException:
        builds.discard()
        raise
    finally:
        if enabled:
            gc.enable()


class _BuildProcesses:
    """Build processes, each a fresh interpreter, that pull jobs as they become free.

    A job goes down a process's stdin (pickled) when the process has nothing left to do, so all
    of them finish within about one job of each other however the work is spread over the jobs.
    A process answers ``+`` on its stdout for each job it has read in; when its stdin closes it
    finishes its last segment and writes ``=`` and ``("ok", [(segment, spool numbers), ...])`` or
    ``("error", traceback)`` pickled. Fresh interpreters, not ``fork``: a forked child counts the
    parent's whole heap in its resident size. Plain subprocesses, not ``multiprocessing``'s
    spawn: that re-runs the caller's main script in the child, which breaks any script without a
    ``__main__`` guard.
    """

    def __init__(self, count: int):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(_PROJECT_ROOT), env.get("PYTHONPATH"))))
        self.procs: list[subprocess.Popen] = []
        self.jobs: list[list[_Job]] = [[] for _ in range(count)]
        self.busy = [0] * count  # jobs sent and not yet answered, per process
        self.out = [bytearray() for _ in range(count)]
        self.waiting: deque[_Job] = deque()
        try:
            for _ in range(count):
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-c", "from indexer.bulk import worker_main; worker_main()"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                    preexec_fn=_die_with_parent,
                ))
        except BaseException:
            self.kill()
            raise

    def send(self, job: _Job) -> None:
        self.waiting.append(job)
        self._dispatch(0)

    def _dispatch(self, timeout: float | None) -> None:
        """Read the answers that are there (waiting up to ``timeout`` for one), then give each idle
        process the next waiting job."""
        listening = {self.procs[k].stdout.fileno(): k for k in range(len(self.procs)) if self.busy[k]}
        if listening:
            ready, _, _ = select.select(list(listening), [], [], timeout)
            for fd in ready:
                k = listening[fd]
                data = os.read(fd, 1 << 16)
                if not data:  # the process ended early: finish() reports why
                    self.busy[k] = 0
                    self.procs[k].stdin.close()
                    continue
                head = data.split(b"=", 1)[0]
                self.busy[k] -= len(head)
                if len(head) < len(data):  # the process stopped early (an error): no more jobs for it
                    self.out[k] += data[len(head):]
                    self.busy[k] = 0
                    self.procs[k].stdin.close()
        for k, proc in enumerate(self.procs):
            if self.waiting and not self.busy[k] and not proc.stdin.closed:
                job = self.waiting.popleft()
                self.jobs[k].append(job)
                self.busy[k] += 1
                try:
                    pickle.dump(job, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    proc.stdin.flush()
                except BrokenPipeError:
                    proc.stdin.close()
                    self.busy[k] = 0

    def finish(self) -> list[tuple[object, list[int]]]:
        """Wait until every job is built; returns the segments with their spool numbers, in spool order."""
        while any(self.busy) or (self.waiting and not all(proc.stdin.closed for proc in self.procs)):
            self._dispatch(None)
        built, failures = [], []
        for k, proc in enumerate(self.procs):
            with contextlib.suppress(BrokenPipeError):
                proc.stdin.close()
            proc.stdin = None  # closed here: communicate() must not flush it
            out, err = proc.communicate()
            out = bytes(self.out[k]) + out
            try:
                status, payload = pickle.loads(out[out.index(b"=") + 1:])
            except (pickle.UnpicklingError, EOFError, ValueError):
                status, payload = "error", f"exit code {proc.returncode}: {err.decode(errors='replace')[-4000:]}"
            if status == "ok" and proc.returncode == 0:
                built += payload
            elif self.jobs[k]:
                failures.append(f"documents {self.jobs[k][0].start}–{self.jobs[k][-1].stop - 1}: {payload}")
            else:
                failures.append(str(payload))
        if failures:
            folder = next(job.folder for jobs in self.jobs for job in jobs)
            for segment, _ in built:
                _remove_segment(folder, segment)
            raise BulkWriteError("bulk writing failed for " + "\n".join(failures))
        return sorted(built, key=lambda pair: pair[1][0])

    def kill(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _die_with_parent() -> None:
    """In the build process before it starts: have Linux kill it when the indexer dies (``kill -9``
    of ``newsearch index --full``), instead of building a segment nobody will use."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the process ends on its own once its segment is written


def worker_main() -> None:
    """Entry point of a build process: see ``_BuildProcesses``."""
    try:
        result = ("ok", _build_segments(_jobs_from_stdin()))
    except BaseException:
        result = ("error", traceback.format_exc())
    sys.stdout.buffer.write(b"=" + pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    if result[0] != "ok":
        sys.exit(1)


def _jobs_from_stdin():
    """The jobs the parent sends, until it closes stdin; answers ``+`` once a job is read in
    (when the next one is asked for)."""
    while True:
        try:
            job = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        yield job
        sys.stdout.buffer.write(b"+")
        sys.stdout.buffer.flush()
