"""Writing one segment from documents added in order: Whoosh's ``SegmentWriter`` without its pool.

Whoosh's ``SegmentWriter`` spends most of a full build on bookkeeping, not on analysis: every
posting becomes a tuple in a pool that is sorted (spilling to temporary files) at commit, then fed
one by one through ``W3FieldWriter``, which looks up the document's field length again for each
posting. Here the postings of each term are collected in memory as the documents are analysed and
written in one go per term, in exactly the whoosh3 block format (128 postings a block, pickled and
zlib-compressed as ``W3PostingsWriter`` does); stored fields, length and sort columns still go
through Whoosh's own ``W3PerDocWriter``. The result is an ordinary Whoosh index: same schema (the
index's own), same terms, same postings, same stored values.

Term postings are kept as numpy arrays of tokens (``indexer.fused``) and written by ``indexer.blocks``.
"""
from __future__ import annotations

import struct
from array import array
from hashlib import md5
from itertools import chain

import numpy as np
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.system import pack_ushort
from whoosh.util.numeric import length_to_byte

from indexer import blocks
from indexer.analysis import PARTS, form_positions, kept_entries
from indexer.errors import BulkWriteError
from indexer.fused import (
    GENERIC,
    LISTED,
    POSITIONAL,
    STEMMED,
    Vocabulary,
    fused_plan,
    listed_terms,
    token_positions,
)

_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # filetables._lengths
_HASH_POINTER = struct.Struct("!Iq")  # filetables._pointer
_EMPTY_SLOT = _HASH_POINTER.pack(0, 0)


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
    positions field) and how many tokens each document gave. About 12 bytes a token.

    With ``own_terms`` the field numbers its terms itself, for this segment only, instead of in
    the build's vocabulary: keyword terms such as the near-duplicate bands are mostly met once
    (450,000 on FANG), and the vocabulary would keep them all for the whole build.
    """

    __slots__ = ("numbers", "positions", "docs", "counts", "terms")

    def __init__(self, positional: bool, own_terms: bool = False):
        self.numbers = array("I")
        self.positions = array("I") if positional else None
        self.docs = array("I")
        self.counts = array("I")
        self.terms: dict[str, int] | None = {} if own_terms else None

    def own_numbers(self, terms: list[str]) -> list[int]:
        """The segment's own number of each term (``own_terms``), numbering new ones."""
        numbers = self.terms
        return [numbers.setdefault(term, len(numbers)) for term in terms]

    def postings(self, prefix: bytes, all_texts: list[str]) -> blocks.FieldPostings | None:
        """The tokens grouped into postings, in term order (terms sorted as Whoosh sorts keys:
        UTF-8 bytes, which is code point order)."""
        numbers = np.frombuffer(self.numbers, np.uint32)
        if not len(numbers):
            return None
        seen = np.zeros(len(all_texts), bool)
        seen[numbers] = True
        present = np.flatnonzero(seen)
        rank = np.zeros(len(all_texts), np.int32)
        texts = [all_texts[n] for n in present.tolist()]
        order = sorted(range(len(texts)), key=texts.__getitem__)
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
            weights=freqs,
            values=values if values is not None else freqs.astype(">u4").tobytes(),  # Frequency's packed counts
        )


