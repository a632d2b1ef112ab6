"""Reading through memory maps (indexer/mapped.py) gives what Whoosh's file handles give, without
copying the index into memory when a reader opens."""
from __future__ import annotations

import pickle
import tracemalloc

from whoosh.filedb.filestore import FileStorage

from indexer.mapped import MappedFile, MappedStorage
from indexer.store import current_generation, open_for_reading
from indexer.write import index_files
from tests.conftest import write_jsonl
from tests.test_bulk import news_records


def _index(tmp_path, batches):
    inbox, index_dir = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    for n, records in enumerate(batches):
        write_jsonl(inbox / f"{n}.jsonl", records)
        index_files([inbox], index_dir)
    return index_dir


def test_mapped_reader_reads_what_whooshs_file_reader_reads(tmp_path):
    records = news_records(300, seed=9)
    index_dir = _index(tmp_path, [records[:150], records[150:]])  # two commits: two segments
    plain = FileStorage(str(current_generation(index_dir)), supports_mmap=False, readonly=True).open_index()
    mapped = open_for_reading(index_dir)
    assert isinstance(mapped.storage, MappedStorage)
    with plain.reader() as expected, mapped.reader() as got:
        assert len(list(got.leaf_readers())) >= 2
        assert list(got.all_stored_fields()) == list(expected.all_stored_fields())
        for fieldname in ("body", "title", "exact", "parts", "section"):
            terms = list(expected.lexicon(fieldname))
            assert list(got.lexicon(fieldname)) == terms and terms
            for btext in terms[:: max(1, len(terms) // 200)]:
                want = expected.postings(fieldname, btext)
                have = got.postings(fieldname, btext)
                assert list(have.items_as("positions" if fieldname == "body" else "frequency")) == \
                    list(want.items_as("positions" if fieldname == "body" else "frequency"))
                assert got.doc_frequency(fieldname, btext) == expected.doc_frequency(fieldname, btext)
            assert got.field_length(fieldname) == expected.field_length(fieldname)


def test_opening_a_reader_copies_no_segment_into_memory(tmp_path):
    index_dir = _index(tmp_path, [news_records(400, seed=2)])
    size = sum(p.stat().st_size for p in current_generation(index_dir).iterdir())
    tracemalloc.start()
    try:
        ix = open_for_reading(index_dir)
        with ix.searcher() as searcher:
            searcher.doc_count()
            _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Whoosh's own mmap storage copies every sub-file into a BytesIO here: the whole index.
    assert peak < size / 4, f"opening a searcher allocated {peak:,} bytes for a {size:,}-byte index"


def test_a_mapped_file_reads_seeks_and_unpickles_like_a_file(tmp_path):
    payload = b"line one\nline two\n" + pickle.dumps({"a": [1, 2, 3]}, protocol=2) + b"tail"
    path = tmp_path / "f"
    path.write_bytes(payload)
    f = MappedStorage(str(tmp_path)).open_file("f")
    assert f.readline() == b"line one\n" and f.tell() == 9
    assert f.read(4) == b"line" and f.read(0) == b""
    f.seek(-4, 2)
    assert f.read() == b"tail" and f.read(10) == b""
    f.seek(18)
    assert f.read_pickle() == {"a": [1, 2, 3]}
    end_of_pickle = f.tell()
    f.seek(-3, 1)
    assert f.read(3) == payload[end_of_pickle - 3:end_of_pickle] and f.tell() == end_of_pickle
    sub = f.subset(5, 8)
    assert isinstance(sub, MappedFile) and sub.read() == b"one\nline" and sub.get(4, 4) == b"line"
    assert sub.readline() == b""
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert MappedStorage(str(tmp_path)).open_file("empty").read() == b""
