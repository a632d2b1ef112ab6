"""A whole field's whoosh3 posting blocks, built from numpy arrays: the one posting-block writer.

A full build holds millions of postings. As Python objects (a term's list, a float and a bytes
value per posting) each costs about 90 bytes and a microsecond or two to make, group, encode and
pickle. Here a field is three flat arrays (term number, document, position of each token, in
document order), and the bytes Whoosh's reader expects are computed for all postings at once:

- the posting values: ``Positions.encode`` (the count, then the pickled position deltas) or
  ``Frequency``'s packed count;
- the pickle of each block ``(doc deltas, weights, values)``, which ``W3LeafMatcher`` unpickles,
  assembled from slices of byte arrays that hold each item's pickle opcodes.

Only a loop over the blocks (most terms have one) is left in Python. The fields Whoosh analyses
itself (keywords, dates, ids) come here too, their postings turned into the same arrays
(``indexer.segment``). ``tests/test_bulk.py``
checks every posting, statistic and length against what Whoosh's own writer makes, and
``tests/test_blocks.py`` the bytes against ``pickle``.
"""
from __future__ import annotations

import pickle
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.formats import Positions
from whoosh.system import pack_int

BLOCK_LIMIT = 128  # postings a block: W3Codec's default blocklimit
MAGIC = b"W3Bl"  # whoosh.codec.whoosh3.WHOOSH3_HEADER_MAGIC
# W3TermInfo.to_bytes for postings in the postings file: its struct, then offset and length
TERMINFO_EXTENT = struct.Struct(W3TermInfo._struct.format + "qi")
# Blocks whose pickle is shorter than this are stored uncompressed (compression flag 0 in the
# block info, which W3LeafMatcher honours): most terms have one block of a few dozen bytes, on
# which zlib saves nothing.
COMPRESS_FROM_BYTES = 512
COMPRESSION_LEVEL = 1  # the block info records it; readers only ask whether it is 0

# Pickle opcodes (protocol 2 for posting values, as Positions.encode pickles; 3 for blocks)
_BININT1, _BININT2, _BININT = ord("K"), ord("M"), ord("J")
_SHORT_BINBYTES, _BINBYTES = ord("C"), ord("B")
_BINFLOAT = ord("G")
_MARK, _APPEND, _APPENDS, _STOP = ord("("), ord("a"), ord("e"), ord(".")
_LIST_HEAD = np.frombuffer(b"\x80\x02]q\x00", np.uint8)  # PROTO 2, EMPTY_LIST, BINPUT 0
_TUPLE_END = (b"", b"\x85", b"\x86", b"\x87")  # TUPLE1..3 after that many items
_BATCHSIZE = 1000  # the pickler appends a list's items in batches of this many
_POSITIONS = Positions()  # its encode() writes a value the vectorised code leaves to it
_TERMS_A_BATCH = 20_000


def compress(data: bytes) -> bytes:
    """A zlib stream that ``zlib.decompress`` reads like any other: level 1, a 4 KB window and
    small hash tables, because setting up zlib's default 256 KB of state costs more than
    compressing a posting block (rarely over 4 KB), and level 3 saves 2% more for 40% more time."""
    compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, 12, 4)
    return compressor.compress(data) + compressor.flush()


def _offsets(widths: np.ndarray) -> np.ndarray:
    """Where each item starts, and the total as a last entry: int32 when that is enough (a
    segment's arrays always are; half the memory of int64)."""
    dtype = np.int32 if int(widths.sum(dtype=np.int64)) < 2**31 else np.int64
    starts = np.zeros(len(widths) + 1, dtype)
    np.cumsum(widths, out=starts[1:])
    return starts


def _int_widths(values: np.ndarray) -> np.ndarray:
    """Bytes the pickle of each non-negative int (below 2**31) takes: BININT1, BININT2 or BININT."""
    widths = np.full(len(values), 2, np.uint8)
    widths[values >= 256] = 3
    widths[values >= 65536] = 5
    return widths


def _put_ints(buf: np.ndarray, at: np.ndarray, values: np.ndarray, widths: np.ndarray) -> None:
    for width, op in ((2, _BININT1), (3, _BININT2), (5, _BININT)):
        chosen = widths == width
        if not chosen.any():
            continue
        where, value = at[chosen], values[chosen]
        buf[where] = op
        for k in range(width - 1):  # little-endian
            buf[where + 1 + k] = (value >> (8 * k)) & 255


def _put_bytes_header(buf: np.ndarray, at: np.ndarray, lengths: np.ndarray, widths: np.ndarray) -> None:
    """SHORT_BINBYTES and its one-byte length, or BINBYTES and four (little-endian)."""
    short = widths == 2
    buf[at[short]] = _SHORT_BINBYTES
    buf[at[short] + 1] = lengths[short]
    where, length = at[~short], lengths[~short]
    buf[where] = _BINBYTES
    for k in range(4):
        buf[where + 1 + k] = (length >> (8 * k)) & 255