class SegmentBuilder:
    """Writes one segment from documents added in order: ``SegmentWriter`` without its pool.

    The fused fields (see ``fused_plan``), keyword fields with counts among them, keep their tokens
    as arrays (``_Tokens``). Any other indexed field keeps Whoosh's postings per term as a flat
    list ``[doc, (weight, value), ...]``: those are the id, day and date fields (no counts). At
    the end both become arrays for ``indexer.blocks``, the one writer of posting blocks.
    """

    def __init__(self, schema, storage: FileStorage, indexname: str, vocabulary: Vocabulary):
        self.schema = schema
        self.storage = storage
        self.vocabulary = vocabulary  # the build's, shared by its segments
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
        self.tokens = {name: _Tokens(plan in POSITIONAL, own_terms=plan == LISTED)
                       for name, plan in self.plans.items() if plan != GENERIC}
        self.postings: dict[str, dict] = {name: {} for name, plan in self.plans.items() if plan == GENERIC}
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
            elif plan == GENERIC:
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
                if plan in POSITIONAL:
                    entries = analysed[value]
                    numbers, positions = (token_positions(*kept_entries(entries)) if plan == STEMMED
                                          else form_positions(entries))
                    tokens.positions.extend(positions)
                elif plan == LISTED:
                    numbers = tokens.own_numbers(listed_terms(field, value))
                elif isinstance(value, str):
                    numbers = list(chain.from_iterable(map(PARTS, analysed[value])))
                else:  # a list of terms: each one token, as Whoosh indexes a list
                    numbers = list(map(self.vocabulary.number, value))
                count = len(numbers)
                if count:
                    tokens.numbers.extend(numbers)
                    tokens.docs.append(docnum)
                    tokens.counts.append(count)
                    self.posting_count += count
                length = count if field.scorable else 0  # as Whoosh's writer: a length for scorable fields only
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
        """``Vocabulary.entries`` of every text a fused plan indexes, each distinct text once.

        The text of ``exact`` and ``parts`` that is the newline-join of the document's stemmed
        texts (``article_document`` builds it that way) reuses their entries: no word crosses
        a newline, so the joined text's entries are theirs one after the other. ``parts`` given
        as a list of terms is indexed as Whoosh indexes a list: each item one token, not analysed.
        """
        analysed: dict = {}
        positional, counted = [], []  # texts of the stemmed fields; the joined texts
        for name, value in fields.items():
            plan = self.plans.get(name)
            if plan is None or plan == GENERIC or value is None:
                continue
            if plan == LISTED and isinstance(value, str):
                continue  # split by listed_terms, not analysed
            if isinstance(value, str):
                if value not in analysed:
                    (positional if plan == STEMMED else counted).append(value)
                    analysed[value] = None
            elif plan in POSITIONAL or not isinstance(value, (list, tuple)) or not set(map(type, value)) <= {str}:
                raise BulkWriteError(f"field {name!r} takes a string or a list of strings, not {value!r}")
        entries = self.vocabulary.entries
        for value in positional:
            analysed[value] = entries(value)
        for value in counted:
            if analysed[value] is not None:
                continue
            texts = sorted((value.find(text), text) for text in positional if text)
            if texts and texts[0][0] >= 0 and "\n".join(text for _, text in texts) == value:
                analysed[value] = list(chain.from_iterable(analysed[text] for _, text in texts))
            else:
                analysed[value] = entries(value)
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
            prefix = pack_ushort(len(fieldmap))
            if name in self.tokens:
                tokens = self.tokens.pop(name)
                texts = self.vocabulary.texts if tokens.terms is None else list(tokens.terms)
                postings = tokens.postings(prefix, texts)
            else:
                postings = self._generic_postings(name, self.postings.pop(name), prefix)
            if postings is None:
                continue
            fieldmap[name] = len(fieldmap)
            length_bytes = self._lengths(name)
            lengths = np.frombuffer(length_bytes, np.uint8) if length_bytes is not None else np.zeros(self.docnum, np.uint8)
            table.add_sorted(postings.terms, blocks.write_field(postings, lengths, prefix, postfile))
            del postings
        table.close()
        postfile.close()
        segment.set_doc_count(self.docnum)
        segment.create_compound_file(self.storage)
        return segment

    def _generic_postings(self, name: str, terms: dict, prefix: bytes) -> blocks.FieldPostings | None:
        """The postings of a field Whoosh analysed, in key order, as arrays for ``indexer.blocks``:
        the weights as the float32 Whoosh's block array holds, the values as its format encoded them."""
        if not terms:
            return None
        keys, docs, weights, values, starts = [], [], [], [], [0]
        for term in sorted(terms):
            flat = terms.pop(term)  # frees the postings as they are copied
            keys.append(prefix + term)
            docs += flat[0::2]
            for weight, value in flat[1::2]:
                weights.append(weight)
                values.append(value)
            starts.append(len(docs))
        fixedsize = self.schema[name].format.fixed_value_size()
        if fixedsize is None or fixedsize < 0:
            encoded = blocks.pickled_byte_items(values)
        else:
            encoded = b"".join(values) if fixedsize else None
        return blocks.FieldPostings(terms=keys, term_starts=np.array(starts, np.int64), docs=np.array(docs, np.int64),
                                    weights=np.array(weights, np.float32).astype(np.float64), values=encoded)
