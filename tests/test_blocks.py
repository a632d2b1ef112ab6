"""Posting blocks built from arrays (``indexer.blocks``) are byte for byte what Whoosh reads:
posting values as ``Positions.encode`` makes them, block data as ``pickle`` makes it, for the
cases the whole-index comparison in ``tests/test_bulk.py`` meets rarely or never (values over
255 bytes, more than 1,000 positions, document numbers over 65,535, unequal weights in small
blocks)."""
from __future__ import annotations

import io
import pickle
import random
import zlib

import numpy as np
from whoosh import fields, index
from whoosh.analysis import StandardAnalyzer
from whoosh.formats import Positions
from whoosh.system import unpack_int

from indexer import blocks
from indexer.bulk import write_documents
from tests.test_bulk import contents


def random_postings(rng: random.Random, freqs: list[int]) -> list[list[int]]:
    out = []
    for freq in freqs:
        gaps = [rng.choice([0, 1, 2, 300, 70_000]) + 1 for _ in range(freq)]
        out.append(list(np.cumsum(gaps) - 1))
    return out


def test_position_values_are_what_positions_encode_makes():
    rng = random.Random(5)
    freqs = [1, 2, 3, 1, 150, 1000, 1001, 2500, 1, 40, 7]
    postings = random_postings(rng, freqs)
    flat = np.array([p for posting in postings for p in posting], np.int64)
    starts = np.cumsum([0, *freqs[:-1]])
    data, at = blocks.pickled_position_values(flat, starts, np.array(freqs))
    assert len(at) == len(freqs) + 1
    for k, posting in enumerate(postings):
        item = data[at[k]:at[k + 1]]
        value = pickle.loads(b"\x80\x03" + item + b".")  # the item as it sits in a block's pickle
        assert value == Positions().encode([int(p) for p in posting]), k
    assert any(at[k + 1] - at[k] > 256 for k in range(len(freqs))), "covers BINBYTES"


def read_blocks(raw: bytes, info: tuple) -> list[tuple]:
    """The blocks of one term as ``(block info, unpickled data)``, read as W3LeafMatcher does."""
    stream = io.BytesIO(raw)
    stream.seek(info[-2])
    assert stream.read(4) == b"W3Bl"
    out = []
    while True:
        length = unpack_int(stream.read(4))[0]
        start = stream.tell()
        unpickler = pickle.Unpickler(stream)
        block_info = unpickler.load()
        data = stream.read(abs(length) - (stream.tell() - start))
        if block_info[3]:
            data = zlib.decompress(data)
        out.append((block_info, pickle.loads(data)))
        if length < 0:
            return out


def test_blocks_hold_the_ids_weights_and_values_pickle_would():
    rng = random.Random(9)
    terms, docs, freqs = [], [], []
    counts = [1, 2, 3, 4, 128, 129, 300]
    for t, count in enumerate(counts):
        chosen = sorted(rng.sample(range(200_000), count))
        docs += chosen
        pattern = rng.choice(["ones", "same", "mixed"])
        freqs += [1 if pattern == "ones" else 3 if pattern == "same" else rng.choice([1, 2, 5]) for _ in chosen]
        terms.append(f"t{t}".encode())
    docs_a, freqs_a = np.array(docs, np.int64), np.array(freqs, np.int64)
    term_starts = np.cumsum([0, *counts])
    lengths = np.array([rng.randrange(1, 256) for _ in range(200_000)], np.uint8)
    postings_freq = blocks.FieldPostings(terms, term_starts, docs_a, freqs_a, freqs_a.astype(">u4").tobytes())
    # an Existence field (ids, dates): weights as they come, no values
    postings_none = blocks.FieldPostings(terms, term_starts, docs_a, freqs_a, None)
    # values Whoosh's format encoded itself, of any length (over 255 bytes: BINBYTES)
    encoded = [bytes([k % 256]) * rng.choice([1, 7, 300]) for k in range(len(docs))]
    postings_items = blocks.FieldPostings(terms, term_starts, docs_a, freqs_a, blocks.pickled_byte_items(encoded))
    positions = random_postings(rng, freqs)
    flat = np.array([p for posting in positions for p in posting], np.int64)
    values = blocks.pickled_position_values(flat, np.cumsum([0, *freqs[:-1]]), freqs_a)
    postings_pos = blocks.FieldPostings(terms, term_starts, docs_a, freqs_a, values)
    for postings, value_of in [
        (postings_freq, lambda k: freqs[k].to_bytes(4, "big")),
        (postings_pos, lambda k: Positions().encode([int(p) for p in positions[k]])),
        (postings_none, None),
        (postings_items, encoded.__getitem__),
    ]:
        out = io.BytesIO()
        out.write(b"head")
        infos = blocks.write_field(postings, lengths, b"\x00\x00", out)
        raw = out.getvalue()
        for t, info_bytes in enumerate(infos):
            info = blocks.TERMINFO_EXTENT.unpack(info_bytes)
            a, b = term_starts[t], term_starts[t + 1]
            assert info[1:8] == (
                float(sum(freqs[a:b])), b - a, min(lengths[docs[a:b]]), max(lengths[docs[a:b]]),
                float(max(freqs[a:b])), docs[a], docs[b - 1],
            )
            got = read_blocks(raw, info)
            assert len(got) == -(-(b - a) // 128)
            for k, (block_info, (ids, weights, vals)) in enumerate(got):
                s, e = a + 128 * k, min(a + 128 * (k + 1), b)
                block_docs, block_freqs = docs[s:e], [float(x) for x in freqs[s:e]]
                assert block_info[:3] == (e - s, docs[e - 1], max(block_freqs))
                assert block_info[4:] == (min(lengths[block_docs]), max(lengths[block_docs]))
                assert list(np.cumsum(ids)) == block_docs
                if len(set(block_freqs)) > 1:
                    assert weights == tuple(block_freqs)
                else:
                    assert weights == (None if block_freqs[0] == 1 else block_freqs[0])
                if value_of is None:
                    assert vals is None
                    continue
                expected = [value_of(j) for j in range(s, e)]
                assert vals == (b"".join(expected) if isinstance(postings.values, bytes) else tuple(expected))


def test_fields_whoosh_analyses_itself_are_written_as_whoosh_writes_them(tmp_path):
    """Fields of no fused chain take Whoosh's own analysis and the same block writer: a text field
    of another analyzer (position values of every length), boosted keywords (weights that are no
    counts), numbers and ids (no values); over 128 postings a term, so terms span blocks."""
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), text=fields.TEXT(analyzer=StandardAnalyzer()),
                           tags=fields.KEYWORD(field_boost=2.5, scorable=True), number=fields.NUMERIC(stored=True))
    rng = random.Random(3)
    words = "hafen bahn deich kai schiff fähre zoll lotse".split()
    docs = [{"id": f"d{i}", "text": " ".join(rng.choices(words, k=rng.choice([1, 5, 400]))),
             "tags": " ".join(rng.sample(words, 2)), "number": i * 7} for i in range(300)]
    for name in ("whoosh", "bulk"):
        (tmp_path / name).mkdir()
        index.create_in(tmp_path / name, schema)
    ours = index.open_dir(tmp_path / "bulk")
    write_documents(ours, docs, procs=1)
    theirs = index.open_dir(tmp_path / "whoosh")
    with theirs.writer() as writer:
        for d in docs:
            writer.add_document(**d)
    with theirs.reader() as reader:
        assert reader.doc_frequency("text", "hafen") > 128 and reader.doc_frequency("tags", "bahn") > 0
    assert contents(ours) == contents(theirs)