def pickled_ints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Each value's pickle opcode, one after another, and where each starts (plus the end)."""
    widths = _int_widths(values)
    starts = _offsets(widths)
    buf = np.empty(starts[-1], np.uint8)
    _put_ints(buf, starts[:-1], values, widths)
    return buf.tobytes(), starts


def pickled_position_values(positions: np.ndarray, posting_starts: np.ndarray, freqs: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Each posting's value as a pickled bytes item of a block: ``Positions.encode(positions)``,
    that is the count as an unsigned int and the pickled list of position deltas (protocol 2),
    preceded by the opcode and length that put it in the block's pickle.

    ``positions`` holds every token's position, posting after posting; ``posting_starts`` the
    index of each posting's first token there; ``freqs`` its token count.
    """
    deltas = positions.astype(np.int32)
    deltas[1:] -= positions[:-1]
    deltas[posting_starts] = positions[posting_starts]
    widths = _int_widths(deltas)
    item_bytes = np.add.reduceat(widths, posting_starts, dtype=np.int32)
    several = freqs > 1
    # count (4) + list head (5) + MARK if several + items + APPEND(S) + STOP
    value_lengths = item_bytes + several
    value_lengths += 4 + 5 + 2
    big = np.flatnonzero(freqs > _BATCHSIZE)  # the pickler batches these: written by pickle below
    exact = {int(p): _POSITIONS.encode(positions[posting_starts[p]:posting_starts[p] + freqs[p]].tolist()) for p in big}
    for p, value in exact.items():
        value_lengths[p] = len(value)
    header_widths = np.where(value_lengths < 256, np.int32(2), np.int32(5))
    starts = _offsets(header_widths + value_lengths)
    buf = np.empty(starts[-1], np.uint8)
    at = starts[:-1]
    _put_bytes_header(buf, at, value_lengths, header_widths)
    value_at = at + header_widths
    for k in range(4):  # the count, big-endian (pack_uint)
        buf[value_at + k] = (freqs >> (8 * (3 - k))) & 255
    for k, byte in enumerate(_LIST_HEAD):
        buf[value_at + 4 + k] = byte
    buf[value_at[several] + 9] = _MARK
    items_at = value_at + 9 + several
    # Where each token's item goes: its posting's first item, plus the items before it there
    token_at = _offsets(widths)[:-1]
    token_at += np.repeat(items_at - token_at[posting_starts], freqs)
    _put_ints(buf, token_at, deltas, widths)
    del token_at
    end = items_at + item_bytes
    buf[end] = np.where(several, _APPENDS, _APPEND)
    buf[end + 1] = _STOP
    for p, value in exact.items():
        buf[value_at[p]:value_at[p] + len(value)] = np.frombuffer(value, np.uint8)
    return buf.tobytes(), starts


def pickled_byte_items(values: list[bytes]) -> tuple[bytes, np.ndarray]:
    """Each value as a pickled bytes item of a block (opcode, length, the bytes), one after
    another, and where each starts (plus the end): for values Whoosh's format encoded itself."""
    items = [(b"C" + bytes((len(v),)) if len(v) < 256 else b"B" + len(v).to_bytes(4, "little")) + v for v in values]
    return b"".join(items), _offsets(np.fromiter(map(len, items), np.int64, len(items)))


@dataclass(frozen=True, slots=True)
class FieldPostings:
    """One field's postings in term order, ready to write.

    ``terms`` are the field's terms as encoded keys in sorted order; ``term_starts`` the index of
    each term's first posting (plus the end); per posting ``docs`` and ``weights`` (the token
    count in a field of ours, whatever Whoosh's format gave otherwise, as the float32 its block
    array holds). ``values``, as the field's format has them:

    - ``(items, starts)``: each posting's value as a pickled bytes item, as
      ``pickled_position_values`` makes them (``Positions``; a block holds a tuple of them);
    - ``bytes``: every posting's value of one fixed size, one after another (``Frequency``'s
      packed count; a block holds its postings' share as one bytes object);
    - ``None``: no values (``Existence``: ids, dates, keywords without counts).
    """

    terms: list[bytes]
    term_starts: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    values: tuple[bytes, np.ndarray] | bytes | None


def write_field(postings: FieldPostings, length_bytes: np.ndarray, prefix: bytes, postfile) -> list[bytes]:
    """Write the field's blocks to ``postfile`` as ``W3PostingsWriter`` lays them out; returns each
    term's ``W3TermInfo`` bytes, in term order.

    Block data is the pickle (protocol 3, no memo) of ``(doc deltas, weights, values)``: weights
    ``None`` when all are 1, one float when all are equal, else a tuple. Blocks of at least
    ``COMPRESS_FROM_BYTES`` are zlib-compressed, as the block info records.
    ``length_bytes`` holds each document's length byte of the field (zeros for a field without
    lengths).
    """
    docs, weights = postings.docs, postings.weights
    term_starts = postings.term_starts
    counts = np.diff(term_starts)
    blocks_per_term = (counts + BLOCK_LIMIT - 1) // BLOCK_LIMIT
    first_block = _offsets(blocks_per_term)
    block_term = np.repeat(np.arange(len(counts)), blocks_per_term)
    block_starts = term_starts[block_term] + (np.arange(len(block_term)) - first_block[block_term]) * BLOCK_LIMIT
    block_ends = np.minimum(block_starts + BLOCK_LIMIT, term_starts[block_term + 1])
    # Doc numbers as deltas within a block, the first one whole
    deltas = docs.astype(np.int64)
    deltas[1:] -= docs[:-1]
    deltas[block_starts] = docs[block_starts]
    id_bytes, id_at = pickled_ints(deltas)
    weight_items = np.empty((len(weights), 9), np.uint8)
    weight_items[:, 0] = _BINFLOAT
    weight_items[:, 1:] = weights.astype(">f8").view(np.uint8).reshape(-1, 8)
    weight_bytes = weight_items.tobytes()
    value_bytes, value_at, value_size = b"", None, 0
    if isinstance(postings.values, tuple):
        value_bytes, value_at = postings.values
    elif postings.values is not None:
        value_bytes = postings.values
        value_size = len(value_bytes) // max(1, len(docs))
    lengths = length_bytes[docs]
    per_block = [
        np.maximum.reduceat(weights, block_starts), np.minimum.reduceat(weights, block_starts),
        np.minimum.reduceat(lengths, block_starts), np.maximum.reduceat(lengths, block_starts),
        docs[block_ends - 1], block_starts, block_ends, id_at[block_starts], id_at[block_ends],
    ]
    if value_at is not None:
        per_block += [value_at[block_starts], value_at[block_ends]]
    per_term = [
        np.add.reduceat(weights, term_starts[:-1]), np.maximum.reduceat(weights, term_starts[:-1]),
        np.minimum.reduceat(lengths, term_starts[:-1]), np.maximum.reduceat(lengths, term_starts[:-1]),
        docs[term_starts[:-1]], docs[term_starts[1:] - 1], counts,
    ]
    del lengths, deltas, id_at, block_term
    pack_terminfo = TERMINFO_EXTENT.pack
    dumps, tuple_end = pickle.dumps, _TUPLE_END
    offset = postfile.tell()
    infos = []
    # Python reads the block and term figures one by one, as lists: a batch of terms at a time,
    # since a list costs ~36 bytes an entry against the array's 8.
    for batch in range(0, len(counts), _TERMS_A_BATCH):
        batch_end = min(batch + _TERMS_A_BATCH, len(counts))
        b0, b1 = first_block[batch], first_block[batch_end]
        (block_max, block_min, block_len_min, block_len_max, block_last, starts_list, ends_list,
         id_from, id_to, *value_range) = (column[b0:b1].tolist() for column in per_block)
        if value_range:
            value_from, value_to = value_range
        term_weight, term_max, term_len_min, term_len_max, term_first, term_last, term_counts = (
            column[batch:batch_end].tolist() for column in per_term)
        first_blocks = (first_block[batch:batch_end + 1] - b0).tolist()
        chunks = []
        for t, count in enumerate(term_counts):
            term_offset = offset
            chunks.append(MAGIC)
            offset += 4
            last_block = first_blocks[t + 1] - 1
            for b in range(first_blocks[t], last_block + 1):
                s, e = starts_list[b], ends_list[b]
                n = e - s
                top, low = block_max[b], block_min[b]
                ids = id_bytes[id_from[b]:id_to[b]]
                if top != low:
                    weights = weight_bytes[9 * s:9 * e]
                    weights = b"(" + weights + b"t" if n > 3 else weights + tuple_end[n]
                elif top == 1:
                    weights = b"N"
                else:
                    weights = weight_bytes[9 * s:9 * s + 9]
                if value_at is not None:
                    values = value_bytes[value_from[b]:value_to[b]]
                    values = b"(" + values + b"t" if n > 3 else values + tuple_end[n]
                elif value_size:
                    size = value_size * n
                    values = (b"C" + bytes((size,)) if size < 256 else b"B" + size.to_bytes(4, "little")) + value_bytes[value_size * s:value_size * e]
                else:
                    values = b"N"
                if n > 3:
                    data = b"".join((b"\x80\x03(", ids, b"t", weights, values, b"\x87."))
                else:
                    data = b"".join((b"\x80\x03", ids, tuple_end[n], weights, values, b"\x87."))
                comp = 0
                if len(data) >= COMPRESS_FROM_BYTES:
                    data = compress(data)
                    comp = COMPRESSION_LEVEL
                # W3LeafMatcher's block max weight; Whoosh writes 0 for a block without a positive weight
                info = dumps((n, block_last[b], float(top) if top > 0 else 0, comp, block_len_min[b], block_len_max[b]), 2)
                size = len(info) + len(data)
                chunks += (pack_int(-size if b == last_block else size), info, data)
                offset += 4 + size
            infos.append(pack_terminfo(False, float(term_weight[t]), count, term_len_min[t], term_len_max[t],
                                       float(term_max[t]), term_first[t], term_last[t], term_offset,
                                       offset - term_offset))
        postfile.write(b"".join(chunks))
    return infos
